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


# --- summaries built from the previous generation's facts (helper M) ------------------------------------------

from decimal import Decimal  # noqa: E402

XSD = "http://www.w3.org/2001/XMLSchema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def all_summary_rows(folder: Path) -> dict:
    """Every row of every table of summaries.sqlite but its build stamp (order aside)."""
    with closing(sqlite3.connect(folder / summaries.FILE)) as db:
        rows = {table: sorted(db.execute(f"SELECT * FROM {table}"), key=repr)
                for table in ("totals", "flows", "top_flow", "money_graph")}
        rows["fact"] = sorted(db.execute("SELECT g.iri, f.s, f.p, f.o, k.kind FROM fact f "
                                         "JOIN fact_graph g ON g.id = f.graph JOIN fact_kind k ON k.id = f.t"))
        return rows


def assert_summaries_as_full_rebuild(store: Store) -> dict:
    """The live summaries equal those of a from-scratch build of the same store; returns them."""
    incremental = all_summary_rows(store.generation_dir)
    with store.transaction() as tx:
        tx.previous_dir = None
        summaries.build_summaries(tx, store.base_uri)
    full = all_summary_rows(store.generation_dir)
    assert incremental == full
    return full


def write(store: Store, graph: str, text: str | None) -> None:
    """Make `graph` hold exactly these N-Triples (None: remove it), as an ingest does, with every derived file."""
    with store.transaction() as tx:
        tx.clear_graph(graph)
        if text is not None:
            tx.load_text(text, graph=graph)
        after_write(tx, BASE)


def payment(n: int, payer: str, payee: str, date: str) -> str:
    p = f"{BASE}id/payment/test/{n}"
    return (f"<{p}> <{RDF_TYPE}> <{FIS}Payment> .\n<{p}> <{FIS}payer> <{payer}> .\n<{p}> <{FIS}payee> <{payee}> .\n"
            f'<{p}> <{FIS}paymentDate> "{date}"^^<{XSD}date> .\n')


def amount(n: int, value: str) -> str:
    a, p = f"{BASE}id/payment/test/{n}/amount/payment/x", f"{BASE}id/payment/test/{n}"
    return (f"<{a}> <{FIS}amountOf> <{p}> .\n<{a}> <{FIS}measure> <https://w3id.org/ftm-graph/code/measure/payment> .\n"
            f'<{a}> <{FIS}value> "{value}"^^<{XSD}decimal> .\n')


def test_summaries_combine_the_kept_facts_of_untouched_graphs_with_the_touched_ones(store):
    body, other_body, supplier = f"{BASE}id/body/t/1", f"{BASE}id/body/t/2", f"{BASE}id/rfc/TST010101AA1"
    payments, amounts, more = f"{BASE}graph/payments", f"{BASE}graph/amounts", f"{BASE}graph/more"
    write(store, payments, payment(1, body, supplier, "2019-03-01") + payment(2, body, supplier, "2019-05-01"))
    write(store, amounts, amount(1, "100.50") + amount(2, "20"))  # the amounts of the payments, in another graph
    write(store, more, payment(3, other_body, supplier, "2020-01-01") + amount(3, "7"))
    full = assert_summaries_as_full_rebuild(store)
    flows = {(s, t, y): (v, n) for s, t, r, y, v, n, *_ in full["flows"] if r == "payment"}
    assert flows == {(body, supplier, 2019): ("120.5", 2), (other_body, supplier, 2020): ("7", 1)}
    assert {g for (g,) in full["money_graph"]} == {payments, amounts, more}

    write(store, amounts, amount(1, "100.50") + amount(2, "30"))  # one amount changes: only its graph is read
    full = assert_summaries_as_full_rebuild(store)
    flows = {(s, t, y): (v, n) for s, t, r, y, v, n, *_ in full["flows"] if r == "payment"}
    assert flows[(body, supplier, 2019)] == ("130.5", 2)
    db = summaries.open_summaries(store)
    with closing(db):
        top = summaries.flows_of(db, supplier)
    assert [(f["other"], f["value"], f["n"]) for f in top["in"]] == [(body, Decimal("130.50"), 2),
                                                                      (other_body, Decimal("7.00"), 1)]

    write(store, payments, None)  # the payments go: their amounts alone make no flow
    full = assert_summaries_as_full_rebuild(store)
    assert {(s, t) for s, t, r, *_ in full["flows"] if r == "payment"} == {(other_body, supplier)}
    assert {g for (g,) in full["money_graph"]} == {amounts, more}


