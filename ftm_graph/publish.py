"""What a generation publishes for other bodies, built at write time: dumps, linksets, VoID, DCAT, sitemap.

``build(tx, base)`` is one of ``sources.DERIVED``: it runs inside every store
transaction, after the data changed, and writes into the new generation's
folder (``tx.dir / "publish"``), so the files switch atomically with the data
and a reader never sees a dump of another generation. Everything is computed
from the store; nothing here is hand-kept:

- ``dumps/graph-{name}.nq.gz``: each named graph as gzipped N-Quads;
  ``dumps/all.nq.gz``: all of them (the per-graph files concatenated: a
  multi-member gzip file, RFC 1952 §2.2, which gzip, zcat and every gzip
  library read as one stream); ``dumps/links.nt.gz``: the linkset (our
  entities' ``owl:sameAs`` / ``skos:exactMatch`` links to outside IRIs);
- ``void.nt``: the VoID description (https://www.w3.org/TR/void/): the
  dataset, one subset per graph, the linksets, with counts;
- ``catalog.nt``: the DCAT catalogue (https://www.w3.org/TR/vocab-dcat-3/):
  datasets and distributions with media type, byte size and SHA-256;
- ``sitemap.xml`` (https://www.sitemaps.org/protocol.html) and
  ``manifest.json`` (the same facts for the web pages).

The triples of a dump are written by pyoxigraph's N-Triples serialiser; only
the graph name is added to each line, so a dump loads elsewhere into the same
quads.

A build is incremental (see ``Transaction.touched``): the dump of a graph the
transaction did not touch is hard-linked from the previous generation, with
the facts recorded there (``graphs.json``); a graph bulk-loaded from the
mapping's N-Quads file (``Transaction.loaded``) is dumped by gzipping that
file, which holds exactly its quads. Reading quads back out of RocksDB costs
~10x more than gzip: every term is looked up by its id (bench/bench_publish.py).
That gzip runs in a thread while the counts and the sitemap are queried.
"""

import gzip
import hashlib
import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

from . import formats
from .clean import slug
from .namespaces import DCAT, DCT, FIS, FOAF, OWL, PREFIXES, RDF, SKOS, VOID, XSD, graph_iri

SPDX = "http://spdx.org/rdf/terms#"
IANA = "https://www.iana.org/assignments/media-types/"
FOLDER = "publish"  #: inside a generation folder
DUMPS = "dumps"  #: inside FOLDER
ALL = "all.nq.gz"
#: Per-graph dump facts, kept so that the next generation can reuse the dumps of graphs it did not touch.
STATE = "graphs.json"
STATE_FORMAT = 1  #: bump when what a dump holds or how its facts are counted changes
LINKS = "links.nt.gz"
GZIP_LEVEL = 5  #: zlib level: ~1/3 of level 9's time for a file a few per cent larger
SITEMAP_LIMIT = 50_000  #: URLs in one sitemap file (sitemaps.org protocol)
SITEMAP_FILES = 1_000  #: sitemap files at most, listed by the index sitemap.xml
#: Properties that link our entities to the same thing in another dataset.
LINK_PREDICATES = (OWL + "sameAs", SKOS + "exactMatch")

_NT = formats.GRAPH_FORMATS["application/n-triples"].writer


