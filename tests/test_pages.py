"""The HTML pages and their machine-readable alternates, checked through a parser and CSS selectors."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import rdflib
from bs4 import BeautifulSoup
from conftest import BASE, DATA, TestClient, free_port, stop, wait_for

from ftm_graph import formats, page_cache
from ftm_graph.app import create_app
from ftm_graph.config import Settings
from ftm_graph.store import Store, create_store

FIS = rdflib.Namespace("https://w3id.org/ftm-graph/fiscal#")
BANORTE_2017 = f"{BASE}id/debt/ZAC-2017-BANORTE"


def page(client, path, **params):
    r = client.get(path, params=params or None, headers={"Accept": "text/html"})
    return r, BeautifulSoup(r.text, "html.parser")


def texts(soup, selector):
    return [" ".join(el.get_text(" ").split()) for el in soup.select(selector)]


# Home ------------------------------------------------------------------------------

def test_home_shows_the_three_stories(client):
    r, soup = page(client, "/")
    assert r.status_code == 200
    assert soup.html["lang"] == "es"
    assert texts(soup, "section.story h3") == [
        "La deuda del estado y su refinanciamiento de 2017",
        "Las pensiones de los trabajadores del estado: el fideicomiso del ISSSTEZAC",
        "El dinero para el deporte: INCUFIDEZ",
    ]


@pytest.mark.parametrize(
    "story, entity_path, plain, exact, source_url",
    [
        ("home_debt_story", "/id/debt/ZAC-2017-BANOBRAS", "2.8 mil millones de pesos", "$2,800,000,000.00",
         "https://www.imagenzac.com.mx/nota/banobras-y-banorte-ganan-licitacion"),
        ("home_debt_story", "/id/decree/zac-2017-budget-art8", "7.34 mil millones de pesos", "$7,341,701,084.00",
         "https://lasnoticiasya.com/la-gran-estafa-zacatecana"),
        ("home_pension_story", "/id/trust/issstezac-pensiones", "1.06 mil millones de pesos", "$1,055,601,576.00",
         "https://ljz.mx/2021/07/07/issstezac"),
        ("home_sport_story", "/id/body/zac/69", "80.6 millones de pesos", "$80,563,748.00",
         "https://portico.mx/sexenio-del-deporte"),
    ],
)
def test_home_figures_come_from_the_data_with_sources(client, story, entity_path, plain, exact, source_url):
    _, soup = page(client, "/")
    rows = [tr for tr in soup.select(f"section#{story} tr.figure")
            if tr.select_one(f'a.entity[href="{entity_path}"]') and tr.select_one(".exact").get_text() == exact]
    assert len(rows) == 1, f"no figure of {exact} about {entity_path} in {story}"
    row = rows[0]
    assert " ".join(row.select_one("td.money strong").get_text().split()) == plain
    assert row.select_one("a.doc")["href"] == source_url


def test_home_in_english(client):
    _, soup = page(client, "/", lang="en")
    assert soup.html["lang"] == "en"
    assert texts(soup, "section.story h3")[0] == "The state debt and its 2017 refinancing"
    assert "MXN 2.8 billion" in texts(soup, "section#home_debt_story td.money strong")
    assert all("lang=en" in a["href"] for a in soup.select("section.story a.entity"))


def test_home_follows_a_new_generation(tmp_path):
    path = create_store(tmp_path / "store", BASE)
    store = Store(path)
    with store.transaction() as tx:
        tx.load_file(DATA / "web.trig")
    client = TestClient(create_app(Settings(store=str(path)), Store(path)))
    _, before = page(client, "/")
    assert "$123,456,789.00" not in texts(before, "section#home_debt_story .exact")
    amount = f"<{BANORTE_2017}/amount/contracted/2017-z9>"
    with store.transaction() as tx:
        tx.load_text(
            f"{amount} <{FIS}amountOf> <{BANORTE_2017}> .\n"
            f"{amount} <{FIS}measure> <https://w3id.org/ftm-graph/code/measure/contracted-amount> .\n"
            f'{amount} <{FIS}value> "123456789"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n',
            graph=f"{BASE}graph/debt-contracts",
        )
    _, after = page(client, "/")
    assert "$123,456,789.00" in texts(after, "section#home_debt_story .exact")


# Entity pages -------------------------------------------------------------------------

def test_entity_page_label_types_and_relations(client):
    r, soup = page(client, "/id/debt/ZAC-2017-BANORTE")
    assert r.status_code == 200
    assert "Accept" in [v.strip() for v in r.headers["vary"].split(",")]
    assert soup.h1.get_text() == "Crédito de refinanciamiento Banorte 2017"
    assert texts(soup, ".types .type") == ["Obligación de deuda"]
    relations = texts(soup, "dt.relation")
    assert {"acreedor", "deudor", "refinancia", "tasa efectiva", "plazo en meses"} <= set(relations)
    assert not [r for r in relations if r.startswith(("http", "https"))]
    lender = soup.find("dt", string="acreedor").find_next_sibling("dd").a
    assert lender["href"] == "/id/bank/banorte" and lender.get_text() == "Banorte"


def test_entity_page_amounts_with_sources(client):
    _, soup = page(client, "/id/debt/ZAC-2017-BANORTE")
    rows = soup.select("section.amounts tr.figure")
    assert len(rows) == 1
    row = rows[0]
    assert row.select_one("a.measure").get_text() == "monto adjudicado"
    assert " ".join(row.select_one("td.money strong").get_text().split()) == "4.26 mil millones de pesos"
    assert row.select_one(".exact").get_text() == "$4,261,750,000.00"
    assert row.select_one("time").get_text() == "15 de marzo de 2017"
    assert row.select_one("a.doc")["href"] == "https://www.imagenzac.com.mx/nota/banobras-y-banorte-ganan-licitacion"
    assert row.select_one("a.row")["href"] == "/graph/debt-2017/row/2"


def test_entity_page_in_english_keeps_the_language(client):
    _, soup = page(client, "/id/debt/ZAC-2017-BANORTE", lang="en")
    assert soup.html["lang"] == "en"
    assert soup.h1.get_text() == "Banorte refinancing loan 2017"
    assert "lender" in texts(soup, "dt.relation")
    assert soup.select_one("section.amounts td.money strong").get_text() == "MXN 4.26 billion"
    assert soup.find("dt", string="lender").find_next_sibling("dd").a["href"] == "/id/bank/banorte?lang=en"


def test_illustrative_badge_only_on_illustrative_records(client):
    _, payment = page(client, "/id/payment/zac-3/P-001")
    assert texts(payment, ".illustrative-badge") == ["Ilustrativo — no es un dato reportado"]
    _, loan = page(client, "/id/debt/ZAC-2017-BANORTE")
    assert loan.select(".illustrative-badge") == []
    _, payment_en = page(client, "/id/payment/zac-3/P-001", lang="en")
    assert texts(payment_en, ".illustrative-badge") == ["Illustrative — not reported data"]


def test_incoming_links_grouped_counted_and_paged(client):
    _, first = page(client, "/id/org/many-payments")
    group = first.select_one("section.incoming")
    assert group.select_one("h3.relation").get_text(" ").split()[:3] == ["beneficiario", "del", "pago"]
    assert group.select_one("h3 .count").get_text() == "(55)"
    assert len(group.select("ul li")) == 50
    more = group.select_one("a.more")["href"]
    _, second = page(client, more)
    assert len(second.select("section.incoming ul li")) == 5
    # the two pages neither overlap nor skip: together they are the 55 payments
    shown = [a["href"] for soup in (first, second) for a in soup.select("section.incoming ul li a")]
    assert len(set(shown)) == 55
    assert set(shown) == {f"/id/payment/zac-3/MANY-{n:03d}" for n in range(55)}


def test_where_it_comes_from(client):
    _, soup = page(client, "/id/debt/ZAC-2017-BANORTE")
    rows = soup.select("section.provenance a.row")
    assert [a["href"] for a in rows] == ["/graph/debt-2017/row/2"]
    assert rows[0].get_text() == "Refinanciamiento 2017 (cifras de prensa), fila 2"
    assert [a["href"] for a in soup.select("section.provenance a.graph")] == ["/graph/debt-2017"]


@pytest.mark.parametrize(
    "fmt, accept, rdflib_format",
    [("ttl", "text/turtle", "turtle"), ("jsonld", "application/ld+json", "json-ld"),
     ("nt", "application/n-triples", "nt"), ("rdf", "application/rdf+xml", "xml")],
)
def test_machine_alternates_parse_and_hold_the_entity(client, fmt, accept, rdflib_format):
    _, soup = page(client, "/id/debt/ZAC-2017-BANORTE")
    alternates = {link["type"]: link["href"] for link in soup.select('link[rel="alternate"]')}
    assert alternates[accept] == f"/id/debt/ZAC-2017-BANORTE?format={fmt}"
    for response in (client.get(alternates[accept]),
                     client.get("/id/debt/ZAC-2017-BANORTE", headers={"Accept": accept})):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(accept)
        graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
        loan = rdflib.URIRef(BANORTE_2017)
        assert (loan, FIS.lender, rdflib.URIRef(f"{BASE}id/bank/banorte")) in graph
        amount = rdflib.URIRef(f"{BANORTE_2017}/amount/awarded/2017-b2")
        assert graph.value(amount, FIS.value).toPython() == 4261750000


def test_unknown_entity_is_404_with_a_search_hint(client):
    r, soup = page(client, "/id/debt/DOES-NOT-EXIST")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "DOES NOT EXIST".lower() in soup.select_one("a.search").get_text().lower()
    assert client.get("/id/debt/DOES-NOT-EXIST", headers={"Accept": "text/turtle"}).status_code == 404


def test_labels_are_escaped(client):
    r, soup = page(client, "/id/org/constructora-script")
    assert soup.h1.get_text() == "Constructora <script>alert('x')</script> S.A."
    assert [s for s in soup.find_all("script") if s.get("src") != "/static/search.js"] == []
    assert "<script>alert" not in r.text


# Source files and rows -------------------------------------------------------------------

def test_sources_lists_every_source_file(client):
    _, soup = page(client, "/sources")
    rows = soup.select("tr.source-file")
    titles = [" ".join(row.td.get_text().split()) for row in rows]
    assert sorted(titles) == sorted(["Refinanciamiento 2017 (cifras de prensa)", "Fideicomiso de pensiones del ISSSTEZAC",
                                     "Dinero para el deporte", "Pagos ilustrativos"])
    flagged = [" ".join(row.td.get_text().split()) for row in rows if row.select(".badge")]
    assert flagged == ["Pagos ilustrativos"]
    debt = rows[titles.index("Refinanciamiento 2017 (cifras de prensa)")]
    assert debt.select_one("a")["href"] == "/graph/debt-2017"
    assert [td.get_text() for td in debt.select("td.num")] == ["3", "60"]


def test_source_file_page_lists_its_rows(client):
    r, soup = page(client, "/graph/debt-2017")
    assert r.status_code == 200
    assert soup.h1.get_text() == "Refinanciamiento 2017 (cifras de prensa)"
    assert soup.find("dt", string="publicado por").find_next_sibling("dd").get_text() == "Imagen Zacatecas"
    part_of = [h for h in soup.select("section.incoming h3.relation") if "forma parte de" in h.get_text()]
    assert part_of and part_of[0].select_one(".count").get_text() == "(3)"


def test_row_page_shows_what_was_made_from_it(client):
    r, soup = page(client, "/graph/debt-2017/row/1")
    assert r.status_code == 200
    assert soup.h1.get_text() == "Fila 1 · Refinanciamiento 2017 (cifras de prensa)"
    made = soup.select("section.incoming li a")
    assert {a["href"] for a in made} == {"/id/debt/ZAC-2017-BANOBRAS", "/id/debt/ZAC-2017-BANOBRAS/amount/awarded/2017-a1"}
    assert "monto adjudicado: 2.8 mil millones de pesos" in [a.get_text() for a in made]
    cited = soup.find("dt", string="fuente").find_next_sibling("dd").a
    assert cited.get_text() == "Banobras y Banorte ganan licitación para contrato de refinanciamiento"


# Figures and dates for citizens -----------------------------------------------------------

@pytest.mark.parametrize(
    "value, lang, expected",
    [
        ("2800000000", "es", "2.8 mil millones de pesos"),
        ("2800000000", "en", "MXN 2.8 billion"),
        ("4939273314", "es", "4.94 mil millones de pesos"),
        ("44555816845.32", "en", "MXN 44.6 billion"),
        ("149675022.39", "es", "150 millones de pesos"),
        ("80563748", "es", "80.6 millones de pesos"),
        ("1234.56", "es", "$1,234.56"),
        ("1234.56", "en", "MXN 1,234.56"),
        ("not a number", "es", "not a number"),
    ],
)
def test_format_money(value, lang, expected):
    assert formats.format_money(value, lang) == expected


@pytest.mark.parametrize(
    "value, lang, expected",
    [("2011-08-19", "es", "19 de agosto de 2011"), ("2011-08-19", "en", "19 August 2011"),
     ("2017", "es", "2017"), ("2011-12", "es", "diciembre de 2011"), ("2026-11-29T12:00:00Z", "es", "29 de noviembre de 2026")],
)
def test_format_date(value, lang, expected):
    assert formats.format_date(value, lang) == expected


# Rendered pages kept per generation -------------------------------------------------------

SAMPLE = Path(__file__).parent.parent / "sample"
FIGURES = "zacatecas_deuda_cifras.csv"
LOAN_PAGE = "/id/debt/ZAC-2011-BANORTE"
OTHER_LOAN_PAGE = "/id/debt/ZAC-2011-BBVA"  # asked for by one test only, so its first answer is not cached yet


def _cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "ftm_graph.cli", *args], check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`ftm-graph serve` in a subprocess over a store holding the sample's loans and their figures (a copy we change).

    Shared by the cache tests: only the last changes the data, and the others hold whatever the loan's balance is.
    """
    tmp_path = tmp_path_factory.mktemp("served")
    for name in ("zacatecas_deuda_obligaciones.csv", FIGURES):
        for path in (SAMPLE / name, SAMPLE / (name + ".source.yaml")):
            shutil.copy(path, tmp_path / path.name)
    store = tmp_path / "store"
    _cli("ingest", "--store", str(store), "--base-uri", BASE, str(tmp_path / "zacatecas_deuda_obligaciones.csv"),
         str(tmp_path / FIGURES))
    port = free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "ftm_graph.cli", "serve", "--store", str(store),
                                    "--port", str(port)], stdout=out, stderr=subprocess.STDOUT,
                                   env={**os.environ, "FTM_GRAPH_QUERY_WORKERS": "1"})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/sources", process, log, timeout=120.0)  # slow to start only on a crowded machine
        yield url, store, tmp_path
    finally:
        stop(process)


