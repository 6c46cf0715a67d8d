"""The text index built at write time: accents, case, typos, acronyms, RFC, OCID; browse and type-ahead."""

import sqlite3
from contextlib import closing

import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup

from ftm_graph import search, search_facts
from ftm_graph.namespaces import sparql_prologue
from ftm_graph.store import Transaction

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


def test_browse_filters_and_counts_are_those_of_the_entities(index):
    """The facet tables written at build time say what grouping the entity rows says now."""
    kinds = [k for (k,) in index.execute("SELECT DISTINCT kind FROM entity WHERE kind IS NOT NULL")]
    assert "loan" in kinds
    for kind in kinds:
        rows = index.execute("SELECT year, agency FROM entity WHERE kind = ?", (kind,)).fetchall()
        f = search.facets(index, kind)
        years = {}
        for year, _ in rows:
            if year is not None:
                years[year] = years.get(year, 0) + 1
        assert dict((y, n) for y, n in f["years"]) == years
        agencies = {}
        for _, agency in rows:
            if agency is not None:
                agencies[agency] = agencies.get(agency, 0) + 1
        assert {a: n for a, _, _, n in f["agencies"]} == agencies
        assert f["counts"][kind] == len(rows) == search.browse(index, kind)[0]


def test_an_index_from_before_the_facet_tables_still_browses(sample_store, tmp_path):
    """A generation written by an older version has no facet tables: browse and facets read the entities."""
    import shutil
    import sqlite3

    with closing(search.open_index(sample_store)) as db:
        source = db.execute("PRAGMA database_list").fetchone()[2]
    old = tmp_path / "search.sqlite"
    shutil.copyfile(source, old)
    with closing(sqlite3.connect(old)) as db:
        want = {kind: (search.facets(db, kind), search.browse(db, kind)) for kind in ("loan", "bank")}
        db.executescript("DROP TABLE facet_year; DROP TABLE facet_agency; DROP TABLE facet_kind;")
        for kind, (facets, (total, hits)) in want.items():
            assert search.facets(db, kind) == facets
            assert search.browse(db, kind)[0] == total and search.browse(db, kind)[1] == hits


def test_unknown_page_suggests_search_results(sample_client):
    r = sample_client.get("/id/bank/banobras-typo", headers={"Accept": "text/html"})
    assert r.status_code == 404
    soup = BeautifulSoup(r.text, "html.parser")
    assert "/id/bank/banobras" in [a["href"] for a in soup.select(".suggested a")]


# What the index is made of, as whole-store SPARQL over the default graph (the merge of the named graphs):
# the definition the build's graph-by-graph reading must agree with (it was the build itself once).
PROLOGUE = sparql_prologue()
LABELS = """SELECT ?s ?p ?o WHERE {
  VALUES ?p { rdfs:label skos:prefLabel dct:title fis:name skos:altLabel
              fis:acronym fis:rfc fis:ocid fis:registrationKey skos:notation fis:trustRegistryKey fis:decreeNumber
              fis:note fis:purpose dct:description fis:concept }
  ?s ?p ?o . FILTER(isIRI(?s) && isLiteral(?o)) }"""
TYPES = "SELECT ?s ?c WHERE { ?s a ?c . FILTER(isIRI(?s)) }"
YEARS = """SELECT ?s (MIN(?y) AS ?year) WHERE {
  { ?s fis:fiscalYear ?d } UNION { ?s fis:contractDate|fis:paymentDate|fis:dateSigned|fis:publicationDate ?d }
  UNION { ?a fis:amountOf ?s ; fis:fiscalYear|fis:date ?d FILTER NOT EXISTS { ?s fis:contractDate ?c } }
  BIND(xsd:integer(SUBSTR(STR(?d), 1, 4)) AS ?y) } GROUP BY ?s"""
AGENCIES = """SELECT ?s (MIN(STR(?a)) AS ?agency) WHERE {
  ?s fis:budgetHolder|fis:buyer|fis:payer|fis:debtor|fis:settlor|fis:parentBody ?a } GROUP BY ?s"""
ILLUSTRATIVE = "SELECT ?s WHERE { ?s fis:illustrative true }"
MEMBERS = """SELECT DISTINCT ?s WHERE { GRAPH <%s> { { ?s ?p ?o } UNION { ?a fis:amountOf ?s } } FILTER(isIRI(?s)) }"""


def by_queries(store: ox.Store) -> tuple[dict, dict]:
    """(entity IRI -> its facts, graph -> its members), by the queries above."""
    facts, types = {}, {}
    for s, p, o in store.query(PROLOGUE + LABELS):
        facts.setdefault(s.value, []).append((p.value, o))
    for s, c in store.query(TYPES):
        types.setdefault(s.value, []).append(c.value)
    years = {r[0].value: int(r[1].value) for r in store.query(PROLOGUE + YEARS) if r[1] is not None}
    agencies = {r[0].value: r[1].value for r in store.query(PROLOGUE + AGENCIES) if r[1] is not None}
    illustrative = {r[0].value for r in store.query(PROLOGUE + ILLUSTRATIVE)}
    entries = {iri: search._entry(stated, types.get(iri, []), years.get(iri), agencies.get(iri), iri in illustrative)
               for iri, stated in facts.items()}
    members = {g.value: {r[0].value for r in store.query(PROLOGUE + MEMBERS % g.value)} for g in store.named_graphs()}
    return entries, members


