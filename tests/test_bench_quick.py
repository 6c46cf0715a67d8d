"""The benchmark suite's quick form runs end to end (bench/run.py --quick) and reports every section.

It checks that each section is there with positive figures, never how fast
anything is: speed is what the figures are for, and they move with the machine.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"
QUERIES = ("lookup", "aggregate", "path")
CLIENTS = ("1", "8", "32")


@pytest.mark.slow
def test_quick_benchmark_reports_every_section(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run([sys.executable, str(RUN), "--quick", "--json", str(out)], capture_output=True,
                          text=True, timeout=1200)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(out.read_text(encoding="utf-8"))
    [scale] = results["scales"]

    assert scale["generate"]["seconds"] > 0
    ingest = scale["ingest"]
    assert ingest["quads"] > 0 and ingest["triples_per_s"] > 0 and ingest["peak_rss_mb"] > 0
    base = scale["baseline"]
    assert base["bulk_load"]["triples_per_s"] > 0 and base["rdflib_parse"]["triples_per_s"] > 0
    assert base["ingest_vs_bulk_load"] > 0 and base["ingest_vs_rdflib"] > 0
    assert scale["bench_ingest"]["seconds"] > 0

    sparql = scale["sparql"]["results"]
    for target in ("inprocess", "ftm", "oxigraph", "minimal", "rdflib"):
        for query in QUERIES:
            for clients in CLIENTS if target != "rdflib" else ("1", "8"):  # rdflib: 1 and 8 clients only
                figures = sparql[target][query][clients]
                assert figures["requests"] > 0 and figures["rps"] > 0 and figures["p50_ms"] > 0, (target, query)
    assert scale["sparql"]["ratio_to_oxigraph"]["ftm"]["lookup"]["1"] > 0
    assert scale["sparql"]["ratio_to_inprocess"]["ftm"]["lookup"]["1"] > 0

    pages = scale["pages"]["figures"]
    assert pages, "no page figures"
    assert all(f["p95"] > 0 for by_clients in pages.values() for f in _page_cells(by_clients))

    assert results["growth"]["ingest triples/s"]["values"][0] > 0
    for heading in ("source rows", "SPARQL", "Pages"):
        assert heading in results["table"]


def _page_cells(by_clients: dict):
    """The figure cells of one page kind, whether bench_pages nests them by cache state or not."""
    for value in by_clients.values():
        if isinstance(value, dict) and "p95" in value:
            yield value
        elif isinstance(value, dict):
            yield from _page_cells(value)
