"""The `ftm-graph` command end to end: the bundled sample, every command, and bad input."""

import csv
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from conftest import free_port, stop, wait_for

from ftm_graph.cli import main
from ftm_graph.resources import data_dir
from ftm_graph.store import Store

BASE = "http://127.0.0.1:8000/"
FIS = "https://w3id.org/ftm-graph/fiscal#"
PREFIX = f"PREFIX fis: <{FIS}>\nPREFIX dct: <http://purl.org/dc/terms/>\nPREFIX prov: <http://www.w3.org/ns/prov#>\n"


def run(*args: str, check_rc: int | None = 0) -> subprocess.CompletedProcess:
    """Run the real command in a child process (as a user would), without warnings noise."""
    proc = subprocess.run([sys.executable, "-m", "ftm_graph.cli", *args], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if check_rc is not None:
        assert proc.returncode == check_rc, proc.stderr
    return proc


@pytest.fixture(scope="module")
def sample_store(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sample") / "store"
    assert main(["demo", "--no-serve", "--store", str(path)]) == 0
    return path


def test_demo_builds_every_sample_file_into_its_own_graph(sample_store):
    files = sorted(p for p in data_dir("sample").iterdir() if Path(str(p) + ".source.yaml").exists())
    assert len(files) >= 6
    with Store(sample_store) as store:
        rows = list(store.query(PREFIX + "SELECT ?g ?sha ?rows WHERE { GRAPH ?meta { ?g a fis:SourceFile ; "
                                         "fis:sha256 ?sha ; fis:rowCount ?rows } }"))
        graphs = set(store.named_graphs())
    assert len(rows) == len(files)
    assert {r["g"].value for r in rows} <= graphs
    assert all(int(r["rows"].value) > 0 for r in rows)
    by_sha = {r["sha"].value for r in rows}
    for f in files:
        assert hashlib.sha256(f.read_bytes()).hexdigest() in by_sha


def test_each_graph_description_counts_its_triples(sample_store):
    with Store(sample_store) as store:
        described = {r["g"].value: int(r["n"].value) for r in store.query(
            PREFIX + "PREFIX void: <http://rdfs.org/ns/void#> SELECT ?g ?n WHERE { ?g a fis:SourceFile ; void:triples ?n }")}
        for graph, n in described.items():
            held = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
            assert int(next(iter(held))["n"].value) == n, graph


def test_demo_is_idempotent(sample_store, tmp_path):
    copy = tmp_path / "store"
    shutil.copytree(sample_store, copy)
    with Store(copy) as s:
        generation = s.generation
    before = dump_lines(copy)
    proc = run("demo", "--no-serve", "--store", str(copy))
    assert "up to date" in proc.stderr
    with Store(copy) as s:
        assert s.generation == generation
    assert dump_lines(copy) == before


REPORTED = [
    # (value as reported in shared/data/zacatecas_facts.md, measure notation)
    ("2984007763", "balance"),
    ("740370927", "balance"),
    ("1141183333", "balance"),
    ("73711291", "balance"),
    ("4939273314", "balance"),
    ("7341701084", None),
    ("6714547977.25", "contracted-amount"),
    ("1055601576", "contributions-unpaid"),
    ("44555816845.32", "actuarial-deficit"),
    ("80563748", None),
    ("149327911.59", "requested"),
]


@pytest.mark.parametrize("value,measure", REPORTED)
def test_sample_holds_the_reported_figures_with_their_sources(sample_store, value, measure):
    with Store(sample_store) as store:
        rows = list(store.query(PREFIX + """
            SELECT ?measure ?url ?expected WHERE {
              ?a a fis:Amount ; fis:value ?v ; fis:measure ?measure ; prov:wasDerivedFrom ?row .
              ?row dct:source ?doc . ?doc fis:url ?url .
              FILTER(?v = ?expected)
            }""", substitutions={ox.Variable("expected"): ox.Literal(value, datatype=ox.NamedNode(
            "http://www.w3.org/2001/XMLSchema#decimal"))}))
    assert rows, f"no figure {value} with a source document"
    assert all(r["url"].value.startswith("http") for r in rows)
    if measure:
        assert any(r["measure"].value.endswith("/" + measure) for r in rows)


def test_refinancing_links_the_2017_loans_to_the_old_ones(sample_store):
    with Store(sample_store) as store:
        rows = list(store.query(PREFIX + "SELECT ?new ?old WHERE { ?new fis:refinances ?old }"))
    new = {r["new"].value.rsplit("/", 1)[1].lower() for r in rows}
    old = {r["old"].value.rsplit("/", 1)[1].lower() for r in rows}
    assert {"zac-2017-banobras", "zac-2017-banorte"} <= new
    assert len(old) >= 4


def test_illustrative_records_are_marked_and_apart(sample_store):
    with Store(sample_store) as store:
        marked = list(store.query(PREFIX + "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s fis:illustrative true } "
                                           "FILTER(?g != <" + BASE + "graph/meta>) }"))
        flagged = list(store.query(PREFIX + "SELECT ?g WHERE { ?g a fis:SourceFile ; fis:illustrative true }"))
    assert marked, "the sample has an illustrative trail"
    assert {r["g"].value for r in marked} == {r["g"].value for r in flagged}


def test_query_formats(sample_store):
    q = PREFIX + "SELECT ?s WHERE { ?s a fis:DebtObligation } ORDER BY ?s"
    out = run("query", "--store", str(sample_store), q).stdout
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["s"] and len(rows) >= 7
    data = json.loads(run("query", "--store", str(sample_store), "--format", "json", q).stdout)
    assert len(data["results"]["bindings"]) == len(rows) - 1
    ttl = run("query", "--store", str(sample_store),
              PREFIX + "CONSTRUCT { ?s a fis:DebtObligation } WHERE { ?s a fis:DebtObligation }").stdout
    assert len(rdflib.Graph().parse(data=ttl, format="turtle")) == len(rows) - 1


def test_query_from_a_saved_file(sample_store):
    query_file = data_dir("sparql_queries") / "loans_with_lender_amount_and_rate.rq"
    out = run("query", "--store", str(sample_store), str(query_file)).stdout
    assert len(out.splitlines()) >= 3


def test_dump_round_trips(sample_store, tmp_path):
    out = tmp_path / "all.nq"
    run("dump", "--store", str(sample_store), "-o", str(out))
    reloaded = ox.Store()
    reloaded.bulk_load(path=str(out), format=ox.RdfFormat.N_QUADS)
    lines = comparable(out.read_text(encoding="utf-8"))
    assert len(reloaded) == len(out.read_text(encoding="utf-8").splitlines()) > 1000
    copy = tmp_path / "copy"
    run("load", "--store", str(copy), str(out))
    assert dump_lines(copy) == lines == dump_lines(sample_store)


def test_validate_sample_conforms(sample_store):
    proc = run("validate", "--store", str(sample_store), check_rc=None)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_validate_reports_violations(tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text(f"@prefix fis: <{FIS}> .\n<{BASE}id/debt/x> a fis:DebtObligation .\n")
    run("load", "--store", str(tmp_path / "s"), str(broken))
    proc = run("validate", "--store", str(tmp_path / "s"), "--lang", "en", check_rc=1)
    assert "lender" in proc.stdout


def dump_lines(path: Path) -> set[str]:
    """The store's quads as N-Quads lines; blank-node labels (new at each load of the ontology) replaced by `_:b`."""
    out = io.BytesIO()
    with Store(path) as s:
        s.dump(out)
    return comparable(out.getvalue().decode())


def comparable(nquads: str) -> set[str]:
    lines = nquads.splitlines()
    return {re.sub(r"_:\w+", "_:b", line) for line in lines} | {f"{len(lines)} quads"}


def test_reingest_replaces_and_never_duplicates(tmp_path):
    agencies = data_dir("sample") / "zacatecas_dependencias.csv"
    store = str(tmp_path / "s")
    run("ingest", "--store", store, str(agencies))
    first = dump_lines(tmp_path / "s")
    run("ingest", "--store", store, str(agencies))
    second = dump_lines(tmp_path / "s")
    strip = lambda lines: {line for line in lines if "generatedAtTime" not in line}  # noqa: E731
    assert strip(first) == strip(second)


def test_a_file_failing_half_way_changes_nothing(tmp_path):
    agencies = data_dir("sample") / "zacatecas_dependencias.csv"
    store = str(tmp_path / "s")
    run("ingest", "--store", store, str(agencies))
    before = dump_lines(tmp_path / "s")
    lines = agencies.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "dependencias_2018.csv"
    bad.write_text("\n".join(lines[:40] + ['99,"Secretaría sin cerrar,ROTA,extra,columnas'] + lines[40:]) + "\n")
    proc = run("ingest", "--store", store, str(agencies), str(bad), check_rc=2)
    assert "dependencias_2018.csv" in proc.stderr and "Traceback" not in proc.stderr
    assert dump_lines(tmp_path / "s") == before


@pytest.mark.parametrize("case", ["missing-file", "unknown-kind", "not-a-store", "bad-query", "unknown-mapping",
                                  "wrong-format"])
def test_bad_input_gets_one_clear_sentence(tmp_path, case):
    store = tmp_path / "s"
    odd = tmp_path / "odd.csv"
    odd.write_text("foo,bar\n1,2\n")
    notastore = tmp_path / "notastore"
    notastore.mkdir()
    (notastore / "x.txt").write_text("x")
    args = {
        "missing-file": ["ingest", "--store", str(store), str(tmp_path / "nope.csv")],
        "unknown-kind": ["ingest", "--store", str(store), str(odd)],
        "not-a-store": ["query", "--store", str(notastore), "ASK {}"],
        "bad-query": ["query", "--store", str(notastore.parent / "s2"), "SELEC nothing"],
        "unknown-mapping": ["ingest", "--store", str(store), "--mapping", "nope", str(odd)],
        "wrong-format": ["query", "--store", str(notastore.parent / "s2"), "--format", "turtle", "ASK {}"],
    }[case]
    if case in ("bad-query", "wrong-format"):
        run("load", "--store", str(notastore.parent / "s2"), str(_tiny_ttl(tmp_path)))
    proc = run(*args, check_rc=2)
    assert proc.stderr.startswith("ftm-graph: ")
    assert "Traceback" not in proc.stderr


def _tiny_ttl(tmp_path: Path) -> Path:
    p = tmp_path / "tiny.ttl"
    p.write_text(f"<{BASE}id/a> <{BASE}p> 1 .\n")
    return p


def test_locked_store_is_refused_and_unchanged(tmp_path):
    store = tmp_path / "s"
    run("load", "--store", str(store), str(_tiny_ttl(tmp_path)))
    before = dump_lines(store)
    with Store(store) as writer, writer.transaction():
        proc = run("load", "--store", str(store), str(_tiny_ttl(tmp_path)), check_rc=2)
    assert "locked" in proc.stderr and "Traceback" not in proc.stderr
    assert dump_lines(store) == before




def test_serve_answers_on_loopback(sample_store, tmp_path):
    """`ftm-graph serve` really starts (uvicorn on 127.0.0.1) and answers pages and SPARQL."""
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "ftm_graph.cli", "serve", "--store", str(sample_store),
                                 "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONWARNINGS": "ignore"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/", proc, log)
        home = httpx.get(url + "/", timeout=5)
        assert home.status_code == 200 and "text/html" in home.headers["content-type"]
        answer = httpx.get(url + "/sparql", params={"query": PREFIX + "ASK { ?s a fis:DebtObligation }"},
                           headers={"Accept": "application/sparql-results+json"}, timeout=10)
        assert answer.json()["boolean"] is True
    finally:
        stop(proc)
