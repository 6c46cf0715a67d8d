"""Every saved query in sparql_queries/ is documented, parses, and runs on the test store."""

import re
from pathlib import Path

import pytest
from conftest import BASE

from ftm_graph import formats
from ftm_graph.endpoint import load_queries

FOLDER = Path(__file__).parent.parent / "sparql_queries"
FILES = sorted(FOLDER.glob("*.rq"))
HEADERS = ("title", "title@en", "description", "description@en")


def test_there_are_saved_queries():
    names = {f.stem for f in FILES}
    assert {"home_debt_story", "home_pension_story", "home_sport_story"} <= names
    assert len(names) >= 7


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_header_has_title_and_description_in_both_languages(path):
    header = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#\s*([\w@]+)\s*:\s*(\S.*)$", line)
        if not match:
            break
        header[match.group(1)] = match.group(2)
    for key in HEADERS:
        assert header.get(key), f"{path.name} lacks '# {key}:'"
    assert header["title"] != header["title@en"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_query_runs_on_the_test_store(store, path):
    query = load_queries(FOLDER)[path.stem]
    results = store.query(query.text, substitutions=query.bindings(store.base_uri))
    assert formats.result_kind(results) == "solutions"
    rows = formats.solutions(results)
    assert rows, f"{path.name} returns nothing on tests/data/web.trig"
    as_text = formats.solutions(store.query(query.text_for(store.base_uri)))
    assert len(as_text) == len(rows), "the query shown to people must answer like the bound one"


#: Answers a person can check against tests/data/web.trig: query → (column, expected set of values).
EXPECTED = {
    "refinancing_links": ("oldLoan", {f"{BASE}id/debt/ZAC-2011-BANORTE"}),
    "illustrative_records": ("record", {f"{BASE}id/payment/zac-3/P-001",
                                        f"{BASE}id/payment/zac-3/P-001/amount/paid/2018-h8"}
                             | {f"{BASE}id/payment/zac-3/MANY-{n:03d}" for n in range(55)}),
    "budget_of_an_agency_by_stage_and_year": ("total", {"80563748"}),
    "payments_to_suppliers": ("value", {"1234.5"}),
    "home_pension_story": ("value", {"1055601576", "44555816845.32"}),
    "home_sport_story": ("value", {"80563748", "149675022.39"}),
    "home_debt_story": ("value", {"2800000000", "4261750000", "7341701084"}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_query_answers(store, name):
    query = load_queries(FOLDER)[name]
    column, expected = EXPECTED[name]
    rows = formats.solutions(store.query(query.text, substitutions=query.bindings(store.base_uri)))
    assert {row[column].value for row in rows if column in row} == expected
