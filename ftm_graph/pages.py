"""The pages people read: home with the three stories, entity pages, source files and rows.

HTML is Spanish first (``?lang=en`` switches, and links keep it). Every page
that describes a resource also answers machines on the same URL by content
negotiation (Turtle, JSON-LD, N-Triples, RDF/XML) and links its alternates.
All queries here are anchored on one IRI (bound, never pasted into the
text; only IRIs read back from the store are written into a VALUES block),
except the home stories, which are cached per store generation. Rendered
pages are kept per generation too (``page_cache``).
"""

import asyncio
import functools
import os
import re
import weakref
from contextlib import closing
from dataclasses import dataclass, field
from urllib.parse import urlencode

import anyio
import anyio.to_thread
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from . import flows, formats, page_cache, search, summaries, views
from .namespaces import DCT, FIS, PROV, RDF, RDFS, SKOS, graph_iri, sparql_prologue
from .safeurl import safe_href
from .stories import STORIES, read_stories

router = APIRouter()

LANGUAGES = ("es", "en")
#: Incoming links shown per relation on one page; ``?page=`` shows the next ones.
#: Page work (queries, views) runs in at most this many threads at once, one per core. With anyio's 40
#: threads, 16 clients made pyoxigraph's threads fight for the GIL (it is released and taken again per
#: solution): at 10^6 triples a loan page's p95 went from 370 ms (2 threads) to 860 ms, at 28 req/s
#: instead of 46 (bench/bench_pages.py --only loan, 16 clients). Waiting in line is faster.
PAGE_THREADS = max(2, os.cpu_count() or 2)
PAGE_SIZE = 50
#: Figures shown per story on the home page.
STORY_FIGURES = 12
#: The saved queries behind the three home-page stories, in order.
#: Every page depends on the negotiated format and language.
_VARY = {"Vary": page_cache.VARY}
#: Properties shown in their own place on an entity page, not in the property table.
_SHOWN_APART = {RDF + "type", RDFS + "label", SKOS + "prefLabel", FIS + "illustrative", PROV + "wasDerivedFrom"}

_PROLOGUE = sparql_prologue()
# An entity page is built from three anchored queries: what the entity says and what points at it
# (_ENTITY), its figures (_AMOUNTS), and one page of each group of incoming links (_incoming_query).
# The branches of _ENTITY share no variables but ?s, so each is evaluated on its own.
#: Source rows listed on an entity page: a bank named in 50,000 rows shows this many and the count.
SOURCE_ROWS = 20
_ENTITY = _PROLOGUE + """
SELECT ?s ?p ?o ?plabel ?olabel ?in ?n ?g ?gtitle ?row ?derived ?rowNumber ?file ?ftitle ?sourceRows WHERE {
  { ?s ?p ?o . FILTER(?p != prov:wasDerivedFrom)
    OPTIONAL { ?p rdfs:label ?plabel }
    OPTIONAL { ?o rdfs:label|skos:prefLabel|dct:title ?olabel } }
  UNION
  { { SELECT ?s ?in (COUNT(?x) AS ?n) WHERE { ?x ?in ?s . FILTER(?in != fis:amountOf) } GROUP BY ?s ?in }
    OPTIONAL { ?in rdfs:label ?plabel } }
  UNION
  { { SELECT DISTINCT ?s ?g WHERE { GRAPH ?g { ?s ?gp ?go } } } OPTIONAL { ?g dct:title ?gtitle } }
  UNION
  { { { SELECT ?s ?row WHERE { ?s prov:wasDerivedFrom ?row } LIMIT %(rows)d } BIND(true AS ?derived)
      OPTIONAL { ?row fis:rowNumber ?rowNumber } }
    UNION { ?s fis:rowNumber ?rowNumber BIND(?s AS ?row) }
    OPTIONAL { ?row dct:isPartOf ?file . OPTIONAL { ?file dct:title ?ftitle } } }
  UNION
  { SELECT ?s (COUNT(?r) AS ?sourceRows) WHERE { ?s prov:wasDerivedFrom ?r } GROUP BY ?s }
}""" % {"rows": SOURCE_ROWS}
# The OPTIONALs stay flat: an OPTIONAL nested in another that uses ?x from outside is evaluated on
# its own by pyoxigraph, then joined: that scanned every amount in the store (9 s at 1M triples).
_INCOMING_ITEMS = """
  OPTIONAL { ?x rdfs:label|skos:prefLabel|dct:title ?xlabel }
  OPTIONAL { ?x fis:value ?value }
  OPTIONAL { ?x fis:measure/skos:prefLabel ?mlabel }
  OPTIONAL { ?x fis:currency ?currency }"""