def build(tx, base: str) -> None:
    """Write the dumps, linkset, VoID, DCAT catalogue and sitemap of the generation being written."""
    folder = tx.dir / FOLDER
    shutil.rmtree(folder, ignore_errors=True)  # a checkpoint never copies it, but a retried build may find one
    (folder / DUMPS).mkdir(parents=True)
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    names: dict[str, str] = {}
    for graph in _named_graphs(tx):
        names[_dump_name(base, graph, names)] = graph
    previous = _previous_dumps(tx)
    files, gzipping = {}, {}
    # Gzipping a loaded graph's file runs in a thread: zlib and hashlib release the GIL, so on a second
    # core it overlaps the queries below (counts, sitemap), which take about as long.
    with ThreadPoolExecutor(max_workers=1) as pool:
        for name, graph in names.items():
            path = folder / DUMPS / name
            facts = previous.get(name)
            if facts is not None and facts["graph"] == graph and link_previous(facts.pop("path"), path):
                files[name] = facts
                continue
            loaded = getattr(tx, "loaded", {}).get(graph)
            if loaded is not None:
                gzipping[name] = (pool.submit(_dump_file, loaded[0], graph, path), loaded[1])
                dumped = {}  # filled in below, keeping the graphs' order in `files`
            else:
                dumped = _dump_store(tx, graph, path)
            files[name] = {"graph": graph, **dumped, "terms": _terms(tx, graph),
                           "entities": _count(tx, _ENTITIES_IN_GRAPH % (graph, base))}
        whole = {"triples": _count(tx, _TRIPLES), "entities": _count(tx, _ENTITIES % base)}
        linksets = _linksets(tx, base)
        sitemap = _write_sitemap(tx, base, folder / "sitemap.xml", now)
        for name, (job, size) in gzipping.items():
            dumped, graph = job.result(), files[name]["graph"]
            if dumped is None or dumped["triples"] != size:
                # the file states some triple twice (or not only this graph): the store's own dump has each once
                dumped = _dump_store(tx, graph, folder / DUMPS / name)
            files[name] = {"graph": graph, **dumped, "terms": files[name]["terms"],
                           "entities": files[name]["entities"]}
    _write_state(folder / STATE, files)
    files[ALL] = {"graph": None, **_concatenate([folder / DUMPS / n for n in names], folder / DUMPS / ALL), **whole}
    if linksets:
        files[LINKS] = {"graph": None, **_dump_links(tx, base, folder / DUMPS / LINKS), "entities": None}
    vocabularies = _namespaces(set().union(*(f.pop("terms", ()) for f in files.values())))
    manifest = {"modified": now, "base": base, "files": files, "linksets": linksets,
                "vocabularies": vocabularies, "sitemap": sitemap}
    meta = _meta_description(tx, base)
    (folder / "void.nt").write_bytes(meta + void_triples(manifest).encode())
    (folder / "catalog.nt").write_bytes(meta + catalog_triples(manifest).encode())
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False))


def _previous_dumps(tx) -> dict[str, dict]:
    """The dumps of the previous generation that this one can reuse: graphs the transaction did not touch.

    Empty (so everything is dumped) when there is no previous generation, or its facts are missing or
    of another STATE_FORMAT, or the transaction does not say what it touched.
    """
    previous_dir, touched = getattr(tx, "previous_dir", None), getattr(tx, "touched", None)
    if previous_dir is None or touched is None:
        return {}
    folder = Path(previous_dir) / FOLDER
    try:
        state = json.loads((folder / STATE).read_text())
    except (OSError, ValueError):
        return {}
    if state.get("format") != STATE_FORMAT:
        return {}
    out = {}
    for name, facts in state["files"].items():
        if facts["graph"] not in touched:
            out[name] = {**facts, "terms": {t.encode() for t in facts["terms"]}, "path": folder / DUMPS / name}
    return out


def link_previous(source: Path, target: Path) -> bool:
    """Hard-link a previous generation's file (generations are immutable); False when it is gone."""
    try:
        os.link(source, target)
    except FileNotFoundError:
        return False
    except OSError:  # another file system, or links not supported: copy instead
        try:
            shutil.copyfile(source, target)
        except FileNotFoundError:
            return False
    return True


def _write_state(path: Path, files: dict) -> None:
    state = {name: {**facts, "terms": sorted(t.decode() for t in facts["terms"])} for name, facts in files.items()}
    path.write_text(json.dumps({"format": STATE_FORMAT, "files": state}, indent=1, ensure_ascii=False))


def read_manifest(generation_dir: Path | None) -> dict | None:
    """The manifest a generation published, or None (an empty store, or one written before publishing existed)."""
    if generation_dir is None:
        return None
    try:
        return json.loads((generation_dir / FOLDER / "manifest.json").read_text())
    except FileNotFoundError:
        return None


# Queries ---------------------------------------------------------------------------------------------

