"""Load and leak: a real server under ~35 s of concurrent lookups, page requests and pathological queries.

Four clients run SPARQL lookups, two request pages (some with ``Cache-Control: no-cache``, so they are
rendered again), and one sends a cross product every few seconds. Expected: every lookup and page
answers 200, every cross product is stopped at the time limit (503), no lookup waits long, and the web
process's resident memory (``/proc/PID/status``) after a warm-up does not grow by more than 25 %.
``FTM_GRAPH_SOAK_SECONDS`` changes the duration. The figures are printed (``pytest -s``).
"""

import os
import statistics
import threading
import time
from pathlib import Path

import httpx
import pytest
from conftest import stop
from test_endpoint_http import CROSS_PRODUCT, LOOKUP, TIMEOUT, serve

pytestmark = pytest.mark.slow

SECONDS = float(os.environ.get("FTM_GRAPH_SOAK_SECONDS", "35"))
WARM_UP = 8.0  #: seconds before the reference memory reading
GROWTH = 1.25  #: the most the web process's memory may grow after the warm-up
PAGES = ["/", "/id/bank/banobras", "/id/debt/ZAC-2017-BANORTE", "/id/body/zac/60", "/search?q=banobras",
         "/browse", "/sources", "/search.json?q=ban", "/sparql/queries/refinancing_links"]


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for process {pid}")


def test_sustained_load_without_errors_or_leaks(sample_store, tmp_path):
    process, url = serve(sample_store.path, tmp_path / "service.log")
    results: dict[str, list] = {"lookup": [], "page": [], "pathological": []}
    memory: list[tuple[float, int]] = []
    stop_at = time.monotonic() + SECONDS
    lock = threading.Lock()

    def record(kind: str, status, seconds: float) -> None:
        with lock:
            results[kind].append((status, seconds))

    def timed(kind: str, request) -> None:
        started = time.monotonic()
        try:
            status = request().status_code
        except httpx.HTTPError as exc:
            status = repr(exc)
        record(kind, status, time.monotonic() - started)

    def lookups(client: httpx.Client) -> None:
        while time.monotonic() < stop_at:
            timed("lookup", lambda: client.get(url + "/sparql", params={"query": LOOKUP}))

    def pages(client: httpx.Client, offset: int) -> None:
        n = offset
        while time.monotonic() < stop_at:
            path = PAGES[n % len(PAGES)]
            headers = {"Cache-Control": "no-cache"} if n % 3 == 0 else {}
            timed("page", lambda path=path, headers=headers: client.get(url + path, headers=headers))
            n += 1

    def pathological(client: httpx.Client) -> None:
        while time.monotonic() < stop_at - TIMEOUT - 1:
            timed("pathological", lambda: client.get(url + "/sparql", params={"query": CROSS_PRODUCT}))
            time.sleep(3)

    def sample_memory() -> None:
        started = time.monotonic()
        while time.monotonic() < stop_at:
            memory.append((time.monotonic() - started, rss_kb(process.pid)))
            time.sleep(1)

    clients = [httpx.Client(timeout=60) for _ in range(7)]
    threads = [threading.Thread(target=lookups, args=(clients[i],)) for i in range(4)]
    threads += [threading.Thread(target=pages, args=(clients[4 + i], i)) for i in range(2)]
    threads += [threading.Thread(target=pathological, args=(clients[6],)), threading.Thread(target=sample_memory)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(SECONDS + 90)
        after = rss_kb(process.pid)
    finally:
        for client in clients:
            client.close()
        stop(process)

    warm = [kb for seconds, kb in memory if seconds >= WARM_UP]
    reference, peak = warm[0], max(warm)
    lookup_seconds = sorted(s for _, s in results["lookup"])
    page_seconds = sorted(s for _, s in results["page"])
    print(f"\nsoak {SECONDS:.0f} s: {len(lookup_seconds)} lookups (p50 {statistics.median(lookup_seconds) * 1000:.0f} ms, "
          f"p99 {lookup_seconds[int(len(lookup_seconds) * 0.99)] * 1000:.0f} ms, max {lookup_seconds[-1]:.2f} s), "
          f"{len(page_seconds)} pages (p50 {statistics.median(page_seconds) * 1000:.0f} ms, max {page_seconds[-1]:.2f} s), "
          f"{len(results['pathological'])} cross products; web process RSS {memory[0][1] / 1024:.0f} MB at start, "
          f"{reference / 1024:.0f} MB after warm-up, peak {peak / 1024:.0f} MB, {after / 1024:.0f} MB at the end")

    assert {s for s, _ in results["lookup"]} == {200}, [r for r in results["lookup"] if r[0] != 200][:5]
    assert {s for s, _ in results["page"]} == {200}, [r for r in results["page"] if r[0] != 200][:5]
    assert results["pathological"] and {s for s, _ in results["pathological"]} == {503}, results["pathological"]
    assert lookup_seconds[-1] < TIMEOUT + 3, "a lookup waited for a stopped query's worker to be replaced too long"
    assert peak <= reference * GROWTH, f"RSS grew from {reference} kB to {peak} kB"