_ITEM_LABELS = _PROLOGUE + "SELECT ?x ?xlabel ?value ?currency ?mlabel WHERE {\n  VALUES ?x { %s }" + _INCOMING_ITEMS + "\n}"
#: An IRI that can be written between < and > in a query as it is (RFC 3987 excludes these characters).
_PLAIN_IRI = re.compile(r'[^<>"{}|^`\\\x00-\x20]+')
_AMOUNTS = _PROLOGUE + """
SELECT ?s ?amount ?measure ?mlabel ?value ?currency ?date ?year ?start ?end ?row ?rowNumber ?file
       ?doc ?docUrl ?docTitle ?illustrative WHERE {
  ?amount fis:amountOf ?s ; fis:measure ?measure ; fis:value ?value .
  OPTIONAL { ?measure skos:prefLabel|rdfs:label ?mlabel }
  OPTIONAL { ?amount fis:currency ?currency }
  OPTIONAL { ?amount fis:date ?date }
  OPTIONAL { ?amount fis:fiscalYear ?year }
  OPTIONAL { ?amount fis:periodStart ?start }
  OPTIONAL { ?amount fis:periodEnd ?end }
  OPTIONAL { ?amount fis:illustrative ?illustrative }
  OPTIONAL { ?amount prov:wasDerivedFrom ?row .
    OPTIONAL { ?row fis:rowNumber ?rowNumber } OPTIONAL { ?row dct:isPartOf ?file }
    OPTIONAL { ?row dct:source ?doc . OPTIONAL { ?doc fis:url ?docUrl } OPTIONAL { ?doc dct:title ?docTitle } } }
}"""


def _incoming_query(relations: int, limit: int, offset: int) -> str:
    """One page of every group of incoming links in one query: a branch per relation, each bound to ``?p{n}``.

    Each branch cuts its own group (LIMIT/OFFSET), so a body with thousands of contracts still
    fetches one page of each, never the whole list. There is no ORDER BY: sorting needs every
    item's IRI text, and reading those back from the store is what costs (165 ms for a body with
    1,200 payments at 1M triples, against 2 ms without). A generation never changes, so the
    store's own index order is the same on every request and the pages neither overlap nor skip;
    each page is sorted for display.
    """
    branches = " UNION ".join(
        f"{{ {{ SELECT ?s ?p{n} ?x WHERE {{ ?x ?p{n} ?s }} LIMIT {int(limit)} OFFSET {int(offset)} }} "
        f"BIND(?p{n} AS ?p) }}" for n in range(relations))
    projected = " ".join(f"?p{n}" for n in range(relations))
    return _PROLOGUE + f"SELECT ?s {projected} ?p ?x WHERE {{ {branches} }}"


_DESCRIPTION = _PROLOGUE + """
CONSTRUCT { ?s ?p ?o . ?amount ?ap ?ao } WHERE {
  { ?s ?p ?o } UNION { ?amount fis:amountOf ?s ; ?ap ?ao }
}"""
_SOURCES = _PROLOGUE + """
SELECT ?file ?title ?publisher ?url ?retrieved ?generated ?rows ?triples ?illustrative WHERE {
  ?file a fis:SourceFile .
  OPTIONAL { ?file dct:title ?title }
  OPTIONAL { ?file dct:publisher ?publisher }
  OPTIONAL { ?file dct:source ?url }
  OPTIONAL { ?file fis:retrieved ?retrieved }
  OPTIONAL { ?file prov:generatedAtTime ?generated }
  OPTIONAL { ?file fis:rowCount ?rows }
  OPTIONAL { ?file void:triples ?triples }
  OPTIONAL { ?file fis:illustrative ?illustrative }
} ORDER BY ?file"""


# Languages, labels, links --------------------------------------------------------

def language(request: Request) -> str:
    """The page language: ``?lang=``, else the first of ours in ``Accept-Language``, else Spanish."""
    lang = request.query_params.get("lang")
    if lang in LANGUAGES:
        return lang
    ranges = sorted(formats.parse_accept(request.headers.get("accept-language")), key=lambda r: -r[1])
    for media, q in ranges:
        primary = media.split("-")[0].lower()
        if primary in LANGUAGES and q > 0:
            return primary
    return "es"