X, G, H = "http://x.test/", "http://x.test/graph/g", "http://x.test/graph/h"
RDF_TYPE = "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
RDFS_LABEL = "<http://www.w3.org/2000/01/rdf-schema#label>"
F = "https://w3id.org/ftm-graph/fiscal#"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: Lines a mapping writes, and lines it does not but N-Quads allows: escapes, tabs, other spacing,
#: blank nodes, a comment, upper-case language tags, IRIs and blank nodes where dates are expected.
TRICKY = f"""<{X}e1> {RDF_TYPE} <{F}FinancialInstitution> <{G}> .
<{X}e1> {RDFS_LABEL} "Banco \\"Uno\\""@ES-MX <{G}> .
<{X}e1>\t<http://www.w3.org/2004/02/skos/core#altLabel> "B1" <{G}> .
<{X}e1>  <{F}acronym> "BU" <{G}> .
<{X}e1> <{F}note> "nota   común" <{G}> .
<{X}e\\u00E9> {RDFS_LABEL} "É" <{G}> .
<{X}a1> <{F}amountOf> <{X}e1> <{G}> .
<{X}a1> <{F}fiscalYear> "2019"^^<{XSD}gYear> <{G}> .
_:b1 <{F}amountOf> <{X}e1> <{G}> .
_:b1 <{F}date> "2017-05-01"^^<{XSD}date> <{G}> .
<{X}e2> {RDFS_LABEL} "Dos"@es <{G}> .
<{X}e2> {RDFS_LABEL} "Two"@en <{G}> .
<{X}e2> <{F}contractDate> "2020-01-01"^^<{XSD}date> <{G}> .
<{X}a2> <{F}amountOf> <{X}e2> <{G}> .
<{X}a2> <{F}fiscalYear> "2015" <{G}> .
<{X}e2> <{F}buyer> <{X}body/2> <{G}> .
<{X}e2> <{F}buyer> <{X}body/1> <{G}> .
<{X}e3> {RDFS_LABEL} "Tres" <{G}> .
<{X}e3> <{F}illustrative> "true"^^<{XSD}boolean> <{G}> .
<{X}e3> <{F}fiscalYear> <{X}year/2016> <{G}> .
<{X}e3> <{F}fiscalYear> _:b2 <{G}> .
<{X}e3> <{F}paymentDate> "1999-12-31"^^<{XSD}date> <{G}> .
<{X}e3> {RDF_TYPE} "a literal class" <{G}> .
<{X}e3> <{F}payer> "a literal payer" <{G}> .
<{X}e5> <{F}payer> _:b3 <{G}> .
# a comment
<{X}e4> {RDFS_LABEL} "línea\tcon tabulador" <{G}> .
<{X}e5> <{F}name> "Cinco" <{G}> .
<{X}e5><{F}acronym>"C5"<{G}>.
<{X}e5> <{F}buyer><{X}body/5> <{G}> .
<{X}e7><{F}amountOf> <{X}e5> <{G}> .
<{X}e5> <{F}fiscalYear> "x2021" <{G}> .
<{X}e6> <{X}other> <{X}e1> <{G}> .
"""
#: A second graph that says some of the same things (they count once) and more about the same entities.
OTHER = f"""<{X}e1> <{F}note> "nota   común" <{H}> .
<{X}e2> {RDFS_LABEL} "Dos"@es <{H}> .
<{X}e2> <{F}buyer> <{X}body/0> <{H}> .
<{X}a3> <{F}amountOf> <{X}e5> <{H}> .
<{X}a3> <{F}date> "2011-02-03"^^<{XSD}date> <{H}> .
"""


@pytest.mark.parametrize("from_files, block", [(True, None), (True, 50), (False, None)],
                         ids=["mapped files", "mapped files read in small blocks", "queries"])
def test_graph_by_graph_reading_gives_what_whole_store_queries_give(tmp_path, monkeypatch, from_files, block):
    if block:
        monkeypatch.setattr(search_facts, "_CHUNK", block)  # lines cut across blocks
    tx = Transaction(ox.Store(), tmp_path)
    for graph, text in ((G, TRICKY), (H, OTHER)):
        path = tmp_path / (graph.rsplit("/", 1)[-1] + ".nq")
        path.write_text(text, encoding="utf-8")
        tx.replace_graph(graph, path)
    assert set(tx.loaded) == {G, H}
    if not from_files:
        tx.loaded.clear()  # as for a graph loaded otherwise (vocabulary, provenance, an update)
    facts = search_facts.Facts()
    members = {graph: search_facts.read_graph(tx, graph, facts) for graph in (G, H)}
    expected_entries, expected_members = by_queries(tx._store)
    assert members == expected_members
    assert {iri: search._entry(*row) for iri, row in facts.entries().items()} == expected_entries
    assert expected_entries[f"{X}e1"]["year"] == 2017 and expected_entries[f"{X}e2"]["agency"] == f"{X}body/0"
    assert f"{X}eé" in expected_entries and f"{X}e4" in expected_entries
    assert expected_entries[f"{X}e5"]["agency"] is None  # one of its agencies is a blank node


def test_fold_is_the_same_character_by_character():
    # what fold() documents: case folded, decomposed, combining marks dropped, other runs as one space
    assert search.fold("Secretaría  de FINANZAS") == "secretaria de finanzas"
    assert search.fold("ﬁnanzas — Straße Ǆ") == "finanzas strasse dz"
    assert search.fold("Ñandú, Œuvre; İstanbul") == "nandu uvre istanbul"
