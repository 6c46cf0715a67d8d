"""The publishing routes (ftm_graph/catalog.py): VoID and DCAT by content negotiation, dumps with ETag and
ranges, the sitemap, and the vocabulary's namespace documents."""

import hashlib
import re
import warnings
from email.utils import formatdate

import pytest
import rdflib
from bs4 import BeautifulSoup
from conftest import BASE
from rdflib.compare import isomorphic
from test_publish import folder, published, published_path  # noqa: F401

from ftm_graph.app import create_app
from ftm_graph.config import Settings
from ftm_graph.resources import data_dir
from ftm_graph.store import Store, create_store

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

ONTOLOGY = data_dir("ontology")
FIS = "https://w3id.org/ftm-graph/fiscal#"
#: media type → rdflib parser
SYNTAXES = {"text/turtle": "turtle", "application/ld+json": "json-ld", "application/rdf+xml": "xml",
            "application/n-triples": "nt"}
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture(scope="module")
def web(published_path, published):  # noqa: F811
    settings = Settings(store=str(published_path), base_uri=BASE, query_workers=1)
    with TestClient(create_app(settings, published)) as client:
        yield client


def dump(web, name: str, **headers):
    return web.get(f"/dumps/{name}", headers=headers)


# VoID and the catalogue ----------------------------------------------------------------------------

@pytest.mark.parametrize("path, written", [("/.well-known/void", "void.nt"), ("/catalog", "catalog.nt")])
@pytest.mark.parametrize("media", list(SYNTAXES))
def test_descriptions_by_content_negotiation(web, published, path, written, media):  # noqa: F811
    r = web.get(path, headers={"Accept": media})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(media)
    assert "accept" in r.headers["vary"].lower()
    expected = rdflib.Graph().parse(folder(published) / written, format="nt")
    assert isomorphic(rdflib.Graph().parse(data=r.content, format=SYNTAXES[media]), expected)


def test_void_defaults_to_turtle_and_honours_format(web):
    assert web.get("/.well-known/void").headers["content-type"].startswith("text/turtle")
    assert web.get("/.well-known/void?format=jsonld").headers["content-type"].startswith("application/ld+json")
    assert web.get("/.well-known/void", headers={"Accept": "image/png"}).status_code == 406


