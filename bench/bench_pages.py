"""Page times (p50/p95, requests/s) of the main page kinds, uncached and cached, on the sample or a bigger store.

    .venv/bin/python bench/bench_pages.py                          # the sample only
    .venv/bin/python bench/bench_pages.py --triples 1000000        # the sample + a generated ~1M-triple graph
    .venv/bin/python bench/bench_pages.py --store PATH --json out.json --workers 2

Serves the app in its own process (uvicorn, ``--workers`` processes) on
127.0.0.1 and requests each page kind with 1 client, then 16 concurrent
clients (threads, httpx, in this process). Each kind is measured twice:
**uncached** (every request sends ``Cache-Control: no-cache``, so the page is
built again: the honest figure) and **cached** (the generation's rendered
page, as repeat visitors get it). A benchmark, not a test: figures vary
±30 % between runs, more on a shared machine.

``--json FILE`` writes ``{"conditions": {...}, "uncached": {kind: {clients:
{"p50", "p95", "rps"}}}, "cached": {...}}`` (milliseconds, requests per
second; clients as strings "1" and "16").
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from ftm_graph.sources import after_write, ingest, sample_files
from ftm_graph.store import Store, create_store

BASE = "http://127.0.0.1:8000/"
F = "https://w3id.org/ftm-graph/fiscal#"
XSD = "http://www.w3.org/2001/XMLSchema#"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def generate(path: Path, triples: int, seed: int = 5) -> None:
    """Realistic-shaped fiscal data: bodies, suppliers, budget lines with stage amounts, payments (N-Triples)."""
    rnd = random.Random(seed)
    bodies = [f"<{BASE}id/body/gen/{n}>" for n in range(80)]
    suppliers = [f"<{BASE}id/rfc/GEN{n:06d}XX{n % 10}>" for n in range(5000)]
    written = 0
    with open(path, "w") as out:
        def t(s, p, o):
            nonlocal written
            out.write(f"{s} <{p}> {o} .\n")
            written += 1
        for n, b in enumerate(bodies):
            t(b, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"<{F}StateAgency>")
            t(b, LABEL, f'"Dependencia generada {n}"@es')
        for n, s in enumerate(suppliers):
            t(s, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"<{F}Company>")
            t(s, LABEL, f'"Proveedor generado {n} S.A. de C.V."')
        n = 0
        while written < triples:
            n += 1
            payer, payee = rnd.choice(bodies), rnd.choice(suppliers)
            year = rnd.randint(2015, 2024)
            pay = f"<{BASE}id/payment/gen/{n}>"
            amount = f"<{BASE}id/payment/gen/{n}/amount/payment/{year}-x>"
            t(pay, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"<{F}Payment>")
            t(pay, F + "payer", payer)
            t(pay, F + "payee", payee)
            t(pay, F + "paymentDate", f'"{year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"^^<{XSD}date>')
            t(amount, F + "amountOf", pay)
            t(amount, F + "measure", "<https://w3id.org/ftm-graph/code/measure/payment>")
            t(amount, F + "value", f'"{rnd.randint(1000, 50_000_000)}"^^<{XSD}decimal>')
            if n % 5 == 0:
                line = f"<{BASE}id/budget/{year}/gen-{n}>"
                t(line, "http://www.w3.org/1999/02/22-rdf-syntax-ns#type", f"<{F}BudgetLine>")
                t(line, F + "budgetHolder", payer)
                t(line, LABEL, f'"Partida generada {n}"@es')
                for stage in ("aprobado", "modificado", "pagado"):
                    a = f"<{BASE}id/budget/{year}/gen-{n}/amount/{stage}/{year}-x>"
                    t(a, F + "amountOf", line)
                    t(a, F + "measure", f"<https://w3id.org/ftm-graph/code/stage/{stage}>")
                    t(a, F + "value", f'"{rnd.randint(1000, 9_000_000)}"^^<{XSD}decimal>')
                    t(a, F + "fiscalYear", f'"{year}"^^<{XSD}gYear>')


def build(folder: Path, triples: int) -> Store:
    path = create_store(folder / "store", BASE)
    store = Store(path)
    ingest(store, sample_files())
    if triples:
        nt = folder / "generated.nt"
        generate(nt, triples)
        t0 = time.perf_counter()
        with store.transaction() as tx:
            tx.load_file(nt, graph=BASE + "graph/generated")
            after_write(tx, BASE)
        print(f"generated {triples:,} triples; load + derived files {time.perf_counter() - t0:.1f} s")
    return Store(path)


PAGES = {
    "home": "/",
    "loan": "/id/debt/ZAC-2017-BANOBRAS",
    "bank": "/id/bank/banobras",
    "body": "/id/body/zac/69",
    "busy body": "/id/body/gen/7",
    "supplier": "/id/rfc/GEN000042XX2",
    "not found": "/id/bank/no-such-bank",
    "search": "/search?q=banobras",
    "type-ahead": "/search.json?q=secretaria",
    "browse": "/browse?type=payment",
}


CLIENTS = (1, 16)


def measure(url: str, clients: int, requests: int, headers: dict) -> dict:
    """p50 and p95 (ms) and requests per second of `requests` GETs spread over `clients` threads."""
    times = []

    def one(_):
        with httpx.Client(timeout=120) as c:
            for _ in range(max(1, requests // clients)):
                t0 = time.perf_counter()
                r = c.get(url, headers=headers)
                times.append(time.perf_counter() - t0)
                assert r.status_code in (200, 404), (url, r.status_code)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(clients)))
    elapsed = time.perf_counter() - t0
    times.sort()
    return {"p50": round(statistics.median(times) * 1000, 1),
            "p95": round(times[max(0, int(len(times) * 0.95) - 1)] * 1000, 1),
            "rps": round(len(times) / elapsed, 1)}


def serve(store: Path, workers: int):
    """Start the app in a process of its own (uvicorn), so the clients do not share its interpreter."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, FTM_GRAPH_STORE=str(store), FTM_GRAPH_QUERY_WORKERS="1")
    process = subprocess.Popen([sys.executable, __file__, "--serve", str(port), str(workers)], env=env)
    for _ in range(600):
        try:
            httpx.get(f"http://127.0.0.1:{port}/search.json?q=x", timeout=2)
            return process, port
        except httpx.TransportError:
            if process.poll() is not None:
                raise SystemExit(f"the server exited with {process.returncode}") from None
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the server did not start within 60 s")


