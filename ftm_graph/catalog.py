"""What other bodies use to find, download and reuse the data: VoID, the DCAT catalogue, dumps, sitemap, vocabulary.

- ``/.well-known/void`` (RFC 8615 well-known URI registered for VoID,
  https://www.w3.org/TR/void/#well-known) and ``/catalog`` (DCAT): Turtle,
  JSON-LD, RDF/XML or N-Triples by content negotiation (``?format=`` too), an
  HTML page for browsers. Both were written at the last store write
  (``publish.build``), so they describe exactly the data being served.
- ``/dumps/`` and ``/dumps/{file}``: the gzipped N-Quads dumps of that same
  generation, with a strong ``ETag`` (the file's SHA-256), ``Last-Modified``,
  ``304 Not Modified`` and byte ranges (RFC 9110 §14: ``206``, ``416``;
  Starlette's FileResponse does the ranges).
- ``/sitemap.xml``.
- ``/def/fiscal`` and ``/def/code/{scheme}``: the namespace documents of the
  vocabulary (``https://w3id.org/ftm-graph/fiscal#X`` is redirected by w3id
  to ``/def/fiscal#X``): the Turtle files of ``ontology/`` for machines, an
  HTML page made from them for people.
"""

from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.concurrency import run_in_threadpool

from . import formats, pages, publish
from .namespaces import CODE, DCT, FIS, OWL, PREFIXES, RDFS, SKOS
from .resources import data_dir

router = APIRouter()

#: The RDF syntaxes offered for VoID, the catalogue and the vocabulary, the default first: rdflib's name for each.
RDF_SYNTAXES = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/rdf+xml": "xml",
                "application/n-triples": "nt", "text/html": None}

#: Prefixes written in Turtle answers (ours, plus the vocabularies only the catalogue uses).
DOCUMENT_PREFIXES = {**PREFIXES, "spdx": publish.SPDX, "vann": "http://purl.org/vocab/vann/"}

NO_DATA = ("Todavía no hay nada publicado: cada carga ('ftm-graph ingest' o 'ftm-graph load') publica los datos. / "
           "Nothing is published yet: every load ('ftm-graph ingest' or 'ftm-graph load') publishes the data.")


def _text(status: int, text: str) -> Response:
    return Response(text + "\n", status_code=status, media_type="text/plain; charset=utf-8")


def choose_syntax(request: Request) -> str | None:
    """The media type to answer with (from ``?format=`` or Accept), or None when none fits."""
    wanted = request.query_params.get("format")
    if wanted:
        fmt = formats.by_alias(formats.GRAPH_FORMATS, wanted)
        return fmt.media_type if fmt is not None and fmt.media_type in RDF_SYNTAXES else None
    return formats.negotiate(request.headers.get("accept"), list(RDF_SYNTAXES))


def _cache(request: Request) -> dict:
    """Parsed documents, per store generation (what they describe cannot change within one)."""
    state = request.app.state
    if getattr(state, "publish_cache", None) is None:
        state.publish_cache = {}
    return state.publish_cache


def _published(request: Request) -> tuple[dict | None, Path | None]:
    store = request.app.state.store
    store.refresh()
    folder = store.generation_dir
    return publish.read_manifest(folder), (folder / publish.FOLDER if folder else None)


def _graph(request: Request, folder: Path, name: str):
    """The rdflib Graph of ``void.nt`` or ``catalog.nt`` of the live generation, parsed once."""
    import rdflib

    key = (str(folder), name)
    cache = _cache(request)
    if key not in cache:
        for old in [k for k in cache if k[0] != key[0]]:  # only the live generation's documents are kept
            del cache[old]
        graph = rdflib.Graph()
        for prefix, namespace in DOCUMENT_PREFIXES.items():
            graph.bind(prefix, namespace, replace=True)
        cache[key] = graph.parse(folder / name, format="nt")
    return cache[key]


async def _description(request: Request, name: str, template: str) -> Response:
    manifest, folder = _published(request)
    if manifest is None:
        return _text(404, NO_DATA)
    media = choose_syntax(request)
    if media is None:
        return _text(406, "Formatos / formats: " + ", ".join(RDF_SYNTAXES))
    graph = await run_in_threadpool(_graph, request, folder, name)
    vary = {"Vary": "Accept"}
    if media == "text/html":
        titles = _titles(graph)
        alternates = [(m, formats.by_alias(formats.GRAPH_FORMATS, m).alias) for m in RDF_SYNTAXES if m != "text/html"]
        return pages.render(request, template, {"m": manifest, "titles": titles, "alternates": alternates,
                                                "dumps_path": "/" + publish.DUMPS + "/"}, headers=vary)
    body = await run_in_threadpool(graph.serialize, format=RDF_SYNTAXES[media], encoding="utf-8")
    return Response(body, media_type=formats.content_type(media), headers=vary)


