"""SPARQL latency and throughput: our /sparql against pyoxigraph in-process, the Oxigraph server and rdflib-endpoint.

    .venv/bin/python bench/bench_sparql.py --store PATH [--clients 1,8,16,32] [--seconds 3] [--repeat 3]
        [--targets inprocess,ftm,oxigraph,minimal,rdflib] [--rdflib-max-triples 100000] [--json FILE]

Three queries (their text is in QUERIES), each run by 1, 8, 16 and 32 concurrent
clients, each client a thread with one keep-alive connection over loopback,
for `--seconds`; `--repeat` runs, and every figure is the median of the runs:

- lookup:    one entity's statements (a loan, rotating over up to 200 loans);
- aggregate: the sum of amounts lent (drawdowns) by lender and year, over the whole graph;
- path:      follow the money from one loan: payments it funds -> contracts they pay -> award -> suppliers
             (anchored; rotating over the loans that have such paths).

Targets, one at a time, each given the same data (the store's default graph, i.e. the merge):

- inprocess: pyoxigraph called in this process (Store.query + SPARQL JSON), threads, no HTTP;
- ftm:       `ftm-graph serve` /sparql (worker processes, time limit, row cap, logging; the lookup, a single
             anchored pattern, is answered in the web process: ftm_graph/sparql_fast.py; the path query shows
             the worker path);
- oxigraph:  the Oxigraph server (`oxigraph serve-read-only`) on a copy of the live generation's database;
- minimal:   a minimal FastAPI + uvicorn app calling pyoxigraph in its thread pool (NOTES.md's baseline);
- rdflib:    rdflib-endpoint on an rdflib Graph of the default graph: only when it holds at most
             --rdflib-max-triples triples (rdflib holds everything in memory and is slow), else skipped;
             and with --rdflib-clients only (1 and 8: its aggregate takes seconds, 32 of them minutes).

The load generator is a small HTTP/1.1 client on raw sockets (so it costs
little CPU), in this process, sharing the machine's cores with the server:
compare the lines of one run; absolute figures move ±30 % between runs.
Errors (any status but 200, e.g. 503 when the service is busy) are counted,
not timed. Nothing here asserts a speed.
"""

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

FIS = "https://w3id.org/ftm-graph/fiscal#"
P = f"PREFIX fis: <{FIS}>\n"
#: The benchmark's queries; `{anchor}` is replaced by one IRI of the anchors of that query.
QUERIES = {
    "lookup": "SELECT ?p ?o WHERE { <{anchor}> ?p ?o }",
    "aggregate": P + """SELECT ?lender ?year (SUM(?value) AS ?lent) WHERE {
  ?loan a fis:DebtObligation ; fis:lender ?lender .
  ?amount fis:amountOf ?loan ; fis:measure <https://w3id.org/ftm-graph/code/measure/drawdown> ;
          fis:value ?value ; fis:periodStart ?start .
  BIND (YEAR(?start) AS ?year)
} GROUP BY ?lender ?year ORDER BY ?lender ?year""",
    "path": P + """SELECT ?payment ?contract ?supplier WHERE {
  ?payment fis:fundedBy <{anchor}> ; fis:paysFor ?contract .
  ?contract fis:award ?award . ?award fis:supplier ?supplier
}""",
}
#: How the anchors of each query are found (at most 200 each).
ANCHORS = {
    "lookup": P + "SELECT DISTINCT ?x WHERE { ?x a fis:DebtObligation } ORDER BY ?x LIMIT 200",
    "path": P + "SELECT DISTINCT ?x WHERE { ?p fis:fundedBy ?x ; fis:paysFor ?c } ORDER BY ?x LIMIT 200",
}
ACCEPT = "application/sparql-results+json"
TARGETS = ["inprocess", "ftm", "oxigraph", "minimal", "rdflib"]


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


