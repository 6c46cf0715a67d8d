"""The public SPARQL endpoint: GET, HEAD and POST /sparql (SPARQL 1.1 Protocol, read-only) and the saved queries.

Protocol: https://www.w3.org/TR/sparql11-protocol/ ; Service Description:
https://www.w3.org/TR/sparql11-service-description/ . Queries run in worker
processes (query_pool.py) so that the time limit really stops them, except an
anchored lookup, whose cost is bounded (sparql_fast.py, also the bare ASGI
path that answers ``GET /sparql`` lookups before FastAPI's routing); the row
cap applies to every format and a cut result says so in the
``X-FTM-Truncated: true`` header (and in SPARQL JSON's ``head.link``).
"""

import asyncio
import hashlib
import logging
import re
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from . import formats, pages, sparql_fast
from .query_pool import TRUNCATION_DOC, PoolBusy, QueryPool, QueryTimeout
from .query_pool import Request as QueryRequest
from .resources import data_dir
from .store import Store

router = APIRouter()
log = logging.getLogger("ftm_graph.sparql")
_POOL_LOCK = threading.Lock()  #: two first requests must not start two pools

#: An update verb at the start of a request (after PREFIX/BASE), SPARQL 1.1 Update §3.
_UPDATE = re.compile(
    r"^(?:\s*(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>))*\s*"
    r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)
#: An IRI (kept) or a comment (dropped): '#' inside <…> does not start a comment.
_IRI_OR_COMMENT = re.compile(r"<[^>\s]*>|#[^\n]*")

#: Longest query text accepted (UTF-8 bytes). A query with thousands of VALUES rows stays far below; the
#: limit bounds the memory and parsing time one request can take. Longer: 413 (POST) or 414 (GET).
MAX_QUERY_BYTES = 1 << 20
#: Largest request body read for /sparql: the form encoding may triple a query's size (``%XX``).
MAX_BODY_BYTES = 4 * MAX_QUERY_BYTES
#: Deepest nesting of ``{ ( [`` accepted. Real queries stay under ~20; the query parser recurses once per
#: level and a worker's stack runs out near 5,000 levels, which would kill the worker instead of answering.
MAX_NESTING = 200
#: What the nesting count skips: IRIs, strings (long ones first) and comments, whose brackets do not nest.
#: Brackets are not allowed inside an IRI here (IRIREF allows parentheses): so a '<' comparison cannot hide
#: brackets from the count, and an IRI's parentheses only count as one balanced level.
_NOT_NESTING = re.compile(
    r"<[^<>\"{}|^`\\\s()\[\]]*>"
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|#[^\n\r]*"
)
_NOT_BRACKETS = re.compile(r"[^{}()\[\]]+")
_STEP = {"{": 1, "(": 1, "[": 1, "}": -1, ")": -1, "]": -1}

READ_ONLY = (
    "Este servicio es de solo lectura: no acepta SPARQL Update. / "
    "This service is read-only: SPARQL Update is not accepted."
)


@dataclass
class SavedQuery:
    """A query file of ``sparql_queries/`` with its header (``# title:``, ``# description:``, ``@en`` variants)."""

    name: str  #: file name without ``.rq``
    text: str  #: the whole file, header included
    title: dict[str, str] = field(default_factory=dict)  #: language → title ("es" from ``# title:``)
    description: dict[str, str] = field(default_factory=dict)  #: language → description
    params: dict[str, str] = field(default_factory=dict)  #: variable → IRI path under the base (``# param body: id/…``)

    def text_for(self, base: str) -> str:
        """The query with its parameters written in as VALUES, for people to read and run as is.

        Also how the service runs a saved query: Oxigraph joins substitutions after evaluating the
        query, so a property path such as ``?entity (fis:payer)? ?body`` would first be evaluated for
        every ?body (the home stories: 7.6 s against 0.08 s on 1.28M triples)."""
        values = "".join(f"\n  VALUES ?{name} {{ <{base}{path}> }}" for name, path in self.params.items())
        return re.sub(r"\bWHERE\s*\{", lambda m: m.group(0) + values, self.text, count=1) if values else self.text


