"""Derived files built incrementally (only what a write touched) are the same as built from scratch.

After each change, the generation's dumps, manifest figures, search rows and
summaries rows are compared with those of a full rebuild of the same store
(a transaction that changes nothing and starts from no previous generation),
never with figures written down from the code's output.
"""

import gzip
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import BASE

from ftm_graph import publish, search, summaries
from ftm_graph.sources import DERIVED, after_write, graph_for, ingest
from ftm_graph.store import Store, create_store

SAMPLE = Path(__file__).parent.parent / "sample"
AGENCIES = "zacatecas_dependencias.csv"
DEBT = "zacatecas_deuda_obligaciones.csv"
FIS = "https://w3id.org/ftm-graph/fiscal#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def copy(name: str, folder: Path) -> Path:
    """A sample file and its sidecar, copied so that a test may change it."""
    for suffix in ("", ".source.yaml"):
        shutil.copyfile(SAMPLE / (name + suffix), folder / (name + suffix))
    return folder / name


def dump_quads(folder: Path) -> dict[str, set]:
    """Every per-graph dump of a generation, as sets of quads (bytes and order may differ, the quads may not)."""
    dumps = folder / publish.FOLDER / publish.DUMPS
    out = {}
    for path in sorted(dumps.glob("graph-*.nq.gz")):
        out[path.name] = set(ox.parse(gzip.decompress(path.read_bytes()), format=ox.RdfFormat.N_QUADS))
    out[publish.ALL] = set(ox.parse(gzip.decompress((dumps / publish.ALL).read_bytes()), format=ox.RdfFormat.N_QUADS))
    return out


def manifest_figures(folder: Path) -> dict:
    manifest = publish.read_manifest(folder)
    files = {name: {k: f.get(k) for k in ("graph", "triples", "entities", "media_type")}
             for name, f in manifest["files"].items()}
    return {"files": files, "linksets": manifest["linksets"], "vocabularies": manifest["vocabularies"],
            "sitemap": manifest["sitemap"]}


def search_rows(folder: Path) -> set:
    with closing(sqlite3.connect(folder / search.FILE)) as db:
        return set(db.execute(
            "SELECT e.iri, e.kind, e.label_es, e.label_en, e.keys, e.year, e.agency, e.illustrative, "
            "w.name, w.keys, w.text, g.folded FROM entity e JOIN words w ON w.rowid = e.id "
            "JOIN grams g ON g.rowid = e.id"))


def summary_rows(folder: Path) -> dict:
    with closing(sqlite3.connect(folder / summaries.FILE)) as db:
        return {table: sorted(db.execute(f"SELECT * FROM {table}"), key=repr) for table in ("totals", "flows")}


def derived(folder: Path) -> dict:
    return {"dumps": dump_quads(folder), "manifest": manifest_figures(folder), "search": search_rows(folder),
            "summaries": summary_rows(folder)}


def assert_same_as_full_rebuild(store: Store) -> dict:
    """The live generation's derived files equal those of a from-scratch build of the same data; returns them."""
    incremental = derived(store.generation_dir)
    with store.transaction() as tx:
        tx.previous_dir = None  # as on a first write: nothing to start from
        for build in DERIVED:
            build(tx, store.base_uri)
    full = derived(store.generation_dir)
    assert incremental["manifest"] == full["manifest"]
    assert incremental["dumps"] == full["dumps"]
    assert incremental["search"] == full["search"]
    assert incremental["summaries"] == full["summaries"]
    return full


def linked(a: Path, b: Path) -> bool:
    return os.stat(a).st_ino == os.stat(b).st_ino


@pytest.fixture
def store(tmp_path):
    with Store(create_store(tmp_path / "store", BASE)) as s:
        yield s


def test_adding_a_file(store, tmp_path):
    ingest(store, [copy(AGENCIES, tmp_path)])
    first = store.generation_dir
    ingest(store, [copy(DEBT, tmp_path)])
    dumps = store.generation_dir / publish.FOLDER / publish.DUMPS
    name = "graph-zacatecas-dependencias-csv.nq.gz"
    # the agencies' graph was not touched: its dump is the previous generation's file, not a new one
    assert linked(dumps / name, first / publish.FOLDER / publish.DUMPS / name)
    full = assert_same_as_full_rebuild(store)
    assert f"{BASE}id/debt/ZAC-2017-BANOBRAS" in {row[0] for row in full["search"]}