def pick(labels: dict[str, str], lang: str, default: str = "") -> str:
    """The label in `lang`, else Spanish, English, untagged, any; else `default`."""
    for key in (lang, "es", "en", ""):
        if labels.get(key):
            return labels[key]
    return next(iter(labels.values()), default)


def local_path(iri: str, base: str) -> str | None:
    """The path of an IRI on this site (``/id/…``, ``/graph/…``), or None for an outside IRI."""
    if iri.startswith(base) and iri[len(base):].startswith(("id/", "graph/")):
        return "/" + iri[len(base):]
    return None


def short_name(iri: str) -> str:
    """The last segment of an IRI, for when it has no label."""
    return iri.rstrip("/#").replace("#", "/").rsplit("/", 1)[-1]


def _add_label(labels: dict[str, dict[str, str]], iri: str, label) -> None:
    if label is not None and label.kind == "literal":
        labels.setdefault(iri, {}).setdefault(label.language, label.value)


def _select(store, query: str, **iris) -> list[dict]:
    """Rows of {variable: Cell}, leaving out the bound variables: each term read back costs a store lookup."""
    results = store.query(query, substitutions=formats.bind(**iris))
    names = [v.value for v in results.variables if v.value not in iris]
    return [{n: formats.cell(row[n]) for n in names if row[n] is not None} for row in results]


# Describing one resource -----------------------------------------------------------

@dataclass
class Description:
    """What the store says about one IRI, ready for a template."""

    iri: str
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  #: IRI → language → label
    types: list[str] = field(default_factory=list)
    illustrative: bool = False
    properties: dict[str, list] = field(default_factory=dict)  #: property IRI → values (Cells)
    derived_from: list[str] = field(default_factory=list)  #: source-row IRIs (at most SOURCE_ROWS of them)
    source_rows: int = 0  #: how many source rows the entity was made from in all
    rows: dict[str, dict] = field(default_factory=dict)  #: row IRI → {"number", "file", "titles"} (its own row too)
    amounts: list[dict] = field(default_factory=list)
    incoming: dict[str, dict] = field(default_factory=dict)  #: property IRI → {"count", "items"}
    graphs: list[str] = field(default_factory=list)  #: named graphs holding its statements

    @property
    def found(self) -> bool:
        return bool(self.properties or self.types or self.labels.get(self.iri) or self.incoming or self.amounts)


def describe(store, iri: str, page: int = 1, incoming: bool = True) -> Description:
    """Gather an entity's statements, figures, incoming links (one page of each group) and source graphs.

    Three anchored queries (two without `incoming`): cheap whatever the size of the store.
    """
    d = Description(iri)
    for row in _select(store, _ENTITY, s=iri):
        if "p" in row:
            _outgoing(d, row)
        elif "in" in row:
            p = row["in"].value
            _add_label(d.labels, p, row.get("plabel"))
            d.incoming[p] = {"count": int(row["n"].value), "items": []}
        elif "g" in row:
            _add_label(d.labels, row["g"].value, row.get("gtitle"))
            if row["g"].value not in d.graphs:
                d.graphs.append(row["g"].value)
        elif "sourceRows" in row:
            d.source_rows = int(row["sourceRows"].value)
        elif "row" in row:
            if "derived" in row and row["row"].value not in d.derived_from:
                d.derived_from.append(row["row"].value)
            if "rowNumber" not in row:
                continue
            entry = d.rows.setdefault(row["row"].value, {"number": row["rowNumber"].value, "file": row.get("file"),
                                                         "titles": {}})
            if row.get("ftitle") is not None:
                entry["titles"].setdefault(row["ftitle"].language, row["ftitle"].value)
    d.graphs.sort()
    d.amounts = _amounts(store, iri, d.labels)
    if incoming and d.incoming:
        _incoming(store, d, (max(page, 1) - 1) * PAGE_SIZE)
    return d


