"""Public SPARQL queries in worker processes that can be stopped: a time limit that really ends the work.

pyoxigraph cannot cancel a running query and ``Store.query`` has no timeout,
so the endpoint runs no public query in the web process that could run long
(the one exception, a single anchored pattern, is bounded: sparql_fast.py). Each worker is a
process (started with ``spawn``: no inherited threads or locks) that opens the
store read-only through :class:`ftm_graph.store.Store` (or, for a remote store,
:class:`ftm_graph.remote.RemoteStore`, which forwards the query), calls ``refresh()``
before every query so it follows new generations, evaluates and serialises,
and sends the bytes back over a pipe. A query that passes the time limit gets
its worker killed; a fresh worker takes its place in the background, and the
other workers go on serving meanwhile.

The row cap applies to every format: at most ``max_rows`` solutions (or
triples) are read from the store, and :attr:`Answer.truncated` says when more
were there. SPARQL JSON is written by pyoxigraph's serialiser up to
RUST_JSON_BUDGET bytes (a larger result is written again in Python, reading
only up to the cap).

The web process waits for a worker on its event loop (:meth:`QueryPool.run_async`:
``loop.add_reader`` on the worker's socket, no thread per query). That needs
the asyncio loop: ``ftm-graph serve`` asks uvicorn for it even where uvloop is
installed (uvloop's add_reader misreads a worker socket closed and reopened
under the same descriptor, seen in tests/test_hostile_queries.py).
"""

import asyncio
import functools
import json
import logging
import multiprocessing
import pickle
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass

log = logging.getLogger("ftm_graph.sparql")

#: Where the truncation of a result is explained (SPARQL JSON ``head.link`` points here).
TRUNCATION_DOC = "/sparql#row-limit"


@dataclass
class Request:
    """One query to evaluate, as the endpoint received it (pickled to a worker)."""

    text: str
    default_graphs: list[str]  #: ``default-graph-uri`` values (empty: the store's default graph, the merge)
    named_graphs: list[str]  #: ``named-graph-uri`` values
    accept: str | None  #: the Accept header
    format: str | None  #: the ``format=`` parameter
    max_rows: int
    substitutions: dict | None = None  #: variable → IRI, for saved queries with parameters
    federation_allow: tuple[str, ...] = ()  #: SERVICE endpoints the query may call (see federation.py)


@dataclass
class Answer:
    """What a worker sends back: an HTTP status with a media type and body, or an error message."""

    status: int
    media_type: str | None  #: None for an error: `body` is then the message
    body: object  #: bytes, a table dict for HTML (see formats.tabulate), or a message str
    kind: str = ""  #: "solutions", "boolean" or "triples"
    rows: int = 0
    truncated: bool = False
    seconds: float = 0.0


class QueryTimeout(Exception):
    """The query ran past the time limit; its worker was stopped."""


class PoolBusy(Exception):
    """No worker became free within the time limit."""


# Evaluation (runs inside a worker process) ------------------------------------------------------


def _term_json(term) -> dict:
    """A term as SPARQL 1.1 Query Results JSON (§3.2.2)."""
    from pyoxigraph import BlankNode, Literal, NamedNode, Triple

    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, Triple):
        return {"type": "triple", "value": {"subject": _term_json(term.subject),
                                            "predicate": _term_json(term.predicate),
                                            "object": _term_json(term.object)}}
    raise TypeError(f"unexpected term {term!r}")


def _capped_solutions_json(results, max_rows: int) -> tuple[bytes, int, bool]:
    """SELECT results as SPARQL JSON, at most `max_rows` rows; a ``head.link`` says when rows were cut."""
    names = [v.value for v in results.variables]
    bindings, truncated = [], False
    for solution in results:
        if len(bindings) == max_rows:
            truncated = True
            break
        bindings.append({n: _term_json(solution[n]) for n in names if solution[n] is not None})
    head = {"vars": names}
    if truncated:
        head["link"] = [TRUNCATION_DOC]
    body = json.dumps({"head": head, "results": {"bindings": bindings}}, ensure_ascii=False)
    return body.encode("utf-8"), len(bindings), truncated