_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { } } ORDER BY ?g"
_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
#: VoID §4.6: entities are resources in the dataset's URI space ({base}id/); we count those with a type
#: (every mapped entity has one), which the rdf:type index answers without reading every triple.
_ENTITIES = 'SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?type FILTER(STRSTARTS(STR(?s), "%sid/")) }'
_ENTITIES_IN_GRAPH = ('SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { GRAPH <%s> { ?s a ?type } '
                      'FILTER(STRSTARTS(STR(?s), "%sid/")) }')
_LINK_WHERE = """WHERE {{ VALUES ?p {{ {predicates} }} ?s ?p ?o
  FILTER(isIRI(?o) && STRSTARTS(STR(?s), "{base}id/") && !STRSTARTS(STR(?o), "{base}")) }}"""
#: Typed resources; amounts are left out of the sitemap (each is shown on the page of what it measures).
_PAGES = f"SELECT DISTINCT ?s WHERE {{ ?s a ?type FILTER(?type != <{FIS}Amount>) }}"
_PROPERTIES = "SELECT DISTINCT ?t WHERE { GRAPH <%s> { ?s ?t ?o } }"
_CLASSES = "SELECT DISTINCT ?t WHERE { GRAPH <%s> { ?s a ?t } FILTER(isIRI(?t)) }"


def _named_graphs(tx) -> list[str]:
    return [row["g"].value for row in tx.query(_GRAPHS)]


def _count(tx, query: str) -> int:
    return int(next(iter(tx.query(query)))["n"].value)


def _terms(tx, graph: str) -> set[bytes]:
    """The properties and classes a graph uses (for void:vocabulary), asked of the store.

    The properties come from the transaction when its load counted them (``Transaction.properties``):
    one scan of the graph fewer. Asking the graph's own indexes is cheaper than matching a regular
    expression on every line of its dump, which was a third of the publish step's CPU time at 660k triples.
    """
    properties = getattr(tx, "properties", {}).get(graph)
    if properties is None:
        properties = {row["t"].value for row in tx.query(_PROPERTIES % graph)}
    classes = {row["t"].value for row in tx.query(_CLASSES % graph)}
    return {t.encode() for t in properties | classes}


# Dumps -----------------------------------------------------------------------------------------------

class _Digest:
    """A binary sink that counts and hashes what it passes on to a file."""

    def __init__(self, out):
        self.out, self.sha256, self.bytes = out, hashlib.sha256(), 0

    def write(self, data) -> int:
        self.sha256.update(data)
        self.bytes += len(data)
        return self.out.write(data)

    def flush(self) -> None:
        self.out.flush()

    def facts(self) -> dict:
        return {"bytes": self.bytes, "sha256": self.sha256.hexdigest()}


class _QuadLines:
    """Turns the N-Triples pyoxigraph writes into N-Quads of one graph, and counts the lines.

    In N-Triples a line ends only after a statement's final `` .`` (newlines in
    literals are escaped, RDF 1.1 N-Triples §2), so appending the graph name
    before it is exact; a write may stop mid-line, so the tail waits for the next.
    """

    def __init__(self, out, graph: str):
        self.out, self.tail, self.lines = out, b"", 0
        self.end = f" <{graph}> .\n".encode()

    def write(self, data) -> int:
        text = self.tail + bytes(data)
        cut = text.rfind(b"\n") + 1
        self.tail = text[cut:]
        lines = text[:cut]
        self.lines += lines.count(b"\n")
        self.out.write(lines.replace(b" .\n", self.end))
        return len(data)

    def flush(self) -> None:
        pass


def _gzip(path: Path) -> tuple[_Digest, gzip.GzipFile]:
    raw = open(path, "wb")
    digest = _Digest(raw)
    # mtime=0 and no file name: the same triples give the same bytes, hence the same checksum and ETag.
    return digest, gzip.GzipFile(fileobj=digest, mode="wb", compresslevel=GZIP_LEVEL, mtime=0)


def _dump_store(tx, graph: str, path: Path) -> dict:
    """Gzip a graph's N-Quads as the store holds them (a graph not loaded from a file in this transaction)."""
    # pyoxigraph's serialiser holds the GIL, so threads do not help.
    digest, gz = _gzip(path)
    with digest.out, gz:
        lines = _QuadLines(gz, graph)
        tx.dump_graph(graph, lines)
    return {**digest.facts(), "triples": lines.lines, "media_type": "application/n-quads"}


