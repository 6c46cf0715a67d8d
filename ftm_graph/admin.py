"""Authenticated writes: SPARQL 1.1 Update at /update and the Graph Store HTTP Protocol at /store.

Both exist only when an admin token is configured (``FTM_GRAPH_ADMIN_TOKEN``,
environment only); otherwise they answer 404 saying so. The client sends
``Authorization: Bearer TOKEN``; the token is compared in constant time
(``hmac.compare_digest``) and never logged.

Every write is one :meth:`Store.transaction` (atomic: on any error the store
is unchanged) followed by :func:`sources.after_write`, and keeps the store's
rule that data lives in named graphs while the default graph is their merge:

- ``/update``: the update runs with an empty default graph; what it writes
  there without ``GRAPH`` goes to the named graph ``{base}graph/update``, and
  the default graph is then rebuilt as the merge of the named graphs. So
  deletions must name their graph (``DELETE … WHERE { GRAPH <g> { … } }``).
- ``/store``: ``?graph=IRI`` addresses one named graph (GET, HEAD, PUT, POST,
  DELETE; https://www.w3.org/TR/sparql11-http-rdf-update/ ); ``?default``
  can be read but not written, since the default graph is derived.
"""

import hmac
import logging
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from . import formats
from .errors import FtmGraphError

router = APIRouter()
log = logging.getLogger("ftm_graph.admin")

_OFF = ("Las escrituras autenticadas no están habilitadas en este servicio. / "
        "Authenticated writes are not enabled on this service (no admin token is configured).")


def _message(status: int, text: str, headers: dict | None = None) -> PlainTextResponse:
    return PlainTextResponse(text + "\n", status_code=status, headers=headers)


def _refusal(request: Request) -> Response | None:
    """None when the request carries the admin token; otherwise the answer (404 when writes are off, 401)."""
    token = request.app.state.settings.admin_token
    if not token:
        return _message(404, _OFF)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        return _message(401, "Falta el token de administración o no es válido. / Missing or wrong admin token.",
                        {"WWW-Authenticate": 'Bearer realm="ftm-graph"'})
    return None


def _write(store, change) -> None:
    """Run `change(tx)` in one transaction, then bring the derived graphs and files up to date."""
    from .sources import after_write

    with store.transaction() as tx:
        change(tx)
        after_write(tx, store.base_uri)


def _update(tx, text: str, base: str) -> None:
    """Run a SPARQL Update; anything written outside GRAPH goes to `{base}graph/update`."""
    tx.update(text, graph=f"{base}graph/update")


@router.api_route("/update", methods=["GET", "POST"])
async def update(request: Request) -> Response:
    """SPARQL 1.1 Update (Protocol §2.2): POST form-encoded ``update=`` or ``application/sparql-update``."""
    refused = _refusal(request)
    if refused is not None:
        return refused
    if request.method != "POST":
        return _message(405, "Use POST para SPARQL Update. / Use POST for SPARQL Update.", {"Allow": "POST"})
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = (await request.body()).decode("utf-8", errors="replace")
    if media == "application/sparql-update":
        updates = [body]
    elif media == "application/x-www-form-urlencoded":
        fields = parse_qsl(body, keep_blank_values=True)
        if any(key == "query" for key, _ in fields):
            return _message(400, "Envíe update=, no query=. / Send update=, not query=.")
        updates = [value for key, value in fields if key == "update"]
    else:
        return _message(415, f"Content-Type '{media or '(none)'}' no admitido / not supported: send "
                             "application/sparql-update or application/x-www-form-urlencoded.")
    if len(updates) != 1 or not updates[0].strip():
        return _message(400, "Envíe exactamente un update= / send exactly one update=.")
    store = request.app.state.store
    try:
        await run_in_threadpool(_write, store, lambda tx: _update(tx, updates[0], store.base_uri))
    except SyntaxError as e:
        return _message(400, f"SPARQL Update mal formado / malformed SPARQL Update: {e}")
    except (FtmGraphError, OSError) as e:
        return _message(409, f"No se pudo escribir; el almacén no cambió. / Nothing was written: {e}")
    log.info("update applied (generation %d)", store.generation)
    return Response(status_code=204)


def _target(request: Request) -> tuple[str | None, Response | None]:
    """The graph a Graph Store request addresses: an IRI, None for ``?default``, or an error answer."""
    params = request.query_params
    graphs = params.getlist("graph")
    if ("default" in params) == bool(graphs) or len(graphs) > 1:
        return None, _message(400, "Indique ?graph=IRI o ?default (uno solo). / Give ?graph=IRI or ?default (one).")
    if not graphs:
        return None, None
    try:
        formats.iris(graphs)
    except ValueError as e:
        return None, _message(400, f"IRI de grafo no válido / invalid graph IRI: {e}")
    return graphs[0], None


@router.api_route("/store", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
async def graph_store(request: Request) -> Response:
    """Graph Store HTTP Protocol: read, replace, add to or delete one named graph."""
    refused = _refusal(request)
    if refused is not None:
        return refused
    graph, error = _target(request)
    if error is not None:
        return error
    store = request.app.state.store
    store.refresh()
    exists = graph is None or graph in store.named_graphs()
    if request.method in ("GET", "HEAD"):
        if not exists:
            return _message(404, f"No existe el grafo / there is no graph <{graph}>.")
        chosen = formats.negotiate(request.headers.get("accept"), [m for m, f in formats.GRAPH_FORMATS.items()
                                                                   if f.writer is not None])
        if chosen is None:
            return _message(406, "Ofrecido como / offered as: text/turtle, application/n-triples, "
                                 "application/ld+json, application/rdf+xml")
        where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        body = await run_in_threadpool(
            lambda: formats.serialize(store.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {where} }}"),
                                      formats.GRAPH_FORMATS[chosen]))
        headers = {"Content-Type": formats.content_type(chosen), "Vary": "Accept"}
        return Response(b"" if request.method == "HEAD" else body, headers=headers)
    if graph is None:
        return _message(400, "El grafo por omisión es la unión de los grafos con nombre y no se escribe; use "
                             "?graph=IRI. / The default graph is the merge of the named graphs: write to ?graph=IRI.")
    if request.method == "DELETE":
        if not exists:
            return _message(404, f"No existe el grafo / there is no graph <{graph}>.")
        await run_in_threadpool(_write, store, lambda tx: tx.clear_graph(graph))
        return Response(status_code=204)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    fmt = formats.GRAPH_FORMATS.get(media)
    if fmt is None or fmt.writer is None:
        return _message(415, f"Content-Type '{media or '(none)'}' no admitido / not supported: send Turtle, "
                             "N-Triples, JSON-LD or RDF/XML.")
    text = (await request.body()).decode("utf-8", errors="replace")

    def change(tx):
        if request.method == "PUT":
            tx.clear_graph(graph)
        tx.load_text(text, graph=graph, fmt=fmt.writer)

    try:
        await run_in_threadpool(_write, store, change)
    except SyntaxError as e:
        return _message(400, f"RDF mal formado; el almacén no cambió. / Malformed RDF; nothing was written: {e}")
    except (FtmGraphError, OSError) as e:
        return _message(409, f"No se pudo escribir; el almacén no cambió. / Nothing was written: {e}")
    return Response(status_code=204 if exists else 201)
