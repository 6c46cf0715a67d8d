"""Time what every write publishes (ftm_graph.publish.build): dumps, linkset, VoID, DCAT, sitemap.

    python bench/bench_publish.py [triples]

Builds a store of about `triples` triples (default 1,000,000) in 10 named
graphs, shaped like ingested data (entities under {base}id/, amounts, labels
with accents, some owl:sameAs links to Wikidata), each graph bulk-loaded from
its own N-Quads file as an ingest does, then times ``publish.build`` three ways:

- from the files: in the loading transaction, each graph's dump gzipped from
  the file it was loaded from (``Transaction.loaded``);
- from the store: a full build reading every graph back out of RocksDB;
- one graph changed: the next write replaces one graph; the other nine dumps
  are hard-linked from the previous generation.

It prints the time, the throughput and the size of the whole dump.
"""

import sys
import tempfile
import time
from pathlib import Path

from ftm_graph import publish
from ftm_graph.store import Store, create_store

BASE = "http://127.0.0.1:8000/"
FIS = "https://w3id.org/ftm-graph/fiscal#"
GRAPHS = 10


def write_quads(folder: Path, triples: int, version: str = "") -> dict[str, Path]:
    """About `triples` quads in GRAPHS files: 10 per entity (type, two labels, two links, an amount of four,
    a sameAs every 50). Returns graph IRI -> file."""
    files = {f"{BASE}graph/bench-{g}": folder / f"bench-{g}{version}.nq" for g in range(GRAPHS)}
    outs = [path.open("w", encoding="utf-8") for path in files.values()]
    for n in range(triples // 10):
        out = outs[n % GRAPHS]
        g = f"<{BASE}graph/bench-{n % GRAPHS}>"
        e = f"<{BASE}id/body/bench/{n}>"
        a = f"<{BASE}id/body/bench/{n}/amount/paid/2018-{n:x}>"
        out.write(
            f"{e} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{FIS}PublicBody> {g} .\n"
            f'{e} <http://www.w3.org/2000/01/rdf-schema#label> "Organismo público número {n}, Zacatecas{version}"@es {g} .\n'
            f'{e} <http://www.w3.org/2000/01/rdf-schema#label> "Public body number {n}"@en {g} .\n'
            f"{e} <{FIS}parentBody> <{BASE}id/body/bench/{n // 7}> {g} .\n"
            f"{e} <http://www.w3.org/ns/prov#wasDerivedFrom> <{BASE}graph/bench-{n % GRAPHS}/row/{n}> {g} .\n"
            f"{a} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{FIS}Amount> {g} .\n"
            f"{a} <{FIS}amountOf> {e} {g} .\n"
            f'{a} <{FIS}value> "{n * 1000 + 0.5}"^^<http://www.w3.org/2001/XMLSchema#decimal> {g} .\n'
            f"{a} <{FIS}measure> <https://w3id.org/ftm-graph/code/stage/pagado> {g} .\n"
        )
        if n % 50 == 0:
            out.write(f"{e} <http://www.w3.org/2002/07/owl#sameAs> <http://www.wikidata.org/entity/Q{n}> {g} .\n")
        else:
            out.write(f'{e} <{FIS}adminKey> "{n}" {g} .\n')
    for out in outs:
        out.close()
    return files


def timed_build(tx) -> float:
    start = time.perf_counter()
    publish.build(tx, BASE)
    return time.perf_counter() - start


def main() -> None:
    triples = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        files = write_quads(Path(tmp), triples)
        store = Store(create_store(Path(tmp) / "store", BASE))
        with store.transaction() as tx:
            for graph, path in files.items():
                tx.replace_graph(graph, path)
            from_files = timed_build(tx)
        with store.transaction() as tx:
            tx.previous_dir = None  # nothing to reuse: every graph is read back out of the store
            from_store = timed_build(tx)
        graph = next(iter(files))
        changed = write_quads(Path(tmp), triples, version=" v2")[graph]
        with store.transaction() as tx:
            tx.clear_graph(graph)
            tx.replace_graph(graph, changed)
            one_graph = timed_build(tx)
            manifest = publish.read_manifest(tx.dir)
        whole = manifest["files"][publish.ALL]
        n = whole["triples"]
        print(f"{n:,} triples in {GRAPHS} graphs; all.nq.gz {whole['bytes'] / 1e6:.1f} MB; "
              f"{manifest['sitemap']['urls']:,} sitemap URLs; {sum(ls['triples'] for ls in manifest['linksets']):,} links")
        for name, seconds in (("dumps gzipped from the loaded files", from_files),
                              ("dumps read back out of the store", from_store),
                              ("one graph of ten changed (incremental)", one_graph)):
            print(f"  publish.build, {name:40s} {seconds:6.1f} s  ({n / seconds:>9,.0f} triples/s of the store)")


if __name__ == "__main__":
    main()
