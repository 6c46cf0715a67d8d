"""Hostile labels and links on every page, over real HTTP: escaped markup, no `javascript:` links, inert CSV cells.

A store is built the way a user's data arrives: a payments file whose names,
concepts, projects and contracts are attacks (`<script>`, `"><img onerror>`,
spreadsheet formulas, a right-to-left override), ingested through the real
`illustrative_trail` mapping with a `javascript:` source URL and an HTML
publisher; plus RDF loaded as is (as `ftm-graph load` or the Graph Store
would) with `javascript:`/`data:` IRIs, a `javascript:` document URL and a
formula as a currency. `ftm-graph serve` then serves it, and every page kind,
search, browse, the type-ahead JSON, the follow page, the flow SVG, the query
editor's results and the 404 page are checked through an HTML parser.
"""

import csv
import io
import re
from pathlib import Path
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from bs4 import BeautifulSoup
from conftest import BASE, stop
from test_endpoint_http import serve

from ftm_graph.csvsafe import TRIGGERS
from ftm_graph.sources import SourceInfo, after_write, ingest
from ftm_graph.store import Store, create_store

pytestmark = pytest.mark.slow

SAMPLE = Path(__file__).parent.parent / "sample" / "ilustrativo_ruta_del_dinero.csv"
#: Names put in every text column of the payments file, one row each.
HOSTILE = [
    "=cmd|' /C calc'!A0",
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "+SUM(1+1)*cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "\u202eTSAE\u202c Constructora",
    "javascript:alert(1)",
]
RDF_ORG = f"{BASE}id/org/hostil-rdf"
FORMULA = "=cmd|' /C calc'!A0"
TURTLE = f"""
@prefix fis: <https://w3id.org/ftm-graph/fiscal#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix prov: <http://www.w3.org/ns/prov#> .
<{RDF_ORG}> a fis:Company ;
  rdfs:label "Empresa <b>hostil</b> \\u202eFDR"@es ;
  <https://schema.org/url> <javascript:alert(2)> ;
  fis:note "<script>alert('nota')</script>"@es ;
  fis:website "javascript:alert(11)"^^xsd:anyURI ;
  rdfs:seeAlso <data:text/html,%3Cscript%3Ealert(8)%3C/script%3E>, <vbscript:msgbox(9)>, <JaVaScRiPt:alert(10)> .
<{RDF_ORG}/amount/a1> a fis:Amount ;
  fis:amountOf <{RDF_ORG}> ;
  fis:measure <https://w3id.org/ftm-graph/code/measure/payment> ;
  fis:value "-1500.50"^^xsd:decimal ;
  fis:currency "{FORMULA}" ;
  fis:date "2020-01-01"^^xsd:date ;
  prov:wasDerivedFrom <{BASE}graph/hostile-rdf/row/1> .
<{BASE}graph/hostile-rdf/row/1> a fis:SourceRecord ; fis:rowNumber 1 ;
  dct:source <{BASE}id/source/hostil> .
<{BASE}id/source/hostil> a fis:SourceDocument ;
  fis:url "javascript:alert(3)"^^xsd:anyURI ; dct:title "<img src=x onerror=alert(4)>" .
"""


