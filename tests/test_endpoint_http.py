"""The SPARQL endpoint over real HTTP: `ftm-graph serve` (uvicorn) on 127.0.0.1, started by these tests.

Protocol cases, content negotiation, the Service Description, read-only
refusals, the time limit really stopping a cross product while other
requests still answer, the row cap, the SERVICE allow-list against a real
second endpoint (`oxigraph serve`), concurrency, the authenticated writes, and
every saved query's expected answer at its stable address.
"""

import json
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import rdflib
from conftest import BASE, DATA, free_port, oxigraph_server, stop, wait_for
from test_queries import FILES, check, read_expected, rows_of_csv

from ftm_graph.store import Store, create_store

pytestmark = pytest.mark.slow

TIMEOUT = 2  #: the query time limit the test server runs with, in seconds
MAX_ROWS = 500  #: the row cap the test server runs with
SRJ = "application/sparql-results+json"
FIS = "https://w3id.org/ftm-graph/fiscal#"
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LOOKUP = f"SELECT ?lender WHERE {{ <{BASE}id/debt/ZAC-2017-BANORTE> <{FIS}lender> ?lender }}"
TOKEN = "test-admin-token-1234"
PIDS: dict[str, int] = {}  #: base URL of a started server → its process id
LOGS: dict[str, Path] = {}  #: base URL of a started server → its log file




def serve(store: Path, log: Path, *options: str, env: dict | None = None):
    """Start `ftm-graph serve` on a free port; returns (process, base URL)."""
    port = free_port()
    command = [sys.executable, "-m", "ftm_graph.cli", "serve", "--store", str(store), "--port", str(port),
               "--query-timeout", str(TIMEOUT), "--max-rows", str(MAX_ROWS), *options]
    environ = {k: v for k, v in os.environ.items() if not k.startswith("FTM_GRAPH_")}
    environ["FTM_GRAPH_QUERY_WORKERS"] = "2"  # one can be stuck on a slow query while the other answers
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env={**environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/sparql?query=ASK%7B%7D", process, log)
    PIDS[url] = process.pid
    LOGS[url] = log
    return process, url


@pytest.fixture(scope="module")
def other_endpoint(tmp_path_factory):
    """A second, real SPARQL endpoint: `oxigraph serve` on 127.0.0.1 holding one triple."""
    folder = tmp_path_factory.mktemp("oxigraph")
    data = folder / "data.nt"
    data.write_text('<urn:ftm-test:thing> <urn:ftm-test:says> "hola desde otro servicio" .\n')
    with oxigraph_server(folder, data) as url:
        yield url


@pytest.fixture(scope="module")
def server(sample_store, other_endpoint, tmp_path_factory):
    """The service on the whole sample, with a short time limit, a small row cap and one allowed SERVICE."""
    log = tmp_path_factory.mktemp("serve") / "service.log"
    process, url = serve(sample_store.path, log, "--federation-allow", other_endpoint)
    try:
        yield url
    finally:
        stop(process)


def get(server, **kwargs):
    return httpx.get(server + "/sparql", timeout=30, **kwargs)


# Protocol ----------------------------------------------------------------------------------------


def test_get_post_form_and_post_body_answer_alike(server):
    by_get = get(server, params={"query": LOOKUP})
    by_form = httpx.post(server + "/sparql", data={"query": LOOKUP}, timeout=30)
    by_body = httpx.post(server + "/sparql", content=LOOKUP.encode(), timeout=30,
                         headers={"Content-Type": "application/sparql-query"})
    for r in (by_get, by_form, by_body):
        assert r.status_code == 200
        assert r.headers["content-type"] == f"{SRJ}; charset=utf-8"
        assert [b["lender"]["value"] for b in r.json()["results"]["bindings"]] == [f"{BASE}id/bank/banorte"]


@pytest.mark.parametrize("accept, media", [
    ("application/sparql-results+xml", "application/sparql-results+xml"),
    ("text/csv", "text/csv"),
    ("text/tab-separated-values;q=0.9, text/csv;q=0.5", "text/tab-separated-values"),
])
def test_select_content_negotiation(server, accept, media):
    r = get(server, params={"query": LOOKUP}, headers={"Accept": accept})
    assert r.status_code == 200
    assert r.headers["content-type"] == f"{media}; charset=utf-8"
    assert f"{BASE}id/bank/banorte" in r.text


@pytest.mark.parametrize("accept, rdflib_format", [
    ("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld"),
    ("application/rdf+xml", "xml"),
])
def test_construct_content_negotiation(server, accept, rdflib_format):
    query = f"CONSTRUCT {{ ?loan <{FIS}lender> ?bank }} WHERE {{ ?loan <{FIS}lender> ?bank }}"
    r = get(server, params={"query": query}, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(accept)
    graph = rdflib.Graph().parse(data=r.content, format=rdflib_format)
    assert len(graph) == 6  # the six loans of sample/zacatecas_deuda_obligaciones.csv, one lender each


def test_head_has_the_content_type_and_no_body(server):
    r = httpx.head(server + "/sparql", params={"query": LOOKUP}, headers={"Accept": "text/csv"}, timeout=30)
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content == b""


def test_default_graph_uri_restricts_the_dataset(server):
    query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?loan <{FIS}lender> ?bank }}"
    graph = f"{BASE}graph/incufidez-deporte-csv"
    everything = get(server, params={"query": query}).json()
    sport_only = get(server, params={"query": query, "default-graph-uri": graph}).json()
    assert everything["results"]["bindings"][0]["n"]["value"] == "6"
    assert sport_only["results"]["bindings"][0]["n"]["value"] == "0"