def test_void_page_for_people(web, published):  # noqa: F811
    page = BeautifulSoup(web.get("/.well-known/void", headers={"Accept": BROWSER}).text, "html.parser")
    triples = int(next(iter(published.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")))["n"].value)
    assert int(page.select_one("#void-triples").get_text().replace(",", "").replace("\u202f", "").replace(" ", "")) \
        == triples
    assert len(page.select("tr.subset")) == len(published.named_graphs())
    assert page.select_one("a.dump")["href"] == "/dumps/all.nq.gz"
    assert {link["type"] for link in page.select("link[rel=alternate]")} == set(SYNTAXES)
    english = BeautifulSoup(web.get("/.well-known/void?lang=en", headers={"Accept": BROWSER}).text, "html.parser")
    assert english.select_one("h1").get_text() == "Dataset description (VoID)"


def test_catalogue_page_lists_every_download_with_its_checksum(web, published):  # noqa: F811
    for path in ("/catalog", "/dumps/"):
        page = BeautifulSoup(web.get(path, headers={"Accept": BROWSER}).text, "html.parser")
        shown = {row["data-file"]: row.select_one("code.sha256").get_text() for row in page.select("tr.download")}
        on_disk = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in (folder(published) / "dumps").iterdir()}
        assert shown == on_disk


def test_nothing_published_yet_is_said_plainly(tmp_path):
    empty = create_store(tmp_path / "empty", BASE)
    with Store(empty) as store, TestClient(create_app(Settings(store=str(empty), query_workers=1), store)) as client:
        for path in ("/.well-known/void", "/catalog", "/dumps/all.nq.gz", "/sitemap.xml"):
            r = client.get(path)
            assert r.status_code == 404 and "ftm-graph ingest" in r.text, path


# Dumps ---------------------------------------------------------------------------------------------

def test_dump_download_has_a_strong_etag_and_last_modified(web):
    r = dump(web, "all.nq.gz")
    assert r.status_code == 200
    assert r.headers["etag"] == f'"{hashlib.sha256(r.content).hexdigest()}"'
    assert r.headers["last-modified"] and r.headers["accept-ranges"] == "bytes"
    assert r.headers["content-type"] == "application/gzip"
    assert int(r.headers["content-length"]) == len(r.content)


def test_conditional_requests(web):
    first = dump(web, "all.nq.gz")
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    again = dump(web, "all.nq.gz", **{"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert dump(web, "all.nq.gz", **{"If-None-Match": '"something-else"'}).status_code == 200
    assert dump(web, "all.nq.gz", **{"If-Modified-Since": modified}).status_code == 304
    assert dump(web, "all.nq.gz", **{"If-Modified-Since": formatdate(0, usegmt=True)}).status_code == 200


def test_range_requests(web):
    whole = dump(web, "all.nq.gz").content
    part = dump(web, "all.nq.gz", Range="bytes=10-19")
    assert part.status_code == 206
    assert part.content == whole[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{len(whole)}"
    tail = dump(web, "all.nq.gz", Range="bytes=-7")
    assert tail.status_code == 206 and tail.content == whole[-7:]
    beyond = dump(web, "all.nq.gz", Range=f"bytes={len(whole) + 10}-")
    assert beyond.status_code == 416
    assert beyond.headers["content-range"] == f"bytes */{len(whole)}"
    # resuming with If-Range: a matching ETag gives the part, another gives the whole file
    etag = dump(web, "all.nq.gz").headers["etag"]
    assert dump(web, "all.nq.gz", Range="bytes=0-0", **{"If-Range": etag}).status_code == 206
    assert dump(web, "all.nq.gz", Range="bytes=0-0", **{"If-Range": '"old"'}).status_code == 200


def test_head_and_unknown_files(web):
    head = web.head("/dumps/all.nq.gz")
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"]
    assert dump(web, "nothing.nq.gz").status_code == 404
    assert web.get("/dumps/..%2Fvoid.nt").status_code == 404


def test_sitemap(web):
    r = web.get("/sitemap.xml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    assert f"<loc>{BASE}id/body/zac/60</loc>" in r.text
    # a sitemap this small is one file: no parts (test_publish splits a big one)
    assert web.get("/sitemap-1.xml").status_code == 404
    assert web.get("/sitemap-..%2Fmanifest.xml").status_code == 404


# The vocabulary ------------------------------------------------------------------------------------

def test_namespace_document_gives_the_turtle_file_to_machines(web):
    expected = (ONTOLOGY / "fiscal.ttl").read_bytes()
    for path, accept in (("/def/fiscal", "text/turtle"), ("/def/fiscal", "*/*"), ("/def/fiscal.ttl", BROWSER)):
        r = web.get(path, headers={"Accept": accept})
        assert r.status_code == 200 and r.content == expected, (path, accept)
        assert r.headers["content-type"].startswith("text/turtle")
    jsonld = web.get("/def/fiscal", headers={"Accept": "application/ld+json"})
    assert isomorphic(rdflib.Graph().parse(data=jsonld.content, format="json-ld"),
                      rdflib.Graph().parse(ONTOLOGY / "fiscal.ttl"))


def test_namespace_page_has_an_anchor_per_term_with_both_languages(web):
    ontology = rdflib.Graph().parse(ONTOLOGY / "fiscal.ttl")
    terms = {str(s) for s in ontology.subjects(rdflib.RDFS.label) if str(s).startswith(FIS)}
    page = BeautifulSoup(web.get("/def/fiscal", headers={"Accept": BROWSER}).text, "html.parser")
    anchors = {a["id"] for a in page.select("article.term")}
    assert {t.removeprefix(FIS) for t in terms} <= anchors
    amount = page.select_one("article#Amount")
    assert amount.select_one("[lang=es] strong").get_text() == "Monto"
    assert amount.select_one("[lang=en] strong").get_text() == "Amount"
    # properties sit with the class they describe, linked by their anchors
    value = page.select_one("article#value")
    assert value.find_previous("article", id="Amount") is not None
    assert any(a["href"] == "#Amount" for a in value.select("dd a"))


def test_code_list_pages(web):
    r = web.get("/def/code/stage", headers={"Accept": BROWSER})
    page = BeautifulSoup(r.text, "html.parser")
    assert [a["id"] for a in page.select("article.term")] == ["aprobado", "modificado", "comprometido",
                                                              "devengado", "ejercido", "pagado"]
    turtle = web.get("/def/code/stage.ttl", headers={"Accept": BROWSER})
    assert turtle.content == (ONTOLOGY / "codes" / "stage.ttl").read_bytes()
    missing = web.get("/def/code/nope")
    assert missing.status_code == 404 and "stage" in missing.text


def test_worked_example_of_the_vocabulary_guide_conforms(ontology, shapes):
    """ontology/README.md's Turtle example parses, uses only defined terms and passes the SHACL shapes."""
    from ftm_graph.validate import validate_graph

    text = (ONTOLOGY / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```turtle\n(.*?)```", text, flags=re.S).group(1)
    graph = rdflib.Graph().parse(data=example, format="turtle")
    defined = {str(s) for s in rdflib.Graph().parse(ONTOLOGY / "fiscal.ttl").subjects()}
    used = {str(t) for triple in graph for t in triple if str(t).startswith(FIS)}
    assert used and used <= defined, used - defined
    codes = {str(o) for o in graph.objects() if str(o).startswith("https://w3id.org/ftm-graph/code/")}
    listed = {str(s) for path in (ONTOLOGY / "codes").glob("*.ttl") for s in rdflib.Graph().parse(path).subjects()}
    assert codes and codes <= listed, codes - listed
    report = validate_graph(graph, shapes=shapes, ontology=ontology)
    assert report.conforms, [v.message("en") for v in report.violations]
