"""A customer's org chart loads as the contacts of that party (issue 13 item 8).

``erm load chart.drawio --as orgchart --of PARTY`` (web upload ``as`` + ``of``, Python
``load(..., diagram="orgchart", of=PARTY)``): the people of tests/corpus/drawio/orgchart.drawio
become Contacts who work for the party, with their reporting lines (``REPORTS_TO`` contact to
contact), their titles and the department they sit in as properties; no Department or Employee
of ours is made. An unknown party, or ``--of`` without ``--as orgchart``, is refused before
anything is read.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from erm_graph import load
from erm_graph.cli import app
from erm_graph.errors import ErmError
from erm_graph.model import relationship_problems

CORPUS = Path(__file__).parent / "corpus" / "drawio"
CHART = CORPUS / "orgchart.drawio"
ACME = "cust-acme"

LINES = [["Ana Lopez", "Maria Costa"], ["Ben Ode", "Ana Lopez"], ["Chen Wu", "Ana Lopez"],
         ["Dee Park", "Maria Costa"], ["Eva Ruiz", "Tom Berg"], ["Tom Berg", "Maria Costa"]]


def customers(store) -> None:
    store.upsert_nodes("Customer", [{"uid": ACME, "name": "Acme"},
                                    {"uid": "cust-zenith", "name": "Zenith"}])


def contacts(store, party: str) -> list[list]:
    return sorted(store.run("MATCH (c:Contact)-[:WORKS_FOR]->(p:Party {uid: $p}) "
                            "RETURN c.uid, c.name, c.title, c.department", {"p": party}).rows)


def lines(store, party: str) -> list[list[str]]:
    return sorted(store.run("MATCH (p:Party {uid: $p})<-[:WORKS_FOR]-(c:Contact)"
                            "-[:REPORTS_TO]->(m:Contact)-[:WORKS_FOR]->(p) "
                            "RETURN c.name, m.name", {"p": party}).rows)


def test_a_customers_org_chart_loads_as_its_contacts_with_their_lines(store):
    customers(store)
    report = load(store, CHART, diagram="orgchart", of=ACME)
    found = contacts(store, ACME)
    assert len(found) == 7
    assert ["contact:cust-acme/ana-lopez", "Ana Lopez", "Head of Sales", "Sales"] in found
    assert {name: dept for _, name, _, dept in found} == {
        "Maria Costa": None, "Ana Lopez": "Sales", "Ben Ode": "Sales", "Chen Wu": "Sales",
        "Dee Park": "Service desk", "Tom Berg": None, "Eva Ruiz": "Finance"}
    assert lines(store, ACME) == LINES
    # the customer's structure is not ours: no employee, no department, no member line
    assert store.run("MATCH (n) WHERE n:Employee OR n:Department RETURN count(n)"
                     ).rows == [[0]]
    assert report.types["WORKS_FOR"].created == 7 and report.types["REPORTS_TO"].created == 6
    # a second customer's chart with the same names: other contacts, each at their party
    load(store, CHART, diagram="orgchart", of="cust-zenith")
    assert len(contacts(store, "cust-zenith")) == 7 and lines(store, "cust-zenith") == LINES
    assert store.run("MATCH (c:Contact) RETURN count(c)").rows == [[14]]
    # loading it again changes nothing
    again = load(store, CHART, diagram="orgchart", of=ACME)
    assert again.total("created") == 0 and again.total("updated") == 0


def test_an_unknown_party_or_of_without_as_orgchart_is_refused(store):
    customers(store)
    with pytest.raises(ErmError, match="--of 'cust-nobody': no party has that uid"):
        load(store, CHART, diagram="orgchart", of="cust-nobody")
    with pytest.raises(ErmError, match="use it with --as orgchart"):
        load(store, CHART, of=ACME)
    assert store.run("MATCH (c:Contact) RETURN count(c)").rows == [[0]]


def test_reporting_lines_join_one_side_only():
    assert relationship_problems("REPORTS_TO", "Contact", "Contact", [{"start": "a",
                                                                         "end": "b"}]) == []
    assert relationship_problems("REPORTS_TO", "Employee", "Employee", [{"start": "a",
                                                                           "end": "b"}]) == []
    mixed = relationship_problems("REPORTS_TO", "Employee", "Contact", [{"start": "a",
                                                                          "end": "b"}])
    assert [(p.field, p.expected, p.got) for p in mixed] == [
        ("end label", "Employee, as the start", "Contact")]


def test_the_cli_and_the_web_upload_take_of(store, store_url, tmp_path):
    from fastapi.testclient import TestClient

    from erm_graph.settings import Settings
    from erm_graph.web import create_app

    customers(store)
    runner = CliRunner()
    refused = runner.invoke(app, ["--db", store_url, "load", str(CHART), "--as", "orgchart",
                                  "--of", "cust-nobody"])
    assert refused.exit_code == 1 and "no party has that uid" in refused.output
    loaded = runner.invoke(app, ["--db", store_url, "load", str(CHART), "--as", "orgchart",
                                 "--of", ACME])
    assert loaded.exit_code == 0, loaded.output
    assert len(contacts(store, ACME)) == 7
    assert "--of" in runner.invoke(app, ["load", "--help"]).output
    settings = Settings.from_env(users_db=tmp_path / "u.db", query_timeout=10)
    with TestClient(create_app(settings, store=store), base_url="http://127.0.0.1") as client:
        client.get("/")
        client.headers["x-csrf-token"] = client.cookies.get("erm_csrf")
        sent = {"file": ("orgchart.drawio", CHART.read_bytes())}
        unknown = client.post("/api/load", files=sent,
                              data={"as": "orgchart", "of": "cust-nobody"})
        assert unknown.status_code == 400 and "no party has that uid" in unknown.text
        done = client.post("/api/load", files=sent,
                           data={"as": "orgchart", "of": "cust-zenith"})
        assert done.status_code == 200, done.text
    assert lines(store, "cust-zenith") == LINES


def test_the_record_forms_offer_reporting_lines_to_the_same_label_only():
    from erm_graph.web.forms import record_form

    def reports_to(label: str) -> list[tuple[str, list[str]]]:
        return [(t["direction"], t["labels"]) for t in record_form(label)["relationships"]
                if t["type"] == "REPORTS_TO"]

    assert reports_to("Contact") == [("out", ["Contact"]), ("in", ["Contact"])]
    assert reports_to("Employee") == [("out", ["Employee"]), ("in", ["Employee"])]
