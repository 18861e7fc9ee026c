"""A hand-written relationship map in YAML or JSON (schema: schemas/relationship-map.schema.json).

The file is checked whole against the schema first; a file that breaks it loads nothing and
every break is reported with its path (``steps/2/kind``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from erm_graph.ingest.contract import LoadContext, LoaderResult, LoadOptions, slug
from erm_graph.ingest.flowchart import FlowchartBuilder
from erm_graph.ingest.schema import schema_problems
from erm_graph.ingest.untrusted import peek_text
from erm_graph.ingest.yaml_reader import load_json, load_yaml

SCHEMA = "relationship-map.schema.json"


class YamlMap:
    format = "yaml"
    extensions = (".yaml", ".yml", ".json")
    description = "hand-written relationship map (YAML or JSON)"
    priority = 50

    def detect(self, path: Path, head: bytes, options: LoadOptions) -> bool:
        if not path.is_file() or not path.name.lower().endswith(self.extensions):
            return False
        text = peek_text(head)
        return ("steps" in text and "map" in text) and "tables" not in text

    def read(self, source: Path, ctx: LoadContext) -> LoaderResult:
        result = ctx.result(source)
        doc = _document(source, ctx)
        problems = schema_problems(doc, SCHEMA, result.ref("map"))
        if problems:
            for problem in problems:
                result.reject("Map", "map", problem.field, problem.expected, problem.got)
            result.note("nothing loaded: the file does not follow schemas/" + SCHEMA)
            return result
        _relationship_map(FlowchartBuilder(result), doc)
        return result


LOADER = YamlMap()


def _document(source: Path, ctx: LoadContext) -> Any:
    """The parsed file, within the limits of :mod:`erm_graph.ingest.yaml_reader`."""
    text = ctx.text(source)
    if source.suffix.lower() == ".json":
        return load_json(text, str(source))
    return load_yaml(text, str(source))


def _relationship_map(build: FlowchartBuilder, doc: dict[str, Any]) -> None:
    pid = doc.get("id") or slug(doc["map"])
    process = build.process(pid, doc["map"], "map", category=doc.get("category"))

    for i, dept in enumerate(doc.get("departments", [])):
        build.department(dept["name"], f"departments/{i}", parent=dept.get("parent"))
    for i, emp in enumerate(doc.get("employees", [])):
        build.employee(emp["uid"], f"employees/{i}", emp["name"], emp.get("department"),
                       title=emp.get("title"), role=emp.get("role"))
    kinds = {d["name"]: d.get("kind", "document") for d in doc.get("documents", [])}
    for i, d in enumerate(doc.get("documents", [])):
        uid = build.document(d["name"], kinds[d["name"]], f"documents/{i}")
        if d.get("owner"):
            build.owner(d["owner"], "Document", uid, f"documents/{i}")
    parties = {}
    for i, p in enumerate(doc.get("parties", [])):
        parties[p["name"]] = build.party(p["name"], f"parties/{i}", p.get("kind"), p.get("uid"))
    if doc.get("owner"):
        build.owner(doc["owner"], "Process", process, "owner")
        build.owner(doc["owner"], "Map", process, "owner")

    steps = doc["steps"]
    for i, step in enumerate(steps):
        build.step(pid, step["id"], step.get("name"), step.get("kind", "task"), f"steps/{i}")
    for i, step in enumerate(steps):
        where = f"steps/{i}"
        uid = build.step_uid(pid, step["id"])
        for dept in step.get("performed_by", []):
            build.performs(dept, uid, where)
        for emp in step.get("employees", []):
            build.employee_performs(emp, uid, where)
        for name in step.get("uses", []):
            build.uses(uid, build.document(name, kinds.get(name, "document"), where), where)
        for name in step.get("produces", []):
            build.produces(uid, build.document(name, kinds.get(name, "document"), where), where)
        for part in step.get("participants", []):
            name, role = (part, None) if isinstance(part, str) else (part["party"],
                                                                    part.get("role"))
            party = parties.get(name) or build.party(name, where)
            build.participates(party, uid, where, role)
        for flow in step.get("next", []):
            flow = {"to": flow} if isinstance(flow, str) else flow
            build.flow(pid, step["id"], flow["to"], f"{where}/next/{flow['to']}",
                       flow.get("label"), flow.get("condition"))
        if step.get("part_of"):
            build.subprocess_of(uid, build.step_uid(pid, step["part_of"]), where)
        if step.get("owner"):
            build.owner(step["owner"], "Step", uid, where)
