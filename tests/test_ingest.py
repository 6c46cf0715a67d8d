"""Mapping source files to N-Quads: dirty files are refused with named problems; real files map."""

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from ftm_graph.errors import InvalidData
from ftm_graph.ingest import MapResult, literal, map_file
from ftm_graph.mapping import load_mapping

HERE = Path(__file__).parent
DIRTY = HERE / "data" / "dirty"
SAMPLE = HERE.parent / "sample"
MAPPINGS = HERE.parent / "mappings"
BASE = "http://127.0.0.1:8000/"
GRAPH = BASE + "graph/test"
ID = Namespace(BASE + "id/")
FIS = Namespace("https://w3id.org/ftm-graph/fiscal#")
CODE = Namespace("https://w3id.org/ftm-graph/code/")
PROV = Namespace("http://www.w3.org/ns/prov#")


def run(path: Path, mapping, **kwargs) -> tuple[MapResult, Graph, str]:
    """Map a file; return the result, the file's graph and the N-Quads text."""
    out = io.StringIO()
    result = map_file(path, mapping, base_uri=BASE, graph_iri=GRAPH, out=out, **kwargs)
    ds = Dataset()
    ds.parse(data=out.getvalue(), format="nquads")
    assert {str(g.identifier) for g in ds.graphs() if len(g)} == {GRAPH}, "every quad is in the file's graph"
    return result, ds.graph(URIRef(GRAPH)), out.getvalue()


def problems_of(path: Path, mapping, **kwargs) -> InvalidData:
    with pytest.raises(InvalidData) as info:
        map_file(path, mapping, base_uri=BASE, graph_iri=GRAPH, out=io.StringIO(), **kwargs)
    return info.value


@pytest.fixture(scope="module")
def dirty():
    return load_mapping(DIRTY / "budget.yaml")


def test_a_clean_file_maps(dirty):
    result, g, text = run(DIRTY / "good.csv", dirty)
    assert result.rows == 2
    assert result.triples == len(text.splitlines()) == len(g)
    a1 = ID["budget/2024/a1"]
    assert (a1, RDF.type, FIS.BudgetLine) in g
    assert (a1, RDFS.label, Literal("Salud", lang="es")) in g
    assert (a1, FIS.startDate, Literal("2011-08-19", datatype=XSD.date)) in g
    amounts = list(g.subjects(FIS.amountOf, a1))
    assert len(amounts) == 1
    assert g.value(amounts[0], FIS.value) == Literal("1234.56", datatype=XSD.decimal)
    assert g.value(amounts[0], FIS.measure) == CODE["stage/aprobado"]
    assert g.value(amounts[0], FIS.currency) == Literal("MXN")
    assert str(amounts[0]).startswith(str(a1) + "/amount/aprobado/2011-08-19-")
    # "-" is no amount
    assert list(g.subjects(FIS.amountOf, ID["budget/2024/a2"])) == []
    # provenance: the physical line of each row, the header being line 1
    row2 = URIRef(GRAPH + "/row/2")
    assert (a1, PROV.wasDerivedFrom, row2) in g
    assert (amounts[0], PROV.wasDerivedFrom, row2) in g
    assert g.value(row2, FIS.rowNumber) == Literal(2)
    assert (row2, URIRef("http://purl.org/dc/terms/isPartOf"), URIRef(GRAPH)) in g
    assert (ID["budget/2024/a2"], PROV.wasDerivedFrom, URIRef(GRAPH + "/row/3")) in g


def test_optional_column_present(dirty, tmp_path):
    path = tmp_path / "with_note.csv"
    path.write_text('clave,nombre,fecha,monto,nota\nA1,Salud,19/08/2011,1,"dato  reportado"\n', encoding="utf-8")
    _, ds, _ = run(path, dirty)
    assert (ID["budget/2024/a1"], FIS.note, Literal("dato reportado", lang="es")) in ds


def test_missing_header(dirty):
    exc = problems_of(DIRTY / "missing_header.csv", dirty)
    assert "missing_header.csv: has no header row" in str(exc)
    [p] = exc.problems
    assert (p.file, p.row) == ("missing_header.csv", 1)
    assert p.value.startswith("A1,Salud")
    assert "a header row naming the columns clave, nombre, fecha, monto" in p.expected


