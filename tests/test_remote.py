"""The service on a remote SPARQL server: a real, writable `oxigraph serve` started by the tests.

The bundled sample is ingested into it through the command line, then pages,
the SPARQL endpoint, VoID/DCAT and the dumps are compared with the same
sample in the embedded store; writes are checked to switch atomically (a
failed one changes nothing, readers never see half of one). The rest of the
suite's sample-based modules run on a remote store too with
``FTM_GRAPH_TEST_STORE=remote`` (see the Makefile).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from bs4 import BeautifulSoup
from conftest import BASE, free_port, oxigraph_writable, stop, wait_for
from fastapi.testclient import TestClient

from ftm_graph.app import create_app
from ftm_graph.config import Settings
from ftm_graph.ingest import map_file
from ftm_graph.mapping import load_mappings
from ftm_graph.remote import STAGING, RemoteSpec, RemoteStore
from ftm_graph.sources import graph_for, ingest, read_sidecar, sample_files
from ftm_graph.store import Store, create_store

pytestmark = pytest.mark.slow

FIS = "https://w3id.org/ftm-graph/fiscal#"
#: What every ingest stamps anew (so it differs between two ingests of the same files).
VOLATILE = {"http://www.w3.org/ns/prov#generatedAtTime", "http://purl.org/dc/terms/modified",
            "http://purl.org/dc/terms/issued"}
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LOOKUP = f"SELECT ?lender WHERE {{ <{BASE}id/debt/ZAC-2017-BANORTE> <{FIS}lender> ?lender }}"
ENV = {k: v for k, v in os.environ.items() if not k.startswith("FTM_GRAPH_")}


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run the real `ftm-graph` command."""
    done = subprocess.run([sys.executable, "-m", "ftm_graph.cli", *args], capture_output=True, text=True, env=ENV,
                          timeout=300)
    if check:
        assert done.returncode == 0, done.stderr
    return done


def remote_args(server) -> list[str]:
    return ["--store", server.url, "--state-dir", str(server.state)]


def fresh_server(tmp_path_factory, name: str):
    """A started server (module-scoped fixtures below): its URL, state folder and an open RemoteStore factory."""
    folder = tmp_path_factory.mktemp(name)
    return folder, oxigraph_writable(folder)


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    """The bundled sample ingested into a real Oxigraph server through `ftm-graph ingest --store URL`."""
    folder, server = fresh_server(tmp_path_factory, "remote")
    with server as url:
        info = SimpleNamespace(url=url, state=folder / "state", folder=folder)
        done = cli("ingest", *remote_args(info), "--base-uri", BASE, *map(str, sample_files()))
        assert f"ingested {len(sample_files())} file(s) into {url}" in done.stderr
        yield info


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    """An empty server for tests that write."""
    folder, server = fresh_server(tmp_path_factory, "scratch")
    with server as url:
        yield SimpleNamespace(url=url, state=folder / "state", folder=folder)


def open_remote(server) -> RemoteStore:
    return RemoteStore(RemoteSpec(server.url, state_dir=str(server.state), base_uri=BASE), create=True)


@pytest.fixture(scope="module")
def embedded(tmp_path_factory) -> Store:
    """The same sample in the embedded store, to compare with."""
    path = create_store(tmp_path_factory.mktemp("embedded") / "store", BASE)
    ingest(Store(path), sample_files())
    return Store(path)


@pytest.fixture(scope="module")
def remote_client(remote):
    """The web app as `ftm-graph serve --store URL` builds it (create_app opens the store from the settings)."""
    settings = Settings(store=remote.url, state_dir=str(remote.state), base_uri=BASE, query_workers=1)
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def embedded_client(embedded):
    with TestClient(create_app(Settings(store=str(embedded.path), base_uri=BASE, query_workers=1), embedded)) as c:
        yield c