_HEADER = re.compile(r"^#\s*(title|description|param)(?:@(\w+))?(?:\s+(\w+))?\s*:\s*(.*)$")


def load_queries(folder: Path | None = None) -> dict[str, SavedQuery]:
    """Read every ``*.rq`` of the saved-queries folder, by name (sorted)."""
    folder = folder or data_dir("sparql_queries")
    queries = {}
    for path in sorted(folder.glob("*.rq")):
        query = SavedQuery(path.stem, path.read_text(encoding="utf-8"))
        for line in query.text.splitlines():
            match = _HEADER.match(line)
            if not match:
                continue
            key, lang, variable, value = match.groups()
            if key == "param" and variable:
                query.params[variable] = value.strip()
            elif key in ("title", "description"):
                getattr(query, key)[lang or "es"] = value.strip()
        queries[query.name] = query
    return queries


def is_update(text: str) -> bool:
    """True when the request text is a SPARQL Update rather than a query."""
    text = _IRI_OR_COMMENT.sub(lambda m: m.group(0) if m.group(0).startswith("<") else "", text)
    return bool(_UPDATE.match(text))


def _message(status: int, text: str, headers: dict | None = None) -> PlainTextResponse:
    return PlainTextResponse(text + "\n", status_code=status, headers=headers)


# The worker pool, started and stopped with the app ------------------------------------------------


def pool(app) -> QueryPool:
    """The app's query pool, started on first use when the lifespan did not start it."""
    state = app.state
    with _POOL_LOCK:
        if getattr(state, "query_pool", None) is None:
            settings = state.settings
            state.query_pool = QueryPool(state.store.path, settings.query_workers, settings.query_timeout).start()
        return state.query_pool


@asynccontextmanager
async def lifespan(app):
    """Start the query workers with the app and stop them when it stops; log queries when nobody configured logging."""
    package = logging.getLogger("ftm_graph")
    if not package.handlers and not logging.getLogger().handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        package.addHandler(handler)
        package.setLevel(logging.INFO)
    await run_in_threadpool(pool, app)
    try:
        yield
    finally:
        running = getattr(app.state, "query_pool", None)
        app.state.query_pool = None
        if running is not None:
            running.close()


# Service description (SPARQL 1.1 Service Description, https://www.w3.org/TR/sparql11-service-description/) --

#: Media type → rdflib serialiser name, the default first.
SD_FORMATS = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/rdf+xml": "xml",
              "application/n-triples": "nt"}
SD_ALIASES = {"ttl": "text/turtle", "turtle": "text/turtle", "jsonld": "application/ld+json",
              "json-ld": "application/ld+json", "rdf": "application/rdf+xml", "xml": "application/rdf+xml",
              "nt": "application/n-triples", "ntriples": "application/n-triples"}

_SD = """@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix fmt: <http://www.w3.org/ns/formats/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix dct: <http://purl.org/dc/terms/> .
<{endpoint}> a sd:Service ;
  sd:endpoint <{endpoint}> ;
  sd:supportedLanguage sd:SPARQL11Query ;
  sd:feature sd:UnionDefaultGraph{federated} ;
  sd:resultFormat fmt:SPARQL_Results_JSON, fmt:SPARQL_Results_XML, fmt:SPARQL_Results_CSV,
    fmt:SPARQL_Results_TSV, fmt:Turtle, fmt:N-Triples, fmt:JSON-LD, fmt:RDF_XML ;
  dct:title "ftm-graph: las finanzas públicas de Zacatecas"@es, "ftm-graph: Zacatecas public finance"@en ;
  rdfs:comment {comment_es}@es, {comment_en}@en ;
  sd:defaultDataset [ a sd:Dataset ;
    rdfs:comment "El grafo por omisión es la unión (fusión RDF) de todos los grafos con nombre."@es,
                 "The default graph is the union (RDF merge) of all named graphs."@en ;
    sd:defaultGraph [ a sd:Graph ] {named} ] .
"""


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def service_description(state, endpoint: str, media_type: str) -> bytes:
    """The Service Description of this endpoint (limits, formats, named graphs), cached per generation."""
    import rdflib

    key = ("sd", state.store.generation, endpoint, media_type)
    cache = state.cache
    if key not in cache:
        s = state.settings
        allow = " ".join(s.federation_allow) or "ninguno / none"
        comment_es = (f"Punto de acceso SPARQL 1.1 de solo lectura. Cada consulta puede durar hasta "
                      f"{s.query_timeout:g} s y devuelve como máximo {s.max_rows} filas; una respuesta recortada "
                      f"lleva la cabecera X-FTM-Truncated: true. SERVICE solo hacia: {allow}.")
        comment_en = (f"Read-only SPARQL 1.1 endpoint. Each query may run up to {s.query_timeout:g} s and returns "
                      f"at most {s.max_rows} rows; a cut result carries the header X-FTM-Truncated: true. "
                      f"SERVICE only to: {allow}.")
        named = "".join(f"; sd:namedGraph [ a sd:NamedGraph ; sd:name <{g}> ] " for g in state.store.named_graphs())
        text = _SD.format(endpoint=endpoint, comment_es=_quoted(comment_es), comment_en=_quoted(comment_en),
                          named=named, federated=", sd:BasicFederatedQuery" if s.federation_allow else "")
        graph = rdflib.Graph().parse(data=text, format="turtle")
        graph.bind("sd", "http://www.w3.org/ns/sparql-service-description#")
        cache[key] = graph.serialize(format=SD_FORMATS[media_type], encoding="utf-8")
    return cache[key]