def test_missing_required_column(dirty):
    exc = problems_of(DIRTY / "missing_column.csv", dirty)
    [p] = exc.problems
    assert (p.file, p.row, p.column, p.value) == ("missing_column.csv", 1, "fecha", None)
    assert p.expected == "a column named 'fecha' in the header"


def test_shifted_columns(dirty):
    exc = problems_of(DIRTY / "shifted.csv", dirty)
    assert str(exc) == "shifted.csv: 2 rows do not fit mapping dirty_budget"
    short, long = exc.problems
    assert (short.file, short.row, short.column) == ("shifted.csv", 3, "monto")
    assert short.value == "A2,Educación,01/12/2011"
    assert "4 fields as in the header, found 3" in short.expected
    assert (long.row, long.column) == (4, "(extra field 5)")
    assert "found 5" in long.expected


def test_unparseable_values(dirty):
    exc = problems_of(DIRTY / "bad_values.csv", dirty)
    assert str(exc) == "bad_values.csv: 3 rows do not fit mapping dirty_budget"
    found = {(p.row, p.column, p.value): p.expected for p in exc.problems}
    assert "an amount such as 1,234.56" in found[(2, "monto", "12.3x")]
    assert "a date as dd/mm/yyyy" in found[(3, "fecha", "31/02/2011")]
    assert "an amount such as 1,234.56" in found[(4, "monto", "1,5")]
    assert all(p.file == "bad_values.csv" for p in exc.problems)


def test_cp1252_bytes_declared_utf8_are_refused_not_garbled(dirty):
    exc = problems_of(DIRTY / "cp1252.csv", dirty)
    assert "cp1252.csv: is not UTF-8 text as the mapping declares" in str(exc)
    [p] = exc.problems
    assert p.row == 2
    assert "declare encoding: cp1252" in p.expected


def test_cp1252_with_the_right_encoding(dirty):
    _, ds, _ = run(DIRTY / "cp1252.csv", dirty, encoding="cp1252")
    assert (ID["budget/2024/a1"], RDFS.label, Literal("Educación", lang="es")) in ds
    assert (ID["budget/2024/a2"], RDFS.label, Literal("Señal", lang="es")) in ds


def test_auto_encoding_reads_utf8_with_bom_and_falls_back_to_cp1252(dirty, tmp_path):
    bom = tmp_path / "bom.csv"
    bom.write_bytes("clave,nombre,fecha,monto\nA1,Educación,19/08/2011,1\n".encode("utf-8-sig"))
    _, ds, _ = run(bom, dirty, encoding="auto")
    assert (ID["budget/2024/a1"], RDFS.label, Literal("Educación", lang="es")) in ds
    _, ds, _ = run(DIRTY / "cp1252.csv", dirty, encoding="auto")
    assert (ID["budget/2024/a2"], RDFS.label, Literal("Señal", lang="es")) in ds


def test_empty_file(dirty):
    exc = problems_of(DIRTY / "empty.csv", dirty)
    assert str(exc).startswith("empty.csv: the file is empty")
    [p] = exc.problems
    assert p.file == "empty.csv" and p.row is None and "header row" in p.expected


def test_file_not_found(dirty):
    exc = problems_of(DIRTY / "nowhere.csv", dirty)
    assert str(exc).startswith("nowhere.csv: file not found")
    assert exc.problems[0].file == "nowhere.csv"


def test_duplicate_key_of_a_unique_entity(dirty):
    exc = problems_of(DIRTY / "duplicate_key.csv", dirty)
    [p] = exc.problems
    assert (p.row, p.value) == (3, "budget/2024/a1")
    assert "row 2 has it too" in p.expected


def test_required_value_missing(dirty, tmp_path):
    path = tmp_path / "required.csv"
    path.write_text("clave,nombre,fecha,monto\nA1,,19/08/2011,1\n", encoding="utf-8")
    [p] = problems_of(path, dirty).problems
    assert (p.file, p.row, p.column, p.value) == ("required.csv", 2, "nombre", "")
    assert p.expected == "a value (required by the mapping)"


