"""Anchored lookups answered in the web process: the one query shape whose cost is bounded by construction.

Every public query runs in a worker process (query_pool.py) so that the time
limit can really stop it; that costs a process hop each way, which is most of
the time of a small query (under load each hop may wait for a core). A query
of exactly this shape cannot run long, so it is answered here instead::

    [PREFIX p: <…>]* SELECT [*|?v …] [WHERE] { S P O [.] } [LIMIT n]

with S or O a constant (an IRI or a prefixed name), the rest constants or
*distinct* variables, no dataset parameters, no substitutions, and SPARQL
JSON asked for. Such a query is one range scan of one index: every step of
the scan yields a row, so the work is proportional to what is written, and
the writing stops at INLINE_BUDGET bytes (then the query goes to a worker,
as any other). What would make a single pattern scan without writing (a
repeated variable, DISTINCT, OFFSET, FILTER) does not match the shape. Text
that does not match exactly (comments, BASE, literals, odd prefixed names) also
goes to a worker: the shape is a whitelist, not a parser.

Only the *classification* of a query text is cached (a small LRU keyed by the
text); results never are.

:class:`FastPath` answers ``GET /sparql?query=…`` of that shape as a bare ASGI
middleware, before FastAPI's routing, dependency and response machinery
(about a fifth of a lookup's time in the web process, measured without HTTP);
anything else, or a lookup it cannot answer, goes on to the ``/sparql`` route
unchanged. Both give the same status, body, headers and query log line; the
route stays the one described in the OpenAPI document.
"""

import re
import time
from functools import lru_cache
from urllib.parse import parse_qsl

from .query_pool import Answer, Request, _choose, rust_json

#: Most bytes of SPARQL JSON written in the web process; past it the query is run again in a worker.
#: ~1,500 rows of a lookup; pyoxigraph writes it in about a millisecond.
INLINE_BUDGET = 256 * 1024

#: Longest text looked at: lookups are short, and the cache must not hold large texts.
MAX_TEXT = 2048

_WS = r"\s*"
_IRI = r"<[^<>\"{}|^`\\\s]*>"
_PNAME = r"[A-Za-z][A-Za-z0-9_-]*:[A-Za-z0-9_-]*"  # a conservative subset of PN_PREFIX ':' PN_LOCAL
_VAR = r"[?$]([A-Za-z_][A-Za-z0-9_]*)"
_CONST = f"(?:{_IRI}|{_PNAME})"
_TERM = f"(?:{_CONST}|{_VAR})"
_SHAPE = re.compile(
    rf"{_WS}(?:PREFIX\s+(?:[A-Za-z][A-Za-z0-9_-]*)?:{_WS}{_IRI}{_WS})*"
    rf"SELECT\s*(?P<projection>\*|(?:{_VAR}{_WS})+){_WS}(?:WHERE)?{_WS}"
    rf"\{{{_WS}(?P<s>{_TERM})\s+(?P<p>{_TERM}|a)\s+(?P<o>{_TERM}){_WS}\.?{_WS}\}}"
    rf"{_WS}(?:LIMIT\s+\d+{_WS})?",
    re.IGNORECASE,
)
_VARIABLE = re.compile(_VAR)


@lru_cache(maxsize=1024)
def is_anchored_lookup(text: str) -> bool:
    """True when `text` has the one shape answered in the web process (see the module's docstring).

    >>> is_anchored_lookup("SELECT ?p ?o WHERE { <http://x.org/a> ?p ?o }")
    True
    >>> is_anchored_lookup("SELECT ?p WHERE { <http://x.org/a> ?p ?p }")  # a repeated variable filters
    False
    >>> is_anchored_lookup("SELECT * WHERE { ?s ?p ?o }")  # nothing anchors the scan
    False
    """
    if len(text) > MAX_TEXT:
        return False
    match = _SHAPE.fullmatch(text)
    if match is None:
        return False
    s, p, o = match.group("s"), match.group("p"), match.group("o")
    if s.startswith(("?", "$")) and o.startswith(("?", "$")):
        return False
    pattern = [term[1:] for term in (s, p, o) if term.startswith(("?", "$"))]
    if len(set(pattern)) != len(pattern):
        return False
    projection = match.group("projection")
    return projection == "*" or set(_VARIABLE.findall(projection)) <= set(pattern)


def eligible(req: Request) -> bool:
    """A request the web process may answer itself: the shape, the store's own dataset, nothing substituted."""
    return not (req.default_graphs or req.named_graphs or req.substitutions) and is_anchored_lookup(req.text)


def answer_inline(store, req: Request) -> Answer | None:
    """The Answer to an eligible request, or None when a worker must answer it (another format, a large
    result, an error: the worker then gives the usual answer and message)."""
    import pyoxigraph as ox

    started = time.perf_counter()
    fmt = _choose("solutions", req.accept, req.format)
    if isinstance(fmt, Answer) or fmt.writer != ox.QueryResultsFormat.JSON:
        return None
    try:
        store.refresh()
        results = store.query(req.text)
        if not isinstance(results, ox.QuerySolutions):
            return None
        written = rust_json(results, req.max_rows, INLINE_BUDGET)
    except Exception:  # noqa: BLE001 - whatever went wrong, the worker path answers with its usual status and message
        return None
    if written is None:
        return None
    body, rows, truncated = written
    return Answer(200, fmt.media_type, body, "solutions", rows, truncated, time.perf_counter() - started)


class FastPath:
    """ASGI middleware: ``GET /sparql`` with only ``query=`` (an anchored lookup) answered without FastAPI."""

    def __init__(self, app, path: str = "/sparql"):
        self.app, self.path = app, path

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != self.path:
            return await self.app(scope, receive, send)
        # as Starlette reads a query string (QueryParams): latin-1 text, %-escapes as UTF-8
        params = parse_qsl(scope["query_string"].decode("latin-1"), keep_blank_values=True)
        if len(params) != 1 or params[0][0] != "query":
            return await self.app(scope, receive, send)
        text = params[0][1]
        state = scope["app"].state if "app" in scope else None
        if state is None:
            return await self.app(scope, receive, send)
        from . import endpoint
        from .store import Store

        accept = None
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value.decode("latin-1")  # as Starlette's Headers do
                break
        req = Request(text=text, default_graphs=[], named_graphs=[], accept=accept, format=None,
                      max_rows=state.settings.max_rows, federation_allow=tuple(state.settings.federation_allow))
        if not isinstance(state.store, Store) or not eligible(req):
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        answer = answer_inline(state.store, req)
        if answer is None:  # a worker answers it, through the route
            return await self.app(scope, receive, send)
        seconds = time.perf_counter() - started
        endpoint._log(text, answer.status, seconds, f"{answer.kind} rows={answer.rows} truncated={answer.truncated}")
        from . import formats

        headers = [(b"content-length", str(len(answer.body)).encode()),
                   (b"content-type", formats.content_type(answer.media_type).encode())]
        headers += [(k.lower().encode(), v.encode()) for k, v in endpoint.result_headers(answer, seconds).items()]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body})