class Connection:
    """One keep-alive HTTP/1.1 connection that sends prepared GET requests and reads whole responses."""

    def __init__(self, port: int):
        self.port = port
        self._connect()

    def _connect(self) -> None:
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=300)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _more(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buf += chunk

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._more()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._more()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def get(self, request: bytes) -> tuple[int, bytes]:
        """Send one prepared request; the status and body of the response."""
        self.sock.sendall(request)
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        status = int(head[9:12])
        headers = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if b"content-length" in headers:
            body = self._take(int(headers[b"content-length"]))
        elif headers.get(b"transfer-encoding") == b"chunked":
            parts = []
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():  # trailers, then the empty line
                        pass
                    break
                parts.append(self._take(size))
                self._take(2)
            body = b"".join(parts)
        else:  # no length: the body runs to the end of the connection
            try:
                while True:
                    self._more()
            except ConnectionError:
                pass
            body, self.buf = self.buf, b""
            self.sock.close()
            self._connect()
        if headers.get(b"connection") == b"close":
            self.sock.close()
            self._connect()
        return status, body

    def close(self) -> None:
        self.sock.close()


def request_bytes(port: int, path: str, query: str) -> bytes:
    """A GET of the SPARQL 1.1 Protocol (query in the URL, §2.1.1), asking for SPARQL JSON results."""
    return (f"GET {path}?query={quote(query, safe='')} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Accept: {ACCEPT}\r\n\r\n").encode()


def run_clients(clients: int, seconds: float, make_call) -> dict:
    """Run `clients` threads, each calling its own `make_call()` in a loop for `seconds`.

    Returns the latencies (s) of the calls that succeeded, the error count and the elapsed time
    (which includes the calls still running at the deadline: a slow query is never cut short).
    """
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start = time.perf_counter()
    stop_at = start + seconds

    def loop(i: int) -> None:
        call = make_call(i)
        mine = latencies[i]
        try:
            while time.perf_counter() < stop_at:
                t0 = time.perf_counter()
                if call():
                    mine.append(time.perf_counter() - t0)
                else:
                    errors[i] += 1
        finally:
            getattr(call, "close", lambda: None)()

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    return {"latencies": [x for mine in latencies for x in mine], "errors": sum(errors), "elapsed": elapsed}


def summarise(runs: list[dict]) -> dict:
    """Median over repeated runs of p50, p99 (ms) and requests per second."""
    figures = []
    for run in runs:
        ms = [x * 1000 for x in run["latencies"]]
        figures.append({"p50_ms": statistics.median(ms) if ms else None, "p99_ms": percentile(ms, 99) if ms else None,
                        "rps": len(ms) / run["elapsed"], "n": len(ms), "errors": run["errors"]})

    def med(key):
        values = [f[key] for f in figures if f[key] is not None]
        return round(statistics.median(values), 3) if values else None

    return {"p50_ms": med("p50_ms"), "p99_ms": med("p99_ms"), "rps": med("rps"),
            "requests": sum(f["n"] for f in figures), "errors": sum(f["errors"] for f in figures)}


# ---- the servers -------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    """Peak RSS (VmHWM) of a process and its children, from /proc; 0 where /proc is not there."""
    total = 0.0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                total += sum(peak_rss_mb(int(child)) for child in f.read().split())
    except OSError:
        pass
    return round(total, 1)


def start_server(command: list[str], port: int, path: str, log: Path, env: dict | None = None,
                 timeout: float = 300) -> subprocess.Popen:
    """Start a server and wait until `path` answers a query; raise with its log if it exits or never does."""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    deadline = time.monotonic() + timeout
    probe = request_bytes(port, path, "ASK {}")
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited with {process.returncode}: {log.read_text()[-1500:]}")
        try:
            conn = Connection(port)
            status, _ = conn.get(probe)
            conn.close()
            if status == 200:
                return process
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{command[0]} did not answer within {timeout:g} s: {log.read_text()[-1500:]}")
        time.sleep(0.1)


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def oxigraph_binary() -> str:
    found = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(found).exists():
        raise RuntimeError("the `oxigraph` server is missing: install the bench extra (PyPI package 'oxigraph')")
    return found


#: NOTES.md's baseline: FastAPI calling pyoxigraph in its thread pool, no time limit, no row cap, no logging.
MINIMAL_APP = """
import sys, uvicorn, pyoxigraph as ox
from fastapi import FastAPI, Response
from starlette.concurrency import run_in_threadpool
store = ox.Store.read_only(sys.argv[1]); app = FastAPI()
def run(q):
    return store.query(q).serialize(format=ox.QueryResultsFormat.JSON)
@app.get("/sparql")
async def sparql(query: str):
    return Response(await run_in_threadpool(run, query), media_type="application/sparql-results+json")
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""

#: rdflib-endpoint serving an N-Triples file as its default graph, at GET /sparql.
RDFLIB_APP = """
import sys, uvicorn, rdflib
from rdflib_endpoint import SparqlEndpoint
g = rdflib.Graph(); g.parse(sys.argv[1], format="nt")
uvicorn.run(SparqlEndpoint(graph=g, path="/sparql"), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


class Bench:
    """One store, its anchors, and the targets to measure."""

    def __init__(self, store_path: Path, work: Path, args):
        from ftm_graph.store import Store

        self.args, self.work = args, work
        self.store = Store(store_path)
        self.oxi_dir = self.store.generation_dir / "oxigraph"
        self.triples = self._count_default()
        self.anchors = {name: [row[0].value for row in self.store.query(q)] for name, q in ANCHORS.items()}
        for name in ("lookup", "path"):
            if not self.anchors[name]:
                raise SystemExit(f"{store_path}: no anchors for the {name} query ({ANCHORS[name]}): "
                                 "ingest bench/generate.py's files first")
        #: per query, the texts to send, rotating (one per anchor, or the one text)
        self.texts = {name: ([q.replace("{anchor}", a) for a in self.anchors[name]] if "{anchor}" in q else [q])
                      for name, q in QUERIES.items()}

    def _count_default(self) -> int:
        [row] = list(self.store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"))
        return int(row[0].value)

    def measure(self, make_call_for, clients_list=None) -> dict:
        """Every query at every client count: {query: {clients: figures}}."""
        out = {}
        for name, texts in self.texts.items():
            out[name] = {}
            make = make_call_for(texts)
            run_clients(1, min(0.5, self.args.seconds), make)  # warm-up
            for clients in clients_list or self.args.clients:
                runs = [run_clients(clients, self.args.seconds, make) for _ in range(self.args.repeat)]
                out[name][str(clients)] = summarise(runs)
                print(f"  {name:<9} {clients:>3} clients: {fmt(out[name][str(clients)])}", flush=True)
        return out

    def inprocess(self) -> dict:
        import pyoxigraph as ox

        def make_call_for(texts):
            def make(i):
                state = {"k": i}

                def call():
                    state["k"] += 1
                    self.store.query(texts[state["k"] % len(texts)]).serialize(format=ox.QueryResultsFormat.JSON)
                    return True
                return call
            return make

        return self.measure(make_call_for)

    def over_http(self, port: int, path: str, clients_list=None) -> dict:
        def make_call_for(texts):
            requests = [request_bytes(port, path, t) for t in texts]

            def make(i):
                conn = Connection(port)
                state = {"k": i}

                def call():
                    state["k"] += 1
                    try:
                        status, _ = conn.get(requests[state["k"] % len(requests)])
                    except OSError:
                        conn._connect()
                        return False
                    return status == 200
                call.close = conn.close
                return call
            return make

        return self.measure(make_call_for, clients_list)

    def server(self, name: str) -> tuple[dict, float]:
        """Start target `name`, measure it, stop it; its figures and peak RSS (MB)."""
        port = free_port()
        log = self.work / f"{name}.log"
        if name == "ftm":
            env = {**os.environ, "FTM_GRAPH_QUERY_WORKERS": str(self.args.workers)}
            command = [sys.executable, "-m", "ftm_graph.cli", "serve", "--store", str(self.store.path),
                       "--port", str(port), "--max-rows", "100000"]
            path = "/sparql"
        elif name == "oxigraph":
            copy = self.work / "oxigraph-copy"
            if not copy.exists():
                shutil.copytree(self.oxi_dir, copy)
            command = [oxigraph_binary(), "serve-read-only", "--location", str(copy), "--bind", f"127.0.0.1:{port}"]
            env, path = None, "/query"
        elif name == "minimal":
            command = [sys.executable, "-c", MINIMAL_APP, str(self.oxi_dir), str(port)]
            env, path = None, "/sparql"
        elif name == "rdflib":
            nt = self.work / "default.nt"
            import pyoxigraph as ox

            ox.Store.read_only(str(self.oxi_dir)).dump(str(nt), format=ox.RdfFormat.N_TRIPLES,
                                                      from_graph=ox.DefaultGraph())
            command = [sys.executable, "-c", RDFLIB_APP, str(nt), str(port)]
            env, path = None, "/sparql"
        else:
            raise SystemExit(f"unknown target {name}; expected one of {', '.join(TARGETS)}")
        process = start_server(command, port, path, log, env)
        try:
            # rdflib's whole-graph aggregate takes seconds: 32 clients of it would take minutes
            figures = self.over_http(port, path, self.args.rdflib_clients if name == "rdflib" else None)
            return figures, peak_rss_mb(process.pid)
        finally:
            stop_server(process)


def fmt(f: dict) -> str:
    p50 = "-" if f["p50_ms"] is None else f"{f['p50_ms']:8.2f}"
    p99 = "-" if f["p99_ms"] is None else f"{f['p99_ms']:8.2f}"
    return f"{f['rps']:9.1f} req/s  p50 {p50} ms  p99 {p99} ms  ({f['requests']} requests, {f['errors']} errors)"


def ratios(results: dict, to: str) -> dict:
    """req/s of each target divided by that of target `to`, per query and client count."""
    base = results.get(to)
    if not base:
        return {}
    out = {}
    for target, queries in results.items():
        if target == to:
            continue
        # rdflib-endpoint runs with fewer client counts: a ratio only where both were measured
        out[target] = {q: {c: (round(f["rps"] / base[q][c]["rps"], 3) if base[q][c]["rps"] else None)
                           for c, f in by_clients.items() if c in base.get(q, {})}
                       for q, by_clients in queries.items()}
    return out


def run(store_path: Path, args) -> dict:
    """Measure every target on one store; the figures as a JSON-ready dict."""
    with tempfile.TemporaryDirectory(prefix="bench-sparql-") as tmp:
        bench = Bench(store_path, Path(tmp), args)
        print(f"{store_path}: {bench.triples:,} triples in the default graph; "
              f"{args.seconds:g} s per run, {args.repeat} runs, clients {args.clients}", flush=True)
        results, rss, skipped = {}, {}, {}
        for target in args.targets:
            if target == "rdflib" and bench.triples > args.rdflib_max_triples:
                skipped[target] = (f"{bench.triples:,} triples is above --rdflib-max-triples "
                                   f"{args.rdflib_max_triples:,} (rdflib is measured on a small store only)")
                print(f"rdflib: skipped: {skipped[target]}", flush=True)
                continue
            print(f"{target}:", flush=True)
            if target == "inprocess":
                results[target] = bench.inprocess()
                rss[target] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
            else:
                results[target], rss[target] = bench.server(target)
        bench.store.close()
    return {"store": str(store_path), "triples": bench.triples, "seconds": args.seconds, "repeat": args.repeat,
            "clients": args.clients, "queries": QUERIES, "results": results, "peak_rss_mb": rss,
            "skipped": skipped, "ratio_to_oxigraph": ratios(results, "oxigraph"),
            "ratio_to_inprocess": ratios(results, "inprocess")}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="an ftm-graph store holding generated data")
    parser.add_argument("--clients", default="1,8,16,32", help="concurrent clients, comma-separated")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is reported)")
    parser.add_argument("--targets", default=",".join(TARGETS), help=f"comma-separated, of {', '.join(TARGETS)}")
    parser.add_argument("--workers", type=int, default=3, help="query worker processes of `ftm-graph serve`")
    parser.add_argument("--rdflib-max-triples", type=int, default=100_000,
                        help="serve with rdflib-endpoint only stores up to this size")
    parser.add_argument("--rdflib-clients", default="1,8", help="concurrent clients for rdflib-endpoint")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",")]
    args.rdflib_clients = [int(c) for c in args.rdflib_clients.split(",")]
    args.targets = [t for t in args.targets.split(",") if t]
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    figures = run(args.store, args)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
