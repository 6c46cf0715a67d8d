"""End-to-end ingest against pyoxigraph's own bulk load, on generated data; time split and peak memory.

    python bench/bench_ingest.py [rows ...] [--json FILE]        (default: 100000 1000000)

For each size it writes a budget-like CSV in SHCP's layout (bench_mapping.write_csv), then measures, each
in a fresh process (so peak RSS is that step's own):

- map:      the mapping step alone, CSV -> N-Quads written to /dev/null (ftm_graph.ingest.map_file);
- bulkload: pyoxigraph Store.bulk_load of the same triples from a ready N-Triples file into a new
            on-disk store (the issue's yardstick, ~160k triples/s on this 2-core machine);
- ingest:   ftm_graph.sources.ingest into a new on-disk store: source file -> queryable store, with
            everything a write does (named graph, the merged default graph, vocabulary, derived files);
            then, in the same store, a second file of a tenth of the rows (the incremental case: its cost
            should be that file's, not the store's).

Each ingest's time is split into steps: map (source -> N-Quads), loads (the named graph and the default
graph's merge, Transaction.replace_graph), vocabulary, each derived builder of sources.DERIVED (publish:
dumps, VoID, DCAT, sitemap; search; summaries), and the rest (provenance, checkpoint, publishing).
It prints triples/s for each, the ratio ingest/bulkload (target >= 0.6) both with the derived files and
"to a queryable store" (the steps before the data could be read: map, loads, vocabulary, other), the CPU
seconds of each (a steadier figure when other work shares the machine), and peak RSS; with --json the same
figures go to FILE. Nothing here asserts a speed.
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
STEPS = ("map", "loads", "vocabulary", "publish", "search", "summaries", "stories", "other")
#: Steps that make the store queryable; the others are the derived files (sources.DERIVED) published with it.
QUERYABLE = ("map", "loads", "vocabulary", "other")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _install_timers() -> dict:
    """Wrap the steps of a write with timers (in this bench process only); returns the dict they add to."""
    from ftm_graph import sources
    from ftm_graph.store import Transaction

    spent: dict[str, float] = {}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
        return wrapper

    sources.refresh_vocabulary = timed("vocabulary", sources.refresh_vocabulary)
    sources.DERIVED = tuple(timed(build.__module__.rsplit(".", 1)[-1], build) for build in sources.DERIVED)
    Transaction.replace_graph = timed("loads", Transaction.replace_graph)
    return spent


def _timed_ingest(store, path: Path, spent: dict) -> dict:
    from ftm_graph.sources import ingest

    spent.clear()
    marks = {}
    start, cpu = time.perf_counter(), time.process_time()
    [report] = ingest(store, [path], mapping_name="shcp_budget_pef",
                      progress=lambda r: marks.setdefault("mapped", time.perf_counter()))
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    steps = {"map": marks["mapped"] - start, **spent}
    steps["other"] = seconds - sum(steps.values())
    # "other" (provenance, checkpoint, switch) is paid before a reader sees the data, so it counts as queryable
    queryable = sum(v for k, v in steps.items() if k in QUERYABLE)
    return {"seconds": seconds, "queryable_seconds": queryable, "cpu_seconds": cpu, "triples": report.triples,
            "steps": steps}


def one(step: str, csv_path: str, work: str, extra: str = "") -> dict:
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
        start, cpu = time.perf_counter(), time.process_time()
        store.bulk_load(path=csv_path, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.NamedNode(BASE + "graph/bench"))
        store.flush()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        return {"seconds": seconds, "cpu_seconds": cpu, "quads": len(store), "rss_mb": _rss_mb()}
    if step == "ingest":
        from ftm_graph.store import Store, create_store

        spent = _install_timers()
        create_store(work, BASE)
        with Store(work) as store:
            first = _timed_ingest(store, Path(csv_path), spent)
            second = _timed_ingest(store, Path(extra), spent)
            store.refresh()
            quads = len(store)
            check = store.query("ASK { ?line a <https://w3id.org/ftm-graph/fiscal#BudgetLine> }")
        return {"first": first, "second": second, "quads": quads, "queryable": bool(check), "rss_mb": _rss_mb()}
    raise SystemExit(f"unknown step {step}")


def run(step: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", step, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _split(steps: dict) -> str:
    return ", ".join(f"{name} {steps.get(name, 0.0):.1f}" for name in STEPS)


def main(sizes: list[int], json_path: str | None) -> None:
    from bench_mapping import write_csv

    results = []
    for rows in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
            tmp = Path(tmp)
            source, more = tmp / "budget.csv", tmp / "budget_more.csv"
            write_csv(source, rows)
            write_csv(more, max(rows // 10, 1), seed=11)
            mb = source.stat().st_size / 1e6
            mapped = run("map", str(source), "")
            run("ntriples", str(source), str(tmp / "same.nt"))
            base = run("bulkload", str(tmp / "same.nt"), str(tmp / "bulk"))
            e2e = run("ingest", str(source), str(tmp / "store"), str(more))
        t = mapped["triples"]
        first, second = e2e["first"], e2e["second"]
        bulk_rate, e2e_rate = t / base["seconds"], t / first["seconds"]
        queryable_ratio = base["seconds"] / first["queryable_seconds"]
        cpu_ratio = base["cpu_seconds"] / first["cpu_seconds"]
        second_rate = second["triples"] / second["seconds"]
        results.append({"rows": rows, "csv_mb": mb, "triples": t, "map": mapped, "bulkload": base, "ingest": e2e,
                        "bulkload_rate": bulk_rate, "ingest_rate": e2e_rate, "ratio": e2e_rate / bulk_rate,
                        "queryable_ratio": queryable_ratio, "cpu_ratio": cpu_ratio,
                        "second_rate": second_rate, "second_ratio": second_rate / bulk_rate})
        print(f"{rows:,} rows ({mb:,.0f} MB CSV), {t:,} triples")
        print(f"  map only          {mapped['seconds']:7.1f} s  {t / mapped['seconds']:>9,.0f} triples/s  "
              f"peak RSS {mapped['rss_mb']:,.0f} MB")
        print(f"  bulk_load (N-T)   {base['seconds']:7.1f} s  {bulk_rate:>9,.0f} triples/s  "
              f"peak RSS {base['rss_mb']:,.0f} MB")
        print(f"  ingest end to end {first['seconds']:7.1f} s  {e2e_rate:>9,.0f} triples/s  "
              f"peak RSS {e2e['rss_mb']:,.0f} MB  ({e2e['quads']:,} quads after both ingests)")
        print(f"    split (s): {_split(first['steps'])}")
        print(f"  ratio ingest / bulk_load = {e2e_rate / bulk_rate:.2f} with derived files (target >= 0.60); "
              f"{queryable_ratio:.2f} to a queryable store (map, loads, vocabulary, other: "
              f"{first['queryable_seconds']:.1f} s)")
        print(f"  CPU seconds: bulk_load {base['cpu_seconds']:.1f}, ingest {first['cpu_seconds']:.1f} "
              f"(ratio {cpu_ratio:.2f}; steadier than wall time on a busy machine, blind to overlap)")
        print(f"  second file, {second['triples']:,} triples into that store: {second['seconds']:.1f} s  "
              f"{second_rate:,.0f} triples/s  (ratio to bulk_load {second_rate / bulk_rate:.2f})")
        print(f"    split (s): {_split(second['steps'])}", flush=True)
    if json_path:
        Path(json_path).write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        print(json.dumps(one(*sys.argv[2:6])))
    else:
        args = sys.argv[1:]
        json_path = None
        if "--json" in args:
            at = args.index("--json")
            json_path = args[at + 1]
            del args[at:at + 2]
        main([int(a) for a in args] or [100_000, 1_000_000], json_path)