def test_second_request_is_served_from_the_cache_and_304_on_its_etag(served):
    url, _store, _folder = served
    page_ = "/id/debt/ZAC-2012-BANOBRAS-02"  # asked for by this test only
    first = httpx.get(url + page_, headers={"Accept": "text/html"})
    second = httpx.get(url + page_, headers={"Accept": "text/html"})
    assert first.status_code == second.status_code == 200
    assert (first.headers["x-ftm-cache"], second.headers["x-ftm-cache"]) == ("miss", "hit")
    assert second.text == first.text and second.headers["etag"] == first.headers["etag"]
    assert second.headers["content-type"].startswith("text/html")
    assert "public" in second.headers["cache-control"] and "max-age" in second.headers["cache-control"]
    assert {"Accept", "Accept-Language"} <= {v.strip() for v in second.headers["vary"].split(",")}
    again = httpx.get(url + page_, headers={"Accept": "text/html", "If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == first.headers["etag"]
    fresh = httpx.get(url + page_, headers={"Accept": "text/html", "Cache-Control": "no-cache"})
    assert fresh.headers["x-ftm-cache"] == "bypass" and fresh.text == first.text
    turtle = httpx.get(url + page_, headers={"Accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle") and turtle.headers["etag"] != first.headers["etag"]


def test_languages_are_cached_apart(served):
    url, _store, _folder = served
    pages_ = {}
    for lang in ("en", "es", "en", "es"):
        r = httpx.get(url + OTHER_LOAN_PAGE, headers={"Accept": "text/html", "Accept-Language": lang})
        assert BeautifulSoup(r.text, "html.parser").html["lang"] == lang
        pages_.setdefault(lang, []).append((r.headers["x-ftm-cache"], r.headers["etag"]))
    assert [c for c, _e in pages_["en"]] == [c for c, _e in pages_["es"]] == ["miss", "hit"]
    assert pages_["en"][0][1] != pages_["es"][0][1]
    by_param = httpx.get(url + OTHER_LOAN_PAGE, params={"lang": "en"}, headers={"Accept": "text/html"})
    assert BeautifulSoup(by_param.text, "html.parser").html["lang"] == "en"


def test_a_new_generation_replaces_the_cached_page(served):
    url, store, folder = served
    before = httpx.get(url + LOAN_PAGE, headers={"Accept": "text/html"})
    assert "$2,984,007,763.00" in before.text
    source = folder / FIGURES
    source.write_text(source.read_text(encoding="utf-8").replace('"2,984,007,763"', '"2,984,007,999"'),
                      encoding="utf-8")
    _cli("ingest", "--store", str(store), str(source))
    after = httpx.get(url + LOAN_PAGE, headers={"Accept": "text/html"})
    assert after.headers["x-ftm-cache"] == "miss" and after.headers["etag"] != before.headers["etag"]
    assert "$2,984,007,999.00" in after.text and "$2,984,007,763.00" not in after.text
    stale = httpx.get(url + LOAN_PAGE, headers={"Accept": "text/html", "If-None-Match": before.headers["etag"]})
    assert stale.status_code == 200


def test_page_cache_keeps_the_most_recent_pages_within_its_byte_budget():
    cache = page_cache.PageCache(budget=3 * 1200)
    for n in range(4):
        cache.put((1, f"/p{n}", "", "html es"), (b"x" * 1000, 200, "text/html", {}))
    assert cache.get((1, "/p0", "", "html es")) is None  # the oldest went first
    assert cache.get((1, "/p1", "", "html es")) is not None
    cache.put((1, "/p4", "", "html es"), (b"x" * 1000, 200, "text/html", {}))
    assert cache.get((1, "/p1", "", "html es")) is not None  # used lately, so kept
    assert cache.get((1, "/p2", "", "html es")) is None
    assert cache.size <= cache.budget and len(cache) == 3
    cache.put((1, "/huge", "", "html es"), (b"x" * 5000, 200, "text/html", {}))
    assert cache.get((1, "/huge", "", "html es")) is None  # larger than the whole budget: not kept
    assert page_cache.etag_of((2, "/p1", "", "html es")) != page_cache.etag_of((1, "/p1", "", "html es"))


def test_an_entity_made_from_thousands_of_rows_lists_a_few_and_says_how_many(tmp_path):
    """A bank named in 50,000 rows must not put 50,000 links on its page (it took 66 s at 7M quads)."""
    from ftm_graph.pages import SOURCE_ROWS

    rows = SOURCE_ROWS + 17
    fis, prov = "https://w3id.org/ftm-graph/fiscal#", "http://www.w3.org/ns/prov#"
    graph = f"{BASE}graph/muchas-filas-csv"
    lines = [f'<{BASE}id/bank/muchas> <http://www.w3.org/2000/01/rdf-schema#label> "Banco de muchas filas"@es .']
    for n in range(1, rows + 1):
        lines.append(f"<{BASE}id/bank/muchas> <{prov}wasDerivedFrom> <{graph}/row/{n}> .")
        lines.append(f'<{graph}/row/{n}> <{fis}rowNumber> "{n}"^^<http://www.w3.org/2001/XMLSchema#integer> .')
    store = Store(create_store(tmp_path / "store", BASE))
    with store.transaction() as tx:
        tx.load_text("\n".join(lines) + "\n", graph=graph)
    with TestClient(create_app(Settings(store=str(tmp_path / "store"), base_uri=BASE, query_workers=1), store)) as c:
        page = BeautifulSoup(c.get("/id/bank/muchas").text, "html.parser")
        turtle = c.get("/id/bank/muchas", headers={"Accept": "text/turtle"}).text
    sources = page.find(id="sources")
    assert len(sources.select("a.row")) == SOURCE_ROWS
    assert f"{SOURCE_ROWS} / {rows}" in sources.select_one(".more-rows").get_text()
    # the machine-readable description still carries every row
    parsed = rdflib.Graph().parse(data=turtle, format="turtle")
    assert len(set(parsed.objects(rdflib.URIRef(f"{BASE}id/bank/muchas"), rdflib.URIRef(prov + "wasDerivedFrom")))) == rows
