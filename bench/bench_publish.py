"""Time what every write publishes (ftm_graph.publish.build): dumps, linkset, VoID, DCAT, sitemap.

    python bench/bench_publish.py [triples]

Builds a store of about `triples` triples (default 1,000,000) in 10 named
graphs, shaped like ingested data (entities under {base}id/, amounts, labels
with accents, some owl:sameAs links to Wikidata), then times one
``publish.build`` inside a transaction and prints the time, the throughput and
the size of the whole dump.
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


def write_quads(path: Path, triples: int) -> None:
    """About `triples` quads: 10 per entity (type, two labels, two links, an amount of four, a sameAs every 50)."""
    with path.open("w", encoding="utf-8") as out:
        for n in range(triples // 10):
            g = f"<{BASE}graph/bench-{n % GRAPHS}>"
            e = f"<{BASE}id/body/bench/{n}>"
            a = f"<{BASE}id/body/bench/{n}/amount/paid/2018-{n:x}>"
            out.write(
                f"{e} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{FIS}PublicBody> {g} .\n"
                f'{e} <http://www.w3.org/2000/01/rdf-schema#label> "Organismo público número {n}, Zacatecas"@es {g} .\n'
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


def main() -> None:
    triples = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "bench.nq"
        write_quads(data, triples)
        store = Store(create_store(Path(tmp) / "store", BASE))
        with store.transaction() as tx:
            tx.load_file(data)
        with store.transaction() as tx:
            start = time.perf_counter()
            publish.build(tx, BASE)
            seconds = time.perf_counter() - start
            manifest = publish.read_manifest(tx.dir)
        whole = manifest["files"][publish.ALL]
        print(f"{whole['triples']:,} triples in {GRAPHS} graphs: publish.build {seconds:.1f} s "
              f"({whole['triples'] / seconds:,.0f} triples/s); all.nq.gz {whole['bytes'] / 1e6:.1f} MB; "
              f"{manifest['sitemap']['urls']:,} sitemap URLs; "
              f"{sum(ls['triples'] for ls in manifest['linksets']):,} links")


if __name__ == "__main__":
    main()
