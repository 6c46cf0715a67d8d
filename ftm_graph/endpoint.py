"""The SPARQL endpoint: GET and POST /sparql (SPARQL 1.1 Protocol, read-only) and the saved queries.

Protocol: https://www.w3.org/TR/sparql11-protocol/ . This is the basic,
in-process endpoint: queries run in the thread pool (pyoxigraph releases the
GIL) and cannot be timed out yet.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from . import formats, pages
from .resources import data_dir

router = APIRouter()

#: An update verb at the start of a request (after PREFIX/BASE), SPARQL 1.1 Update §3.
_UPDATE = re.compile(
    r"^(?:\s*(?:PREFIX\s+[^\s:]*:\s*<[^>]*>|BASE\s*<[^>]*>))*\s*"
    r"(INSERT|DELETE|LOAD|CLEAR|CREATE|DROP|COPY|MOVE|ADD|WITH)\b",
    re.IGNORECASE,
)
#: An IRI (kept) or a comment (dropped): '#' inside <…> does not start a comment.
_IRI_OR_COMMENT = re.compile(r"<[^>\s]*>|#[^\n]*")

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

    def bindings(self, base: str) -> dict:
        """Query substitutions for the parameters, with IRIs under `base`."""
        return formats.bind(**{name: base + path for name, path in self.params.items()})

    def text_for(self, base: str) -> str:
        """The query with its parameters written in as VALUES, for people to read and run as is."""
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


def _message(status: int, text: str) -> PlainTextResponse:
    return PlainTextResponse(text + "\n", status_code=status)


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
        body = (await request.body()).decode("utf-8", errors="replace")
        if media == "application/x-www-form-urlencoded":
            for key, value in parse_qsl(body, keep_blank_values=True):
                params.setdefault(key, []).append(value)
        elif media == "application/sparql-query":
            if "query" in params:
                return _message(400, "The query is in the body; do not also send query= in the URL.")
            params["query"] = [body]
        elif media == "application/sparql-update":
            return _message(403, READ_ONLY)
        else:
            return _message(415, f"Unsupported Content-Type '{media}': send application/sparql-query "
                                 "or application/x-www-form-urlencoded.")
    if "update" in params:
        return _message(400 if "query" in params else 403, READ_ONLY)
    queries = params.get("query", [])
    if len(queries) > 1:
        return _message(400, "Send exactly one query= parameter.")
    return params, (queries[0] if queries else None)


def _run(store, text: str, params: dict[str, list[str]], accept: str | None, max_rows: int):
    """Evaluate and serialise in a worker thread. Returns (status, media type, body or HTML data)."""
    try:
        default = formats.iris(params.get("default-graph-uri", []))
        named = formats.iris(params.get("named-graph-uri", []))
    except ValueError as e:
        return 400, None, f"Invalid graph IRI: {e}"
    dataset = {}
    if default or named:
        # §2.1.4: the graphs named in the request are the whole RDF dataset.
        dataset = {"default_graph": default, "named_graphs": named or None}
    try:
        results = store.query(text, **dataset)
    except SyntaxError as e:
        if is_update(text):
            return 403, None, READ_ONLY
        return 400, None, f"Consulta SPARQL mal formada / Malformed SPARQL query: {e}"
    kind = formats.result_kind(results)
    offered = formats.GRAPH_FORMATS if kind == "triples" else formats.RESULT_FORMATS
    wanted = params.get("format", [None])[0]
    if wanted:
        fmt = formats.by_alias(offered, wanted)
        if fmt is None:
            return 406, None, f"Unknown format '{wanted}'; use one of {', '.join(f.alias for f in offered.values())}."
    else:
        chosen = formats.negotiate(accept, list(offered))
        if chosen is None:
            return 406, None, "None of the accepted media types fits: " + ", ".join(offered)
        fmt = offered[chosen]
    if fmt.writer is None:
        return 200, fmt.media_type, formats.tabulate(results, kind, max_rows)
    return 200, fmt.media_type, formats.serialize(results, fmt)


async def render_query_page(request: Request, text: str = "", table=None, status: int = 200) -> HTMLResponse:
    """The query form with the saved queries listed, and a results table when there is one."""
    return pages.render(request, "query.html", {"query_text": text, "table": table}, status=status)


@router.api_route("/sparql", methods=["GET", "POST"])
async def sparql(request: Request) -> Response:
    """Answer a SPARQL query (GET or POST), negotiating the result format on Accept or ``format=``."""
    parsed = await _params(request)
    if isinstance(parsed, Response):
        return parsed
    params, text = parsed
    accept = request.headers.get("accept")
    if text is None:
        if formats.negotiate(accept, ["application/sparql-results+json", "text/html"]) == "text/html":
            return await render_query_page(request, request.query_params.get("example", ""))
        return _message(400, "Missing query= parameter. See /sparql in a browser for the query form.")
    state = request.app.state
    state.store.refresh()
    status, media, body = await run_in_threadpool(_run, state.store, text, params, accept, state.settings.max_rows)
    if media is None:
        return _message(status, body)
    if media == "text/html":
        return await render_query_page(request, text, body)
    return Response(body, media_type=formats.content_type(media), headers={"Vary": "Accept"})
