"""The SPARQL endpoint over HTTP: methods, content negotiation, datasets, errors, CORS."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
import rdflib
from conftest import BASE

ASK_BANORTE = f"ASK {{ <{BASE}id/debt/ZAC-2017-BANORTE> a <https://w3id.org/ftm-graph/fiscal#DebtObligation> }}"
SELECT_LENDERS = """PREFIX fis: <https://w3id.org/ftm-graph/fiscal#>
SELECT ?loan ?lender WHERE { ?loan fis:lender ?lender } ORDER BY ?loan"""
CONSTRUCT_LENDERS = """PREFIX fis: <https://w3id.org/ftm-graph/fiscal#>
CONSTRUCT { ?loan fis:lender ?lender } WHERE { ?loan fis:lender ?lender }"""
SPORT_GRAPH = f"{BASE}graph/sport"
SRJ = "application/sparql-results+json"


def lenders(body: bytes) -> set[tuple[str, str]]:
    rows = json.loads(body)["results"]["bindings"]
    return {(r["loan"]["value"], r["lender"]["value"]) for r in rows}


EXPECTED_LENDERS = {
    (f"{BASE}id/debt/ZAC-2011-BANORTE", f"{BASE}id/bank/banorte"),
    (f"{BASE}id/debt/ZAC-2017-BANOBRAS", f"{BASE}id/bank/banobras"),
    (f"{BASE}id/debt/ZAC-2017-BANORTE", f"{BASE}id/bank/banorte"),
}


def test_get_select_defaults_to_sparql_json(client):
    r = client.get("/sparql", params={"query": SELECT_LENDERS})
    assert r.status_code == 200
    assert r.headers["content-type"] == f"{SRJ}; charset=utf-8"
    assert lenders(r.content) == EXPECTED_LENDERS


def test_post_form_encoded(client):
    r = client.post("/sparql", data={"query": SELECT_LENDERS}, headers={"Accept": SRJ})
    assert r.status_code == 200
    assert lenders(r.content) == EXPECTED_LENDERS


def test_post_sparql_query_body(client):
    r = client.post("/sparql", content=ASK_BANORTE.encode(),
                    headers={"Content-Type": "application/sparql-query", "Accept": SRJ})
    assert r.status_code == 200
    assert json.loads(r.content) == {"head": {}, "boolean": True}


def test_post_other_content_type_is_415(client):
    r = client.post("/sparql", content=b"{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 415


@pytest.mark.parametrize(
    "accept, expected",
    [
        ("text/csv", "text/csv"),
        ("text/tab-separated-values", "text/tab-separated-values"),
        ("application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv;q=0.4, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        ("application/sparql-results+xml;q=0.1, text/*;q=0.5", "text/csv"),
        ("*/*", SRJ),
        ("", SRJ),
    ],
)
def test_select_content_negotiation(client, accept, expected):
    r = client.get("/sparql", params={"query": SELECT_LENDERS}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == expected


def test_select_as_csv_parses(client):
    r = client.get("/sparql", params={"query": SELECT_LENDERS}, headers={"Accept": "text/csv"})
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {(row["loan"], row["lender"]) for row in rows} == EXPECTED_LENDERS


def test_select_as_xml_parses(client):
    r = client.get("/sparql", params={"query": SELECT_LENDERS, "format": "xml"})
    ns = {"s": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(r.content)
    assert len(root.findall(".//s:result", ns)) == len(EXPECTED_LENDERS)


def test_nothing_acceptable_is_406(client):
    r = client.get("/sparql", params={"query": SELECT_LENDERS}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    r = client.get("/sparql", params={"query": CONSTRUCT_LENDERS}, headers={"Accept": "text/csv"})
    assert r.status_code == 406


@pytest.mark.parametrize(
    "accept, rdflib_format",
    [("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
     ("application/rdf+xml", "xml"), ("*/*", "turtle")],
)
def test_construct_formats_parse_back(client, accept, rdflib_format):
    r = client.get("/sparql", params={"query": CONSTRUCT_LENDERS}, headers={"Accept": accept})
    assert r.status_code == 200
    graph = rdflib.Graph().parse(data=r.content, format=rdflib_format)
    lender = rdflib.URIRef("https://w3id.org/ftm-graph/fiscal#lender")
    assert {(str(s), str(o)) for s, o in graph.subject_objects(lender)} == EXPECTED_LENDERS


def test_format_parameter_overrides_accept(client):
    r = client.get("/sparql", params={"query": CONSTRUCT_LENDERS, "format": "nt"}, headers={"Accept": "text/turtle"})
    assert r.headers["content-type"].startswith("application/n-triples")


def test_default_graph_uri_restricts_the_dataset(client):
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?loan <https://w3id.org/ftm-graph/fiscal#lender> ?lender }"
    everywhere = client.get("/sparql", params={"query": query})
    only_sport = client.get("/sparql", params={"query": query, "default-graph-uri": SPORT_GRAPH})
    count = lambda r: int(json.loads(r.content)["results"]["bindings"][0]["n"]["value"])  # noqa: E731
    assert count(everywhere) == 3
    assert count(only_sport) == 0


def test_named_graph_uri_limits_graph_patterns(client):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    r = client.get("/sparql", params={"query": query, "named-graph-uri": SPORT_GRAPH})
    graphs = {b["g"]["value"] for b in json.loads(r.content)["results"]["bindings"]}
    assert graphs == {SPORT_GRAPH}


def test_syntax_error_is_400_with_position(client):
    r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert r.status_code == 400
    assert "1:" in r.text and "SPARQL" in r.text


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"params": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}},
        {"params": {"query": "PREFIX x: <urn:x#>\nDELETE WHERE { ?s ?p ?o }"}},
        {"data": {"update": "CLEAR ALL"}},
    ],
)
def test_updates_are_refused(client, request_kwargs):
    method = client.post if "data" in request_kwargs else client.get
    r = method("/sparql", **request_kwargs)
    assert r.status_code == 403
    assert "read-only" in r.text
    still_there = client.get("/sparql", params={"query": ASK_BANORTE})
    assert json.loads(still_there.content)["boolean"] is True


def test_sparql_update_body_is_refused(client):
    r = client.post("/sparql", content=b"CLEAR ALL", headers={"Content-Type": "application/sparql-update"})
    assert r.status_code == 403


def test_query_and_update_together_is_400(client):
    r = client.post("/sparql", data={"query": ASK_BANORTE, "update": "CLEAR ALL"})
    assert r.status_code == 400


def test_missing_query_for_a_program_is_400(client):
    r = client.get("/sparql", headers={"Accept": SRJ})
    assert r.status_code == 400


def test_missing_query_in_a_browser_shows_the_form(client):
    r = client.get("/sparql", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "<form" in r.text


def test_cors_headers(client):
    r = client.get("/sparql", params={"query": ASK_BANORTE}, headers={"Origin": "https://example.org"})
    assert r.headers["access-control-allow-origin"] == "*"
    preflight = client.options(
        "/sparql",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "content-type"},
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_browser_gets_an_html_results_table(client):
    from bs4 import BeautifulSoup

    r = client.get("/sparql", params={"query": SELECT_LENDERS},
                   headers={"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"})
    assert r.headers["content-type"].startswith("text/html")
    soup = BeautifulSoup(r.text, "html.parser")
    assert [th.get_text() for th in soup.select("table.results th")] == ["loan", "lender"]
    links = {(tr.select("a")[0]["href"], tr.select("a")[1]["href"]) for tr in soup.select("table.results tbody tr")}
    assert links == {(s.removeprefix(BASE[:-1]), o.removeprefix(BASE[:-1])) for s, o in EXPECTED_LENDERS}
    assert soup.select_one("textarea#query").get_text() == SELECT_LENDERS


def test_query_page_lists_saved_queries_and_prefills_one(client):
    from bs4 import BeautifulSoup

    r = client.get("/sparql", params={"example": "refinancing_links"}, headers={"Accept": "text/html"})
    soup = BeautifulSoup(r.text, "html.parser")
    titles = [li.strong.get_text() for li in soup.select("li.saved-query")]
    assert "¿Qué crédito refinanció a cuál?" in titles and len(titles) >= 7
    assert "fis:refinances" in soup.select_one("textarea#query").get_text()


# The SERVICE allow-list, without a server (tests/test_endpoint_http.py checks it over HTTP) ----------

from ftm_graph import federation  # noqa: E402


@pytest.mark.parametrize("query, targets", [
    ("SELECT * WHERE { ?s ?p ?o }", []),
    ("SELECT * WHERE { SERVICE <http://a.example/sparql> { ?s ?p ?o } }", ["http://a.example/sparql"]),
    ("PREFIX x: <http://a.example/>\nSELECT * WHERE { SERVICE SILENT x:q { ?s ?p ?o } }", ["http://a.example/q"]),
    ("BASE <http://b.example/>\nSELECT * WHERE { SERVICE <sparql> { ?s ?p ?o } }", ["http://b.example/sparql"]),
    ("SELECT * WHERE { SERVICE ?where { ?s ?p ?o } }", ["?where"]),
    ("SELECT * WHERE { ?s ?p ?o FILTER NOT EXISTS { SERVICE <http://c.example/> { ?s ?p ?o } } }",
     ["http://c.example/"]),
    ("SELECT * WHERE { { SELECT ?s WHERE { SERVICE <http://d.example/> { ?s ?p ?o } } } }", ["http://d.example/"]),
    ("# a SERVICE in a comment only\nSELECT * WHERE { ?s ?p \"service\" }", []),
])
def test_service_targets_are_found_with_a_real_parser(query, targets):
    assert sorted(federation.service_targets(query)) == sorted(targets)


@pytest.mark.parametrize("url, private", [
    ("http://127.0.0.1:7878/query", True), ("http://localhost/sparql", True), ("http://[::1]/q", True),
    ("http://10.1.2.3/q", True), ("http://192.168.0.9/q", True), ("http://169.254.169.254/latest", True),
    ("http://printer.local/q", True), ("https://query.wikidata.org/sparql", False), ("http://8.8.8.8/q", False),
])
def test_private_addresses(url, private):
    assert federation.is_private(url) is private


def test_allow_list_compares_normalised_urls():
    allow = ("HTTPS://Query.Wikidata.org:443/sparql",)
    federation.check("SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> { ?s ?p ?o } }", allow)
    with pytest.raises(federation.FederationRefused, match="allow-list"):
        federation.check("SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql2> { ?s ?p ?o } }", allow)
    with pytest.raises(federation.FederationRefused, match="private"):
        federation.check("SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }", allow)
    with pytest.raises(federation.FederationRefused, match="could not be checked"):
        federation.check("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ", allow)


def test_refused_service_over_the_endpoint_is_403(client):
    r = client.get("/sparql", params={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }"})
    assert r.status_code == 403 and "SERVICE" in r.text


def test_service_description_by_content_negotiation(client):
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200 and r.headers["content-type"] == "text/turtle; charset=utf-8"
    graph = rdflib.Graph().parse(data=r.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, rdflib.RDF.type, sd.Service) in graph
    assert (None, sd.resultFormat, rdflib.URIRef("http://www.w3.org/ns/formats/SPARQL_Results_CSV")) in graph


def test_results_say_whether_they_were_cut(client):
    r = client.get("/sparql", params={"query": SELECT_LENDERS})
    assert r.headers["x-ftm-truncated"] == "false" and r.headers["x-ftm-rows"] == "3"


def test_saved_query_at_its_stable_address(client):
    r = client.get("/sparql/queries/refinancing_links", params={"format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert f"{BASE}id/debt/ZAC-2011-BANORTE" in r.text


# Anchored lookups answered in the web process (sparql_fast.py) and the worker's serialiser -----------------

LOAN = f"{BASE}id/debt/ZAC-2017-BANORTE"
DESCRIBE_LOAN = f"SELECT ?p ?o WHERE {{ <{LOAN}> ?p ?o }}"


def pairs(body: bytes) -> list[tuple[str, str]]:
    return sorted((r["p"]["value"], r["o"]["value"]) for r in json.loads(body)["results"]["bindings"])


@pytest.mark.parametrize("query, inline", [
    (DESCRIBE_LOAN, True),
    (f"PREFIX fis: <https://w3id.org/ftm-graph/fiscal#>\nselect * where {{ ?loan fis:lender <{BASE}id/bank/banorte> . }} LIMIT 5", True),
    (f"SELECT ?t {{ <{LOAN}> a ?t }}", True),
    (f"SELECT ?p WHERE {{ <{LOAN}> ?p ?p }}", False),  # a repeated variable filters: the scan may run on
    (f"SELECT DISTINCT ?p WHERE {{ <{LOAN}> ?p ?o }}", False),
    (f"SELECT ?p ?o WHERE {{ <{LOAN}> ?p ?o }} OFFSET 1000000", False),
    (f"SELECT ?p ?o WHERE {{ <{LOAN}> ?p ?o FILTER(?o = 1) }}", False),
    (f"SELECT ?p ?o WHERE {{ <{LOAN}> ?p ?o }} ORDER BY ?o", False),
    (f"SELECT ?p ?o WHERE {{ <{LOAN}> ?p ?o . ?o ?q ?r }}", False),
    (f"SELECT ?p ?o WHERE {{ GRAPH ?g {{ <{LOAN}> ?p ?o }} }}", False),
    (f"SELECT ?p ?o WHERE {{ <{LOAN}> ?p ?o }} # a comment", False),
    ("SELECT * WHERE { ?s ?p ?o }", False),  # nothing anchors the scan
    (f"SELECT ?x WHERE {{ <{LOAN}> ?p ?o }}", False),  # ?x is not in the pattern
    (f"SELECT ?p ?o WHERE {{ SERVICE <http://127.0.0.1:1/> {{ <{LOAN}> ?p ?o }} }}", False),
    (f"ASK {{ <{LOAN}> ?p ?o }}", False),
])
def test_only_a_single_anchored_pattern_is_answered_in_the_web_process(query, inline):
    from ftm_graph.sparql_fast import is_anchored_lookup

    assert is_anchored_lookup(query) is inline


def test_an_inline_lookup_answers_as_a_worker_does(client, store):
    """The same lookup through both paths (OFFSET 0 sends it to a worker): same rows, headers and log."""
    inline = client.get("/sparql", params={"query": DESCRIBE_LOAN}, headers={"Origin": "https://yasgui.example"})
    worker = client.get("/sparql", params={"query": DESCRIBE_LOAN + " OFFSET 0"},
                        headers={"Origin": "https://yasgui.example"})
    expected = sorted((s["p"].value, s["o"].value) for s in store.query(DESCRIBE_LOAN))  # pyoxigraph itself
    assert inline.status_code == worker.status_code == 200
    assert pairs(inline.content) == pairs(worker.content) == expected and len(expected) > 5
    for name in ("content-type", "vary", "x-ftm-truncated", "x-ftm-rows", "access-control-allow-origin"):
        assert inline.headers[name] == worker.headers[name], name
    assert inline.headers["x-ftm-rows"] == str(len(expected))
    assert "server-timing" in inline.headers


@pytest.mark.parametrize("query", [DESCRIBE_LOAN, DESCRIBE_LOAN + " OFFSET 0", SELECT_LENDERS])
def test_the_row_cap_cuts_inline_and_worker_answers_alike(settings, store, query):
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from ftm_graph.app import create_app

    with TestClient(create_app(replace(settings, max_rows=2), store)) as capped:
        r = capped.get("/sparql", params={"query": query})
    assert r.status_code == 200
    body = json.loads(r.content)
    assert len(body["results"]["bindings"]) == 2 and body["head"]["link"] == ["/sparql#row-limit"]
    assert r.headers["x-ftm-truncated"] == "true" and r.headers["x-ftm-rows"] == "2"
    assert 'rel="describedby"' in r.headers["link"]


@pytest.mark.parametrize("query", [DESCRIBE_LOAN, SELECT_LENDERS])
def test_inline_lookups_in_other_formats_go_to_a_worker(client, query):
    r = client.get("/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert len(list(csv.reader(io.StringIO(r.text)))) > 2


def test_a_result_past_the_serialiser_budget_is_capped_in_python_alike(store, monkeypatch):
    """Past RUST_JSON_BUDGET the worker runs the query again through the Python path: same answer."""
    from ftm_graph import query_pool
    from ftm_graph.query_pool import Request, evaluate

    def answer(max_rows):
        return evaluate(store, Request(SELECT_LENDERS, [], [], SRJ, None, max_rows))

    whole, cut = answer(100), answer(2)
    monkeypatch.setattr(query_pool, "RUST_JSON_BUDGET", 50)
    whole_python, cut_python = answer(100), answer(2)
    assert lenders(whole.body) == lenders(whole_python.body) == EXPECTED_LENDERS
    assert (whole.rows, whole.truncated) == (whole_python.rows, whole_python.truncated) == (3, False)
    assert json.loads(cut.body) == json.loads(cut_python.body)
    assert (cut.rows, cut.truncated) == (cut_python.rows, cut_python.truncated) == (2, True)


def test_the_async_pool_keeps_its_guarantees(store_path):
    """run_async: the time limit kills the worker, a busy pool says so, and a call whose request went away
    (task cancelled) still hands its worker back or has it replaced at the limit: the pool never shrinks."""
    import asyncio

    from ftm_graph.query_pool import PoolBusy, QueryPool, QueryTimeout, Request

    cross = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"

    def req(text):
        return Request(text, [], [], SRJ, None, 100)

    async def scenario(pool):
        with pytest.raises(QueryTimeout):
            await pool.run_async(req(cross), timeout=1)
        slow = asyncio.ensure_future(pool.run_async(req(cross), timeout=1.5))
        await asyncio.sleep(0.2)
        with pytest.raises(PoolBusy):  # the only worker is busy past this call's limit
            await pool.run_async(req("ASK {}"), timeout=0.3)
        slow.cancel()  # the request went away; its worker is still stopped at its limit and replaced
        answer = await pool.run_async(req(SELECT_LENDERS), timeout=30)
        assert answer.status == 200 and lenders(answer.body) == EXPECTED_LENDERS
        return len(pool._all)

    pool = QueryPool(str(store_path), size=1, timeout=30).start()
    try:
        assert asyncio.run(scenario(pool)) == 1
    finally:
        pool.close()