#: Most bytes of SPARQL JSON a worker lets pyoxigraph's serialiser write before it stops it and caps the rows in
#: Python instead (slower per row, but reading at most ``max_rows`` solutions): bounds a worker's memory.
RUST_JSON_BUDGET = 8 << 20


class _OverBudget(Exception):
    """Raised from a _Budget's write to stop pyoxigraph's serialiser (the exception goes through it unchanged)."""


class _Budget:
    """A binary writer for ``QuerySolutions.serialize`` that holds what it is given, up to `limit` bytes."""

    def __init__(self, limit: int):
        self.parts: list[bytes] = []
        self.size, self.limit = 0, limit

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise _OverBudget
        self.parts.append(data)
        return len(data)

    def flush(self) -> None:
        pass


def rust_json(results, max_rows: int, budget: int) -> tuple[bytes, int, bool] | None:
    """SELECT results as SPARQL JSON with at most `max_rows` rows, written by pyoxigraph's serialiser;
    None when they pass `budget` bytes (the results are then partly read).

    pyoxigraph writes a small result ~5x faster than Python builds it; json.loads (C) then counts the
    rows and, past the cap, cuts them and adds the ``head.link`` (as _capped_solutions_json does).
    """
    import pyoxigraph as ox

    out = _Budget(budget)
    try:
        results.serialize(out, format=ox.QueryResultsFormat.JSON)
    except _OverBudget:
        return None
    body = b"".join(out.parts)
    parsed = json.loads(body)
    bindings = parsed["results"]["bindings"]
    if len(bindings) <= max_rows:
        return body, len(bindings), False
    parsed["results"]["bindings"] = bindings[:max_rows]
    parsed["head"]["link"] = [TRUNCATION_DOC]
    return json.dumps(parsed, ensure_ascii=False).encode("utf-8"), max_rows, True


def _solutions_json(results, max_rows: int, rerun) -> tuple[bytes, int, bool]:
    """SELECT results as SPARQL JSON with at most `max_rows` rows: rust_json, or past RUST_JSON_BUDGET
    bytes the query again (`rerun`) through the Python path, which never reads more than the cap."""
    written = rust_json(results, max_rows, RUST_JSON_BUDGET)
    return written if written is not None else _capped_solutions_json(rerun(), max_rows)


def _choose(kind: str, accept: str | None, wanted: str | None):
    """The Format to answer in, or an error Answer (406); remembered for the short headers clients repeat."""
    if len(accept or "") + len(wanted or "") > 512:  # a giant header is not kept in memory
        return _negotiate(kind, accept, wanted)
    return _negotiate_cached(kind, accept, wanted)


def _negotiate(kind: str, accept: str | None, wanted: str | None):
    from . import formats

    offered = formats.GRAPH_FORMATS if kind == "triples" else formats.RESULT_FORMATS
    if wanted:
        fmt = formats.by_alias(offered, wanted)
        if fmt is None:
            names = ", ".join(dict.fromkeys(f.alias for f in offered.values()))
            return Answer(406, None, f"Formato desconocido / unknown format '{wanted}'; use one of {names}.")
        return fmt
    chosen = formats.negotiate(accept, list(offered))
    if chosen is None:
        return Answer(406, None, "Ninguno de los tipos aceptados sirve / none of the accepted media types fits; "
                                 "this result is offered as " + ", ".join(offered))
    return offered[chosen]


_negotiate_cached = functools.lru_cache(maxsize=256)(_negotiate)