def test_empty_key_of_a_row_entity(dirty):
    [p] = problems_of(DIRTY / "missing_value.csv", dirty).problems
    assert (p.file, p.row, p.column) == ("missing_value.csv", 2, "clave")
    assert "a value in every column of the key budget/2024/{clave}" in p.expected


def test_problems_are_capped_at_50(dirty, tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("clave,nombre,fecha,monto\n" + "".join(f"A{i},x,01/01/2011,bad\n" for i in range(80)),
                    encoding="utf-8")
    exc = problems_of(path, dirty)
    assert str(exc) == "many.csv: 80 rows do not fit mapping dirty_budget"
    assert len(exc.problems) == 50


def test_row_numbers_count_physical_lines(dirty, tmp_path):
    path = tmp_path / "multiline.csv"
    path.write_text('clave,nombre,fecha,monto\nA1,"dos\nlíneas",19/08/2011,1\n\nA2,x,19/08/2011,2\n', encoding="utf-8")
    _, ds, _ = run(path, dirty)
    assert (ID["budget/2024/a1"], PROV.wasDerivedFrom, URIRef(GRAPH + "/row/2")) in ds
    assert (ID["budget/2024/a2"], PROV.wasDerivedFrom, URIRef(GRAPH + "/row/5")) in ds
    assert (ID["budget/2024/a1"], RDFS.label, Literal("dos líneas", lang="es")) in ds


def test_literals_are_escaped():
    assert literal('a "b"\\c\nd') == '"a \\"b\\"\\\\c\\nd"'
    tricky = 'a "b"\\c\nd\r'
    g = Graph()
    g.parse(data="<http://x/s> <http://x/p> " + literal(tricky) + " .\n", format="nt")
    assert Literal(tricky) in set(g.objects())


# ---- the real files of the bundled sample --------------------------------------------

def subjects_of(ds: Dataset, cls) -> set:
    return set(ds.subjects(RDF.type, cls))


def test_sample_agencies():
    result, ds, _ = run(SAMPLE / "zacatecas_dependencias.csv", load_mapping(MAPPINGS / "zacatecas_agencies.yaml"))
    assert result.rows == 65
    agencies = subjects_of(ds, FIS.StateAgency) | subjects_of(ds, FIS.DecentralisedBody)
    assert len(agencies) == 65
    assert all(str(a).startswith(BASE + "id/body/zac/") for a in agencies)
    assert (ID["body/zac/3"], RDFS.label, Literal("Secretaría de Finanzas", lang="es")) in ds
    assert (ID["body/zac/3"], FIS.acronym, Literal("SEFIN")) in ds
    assert (ID["body/zac/3"], RDF.type, FIS.StateAgency) in ds
    assert (ID["body/zac/60"], RDF.type, FIS.DecentralisedBody) in ds
    assert (ID["body/zac/69"], RDF.type, FIS.DecentralisedBody) in ds
    assert (ID["body/zac/69"], FIS.parentBody, ID["body/zacatecas"]) in ds
    assert (ID["body/zacatecas"], RDF.type, FIS.StateGovernment) in ds
    assert (ID["body/zacatecas"], RDFS.label, Literal("Government of the State of Zacatecas", lang="en")) in ds
    # the state government is described once, and every row that makes it leaves its provenance link
    assert len(list(ds.objects(ID["body/zacatecas"], RDFS.label))) == 2
    assert len(list(ds.objects(ID["body/zacatecas"], PROV.wasDerivedFrom))) == 65


def test_sample_municipalities():
    result, ds, _ = run(SAMPLE / "zacatecas_municipios.csv", load_mapping(MAPPINGS / "zacatecas_municipalities.yaml"))
    assert result.rows == 60
    municipalities = subjects_of(ds, FIS.Municipality)
    assert len(municipalities) == 58
    assert ID["body/zac-mun/56"] in municipalities
    assert ID["body/zac-mun/59"] not in municipalities and ID["body/zac-mun/60"] not in municipalities
    assert (ID["body/zac-mun/56"], RDFS.label, Literal("Zacatecas", lang="es")) in ds


def test_sample_budget_lines():
    result, ds, _ = run(SAMPLE / "pef_2018_zacatecas.csv", load_mapping(MAPPINGS / "shcp_budget_pef.yaml"))
    assert result.rows == 43
    lines = subjects_of(ds, FIS.BudgetLine)
    assert len(lines) == 43
    assert all((line, FIS.location, ID["body/zacatecas"]) in ds for line in lines)
    # each of the 43 rows has aprobado, modificado and pagado; the other stage columns are empty
    amounts = subjects_of(ds, FIS.Amount)
    assert len(amounts) == 43 * 3
    stages = {ds.value(a, FIS.measure) for a in amounts}
    assert stages == {CODE["stage/aprobado"], CODE["stage/modificado"], CODE["stage/pagado"]}
    # the first Zacatecas row of the source: ramo 9, UR 652, partida 62903, aprobado 58800.00, pagado 0.00
    line = ID["budget/2018/9-652-3-5-1-10-k31-62903-3-1-32-16096520001"]
    assert line in lines
    assert (line, FIS.objectOfExpenditure, CODE["cog/62903"]) in ds
    assert (line, FIS.functionalClass, CODE["functional/3.5.1"]) in ds
    assert (line, FIS.budgetHolder, ID["body/ramo-9"]) in ds
    assert (line, FIS.responsibleUnit, ID["body/ramo-9/ur-652"]) in ds
    values = {ds.value(a, FIS.measure): ds.value(a, FIS.value) for a in ds.subjects(FIS.amountOf, line)}
    assert values[CODE["stage/aprobado"]] == Literal("58800", datatype=XSD.decimal)
    assert values[CODE["stage/pagado"]] == Literal("0", datatype=XSD.decimal)


def test_sample_ocds_record_package():
    path = SAMPLE / "ocds_nl_record_package_2.json"
    result, ds, _ = run(path, load_mapping(MAPPINGS / "ocds.yaml"))
    assert result.rows == 1
    ocid = "ocds-7wj9x5-LO-919009986-E9-2018-v001"
    process = ID[f"ocds/{ocid}"]
    assert subjects_of(ds, FIS.ContractingProcess) == {process}
    assert subjects_of(ds, FIS.Contract) == {ID[f"ocds/{ocid}/contract/1804003"]}
    assert subjects_of(ds, FIS.Award) == {ID[f"ocds/{ocid}/award/LO-919009986-E9-2018"]}
    assert (process, FIS.buyer, ID["body/secretaria-de-infraestructura"]) in ds
    assert (ID[f"ocds/{ocid}/tender"], FIS.procurementMethod, CODE["procedure-type/open"]) in ds
    supplier = ID["rfc/DCU801124B41"]
    assert (ID[f"ocds/{ocid}/award/LO-919009986-E9-2018"], FIS.supplier, supplier) in ds
    assert (supplier, FIS.rfc, Literal("DCU801124B41")) in ds
    # tenderers with a valid RFC are keyed by it
    assert {ID["rfc/DCU801124B41"], ID["rfc/LAU8210287I6"], ID["rfc/TOR050912KD6"], ID["rfc/BOS920528KI9"]} <= set(
        ds.objects(ID[f"ocds/{ocid}/tender"], FIS.tenderer))
    payments = subjects_of(ds, FIS.Payment)
    document = json.loads(path.read_text(encoding="utf-8"))
    transactions = document["records"][0]["compiledRelease"]["contracts"][0]["implementation"]["transactions"]
    assert len(payments) == len(transactions) == 81
    for p in payments:
        assert (p, FIS.payee, supplier) in ds
        assert (p, FIS.payer, ID["body/secretaria-de-finanzas-y-tesoreria-general-del-estado"]) in ds
    paid = sum(Decimal(str(ds.value(a, FIS.value))) for a in ds.subjects(FIS.measure, CODE["measure/payment"]))
    assert paid == Decimal("188190131.41")


@pytest.mark.parametrize("name", ["cdmx-compiled-release-1.json", "cdmx-release-package-1.json"])
def test_other_ocds_shapes(name, tmp_path):
    """A compiled release (the document is the record) and a release package map too."""
    release = {
        "ocid": "ocds-test-1", "id": "1", "date": "2015-12-22T00:00:00-06:00", "tag": ["compiled"],
        "buyer": {"name": "SECRETARÍA DE FINANZAS", "identifier": {"id": "GDF9712054NA"}},
        "tender": {"id": "T1", "title": "Arrendamiento", "value": {"amount": 1311264.0, "currency": "MXN"},
                   "procurementMethod": "selective", "unknownField": {"deep": [1, 2]}},
        "x_extension": "ignored",
    }
    path = tmp_path / name
    document = release if "compiled" in name else {"releases": [release], "publisher": {"name": "x"}}
    path.write_text(json.dumps(document), encoding="utf-8")
    _, ds, _ = run(path, load_mapping(MAPPINGS / "ocds.yaml"))
    assert subjects_of(ds, FIS.ContractingProcess) == {ID["ocds/ocds-test-1"]}
    amount = next(ds.subjects(FIS.measure, CODE["measure/tender-value"]))
    assert ds.value(amount, FIS.value) == Literal("1311264", datatype=XSD.decimal)


def test_json_without_records_where_expected(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('[1, 2]', encoding="utf-8")
    exc = problems_of(path, load_mapping(MAPPINGS / "ocds.yaml"))
    assert "x.json: no records where mapping ocds looks for them" in str(exc)


def test_json_record_without_ocid(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"releases": [{"ocid": "ocds-a-1"}, {"id": "2"}]}', encoding="utf-8")
    exc = problems_of(path, load_mapping(MAPPINGS / "ocds.yaml"))
    assert str(exc) == "x.json: 1 rows do not fit mapping ocds"
    [p] = exc.problems
    assert (p.file, p.row, p.column, p.expected) == ("x.json", 2, "ocid", "a record with a value for 'ocid'")


def test_invalid_json(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"records": [', encoding="utf-8")
    exc = problems_of(path, load_mapping(MAPPINGS / "ocds.yaml"))
    assert str(exc).startswith("x.json: is not valid JSON")


def test_unclosed_quote_is_refused(dirty):
    """A quote left open swallows the next lines; strict quoting catches it where it closes wrongly."""
    exc = problems_of(DIRTY / "unclosed_quote.csv", dirty)
    [p] = exc.problems
    assert (p.file, p.row) == ("unclosed_quote.csv", 2)
    assert "well-formed CSV quoting" in p.expected


# ---- every layout of issue #3: a bad file gets a clear report -------------------------------------------

REAL = HERE / "data" / "real"


def _pef_with_a_typo(tmp_path: Path) -> Path:
    source = HERE / "data" / "mapping_cases" / "shcp_budget_pef_real" / "input.csv"
    path = tmp_path / "pef.csv"
    path.write_text(source.read_text(encoding="utf-8").replace(",58800.00,", ',"58,8OO.00",', 1), encoding="utf-8")
    return path


def _trusts_json_without_key(tmp_path: Path) -> Path:
    record = json.loads((HERE / "data" / "mapping_cases" / "shcp_trusts_json_real" / "input.json").read_text("utf-8"))[0]
    path = tmp_path / "fideicomisos.json"
    path.write_text(json.dumps([record, {**record, "Registro": ""}], ensure_ascii=False), encoding="utf-8")
    return path


def _ocds_release_without_date(tmp_path: Path) -> Path:
    path = tmp_path / "paquete.json"
    releases = [{"ocid": "ocds-x-1", "id": "1", "date": "2024-01-01T00:00:00Z", "tender": {"id": "t"}},
                {"ocid": "ocds-x-1", "id": "2", "tender": {"id": "t", "status": "complete"}}]
    path.write_text(json.dumps({"releases": releases}), encoding="utf-8")
    return path


def _pnt_without_header(tmp_path: Path) -> Path:
    from test_readers import write_xlsx

    path = tmp_path / "adjudicaciones.xlsx"
    write_xlsx(path, [[2024, "AD-1", "Artículo 42", "CT-1", "15/03/2024", 1000]])
    return path


BAD_FILES = {
    # id: (file or a function making it, mapping, [(row, column, words of what was expected)])
    "budget_pef": (_pef_with_a_typo, "shcp_budget_pef", [(2, "monto_aprobado", "an amount such as 1,234.56")]),
    "budget_ldf_6a": (DIRTY / "ldf6a_not_adding.csv", "conac_ldf_6a", [
        (3, "modificado", "modificado = aprobado + ampliaciones_reducciones = 900 (off by 100"),
        (4, "etiquetado", "sí/no")]),
    "debt_ldf_2": (DIRTY / "ldf2_unbalanced.csv", "conac_ldf_2", [
        (3, "saldo_final", "= 530000 (off by -10000"),
        (4, "acreedor", "a value listed in lookups/banks.csv")]),
    "trusts_csv": (DIRTY / "trusts_shifted.csv", "shcp_trusts_csv", [(8, "initial_amount_comments",
                                                                       "23 fields as in the header, found 22")]),
    "trusts_json": (_trusts_json_without_key, "shcp_trusts_json", [(2, "Registro", "a record with a value for")]),
    "ocds": (_ocds_release_without_date, "ocds", [(1, "date", "releases that ocdsmerge can merge")]),
    "compranet_amount": (DIRTY / "compranet_bad_amount.csv", "compranet_contracts", [
        (2, "IMPORTE_CONTRATO", "an amount such as 1,234.56")]),
    "compranet_header": (DIRTY / "compranet_missing_column.csv", "compranet_contracts", [
        (1, "CODIGO_CONTRATO", "a column named 'CODIGO_CONTRATO' in the header")]),
    "pnt_xlsx": (_pnt_without_header, "pnt_direct_awards", [(1, None, "a header row naming the columns Ejercicio")]),
    "payments": (DIRTY / "payments_bad.csv", "payments", [
        (3, "fecha_pago", "a date as dd/mm/yyyy"),
        (4, "pagador", "a value listed in lookups/zacatecas_agencies.csv"),
        (5, "rfc_beneficiario", "an RFC"),
        (5, "importe", "an amount")]),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_of_each_layout_is_refused_with_its_problems(case, tmp_path):
    source, name, wanted = BAD_FILES[case]
    path = source(tmp_path) if callable(source) else source
    exc = problems_of(path, load_mapping(MAPPINGS / f"{name}.yaml"))
    got = [(p.row, p.column, p.expected) for p in exc.problems]
    for row, column, words in wanted:
        assert any(r == row and c == column and words in e for r, c, e in got), f"{(row, column, words)} not in {got}"
    assert all(p.file == path.name for p in exc.problems)


def test_a_problem_reads_as_one_sentence_naming_file_row_column_value_and_expectation():
    exc = problems_of(DIRTY / "ldf2_unbalanced.csv", load_mapping(MAPPINGS / "conac_ldf_2.yaml"))
    assert str(exc) == "ldf2_unbalanced.csv: 2 rows do not fit mapping conac_ldf_2"
    assert str(exc.problems[0]) == (
        "ldf2_unbalanced.csv, row 3, column 'saldo_final': got '520,000.00'; expected saldo_final = saldo_inicial "
        "+ disposiciones - amortizaciones + revaluaciones_reclasificaciones = 530000 (off by -10000; check checks[0])")


# ---- --skip-bad-rows: the good rows load, the others go to a rejects file with their reasons ---------------

def test_skip_bad_rows_keeps_the_good_rows_and_lists_the_others():
    rejects = io.StringIO()
    result, ds, _ = run(DIRTY / "ldf2_unbalanced.csv", load_mapping(MAPPINGS / "conac_ldf_2.yaml"),
                        skip_bad_rows=True, rejects=rejects)
    assert (result.rows, result.rejected) == (3, 2)
    assert subjects_of(ds, FIS.DebtObligation) == {ID["debt/PRUEBA-1"]}
    assert not list(ds.triples((None, None, ID["bank/banorte"])))  # nothing of a rejected row is left
    lines = list(csv.reader(io.StringIO(rejects.getvalue())))
    assert lines[0] == ["row", "column", "value", "expected", "record"]
    assert [line[:3] for line in lines[1:]] == [["3", "saldo_final", "520,000.00"], ["4", "acreedor", "Banco Imaginario"]]
    assert lines[1][4] == 'Zacatecas,01/01/2024,31/12/2024,PRUEBA-2,Banorte,"500,000.00","50,000.00","20,000.00",0,"520,000.00",5,0'


def test_skip_bad_rows_with_shifted_columns_keeps_the_record_as_read():
    rejects = io.StringIO()
    result, ds, _ = run(DIRTY / "trusts_shifted.csv", load_mapping(MAPPINGS / "shcp_trusts_csv.yaml"),
                        skip_bad_rows=True, rejects=rejects)
    assert (result.rows, result.rejected) == (2, 1)
    assert subjects_of(ds, FIS.Trust) == {ID["trust/20070211301479"]}
    [header, line] = list(csv.reader(io.StringIO(rejects.getvalue())))
    assert line[0] == "8" and "found 22" in line[3]
    assert next(csv.reader([line[4]]))[:2] == ["5", "2015"]


def test_a_rejected_row_does_not_hide_what_a_later_good_row_says(tmp_path):
    """A bad row's descriptions are not remembered as written: a good row saying the same writes them."""
    path = tmp_path / "deuda.csv"
    lines = (DIRTY / "ldf2_unbalanced.csv").read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], lines[2], lines[2].replace("520,000.00", "530,000.00")]) + "\n", encoding="utf-8")
    result, ds, _ = run(path, load_mapping(MAPPINGS / "conac_ldf_2.yaml"), skip_bad_rows=True, rejects=io.StringIO())
    assert result.rejected == 1
    assert (ID["bank/banorte"], RDF.type, FIS.FinancialInstitution) in ds
    assert set(ds.objects(ID["debt/PRUEBA-2"], PROV.wasDerivedFrom)) == {URIRef(GRAPH + "/row/3")}


def test_ingest_with_skip_bad_rows_into_a_store_and_without(tmp_path):
    from ftm_graph.sources import ingest
    from ftm_graph.store import Store, create_store

    create_store(tmp_path / "store", BASE)
    source = tmp_path / "ldf2.csv"
    source.write_bytes((DIRTY / "ldf2_unbalanced.csv").read_bytes())
    ask = f"ASK {{ <{BASE}id/debt/PRUEBA-1> a <{FIS}DebtObligation> }}"
    with Store(tmp_path / "store") as store:
        before = store.generation
        with pytest.raises(InvalidData):
            ingest(store, [source], mapping_name="conac_ldf_2")
        store.refresh()
        assert store.generation == before and not store.query(ask)
        assert not (tmp_path / "ldf2.csv.rejects.csv").exists()
        [report] = ingest(store, [source], mapping_name="conac_ldf_2", skip_bad_rows=True, rejects_dir=tmp_path / "out")
        store.refresh()
        assert store.query(ask)
    assert (report.rows, report.rejected) == (3, 2)
    assert report.rejects == tmp_path / "out" / "ldf2.csv.rejects.csv"
    with report.rejects.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["row"], r["column"]) for r in rows] == [("3", "saldo_final"), ("4", "acreedor")]