def all_quads(store: RemoteStore) -> set[tuple]:
    """Every quad on the server, the default graph, our control graph and any staging graph included."""
    rows = store.query("SELECT ?s ?p ?o ?g WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
    return {(r["s"], r["p"], r["o"], r["g"]) for r in rows}


def data_quads(store) -> set[ox.Quad]:
    """The named graphs' quads, as a dump writes them."""
    rows = store.query('SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(!STRSTARTS(STR(?g), "urn:")) }')
    return {ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows}


def comparable(quads) -> set:
    """Quads without blank nodes (their labels differ per load) and without ingest timestamps."""
    return {q for q in quads if not any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object))
            and q.predicate.value not in VOLATILE}


@lru_cache(maxsize=1)
def _mappings():
    return load_mappings()


def mapped(path: Path, tmp: Path) -> set[ox.Quad]:
    """The quads the mapping step writes for a source file (the sources' own output, not the store's)."""
    base_graph = graph_for(BASE, path)
    mapping = _mappings()[read_sidecar(path).mapping]
    out = tmp / (path.name + ".nq")
    with open(out, "w", encoding="utf-8") as f:
        map_file(path, mapping, base_uri=BASE, graph_iri=base_graph, out=f)
    return set(ox.parse(path=str(out), format=ox.RdfFormat.N_QUADS))


def default_is_the_merge(store: RemoteStore) -> bool:
    """The default graph holds exactly the triples of the data's named graphs."""
    default = {(r["s"], r["p"], r["o"]) for r in store.query("SELECT ?s ?p ?o WHERE { ?s ?p ?o }")}
    named = {(q.subject, q.predicate, q.object) for q in data_quads(store)}
    return default == named


def main_text(client, path: str, **params) -> str:
    r = client.get(path, params=params, headers={"Accept": "text/html"})
    assert r.status_code == 200, (path, r.status_code)
    return " ".join(BeautifulSoup(r.text, "html.parser").select_one("main").get_text(" ").split())


# Reading -----------------------------------------------------------------------------------------


def test_cli_ingest_publishes_every_graph_and_a_version(remote, embedded):
    store = open_remote(remote)
    assert store.named_graphs() == embedded.named_graphs()
    assert not [g for g in store.named_graphs() if g.startswith("urn:")]
    assert store.generation == 1 and store.base_uri == BASE
    assert (remote.state / "gen-000001" / "search.sqlite").is_file()
    assert (remote.state / "CURRENT").read_text().strip() == "gen-000001"
    assert default_is_the_merge(store)


@pytest.mark.parametrize("path, params", [
    ("/", {}),
    ("/id/debt/ZAC-2017-BANOBRAS", {}),  # a loan
    ("/id/bank/banobras", {}),  # a bank
    ("/id/body/ramo-16", {}),
    ("/search", {"q": "banobras"}),
    ("/sources", {}),
    ("/follow", {"from": "/id/bank/banobras",
                 "to": "/id/org/constructora-ejemplo-del-centro-s-a-de-c-v-ilustrativo"}),
])
def test_pages_read_the_same_on_both_stores(remote_client, embedded_client, path, params):
    remote_page, embedded_page = main_text(remote_client, path, **params), main_text(embedded_client, path, **params)
    # Ingest times differ between the two ingests; everything else is the same.
    stamp = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?\S*|\d{1,2} de \w+ de \d{4}")
    assert stamp.sub("…", remote_page) == stamp.sub("…", embedded_page)
    assert "BANOBRAS" in remote_page.upper() or path in ("/", "/sources", "/id/body/ramo-16")