def test_a_file_without_money_keeps_the_summaries(store, tmp_path):
    ingest(store, [copy(DEBT, tmp_path)])
    first = store.generation_dir
    ingest(store, [copy(AGENCIES, tmp_path)])  # names and kinds of agencies: no figure, no flow
    assert linked(store.generation_dir / summaries.FILE, first / summaries.FILE)
    assert_same_as_full_rebuild(store)


def test_reingesting_a_changed_file(store, tmp_path):
    agencies = copy(AGENCIES, tmp_path)
    ingest(store, [agencies, copy(DEBT, tmp_path)])
    text = agencies.read_text(encoding="utf-8")
    assert "3,Secretaría de Finanzas,SEFIN" in text
    agencies.write_text(text.replace("3,Secretaría de Finanzas,SEFIN", "3,Secretaría de Hacienda,SEFIN"),
                        encoding="utf-8")
    ingest(store, [agencies])
    full = assert_same_as_full_rebuild(store)
    labels = {row[0]: row[2] for row in full["search"]}
    assert labels[f"{BASE}id/body/zac/3"] == "Secretaría de Hacienda"


def test_removing_a_graph(store, tmp_path):
    ingest(store, [copy(AGENCIES, tmp_path), copy(DEBT, tmp_path)])
    graph = graph_for(BASE, tmp_path / DEBT)
    with store.transaction() as tx:
        tx.clear_graph(graph)
        tx.remove_subject(graph, f"{BASE}graph/meta")
        after_write(tx, BASE)
    full = assert_same_as_full_rebuild(store)
    iris = {row[0] for row in full["search"]}
    assert f"{BASE}id/debt/ZAC-2017-BANOBRAS" not in iris
    assert f"{BASE}id/body/zac/3" in iris
    assert graph not in {f["graph"] for f in full["manifest"]["files"].values()}


def test_an_entity_whose_label_and_facts_live_in_two_graphs(store):
    entity = f"{BASE}id/bank/banco-de-prueba"
    amount = f"{entity}/amount/contracted-amount/2019-x"
    names, facts = f"{BASE}graph/names", f"{BASE}graph/facts"
    with store.transaction() as tx:
        tx.load_text(f'<{entity}> <{RDFS_LABEL}> "Banco de Prueba"@es .\n', graph=names)
        after_write(tx, BASE)
    with store.transaction() as tx:
        tx.load_text(
            f"<{entity}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{FIS}FinancialInstitution> .\n"
            f"<{amount}> <{FIS}amountOf> <{entity}> .\n"
            f'<{amount}> <{FIS}fiscalYear> "2019"^^<http://www.w3.org/2001/XMLSchema#gYear> .\n', graph=facts)
        after_write(tx, BASE)
    full = assert_same_as_full_rebuild(store)
    row = next(r for r in full["search"] if r[0] == entity)
    assert row[1:4] == ("bank", "Banco de Prueba", "Banco de Prueba") and row[5] == 2019
    with store.transaction() as tx:  # only the name changes: the kind and year still come from the other graph
        tx.clear_graph(names)
        tx.load_text(f'<{entity}> <{RDFS_LABEL}> "Banco Renombrado"@es .\n', graph=names)
        after_write(tx, BASE)
    full = assert_same_as_full_rebuild(store)
    row = next(r for r in full["search"] if r[0] == entity)
    assert row[1:4] == ("bank", "Banco Renombrado", "Banco Renombrado") and row[5] == 2019
    with store.transaction() as tx:  # the facts go: the name stays, without a kind or a year
        tx.clear_graph(facts)
        after_write(tx, BASE)
    full = assert_same_as_full_rebuild(store)
    row = next(r for r in full["search"] if r[0] == entity)
    assert row[1:4] == ("other", "Banco Renombrado", "Banco Renombrado") and row[5] is None
    with store.transaction() as tx:  # the name goes too: nothing to search for
        tx.clear_graph(names)
        after_write(tx, BASE)
    full = assert_same_as_full_rebuild(store)
    assert entity not in {r[0] for r in full["search"]}
