"""A federated query against a real second SPARQL endpoint: `oxigraph serve-read-only` on 127.0.0.1.

The second endpoint holds "another body's" graph (tests/data/other_body.ttl:
illustrative audit figures about our IRIs). The saved query
sparql_queries/federated_other_body_figures.rq names its endpoint on the
SERVICE line and in a ``# service:`` header; the tests put the port they
started the server on in its place, as a user puts the address of the body
they want to ask.
"""

import re
import warnings
from pathlib import Path

import httpx
import pytest
from conftest import BASE, DATA, free_port, oxigraph_server

from ftm_graph import formats
from ftm_graph.app import create_app
from ftm_graph.config import Settings
from ftm_graph.endpoint import load_queries

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.slow

QUERIES = Path(__file__).parent.parent / "sparql_queries"
NAME = "federated_other_body_figures"
#: What the join must give, read off tests/data/other_body.ttl and tests/data/web.trig:
#: our entity, its Spanish label in our graph, the other body's figure and the title of its source.
JOINED = {
    (f"{BASE}id/body/zac/60",
     "Instituto de Seguridad y Servicios Sociales de los Trabajadores del Estado de Zacatecas (ISSSTEZAC)",
     "987000000", "Auditoría de la deuda pública de Zacatecas, Cuenta Pública 2018 (ilustrativo)"),
    (f"{BASE}id/debt/ZAC-2017-BANOBRAS", "Crédito de refinanciamiento Banobras 2017", "2731500000",
     "Auditoría de la deuda pública de Zacatecas, Cuenta Pública 2018 (ilustrativo)"),
}




@pytest.fixture(scope="module")
def other_body(tmp_path_factory):
    """The query URL of a real Oxigraph server holding tests/data/other_body.ttl."""
    with oxigraph_server(tmp_path_factory.mktemp("other-body"), DATA / "other_body.ttl") as url:
        yield url


def saved_query(endpoint: str) -> str:
    """The saved federated query, pointed at `endpoint` in place of the one its ``# service:`` header names."""
    text = load_queries(QUERIES)[NAME].text
    documented = re.search(r"^#\s*service:\s*(\S+)\s*$", text, flags=re.M).group(1)
    assert f"SERVICE SILENT <{documented}>" in text, "the header must name the endpoint the SERVICE line calls"
    return text.replace(documented, endpoint)


def joined(rows, value=lambda cell: cell.value) -> set[tuple]:
    """The rows where the other body's figure is bound, as (entity, label, figure, source title)."""
    return {tuple(value(row[k]) if row.get(k) is not None else None
                  for k in ("entity", "entityLabel", "theirValue", "theirSourceTitle"))
            for row in rows if row.get("theirValue") is not None}


def test_the_other_endpoint_is_independent_and_holds_the_other_body(other_body):
    r = httpx.get(other_body, params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"},
                  headers={"Accept": "application/sparql-results+json"}, timeout=10)
    assert r.json()["results"]["bindings"][0]["n"]["value"] == "26"  # the triples of other_body.ttl


def test_saved_federated_query_joins_our_graph_with_the_other_body(store, other_body):
    rows = formats.solutions(store.query(saved_query(other_body)))
    assert joined(rows) == JOINED  # and so not the other body's figure about another state's loan
    figures = {(row["entity"].value, row["measure"].value) for row in rows if row.get("theirValue") is not None}
    assert (f"{BASE}id/debt/ZAC-2017-BANOBRAS", "https://w3id.org/ftm-graph/code/measure/balance") in figures


def test_with_the_other_endpoint_down_our_side_still_answers(store):
    rows = formats.solutions(store.query(saved_query(f"http://127.0.0.1:{free_port()}/query")))
    assert rows and not joined(rows)
    assert f"{BASE}id/debt/ZAC-2017-BANOBRAS" in {row["entity"].value for row in rows}


def test_saved_federated_query_through_our_sparql_endpoint_when_allowed(settings, store, other_body):
    query = saved_query(other_body)
    allowed = Settings(store=settings.store, base_uri=BASE, query_workers=1, federation_allow=(other_body,))
    with TestClient(create_app(allowed, store)) as client:
        r = client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
    assert r.status_code == 200, r.text
    bindings = r.json()["results"]["bindings"]
    assert joined(bindings, value=lambda cell: cell["value"]) == JOINED


def test_saved_federated_query_is_refused_when_the_endpoint_is_not_allowed(settings, store, other_body):
    refusing = Settings(store=settings.store, base_uri=BASE, query_workers=1, federation_allow=())
    with TestClient(create_app(refusing, store)) as client:
        r = client.get("/sparql", params={"query": saved_query(other_body)})
    assert r.status_code == 403, r.text
    assert other_body in r.text or "SERVICE" in r.text


def test_an_allowed_endpoint_cannot_redirect_a_service_call_elsewhere(settings, store):
    """The allow-list is checked on the query text; pyoxigraph's HTTP client must not then follow a redirect
    from an allowed endpoint to a target that is not allowed (here a listening loopback server)."""
    import http.server
    import threading

    hits = []

    class Target(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = b'{"head":{"vars":["o"]},"results":{"bindings":[{"o":{"type":"literal","value":"secreto"}}]}}'
            self.send_response(200)
            self.send_header("Content-Type", "application/sparql-results+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    target = http.server.HTTPServer(("127.0.0.1", 0), Target)

    class Redirect(Target):
        def do_GET(self):
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{target.server_address[1]}/private")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_GET

    redirect = http.server.HTTPServer(("127.0.0.1", 0), Redirect)
    for server in (target, redirect):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    allowed_url = f"http://127.0.0.1:{redirect.server_address[1]}/sparql"
    try:
        allowed = Settings(store=settings.store, base_uri=BASE, query_workers=1, federation_allow=(allowed_url,))
        with TestClient(create_app(allowed, store)) as client:
            r = client.get("/sparql", params={"query": f"SELECT ?o WHERE {{ SERVICE <{allowed_url}> {{ ?s ?p ?o }} }}"},
                           headers={"Accept": "application/sparql-results+json"})
    finally:
        for server in (target, redirect):
            server.shutdown()
            server.server_close()
    assert hits == []  # the redirect target was never asked
    assert "secreto" not in r.text
    assert r.status_code >= 400, r.text
