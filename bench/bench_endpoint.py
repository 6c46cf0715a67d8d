"""Latency of a simple lookup through /sparql under concurrent clients, against pyoxigraph called in-process.

Usage: python bench/bench_endpoint.py [--store PATH] [--clients 8] [--seconds 10] [--workers 3]

Without --store it builds the bundled sample into a temporary store. It starts
`ftm-graph serve` on 127.0.0.1, runs `clients` threads each sending the same
anchored SELECT over one keep-alive connection for `seconds`, and prints
p50/p99 and requests per second; then the same number of threads call
pyoxigraph (Store.query + SPARQL JSON serialisation) directly, in this process,
for the same time. The load generator shares the machine's cores with the
server: compare the two lines of one run, not figures across machines.
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

QUERY = ("SELECT ?lender WHERE { <http://127.0.0.1:8000/id/debt/ZAC-2017-BANORTE> "
         "<https://w3id.org/ftm-graph/fiscal#lender> ?lender }")


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_clients(clients: int, seconds: float, call) -> list[float]:
    """Run `call()` in `clients` threads for `seconds`; the latency of each call, in seconds."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    stop_at = time.perf_counter() + seconds

    def loop(mine: list[float]):
        state = {}
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            call(state)
            mine.append(time.perf_counter() - started)

    threads = [threading.Thread(target=loop, args=(mine,)) for mine in latencies]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return [x for mine in latencies for x in mine]


def report(name: str, latencies: list[float], seconds: float) -> None:
    ms = [x * 1000 for x in latencies]
    print(f"{name:<42} n={len(ms):>6}  {len(ms) / seconds:>7.0f} req/s  p50 {statistics.median(ms):6.2f} ms  "
          f"p99 {percentile(ms, 99):6.2f} ms")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", help="an existing store (default: build the sample into a temporary one)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=3, help="query worker processes of the server")
    args = parser.parse_args()

    from ftm_graph.sources import ingest, sample_files
    from ftm_graph.store import Store, create_store

    store_path = args.store
    if store_path is None:
        store_path = str(Path(tempfile.mkdtemp()) / "store")
        create_store(store_path, "http://127.0.0.1:8000/")
        with Store(store_path) as store:
            ingest(store, sample_files())
    print(f"{args.clients} clients, {args.seconds:g} s each, simple anchored lookup")
    env = {**os.environ, "FTM_GRAPH_QUERY_WORKERS": str(args.workers)}
    ours = [sys.executable, "-m", "ftm_graph.cli", "serve", "--store", store_path, "--port", "{port}"]
    minimal = [sys.executable, "-c", MINIMAL_APP, store_path, "{port}"]
    for name, command in [("/sparql (worker processes)", ours), ("minimal FastAPI + pyoxigraph in-process", minimal)]:
        bench_server(name, command, env, args)

    import pyoxigraph as ox

    store = Store(store_path)

    def in_process(state):
        store.query(QUERY).serialize(format=ox.QueryResultsFormat.JSON)

    report("pyoxigraph called directly (threads)", run_clients(args.clients, args.seconds, in_process), args.seconds)


#: The baseline: FastAPI calling pyoxigraph in its thread pool, no time limit, no row cap (NOTES.md's "minimal app").
MINIMAL_APP = """
import sys, uvicorn, pyoxigraph as ox
from fastapi import FastAPI, Response
from starlette.concurrency import run_in_threadpool
from ftm_graph.store import Store
store = Store(sys.argv[1]); app = FastAPI()
def run(q):
    return store.query(q).serialize(format=ox.QueryResultsFormat.JSON)
@app.get("/sparql")
async def sparql(query: str):
    return Response(await run_in_threadpool(run, query), media_type="application/sparql-results+json")
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def bench_server(name: str, command: list[str], env: dict, args) -> None:
    """Start a server, load it with the clients, report, stop it."""
    port = free_port()
    server = subprocess.Popen([part.format(port=port) for part in command], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/sparql"
    try:
        for _ in range(300):
            try:
                httpx.get(url, params={"query": "ASK {}"}, timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)

        def over_http(state):
            if "client" not in state:  # one keep-alive connection per client thread
                state["client"] = httpx.Client(timeout=30)
            client = state["client"]
            r = client.get(url, params={"query": QUERY}, headers={"Accept": "application/sparql-results+json"})
            assert r.status_code == 200

        run_clients(args.clients, 1.0, over_http)  # warm-up
        report(name, run_clients(args.clients, args.seconds, over_http), args.seconds)
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