def evaluate(store, req: Request) -> Answer:
    """Run one request on a Store and serialise its results (what a worker does for each query)."""
    import pyoxigraph as ox

    from . import federation, formats
    from .errors import StoreError

    started = time.perf_counter()
    dataset = {}
    try:
        if req.default_graphs or req.named_graphs:
            # SPARQL 1.1 Protocol §2.1.4: the graphs named in the request are the whole RDF dataset.
            dataset = {"default_graph": formats.iris(req.default_graphs),
                       "named_graphs": formats.iris(req.named_graphs)}
    except ValueError as e:
        return Answer(400, None, f"IRI de grafo no válido / invalid graph IRI: {e}")
    try:
        federation.check(req.text, req.federation_allow)
    except federation.FederationRefused as e:
        return Answer(403, None, str(e))
    subs = formats.bind(**req.substitutions) if req.substitutions else None

    def run():
        return store.query(req.text, substitutions=subs, **dataset)

    try:
        results = run()
    except SyntaxError as e:
        return Answer(400, None, f"Consulta SPARQL mal formada / malformed SPARQL query: {e}")
    except OSError as e:  # e.g. a SERVICE that does not answer
        return Answer(502, None, f"Error al evaluar la consulta / the query failed: {e}")
    except StoreError as e:  # a remote store refused or did not answer
        return Answer(502, None, f"Error del servidor SPARQL / the SPARQL server failed: {e}")
    kind = formats.result_kind(results)
    fmt = _choose(kind, req.accept, req.format)
    if isinstance(fmt, Answer):
        return fmt
    rows, truncated = 0, False
    try:
        if fmt.writer is None:
            body = formats.tabulate(results, kind, req.max_rows)
            rows, truncated = len(body["rows"]), body["truncated"]
        elif kind == "boolean":
            body = formats.serialize(results, fmt)
        elif kind == "triples":
            triples = []
            for triple in results:
                if len(triples) == req.max_rows:
                    truncated = True
                    break
                triples.append(triple)
            rows = len(triples)
            body = formats.serialize(triples, fmt)
        else:
            body, rows, truncated = _solutions_json(results, req.max_rows, run)
            if fmt.writer != ox.QueryResultsFormat.JSON:
                parsed = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
                body = formats.serialize(parsed, fmt)
    except OSError as e:
        return Answer(502, None, f"Error al evaluar la consulta / the query failed: {e}")
    return Answer(200, fmt.media_type, body, kind, rows, truncated, time.perf_counter() - started)


#: Stack of the thread that evaluates queries in a worker. pyoxigraph's parser recurses once per term of a
#: long flat chain (``{…} UNION {…} UNION …``): 20,000 terms, 40 KB of text, overflow the main thread's
#: 8 MB and kill the worker. Only the pages the parser touches are used, so a large reserve costs nothing.
STACK_BYTES = 512 * 1024 * 1024


def _serve(path, conn, timeout: float | None = None) -> None:
    """Run the worker's loop in a thread with a stack deep enough for any query the endpoint accepts."""
    threading.stack_size(STACK_BYTES)
    loop = threading.Thread(target=_loop, args=(path, conn, timeout), name="ftm-graph-query-loop")
    loop.start()
    loop.join()


def _loop(path, conn, timeout: float | None = None) -> None:
    """A worker's loop: open the store read-only, then answer requests until the pipe closes.

    `path` is a store folder, or a remote.RemoteSpec: the worker then forwards each query to the
    SPARQL server with a client timeout of the time limit (the pool stops the worker at the limit
    anyway; the server's own timeout, e.g. ``oxigraph serve --timeout-s``, stops its side).
    """
    if isinstance(path, str):  # a folder (QueryPool passes folders as str): nothing else to import
        from .store import Store

        store = Store(path)
    else:
        from .remote import open_reader

        store = open_reader(path)
        if timeout:
            store.http.timeout = timeout  # queries go to the live server: no version to follow here
    conn.send("ready")
    while True:
        try:
            req = conn.recv()
        except (EOFError, KeyboardInterrupt):
            return
        try:
            store.refresh()
            answer = evaluate(store, req)
        except Exception as e:  # a worker must answer every request, whatever happened
            answer = Answer(500, None, f"Error interno / internal error: {type(e).__name__}: {e}")
        conn.send(answer)


# The pool (runs in the web process) --------------------------------------------------------------