def test_flows_of_reads_the_ranked_rows_as_the_grouped_flows_give_them(store):
    body = f"{BASE}id/body/t/9"
    suppliers = [f"{BASE}id/rfc/TST0101{n:02d}AA1" for n in range(summaries.TOP + 3)]
    text = "".join(payment(n, body, s, f"{2015 + n % 3}-01-0{1 + n % 2}") + amount(n, str(1000 - n))
                   for n, s in enumerate(suppliers))
    text += payment(99, body, suppliers[0], "2016-02-02")  # a second payment to the first supplier, amount unknown
    write(store, f"{BASE}graph/busy", text)
    assert_summaries_as_full_rebuild(store)
    with closing(summaries.open_summaries(store)) as db:
        shown = summaries.flows_of(db, body)
        grouped = summaries.flows_of(db, body, limit=summaries.TOP + 100)  # past TOP: summed on request
    assert shown["in"] == [] and shown["more_in"] == 0
    assert [f["other"] for f in shown["out"]] == suppliers[:summaries.TOP]  # largest first: 1000, 999, …
    assert shown["out"] == grouped["out"][:summaries.TOP]
    assert shown["more_out"] == 3 == len(grouped["out"]) - summaries.TOP
    first = shown["out"][0]
    assert (first["value"], first["n"], first["first"], first["last"]) == (Decimal("1000.00"), 2, "2015-01-01",
                                                                           "2016-02-02")
    assert first["example"] is None  # two payments: no single example to link
    assert shown["out"][1]["example"] == f"{BASE}id/payment/test/1"


def test_facts_read_from_the_loaded_file_are_those_the_store_gives(store, tmp_path):
    """An ingest reads a new graph's facts from the N-Quads file it loaded (literals canonicalised as the
    store does: "1500.00"^^xsd:decimal is "1500" there); a full rebuild reads them from the store."""
    ingest(store, [copy(DEBT, tmp_path), copy("pef_2018_zacatecas.csv", tmp_path)])
    full = assert_summaries_as_full_rebuild(store)
    values = [o for _g, _s, p, o, _t in full["fact"] if p == "value"]
    assert values and all(not (o.endswith("0") and "." in o) for o in values)  # canonical: no trailing zeros
    assert {g for (g,) in full["money_graph"]} == {graph_for(BASE, tmp_path / name)
                                                   for name in (DEBT, "pef_2018_zacatecas.csv")}


def test_search_rows_from_unusual_n_quads(store, tmp_path):
    """Escapes, blank nodes, dates that are not years: a graph read from its file, a graph read by
    queries and entities redone by lookups make the same rows as a full rebuild."""
    from test_search import OTHER, TRICKY, G, H

    files = {}
    for graph, text in ((G, TRICKY), (H, OTHER)):
        files[graph] = tmp_path / (graph.rsplit("/", 1)[-1] + ".nq")
        files[graph].write_text(text, encoding="utf-8")
    for graph in (G, H):
        with store.transaction() as tx:
            tx.replace_graph(graph, files[graph])
            after_write(tx, BASE)
        assert_same_as_full_rebuild(store)
    with store.transaction() as tx:
        tx.clear_graph(H)
        after_write(tx, BASE)
    rows = {row[0]: row for row in assert_same_as_full_rebuild(store)["search"]}
    assert rows["http://x.test/e2"][6] == "http://x.test/body/1"  # its agency from G alone now


def test_a_fact_in_two_graphs_counts_once_and_two_literals_with_one_text_twice(store):
    body, supplier = f"{BASE}id/body/t/5", f"{BASE}id/rfc/TST050505AA5"
    a = f"{BASE}id/payment/test/5/amount/payment/x"
    write(store, f"{BASE}graph/one", payment(5, body, supplier, "2021-01-01") + amount(5, "10"))
    write(store, f"{BASE}graph/two", amount(5, "10.0"))  # the same triple (as the store has it), in another graph
    full = assert_summaries_as_full_rebuild(store)
    own = [(v, n) for e, via, *_rest, v, n in full["totals"] if e == f"{BASE}id/payment/test/5" and via == ""]
    assert own == [("10", 1)]
    write(store, f"{BASE}graph/three", f'<{a}> <{FIS}value> "10" .\n')  # a plain string "10": another value
    full = assert_summaries_as_full_rebuild(store)
    own = [(v, n) for e, via, *_rest, v, n in full["totals"] if e == f"{BASE}id/payment/test/5" and via == ""]
    assert own == [("20", 2)]
