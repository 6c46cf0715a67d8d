"""The text index built at write time: accents, case, typos, acronyms, RFC, OCID; browse and type-ahead."""

import sqlite3
from contextlib import closing

import pytest
from bs4 import BeautifulSoup

from ftm_graph import search

LOAN = "http://127.0.0.1:8000/id/debt/ZAC-2017-BANOBRAS"


@pytest.fixture(scope="module")
def index(sample_store):
    with closing(search.open_index(sample_store)) as db:
        yield db


def iris(hits):
    return [h.iri for h in hits]


@pytest.mark.parametrize("q, expected", [
    ("Banobras", "http://127.0.0.1:8000/id/bank/banobras"),
    ("banobras", "http://127.0.0.1:8000/id/bank/banobras"),
    ("issstezac", "http://127.0.0.1:8000/id/body/zac/60"),
    ("ISSSTEZAC", "http://127.0.0.1:8000/id/body/zac/60"),
    ("secretaria de finanzas", "http://127.0.0.1:8000/id/body/zac/3"),
    ("Secretaría de Finanzas", "http://127.0.0.1:8000/id/body/zac/3"),
    ("DCU801124B41", "http://127.0.0.1:8000/id/rfc/DCU801124B41"),
    ("ocds-7wj9x5-LO-919009986", "http://127.0.0.1:8000/id/ocds/ocds-7wj9x5-LO-919009986-E9-2018-v001"),
    ("refinanciamiento", LOAN),
    ("banob", "http://127.0.0.1:8000/id/bank/banobras"),  # as typed so far
    ("banobars", "http://127.0.0.1:8000/id/bank/banobras"),  # a typo
    ("incufides", "http://127.0.0.1:8000/id/body/zac/69"),  # a typo
])
def test_search_finds(index, q, expected):
    assert expected in iris(search.search(index, q))


def test_nonsense_finds_nothing(index):
    assert search.search(index, "qqqzzzxxx") == []
    assert search.search(index, "   ") == []


def test_quotes_and_operators_in_queries_are_words(index):
    for q in ['"', "banobras OR", "NEAR(", "a*b", "-x", "ban'obras"]:
        search.search(index, q)  # no FTS5 syntax error reaches the caller


def test_index_is_read_only(index):
    with pytest.raises(sqlite3.OperationalError):
        index.execute("DELETE FROM entity")


def test_search_page_groups_results_by_kind(sample_client):
    r = sample_client.get("/search", params={"q": "Banobras"})
    soup = BeautifulSoup(r.text, "html.parser")
    kinds = [s["id"] for s in soup.select("section.results")]
    assert kinds[:2] == ["results-loan", "results-bank"]
    loans = [a["href"] for a in soup.select("#results-loan a")]
    assert "/id/debt/ZAC-2017-BANOBRAS" in loans


def test_search_page_escapes_the_query(sample_client):
    r = sample_client.get("/search", params={"q": "<script>alert(1)</script>"})
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.select_one(".query").get_text() == "<script>alert(1)</script>"
    assert not soup.select("main script")


def test_type_ahead_json(sample_client):
    items = sample_client.get("/search.json", params={"q": "banob", "lang": "en"}).json()
    assert {"label": "Banobras", "kind": "Banks", "url": "/id/bank/banobras?lang=en",
            "iri": "http://127.0.0.1:8000/id/bank/banobras"} in items
    assert sample_client.get("/search.json", params={"q": "b"}).json() == []


def test_browse_by_type_with_filters(sample_client):
    soup = BeautifulSoup(sample_client.get("/browse", params={"type": "loan"}).text, "html.parser")
    assert len(soup.select("li.hit")) == 6
    soup = BeautifulSoup(sample_client.get("/browse", params={"type": "loan", "year": "2017"}).text, "html.parser")
    assert sorted(a["href"] for a in soup.select("li.hit a")) == ["/id/debt/ZAC-2017-BANOBRAS", "/id/debt/ZAC-2017-BANORTE"]
    soup = BeautifulSoup(sample_client.get("/browse").text, "html.parser")
    assert "/browse?type=loan" in [a["href"] for a in soup.select("ul.kinds a")]


def test_unknown_page_suggests_search_results(sample_client):
    r = sample_client.get("/id/bank/banobras-typo", headers={"Accept": "text/html"})
    assert r.status_code == 404
    soup = BeautifulSoup(r.text, "html.parser")
    assert "/id/bank/banobras" in [a["href"] for a in soup.select(".suggested a")]
