"""Malformed and hostile inputs: a clear error naming file and element, and nothing written."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from erm_graph import load
from erm_graph.errors import ErmError, ValidationError
from erm_graph.ingest import LoadError

CORPUS = Path(__file__).parent / "corpus"
NS = 'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'


def total(store) -> int:
    return store.run("MATCH (n) RETURN count(n)").rows[0][0]


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_truncated_bpmn_names_file_and_position(store, tmp_path):
    text = (CORPUS / "camunda_order.bpmn").read_text()
    path = write(tmp_path, "cut.bpmn", text[: len(text) // 2])
    with pytest.raises(LoadError, match=r"cut\.bpmn: not well-formed XML at line \d+"):
        load(store, path)
    assert total(store) == 0


@pytest.mark.parametrize("payload", [
    '<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f'<definitions {NS}><process id="p"><task id="t" name="&xxe;"/></process></definitions>',
    '<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    f'<definitions {NS}><process id="p"><task id="t" name="&c;"/></process></definitions>',
], ids=["xxe", "billion-laughs"])
def test_hostile_xml_is_refused(store, tmp_path, payload):
    path = write(tmp_path, "evil.bpmn", '<?xml version="1.0"?>' + payload)
    with pytest.raises(LoadError, match=r"evil\.bpmn: refused hostile XML"):
        load(store, path, fmt="bpmn")
    assert total(store) == 0


def test_wrong_encoding_says_which_byte_and_what_to_do(store, tmp_path):
    text = (CORPUS / "support.mmd").read_text().replace("Classify", "Clässify")
    path = write(tmp_path, "latin.mmd", text.encode("latin-1"))
    with pytest.raises(LoadError, match=r"latin\.mmd: not UTF-8: byte 0xe4 at line 4.*"
                                        r"--encoding latin-1"):
        load(store, path)
    assert total(store) == 0
    load(store, path, encoding="latin-1")
    assert store.run("MATCH (s:Step {name: 'Clässify ticket'}) RETURN count(s)").rows == [[1]]


def test_missing_id_names_the_element_and_a_dangling_flow_is_a_note(store, tmp_path):
    """A step without an id is what no modeler writes: refused. A flow to an id the file
    does not hold is left out with a note (tests/test_bpmn_corpus.py has the rest)."""
    path = write(tmp_path, "bad.bpmn", f'<definitions {NS}><process id="p">'
                 '<startEvent id="s"/><task name="no id"/><endEvent id="e"/>'
                 '<sequenceFlow id="f1" sourceRef="s" targetRef="e"/>'
                 '<sequenceFlow id="f2" sourceRef="s" targetRef="ghost"/>'
                 '</process></definitions>')
    with pytest.raises(ValidationError) as caught:
        load(store, path)
    text = str(caught.value)
    assert "bpmn:bad.bpmn#p/task: field 'id': expected an id attribute on <task>" in text
    assert "ghost" not in text
    assert total(store) == 0
    report = load(store, path, on_error="skip")
    assert report.notes == ["bad.bpmn: sequence flows to or from an id this file does not "
                            "hold, skipped: f2 (to ghost)"]
    assert store.run("MATCH ()-[r:NEXT]->() RETURN count(r)").rows == [[1]]


def test_skip_writes_the_good_records_and_a_rejects_file(store, tmp_path):
    folder = tmp_path / "table"
    folder.mkdir()
    for f in (CORPUS / "table").iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    with (folder / "flows.csv").open("a") as fh:
        fh.write("complaints,in,ghost,,\n")
    rejects = tmp_path / "rejects.csv"
    report = load(store, folder, on_error="skip", rejects_file=rejects)
    assert report.rejected_counts["NEXT"] == 1
    assert report.types["NEXT"].created == len((CORPUS / "table/flows.csv").read_text()
                                               .splitlines()) - 1
    rows = list(csv.DictReader(rejects.open()))
    assert rows[0]["label"] == "NEXT" and rows[0]["where"] == "table:table#flows.csv:6"
    assert json.loads(rows[0]["record"])["end"] == "table/complaints/ghost"


def test_bad_values_in_a_mapping_are_rejected_with_row_and_column(store, tmp_path):
    crm = tmp_path / "crm"
    crm.mkdir()
    for f in (CORPUS / "crm").iterdir():
        (crm / f.name).write_bytes(f.read_bytes())
    with (crm / "opportunities.csv").open("a") as fh:
        fh.write('O3,Bad,"12 dollars",lead,2024-01-01,A1\nO4,Lost,$5,lead,01-01-2024,A9\n')
    with pytest.raises(ValidationError) as caught:
        load(store, crm / "crm.yaml")
    text = str(caught.value)
    assert ("mapping:opportunities.csv#4: field 'Amount': expected an amount such as "
            "$1,100.04, got '12 dollars'") in text
    assert "mapping:opportunities.csv#5: field 'start'" in text and "crm-acct-A9" in text
    assert total(store) == 0
    report = load(store, crm / "crm.yaml", on_error="skip")
    assert report.rejected_counts == {"Opportunity": 1, "HOLDS": 1}
    assert store.run("MATCH (o:Opportunity) RETURN count(o)").rows == [[3]]


def test_a_row_whose_relationship_was_skipped_is_read_again_by_the_next_load(store, tmp_path):
    """With --on-error skip, a row's node is written without its dangling relationship. The
    next load must not take the row for unchanged (by its fingerprint): once the missing end
    exists, the relationship is written."""
    crm = tmp_path / "crm"
    crm.mkdir()
    for f in (CORPUS / "crm").iterdir():
        (crm / f.name).write_bytes(f.read_bytes())
    with (crm / "opportunities.csv").open("a") as fh:
        fh.write("O4,Lost,$5,lead,01-01-2024,A9\n")  # account A9 is in no file yet
    first = load(store, crm / "crm.yaml", on_error="skip")
    assert first.rejected_counts == {"HOLDS": 1}
    again = load(store, crm / "crm.yaml", on_error="skip")
    assert again.rejected_counts == {"HOLDS": 1}  # still tried, still missing
    with (crm / "accounts.csv").open("a") as fh:
        fh.write(open(crm / "accounts.csv").read().splitlines()[1].replace("A1", "A9", 1) + "\n")
    third = load(store, crm / "crm.yaml")
    assert third.types["HOLDS"].created == 1 and not third.rejected
    assert store.run("MATCH (:Party {uid: 'crm-acct-A9'})-[:HOLDS]->(o:Opportunity) "
                     "RETURN o.uid").rows == [["crm-opp-O4"]]


def test_schema_errors_in_a_yaml_map_name_the_path(store, tmp_path):
    text = (CORPUS / "onboarding.yaml").read_text().replace("kind: gateway", "kind: diamond")
    with pytest.raises(ValidationError, match=r"field 'steps/1/kind': expected one of task"):
        load(store, write(tmp_path, "m.yaml", text))
    assert total(store) == 0


def test_department_cycle_is_rejected(store, tmp_path):
    text = (CORPUS / "onboarding.yaml").read_text().replace(
        "- {name: Commercial}", "- {name: Commercial, parent: Sales}")
    with pytest.raises(ValidationError, match="no cycles"):
        load(store, write(tmp_path, "m.yaml", text))
    assert total(store) == 0


def test_size_limit_and_unknown_format(store, tmp_path):
    with pytest.raises(LoadError, match=r"over the 0 MB limit.*--max-mb"):
        load(store, CORPUS / "support.mmd", max_mb=0.0001)
    with pytest.raises(LoadError, match=r"cannot tell its format.*--format"):
        load(store, write(tmp_path, "notes.txt", "hello"))
    with pytest.raises(ErmError, match=r"support\.mmd: not well-formed XML at line 1"):
        load(store, CORPUS / "support.mmd", fmt="drawio")
    assert total(store) == 0


def test_dry_run_writes_nothing_and_cli_reports(store_url, tmp_path):
    from erm_graph.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["--db", store_url, "load", str(CORPUS / "onboarding.yaml"),
                                 "--dry-run", "--report", str(tmp_path / "r.json")])
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "r.json").read_text())["labels"]["Step"]["created"] == 5
    result = runner.invoke(app, ["--db", store_url, "load", str(CORPUS / "onboarding.yaml")])
    # the summary wraps at the terminal's width, where the temp path ends
    assert result.exit_code == 0 and "38 created" in " ".join(result.output.split())
    bad = write(tmp_path, "cut.bpmn", "<definitions")
    result = runner.invoke(app, ["--db", store_url, "load", str(bad)])
    assert result.exit_code == 1


def test_bpmn_pool_and_data_store_without_id_or_name_are_noted(store, tmp_path):
    """Typing the loader found both would have been read as a name of None (a crash); nothing
    can refer to them, so they are left out with a note, and the file loads."""
    path = write(tmp_path, "bare.bpmn", f'<definitions {NS}><collaboration id="c"><participant/>'
                 '</collaboration><process id="p"><task id="t" name="Check"/>'
                 '<dataStoreReference/></process></definitions>')
    report = load(store, path)
    assert not report.rejected
    assert report.notes == [
        "bare.bpmn: pools with neither an id nor a name, skipped (nothing can refer to "
        "them): <participant>",
        "bare.bpmn: data elements with neither an id nor a name, skipped (nothing can refer "
        "to them): <dataStoreReference>"]
    assert report.labels["Step"].created == 1 and "Party" not in report.labels


def test_the_cli_lists_problems_by_cause_and_counts_rejected_rows(store_url, tmp_path):
    from erm_graph.cli import app

    crm = tmp_path / "crm"
    crm.mkdir()
    for f in (CORPUS / "crm").iterdir():
        (crm / f.name).write_bytes(f.read_bytes())
    with (crm / "opportunities.csv").open("a") as fh:
        fh.write('O3,Bad,"12 dollars",lead,01-01-2024,A1\nO4,Lost,$5,lead,01-01-2024,A9;A8\n')
    runner = CliRunner()
    stopped = runner.invoke(app, ["--db", store_url, "load", str(crm / "crm.yaml")])
    text = " ".join(stopped.output.split())
    assert stopped.exit_code == 1
    assert ("field 'Amount': expected an amount such as $1,100.04 (1 record(s)): - "
            "mapping:opportunities.csv#4: field 'Amount'") in text
    assert ("field 'start': expected the uid of a Customer in this load or in the database "
            "(1 record(s)): - mapping:opportunities.csv#5: field 'start'") in text
    skipped = runner.invoke(app, ["--db", store_url, "load", str(crm / "crm.yaml"),
                                  "--on-error", "skip", "--rejects", str(tmp_path / "r.csv")])
    text = " ".join(skipped.output.split())
    assert skipped.exit_code == 0, skipped.output
    assert "rejected, by cause: field 'Amount'" in text
    assert "2 rejected" in text  # rows: O3, and O4 whose two accounts are missing