def _dump_file(source: Path, graph: str, path: Path) -> dict | None:
    """Gzip an N-Quads file of one graph as its dump; None when a line is not a quad of `graph`."""
    end = f" <{graph}> .\n".encode()
    lines = 0
    digest, gz = _gzip(path)
    with digest.out, gz, open(source, "rb") as f:
        while chunk := f.read(1 << 22):
            chunk += f.readline()  # whole lines only
            count = chunk.count(b"\n")
            if chunk.count(end) != count or not chunk.endswith(b"\n"):
                return None
            lines += count
            gz.write(chunk)
    return {**digest.facts(), "triples": lines, "media_type": "application/n-quads"}


def _concatenate(parts: list[Path], path: Path) -> dict:
    with open(path, "wb") as raw:
        digest = _Digest(raw)
        for part in parts:
            with open(part, "rb") as f:
                shutil.copyfileobj(f, digest, 1 << 20)
    return {**digest.facts(), "media_type": "application/n-quads"}


def _link_where(base: str) -> str:
    return _LINK_WHERE.format(predicates=" ".join(f"<{p}>" for p in LINK_PREDICATES), base=base)


def _dump_links(tx, base: str, path: Path) -> dict:
    digest, gz = _gzip(path)
    with digest.out, gz:
        triples = tx.query("CONSTRUCT { ?s ?p ?o } " + _link_where(base))
        triples.serialize(gz, _NT)
    return {**digest.facts(), "triples": _count(tx, "SELECT (COUNT(*) AS ?n) " + _link_where(base)),
            "media_type": "application/n-triples"}


def _linksets(tx, base: str) -> list[dict]:
    """One linkset per link property and target namespace (VoID §5), with its number of links."""
    query = ('SELECT ?p ?ns (COUNT(*) AS ?n) { SELECT ?p (REPLACE(STR(?o), "[^/#]*$", "") AS ?ns) '
             + _link_where(base) + " } GROUP BY ?p ?ns ORDER BY ?p ?ns")
    return [{"predicate": row["p"].value, "target": row["ns"].value, "triples": int(row["n"].value)}
            for row in tx.query(query)]


def _dump_name(base: str, graph: str, taken: dict) -> str:
    local = graph[len(graph_iri(base, "")):] if graph.startswith(graph_iri(base, "")) else graph
    name = f"graph-{slug(local) or 'graph'}.nq.gz"
    if name in taken or name in (ALL, LINKS):
        name = f"graph-{slug(local)}-{hashlib.sha256(graph.encode()).hexdigest()[:8]}.nq.gz"
    return name


# Vocabularies, sitemap ---------------------------------------------------------------------------------

def _namespaces(terms: set[bytes]) -> list[str]:
    """The vocabularies of the properties and classes used: a known prefix's namespace, else cut at # or /."""
    found = set()
    known = sorted(PREFIXES.values(), key=len, reverse=True)
    for term in (t.decode() for t in terms):
        namespace = next((ns for ns in known if term.startswith(ns)), None)
        if namespace is None:
            namespace = term[: max(term.rfind("#"), term.rfind("/")) + 1]
        found.add(namespace)
    return sorted(found)


