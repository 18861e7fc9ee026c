"""Export, import and copy a whole graph, each checking itself with the one checksum.

* :func:`export_graph` streams a store into a folder (Neo4j admin-import CSV or GraphML) with a
  ``manifest.json`` of counts and checksums, then reads the files back and compares.
* :func:`import_graph` reads such a folder (or any admin-import files, or a GraphML file) into
  an empty store, then walks the store and compares with the manifest (or with the files).
* :func:`copy_graph` streams one store into another (embedded -> Neo4j and back) and compares.

Each returns a :class:`~erm_graph.interop.checksum.Verification`; the CLI prints it and exits
non-zero when it is not ``ok``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from erm_graph.errors import ErmError
from erm_graph.events import Outcome, WriteKind, writing
from erm_graph.ingest.untrusted import decode, parse_xml
from erm_graph.interop import graphml, neo4j_csv
from erm_graph.interop.checksum import Tally, Verification, compare, count_gaps, tally_store
from erm_graph.interop.csv_import import ImportFiles
from erm_graph.interop.graph_check import GraphCheck
from erm_graph.interop.stream import GraphWriter, NodeRecord, Record, RelRecord, walk

FORMATS = ("neo4j-csv", "graphml")
MANIFEST = "manifest.json"
GRAPHML_FILE = "graph.graphml"
Progress = Callable[[int], None] | None


def _tallied(records: Iterator[Record], tally: Tally, progress: Progress) -> Iterator[Record]:
    for record in records:
        record.add_to(tally)
        if progress:
            progress(1)
        yield record


def export_graph(store, folder: str | Path, fmt: str = "neo4j-csv", *,
                 progress: Progress = None) -> Verification:
    """Write everything in ``store`` to ``folder`` and check the files against the store."""
    if fmt not in FORMATS:
        raise ErmError(f"unknown export format {fmt!r}: use {' or '.join(FORMATS)}")
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise ErmError(f"{folder} is not empty: export into a new or empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    source, problems = Tally(), list[str]()
    records = _tallied(walk(store, problems), source, progress)
    if fmt == "neo4j-csv":
        files = neo4j_csv.write_records(records, folder)
    else:
        graphml.write_records(records, folder / GRAPHML_FILE)
        files = [GRAPHML_FILE]
    problems += count_gaps(store, source)
    (folder / MANIFEST).write_text(json.dumps({
        "format": fmt, "engine": store.engine, "files": files, "tally": source.as_dict(),
        "problems": problems}, indent=1))
    written = read_tally(folder)
    return compare(source, written, f"{store.engine} store", f"files in {folder}", problems)


def _read(path: Path, fmt: str, on_record: Callable[[Record], None]) -> list[str]:
    """Read a folder or file of ``fmt``; returns the problems (rows that could not be read)."""
    if fmt == "graphml":
        files = [path] if path.is_file() else sorted(path.glob("*.graphml"))
        problems = []
        for file in files:
            root = parse_xml(file.read_bytes(), str(file))
            _, bad = graphml.read(root, file.name, lambda r, _: on_record(r),
                                  lambda r, _: on_record(r))
            problems += [str(p) for _, p in bad]
        return problems
    parsed = neo4j_csv.Parsed()
    neo4j_csv.read(ImportFiles(path).texts(), parsed, lambda r, _: on_record(r),
                   lambda r, _: on_record(r))
    return [str(p) for _, p in parsed.problems]


def _manifest(file: Path) -> dict:
    """A folder's manifest.json, decoded as every file handed in is."""
    return json.loads(decode(file.read_bytes(), file))


def detect_format(path: Path) -> str:
    if path.is_file():
        return "graphml" if path.suffix.lower() == ".graphml" else "neo4j-csv"
    manifest = path / MANIFEST
    if manifest.is_file():
        return _manifest(manifest).get("format", "neo4j-csv")
    return "graphml" if any(path.glob("*.graphml")) else "neo4j-csv"


def read_tally(path: str | Path, fmt: str | None = None) -> Tally:
    """The tally of the records in exported files, read back the way an import reads them."""
    path = Path(path)
    tally = Tally()
    problems = _read(path, fmt or detect_format(path), lambda r: r.add_to(tally))
    if problems:
        raise ErmError(f"{path}: {len(problems)} row(s) cannot be read: {problems[0]}")
    return tally