def test_sparql_select_ask_construct(remote_client, embedded_client):
    def lenders(client):
        r = client.get("/sparql", params={"query": LOOKUP}, headers={"Accept": "application/sparql-results+json"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/sparql-results+json")
        return sorted(json.dumps(b, sort_keys=True) for b in r.json()["results"]["bindings"])

    assert lenders(remote_client) == lenders(embedded_client) and lenders(remote_client)
    for query, expected in ((f"ASK {{ ?s <{FIS}lender> <{BASE}id/bank/banobras> }}", True),
                            ("ASK { ?s ?p <urn:nothing> }", False)):
        r = remote_client.get("/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"})
        assert r.json()["boolean"] is expected
    construct = f"CONSTRUCT {{ ?loan <{FIS}lender> ?bank }} WHERE {{ ?loan <{FIS}lender> ?bank }}"
    graphs = []
    for client in (remote_client, embedded_client):
        r = client.get("/sparql", params={"query": construct}, headers={"Accept": "text/turtle"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")
        graphs.append(set(rdflib.Graph().parse(data=r.text, format="turtle")))
    assert graphs[0] == graphs[1] and len(graphs[0]) >= 6
    r = remote_client.get("/sparql", params={"query": "SELECT WHERE {"})
    assert r.status_code == 400


def test_results_are_capped_on_a_remote_store_too(remote):
    settings = Settings(store=remote.url, state_dir=str(remote.state), base_uri=BASE, query_workers=1, max_rows=7)
    with TestClient(create_app(settings)) as client:
        r = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p ?o }"},
                       headers={"Accept": "application/sparql-results+json"})
    assert len(r.json()["results"]["bindings"]) == 7 and r.headers["x-ftm-truncated"] == "true"


def test_time_limit_on_a_remote_store(remote, tmp_path):
    """`ftm-graph serve --store URL`: a runaway query is cut at the limit while a quick one is answered."""
    port, log = free_port(), tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "ftm_graph.cli", "serve", *remote_args(remote),
                                    "--port", str(port), "--query-timeout", "2"],
                                   env={**ENV, "FTM_GRAPH_QUERY_WORKERS": "2"}, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/sparql?query=ASK%7B%7D", process, log)
        with ThreadPoolExecutor(1) as pool:
            started = time.monotonic()
            slow = pool.submit(httpx.get, url + "/sparql", params={"query": CROSS_PRODUCT}, timeout=30)
            time.sleep(0.5)
            quick = httpx.get(url + "/sparql", params={"query": LOOKUP}, timeout=30)
            answer = slow.result()
            seconds = time.monotonic() - started
        assert quick.status_code == 200 and "banorte" in quick.text
        assert answer.status_code == 503 and "2 s" in answer.text
        assert 2 <= seconds < 5
        assert httpx.get(url + "/id/bank/banobras", timeout=30).status_code == 200
    finally:
        stop(process)


def test_void_and_dcat_describe_the_same_data(remote_client, embedded_client):
    def description(client, path):
        r = client.get(path, headers={"Accept": "text/turtle"})
        assert r.status_code == 200, path
        graph = rdflib.Graph().parse(data=r.text, format="turtle")
        return {t for t in graph if not isinstance(t[0], rdflib.BNode) and not isinstance(t[2], rdflib.BNode)
                and str(t[1]) not in VOLATILE and not str(t[1]).endswith(("#sha256", "#checksumValue", "byteSize"))}

    for path in ("/.well-known/void", "/catalog"):
        remote_side, embedded_side = description(remote_client, path), description(embedded_client, path)
        assert remote_side == embedded_side, path
        assert any(str(p).endswith("triples") for _s, p, _o in remote_side) or path == "/catalog"


def test_dump_round_trips(remote, embedded, tmp_path):
    """`ftm-graph dump --store URL` loads elsewhere as the same quads, each file's graph as its mapping wrote it."""
    cli("dump", *remote_args(remote), "-o", str(tmp_path / "all.nq"))
    fresh = ox.Store()
    fresh.bulk_load(path=str(tmp_path / "all.nq"), format=ox.RdfFormat.N_QUADS)
    dumped = set(fresh.quads_for_pattern(None, None, None))
    for path in sample_files():
        graph = ox.NamedNode(graph_for(BASE, path))
        assert {q for q in dumped if q.graph_name == graph} == mapped(path, tmp_path), path.name
    assert comparable(dumped) == comparable(data_quads(embedded))
    assert len(dumped) == len(data_quads(embedded))
    assert not [q for q in dumped if q.graph_name.value.startswith("urn:")]


def test_web_tier_reads_the_remote_store_only(remote_client):
    app = remote_client.app
    assert isinstance(app.state.store, RemoteStore)
    from ftm_graph.endpoint import pool

    assert isinstance(pool(app).path, RemoteSpec)