def _write_sitemap(tx, base: str, path: Path, now: str) -> dict:
    """The site's pages for search engines: the home page, the source files and every entity page.

    Up to SITEMAP_LIMIT URLs make one ``sitemap.xml``; beyond, the URLs go to ``sitemap-1.xml``,
    ``sitemap-2.xml``, … of SITEMAP_LIMIT each and ``sitemap.xml`` becomes their index (the protocol's
    way: at most 50,000 URLs per file). At most SITEMAP_FILES files: the rest is left out (truncated).
    """
    fixed = [base, base + "sources", base + "catalog", base + "def/fiscal"]
    graphs = [g for g in _named_graphs(tx) if g.startswith(graph_iri(base, ""))]
    room = SITEMAP_LIMIT * SITEMAP_FILES - len(fixed) - len(graphs)
    entities, truncated = [], False
    for row in tx.query(_PAGES):  # read lazily: stops after `room` pages whatever the size of the store
        iri = row["s"].value
        if iri.startswith(base + "id/"):
            if len(entities) == room:
                truncated = True
                break
            entities.append(iri)
    urls = fixed + graphs + entities
    day = now[:10]
    for old in path.parent.glob("sitemap-*.xml"):
        old.unlink()
    parts = [urls[i:i + SITEMAP_LIMIT] for i in range(0, len(urls), SITEMAP_LIMIT)]
    if len(parts) == 1:
        _write_urlset(path, parts[0], day)
        return {"urls": len(urls), "truncated": truncated, "files": 1}
    for number, part in enumerate(parts, start=1):
        _write_urlset(path.parent / f"sitemap-{number}.xml", part, day)
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                  '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n')
        for number in range(1, len(parts) + 1):
            out.write(f"<sitemap><loc>{escape(base)}sitemap-{number}.xml</loc><lastmod>{day}</lastmod></sitemap>\n")
        out.write("</sitemapindex>\n")
    return {"urls": len(urls), "truncated": truncated, "files": len(parts)}


def _write_urlset(path: Path, urls: list[str], day: str) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                  '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n')
        for url in urls:
            out.write(f"<url><loc>{escape(url)}</loc><lastmod>{day}</lastmod></url>\n")
        out.write("</urlset>\n")


# VoID and DCAT ---------------------------------------------------------------------------------------

