"""What every write publishes (ftm_graph/publish.py): dumps that round-trip, VoID and DCAT that match the store.

Expected counts come from separate SPARQL queries written here, or from the
test data read by hand; checksums and sizes from the files themselves.
"""

import gzip
import hashlib
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
import yaml
from conftest import BASE, DATA
from rdflib.compare import isomorphic

from ftm_graph import mapping as mapping_mod
from ftm_graph import publish
from ftm_graph.resources import data_dir
from ftm_graph.sources import ingest
from ftm_graph.store import Store, create_store

VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCAT = rdflib.Namespace("http://www.w3.org/ns/dcat#")
DCT = rdflib.Namespace("http://purl.org/dc/terms/")
SPDX = rdflib.Namespace("http://spdx.org/rdf/terms#")
WIKIDATA = "http://www.wikidata.org/entity/"
SAMPLE = Path(__file__).parent.parent / "sample"
MAPPINGS = Path(__file__).parent.parent / "mappings"

#: A graph of links: two to Wikidata, one to another registry, and three that are not external links.
LINKS = f"""
<{BASE}id/bank/banobras> <http://www.w3.org/2002/07/owl#sameAs> <{WIKIDATA}Q2883348> .
<{BASE}id/body/zacatecas> <http://www.w3.org/2002/07/owl#sameAs> <{WIKIDATA}Q80903> .
<{BASE}id/bank/banorte> <http://www.w3.org/2004/02/skos/core#exactMatch> <https://registry.example.org/rfc/BMN930209927> .
<{BASE}id/bank/banorte> <http://www.w3.org/2002/07/owl#sameAs> <{BASE}id/bank/banorte-sa> .
<https://w3id.org/ftm-graph/code/stage/pagado> <http://www.w3.org/2004/02/skos/core#exactMatch> <{WIKIDATA}Q1> .
<{BASE}id/bank/banorte> <http://www.w3.org/2002/07/owl#sameAs> _:b1 .
_:b1 <http://www.w3.org/2000/01/rdf-schema#label> "un nodo en blanco" .
"""
EXTERNAL_LINKS = 3  # the first three lines above


@pytest.fixture(scope="module")
def published_path(tmp_path_factory) -> Path:
    """A store holding tests/data/web.trig, the links graph and the dataset's description, then published."""
    path = create_store(tmp_path_factory.mktemp("published") / "store", BASE)
    with Store(path) as store, store.transaction() as tx:
        tx.load_file(DATA / "web.trig")
        tx.load_text(LINKS, graph=f"{BASE}graph/links")
        tx.replace_descriptions(data_dir("ontology") / "dataset.ttl", graph=f"{BASE}graph/meta", base_iri=BASE)
        publish.build(tx, BASE)
    return path


@pytest.fixture(scope="module")
def published(published_path) -> Store:
    with Store(published_path) as store:
        yield store


def folder(store: Store) -> Path:
    return store.generation_dir / publish.FOLDER


def count(store: Store, query: str) -> int:
    return int(next(iter(store.query(query)))["n"].value)


def rdflib_term(term):
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def rdflib_graphs(quads) -> dict[str, rdflib.Graph]:
    """Quads (pyoxigraph) as one rdflib Graph per named graph, to compare up to blank-node renaming."""
    graphs: dict[str, rdflib.Graph] = {}
    for q in quads:
        graph = graphs.setdefault(q.graph_name.value, rdflib.Graph())
        graph.add((rdflib_term(q.subject), rdflib_term(q.predicate), rdflib_term(q.object)))
    return graphs