def test_unreachable_server_is_one_sentence_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}/query"
    done = cli("query", "--store", url, "ASK { }", check=False)
    assert done.returncode == 2
    assert url in done.stderr and "cannot be reached" in done.stderr and "Traceback" not in done.stderr


# Writing -----------------------------------------------------------------------------------------


def copy_source(name: str, folder: Path) -> Path:
    """A sample file and its sidecar, copied so that a test can change them."""
    source = next(p for p in sample_files() if p.name == name)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(source, folder / name)
    shutil.copy(source.with_name(name + ".source.yaml"), folder / (name + ".source.yaml"))
    return folder / name


def test_reingest_of_a_changed_file_replaces_only_its_graph(scratch, tmp_path):
    store = open_remote(scratch)
    agencies = copy_source("zacatecas_dependencias.csv", tmp_path / "v1")
    municipalities = copy_source("zacatecas_municipios.csv", tmp_path / "v1")
    ingest(store, [agencies, municipalities])
    before = data_quads(store)
    other = ox.NamedNode(graph_for(BASE, municipalities))
    lines = agencies.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = copy_source("zacatecas_dependencias.csv", tmp_path / "v2")
    changed.write_text("".join(lines[:-2]), encoding="utf-8")  # one agency fewer
    generation = store.generation
    ingest(store, [changed])
    after = data_quads(store)
    graph = ox.NamedNode(graph_for(BASE, changed))
    assert {q for q in after if q.graph_name == graph} == mapped(changed, tmp_path)
    assert {q for q in after if q.graph_name == graph} != {q for q in before if q.graph_name == graph}
    assert {q for q in after if q.graph_name == other} == {q for q in before if q.graph_name == other}
    assert default_is_the_merge(store)
    assert store.generation == generation + 1
    assert not [g for (_s, _p, _o, g) in all_quads(store) if g is not None and g.value.startswith(STAGING)]


def test_a_failed_write_leaves_the_remote_store_as_it_was(scratch, tmp_path):
    store = open_remote(scratch)
    if not store.named_graphs():
        ingest(store, [copy_source("zacatecas_municipios.csv", tmp_path)])
    before, generation = all_quads(store), store.generation

    # 1. An error raised inside the transaction, after graphs were staged.
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            tx.replace_graph(graph_for(BASE, Path("zacatecas_municipios.csv")), _one_quad(tmp_path))
            tx.load_text(f"<{BASE}id/x> <{FIS}y> \"z\" .\n", graph=f"{BASE}graph/meta")
            tx.clear_graph(f"{BASE}graph/ontology")
            raise RuntimeError("stop")
    assert all_quads(store) == before

    # 2. `ftm-graph load` whose second file is not valid Turtle: one sentence, nothing changed.
    good, bad = tmp_path / "good.ttl", tmp_path / "bad.ttl"
    good.write_text(f"<{BASE}id/a> <{FIS}b> \"c\" .\n")
    bad.write_text(f"<{BASE}id/a> <{FIS}b> \"c\n")
    done = cli("load", *remote_args(scratch), str(good), str(bad), check=False)
    assert done.returncode == 2 and "bad.ttl" in done.stderr and "Traceback" not in done.stderr
    assert all_quads(store) == before

    # 3. The server refuses a step half-way (a Graph Store URL that does not exist).
    wrong = scratch.url.removesuffix("/query") + "/no-such-store"
    done = cli("ingest", *remote_args(scratch), "--gsp-url", wrong, str(copy_source("zacatecas_dependencias.csv",
                                                                                    tmp_path / "w")), check=False)
    assert done.returncode == 2 and wrong in done.stderr and "Traceback" not in done.stderr
    assert all_quads(store) == before
    store.refresh(force=True)
    assert store.generation == generation
    assert not list(scratch.state.glob("gen-*.staging"))


def _one_quad(tmp_path: Path) -> Path:
    path = tmp_path / "one.nq"
    path.write_text(f"<{BASE}id/x> <{FIS}y> \"z\" <{graph_for(BASE, Path('zacatecas_municipios.csv'))}> .\n")
    return path


