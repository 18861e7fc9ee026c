"""Every file someone hands in is decoded and parsed in one module, erm_graph/ingest/untrusted.py.

The loaders (through their LoadContext), `erm import` (interop) and the named-query library
all decode bytes there: the stated encoding, else a byte-order mark, else UTF-8, with an error
naming file, line and column; XML only through defusedxml with its nesting limit. A source
walk holds every other module to that, and the behaviour tests show what routing through it
gives the places that used to decode on their own.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from erm_graph import load
from erm_graph.ingest import LoadError, LoadOptions, registry
from erm_graph.interop import import_graph
from erm_graph.query.library import parse_file

ROOT = Path(__file__).resolve().parents[1]
THE_MODULE = ROOT / "erm_graph" / "ingest" / "untrusted.py"
#: the folders whose modules read what users hand in
READERS = [ROOT / "erm_graph" / "ingest", ROOT / "erm_graph" / "interop", ROOT / "loaders"]
#: (file, call) that decode bytes on purpose outside the module, and why
ALLOWED = {
    ("loaders/drawio/__init__.py", "decode"):
        "a compressed page is URL-encoded UTF-8 by the format",
    ("erm_graph/ingest/worker.py", "decode"): "the reading child's stderr, not a file",
    ("erm_graph/ingest/schema.py", "read_text"): "the package's own JSON schemas",
    ("erm_graph/ingest/file_blocks.py", "decode"):
        "a large UTF-8 CSV's head, strictly: any error leaves the file to decode",
}
XML_PARSERS = {"fromstring", "fromstringlist", "parse", "iterparse", "XML", "XMLParser",
               "XMLPullParser", "make_parser", "parseString"}


def _python_files() -> list[Path]:
    return sorted(p for folder in (ROOT / "erm_graph", ROOT / "loaders")
                  for p in folder.rglob("*.py") if p != THE_MODULE)


def test_no_module_but_the_one_parses_xml():
    found = []
    for path in _python_files():
        where = path.relative_to(ROOT)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import | ast.ImportFrom):
                module = node.module if isinstance(node, ast.ImportFrom) else None
                names = [a.name for a in node.names]
                if any(n.startswith(("defusedxml", "lxml", "xml.dom")) for n in
                       [module or "", *names]):
                    found.append(f"{where}:{node.lineno} imports {module or names}")
                if module and module.startswith("xml.") and set(names) & XML_PARSERS:
                    found.append(f"{where}:{node.lineno} imports a parser")
            elif (isinstance(node, ast.Attribute) and node.attr in XML_PARSERS
                  and isinstance(node.value, ast.Name)
                  and node.value.id in ("ET", "ElementTree", "etree", "minidom", "sax")):
                found.append(f"{where}:{node.lineno} calls {node.attr}")
    assert not found, "XML parsed outside erm_graph/ingest/untrusted.py:\n" + "\n".join(found)


def test_no_reader_decodes_bytes_on_its_own():
    found = []
    for path in _python_files():
        if not any(path.is_relative_to(folder) for folder in READERS):
            continue
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("decode", "read_text")
                    and not (isinstance(node.func.value, ast.Name)
                             and node.func.value.id == "untrusted")  # the module itself
                    and (where, node.func.attr) not in ALLOWED):
                found.append(f"{where}:{node.lineno} calls .{node.func.attr}()")
    assert not found, ("bytes decoded outside erm_graph/ingest/untrusted.py (use decode, or "
                       "LoadContext.text):\n" + "\n".join(found))


def _node_file(folder: Path, data: bytes) -> Path:
    folder.mkdir()
    (folder / "nodes_Party.csv").write_bytes(data)
    return folder


def test_import_names_the_place_of_a_byte_that_is_not_utf8(store, tmp_path):
    folder = _node_file(tmp_path / "export", "uid:ID(Party),:LABEL,name\n"
                        "p1,Party;Customer,Zoë\n".encode("latin-1"))
    with pytest.raises(LoadError, match=r"nodes_Party.csv: not UTF-8: byte 0xeb at line 2, "
                                        r"column 21"):
        import_graph(store, folder)


def test_import_reads_a_header_behind_a_byte_order_mark(store, tmp_path):
    folder = _node_file(tmp_path / "export", "\ufeffuid:ID(Party),:LABEL,name\n"
                        "p1,Party;Customer,Ann\n".encode())
    assert import_graph(store, folder).ok
    (props,) = store.run("MATCH (c:Customer) RETURN properties(c)", {}).rows[0]
    assert props["uid"] == "p1" and "\ufeffuid" not in props


def test_a_utf16_file_is_detected_and_loaded_by_its_byte_order_mark(store, tmp_path):
    path = tmp_path / "support.mmd"
    path.write_bytes("flowchart LR\n  a[Open ticket] --> b[Close ticket]\n".encode("utf-16"))
    assert registry.detect(path, LoadOptions()).format == "mermaid"
    assert load(store, path).labels["Step"].created == 2


def test_a_query_file_that_is_not_utf8_is_a_problem_not_a_crash(tmp_path):
    path = tmp_path / "odd.cypher"
    path.write_bytes("// description: caf\xe9 owners\nMATCH (n) RETURN n\n".encode("latin-1"))
    problems: list[str] = []
    assert parse_file(path, problems) is None
    assert len(problems) == 1 and "odd.cypher: not UTF-8: byte 0xe9 at line 1" in problems[0]
