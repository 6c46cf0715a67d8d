"""Page render times (p50/p95) of the main page kinds, on the sample and on a generated ~1M-triple graph.

    .venv/bin/python bench/bench_pages.py                 # sample only
    .venv/bin/python bench/bench_pages.py --triples 1000000

Serves the app with uvicorn on 127.0.0.1 and requests each page kind with 1
client, then with 16 concurrent clients (threads, httpx). A benchmark, not a
test: figures vary ±30 % between runs.
"""

import argparse
import random
import socket
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from ftm_graph.app import create_app
from ftm_graph.config import Settings
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


def measure(url: str, clients: int, requests: int) -> tuple[float, float]:
    times = []

    def one(_):
        with httpx.Client(timeout=60) as c:
            for _ in range(requests // clients):
                t0 = time.perf_counter()
                r = c.get(url, headers={"Accept": "text/html"})
                times.append(time.perf_counter() - t0)
                assert r.status_code in (200, 404), (url, r.status_code)

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(clients)))
    times.sort()
    return statistics.median(times) * 1000, times[int(len(times) * 0.95) - 1] * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=0, help="generated triples added to the sample")
    parser.add_argument("--requests", type=int, default=200, help="requests per page kind and client setting")
    args = parser.parse_args()
    import uvicorn

    with tempfile.TemporaryDirectory() as tmp:
        store = build(Path(tmp), args.triples)
        print(f"store: {len(store):,} quads")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        srv = uvicorn.Server(uvicorn.Config(create_app(Settings(store=str(store.path)), store), host="127.0.0.1",
                                            port=port, log_level="warning"))
        threading.Thread(target=srv.run, daemon=True).start()
        while not srv.started:
            time.sleep(0.05)
        print(f"{'page':12} {'1 client p50':>13} {'p95':>8} {'16 clients p50':>15} {'p95':>8}  (ms)")
        for name, path in PAGES.items():
            url = f"http://127.0.0.1:{port}{path}"
            measure(url, 1, 10)  # warm-up
            one = measure(url, 1, args.requests)
            many = measure(url, 16, args.requests * 2)
            print(f"{name:12} {one[0]:13.1f} {one[1]:8.1f} {many[0]:15.1f} {many[1]:8.1f}")
        srv.should_exit = True


if __name__ == "__main__":
    main()