class _Worker:
    def __init__(self, ctx, path, timeout: float | None = None):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(path, child, timeout), daemon=True, name="ftm-graph-query")
        self.process.start()
        child.close()

    def wait_ready(self, timeout: float) -> bool:
        try:
            return self.conn.poll(timeout) and self.conn.recv() == "ready"
        except (EOFError, OSError):  # it died starting, or the pool closed meanwhile
            return False

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class QueryPool:
    """`size` worker processes reading the store at `path` (a folder, or a remote.RemoteSpec);
    :meth:`run_async` answers with a time limit.

    Thread-safe: each call takes an idle worker, so up to `size` queries run in
    parallel; the rest wait (within their time limit) for one to be free.
    """

    def __init__(self, path: str, size: int = 2, timeout: float = 30.0):
        from .remote import RemoteSpec

        self.path = path if isinstance(path, RemoteSpec) else str(path)
        self.size, self.timeout = max(1, size), timeout
        self._ctx = multiprocessing.get_context("spawn")
        self._idle: queue.Queue[_Worker] = queue.Queue()
        #: (event loop, future) of run_async calls waiting for a worker, served before threads waiting in _idle
        self._waiters: deque = deque()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def start(self) -> "QueryPool":
        """Start the workers and wait until each has opened the store."""
        workers = [self._spawn() for _ in range(self.size)]
        for worker in workers:
            self._ready(worker)
        return self

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self.path, self.timeout)
        with self._lock:
            self._all.add(worker)
        return worker

    def _ready(self, worker: _Worker) -> None:
        if worker.wait_ready(60):
            self._release(worker)
        else:
            if not self._closed:
                log.error("a SPARQL worker could not open the store at %s", self.path)
            self._retire(worker)

    def _retire(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.stop()

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker and start another in the background (starting one takes ~0.5 s)."""
        self._retire(worker)
        if not self._closed:
            threading.Thread(target=lambda: self._ready(self._spawn()), daemon=True).start()

    def _release(self, worker: _Worker) -> None:
        """Give an idle worker to the first run_async call waiting for one, else put it back in the queue."""
        with self._lock:
            while self._waiters:
                loop, waiting = self._waiters.popleft()
                if not waiting.done():
                    try:
                        loop.call_soon_threadsafe(self._hand, waiting, worker)
                        return
                    except RuntimeError:  # that loop is closed
                        continue
            self._idle.put(worker)

    def _hand(self, waiting: asyncio.Future, worker: _Worker) -> None:
        if waiting.done():  # it stopped waiting (time limit) meanwhile
            self._release(worker)
        else:
            waiting.set_result(worker)

    async def _acquire(self, loop, deadline: float, limit: float) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        waiting = loop.create_future()
        with self._lock:  # _release holds the lock too: no worker is put back unseen between the two checks
            try:
                return self._idle.get_nowait()
            except queue.Empty:
                self._waiters.append((loop, waiting))
        try:
            return await asyncio.wait_for(waiting, max(0.0, deadline - loop.time()))
        except TimeoutError:
            if waiting.done() and not waiting.cancelled():  # handed over just as the time ran out
                self._release(waiting.result())
            raise PoolBusy(limit) from None

    async def run_async(self, req: Request, timeout: float | None = None) -> Answer:
        """Answer a request in a worker; raises QueryTimeout or PoolBusy past the time limit.

        No thread per query: the loop reads the worker's answer.

        The worker's socket is watched with ``loop.add_reader`` and its message read as it comes
        (multiprocessing's framing), so waiting costs no thread and no thread switch. The call owns
        the worker until the answer arrives, also when the request that asked goes away: the worker
        then returns to the pool when it answers, or is killed at the time limit as usual.
        """
        limit = self.timeout if timeout is None else timeout
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        worker = await self._acquire(loop, deadline, limit)
        try:
            worker.conn.send_bytes(pickle.dumps(req, protocol=pickle.HIGHEST_PROTOCOL))
        except OSError:
            self._replace_soon(worker)
            return Answer(500, None, "El proceso de la consulta terminó / the query process died; try again.")
        from .pool_call import Call

        return await Call(self, worker, loop, deadline, limit).future

    def _replace_soon(self, worker: _Worker) -> None:
        """_replace in a thread: killing and joining a process must not hold the event loop."""
        threading.Thread(target=self._replace, args=(worker,), daemon=True).start()

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()

