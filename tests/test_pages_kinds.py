"""Entity pages by kind on the sample: facts first, flows as SVG with a text table, budget, sources, downloads."""

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import BASE, TestClient

from ftm_graph import flows
from ftm_graph.app import create_app
from ftm_graph.config import Settings
from ftm_graph.sources import ingest
from ftm_graph.store import Store, create_store


def soup_of(client, path, **params):
    r = client.get(path, params=params or None, headers={"Accept": "text/html"})
    assert r.status_code == 200, path
    return BeautifulSoup(r.text, "html.parser")


def test_loan_page_headline_facts_flow_and_source(sample_client):
    soup = soup_of(sample_client, "/id/debt/ZAC-2017-BANOBRAS")
    assert "2.8 mil millones de pesos" in soup.select_one(".headline-figures").get_text(" ")
    assert "8.25 %" in soup.select_one(".headline-figures .rate").get_text()
    lender = soup.find("dt", string="acreedor").find_next_sibling("dd").a
    assert lender["href"] == "/id/bank/banobras"
    svg = soup.select_one("section.flows svg.sankey")
    assert svg["role"] == "img" and svg.title.get_text() and svg.desc.get_text()
    assert "/id/bank/banobras" in [a["href"] for a in svg.select("a")]
    table_in = [a["href"] for a in soup.select("section.flows tr.flow-in td:first-child a")]
    assert table_in == ["/id/bank/banobras"]
    refinanced = [a["href"] for a in soup.select("section.flows tr.flow-out td:first-child a")]
    assert "/id/debt/ZAC-2011-BANORTE" in refinanced
    assert soup.select_one("section.amounts a.doc")["href"].startswith(("http://", "https://"))
    assert soup.select("section.provenance a.row")


def test_bank_page_lists_loans_granted(sample_client):
    soup = soup_of(sample_client, "/id/bank/banobras")
    loans = [a["href"] for a in soup.select("#featured-loans_granted a")]
    assert sorted(loans) == ["/id/debt/ZAC-2012-BANOBRAS-01", "/id/debt/ZAC-2012-BANOBRAS-02",
                             "/id/debt/ZAC-2017-BANOBRAS"]


def test_body_page_budget_by_stage_and_year(sample_client):
    soup = soup_of(sample_client, "/id/body/ramo-16")
    table = soup.select_one("section.budget table.budget-table")
    headers = [th.get_text().lower() for th in table.select("thead th")]
    assert headers[:3] == ["año", "aprobado", "modificado"]
    assert [th.get_text() for th in table.select("tbody th")] == ["2018"]
    assert soup.select_one("section.budget svg.bars")
    soup = soup_of(sample_client, "/id/body/zac/69")  # INCUFIDEZ: requested, received, cut by year
    years = [th.get_text() for th in soup.select("section.budget tbody th")]
    assert years == sorted(years) and "2019" in years


def test_flow_tables_download_as_csv_and_json(sample_client):
    iri = "http://127.0.0.1:8000/id/bank/banobras"
    rows = list(csv.DictReader(io.StringIO(sample_client.get("/table/flows.csv", params={"iri": iri}).text)))
    assert {"direction": "out", "other": "http://127.0.0.1:8000/id/debt/ZAC-2017-BANOBRAS", "value": "2800000000"} \
        .items() <= next(r for r in rows if r["other"].endswith("ZAC-2017-BANOBRAS")).items()
    assert sample_client.get("/table/flows.json", params={"iri": iri}).json()[0]["direction"] == "out"
    assert sample_client.get("/table/nothing.csv", params={"iri": iri}).status_code == 404


def test_money_trail_between_a_bank_and_a_supplier(sample_client):
    supplier = "/id/org/constructora-ejemplo-del-centro-s-a-de-c-v-ilustrativo"
    soup = soup_of(sample_client, "/follow", **{"from": "/id/bank/banobras", "to": supplier})
    targets = [a["href"] for a in soup.select("ol.trail a.target")]
    assert targets == ["/id/debt/ZAC-2012-BANOBRAS-01", supplier]
    assert "45 millones de pesos" in soup.select("ol.trail li.hop")[-1].get_text(" ")