def _outgoing(d: Description, row: dict) -> None:
    """One statement of the entity, put where the page shows it."""
    p, o = row["p"].value, row["o"]
    _add_label(d.labels, p, row.get("plabel"))
    if o.kind == "iri":
        _add_label(d.labels, o.value, row.get("olabel"))
    if p == RDF + "type":
        if o.value not in d.types:
            d.types.append(o.value)
    elif p in (RDFS + "label", SKOS + "prefLabel", DCT + "title"):
        _add_label(d.labels, d.iri, o)
    elif p == FIS + "illustrative":
        d.illustrative = d.illustrative or o.value == "true"
    elif p not in _SHOWN_APART and o not in d.properties.setdefault(p, []):
        d.properties[p].append(o)


def _incoming(store, d: Description, offset: int) -> None:
    """One page of each group of incoming links, in one query, then their labels (see `_item_labels`)."""
    relations = sorted(d.incoming)
    query = _incoming_query(len(relations), PAGE_SIZE, offset)
    binding = {f"p{n}": p for n, p in enumerate(relations)}
    for row in _select(store, query, s=d.iri, **binding):
        items = d.incoming[row["p"].value]["items"]
        if row["x"] not in items:
            items.append(row["x"])
    _item_labels(store, d, [x.value for g in d.incoming.values() for x in g["items"] if x.kind == "iri"])
    for group in d.incoming.values():
        group["items"].sort(key=lambda x: x.value)


def _item_labels(store, d: Description, iris: list[str]) -> None:
    """Labels of the linked items: from the generation's search index, else (when it does not know an
    item, e.g. an Amount) from the store, naming an Amount without a label after its figure.

    The index answers in one indexed lookup; asking the store costs a read per term (~0.1 ms each).
    """
    known: dict[str, dict] = {}
    index = search.open_index(store)
    if index is not None:
        with closing(index):
            known = search.labels_of(index, iris)
    for iri, labels in known.items():
        labels = {lang: text for lang, text in labels.items() if text}
        if labels:
            d.labels.setdefault(iri, labels)
    unknown = [i for i in dict.fromkeys(iris) if i not in known and _PLAIN_IRI.fullmatch(i)]
    if not unknown:
        return
    figures: dict[str, dict] = {}
    # IRIs read from the store are well-formed (checked by _PLAIN_IRI), so VALUES may hold them as text.
    values = " ".join(f"<{i}>" for i in unknown)
    for row in formats.solutions(store.query(_ITEM_LABELS % values)):
        x = row["x"]
        _add_label(d.labels, x.value, row.get("xlabel"))
        if "value" in row:
            figure = figures.setdefault(x.value, {"row": row, "measure": {}})
            if row.get("mlabel") is not None:
                figure["measure"].setdefault(row["mlabel"].language, row["mlabel"].value)
    for x, figure in figures.items():
        if x not in d.labels:
            d.labels[x] = _figure_labels(figure["row"], figure["measure"])


def _figure_labels(row: dict, measure: dict[str, str]) -> dict[str, str]:
    """Name an Amount after its measure and value, per language: 'monto adjudicado: 2.8 mil millones de pesos'."""
    currency = row["currency"].value if row.get("currency") else "MXN"
    labels = {}
    for lang in LANGUAGES:
        money = formats.format_money(row["value"].value, lang, currency)
        labels[lang] = f"{pick(measure, lang)}: {money}" if measure else money
    return labels


def _amounts(store, iri: str, labels: dict) -> list[dict]:
    """The figures about an entity, one per Amount, with their time and source."""
    figures: dict[str, dict] = {}
    for row in _select(store, _AMOUNTS, s=iri):
        _add_label(labels, row["measure"].value, row.get("mlabel"))
        figures.setdefault(row["amount"].value, row)
    # sorted here, not by the query: ORDER BY would read back every sort key's text from the store first
    return sorted(figures.values(), key=lambda f: [(1, f[k].value) if k in f else (0, "")
                                                    for k in ("measure", "date", "year", "start")])


def entity_graph(store, iri: str):
    """The triples that describe an entity: its statements and its Amounts."""
    return store.query(_DESCRIPTION, substitutions=formats.bind(s=iri))


def home_stories(state) -> list[dict]:
    """The figures of the three stories, from their saved queries; cached per store generation."""
    cache = state.cache
    if cache.get("generation") != state.store.generation or "stories" not in cache:
        computed = read_stories(state.store.generation_dir) or {}  # written at ingest (see stories.py)
        stories = []
        for name in STORIES:
            query = state.queries.get(name)
            if query is None:
                continue
            rows = computed.get(name)
            if rows is None:  # a generation written before stories.json existed
                rows = formats.solutions(state.store.query(query.text_for(state.store.base_uri)))
            stories.append({"query": query, "figures": rows})
        cache.clear()
        cache.update(generation=state.store.generation, stories=stories)
    return cache["stories"]


