"""The benchmark suite in one command: generate, ingest, query, render, at each scale; one table and JSON.

    .venv/bin/python bench/run.py [--quick] [--scale 1e5,1e6] [--json bench/results.json] [--repeat 3]

For each scale (total source rows of bench/generate.py; on top, one bank gets
min(10^4, rows/10) loans of five rows each: the loan and four quarterly
balances), each step in a subprocess of its own so that its peak RSS is its
own (``wait4``'s rusage):

1. generate:  bench/generate.py writes the linked source files;
2. ingest:    `ftm-graph ingest` of all of them and the bundled sample into a new store, end to end;
   baseline:  the same quads (`ftm-graph dump`) through pyoxigraph's ``Store.bulk_load`` into a new store,
              and rdflib parsing (at most 200,000 of) the same N-Quads; the ratios are ingest / each;
   and bench/bench_ingest.py (the mapping-only and budget-file figures, helper-owned) at the same rows;
3. sparql:    bench/bench_sparql.py on the store (lookup, aggregate, 3-hop path; 1/8/32 clients; our
              /sparql, pyoxigraph in-process, the Oxigraph server, a minimal FastAPI app; rdflib-endpoint
              only on a store of at most 10^5 triples: when every scale is bigger, a small extra store
              is generated for it);
4. pages:     bench/bench_pages.py on the store (p50/p95 per page kind, 1 and 16 clients);
5. growth:    each headline figure at every scale side by side, with the ratio of largest to smallest.

It prints one markdown table (figures, the issue's targets, ratios) and writes
the JSON. `--quick` is one small scale, short runs, one repetition: a few
minutes on 2 cores (CI runs it as tests/test_bench_quick.py). Figures move
±30 % between runs on a shared machine; nothing here asserts a speed.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
PY = sys.executable
RDFLIB_MAX_TRIPLES = 100_000
#: Source rows of --quick, and of the small store rdflib-endpoint is measured on (with the sample: < 10^5 triples).
SMALL_ROWS = 1000
RDFLIB_PARSE_MAX = 200_000
#: The issue's targets (issue 7), as (section, figure, test, text).
TARGETS = {
    "ingest_vs_bulk_load": (0.6, "ingest ≥ 0.6× bulk_load"),
    "lookup_vs_oxigraph_1": (0.4, "/sparql lookup ≥ 0.4× Oxigraph server, 1 client"),
    "lookup_vs_oxigraph_many": (0.25, "/sparql lookup ≥ 0.25× Oxigraph server, 16 clients"),
    "lookup_p99_many_ms": (25, "/sparql lookup p99 ≤ 25 ms at 16 clients (at 8 when 16 is not measured)"),
    "vs_rdflib": (10, "/sparql ≥ 10× rdflib-endpoint"),
    "page_p95_1_ms": (50, "page p95 ≤ 50 ms, 1 client (at 10^6 triples)"),
    "page_p95_16_ms": (150, "page p95 ≤ 150 ms, 16 clients (at 10^6 triples)"),
}


def step(command: list[str], log: Path, env: dict | None = None) -> dict:
    """Run one step as a subprocess; its wall time, peak RSS (MB, from wait4) and exit status."""
    start = time.perf_counter()
    with open(log, "ab") as out:
        out.write(f"$ {' '.join(command)}\n".encode())
        out.flush()
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])}… failed ({process.returncode}); see {log}:\n"
                           f"{log.read_text(errors='replace')[-2500:]}")
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def options_of(script: Path) -> str:
    """The --help text of a helper-owned benchmark, to call only the options it has."""
    done = subprocess.run([PY, str(script), "--help"], capture_output=True, text=True)
    return done.stdout if done.returncode == 0 else ""


BULK_LOAD = """
import sys, time, pyoxigraph as ox
store = ox.Store(sys.argv[2]); t = time.perf_counter()
store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS); store.flush()
print(f"RESULT {time.perf_counter() - t} {len(store)}")
"""
RDFLIB_PARSE = """
import itertools, sys, time, rdflib
with open(sys.argv[1], encoding="utf-8") as f:
    text = "".join(itertools.islice(f, int(sys.argv[2])))