@router.get("/.well-known/void")
async def void(request: Request) -> Response:
    """The VoID description of the dataset: subsets per source graph, linksets, counts, endpoint, dumps."""
    return await _description(request, "void.nt", "void.html")


@router.get("/catalog")
async def catalog(request: Request) -> Response:
    """The DCAT catalogue: datasets and their downloads with media type, size and SHA-256."""
    return await _description(request, "catalog.nt", "catalog.html")


@router.get("/dumps/")
async def dumps(request: Request) -> Response:
    """The list of downloads (the catalogue's page)."""
    return await _description(request, "catalog.nt", "catalog.html")


def _not_modified(request: Request, etag: str, mtime: float) -> bool:
    """RFC 9110 §13.1.2-3: If-None-Match wins over If-Modified-Since."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = [t.strip().removeprefix("W/") for t in match.split(",")]
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since:
        try:
            return int(mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False


@router.api_route("/dumps/{name}", methods=["GET", "HEAD"])
async def dump_file(request: Request, name: str) -> Response:
    """One dump file of the live generation, with ETag, Last-Modified and byte ranges."""
    manifest, folder = _published(request)
    if manifest is None:
        return _text(404, NO_DATA)
    facts = manifest["files"].get(name)
    if facts is None:
        return _text(404, f"No hay tal archivo / no such file: {name}. See /dumps/")
    path = folder / publish.DUMPS / name
    etag = f'"{facts["sha256"]}"'
    stat = path.stat()
    if _not_modified(request, etag, stat.st_mtime):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": "no-cache"})
    return FileResponse(path, media_type="application/gzip", filename=name, stat_result=stat,
                        headers={"ETag": etag, "Cache-Control": "no-cache"})


@router.get("/sitemap.xml")
async def sitemap(request: Request) -> Response:
    """The sitemap for search engines (sitemaps.org): home, sources, catalogue, vocabulary, entity pages."""
    manifest, folder = _published(request)
    if manifest is None:
        return _text(404, NO_DATA)
    return FileResponse(folder / "sitemap.xml", media_type="application/xml")


@router.get("/sitemap-{number}.xml")
async def sitemap_part(request: Request, number: str) -> Response:
    """One file of a sitemap too big for one (``sitemap.xml`` is then their index)."""
    manifest, folder = _published(request)
    path = folder / f"sitemap-{number}.xml" if manifest is not None and number.isdigit() else None
    if path is None or not path.is_file():
        return _text(404, "No existe esa parte del sitemap / no such sitemap part.")
    return FileResponse(path, media_type="application/xml")


async def _vocabulary_document(request: Request, path: Path, turtle_only: bool = False) -> Response:
    media = "text/turtle" if turtle_only else choose_syntax(request)
    if media is None:
        return _text(406, "Formatos / formats: " + ", ".join(RDF_SYNTAXES))
    vary = {} if turtle_only else {"Vary": "Accept"}
    if media == "text/turtle":
        return FileResponse(path, media_type=formats.content_type(media), headers=vary)
    state = request.app.state
    if getattr(state, "vocabulary_cache", None) is None:
        state.vocabulary_cache = {}
    doc = await run_in_threadpool(read_vocabulary, path, state.vocabulary_cache)
    if media == "text/html":
        return pages.render(request, "ontology.html", {"doc": doc}, headers=vary)
    body = await run_in_threadpool(doc.graph.serialize, format=RDF_SYNTAXES[media], encoding="utf-8")
    return Response(body, media_type=formats.content_type(media), headers=vary)


@router.get("/def/fiscal")
async def ontology(request: Request) -> Response:
    """The fiscal ontology's namespace document: Turtle for machines, a page of its terms for people."""
    return await _vocabulary_document(request, data_dir("ontology") / "fiscal.ttl")


@router.get("/def/fiscal.ttl")
async def ontology_turtle(request: Request) -> Response:
    """The fiscal ontology as Turtle, whatever the Accept header."""
    return await _vocabulary_document(request, data_dir("ontology") / "fiscal.ttl", turtle_only=True)