def _no_query(request: Request, params: dict[str, list[str]]) -> Response:
    """GET /sparql without a query: the editor for browsers, the Service Description for programs."""
    if request.method == "POST":
        return _message(400, "Falta el parámetro query= / missing query= parameter.")
    state = request.app.state
    wanted = (params.get("format") or [None])[0]
    if wanted:
        chosen = SD_ALIASES.get(wanted.lower(), wanted.lower())
    else:
        chosen = formats.negotiate(request.headers.get("accept"), [*SD_FORMATS, "text/html"])
    if chosen == "text/html" or (chosen is None and "example" in params):
        saved = state.queries.get(request.query_params.get("example", ""))
        return render_query_page(request, saved.text_for(state.store.base_uri) if saved else "")
    if chosen not in SD_FORMATS:
        return _message(400, "Falta el parámetro query= / missing query= parameter. Sin consulta, /sparql "
                             "describe el servicio en / without one it describes the service as: " + ", ".join(SD_FORMATS))
    body = service_description(state, str(request.url.replace(query="")), chosen)
    headers = {"Vary": "Accept", "Content-Type": formats.content_type(chosen)}
    return Response(b"" if request.method == "HEAD" else body, headers=headers)


# Requests ---------------------------------------------------------------------------------------


async def _body(request: Request) -> bytes | Response:
    """The request body, read up to MAX_BODY_BYTES (else 413) and within the query time limit (else 408).

    A body sent a byte at a time holds a connection but not a worker; the time limit frees it.
    """
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        return _too_large(413, int(length))
    chunks, size = [], 0
    try:
        async with asyncio.timeout(request.app.state.settings.query_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    return _too_large(413, size)
                chunks.append(chunk)
    except TimeoutError:
        return _message(408, f"El cuerpo de la petición no llegó a tiempo / the request body did not arrive within "
                             f"{request.app.state.settings.query_timeout:g} s.", {"Connection": "close"})
    return b"".join(chunks)


def _too_large(status: int, size: int) -> PlainTextResponse:
    return _message(status, f"La consulta es demasiado grande ({size} bytes; máximo {MAX_QUERY_BYTES}). / "
                            f"The query is too large ({size} bytes; at most {MAX_QUERY_BYTES}).", {"Connection": "close"})


def nesting_depth(text: str) -> int:
    """How deeply ``{ ( [`` nest in a query, outside IRIs, strings and comments.

    >>> nesting_depth('SELECT * { ?s ?p "{{{" FILTER((?o > 1)) } # ((((')
    3
    """
    brackets = _NOT_BRACKETS.sub("", _NOT_NESTING.sub(" ", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)  # C loops: ~0.2 s for 1 MB of brackets


def _check_size(text: str, method: str) -> Response | None:
    """A 413/414 for a query longer than MAX_QUERY_BYTES, a 400 for one nested deeper than MAX_NESTING."""
    size = len(text.encode("utf-8", "replace"))
    if size > MAX_QUERY_BYTES:
        return _too_large(414 if method in ("GET", "HEAD") else 413, size)
    opening = text.count("{") + text.count("(") + text.count("[")
    depth = nesting_depth(text) if opening > MAX_NESTING else 0  # str.count is cheap: most queries stop here
    if depth > MAX_NESTING:
        return _message(400, f"La consulta anida {{ ( [ en {depth} niveles; el máximo es {MAX_NESTING}. / "
                             f"The query nests {{ ( [ {depth} levels deep; at most {MAX_NESTING} are accepted.")
    return None


async def _params(request: Request) -> tuple[dict[str, list[str]], str | None] | Response:
    """The protocol parameters of a request (query string and form body), and the query text.

    SPARQL 1.1 Protocol §2.1: GET with ``query=``; POST form-encoded; POST
    ``application/sparql-query`` with the query as body and graphs in the URL.
    """
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    if request.method == "POST":
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        raw = await _body(request)
        if isinstance(raw, Response):
            return raw
        body = raw.decode("utf-8", errors="replace")
        if media == "application/x-www-form-urlencoded":
            for key, value in parse_qsl(body, keep_blank_values=True):
                params.setdefault(key, []).append(value)
        elif media == "application/sparql-query":
            if "query" in params:
                return _message(400, "La consulta va en el cuerpo; no envíe también query= en la dirección. / "
                                     "The query is in the body; do not also send query= in the URL.")
            params["query"] = [body]
        elif media == "application/sparql-update":
            return _message(403, READ_ONLY)
        else:
            return _message(415, f"Content-Type '{media or '(none)'}' no admitido / not supported: send "
                                 "application/sparql-query or application/x-www-form-urlencoded.")
    if "update" in params:
        # §2.2: an update has its own URL; a request with both query and update is malformed.
        return _message(400 if "query" in params else 403, READ_ONLY)
    queries = params.get("query", [])
    if len(queries) > 1:
        return _message(400, "Envíe un solo parámetro query= / send exactly one query= parameter.")
    if queries and not queries[0].strip():
        return _message(400, "La consulta está vacía / the query is empty.")
    if queries and is_update(queries[0]):
        return _message(403, READ_ONLY)
    if queries:
        refused = _check_size(queries[0], request.method)
        if refused is not None:
            return refused
    return params, (queries[0] if queries else None)


async def answer_query(request: Request, text: str, params: dict[str, list[str]], *, page_text: str | None = None
                       ) -> Response:
    """Run a query in a worker and answer in the negotiated format, with the row cap and the time limit."""
    state = request.app.state
    settings = state.settings
    req = QueryRequest(
        text=text,
        default_graphs=params.get("default-graph-uri", []),
        named_graphs=params.get("named-graph-uri", []),
        accept=request.headers.get("accept"),
        format=(params.get("format") or [None])[0],
        max_rows=settings.max_rows,
        federation_allow=tuple(settings.federation_allow),
    )
    started = time.perf_counter()
    try:
        # An anchored lookup on the local store is answered here: its cost is bounded (sparql_fast.py).
        answer = (sparql_fast.answer_inline(state.store, req)
                  if isinstance(state.store, Store) and sparql_fast.eligible(req) else None)
        if answer is None:
            running = getattr(state, "query_pool", None) or await run_in_threadpool(pool, request.app)
            answer = await running.run_async(req)
    except QueryTimeout:
        _log(text, 503, time.perf_counter() - started, "timeout")
        return _message(503, f"La consulta pasó el límite de {settings.query_timeout:g} s y se detuvo. / "
                             f"The query ran past the {settings.query_timeout:g} s limit and was stopped.",
                        {"Retry-After": "5"})
    except PoolBusy:
        _log(text, 503, time.perf_counter() - started, "busy")
        return _message(503, "El servicio está ocupado; intente de nuevo. / The service is busy; try again.",
                        {"Retry-After": "5"})
    seconds = time.perf_counter() - started
    _log(text, answer.status, seconds, f"{answer.kind} rows={answer.rows} truncated={answer.truncated}")
    if answer.media_type is None:
        return _message(answer.status, answer.body)
    headers = result_headers(answer, seconds)
    if answer.media_type == "text/html":
        labels = await run_in_threadpool(_labels, state.store, answer.body)
        context = {"query_text": page_text or text, "table": answer.body, "seconds": seconds,
                   "max_rows": settings.max_rows, "labels": labels}
        return pages.render(request, "query.html", context, headers=headers)
    if request.method == "HEAD":
        return Response(b"", headers={**headers, "Content-Type": formats.content_type(answer.media_type)})
    return Response(answer.body, media_type=formats.content_type(answer.media_type), headers=headers)


def result_headers(answer, seconds: float) -> dict[str, str]:
    """The headers of a query's results: the row cap's (``X-FTM-Truncated``, ``X-FTM-Rows``, ``Link``) and timing."""
    headers = {
        "Vary": "Accept",
        "X-FTM-Truncated": "true" if answer.truncated else "false",
        "X-FTM-Rows": str(answer.rows),
        "Server-Timing": f"query;dur={seconds * 1000:.1f}",
    }
    if answer.truncated:
        headers["Link"] = f'<{TRUNCATION_DOC}>; rel="describedby"'
    return headers


_LABELS = """SELECT ?s ?label WHERE {
  VALUES ?s { %s }
  ?s <http://www.w3.org/2000/01/rdf-schema#label>|<http://www.w3.org/2004/02/skos/core#prefLabel> ?label .
}"""


def _labels(store, table: dict, most: int = 2000) -> dict[str, dict[str, str]]:
    """Labels (IRI → language → text) of the IRIs in an HTML results table; an anchored lookup, cheap at any size."""
    iris = list(dict.fromkeys(c.value for row in table.get("rows", []) for c in row if c and c.kind == "iri"))[:most]
    if not iris:
        return {}
    store.refresh()
    values = " ".join(f"<{iri}>" for iri in iris)  # IRIs read from the store: they cannot hold '>' or spaces
    labels: dict[str, dict[str, str]] = {}
    for row in formats.solutions(store.query(_LABELS % values)):
        labels.setdefault(row["s"].value, {}).setdefault(row["label"].language or "es", row["label"].value)
    return labels


def _log(text: str, status: int, seconds: float, what: str) -> None:
    """One line per query: a digest of the text (not the text: it may hold what a person typed), status, time."""
    if not log.isEnabledFor(logging.INFO):
        return
    digest = hashlib.sha256(text.encode("utf-8", "replace")).hexdigest()[:12]
    # makeRecord + handle: log.info without its walk up the stack to find the caller (not shown in this line)
    log.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, "sparql %s status=%d %.1fms %s",
                              (digest, status, seconds * 1000, what), None, "_log"))