def store_quads(store: Store):
    return (ox.Quad(r["s"], r["p"], r["o"], r["g"])
            for r in store.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"))


def test_dump_round_trips(published):
    fresh = ox.Store()
    with gzip.open(folder(published) / "dumps" / publish.ALL) as f:
        fresh.load(f, format=ox.RdfFormat.N_QUADS)
    assert not list(fresh.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    ours, theirs = rdflib_graphs(store_quads(published)), rdflib_graphs(fresh)
    assert set(theirs) == set(ours) == set(published.named_graphs())
    for graph in ours:
        assert isomorphic(ours[graph], theirs[graph]), graph
    assert any(isinstance(t, rdflib.BNode) for g in theirs.values() for t in g.all_nodes())  # the case is tested


def test_each_graph_has_its_own_dump(published):
    manifest = publish.read_manifest(published.generation_dir)
    per_graph = {f["graph"]: name for name, f in manifest["files"].items() if f["graph"]}
    assert set(per_graph) == set(published.named_graphs())
    fresh = ox.Store()
    with gzip.open(folder(published) / "dumps" / per_graph[f"{BASE}graph/pension"]) as f:
        fresh.load(f, format=ox.RdfFormat.N_QUADS)
    assert {q.graph_name.value for q in fresh} == {f"{BASE}graph/pension"}
    expected = count(published, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}graph/pension> {{ ?s ?p ?o }} }}")
    assert len(fresh) == expected


def void_graph(store: Store) -> rdflib.Graph:
    return rdflib.Graph().parse(folder(store) / "void.nt", format="nt")