def hostile_payments(folder: Path) -> Path:
    """The sample's illustrative trail, one row per hostile name (in every text column)."""
    with SAMPLE.open(encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, first = rows[0], dict(zip(rows[0], rows[1]))
    out = [header]
    for i, name in enumerate(HOSTILE):
        row = {**first, "id_pago": f"HOST-{i}", "id_contrato": str(100 + i), "id_proceso": f"hostil-{i}",
               "clave_proyecto": f"hostil-{i}", "proveedor": name, "concepto_pago": name, "proyecto_es": name,
               "contrato_es": name, "nota_es": name}
        out.append([row[h] for h in header])
    path = folder / "pagos_hostiles.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(out)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("hostile-pages")
    path = create_store(folder / "store", BASE)
    store = Store(path)
    ingest(store, [hostile_payments(folder)], mapping_name="illustrative_trail",
           info=SourceInfo(publisher="<script>alert('pub')</script>", source_url="javascript:alert(5)",
                           title={"es": "<img src=x onerror=alert(6)>"}))
    with store.transaction() as tx:
        tx.load_text(TURTLE, graph=f"{BASE}graph/hostile-rdf", fmt=ox.RdfFormat.TURTLE)
        after_write(tx, BASE)
    store.close()
    process, url = serve(path, folder / "service.log")
    try:
        yield url
    finally:
        stop(process)


def entities(server: str) -> list[str]:
    """Every subject of the hostile data that has a page (not the amounts and rows, checked through their owners)."""
    query = ("SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s) && STRSTARTS(STR(?s), "
             f'"{BASE}id/") && !CONTAINS(STR(?s), "/amount/")) }}')
    r = httpx.get(server + "/sparql", params={"query": query}, headers={"Accept": "text/csv"}, timeout=30)
    assert r.status_code == 200, r.text
    found = [line.strip() for line in r.text.splitlines()[1:] if line.strip()]
    assert RDF_ORG in found and len(found) > 20, found
    return found


#: Schemes a link on a page may have (relative links have none).
SAFE_SCHEMES = {"http", "https", "mailto", "ftp"}
_URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href", "poster", "data")


def scheme_of(url: str) -> str | None:
    """The scheme a browser would read (it ignores tabs, line breaks and leading controls/spaces)."""
    seen = re.sub(r"[\t\n\r]", "", url).lstrip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c\x0e\x0f\x10\x11\x12"
                                               "\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    match = re.match(r"([A-Za-z][A-Za-z0-9+.\-]*):", seen)
    return match.group(1).lower() if match else None


def check_html(path: str, text: str) -> BeautifulSoup:
    """No injected elements, handlers or script links in a page (parsed, not string-matched)."""
    soup = BeautifulSoup(text, "html.parser")
    for script in soup.find_all("script"):
        assert (script.get("src") or "").startswith("/static/"), f"{path}: a script element {script}"[:300]
    # The templates use none of these elements: any one would come from the data.
    injected = soup.find_all(["img", "iframe", "object", "embed", "b"])
    assert not injected, f"{path}: injected elements {injected}"[:300]
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            assert not name.lower().startswith("on"), f"{path}: <{tag.name} {name}=…> event handler"
            if name.lower() in _URL_ATTRIBUTES:
                scheme = scheme_of(value if isinstance(value, str) else " ".join(value))
                assert scheme in (None, *SAFE_SCHEMES), f"{path}: <{tag.name} {name}={value!r}>"
    return soup


def get_page(server: str, path: str) -> httpx.Response:
    r = httpx.get(server + path, timeout=60, headers={"Accept": "text/html"})
    assert r.status_code in (200, 400, 404), f"{path}: {r.status_code} {r.text[:300]}"
    if r.status_code == 400:
        assert r.headers["content-type"].startswith("text/plain"), path
    return r


@pytest.fixture(scope="module")
def entity_pages(server) -> dict[str, str]:
    """Every entity page of the hostile data (Spanish; the organisations in English too): path → HTML."""
    found = {}
    for iri in entities(server):
        path = iri.removeprefix(BASE.rstrip("/"))
        for lang in ("es", "en") if "/org/" in path else ("es",):
            r = get_page(server, f"{path}?lang={lang}")
            assert r.status_code == 200, path
            found[f"{path}?lang={lang}"] = r.text
    return found


def test_every_entity_page_escapes_hostile_labels_and_links(entity_pages):
    everything = "\n".join(check_html(path, text).get_text() for path, text in entity_pages.items())
    # The attacks are shown as the text they are, not dropped: escaping, not filtering.
    for name in HOSTILE:
        assert name.strip() in everything, name
    assert "<script>alert('nota')</script>" in everything
    assert "<img src=x onerror=alert(4)>" in everything


def test_links_from_data_with_other_schemes_are_not_links(server):
    r = get_page(server, "/id/org/hostil-rdf")
    soup = check_html("/id/org/hostil-rdf", r.text)
    hrefs = [a["href"] for a in soup.find_all("a", href=True)]
    assert not [h for h in hrefs if "alert" in h or "msgbox" in h], hrefs
    # the addresses are still shown, as text
    assert "javascript:alert(11)" in soup.get_text() or "JaVaScRiPt:alert(10)" in soup.get_text()


def test_site_pages_search_browse_follow_and_404_escape_hostile_input(server):
    org = f"{BASE}id/org/script-alert-x-script-ilustrativo"
    paths = [
        "/", "/?lang=en", "/sources", "/sources?lang=en", "/browse", "/browse?type=supplier",
        "/browse?type=<script>alert(1)</script>&year=\"><img src=x onerror=alert(1)>",
        "/search?q=" + quote("<script>alert('x')</script>"), "/search?q=cmd", "/search?q=onerror",
        "/search?q=" + quote('"><img src=x onerror=alert(1)>'), "/search?q=javascript",
        "/follow?from=" + quote(f"{BASE}body/zac/3") + "&to=" + quote(org),
        "/follow?from=" + quote("<script>alert(1)</script>") + "&to=" + quote('"><img src=x onerror=alert(1)>'),
        "/id/" + quote("<script>alert(1)</script>"), "/graph/pagos-hostiles-csv", "/graph/pagos-hostiles-csv/row/2",
        "/graph/hostile-rdf", "/catalog", "/.well-known/void",
        "/sparql?query=" + quote('SELECT ?s ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l '
                                 'FILTER(CONTAINS(?l, "<")) }') + "&format=html",
        "/sparql?format=html&query=" + quote("ASK { ?s ?p ?o } # </textarea><script>alert(1)</script>"),
        "/sparql?query=" + quote("</textarea><script>alert(1)</script>"),  # malformed: a plain-text 400
    ]
    search_text = ""
    for path in paths:
        r = get_page(server, path)
        if "text/html" in r.headers.get("content-type", ""):
            soup = check_html(path, r.text)
            if path.startswith("/search?q=cmd"):
                search_text = soup.get_text()
    assert FORMULA in search_text, "the search found the hostile supplier and showed its name as text"


def test_sources_page_has_no_javascript_link_but_shows_the_address(server):
    r = get_page(server, "/sources")
    soup = check_html("/sources", r.text)
    assert "javascript:alert(5)" in soup.get_text()
    assert "<script>alert('pub')</script>" in soup.get_text()


def test_type_ahead_json_carries_labels_as_data(server):
    r = httpx.get(server + "/search.json", params={"q": "script"}, timeout=30)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/json")
    items = r.json()
    assert any("<script>alert('x')</script>" in item["label"] for item in items), items
    for item in items:
        assert scheme_of(item["url"]) in (None, *SAFE_SCHEMES), item


def test_flow_svg_escapes_labels(server):
    """The supplier's flow chart (inline SVG) holds the hostile names only as escaped text."""
    for name in ("script-alert-x-script-ilustrativo", "img-src-x-onerror-alert-1-ilustrativo"):
        r = get_page(server, f"/id/org/{name}")
        soup = check_html(name, r.text)
        charts = soup.select("figure.chart svg")
        for svg in charts:
            assert not svg.find_all(["script", "foreignobject", "img"])
        assert r.status_code == 200


# CSV downloads -------------------------------------------------------------------------------------


def cells_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def is_number(cell: str) -> bool:
    return re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", cell) is not None


def test_table_downloads_neutralise_formulas(server, entity_pages):
    """Every CSV download linked from an entity page: no cell a spreadsheet would run as a formula."""
    links = {a["href"] for text in entity_pages.values()
             for a in BeautifulSoup(text, "html.parser").select('a[href^="/table/"]') if ".csv" in a["href"]}
    assert len(links) >= 5, links
    seen_formula = False
    for link in sorted(links):
        r = httpx.get(server + link, timeout=30)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv"), (link, r.text[:200])
        for row in cells_of(r.text)[1:]:
            for cell in row:
                assert not cell.startswith(TRIGGERS) or is_number(cell), f"{link}: {cell!r}"
                seen_formula = seen_formula or cell == "'" + FORMULA
    assert seen_formula, "the hostile currency reached a download (neutralised)"


def test_a_negative_amount_stays_a_number_in_the_download(server):
    r = httpx.get(f"{server}/table/figures.csv", params={"iri": RDF_ORG}, timeout=30)
    rows = cells_of(r.text)
    record = dict(zip(rows[0], rows[1]))
    assert record["value"] == "-1500.5"
    assert record["currency"] == "'" + FORMULA


def test_sparql_csv_results_are_exact(server):
    """SPARQL 1.1 Query Results CSV is a W3C format for programs: the value comes back exactly as stored."""
    query = f"SELECT ?c WHERE {{ <{RDF_ORG}/amount/a1> <https://w3id.org/ftm-graph/fiscal#currency> ?c }}"
    r = httpx.get(server + "/sparql", params={"query": query}, headers={"Accept": "text/csv"}, timeout=30)
    assert cells_of(r.text) == [["c"], [FORMULA]]