def render_query_page(request: Request, text: str = "", status: int = 200) -> HTMLResponse:
    """The query editor with the saved queries listed."""
    context = {"query_text": text, "table": None, "max_rows": request.app.state.settings.max_rows}
    return pages.render(request, "query.html", context, status=status)


@router.api_route("/sparql", methods=["GET", "HEAD", "POST"])
async def sparql(request: Request) -> Response:
    """Answer a SPARQL query (GET, HEAD or POST); without one, the service description or the editor."""
    parsed = await _params(request)
    if isinstance(parsed, Response):
        return parsed
    params, text = parsed
    if text is None:
        return _no_query(request, params)
    return await answer_query(request, text, params)


@router.api_route("/sparql/queries/{name}", methods=["GET", "HEAD"])
async def saved_query(request: Request, name: str) -> Response:
    """A saved query's results at a stable address, in any format (Accept or ``format=``); ``.rq`` gives its text."""
    queries = request.app.state.queries
    stem = name.removesuffix(".rq")
    if stem not in queries:
        return _message(404, f"No hay una consulta guardada '{stem}' / there is no saved query '{stem}'.")
    text = queries[stem].text_for(request.app.state.store.base_uri)
    if name.endswith(".rq"):
        return Response(text, media_type="application/sparql-query; charset=utf-8")
    params: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        params.setdefault(key, []).append(value)
    return await answer_query(request, text, params)