# ---- real files of the new layouts, whole -----------------------------------------------------------------

def test_the_whole_real_trust_report_of_2015_maps():
    """Quoted multi-line fields and \\"-escaped quotes: every record reads. One record (id 349) is empty
    but for its id and a year 0: the file is refused by default, the record left out with --skip-bad-rows."""
    mapping = load_mapping(MAPPINGS / "shcp_trusts_csv.yaml")
    exc = problems_of(REAL / "trusts_2015.csv", mapping)
    assert [(p.row, p.column, p.value) for p in exc.problems] == [(2084, "registry", "")]
    rejects = io.StringIO()
    result, ds, _ = run(REAL / "trusts_2015.csv", mapping, skip_bad_rows=True, rejects=rejects)
    assert (result.rows, result.rejected) == (348, 1)
    assert next(csv.reader([list(csv.reader(io.StringIO(rejects.getvalue())))[1][4]]))[0] == "349"
    trusts = subjects_of(ds, FIS.Trust)
    assert len(trusts) == 347
    banks = set(ds.subjects(RDF.type, FIS.FinancialInstitution))
    assert {ID["bank/banobras"], ID["bank/banorte"], ID["bank/bbva"], ID["bank/nafin"]} <= banks
    # "BANOBRAS" in this file and "Banco Nacional de Obras y Servicios Públicos" elsewhere are one node
    assert len([t for t in trusts if (t, FIS.trustee, ID["bank/banobras"]) in ds]) == 42  # rows saying BANOBRAS