def _meta_description(tx, base: str) -> bytes:
    """What graph/meta says about the dataset and its source files, without the ingest's own triple counts."""
    meta = graph_iri(base, "meta")
    query = f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{meta}> {{ ?s ?p ?o }}
      FILTER(?p != <{VOID}triples> && (STRSTARTS(STR(?s), "{base}dataset") || STRSTARTS(STR(?s), "{base}graph/"))) }}"""
    return tx.query(query).serialize(format=_NT)


def _iri(value: str) -> str:
    return f"<{value}>"


def _lit(value, datatype: str | None = None, lang: str | None = None) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{text}"@{lang}' if lang else f'"{text}"^^<{datatype or XSD + "string"}>'


def _lines(statements) -> str:
    return "".join(f"{s} {p} {o} .\n" for s, p, o in statements)


def dataset_iri(base: str) -> str:
    """The IRI of the whole dataset (described in ontology/dataset.ttl, loaded into graph/meta)."""
    return base + "dataset"


def void_triples(manifest: dict) -> str:
    """N-Triples of the VoID description: the dataset, a subset per named graph, the linksets."""
    base = manifest["base"]
    d, files = _iri(dataset_iri(base)), manifest["files"]
    whole = files[ALL]
    out = [
        (d, _iri(RDF + "type"), _iri(VOID + "Dataset")),
        (d, _iri(DCT + "modified"), _lit(manifest["modified"], XSD + "dateTime")),
        (d, _iri(VOID + "triples"), _lit(whole["triples"], XSD + "integer")),
        (d, _iri(VOID + "entities"), _lit(whole["entities"], XSD + "integer")),
        (d, _iri(VOID + "uriSpace"), _lit(base + "id/")),
        (d, _iri(VOID + "sparqlEndpoint"), _iri(base + "sparql")),
        (d, _iri(VOID + "dataDump"), _iri(base + f"{DUMPS}/{ALL}")),
        (d, _iri(VOID + "feature"), _iri("http://www.w3.org/ns/formats/N-Quads")),
        (d, _iri(VOID + "rootResource"), _iri(base)),
    ]
    out += [(d, _iri(VOID + "vocabulary"), _iri(ns)) for ns in manifest["vocabularies"]]
    for name, f in files.items():
        if f["graph"] is None:
            continue
        g = _iri(f["graph"])
        out += [(d, _iri(VOID + "subset"), g), (g, _iri(RDF + "type"), _iri(VOID + "Dataset")),
                (g, _iri(VOID + "triples"), _lit(f["triples"], XSD + "integer")),
                (g, _iri(VOID + "entities"), _lit(f["entities"], XSD + "integer")),
                (g, _iri(VOID + "dataDump"), _iri(base + f"{DUMPS}/{name}"))]
    for number, link in enumerate(manifest["linksets"], 1):
        ls, target = _iri(f"{base}dataset#linkset-{number}"), _iri(f"{base}dataset#target-{number}")
        out += [(d, _iri(VOID + "subset"), ls), (ls, _iri(RDF + "type"), _iri(VOID + "Linkset")),
                (ls, _iri(VOID + "linkPredicate"), _iri(link["predicate"])),
                (ls, _iri(VOID + "subjectsTarget"), d), (ls, _iri(VOID + "objectsTarget"), target),
                (ls, _iri(VOID + "triples"), _lit(link["triples"], XSD + "integer")),
                (ls, _iri(VOID + "dataDump"), _iri(base + f"{DUMPS}/{LINKS}")),
                (target, _iri(RDF + "type"), _iri(VOID + "Dataset")),
                (target, _iri(VOID + "uriSpace"), _lit(link["target"]))]
    return _lines(out)


def catalog_iri(base: str) -> str:
    return base + "catalog"


def catalog_triples(manifest: dict) -> str:
    """N-Triples of the DCAT catalogue: the dataset, one per graph and the linkset, each with its download."""
    base = manifest["base"]
    c, d = _iri(catalog_iri(base)), _iri(dataset_iri(base))
    out = [
        (c, _iri(RDF + "type"), _iri(DCAT + "Catalog")),
        (c, _iri(DCT + "title"), _lit("Catálogo de datos abiertos de ftm-graph", lang="es")),
        (c, _iri(DCT + "title"), _lit("ftm-graph open data catalogue", lang="en")),
        (c, _iri(DCT + "modified"), _lit(manifest["modified"], XSD + "dateTime")),
        (c, _iri(FOAF + "homepage"), _iri(base)),
        (c, _iri(DCAT + "dataset"), d),
        (d, _iri(RDF + "type"), _iri(DCAT + "Dataset")),
        (d, _iri(DCT + "modified"), _lit(manifest["modified"], XSD + "dateTime")),
    ]
    links = _iri(f"{base}dataset#linkset")
    for name, f in manifest["files"].items():
        owner = _iri(f["graph"]) if f["graph"] else d if name == ALL else links
        dist = _iri(f"{base}catalog#{name}")
        checksum = _iri(f"{base}catalog#{name}-sha256")
        if f["graph"]:
            out += [(c, _iri(DCAT + "dataset"), owner), (owner, _iri(RDF + "type"), _iri(DCAT + "Dataset"))]
        out += [
            (owner, _iri(DCAT + "distribution"), dist),
            (dist, _iri(RDF + "type"), _iri(DCAT + "Distribution")),
            (dist, _iri(DCT + "title"), _lit(name)),
            (dist, _iri(DCAT + "downloadURL"), _iri(f"{base}{DUMPS}/{name}")),
            (dist, _iri(DCAT + "accessURL"), _iri(f"{base}{DUMPS}/{name}")),
            (dist, _iri(DCAT + "mediaType"), _iri(IANA + f["media_type"])),
            (dist, _iri(DCAT + "compressFormat"), _iri(IANA + "application/gzip")),
            (dist, _iri(DCAT + "byteSize"), _lit(f["bytes"], XSD + "nonNegativeInteger")),
            (dist, _iri(DCT + "modified"), _lit(manifest["modified"], XSD + "dateTime")),
            (dist, _iri(SPDX + "checksum"), checksum),
            (checksum, _iri(RDF + "type"), _iri(SPDX + "Checksum")),
            (checksum, _iri(SPDX + "algorithm"), _iri(SPDX + "checksumAlgorithm_sha256")),
            (checksum, _iri(SPDX + "checksumValue"), _lit(f["sha256"], XSD + "hexBinary")),
        ]
    if manifest["linksets"]:
        out += [(c, _iri(DCAT + "dataset"), links), (links, _iri(RDF + "type"), _iri(DCAT + "Dataset")),
                (links, _iri(DCT + "title"), _lit("Enlaces a identificadores externos", lang="es")),
                (links, _iri(DCT + "title"), _lit("Links to external identifiers", lang="en"))]
    return _lines(out)