t = time.perf_counter(); d = rdflib.Dataset(); d.parse(data=text, format="nquads")
print(f"RESULT {time.perf_counter() - t} {sum(1 for _ in d.quads())}")
"""


def result_line(log: Path) -> list[float]:
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.startswith("RESULT ")]
    return [float(x) for x in lines[-1].split()[1:]]


def count_triples(store: Path) -> tuple[int, int]:
    """(quads in the named graphs, triples of the default graph) of a store."""
    from ftm_graph.store import Store

    with Store(store) as s:
        [n] = list(s.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))
        [d] = list(s.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
        return int(n[0].value), int(d[0].value)


def sample_files() -> list[Path]:
    from ftm_graph.sources import sample_files as files

    return files()


def build(rows: int, work: Path, big_bank: int) -> dict:
    """Generate and ingest one scale; the figures of both steps and where the store is."""
    src, store, log = work / "files", work / "store", work / "steps.log"
    work.mkdir(parents=True, exist_ok=True)
    out = {"rows": rows, "big_bank": big_bank, "work": str(work)}
    out["generate"] = step([PY, str(HERE / "generate.py"), str(src), "--rows", str(rows),
                            "--big-bank", str(big_bank)], log)
    generated = [ln for ln in log.read_text(errors="replace").splitlines() if ln.startswith('{"rows"')]
    out["source_rows"] = json.loads(generated[-1])["rows"]  # the scale's rows plus the big bank's
    out["source_mb"] = round(sum(p.stat().st_size for p in src.iterdir()) / 1e6, 2)
    # the bundled sample too, as a deployment has it: the page benchmark's real loan, bank and agency pages
    files = [str(p) for p in sorted(src.iterdir()) if not p.name.endswith(".source.yaml")] + [
        str(p) for p in sample_files()]
    out["ingest"] = step([PY, "-m", "ftm_graph.cli", "ingest", *files, "--store", str(store)], log)
    quads, default = count_triples(store)
    out["ingest"].update(quads=quads, default_graph_triples=default,
                         triples_per_s=round(quads / out["ingest"]["seconds"]),
                         rows_per_s=round(out["source_rows"] / out["ingest"]["seconds"]))
    out["store"] = str(store)
    (work / "build.json").write_text(json.dumps(out, indent=1), encoding="utf-8")
    return out


def built(work: Path) -> dict | None:
    """What an earlier run with --work built in `work` (for --reuse), or None."""
    path = work / "build.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def big_bank_page(store: str, work: Path, tries: int = 3) -> dict:
    """Render the big bank's page (bank/banobras) built afresh, `tries` times, 1 client: does it stay under 1 s?"""
    sys.path.insert(0, str(HERE))
    import httpx
    from bench_sparql import free_port, peak_rss_mb, start_server, stop_server

    port = free_port()
    process = start_server([PY, "-m", "ftm_graph.cli", "serve", "--store", store, "--port", str(port)], port,
                           "/sparql", work / "bank_page.log")
    seconds, status = [], None
    try:
        for _ in range(tries):
            t0 = time.perf_counter()
            r = httpx.get(f"http://127.0.0.1:{port}/id/bank/banobras", timeout=600,
                          headers={"Accept": "text/html", "Cache-Control": "no-cache"})
            seconds.append(time.perf_counter() - t0)
            status = r.status_code
            if seconds[-1] > 10:  # far over the target already: one figure is enough
                break
        rss = peak_rss_mb(process.pid)
    finally:
        stop_server(process)
    return {"status": status, "seconds": [round(x, 3) for x in seconds],
            "median_s": round(sorted(seconds)[len(seconds) // 2], 3), "bytes": len(r.content),
            "server_peak_rss_mb": rss}


def baselines(scale: dict, work: Path) -> None:
    """bulk_load and rdflib on the quads the ingest produced (the store's dump), into scale['baseline']."""
    log, dump = work / "steps.log", work / "dump.nq"
    step([PY, "-m", "ftm_graph.cli", "dump", "--store", scale["store"], "-o", str(dump)], log)
    bulk = step([PY, "-c", BULK_LOAD, str(dump), str(work / "bulk")], log)
    seconds, quads = result_line(log)
    bulk.update(seconds=round(seconds, 3), quads=int(quads), triples_per_s=round(quads / seconds))
    lines = min(RDFLIB_PARSE_MAX, scale["ingest"]["quads"])
    rdf = step([PY, "-c", RDFLIB_PARSE, str(dump), str(lines)], log)
    seconds, parsed = result_line(log)
    rdf.update(seconds=round(seconds, 3), quads=int(parsed), triples_per_s=round(parsed / seconds),
               note=f"the first {lines:,} quads of the dump")
    ingest_rate = scale["ingest"]["triples_per_s"]
    scale["baseline"] = {"bulk_load": bulk, "rdflib_parse": rdf,
                         "ingest_vs_bulk_load": round(ingest_rate / bulk["triples_per_s"], 3),
                         "ingest_vs_rdflib": round(ingest_rate / rdf["triples_per_s"], 3)}
    shutil.rmtree(work / "bulk", ignore_errors=True)
    dump.unlink()


def bench_ingest(rows: int, work: Path) -> dict:
    """bench/bench_ingest.py (helper-owned) at `rows`: its JSON when it has --json, else its printed lines."""
    script = HERE / "bench_ingest.py"
    log = work / "bench_ingest.log"
    command = [PY, str(script), str(rows)]
    has_json = "--json" in options_of(script)
    if has_json:
        command += ["--json", str(work / "bench_ingest.json")]
    out = step(command, log)
    if has_json:
        out["figures"] = json.loads((work / "bench_ingest.json").read_text(encoding="utf-8"))
    else:
        text = log.read_text(errors="replace")
        out["printed"] = [ln for ln in text.splitlines() if ln.startswith("  ") or "rows" in ln][-8:]
        ratio = re.search(r"ratio ingest / bulk_load = ([0-9.]+)", text)
        out["figures"] = {"ratio": float(ratio.group(1))} if ratio else {}
        out["note"] = "bench_ingest.py has no --json yet: figures read from its printed table"
    return out


def sparql(store: str, work: Path, args, targets: str) -> dict:
    out_json = work / f"sparql-{targets.replace(',', '-')}.json"
    command = [PY, str(HERE / "bench_sparql.py"), "--store", store, "--seconds", str(args.seconds),
               "--repeat", str(args.repeat), "--clients", args.clients, "--targets", targets,
               "--rdflib-max-triples", str(RDFLIB_MAX_TRIPLES), "--json", str(out_json)]
    figures = step(command, work / "sparql.log")
    return {**json.loads(out_json.read_text(encoding="utf-8")), "step": figures}


PAGE_LINE = re.compile(r"^(\S.{0,11}?)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s*$")


def pages(store: str, work: Path, args, leave_out: tuple = ()) -> dict:
    """bench/bench_pages.py (helper-owned) on the store when it has --store, else on the sample (noted)."""
    script = HERE / "bench_pages.py"
    help_text = options_of(script)
    log = work / "pages.log"
    command = [PY, str(script), "--requests", str(args.page_requests)]
    out = {}
    if "--store" in help_text:
        command += ["--store", store]
        out["on"] = "the generated store"
    else:
        out["on"] = "the bundled sample (bench_pages.py has no --store yet)"
    json_path = work / "pages.json"
    if "--json" in help_text:
        command += ["--json", str(json_path)]
    kinds = re.search(r"^PAGES = \{(.*?)^\}", script.read_text(encoding="utf-8"), re.S | re.M)
    if leave_out and kinds and "--only" in help_text:
        names = [n for n in re.findall(r'^\s+"([^"]+)":', kinds.group(1), re.M) if n not in leave_out]
        command += ["--only", ",".join(names)]
        out["left_out"] = {n: "measured on its own (big_bank_page): too slow to request hundreds of times"
                           for n in leave_out}
    out["step"] = step(command, log)
    if "--json" in help_text and json_path.is_file():
        out["figures"] = json.loads(json_path.read_text(encoding="utf-8"))
    else:  # its printed table: page, 1-client p50, p95, 16-client p50, p95 (ms)
        figures = {}
        for line in log.read_text(errors="replace").splitlines():
            m = PAGE_LINE.match(line)
            if m:
                name, a, b, c, d = m.group(1).strip(), *map(float, m.groups()[1:])
                figures[name] = {"1": {"p50": a, "p95": b}, "16": {"p50": c, "p95": d}}
        out["figures"] = figures
    return out


# ---- the table ---------------------------------------------------------------------------------------------

def fnum(x, digits=1) -> str:
    if x is None:
        return "–"
    if isinstance(x, (int, float)) and abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def verdict(value, target, higher_is_better=True) -> str:
    if value is None:
        return "–"
    ok = value >= target if higher_is_better else value <= target
    return "met" if ok else f"missed ({value / target:.2f}× the target)"


def page_figures(p: dict, mode: str = "uncached") -> dict:
    """{page: {clients: {'p50', 'p95', …}}} from bench_pages' JSON ({"uncached": …, "cached": …}) or printed table."""
    figures = p.get("figures") or {}
    if "uncached" in figures:
        figures = figures.get(mode) or {}
    elif mode != "uncached":
        return {}
    return {name: {str(c): f for c, f in by.items() if isinstance(f, dict) and "p95" in f}
            for name, by in figures.items() if isinstance(by, dict)}


def headline(scale: dict) -> dict:
    """The figures compared across scales (growth) and against the targets."""
    h = {"rows": scale["rows"], "quads": scale["ingest"]["quads"],
         "ingest triples/s": scale["ingest"]["triples_per_s"],
         "ingest / bulk_load": scale.get("baseline", {}).get("ingest_vs_bulk_load")}
    res = scale.get("sparql", {}).get("results", {})
    for target in ("ftm", "oxigraph", "inprocess"):
        for q in ("lookup", "aggregate", "path"):
            f = res.get(target, {}).get(q, {}).get("1")
            if f:
                h[f"{target} {q} p50 ms (1 client)"] = f["p50_ms"]
    for name, by in page_figures(scale.get("pages", {})).items():
        if "1" in by:
            h[f"page {name} p95 ms (1 client)"] = by["1"]["p95"]
    return h


def table(results: dict) -> str:
    lines = [f"# ftm-graph benchmarks ({results['started']}, {results['machine']})", ""]
    for scale in results["scales"]:
        ing, base = scale["ingest"], scale.get("baseline", {})
        lines += [f"## {scale['rows']:,} source rows ({scale.get('source_rows', scale['rows']):,} with the big "
                  f"bank's; {scale['source_mb']} MB of files, {ing['quads']:,} quads, "
                  f"{ing['default_graph_triples']:,} triples in the default graph; "
                  f"big bank {scale['big_bank']:,} loans)", "",
                  "| step | seconds | rate | peak RSS MB | ratio | target |", "| --- | --- | --- | --- | --- | --- |",
                  f"| generate | {scale['generate']['seconds']:.1f} | | {scale['generate']['peak_rss_mb']:.0f} | | |",
                  f"| ingest end to end (`ftm-graph ingest`) | {ing['seconds']:.1f} | {ing['rows_per_s']:,} rows/s, "
                  f"{ing['triples_per_s']:,} quads/s | {ing['peak_rss_mb']:.0f} | | |"]
        if base:
            b, r = base["bulk_load"], base["rdflib_parse"]
            lines += [f"| pyoxigraph bulk_load of the same quads | {b['seconds']:.1f} | "
                      f"{b['triples_per_s']:,} quads/s | "
                      f"{b['peak_rss_mb']:.0f} | ingest / bulk_load = {base['ingest_vs_bulk_load']:.2f} | "
                      f"≥ 0.6: {verdict(base['ingest_vs_bulk_load'], 0.6)} |",
                      f"| rdflib parse ({r['note']}) | {r['seconds']:.1f} | {r['triples_per_s']:,} quads/s | "
                      f"{r['peak_rss_mb']:.0f} | ingest / rdflib = {base['ingest_vs_rdflib']:.2f} | |"]
        bi = scale.get("bench_ingest")
        if bi and "error" in bi:
            lines.append(f"| bench_ingest.py | failed: {bi['error'][-200:]!r} | | | | |")
        elif bi:
            fig = bi.get("figures", {})
            ratio = fig.get("ratio") or fig.get("ratio_ingest_bulk_load")
            lines.append(f"| bench_ingest.py (budget CSV, {scale['rows']:,} rows) | {bi['seconds']:.1f} | | "
                         f"{bi['peak_rss_mb']:.0f} | "
                         f"{('ingest / bulk_load = ' + fnum(ratio, 2)) if ratio else 'see JSON'} | |")
        lines.append("")
        sp = scale.get("sparql")
        if sp:
            lines += sparql_table(sp)
        bb = scale.get("big_bank_page")
        for name in ("big_bank_page", "pages"):
            if "error" in (scale.get(name) or {}):
                lines += [f"{name} failed: {scale[name]['error'][-300:]!r}", ""]
        if bb and "error" not in bb:
            lines += [f"The big bank's page (`/id/bank/banobras`, {scale['big_bank']:,} generated loans and the "
                      f"sample's), built afresh, 1 client: median {bb['median_s']:.2f} s of {bb['seconds']} "
                      f"(status {bb['status']}, {bb['bytes']:,} bytes); target: under 1 s: "
                      f"{verdict(bb['median_s'], 1.0, higher_is_better=False)}.", ""]
        pg, cached = page_figures(scale.get("pages", {})), page_figures(scale.get("pages", {}), "cached")
        if pg:
            lines += [f"Pages ({scale['pages']['on']}), ms, built for each request (uncached) and as cached:", "",
                      "| page | 1 client p50 | p95 | 16 clients p50 | p95 | cached: 1 client p95 | 16 clients p95 "
                      "| target |",
                      "| --- | --- | --- | --- | --- | --- | --- | --- |"]
            for name, by in pg.items():
                one, many = by.get("1", {}), by.get("16", {})
                c1, c16 = cached.get(name, {}).get("1", {}), cached.get(name, {}).get("16", {})
                target = (f"p95 ≤ 50 ms: {verdict(one.get('p95'), 50, False)}; "
                          f"16 clients ≤ 150 ms: {verdict(many.get('p95'), 150, False)}")
                lines.append(f"| {name} | {fnum(one.get('p50'))} | {fnum(one.get('p95'))} | "
                             f"{fnum(many.get('p50'))} | {fnum(many.get('p95'))} | {fnum(c1.get('p95'))} | "
                             f"{fnum(c16.get('p95'))} | {target} |")
            lines += ["", "The issue's page targets are set for 10^6 triples; the target column judges the uncached figures.", ""]
    if results.get("rdflib"):
        lines += ["## rdflib-endpoint, on a small store (rdflib holds the graph in memory)", ""]
        lines += sparql_table(results["rdflib"])
    if len(results["scales"]) > 1:
        lines += growth_table(results["scales"])
    return "\n".join(lines)


def sparql_table(sp: dict) -> list[str]:
    res = sp["results"]
    lines = [f"SPARQL ({sp['triples']:,} triples; medians of {sp['repeat']} runs of {sp['seconds']:g} s; "
             "req/s and p50/p99 ms; ratios are req/s):", "",
             "| query | clients | /sparql req/s | p50 | p99 | Oxigraph server req/s | in-process req/s | "
             "minimal FastAPI "
             "req/s | rdflib-endpoint req/s | /sparql ÷ Oxigraph | /sparql ÷ in-process | /sparql ÷ rdflib | target |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    ftm = res.get("ftm", {})
    for q in ("lookup", "aggregate", "path"):
        for c in [str(c) for c in sp["clients"]]:
            def get(target, key="rps", q=q, c=c):
                return res.get(target, {}).get(q, {}).get(c, {}).get(key)

            def ratio(target, get=get):
                a, b = get("ftm"), get(target)
                return round(a / b, 2) if a and b else None

            target = ""
            if q == "lookup" and c == "1":
                target = "≥ 0.4× Oxigraph: " + verdict(ratio("oxigraph"), 0.4)
            elif q == "lookup":
                target = "≥ 0.25× Oxigraph: " + verdict(ratio("oxigraph"), 0.25)
                if c == ("16" if "16" in [str(n) for n in sp["clients"]] else "8"):
                    target += "; p99 ≤ 25 ms: " + verdict(get("ftm", "p99_ms"), 25, higher_is_better=False)
            if ratio("rdflib"):
                target += ("; " if target else "") + "≥ 10× rdflib: " + verdict(ratio("rdflib"), 10)
            if ftm or res:
                lines.append(f"| {q} | {c} | {fnum(get('ftm'))} | {fnum(get('ftm', 'p50_ms'), 2)} | "
                             f"{fnum(get('ftm', 'p99_ms'), 2)} | {fnum(get('oxigraph'))} | {fnum(get('inprocess'))} | "
                             f"{fnum(get('minimal'))} | {fnum(get('rdflib'))} | {fnum(ratio('oxigraph'), 2)} | "
                             f"{fnum(ratio('inprocess'), 2)} | {fnum(ratio('rdflib'), 2)} | {target} |")
    errors = {t: sum(f["errors"] for qs in v.values() for f in qs.values()) for t, v in res.items()}
    if any(errors.values()):
        lines.append(f"\nRequests that failed (any status but 200, e.g. 503 busy or over the time limit): {errors}")
    if sp.get("skipped"):
        lines.append(f"\nSkipped: {sp['skipped']}")
    return lines + [""]


def growth_table(scales: list[dict]) -> list[str]:
    heads = [headline(s) for s in scales]
    keys = [k for k in heads[0] if k != "rows"]
    lines = ["## Growth: the same figures at each scale", "",
             "| figure | " + " | ".join(f"{h['rows']:,} rows" for h in heads) + " | largest ÷ smallest |",
             "| --- | " + " | ".join("---" for _ in heads) + " | --- |"]
    for k in keys:
        values = [h.get(k) for h in heads]
        ratio = round(values[-1] / values[0], 2) if values[0] and values[-1] else None
        lines.append(f"| {k} | " + " | ".join(fnum(v, 2) for v in values) + f" | {fnum(ratio, 2)} |")
    return lines + ["", "Targets: page times flat from 10^5 to 10^7 triples (ratio near 1).", ""]


def growth(scales: list[dict]) -> dict:
    heads = [headline(s) for s in scales]
    out = {}
    for k in heads[0]:
        values = [h.get(k) for h in heads]
        out[k] = {"values": values,
                  "largest_over_smallest": round(values[-1] / values[0], 3) if values[0] and values[-1] else None}
    return out


def recorded(function, *args, **kwargs) -> dict:
    """Run a step whose failure should not lose the other figures: its figures, or {"error": why}."""
    try:
        return function(*args, **kwargs)
    except (RuntimeError, OSError, ValueError) as exc:
        print(f"   failed: {str(exc)[:300]}", flush=True)
        return {"error": str(exc)[-2000:]}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small scale, short runs (a few minutes)")
    parser.add_argument("--scale", default="1e5", help="comma-separated source-row counts, e.g. 1e4,1e5,1e6,1e7")
    parser.add_argument("--json", type=Path, default=HERE / "results.json", help="where to write the figures")
    parser.add_argument("--repeat", type=int, help="SPARQL runs per figure (median; default 3, quick 1)")
    parser.add_argument("--seconds", type=float, help="length of one SPARQL run (default 3, quick 0.5)")
    parser.add_argument("--clients", default="1,8,16,32", help="SPARQL concurrent clients")
    parser.add_argument("--page-requests", type=int, help="requests per page kind (default 200, quick 20)")
    parser.add_argument("--skip", default="", help="comma-separated steps to leave out: bench_ingest, sparql, pages")
    parser.add_argument("--work", type=Path, help="keep the generated files and stores in this folder")
    parser.add_argument("--reuse", action="store_true",
                        help="with --work: use the stores an earlier run built there (no generate, no ingest)")
    args = parser.parse_args(argv)
    scales = [SMALL_ROWS] if args.quick else [int(float(s)) for s in args.scale.split(",")]
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.seconds = args.seconds or (0.5 if args.quick else 3.0)
    args.page_requests = args.page_requests or (20 if args.quick else 200)
    skip = set(filter(None, args.skip.split(",")))
    work = args.work or Path(tempfile.mkdtemp(prefix="ftm-bench-"))
    results = {"started": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
               "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
               "quick": args.quick, "repeat": args.repeat, "seconds": args.seconds, "scales": []}
    try:
        for rows in scales:
            folder = work / f"rows-{rows}"
            print(f"== {rows:,} rows: generate and ingest", flush=True)
            big_bank = min(10_000, rows // 10)
            scale = built(folder) if args.reuse else None
            scale = scale or build(rows, folder, big_bank=big_bank)
            print(f"   ingest {scale['ingest']['seconds']:.1f} s, {scale['ingest']['quads']:,} quads", flush=True)
            baselines(scale, folder)
            if "bench_ingest" not in skip:
                print("== bench_ingest.py", flush=True)
                scale["bench_ingest"] = recorded(bench_ingest, rows, folder)
            if "sparql" not in skip:
                print("== SPARQL", flush=True)
                scale["sparql"] = sparql(scale["store"], folder, args, "inprocess,ftm,oxigraph,minimal,rdflib")
            if "pages" not in skip:
                print("== the big bank's page", flush=True)
                scale["big_bank_page"] = recorded(big_bank_page, scale["store"], folder)
                print(f"   {scale['big_bank_page']}", flush=True)
                print("== pages", flush=True)
                slow = scale["big_bank_page"].get("median_s", 0) > 1.0
                scale["pages"] = recorded(pages, scale["store"], folder, args, leave_out=("bank",) if slow else ())
            results["scales"].append(scale)
            if not args.work:
                shutil.rmtree(folder / "files", ignore_errors=True)
        if "sparql" not in skip and all(s["sparql"]["skipped"].get("rdflib") for s in results["scales"]):
            print("== rdflib-endpoint on a small store", flush=True)
            small = build(SMALL_ROWS, work / "rdflib-small", big_bank=SMALL_ROWS // 10)
            results["rdflib"] = sparql(small["store"], work / "rdflib-small", args, "inprocess,ftm,oxigraph,rdflib")
        elif "sparql" not in skip:
            results["rdflib"] = next(s["sparql"] for s in results["scales"] if not s["sparql"]["skipped"].get("rdflib"))
        results["growth"] = growth(results["scales"])
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    results["table"] = table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(results["table"])
    print(f"\nfigures written to {args.json}")


if __name__ == "__main__":
    main()