def source_files(store) -> list[dict]:
    """Every source file described in graph/meta, one dict each, titles by language."""
    files: dict[str, dict] = {}
    for row in formats.solutions(store.query(_SOURCES)):
        entry = files.setdefault(row["file"].value, {**row, "titles": {}})
        title = row.get("title")
        if title is not None:
            entry["titles"].setdefault(title.language, title.value)
    return list(files.values())


# Rendering ---------------------------------------------------------------------------

def render(request: Request, template: str, context: dict, status: int = 200, headers=None) -> HTMLResponse:
    """Render a template with the page language, messages and link helpers."""
    state = request.app.state
    lang = language(request)
    base = state.store.base_uri

    def url(path: str, **params) -> str:
        params = {k: v for k, v in params.items() if v is not None}
        if lang != "es":
            params["lang"] = lang
        return path + ("?" + urlencode(params) if params else "")

    def href(iri: str) -> str:
        path = local_path(iri, base)
        return url(path) if path else safe_href(iri)  # an IRI of any scheme: javascript: is not a link

    def label(iri: str, labels: dict | None = None) -> str:
        known = (labels or {}).get(iri) or state.term_labels.get(iri, {})
        return pick(known, lang, short_name(iri))

    def by_label(items: dict, labels: dict) -> list:
        return sorted(items.items(), key=lambda item: label(item[0], labels).casefold())

    other = "en" if lang == "es" else "es"
    switch = dict(request.query_params, lang=other)
    t = state.messages[lang]
    money = lambda v, c="MXN": formats.format_money(v, lang, c or "MXN")  # noqa: E731
    date = lambda v: formats.format_date(v, lang)  # noqa: E731

    def relation_name(name: str) -> str:
        return t.get("flow_" + name, name)

    def charts(d, v) -> dict:
        """The SVG drawings of an entity page (markup escaped by flows.py, so marked safe in the template)."""
        lab = lambda iri: label(iri, d.labels)  # noqa: E731
        out = {}
        if v.get("flows"):
            out["flow"] = flows.sankey(d.iri, v["flows"]["in"], v["flows"]["out"], label=lab, href=href, money=money,
                                       relation=relation_name, t=t)
        if v.get("budget"):
            out["budget"] = views.budget_chart(v["budget"], label=lab, money=money, t=t)
        for table in v.get("series") or []:
            if table["chart"]:
                out["series-" + table["name"]] = views.series_chart(table, title=t["series_" + table["name"]], label=lab,
                                                                    money=money, date=date)
        return out

    html = state.templates.get_template(template).render(
        request=request, lang=lang, t=t, url=url, href=href, label=label, pick=pick,
        by_label=by_label,
        base=base, queries=state.queries, switch_url=request.url.path + "?" + urlencode(switch),
        money=money, exact=lambda v, c="MXN": formats.format_exact(v, lang, c or "MXN"),
        date=date, number=lambda v: formats.format_number(v, lang), relation_name=relation_name, charts=charts,
        kinds=state.kinds,
        **context,
    )
    return HTMLResponse(html, status_code=status, headers=headers)


def not_found(request: Request, iri: str | None = None) -> HTMLResponse:
    """The 404 page, with what a search for the last part of the address finds."""
    words = "".join(c if c.isalnum() else " " for c in short_name(iri or request.url.path)).split()
    hint = " ".join(words)[:40]
    suggestions = []
    store = request.app.state.store
    db = search.open_index(store)
    if db is not None and hint:
        with closing(db):
            # runs on the event loop: the cheap passes only (no typo pass)
            suggestions = (search.search(db, hint, limit=8, typos=False)
                           or search.search(db, words[0], limit=8, typos=False))
    return render(request, "404.html", {"iri": iri, "hint": hint, "suggestions": suggestions}, status=404)