def import_graph(store, path: str | Path, fmt: str | None = None, *,
                 progress: Progress = None) -> Verification:
    """Write the graph in ``path`` into an empty ``store`` unchanged, then check the store."""
    path = Path(path)
    if not path.exists():
        raise ErmError(f"{path}: no such file or folder")
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise ErmError(f"unknown import format {fmt!r}: use {' or '.join(FORMATS)}")
    require_empty(store, "an import copies a whole graph")
    if fmt == "neo4j-csv":  # two passes over the files, none held (docs/loaders.md)
        files = ImportFiles(path)
        read = files.check()
        write: Callable[[GraphWriter], None] = files.write
    else:  # a GraphML file is parsed whole anyway: its records are kept, written once
        records, read = read_records(path, fmt)
        write = partial(_write_list, records)
    manifest = (path if path.is_dir() else path.parent) / MANIFEST
    expected = read
    if manifest.is_file():
        expected = Tally.from_dict(_manifest(manifest)["tally"])
    with writing(WriteKind.IMPORT, str(path), store, detail={"format": fmt}) as done:
        verification = write_verified(store, write, expected, f"files in {path}", progress)
        done.outcome = Outcome.OK if verification.ok else Outcome.MISMATCH
        done.detail.update(verification.as_dict())
    return verification


def require_empty(store, why: str) -> None:
    """Refuse a target graph that holds anything: ``why`` says what needs it empty."""
    labels, types = store.counts()
    if sum(labels.values()) or sum(types.values()):
        raise ErmError(f"the target graph ({store.engine} at {store.location}) is not empty: "
                       f"{why}; empty it first with `erm reset --yes`")


def read_records(path: Path, fmt: str) -> tuple[list[Record], Tally]:
    """Every record of the files in ``path`` and their tally, nothing written: refused,
    naming the rows, when a row cannot be read or a relationship joins nodes that are not in
    the files."""
    records: list[Record] = []
    problems = _read(path, fmt, records.append)
    check = GraphCheck()  # every node before the relationships, as the files may not be
    for record in (*_of(records, NodeRecord), *_of(records, RelRecord)):
        check.add(record)
    return records, check.checked(path, problems)


def write_verified(store, write: Callable[[GraphWriter], None], expected: Tally,
                   source_name: str, progress: Progress = None) -> Verification:
    """Let ``write`` hand a graph to a writer into an empty ``store``, then walk the store
    and compare it with ``expected``. Not audited: the caller records the write."""
    writer = GraphWriter(store, progress)
    try:
        write(writer)
    finally:
        writer.close()
    target, gaps = tally_store(store)
    return compare(expected, target, source_name, f"{store.engine} store", gaps)


def _write_list(records: list[Record], writer: GraphWriter) -> None:
    """Every node of ``records``, then every relationship (which needs its nodes)."""
    for record in _of(records, NodeRecord):
        writer.add(record)
    writer.finish_nodes()
    for record in _of(records, RelRecord):
        writer.add(record)


def _of(records: list[Record], kind: type[Record]) -> Iterator[Record]:
    return (record for record in records if isinstance(record, kind))


def copy_graph(source_store, target_store, *, progress: Progress = None) -> Verification:
    """Stream everything in ``source_store`` into an empty ``target_store``, then check it."""
    require_empty(target_store, "a copy needs an empty graph")
    with writing(WriteKind.COPY, f"from {source_store.engine} at {source_store.location}",
                 target_store) as done:
        source, problems = Tally(), list[str]()
        writer = GraphWriter(target_store, progress)
        try:
            for record in walk(source_store, problems, relationships=False):
                record.add_to(source)
                writer.add(record)
            writer.finish_nodes()
            for record in walk(source_store, problems, nodes=False):
                record.add_to(source)
                writer.add(record)
        finally:
            writer.close()
        problems += count_gaps(source_store, source)
        target, gaps = tally_store(target_store)
        verification = compare(source, target, f"{source_store.engine} store",
                               f"{target_store.engine} store", problems + gaps)
        done.outcome = Outcome.OK if verification.ok else Outcome.MISMATCH
        done.detail.update(verification.as_dict())
    return verification