def test_ocds_without_parties_names_buyer_suppliers_payers_and_payees():
    """Mexico City's OCDS (no parties list): organisations come from buyer, suppliers and transactions."""
    result, ds, _ = run(REAL / "cdmx-record-package_package.json", load_mapping(MAPPINGS / "ocds.yaml"))
    assert result.rows == 2
    process = ID["ocds/OCDS-87SD3T-AD-SF-DRM-063-2015"]
    assert (process, FIS.buyer, ID["rfc/GDF9712054NA"]) in ds
    assert (ID["rfc/GDF9712054NA"], RDFS.label, Literal("SECRETARÍA DE FINANZAS", lang="es")) in ds
    award = ID["ocds/OCDS-87SD3T-AD-SF-DRM-063-2015/award/1"]
    assert (award, FIS.supplier, ID["rfc/C&C021030KX2"]) in ds
    payment = ID["payment/0901/CLC0010000009-2016"]
    assert (payment, FIS.payee, ID["rfc/C&C021030KX2"]) in ds
    assert (payment, FIS.payer, ID["body/secretaria-de-finanzas"]) in ds
    amount = next(ds.subjects(FIS.amountOf, payment))
    assert ds.value(amount, FIS.value) == Literal("109272", datatype=XSD.decimal)


def test_the_whole_real_compranet_sample_maps_and_its_suppliers_are_one_node_each():
    result, ds, _ = run(REAL / "compranet_contratos_2018_sample.csv", load_mapping(MAPPINGS / "compranet_contracts.yaml"))
    assert result.rows == 169
    assert len(subjects_of(ds, FIS.Contract)) == 169
    with (REAL / "compranet_contratos_2018_sample.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(subjects_of(ds, FIS.Organization)) <= len({r["PROVEEDOR_CONTRATISTA"] for r in rows})


def test_pnt_tenders_format_43336_maps_a_row(tmp_path):
    header = ["Ejercicio", "Tipo de procedimiento (catálogo)", "Número de expediente, folio o nomenclatura",
              "Descripción de las obras, bienes o servicios", "Razón social del contratista o proveedor",
              "RFC de la persona física o moral contratista o proveedor", "Número que identifique al contrato ",
              "Fecha del contrato", "Monto total del contrato con impuestos incluidos (MXN)"]
    path = tmp_path / "licitaciones.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, ["2024", "Licitación pública", "LP-7", "Uniformes",
                                          "Textiles del Centro, S.A. de C.V.", "TCE010101AB1", "C-9", "01/06/2024",
                                          "$1,160,000.00"]])
    result, ds, _ = run(path, load_mapping(MAPPINGS / "pnt_tenders.yaml"))
    process, contract = ID["procurement/pnt/2024/LP-7"], ID["procurement/pnt/2024/LP-7/contract/C-9"]
    assert (process, FIS.procurementMethod, CODE["procedure-type/licitacion-publica"]) in ds
    assert (contract, FIS.supplier, ID["rfc/TCE010101AB1"]) in ds
    assert (ID["rfc/TCE010101AB1"], RDF.type, FIS.Company) in ds
    [amount] = ds.subjects(FIS.amountOf, contract)
    assert ds.value(amount, FIS.value) == Literal("1160000", datatype=XSD.decimal)