def entity_view(state, d: Description, lang: str) -> dict:
    """The kind of an entity and what its page shows first (from the generation's summaries)."""
    kind = views.kind_of(d.types, state.kinds)
    db = summaries.open_summaries(state.store)
    if db is None:
        return views.build(d, kind, state.kinds, None, lang)
    with closing(db):
        view = views.build(d, kind, state.kinds, db, lang)
    flows_ = view["flows"] or {}
    others = [f["other"] for side in ("in", "out") for f in flows_.get(side, [])]
    others += [f["example"] for side in ("in", "out") for f in flows_.get(side, []) if f["example"]]
    index = search.open_index(state.store)
    if index is not None and others:
        with closing(index):
            for iri, labels in search.labels_of(index, others).items():
                d.labels.setdefault(iri, labels)
    return view


#: One limiter per event loop (a limiter belongs to the loop it was made in; tests start several loops).
_LIMITERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


async def page_work(func, *args):
    """Run blocking page work in a thread, at most PAGE_THREADS at once."""
    loop = asyncio.get_running_loop()
    limiter = _LIMITERS.get(loop)
    if limiter is None:
        limiter = _LIMITERS[loop] = anyio.CapacityLimiter(PAGE_THREADS)
    return await anyio.to_thread.run_sync(functools.partial(func, *args), limiter=limiter)


async def _resource(request: Request, iri: str) -> Response:
    """The page of any resource of this site: HTML for people, RDF for machines (same URL)."""
    state = request.app.state
    state.store.refresh()
    offered = formats.GRAPH_FORMATS
    wanted = request.query_params.get("format")
    if wanted:
        fmt = formats.by_alias(offered, wanted)
        if fmt is None:
            return Response(f"Unknown format '{wanted}'.\n", status_code=406, media_type="text/plain")
    else:
        media = formats.negotiate(request.headers.get("accept"), ["text/html"] + [m for m in offered if m != "text/html"])
        if media is None:
            return Response("Not acceptable.\n", status_code=406, media_type="text/plain")
        fmt = offered[media]
    lang = language(request)
    try:
        formats.iris([iri])
    except ValueError:  # an address no IRI can have ('<', '"', a space…): nothing can be there
        return not_found(request, iri) if fmt.writer is None else Response("Not found.\n", status_code=404)

    async def produce() -> Response:
        number = request.query_params.get("page", "1")
        page = max(1, int(number)) if number.isdigit() else 1
        d = await page_work(describe, state.store, iri, page, fmt.writer is None)
        if not d.found:
            return not_found(request, iri)
        if fmt.writer is not None:
            body = await page_work(lambda: formats.serialize(entity_graph(state.store, iri), fmt))
            return Response(body, media_type=formats.content_type(fmt.media_type), headers=_VARY)
        alternates = [(f.media_type, f.alias) for f in offered.values() if f.writer is not None]
        view = await page_work(entity_view, state, d, lang)
        template = state.kinds[view["kind"]]["template"] if view["kind"] else "entity.html"
        return render(request, template, {"d": d, "v": view, "page": page, "page_size": PAGE_SIZE,
                                          "alternates": alternates}, headers=_VARY)

    return await page_cache.cached(request, f"{fmt.media_type} {lang}", produce)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> HTMLResponse:
    """The home page: mission, the three follow-the-money stories with their figures and sources."""
    state = request.app.state
    state.store.refresh()

    async def produce() -> Response:
        stories = await page_work(home_stories, state)
        return render(request, "index.html", {"stories": stories, "story_figures": STORY_FIGURES})

    return await page_cache.cached(request, "html " + language(request), produce)


@router.get("/id/{path:path}")
async def entity(request: Request, path: str) -> Response:
    """An entity under ``{base}id/``."""
    return await _resource(request, request.app.state.store.base_uri + "id/" + path)


@router.get("/graph/{name}")
async def source_file(request: Request, name: str) -> Response:
    """A source file (a named graph) as described in graph/meta, with its rows."""
    return await _resource(request, graph_iri(request.app.state.store.base_uri, name))


@router.get("/graph/{name}/row/{number}")
async def source_row(request: Request, name: str, number: str) -> Response:
    """One row of a source file: what it cites and what was made from it."""
    return await _resource(request, graph_iri(request.app.state.store.base_uri, name) + "/row/" + number)


@router.get("/sources", response_class=HTMLResponse)
async def sources(request: Request) -> HTMLResponse:
    """The list of source files: publisher, address, date, rows, triples, illustrative or not."""
    state = request.app.state
    state.store.refresh()

    async def produce() -> Response:
        files = await page_work(source_files, state.store)
        return render(request, "sources.html", {"files": files})

    return await page_cache.cached(request, "html " + language(request), produce)