def test_void_counts_match_the_store(published):
    void = void_graph(published)
    dataset = rdflib.URIRef(BASE + "dataset")
    triples = count(published, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    entities = count(published, f"""SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e a ?class
                                        FILTER(STRSTARTS(STR(?e), "{BASE}id/")) }}""")
    assert int(void.value(dataset, VOID.triples)) == triples
    assert int(void.value(dataset, VOID.entities)) == entities
    subsets = {str(s) for s in void.objects(dataset, VOID.subset) if (s, rdflib.RDF.type, VOID.Dataset) in void}
    assert subsets == set(published.named_graphs())
    for graph in subsets:
        node = rdflib.URIRef(graph)
        in_graph = count(published, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        assert int(void.value(node, VOID.triples)) == in_graph, graph
        typed = count(published, f"""SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?e a ?c }}
                                           FILTER(STRSTARTS(STR(?e), "{BASE}id/")) }}""")
        assert int(void.value(node, VOID.entities)) == typed, graph
    assert int(void.value(rdflib.URIRef(f"{BASE}graph/links"), VOID.triples)) == 7  # LINKS, by hand


def test_void_says_where_to_query_download_and_under_which_terms(published):
    void = void_graph(published)
    dataset = rdflib.URIRef(BASE + "dataset")
    assert void.value(dataset, VOID.sparqlEndpoint) == rdflib.URIRef(BASE + "sparql")
    assert void.value(dataset, VOID.dataDump) == rdflib.URIRef(BASE + "dumps/all.nq.gz")
    assert str(void.value(dataset, VOID.uriSpace)) == BASE + "id/"
    vocabularies = {str(v) for v in void.objects(dataset, VOID.vocabulary)}
    assert {"https://w3id.org/ftm-graph/fiscal#", "http://www.w3.org/ns/prov#", "http://purl.org/dc/terms/"} <= vocabularies
    assert void.value(dataset, DCT.modified) is not None
    described = void.value(rdflib.URIRef(f"{BASE}graph/debt-2017"), DCT.publisher)
    assert str(described) == "Imagen Zacatecas"  # the source file's description in graph/meta travels along


def test_linkset_is_published_and_described(published):
    with gzip.open(folder(published) / "dumps" / publish.LINKS) as f:
        links = rdflib.Graph().parse(f, format="nt")
    expected = rdflib.Graph().parse(data="\n".join(LINKS.strip().splitlines()[:EXTERNAL_LINKS]), format="nt")
    assert isomorphic(links, expected)
    void = void_graph(published)
    linksets = {(str(void.value(ls, VOID.linkPredicate)), str(void.value(void.value(ls, VOID.objectsTarget),
                                                                         VOID.uriSpace)), int(void.value(ls, VOID.triples)))
                for ls in void.subjects(rdflib.RDF.type, VOID.Linkset)}
    assert linksets == {("http://www.w3.org/2002/07/owl#sameAs", WIKIDATA, 2),
                        ("http://www.w3.org/2004/02/skos/core#exactMatch", "https://registry.example.org/rfc/", 1)}
    for ls in void.subjects(rdflib.RDF.type, VOID.Linkset):
        assert void.value(ls, VOID.subjectsTarget) == rdflib.URIRef(BASE + "dataset")
        assert void.value(ls, VOID.dataDump) == rdflib.URIRef(BASE + "dumps/links.nt.gz")


def test_catalog_sizes_and_checksums_match_the_files(published):
    catalog = rdflib.Graph().parse(folder(published) / "catalog.nt", format="nt")
    files = {p.name: p for p in (folder(published) / "dumps").iterdir()}
    seen = set()
    for dist in catalog.subjects(rdflib.RDF.type, DCAT.Distribution):
        url = catalog.value(dist, DCAT.downloadURL)
        if url is None:
            continue  # the SPARQL endpoint (dataset.ttl)
        name = str(url).removeprefix(BASE + "dumps/")
        data = files[name].read_bytes()
        assert int(catalog.value(dist, DCAT.byteSize)) == len(data)
        checksum = catalog.value(dist, SPDX.checksum)
        assert catalog.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert str(catalog.value(checksum, SPDX.checksumValue)) == hashlib.sha256(data).hexdigest()
        media = str(catalog.value(dist, DCAT.mediaType))
        assert media.endswith("/application/n-triples" if name == publish.LINKS else "/application/n-quads")
        assert (None, DCAT.distribution, dist) in catalog
        seen.add(name)
    assert seen == set(files)
    catalogue = rdflib.URIRef(BASE + "catalog")
    assert (catalogue, rdflib.RDF.type, DCAT.Catalog) in catalog
    datasets = {str(d) for d in catalog.objects(catalogue, DCAT.dataset)}
    assert {BASE + "dataset", *published.named_graphs()} <= datasets
    assert catalog.value(rdflib.URIRef(BASE + "dataset"), DCT.license) is not None


def test_sitemap_lists_entity_pages_but_not_figures(published):
    root = ET.parse(folder(published) / "sitemap.xml").getroot()
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [u.text for u in root.findall("s:url/s:loc", ns)]
    assert len(urls) == len(set(urls)) <= publish.SITEMAP_LIMIT
    assert {BASE, f"{BASE}id/debt/ZAC-2017-BANOBRAS", f"{BASE}id/body/zac/60", f"{BASE}graph/pension"} <= set(urls)
    assert f"{BASE}id/debt/ZAC-2017-BANOBRAS/amount/awarded/2017-a1" not in urls
    assert all(u.startswith(BASE) for u in urls)


def test_a_sitemap_past_the_limit_is_split_and_indexed(published, published_path, tmp_path, monkeypatch):
    """Past SITEMAP_LIMIT URLs, sitemap.xml becomes an index of files of at most that many, holding every URL."""
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    whole = [u.text for u in ET.parse(folder(published) / "sitemap.xml").getroot().findall("s:url/s:loc", ns)]
    limit = 7
    assert len(whole) > 2 * limit
    copy = tmp_path / "store"
    shutil.copytree(published_path, copy)
    monkeypatch.setattr(publish, "SITEMAP_LIMIT", limit)
    with Store(copy) as store:
        with store.transaction() as tx:
            publish.build(tx, BASE)
        out = folder(store)
        index = ET.parse(out / "sitemap.xml").getroot()
        assert index.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex"
        parts = [loc.text for loc in index.findall("s:sitemap/s:loc", ns)]
        assert parts == [f"{BASE}sitemap-{n}.xml" for n in range(1, len(parts) + 1)]
        urls = []
        for part in parts:
            found = [u.text for u in ET.parse(out / part.removeprefix(BASE)).getroot().findall("s:url/s:loc", ns)]
            assert 0 < len(found) <= limit
            urls += found
        assert sorted(urls) == sorted(whole)
        assert publish.read_manifest(store.generation_dir)["sitemap"] == {"urls": len(whole), "truncated": False,
                                                                           "files": len(parts)}


def test_the_same_data_gives_the_same_bytes(published_path):
    """Gzip without a timestamp: a graph that did not change keeps its checksum, hence its ETag."""
    with Store(published_path) as store:
        before = publish.read_manifest(store.generation_dir)["files"]
        with store.transaction() as tx:
            publish.build(tx, BASE)
        after = publish.read_manifest(store.generation_dir)["files"]
    assert after["graph-debt-2017.nq.gz"]["sha256"] == before["graph-debt-2017.nq.gz"]["sha256"]


# Stable URIs ---------------------------------------------------------------------------------------

FILES = ["zacatecas_deuda_obligaciones.csv", "zacatecas_dependencias.csv"]


def entity_iris(store: Store) -> set[str]:
    rows = store.query(f"""SELECT DISTINCT ?e WHERE {{ GRAPH ?g {{ {{ ?e ?p ?o }} UNION {{ ?s ?p ?e }} }}
                             FILTER(isIRI(?e) && STRSTARTS(STR(?e), "{BASE}id/")) }}""")
    return {row["e"].value for row in rows}


def test_iris_survive_a_reingest_with_a_mapping_version_bump(tmp_path, monkeypatch):
    files = [SAMPLE / name for name in FILES]
    with Store(create_store(tmp_path / "store", BASE)) as store:
        ingest(store, files)
        first = entity_iris(store)
        assert len(first) > 60 and f"{BASE}id/debt/ZAC-2017-BANOBRAS" in first
        bumped = tmp_path / "mappings"
        shutil.copytree(MAPPINGS, bumped)
        for name in ("rpu_obligations", "zacatecas_agencies"):
            path = bumped / f"{name}.yaml"
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
            path.write_text(path.read_text(encoding="utf-8").replace(f"version: {doc['version']}", "version: 99", 1))
        real = mapping_mod.load_mappings
        monkeypatch.setattr(mapping_mod, "load_mappings", lambda folder=None: real(bumped))
        ingest(store, files)  # the same files again, now through the version-99 mappings
        versions = {row["v"].value for row in store.query(
            f"SELECT ?v WHERE {{ GRAPH <{BASE}graph/meta> {{ ?g <https://w3id.org/ftm-graph/fiscal#mappingVersion> ?v }} }}")}
        assert versions == {"99"}  # the bump took effect
        assert entity_iris(store) == first
        manifest = publish.read_manifest(store.generation_dir)  # ingest publishes with every write
        assert {f"{BASE}graph/zacatecas-deuda-obligaciones-csv", f"{BASE}graph/zacatecas-dependencias-csv"} <= {
            f["graph"] for f in manifest["files"].values()}


def test_a_graph_loaded_from_a_file_is_dumped_with_each_triple_once(tmp_path):
    """A mapped file may state a triple twice; its dump (gzipped from that file when it can) has it once."""
    graph = f"{BASE}graph/twice"
    line = f'<{BASE}id/bank/banobras> <http://www.w3.org/2000/01/rdf-schema#label> "Banobras" <{graph}> .\n'
    other = f'<{BASE}id/bank/banorte> <http://www.w3.org/2000/01/rdf-schema#label> "Banorte" <{graph}> .\n'
    once, twice = tmp_path / "once.nq", tmp_path / "twice.nq"
    once.write_text(line + other)
    twice.write_text(line + other + line)
    for source in (once, twice):
        with Store(create_store(tmp_path / source.stem, BASE)) as store:
            with store.transaction() as tx:
                tx.replace_graph(graph, source)
                publish.build(tx, BASE)
            [facts] = [f for f in publish.read_manifest(store.generation_dir)["files"].values() if f["graph"]]
            lines = gzip.decompress((folder(store) / publish.DUMPS / "graph-twice.nq.gz").read_bytes()).splitlines()
            assert sorted(lines) == sorted(set(lines)) and len(lines) == 2 == facts["triples"]