def test_english_by_accept_language_and_switch(sample_client):
    r = sample_client.get("/id/bank/banobras", headers={"Accept": "text/html", "Accept-Language": "en-GB,en;q=0.9"})
    soup = BeautifulSoup(r.text, "html.parser")
    assert soup.html["lang"] == "en"
    assert soup.select_one("#featured-loans_granted h3").get_text().startswith("Loans it granted")
    soup = soup_of(sample_client, "/id/bank/banobras", lang="es")
    assert soup.html["lang"] == "es"


def test_only_the_page_language_of_tagged_values(sample_client):
    soup = soup_of(sample_client, "/id/debt/ZAC-2017-BANOBRAS", lang="en")
    notes = [dd.get_text() for dd in soup.find("dt", string="note").find_next_siblings("dd")]
    assert len(notes) == 1 and notes[0].startswith("Won the 2017 refinancing tender")


def test_sankey_escapes_labels():
    flow = {"other": "x", "value": 5, "relation": "payment", "example": None, "n": 1}
    svg = flows.sankey("c", [flow], [], label=lambda i: "<b>&evil</b>", href=lambda i: "/" + i,
                       money=str, relation=str, t={"flow_title": "F", "flow_in": "in", "flow_out": "out",
                                                  "not_reported": "?"})
    assert "<b>" not in svg and "&lt;b&gt;&amp;evil&lt;/b&gt;" in svg


# Series: a trust's money and contributions by period, a loan's balance over time ------------------

SAMPLE = Path(__file__).parent.parent / "sample"
TRUSTS_CSV = Path(__file__).parent / "data" / "mapping_cases" / "shcp_trusts_csv_real" / "input.csv"
MEASURE = "https://w3id.org/ftm-graph/code/measure/"
#: A loan's balances at two dates, in the layout of sample/zacatecas_deuda_cifras.csv (test data, not reported).
BALANCES_CSV = """tipo_sujeto,clave_sujeto,medida,importe,fecha_corte,ejercicio,periodo_inicio,periodo_fin,nota_es,nota_en,fuente_url,fuente_titulo,fuente_medio,fuente_fecha,fuente_fecha_aprox
obligación,ZAC-2011-BANORTE,balance,"2,984,007,763",31/12/2013,,,,Dato de prueba,Test figure,https://example.org/saldo-2013,Saldo de prueba 2013,Pruebas,2014-01-01,
obligación,ZAC-2011-BANORTE,balance,"2,512,300,000.50",31/12/2016,,,,Dato de prueba,Test figure,https://example.org/saldo-2016,Saldo de prueba 2016,Pruebas,2017-01-01,
"""


def exact(text: str) -> str:
    """A source file's amount ("$1,055,601,576.00", "90,000,000") as the page's exact figure: $1,234.50."""
    return f"${Decimal(text.replace('$', '').replace(',', '').strip()):,.2f}"


def series_cells(soup, name: str) -> dict[tuple[str, str], list]:
    """{(row heading text, measure IRI): [figure divs]} of one series table."""
    table = soup.select_one(f"section#series-{name} table.series-table")
    assert table is not None, f"no {name} table"
    cells = {}
    for tr in table.select("tbody tr.period"):
        when = " ".join(tr.th.get_text(" ").split())
        for td in tr.select("td[data-measure]"):
            if td.select("div.figure"):
                cells[(when, td["data-measure"])] = td.select("div.figure")
    return cells


def test_pension_trust_contributions_and_money_come_from_the_source_csv(sample_client):
    with open(SAMPLE / "issstezac_fondo_pensiones.csv", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["sujeto"] == "fideicomiso"]
    soup = soup_of(sample_client, "/id/trust/zac-issstezac-fondo-pensiones")
    found = {**series_cells(soup, "contributions"), **series_cells(soup, "trust_money")}
    assert rows and len(found) == len(rows)
    for row in rows:
        cell = [divs for (when, measure), divs in found.items() if measure == MEASURE + row["medida"]]
        assert len(cell) == 1, row["medida"]
        figure = cell[0][0]
        assert figure.select_one(".exact").get_text() == exact(row["importe"])
        assert figure.select_one("a.doc")["href"] == row["fuente_url"]
        assert figure.select_one("a.row")["href"].startswith("/graph/")
    unpaid = [w for (w, m) in found if m == MEASURE + "contributions-unpaid"][0]
    assert "2015" in unpaid and "2019" in unpaid  # the period the audit covered
    # one figure per series: a table, no chart (a chart needs two figures)
    assert not soup.select("section.series svg")