def test_staged_graphs_are_seen_by_the_transaction_only(scratch, tmp_path):
    store = open_remote(scratch)
    reader = open_remote(scratch)
    graph = f"{BASE}graph/staged-only"
    marker = f'ASK {{ <{BASE}id/staged> <{FIS}y> "z" }}'
    with store.transaction() as tx:
        tx.load_text(f"<{BASE}id/staged> <{FIS}y> \"z\" .\n", graph=graph)
        assert tx.query(marker) and tx.query(f'ASK {{ GRAPH <{graph}> {{ ?s ?p "z" }} }}')
        assert graph in {r["g"].value for r in tx.query("SELECT ?g WHERE { GRAPH ?g { } }")}
        assert graph in tx.touched
        assert not reader.query(marker)
        assert graph not in reader.named_graphs()
        assert not [g for g in reader.named_graphs() if g.startswith("urn:")]
    assert reader.query(marker) and graph in reader.named_graphs()
    assert reader.refresh(force=True) and reader.generation == store.generation
    with store.transaction() as tx:
        tx.clear_graph(graph)
        assert not tx.query(marker) and reader.query(marker)
    assert not reader.query(marker) and graph not in reader.named_graphs()
    assert default_is_the_merge(store)


WRITER = """
import sys
from pathlib import Path
from ftm_graph.remote import RemoteSpec, RemoteStore
from ftm_graph.sources import ingest

url, state, csv_path, rounds = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
store = RemoteStore(RemoteSpec(url, state_dir=state, base_uri="%s"), create=True)
for i in range(rounds):
    rows = 500 if i %% 2 == 0 else 1000
    with open(csv_path, "w", encoding="utf-8") as f:
        f.write("id_dependencia,nombre,acronimo\\n")
        for n in range(1, rows + 1):
            f.write(f"{n},Dependencia de prueba {n},DP{n}\\n")
    ingest(store, [csv_path], mapping_name="zacatecas_agencies")
    print(i, flush=True)
""" % BASE
COUNT = f"SELECT (COUNT(?s) AS ?n) WHERE {{ ?s <{FIS}adminKey> ?k }}"
NAMED_COUNT = (f"SELECT (COUNT(?s) AS ?n) WHERE {{ GRAPH ?g {{ ?s <{FIS}adminKey> ?k }} "
               f'FILTER(!STRSTARTS(STR(?g), "urn:x-ftm-graph:")) }}')


def test_readers_see_the_old_state_or_the_new_never_half(tmp_path_factory, tmp_path):
    """Another process ingests four times while this one queries in a loop: 0, 500 or 1000 agencies, no error."""
    folder, server = fresh_server(tmp_path_factory, "readers")
    with server as url:
        writer = subprocess.Popen([sys.executable, "-c", WRITER, url, str(folder / "state"),
                                   str(tmp_path / "dependencias.csv"), "4"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        reader = RemoteStore(RemoteSpec(url, state_dir=str(folder / "state"), base_uri=BASE), refresh_interval=0)
        seen, named, generations = [], [], set()
        deadline = time.monotonic() + 240
        while writer.poll() is None:
            assert time.monotonic() < deadline, "the ingests took too long"
            reader.refresh()
            generations.add(reader.generation)
            seen.append(int(next(iter(reader.query(COUNT)))["n"].value))
            named.append(int(next(iter(reader.query(NAMED_COUNT)))["n"].value))
            time.sleep(0.05)  # leave the (shared) cores to the writer and the server
        out, err = writer.communicate(timeout=30)
    assert writer.returncode == 0, err
    assert out.split() == [str(i) for i in range(4)]
    assert set(seen) <= {0, 500, 1000}, f"partial states seen: {sorted(set(seen) - {0, 500, 1000})}"
    assert set(named) <= {0, 500, 1000}, f"partial named graphs seen: {sorted(set(named) - {0, 500, 1000})}"
    assert len(generations) >= 3, "the reader should have followed several versions"
    assert len(seen) > 20
