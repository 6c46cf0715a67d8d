"""The bundled sample built from reported facts: its figures, sources and mappings."""

import csv
import io
from pathlib import Path

import pytest
import rdflib
import yaml

from ftm_graph.ingest import map_file
from ftm_graph.mapping import load_mapping

SAMPLE = Path(__file__).resolve().parent.parent / "sample"
MAPPINGS = Path(__file__).resolve().parent.parent / "mappings"

#: The hand-made files of this sample (the catalogues and extracts have their own tests).
FILES = [
    "zacatecas_deuda_obligaciones.csv",
    "zacatecas_deuda_obligaciones_otras_fuentes.csv",
    "zacatecas_deuda_obligaciones_terminos_2011.csv",
    "zacatecas_deuda_autorizaciones.csv",
    "zacatecas_deuda_cifras.csv",
    "issstezac_fondo_pensiones.csv",
    "incufidez_deporte.csv",
    "ilustrativo_ruta_del_dinero.csv",
]
ILLUSTRATIVE = {"ilustrativo_ruta_del_dinero.csv"}

#: Figures typed from the facts file, as they must read once cleaned (amount column -> digits).
REPORTED = [
    ("zacatecas_deuda_cifras.csv", "ZAC-2011-BANORTE", "balance", "2984007763"),
    ("zacatecas_deuda_cifras.csv", "ZAC-2011-BBVA", "balance", "740370927"),
    ("zacatecas_deuda_cifras.csv", "ZAC-2012-BANOBRAS-01", "balance", "1141183333"),
    ("zacatecas_deuda_cifras.csv", "ZAC-2012-BANOBRAS-02", "balance", "73711291"),
    ("zacatecas_deuda_cifras.csv", "zacatecas", "balance", "4939273314"),
    ("zacatecas_deuda_cifras.csv", "zac-2017-refinanciamiento", "contracted-amount", "6714547977.25"),
    ("zacatecas_deuda_cifras.csv", "ZAC-2017-BANOBRAS", "awarded-amount", "2800000000"),
    ("zacatecas_deuda_cifras.csv", "ZAC-2017-BANORTE", "awarded-amount", "4261750000"),
    ("zacatecas_deuda_autorizaciones.csv", "zac-2017-refinanciamiento", None, "7341701084"),
    ("zacatecas_deuda_autorizaciones.csv", "zac-2011-decreto-206", None, "4897000000"),
    ("issstezac_fondo_pensiones.csv", "zac-issstezac-fondo-pensiones", "contributions-unpaid", "1055601576"),
    ("issstezac_fondo_pensiones.csv", "60", "actuarial-deficit", "44555816845.32"),
    ("incufidez_deporte.csv", "69", "received", "80563748"),
    ("incufidez_deporte.csv", "69", "requested", "149327911.59"),
]

LOANS = {"ZAC-2011-BANORTE", "ZAC-2011-BBVA", "ZAC-2012-BANOBRAS-01", "ZAC-2012-BANOBRAS-02",
         "ZAC-2017-BANOBRAS", "ZAC-2017-BANORTE"}