def run_server(port: int, workers: int) -> None:
    """uvicorn with `workers` processes, its listening socket set to TCP_NODELAY.

    uvicorn's multi-worker mode makes its socket without IPPROTO_TCP, so asyncio does not turn
    off Nagle's algorithm on the connections, and every keep-alive request then waits ~40 ms for
    a delayed ACK; Linux copies the listener's TCP_NODELAY to each accepted connection.
    """
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("ftm_graph.app:create_app", factory=True, host="127.0.0.1", port=port,
                            workers=workers, log_level="warning")
    if workers == 1:
        uvicorn.Server(config).run()
        return
    sock = config.bind_socket()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    Multiprocess(config, sockets=[sock]).run()


def main():
    if sys.argv[1:2] == ["--serve"]:
        return run_server(int(sys.argv[2]), int(sys.argv[3]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=0, help="generated triples added to the sample")
    parser.add_argument("--store", type=Path, help="bench this prebuilt store instead of building one")
    parser.add_argument("--requests", type=int, default=200, help="requests per page kind and client setting")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes of the server")
    parser.add_argument("--json", type=Path, help="also write the figures to this file as JSON")
    parser.add_argument("--only", help="comma-separated page kinds to measure (default: all)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.store:
            store = Store(args.store)
        else:
            store = build(Path(tmp), args.triples)
        quads = len(store)
        print(f"store: {quads:,} quads (the default graph holds a copy of every triple)")
        process, port = serve(store.path, args.workers)
        kinds = [k for k in PAGES if not args.only or k in args.only.split(",")]
        figures = {"conditions": {"quads": quads, "workers": args.workers, "requests": args.requests,
                                  "cpus": os.cpu_count(), "load_average": os.getloadavg()[0]},
                   "uncached": {}, "cached": {}}
        try:
            print(f"{'page':12} {'cache':9}" + "".join(f" {f'{n} cl. p50':>11} {'p95':>7} {'req/s':>7}" for n in CLIENTS)
                  + "  (ms)")
            for name in kinds:
                url = f"http://127.0.0.1:{port}{PAGES[name]}"
                for mode, headers in (("uncached", {"Accept": "text/html", "Cache-Control": "no-cache"}),
                                      ("cached", {"Accept": "text/html"})):
                    measure(url, 1, 10, headers)  # warm-up (and, cached, fills the cache of each worker)
                    if mode == "cached":
                        measure(url, args.workers * 4, args.workers * 20, headers)
                    row = {str(n): measure(url, n, args.requests * (1 if n == 1 else 2), headers) for n in CLIENTS}
                    figures[mode][name] = row
                    print(f"{name:12} {mode:9}" + "".join(f" {row[str(n)]['p50']:11.1f} {row[str(n)]['p95']:7.1f} "
                                                          f"{row[str(n)]['rps']:7.1f}" for n in CLIENTS))
        finally:
            process.terminate()
            process.wait(30)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
