"""End-to-end ingest against pyoxigraph's own bulk load, on generated data; peak memory of each step.

    python bench/bench_ingest.py [rows ...]        (default: 100000 1000000)

For each size it writes a budget-like CSV in SHCP's layout (bench_mapping.write_csv), then measures, each
in a fresh process (so peak RSS is that step's own):

- map:      the mapping step alone, CSV -> N-Quads written to /dev/null (ftm_graph.ingest.map_file);
- ingest:   ftm_graph.sources.ingest into a new on-disk store: source file -> queryable store, with
            everything a write does (named graph, the merged default graph, vocabulary, derived files);
- bulkload: pyoxigraph Store.bulk_load of the same triples from a ready N-Triples file into a new
            on-disk store (the issue's yardstick, ~160k triples/s on this 2-core machine).

It prints triples/s for each, the ratio ingest/bulkload (target >= 0.6) and peak RSS. The issue's
figures and their discussion are in the lead's closing note; nothing here asserts a speed.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
BASE = "http://127.0.0.1:8000/"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(step: str, csv_path: str, work: str) -> dict:
    """Run one step in this process; return its figures."""
    from ftm_graph.ingest import map_file
    from ftm_graph.mapping import load_mapping
    from ftm_graph.resources import data_dir

    mapping = load_mapping(data_dir("mappings") / "shcp_budget_pef.yaml")
    start = time.perf_counter()
    if step == "map":
        with open(os.devnull, "w", encoding="utf-8") as out:
            result = map_file(Path(csv_path), mapping, base_uri=BASE, graph_iri=BASE + "graph/bench", out=out)
        return {"seconds": time.perf_counter() - start, "triples": result.triples, "rss_mb": _rss_mb()}
    if step == "ntriples":  # prepare the baseline's input (not timed as a step of its own)
        tail = f" <{BASE}graph/bench> .\n"
        with open(work, "w", encoding="utf-8") as nt:
            class Strip:
                def write(self, text):
                    nt.write(text.replace(tail, " .\n"))

            result = map_file(Path(csv_path), mapping, base_uri=BASE, graph_iri=BASE + "graph/bench", out=Strip())
        return {"triples": result.triples}
    if step == "bulkload":
        import pyoxigraph as ox

        store = ox.Store(work)
        start = time.perf_counter()
        store.bulk_load(path=csv_path, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(BASE + "graph/bench"))
        store.flush()
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "quads": len(store), "rss_mb": _rss_mb()}
    if step == "ingest":
        from ftm_graph.sources import ingest
        from ftm_graph.store import Store, create_store

        create_store(work, BASE)
        marks = {}
        with Store(work) as store:
            start = time.perf_counter()
            [report] = ingest(store, [Path(csv_path)], mapping_name="shcp_budget_pef",
                              progress=lambda r: marks.setdefault("mapped", time.perf_counter()))
            seconds = time.perf_counter() - start
            store.refresh()
            quads = len(store)
            check = store.query("ASK { ?line a <https://w3id.org/ftm-graph/fiscal#BudgetLine> }")
        return {"seconds": seconds, "map_seconds": marks["mapped"] - start, "triples": report.triples,
                "quads": quads, "queryable": bool(check), "rss_mb": _rss_mb()}
    raise SystemExit(f"unknown step {step}")


def run(step: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", step, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    from bench_mapping import write_csv

    for rows in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            tmp = Path(tmp)
            source = tmp / "budget.csv"
            write_csv(source, rows)
            mb = source.stat().st_size / 1e6
            mapped = run("map", str(source), "")
            run("ntriples", str(source), str(tmp / "same.nt"))
            base = run("bulkload", str(tmp / "same.nt"), str(tmp / "bulk"))
            e2e = run("ingest", str(source), str(tmp / "store"))
        t = mapped["triples"]
        bulk_rate, e2e_rate = t / base["seconds"], t / e2e["seconds"]
        print(f"{rows:,} rows ({mb:,.0f} MB CSV), {t:,} triples")
        print(f"  map only          {mapped['seconds']:7.1f} s  {t / mapped['seconds']:>9,.0f} triples/s  "
              f"peak RSS {mapped['rss_mb']:,.0f} MB")
        print(f"  bulk_load (N-T)   {base['seconds']:7.1f} s  {bulk_rate:>9,.0f} triples/s  "
              f"peak RSS {base['rss_mb']:,.0f} MB")
        print(f"  ingest end to end {e2e['seconds']:7.1f} s  {e2e_rate:>9,.0f} triples/s  "
              f"peak RSS {e2e['rss_mb']:,.0f} MB  (mapping {e2e['map_seconds']:.1f} s, "
              f"store and derived files {e2e['seconds'] - e2e['map_seconds']:.1f} s; {e2e['quads']:,} quads)")
        print(f"  ratio ingest / bulk_load = {e2e_rate / bulk_rate:.2f} (target >= 0.60)", flush=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(one(*sys.argv[2:5])))
    else:
        main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