def read_rows(name: str) -> list[dict[str, str]]:
    with open(SAMPLE / name, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def digits(text: str) -> str:
    """'$1,234.50' -> '1234.5' (typed expectations are compared on this form)."""
    v = text.replace("$", "").replace(",", "").strip()
    return v.rstrip("0").rstrip(".") if "." in v else v


def sidecar(name: str) -> dict:
    return yaml.safe_load((SAMPLE / f"{name}.source.yaml").read_text(encoding="utf-8"))


def test_register_holds_the_six_loans_once_each():
    keys = [r["clave_obligacion"] for r in read_rows("zacatecas_deuda_obligaciones.csv")]
    assert sorted(keys) == sorted(LOANS)


def test_both_banorte_contract_dates_are_kept_with_their_sources():
    rows = read_rows("zacatecas_deuda_obligaciones.csv") + read_rows("zacatecas_deuda_obligaciones_otras_fuentes.csv")
    dates = {(r["fecha_contratacion"], r["fuente_url"]) for r in rows if r["clave_obligacion"] == "ZAC-2011-BANORTE"}
    assert {d for d, _ in dates} == {"19/10/2011", "19/08/2011"}
    assert len({u for _, u in dates}) == 2


@pytest.mark.parametrize("file, key, measure, value", REPORTED)
def test_reported_figure_is_present_with_a_source(file, key, measure, value):
    found = []
    for r in read_rows(file):
        row_key = r.get("clave_sujeto") or r.get("clave_autorizacion") or (
            r.get("clave_fideicomiso") if r.get("sujeto") == "fideicomiso" else r.get("id_dependencia"))
        amount = r.get("importe") or r.get("monto_autorizado")
        if row_key == key and (measure is None or r.get("medida") == measure) and digits(amount) == value:
            found.append(r)
    assert len(found) == 1, (file, key, measure, value)
    assert found[0]["fuente_url"].startswith(("http://", "https://"))
    assert found[0]["fuente_medio"]


@pytest.mark.parametrize("name", [f for f in FILES if f not in ILLUSTRATIVE])
def test_every_reported_row_cites_a_source(name):
    for r in read_rows(name):
        assert r["fuente_url"].startswith(("http://", "https://")), r
        assert r["fuente_titulo"] and r["fuente_medio"], r
        assert r["fuente_fecha"] or r["fuente_fecha_aprox"], r


@pytest.mark.parametrize("name", FILES)
def test_sidecar_names_an_existing_mapping_and_says_if_illustrative(name):
    meta = sidecar(name)
    assert (MAPPINGS / f"{meta['mapping']}.yaml").is_file()
    assert set(meta["title"]) == {"es", "en"} and set(meta["note"]) == {"es", "en"}
    assert meta["illustrative"] is (name in ILLUSTRATIVE)
    assert load_mapping(MAPPINGS / f"{meta['mapping']}.yaml").illustrative is (name in ILLUSTRATIVE)


def map_sample(name: str) -> list[tuple[str, str, str]]:
    """Map one sample file through its sidecar's mapping; return (s, p, o) of the N-Quads."""
    mapping = load_mapping(MAPPINGS / f"{sidecar(name)['mapping']}.yaml")
    out = io.StringIO()
    map_file(SAMPLE / name, mapping, base_uri="http://example.org/", graph_iri="http://example.org/graph/t", out=out)
    ds = rdflib.Dataset()
    ds.parse(data=out.getvalue(), format="nquads")
    return [(str(s), str(p), str(o)) for s, p, o, _ in ds.quads((None, None, None, None))]


FIS = "https://w3id.org/ftm-graph/fiscal#"
PROV_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
DCT_SOURCE = "http://purl.org/dc/terms/source"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


@pytest.mark.parametrize("name", FILES)
def test_file_maps_and_every_row_is_a_record(name):
    triples = map_sample(name)
    records = {o for s, p, o in triples if p == PROV_DERIVED}
    assert records == {f"http://example.org/graph/t/row/{n}" for n in range(2, len(read_rows(name)) + 2)}
    sourced = {s for s, p, o in triples if p == DCT_SOURCE}
    if name in ILLUSTRATIVE:
        assert not sourced
    else:
        assert sourced == records


@pytest.mark.parametrize("name", FILES)
def test_only_the_illustrative_file_marks_its_records_illustrative(name):
    triples = map_sample(name)
    subjects = {s for s, p, o in triples if p == PROV_DERIVED}
    marked = {s for s, p, o in triples if p == FIS + "illustrative" and o == "true"}
    if name in ILLUSTRATIVE:
        assert subjects and marked == subjects
    else:
        assert not marked


def test_2017_loans_refinance_the_four_old_loans():
    triples = map_sample("zacatecas_deuda_obligaciones.csv")
    base = "http://example.org/id/debt/"
    for new in ("ZAC-2017-BANOBRAS", "ZAC-2017-BANORTE"):
        old = {o for s, p, o in triples if s == base + new and p == FIS + "refinances"}
        assert old == {base + k for k in ("ZAC-2011-BANORTE", "ZAC-2011-BBVA", "ZAC-2012-BANOBRAS-01", "ZAC-2012-BANOBRAS-02")}


def test_refinancing_gap_is_three_figures_on_one_authorisation():
    decree = "http://example.org/id/decree/zac-2017-refinanciamiento"
    values = {}
    for name in ("zacatecas_deuda_autorizaciones.csv", "zacatecas_deuda_cifras.csv"):
        triples = map_sample(name)
        amounts = {s for s, p, o in triples if p == FIS + "amountOf" and o == decree}
        for a in amounts:
            measure = next(o for s, p, o in triples if s == a and p == FIS + "measure").rsplit("/", 1)[1]
            values[measure] = next(o for s, p, o in triples if s == a and p == FIS + "value")
    assert {k: values[k] for k in ("authorised-amount", "awarded-amount", "contracted-amount")} == {
        "authorised-amount": "7341701084", "awarded-amount": "7061750000", "contracted-amount": "6714547977.25"}


def test_illustrative_trail_reaches_from_loan_to_payment():
    triples = map_sample("ilustrativo_ruta_del_dinero.csv")
    payments = {s for s, p, o in triples if p == RDF_TYPE and o == FIS + "Payment"}
    assert len(payments) == 3
    for pay in payments:
        assert (pay, FIS + "fundedBy", "http://example.org/id/debt/ZAC-2012-BANOBRAS-01") in triples
        assert (pay, FIS + "payer", "http://example.org/id/body/zac/3") in triples
    labels = [(o, s) for s, p, o in triples if p == "http://www.w3.org/2000/01/rdf-schema#label"]
    assert labels and all(o.endswith((" (ilustrativo)", " (illustrative)")) for o, _ in labels)