@pytest.mark.parametrize("kwargs, status, words", [
    ({"params": {"query": "SELECT * WHERE { ?s ?p }"}}, 400, "1:"),
    ({"params": [("query", LOOKUP), ("query", LOOKUP)]}, 400, "one query"),
    ({"params": {"query": "  "}}, 400, "empty"),
    ({"params": {"query": LOOKUP}, "headers": {"Accept": "image/png"}}, 406, "accepted"),
    ({"params": {"query": LOOKUP, "format": "pdf"}}, 406, "pdf"),
    ({"params": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, 403, "read-only"),
    ({"params": {"update": "CLEAR ALL"}}, 403, "read-only"),
], ids=["syntax", "two-queries", "empty", "406", "unknown-format", "update-as-query", "update-param"])
def test_bad_requests_get_a_clear_message(server, kwargs, status, words):
    r = get(server, **kwargs)
    assert r.status_code == status
    assert words in r.text
    assert r.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize("content_type, status", [
    ("application/json", 415), ("application/sparql-update", 403), ("", 415),
])
def test_post_body_media_types(server, content_type, status):
    r = httpx.post(server + "/sparql", content=b"CLEAR ALL", headers={"Content-Type": content_type}, timeout=30)
    assert r.status_code == status


def test_query_and_update_together_is_400(server):
    r = httpx.post(server + "/sparql", data={"query": LOOKUP, "update": "CLEAR ALL"}, timeout=30)
    assert r.status_code == 400


def test_public_service_has_no_write_endpoints(server):
    assert httpx.post(server + "/update", data={"update": "CLEAR ALL"}, timeout=30).status_code == 404
    assert httpx.put(server + "/store?graph=urn:x", content=b"", timeout=30).status_code == 404
    assert get(server, params={"query": LOOKUP}).json()["results"]["bindings"]


def test_cors(server):
    r = get(server, params={"query": LOOKUP}, headers={"Origin": "https://yasgui.example"})
    assert r.headers["access-control-allow-origin"] == "*"


# Service description -----------------------------------------------------------------------------

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")


@pytest.mark.parametrize("accept, rdflib_format", [
    ("text/turtle", "turtle"), ("application/ld+json", "json-ld"), ("application/rdf+xml", "xml"),
])
def test_service_description(server, accept, rdflib_format):
    r = get(server, headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"] == f"{accept}; charset=utf-8"
    graph = rdflib.Graph().parse(data=r.content, format=rdflib_format)
    service = rdflib.URIRef(server + "/sparql")
    assert (service, rdflib.RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (service, SD.feature, SD.BasicFederatedQuery) in graph
    names = set(graph.objects(None, SD.name))
    assert rdflib.URIRef(f"{BASE}graph/incufidez-deporte-csv") in names
    comments = " ".join(str(c) for c in graph.objects(service, rdflib.RDFS.comment))
    assert str(MAX_ROWS) in comments and "X-FTM-Truncated" in comments


def test_browser_gets_the_editor(server):
    from bs4 import BeautifulSoup

    r = get(server, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    soup = BeautifulSoup(r.text, "html.parser")
    assert "PREFIX fis:" in soup.select_one("textarea#query").get_text()
    scripts = [s["src"] for s in soup.select("script[src]")]
    assert "/static/sparql-highlight.js" in scripts and "/static/query.js" in scripts
    for src in scripts:  # served by the service itself, no CDN
        assert src.startswith("/") and httpx.get(server + src, timeout=10).status_code == 200
    assert len(soup.select("li.saved-query")) >= 15
    assert soup.select_one("#row-limit")


def test_html_results_show_time_downloads_and_permalink(server):
    from bs4 import BeautifulSoup

    r = get(server, params={"query": LOOKUP, "format": "html"})
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.select_one(".took").get_text().endswith("ms")
    downloads = {a.get_text(): a["href"] for a in soup.select("a.download")}
    assert set(downloads) == {"CSV", "JSON"}
    assert httpx.get(server + downloads["CSV"], timeout=30).headers["content-type"].startswith("text/csv")
    permalink = httpx.get(server + soup.select_one("a.permalink")["href"], timeout=30)
    assert "/id/bank/banorte" in permalink.text
    assert [a["href"] for a in soup.select("table.results tbody a")] == ["/id/bank/banorte"]
    # the IRI is shown with its label (acreedor 'Banorte' in sample/zacatecas_deuda_obligaciones.csv)
    assert [a.get_text() for a in soup.select("table.results tbody a")] == ["Banorte"]


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed at /usr/bin/chromium")
def test_editor_in_a_real_browser(server):
    """Highlighting, a saved query loaded into the editor with one click, Ctrl+Enter runs it."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            page = browser.new_page()
            page.goto(server + "/sparql")
            assert page.locator(".editor.highlighting").count() == 1
            assert page.locator("#query-highlight .tok-keyword").first.inner_text() == "PREFIX"
            page.locator("li.saved-query[data-name=refinancing_links] a.load-query").click()
            page.wait_for_function("document.getElementById('query').value.includes('fis:refinances')")
            assert page.locator("#query-highlight .tok-var").count() > 0
            page.focus("#query")
            page.keyboard.press("Control+Enter")
            page.wait_for_selector("table.results tbody tr")
            assert page.locator("table.results tbody tr").count() == 8
            assert "format=html" in page.url
        finally:
            browser.close()


# Limits ------------------------------------------------------------------------------------------


def test_row_cap_is_visible_in_every_format(server):
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    r = get(server, params={"query": query})
    assert r.headers["x-ftm-truncated"] == "true"
    body = r.json()
    assert len(body["results"]["bindings"]) == MAX_ROWS
    assert body["head"]["link"] == ["/sparql#row-limit"]
    csv_answer = get(server, params={"query": query}, headers={"Accept": "text/csv"})
    assert csv_answer.headers["x-ftm-truncated"] == "true"
    assert len(csv_answer.text.strip().splitlines()) == MAX_ROWS + 1
    turtle = get(server, params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, headers={"Accept": "application/n-triples"})
    assert turtle.headers["x-ftm-truncated"] == "true"
    assert len(turtle.text.strip().splitlines()) == MAX_ROWS
    small = get(server, params={"query": LOOKUP})
    assert small.headers["x-ftm-truncated"] == "false"


def _worker_cpu(server_pid: int) -> dict[int, int]:
    """CPU ticks used so far by each query worker (children of the server process)."""
    ticks = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == server_pid and b"multiprocessing" in cmdline:
            ticks[int(stat.parent.name)] = int(fields[11]) + int(fields[12])
    return ticks


def test_time_limit_stops_a_cross_product_while_others_are_served(server):
    server_pid = PIDS[server]
    with ThreadPoolExecutor(2) as pool:
        started = time.monotonic()
        slow = pool.submit(get, server, params={"query": CROSS_PRODUCT})
        time.sleep(0.5)
        quick_started = time.monotonic()
        quick = get(server, params={"query": LOOKUP})
        quick_seconds = time.monotonic() - quick_started
        page = httpx.get(server + "/", timeout=30)
        answer = slow.result()
        slow_seconds = time.monotonic() - started
    assert quick.status_code == 200 and quick_seconds < 1.0, quick_seconds
    assert page.status_code == 200
    assert answer.status_code == 503
    assert "stopped" in answer.text and f"{TIMEOUT} s" in answer.text
    assert TIMEOUT <= slow_seconds < TIMEOUT + 3
    # The work really stopped: no query worker keeps burning CPU afterwards.
    before = _worker_cpu(server_pid)
    time.sleep(1.0)
    after = _worker_cpu(server_pid)
    busy = {p: after[p] - before[p] for p in after if p in before and after[p] - before[p] > 20}
    assert not busy, f"workers still computing after the time limit: {busy}"
    # And the service goes on answering, with a fresh worker in place of the killed one.
    assert get(server, params={"query": LOOKUP}).status_code == 200


def test_queries_are_logged_with_their_duration_but_not_their_text(server):
    marker = "texto-que-no-debe-quedar-en-el-registro"
    r = httpx.post(server + "/sparql", data={"query": f'ASK {{ ?s ?p "{marker}" }}'}, timeout=30)
    assert r.status_code == 200
    time.sleep(0.2)
    log = LOGS[server].read_text()
    lines = [line for line in log.splitlines() if "ftm_graph.sparql" in line]
    assert any(re.search(r"status=200 \d+\.\dms boolean", line) for line in lines), log[-1000:]
    assert marker not in log


def test_concurrent_requests_are_all_answered(server):
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: get(server, params={"query": LOOKUP}), range(16)))
    assert {r.status_code for r in answers} == {200}
    assert all(r.json()["results"]["bindings"] for r in answers)


# SERVICE allow-list ------------------------------------------------------------------------------


def test_service_on_the_allow_list_is_called(server, other_endpoint):
    query = f'SELECT ?said WHERE {{ SERVICE <{other_endpoint}> {{ <urn:ftm-test:thing> <urn:ftm-test:says> ?said }} }}'
    r = get(server, params={"query": query})
    assert r.status_code == 200, r.text
    assert [b["said"]["value"] for b in r.json()["results"]["bindings"]] == ["hola desde otro servicio"]


@pytest.fixture
def listener():
    """A TCP port nobody should connect to: the test checks afterwards that nobody did."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def _connected(sock) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


@pytest.mark.parametrize("target", [
    "http://127.0.0.1:{port}/sparql",  # loopback, not on the list
    "http://localhost:{port}/query",
    "?svc",  # a variable: only known while the query runs
    "http://169.254.169.254:{port}/latest",  # link-local (cloud metadata)
    "http://10.0.0.1:{port}/sparql",  # private
    "https://example.org/sparql",  # public but not on the list
])
def test_service_not_on_the_list_is_refused_before_connecting(server, listener, target):
    port = listener.getsockname()[1]
    target = target.format(port=port)
    pattern = f"SERVICE {target}" if target.startswith("?") else f"SERVICE <{target}>"
    binding = f"BIND(<http://127.0.0.1:{port}/sparql> AS ?svc) " if target == "?svc" else ""
    query = f"SELECT * WHERE {{ {binding}{pattern} {{ ?s ?p ?o }} }}"
    r = get(server, params={"query": query})
    assert r.status_code == 403, r.text
    assert "SERVICE" in r.text
    time.sleep(0.2)
    assert not _connected(listener)


def test_service_hidden_in_a_filter_or_prefixed_name_is_found(server, listener):
    port = listener.getsockname()[1]
    query = (f"PREFIX x: <http://127.0.0.1:{port}/>\n"
             "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE x:sparql { ?s ?p ?o } } } LIMIT 1")
    r = get(server, params={"query": query})
    assert r.status_code == 403
    escaped = f"SELECT * WHERE {{ \\u0053ERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}"
    assert get(server, params={"query": escaped}).status_code in (400, 403)
    time.sleep(0.2)
    assert not _connected(listener)


# Saved queries at their stable address ------------------------------------------------------------


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_saved_query_stable_url_gives_the_expected_answer(server, other_endpoint, path):
    columns, _, _ = read_expected(path.stem)
    r = httpx.get(f"{server}/sparql/queries/{path.stem}", params={"format": "csv"}, timeout=30)
    service = re.search(r"^#\s*service:\s*(\S+)", path.read_text(encoding="utf-8"), flags=re.M)
    if service and service.group(1) != other_endpoint:
        # A federated query whose endpoint is not on this server's allow-list is refused, not run.
        assert r.status_code == 403 and "SERVICE" in r.text
        return
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    check(path.stem, rows_of_csv(r.text, columns))


def test_saved_query_text_and_json(server):
    text = httpx.get(f"{server}/sparql/queries/refinancing_links.rq", timeout=10)
    assert text.headers["content-type"].startswith("application/sparql-query")
    assert "# title:" in text.text
    as_json = httpx.get(f"{server}/sparql/queries/refinancing_links", headers={"Accept": SRJ}, timeout=30)
    assert len(as_json.json()["results"]["bindings"]) == 8
    assert httpx.get(f"{server}/sparql/queries/no_such_query", timeout=10).status_code == 404


# Authenticated writes ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def admin_server(tmp_path_factory):
    """The service over a small store of its own, with an admin token."""
    folder = tmp_path_factory.mktemp("admin")
    path = create_store(folder / "store", BASE)
    with Store(path).transaction() as tx:
        tx.load_file(DATA / "web.trig")
    process, url = serve(path, folder / "service.log", env={"FTM_GRAPH_ADMIN_TOKEN": TOKEN})
    try:
        yield url, path
    finally:
        stop(process)
    assert TOKEN not in (folder / "service.log").read_text()


AUTH = {"Authorization": f"Bearer {TOKEN}"}


def ask(url: str, pattern: str) -> bool:
    return httpx.get(url + "/sparql", params={"query": f"ASK {{ {pattern} }}"}, timeout=30).json()["boolean"]


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_update_needs_the_token(admin_server, headers):
    url, _ = admin_server
    r = httpx.post(url + "/update", data={"update": "INSERT DATA { GRAPH <urn:g> { <urn:a> <urn:b> <urn:c> } }"},
                   headers=headers, timeout=30)
    assert r.status_code == 401
    assert not ask(url, "<urn:a> <urn:b> <urn:c>")


def test_update_writes_to_named_graphs_and_the_merged_default_graph(admin_server):
    url, path = admin_server
    graph = f"{BASE}graph/admin-test"
    both = (f'INSERT DATA {{ GRAPH <{graph}> {{ <urn:x> <urn:says> "uno" }} }} ;\n'
            'INSERT DATA { <urn:y> <urn:says> "dos" }')
    r = httpx.post(url + "/update", headers={**AUTH, "Content-Type": "application/sparql-update"}, timeout=30,
                   content=both.encode())
    assert r.status_code == 204, r.text
    assert ask(url, '<urn:x> <urn:says> "uno"'), "the default graph is the merge of the named graphs"
    assert ask(url, f'GRAPH <{graph}> {{ <urn:x> <urn:says> "uno" }}')
    assert ask(url, f'GRAPH <{BASE}graph/update> {{ <urn:y> <urn:says> "dos" }}'), "no GRAPH: graph/update"
    r = httpx.post(url + "/update", headers=AUTH, timeout=30,
                   data={"update": f"DELETE WHERE {{ GRAPH <{graph}> {{ <urn:x> ?p ?o }} }}"})
    assert r.status_code == 204
    assert not ask(url, "<urn:x> ?p ?o")
    assert ask(url, f"<{BASE}id/debt/ZAC-2017-BANORTE> ?p ?o"), "the rest of the data is still there"


def test_malformed_update_changes_nothing(admin_server):
    url, path = admin_server
    before = (path / "CURRENT").read_text()
    r = httpx.post(url + "/update", data={"update": "INSERT DATA { <urn:a> "}, headers=AUTH, timeout=30)
    assert r.status_code == 400 and "SPARQL" in r.text
    assert (path / "CURRENT").read_text() == before


def test_graph_store_protocol(admin_server):
    url, _ = admin_server
    graph = f"{BASE}graph/gsp-test"
    store = url + "/store"
    turtle = b'<urn:gsp:a> <urn:gsp:p> "uno" .'
    r = httpx.put(store, params={"graph": graph}, content=turtle, headers={**AUTH, "Content-Type": "text/turtle"},
                  timeout=30)
    assert r.status_code == 201, r.text
    r = httpx.post(store, params={"graph": graph}, content=b'<urn:gsp:a> <urn:gsp:p> "dos" .\n',
                   headers={**AUTH, "Content-Type": "application/n-triples"}, timeout=30)
    assert r.status_code == 204
    r = httpx.get(store, params={"graph": graph}, headers={**AUTH, "Accept": "application/n-triples"}, timeout=30)
    assert {str(o) for o in rdflib.Graph().parse(data=r.text, format="nt").objects()} == {"uno", "dos"}
    r = httpx.put(store, params={"graph": graph}, content=b"<urn:gsp:a> <urn:gsp:p> ",
                  headers={**AUTH, "Content-Type": "text/turtle"}, timeout=30)
    assert r.status_code == 400
    assert ask(url, '<urn:gsp:a> <urn:gsp:p> "dos"'), "a refused PUT leaves the graph as it was"
    r = httpx.put(store, params={"default": ""}, content=turtle, headers={**AUTH, "Content-Type": "text/turtle"},
                  timeout=30)
    assert r.status_code == 400
    assert httpx.delete(store, params={"graph": graph}, headers=AUTH, timeout=30).status_code == 204
    assert httpx.get(store, params={"graph": graph}, headers=AUTH, timeout=30).status_code == 404
    assert not ask(url, "<urn:gsp:a> ?p ?o")
    assert json.loads(httpx.get(url + "/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30).text)["boolean"]