def test_pension_trust_series_download_as_csv(sample_client):
    iri = "http://127.0.0.1:8000/id/trust/zac-issstezac-fondo-pensiones"
    rows = list(csv.DictReader(io.StringIO(sample_client.get("/table/contributions.csv", params={"iri": iri}).text)))
    assert [(r["measure"], r["value"], r["period_start"], r["period_end"]) for r in rows] == [
        (MEASURE + "contributions-unpaid", "1055601576", "2015-01-01", "2019-12-31")]
    assert rows[0]["source_document"].startswith("https://ljz.mx/")
    assert sample_client.get("/table/balance.json", params={"iri": iri}).status_code == 404  # not a trust's series


@pytest.fixture(scope="module")
def series_client(tmp_path_factory):
    """A store with the sample's loans, two dated balances of one loan and SHCP's trusts report (real rows)."""
    folder = tmp_path_factory.mktemp("series")
    balances = folder / "saldos_prueba.csv"
    balances.write_text(BALANCES_CSV, encoding="utf-8")
    store = Store(create_store(folder / "store", BASE))
    ingest(store, [SAMPLE / "zacatecas_deuda_obligaciones.csv"])
    ingest(store, [balances], mapping_name="reported_figures_debt")
    ingest(store, [TRUSTS_CSV], mapping_name="shcp_trusts_csv")
    with TestClient(create_app(Settings(store=str(store.path), base_uri=BASE), Store(store.path))) as client:
        yield client


def test_loan_balance_chart_from_two_dated_balances(series_client):
    soup = soup_of(series_client, "/id/debt/ZAC-2011-BANORTE")
    svg = soup.select_one("section#series-balance svg.bars")
    assert svg is not None and svg["role"] == "img" and svg.desc.get_text()
    assert len(svg.select("rect[height]")) >= 2
    cells = series_cells(soup, "balance")
    expected = {(row["fecha_corte"][-4:], exact(row["importe"]), row["fuente_url"])
                for row in csv.DictReader(io.StringIO(BALANCES_CSV))}
    shown = {(when.split()[-1], div.select_one(".exact").get_text(), div.select_one("a.doc")["href"])
             for (when, measure), divs in cells.items() for div in divs if measure == MEASURE + "balance"}
    assert shown == expected
    whens = [" ".join(tr.th.get_text(" ").split()) for tr in soup.select("section#series-balance tbody tr")]
    assert whens == ["31 de diciembre de 2013", "31 de diciembre de 2016"]  # oldest first


def test_loan_with_one_balance_has_a_table_but_no_chart(sample_client):
    soup = soup_of(sample_client, "/id/debt/ZAC-2011-BBVA")
    assert len(series_cells(soup, "balance")) == 1
    assert soup.select_one("section#series-balance svg") is None


def test_trust_income_expenses_and_balance_from_the_shcp_report(series_client):
    with open(TRUSTS_CSV, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    columns = {"income": "income", "yield": "yields", "expenses": "expenses", "availability": "available-balance",
               "balance": "balance"}
    for row in rows[:3]:
        soup = soup_of(series_client, f"/id/trust/{row['registry']}")
        cells = series_cells(soup, "trust_money")
        for column, measure in columns.items():
            if not row[column].strip():
                continue
            divs = cells[(row["year"], MEASURE + measure)]
            assert [d.select_one(".exact").get_text() for d in divs] == [exact(row[column])], (row["registry"], column)
        svg = soup.select_one("section#series-trust_money svg.bars")
        assert svg is not None and row["year"] in svg.get_text(" ")