@router.get("/def/code/{scheme}")
async def code_list(request: Request, scheme: str) -> Response:
    """A code list (SKOS concept scheme) of ``ontology/codes/``; ``{scheme}.ttl`` for the Turtle file."""
    name = scheme.removesuffix(".ttl")
    known = {p.stem: p for p in (data_dir("ontology") / "codes").glob("*.ttl")}
    if name not in known:
        return _text(404, f"No hay tal lista de códigos / no such code list: {name}. "
                          f"Known: {', '.join(sorted(known))}")
    return await _vocabulary_document(request, known[name], turtle_only=scheme.endswith(".ttl"))


# The vocabulary as a page -------------------------------------------------------------------------------

#: What a term's page entry lists besides its labels and comments: property → heading per language.
TERM_FACTS = {
    RDFS + "subClassOf": {"es": "subclase de", "en": "subclass of"},
    RDFS + "subPropertyOf": {"es": "subpropiedad de", "en": "subproperty of"},
    RDFS + "domain": {"es": "dominio", "en": "domain"},
    RDFS + "range": {"es": "rango", "en": "range"},
    OWL + "inverseOf": {"es": "inversa de", "en": "inverse of"},
    SKOS + "broader": {"es": "más amplio", "en": "broader"},
    SKOS + "notation": {"es": "notación", "en": "notation"},
    SKOS + "exactMatch": {"es": "equivale a", "en": "exact match"},
    SKOS + "closeMatch": {"es": "parecido a", "en": "close match"},
}
KINDS = {
    OWL + "Class": {"es": "Clase", "en": "Class"},
    OWL + "ObjectProperty": {"es": "Propiedad de objeto", "en": "Object property"},
    OWL + "DatatypeProperty": {"es": "Propiedad de dato", "en": "Datatype property"},
    SKOS + "Concept": {"es": "Concepto", "en": "Concept"},
}


@dataclass
class Term:
    """One class, property or concept as the namespace page shows it."""

    iri: str
    anchor: str  #: the fragment (``#Amount``) that w3id's ``…/fiscal#Amount`` lands on
    kind: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    facts: list[tuple[dict, list[tuple[str, str]]]] = field(default_factory=list)  #: heading → [(href, text)]


@dataclass
class Vocabulary:
    """The ontology or a code list, ready for ``ontology.html``."""

    iri: str
    graph: object  #: rdflib Graph of the file
    turtle: str  #: path of the Turtle file on this site
    titles: dict[str, str]
    descriptions: dict[str, str]
    sections: list[dict]  #: {"title": {lang: …}, "anchor", "terms": [Term]}


def _by_lang(graph, subject, *predicates) -> dict[str, str]:
    found = {}
    for predicate in predicates:
        for value in graph.objects(subject, predicate):
            found.setdefault(getattr(value, "language", None) or "", str(value))
    return found


def _titles(graph) -> dict[str, dict[str, str]]:
    """dct:title of every subject, by language."""
    import rdflib

    titles: dict[str, dict[str, str]] = {}
    for s, title in graph.subject_objects(rdflib.URIRef(DCT + "title")):
        titles.setdefault(str(s), {}).setdefault(getattr(title, "language", None) or "", str(title))
    return titles


def _link(iri: str) -> tuple[str, str]:
    """Where a term links to on the page or outside, and how it is written (a CURIE when it has a prefix)."""
    if iri.startswith(FIS):
        return "#" + iri[len(FIS):], "fis:" + iri[len(FIS):]
    if iri.startswith(CODE):
        scheme, _, code = iri[len(CODE):].partition("/")
        return f"/def/code/{scheme}" + (f"#{code}" if code else ""), "code:" + iri[len(CODE):]
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and iri != namespace:
            return iri, f"{prefix}:{iri[len(namespace):]}"
    return iri, iri


