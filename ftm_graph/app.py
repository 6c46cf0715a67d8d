"""The web service: ``create_app(settings)`` wires the store, the routers, templates and static files."""

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.exceptions import HTTPException

from . import __version__, admin, catalog, endpoint, explore, pages, sparql_fast, views
from .config import Settings
from .namespaces import PREFIXES
from .resources import data_dir


def load_messages(path) -> dict[str, dict[str, str]]:
    """The interface texts (``web/messages.yaml``: key → {es, en}) as language → key → text."""
    import yaml

    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {lang: {key: texts.get(lang) or texts["es"] for key, texts in entries.items()} for lang in pages.LANGUAGES}


def load_term_labels(path) -> dict[str, dict[str, str]]:
    """Fallback labels of other vocabularies' terms (``web/term_labels.yaml``), by full IRI."""
    import yaml

    labels = {}
    for name, texts in yaml.safe_load(path.read_text(encoding="utf-8")).items():
        prefix, _, local = name.partition(":")
        labels[PREFIXES[prefix] + local] = texts
    return labels


def create_app(settings: Settings | None = None, store=None) -> FastAPI:
    """Build the FastAPI application over a store (opened from ``settings.store`` when not given).

    Opening the store is the only I/O beyond reading the templates, messages
    and saved queries; it raises StoreError when the store cannot be opened.
    """
    settings = settings or Settings.from_env()
    if store is None:
        from .remote import open_store

        store = open_store(settings)  # a folder, or a remote SPARQL server for an http(s) URL
    web = data_dir("web")

    app = FastAPI(title="ftm-graph", version=__version__, docs_url=None, redoc_url=None, openapi_url="/openapi.json",
                  lifespan=endpoint.lifespan)  # starts and stops the SPARQL query workers
    #: the store every request reads; handlers call store.refresh() first
    app.state.store = store
    app.state.settings = settings
    #: autoescape on for every template: labels come from data files (SPARQL 1.1 results are untrusted text)
    app.state.templates = Environment(
        loader=FileSystemLoader(web / "templates"), autoescape=select_autoescape(default=True), auto_reload=False
    )
    app.state.messages = load_messages(web / "messages.yaml")
    app.state.term_labels = load_term_labels(web / "term_labels.yaml")
    #: kinds of entity page (web/kinds.yaml): classes, template, facts shown first
    app.state.kinds = views.load_kinds(web / "kinds.yaml")
    app.state.queries = endpoint.load_queries()
    #: results of whole-graph queries (home stories), valid for one store generation
    app.state.cache = {}

    app.include_router(endpoint.router)
    app.include_router(catalog.router)  # VoID, DCAT, dumps, sitemap, the vocabulary's namespace pages
    app.include_router(admin.router)  # /update and /store: 404 unless an admin token is configured
    app.include_router(explore.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=web / "static"), name="static")
    app.add_middleware(sparql_fast.FastPath)  # anchored lookups on GET /sparql, before the routing (inside CORS)
    # SPARQL 1.1 Protocol clients in browsers on other sites (e.g. YASGUI) need CORS.
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "POST"], allow_headers=["*"])
    app.add_exception_handler(HTTPException, _http_error)
    return app


async def _http_error(request: Request, exc: HTTPException):
    """Unknown paths get the HTML 404 page in a browser; other errors stay plain text."""
    if exc.status_code == 404 and "text/html" in request.headers.get("accept", ""):
        return pages.not_found(request)
    return PlainTextResponse(str(exc.detail) + "\n", status_code=exc.status_code, headers=exc.headers)