def _term(graph, subject, anchor: str, kind: dict) -> Term:
    import rdflib

    term = Term(str(subject), anchor, kind, _by_lang(graph, subject, rdflib.URIRef(RDFS + "label"),
                                                     rdflib.URIRef(SKOS + "prefLabel")),
                _by_lang(graph, subject, rdflib.URIRef(RDFS + "comment"), rdflib.URIRef(SKOS + "definition")))
    for predicate, heading in TERM_FACTS.items():
        values = []
        for value in graph.objects(subject, rdflib.URIRef(predicate)):
            if isinstance(value, rdflib.URIRef):
                values.append(_link(str(value)))
            elif isinstance(value, rdflib.Literal):
                values.append(("", str(value)))
            else:  # owl:unionOf ( … ) in a blank node
                members = graph.value(value, rdflib.URIRef(OWL + "unionOf"))
                if members is not None:
                    values += [_link(str(m)) for m in rdflib.collection.Collection(graph, members)]
        if values:
            term.facts.append((heading, values))
    return term


def read_vocabulary(path: Path, cache: dict) -> Vocabulary:
    """Parse the ontology or a code list into page sections; cached until the file changes."""
    key = (str(path), path.stat().st_mtime)
    if key not in cache:
        cache[key] = _ontology(path) if path.parent.name != "codes" else _code_list(path)
    return cache[key]


def _order(text: str, iri: str) -> int:
    """Where a term is defined in its file (``<iri> a`` or ``prefix:local a``), to keep the authors' order."""
    local = iri.replace("#", "/").rsplit("/", 1)[-1]
    positions = [p for p in (text.find(f"<{iri}> a "), text.find(f":{local} a ")) if p >= 0]
    return min(positions, default=len(text))


def _ontology(path: Path) -> Vocabulary:
    """The ontology's classes, each followed by the properties whose domain it is; then the other terms."""
    import rdflib

    text = path.read_text(encoding="utf-8")
    graph = rdflib.Graph().parse(path, format="turtle")
    terms = {str(s) for s in graph.subjects() if isinstance(s, rdflib.URIRef) and str(s).startswith(FIS)}
    ordered = sorted(terms, key=lambda iri: _order(text, iri))
    kinds = {iri: next((KINDS[str(t)] for t in graph.objects(rdflib.URIRef(iri), rdflib.RDF.type)
                        if str(t) in KINDS), {"es": "Término", "en": "Term"}) for iri in ordered}
    domain = {iri: str(graph.value(rdflib.URIRef(iri), rdflib.RDFS.domain) or "") for iri in ordered}
    sections, placed = [], set()
    for iri in ordered:
        if (rdflib.URIRef(iri), rdflib.RDF.type, rdflib.OWL.Class) not in graph:
            continue
        members = [iri] + [p for p in ordered if domain[p] == iri and p != iri]
        placed.update(members)
        first = _term(graph, rdflib.URIRef(iri), iri[len(FIS):], kinds[iri])
        sections.append({"title": first.labels, "anchor": None,
                         "terms": [first] + [_term(graph, rdflib.URIRef(p), p[len(FIS):], kinds[p])
                                             for p in members[1:]]})
    rest = [p for p in ordered if p not in placed]
    if rest:
        sections.append({"title": {"es": "Otras propiedades y términos", "en": "Other properties and terms"},
                         "anchor": "otros", "terms": [_term(graph, rdflib.URIRef(p), p[len(FIS):], kinds[p])
                                                      for p in rest]})
    ontology = rdflib.URIRef(FIS.rstrip("#"))
    return Vocabulary(str(ontology), graph, "/def/fiscal.ttl", _by_lang(graph, ontology, rdflib.URIRef(DCT + "title")),
                      _by_lang(graph, ontology, rdflib.URIRef(DCT + "description")), sections)


def _code_list(path: Path) -> Vocabulary:
    """A concept scheme and its concepts, in the order of the file."""
    import rdflib

    text = path.read_text(encoding="utf-8")
    graph = rdflib.Graph().parse(path, format="turtle")
    scheme = rdflib.URIRef(CODE + path.stem)
    concepts = sorted((str(c) for c in graph.subjects(rdflib.RDF.type, rdflib.URIRef(SKOS + "Concept"))),
                      key=lambda iri: _order(text, iri))
    terms = [_term(graph, rdflib.URIRef(c), c.rsplit("/", 1)[-1], KINDS[SKOS + "Concept"]) for c in concepts]
    labels = _by_lang(graph, scheme, rdflib.URIRef(SKOS + "prefLabel"))
    return Vocabulary(str(scheme), graph, f"/def/code/{path.stem}.ttl", labels,
                      _by_lang(graph, scheme, rdflib.URIRef(SKOS + "definition"), rdflib.URIRef(DCT + "description")),
                      [{"title": labels, "anchor": None, "terms": terms}])
