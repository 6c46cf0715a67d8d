"""Reading source files: streamed CSV, spreadsheets, JSON Lines, OCDS packages merged with ocdsmerge."""

import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from ftm_graph.errors import InvalidData
from ftm_graph.ingest import map_file
from ftm_graph.mapping import load_mapping
from ftm_graph.readers import cell_text, compiled_releases, open_rows

HERE = Path(__file__).parent
REAL = HERE / "data" / "real"
MAPPINGS = HERE.parent / "mappings"
BASE = "http://127.0.0.1:8000/"
GRAPH = BASE + "graph/test"

# ---- a minimal .xlsx writer (Office Open XML, ECMA-376), standard library only, for fixtures ----------
# Cells: str (inline string), int/float (number), datetime.date (a serial styled as a date), None (empty).
_EPOCH = date(1899, 12, 30)


def _col(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _cell(ref: str, value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return f'<c r="{ref}" s="1"><v>{(value - _EPOCH).days}</v></c>'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(str(value))}</t></is></c>'


def write_xlsx(path: Path, rows: list[list], sheet: str = "Reporte") -> None:
    body = "".join(
        f'<row r="{r}">' + "".join(_cell(f"{_col(c)}{r}", v) for c, v in enumerate(row)) + "</row>"
        for r, row in enumerate(rows, start=1)
    )
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet)}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
        'Target="styles.xml"/></Relationships>',
        "xl/styles.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        "</styleSheet>",
        "xl/worksheets/sheet1.xml": '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{body}</sheetData></worksheet>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)


# ---- CSV, streamed -------------------------------------------------------------------------------------

DICTIONARY_MAPPING = """
name: dictionary
version: 1
kind: catalogue
title: {es: Diccionario, en: Dictionary}
description: The variables of a data dictionary.
source:
  format: csv
  required: [Nombre, Tipo]
  optional: [Obligatoria, Observaciones]
entities:
  variable:
    iri: "variable/{Nombre|code}"
    class: skos:Concept
    label: {es: "{Nombre}"}
    properties:
      - {property: skos:definition, column: Observaciones, lang: es}
      - {property: dct:type, column: Tipo}
"""


@pytest.fixture(scope="module")
def dictionary_mapping(tmp_path_factory):
    path = tmp_path_factory.mktemp("m") / "dictionary.yaml"
    path.write_text(DICTIONARY_MAPPING, encoding="utf-8")
    return load_mapping(path)


def test_a_real_spreadsheet_with_title_rows_above_its_header(dictionary_mapping):
    """CompraNet's data dictionary: six rows of title and notes, the header on sheet row 7."""
    rows = open_rows(HERE / "data" / "real" / "diccionario_compranet_contratos.xlsx", dictionary_mapping)
    assert rows.header[:3] == ["Nombre", "Obligatoria", "Tipo"]
    records = list(rows)
    assert records[0][0] == 8  # the sheet's row number
    assert records[0][1]["Nombre"] == "GOBIERNO"
    assert records[0][1]["Observaciones"].startswith("Indica el tipo de gobierno.\nAPF")
    assert any(r["Nombre"] == "PROVEEDOR_CONTRATISTA" for _, r in records if r)


def test_the_same_rows_from_csv_and_from_xlsx(dictionary_mapping, tmp_path):
    table = [["Nombre", "Tipo", "Observaciones"], ["IMPORTE", "Numérico", "Monto, con IVA"],
             ["FECHA", "Fecha", None], ["CLAVE", 7, "x"]]
    write_xlsx(tmp_path / "d.xlsx", table)
    with (tmp_path / "d.csv").open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([["" if v is None else v for v in row] for row in table])
    got = {}
    for name in ("d.xlsx", "d.csv"):
        out = io.StringIO()
        map_file(tmp_path / name, dictionary_mapping, base_uri=BASE, graph_iri=GRAPH, out=out)
        got[name] = sorted(out.getvalue().splitlines())
    assert got["d.xlsx"] == got["d.csv"]
    assert any('"Monto, con IVA"@es' in line for line in got["d.csv"])


def test_spreadsheet_cells_read_as_a_csv_would_hold_them():
    from datetime import datetime

    assert cell_text(43210.0) == "43210"
    assert cell_text(1234.5) == "1234.5"
    assert cell_text(date(2018, 4, 20)) == "2018-04-20"
    assert cell_text(datetime(2018, 4, 20, 0, 0)) == "2018-04-20"
    assert cell_text(datetime(2018, 4, 20, 9, 30)) == "2018-04-20T09:30:00"
    assert cell_text(None) == "" and cell_text(True) == "true"


def test_a_dated_cell_in_a_spreadsheet_becomes_an_iso_date(tmp_path):
    write_xlsx(tmp_path / "x.xlsx", [["Nombre", "Tipo"], ["A", date(2024, 3, 15)]])
    mapping = load_mapping(MAPPINGS / "zacatecas_agencies.yaml")  # any CSV mapping: we only read rows here
    rows = open_rows(tmp_path / "x.xlsx", _like(mapping, ["Nombre", "Tipo"]))
    assert [r for _, r in rows] == [{"Nombre": "A", "Tipo": "2024-03-15"}]


def _like(mapping, required):
    """The mapping with other required columns (for reading tests)."""
    from dataclasses import replace

    return replace(mapping, source=replace(mapping.source, required=tuple(required), optional=()))


def test_a_file_that_is_not_a_spreadsheet_is_refused_clearly(tmp_path, dictionary_mapping):
    (tmp_path / "x.xlsx").write_text("Nombre,Tipo\nA,B\n", encoding="utf-8")
    with pytest.raises(InvalidData) as info:
        open_rows(tmp_path / "x.xlsx", dictionary_mapping)
    assert "x.xlsx: cannot be read as a spreadsheet" in str(info.value)


def test_a_bad_byte_far_into_a_utf8_file_is_found_with_its_line(tmp_path, dictionary_mapping):
    """The encoding is checked in blocks (flat memory): the line is still right past the first block."""
    lines = ["Nombre,Tipo"] + [f"V{n},Texto" for n in range(100_000)]
    data = ("\n".join(lines) + "\n").encode("utf-8") + "Año,Tipo\n".encode("cp1252")
    path = tmp_path / "big.csv"
    path.write_bytes(data)
    declared = _like(dictionary_mapping, ["Nombre", "Tipo"])
    from dataclasses import replace

    utf8 = replace(declared, source=replace(declared.source, encoding="utf-8"))
    with pytest.raises(InvalidData) as info:
        open_rows(path, utf8)
    [p] = info.value.problems
    assert p.row == 100_002 and "0xF1" in str(info.value)
    rows = list(open_rows(path, declared))  # auto: the whole file is read as Windows-1252
    assert rows[-1][1] == {"Nombre": "Año", "Tipo": "Tipo"}


def test_a_csv_file_is_read_as_a_stream_not_whole(tmp_path, dictionary_mapping):
    """After the first row, only a block of a 6 MB file has been read (peak memory is in bench/bench_ingest.py)."""
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("Nombre,Tipo,Observaciones\n")
        for n in range(100_000):
            f.write(f"V{n},Texto,Una observación bastante larga {n}\n")
    assert path.stat().st_size > 4_000_000
    rows = open_rows(path, dictionary_mapping)
    reading = iter(rows)
    first = next(reading)
    assert first[1]["Nombre"] == "V0"
    assert rows.handle.buffer.tell() < 200_000
    reading.close()
    assert rows.handle.closed


def test_title_rows_above_a_csv_header_are_skipped(tmp_path, dictionary_mapping):
    path = tmp_path / "t.csv"
    path.write_text("Reporte de variables\nGenerado el 01/02/2024\n\nNombre,Tipo\nA,B\n", encoding="utf-8")
    rows = open_rows(path, dictionary_mapping)
    assert rows.header == ["Nombre", "Tipo"]
    assert list(rows) == [(5, {"Nombre": "A", "Tipo": "B", "Observaciones": "", "Obligatoria": ""})]


# ---- OCDS -------------------------------------------------------------------------------------------------

def _documents(*docs):
    return ((0, d) for d in docs)


def test_releases_of_a_real_package_merge_into_the_published_compiled_release():
    """Mexico City's release package (2 releases of one process) merged with ocdsmerge gives the
    compiled release the same publisher published, for every field the mapping reads."""
    real = HERE / "data" / "real"
    mapping = load_mapping(MAPPINGS / "ocds.yaml")
    outputs = []
    for name in ("cdmx-release-package-1.json", "cdmx-compiled-release-1.json"):
        out = io.StringIO()
        result = map_file(real / name, mapping, base_uri=BASE, graph_iri=GRAPH, out=out)
        assert result.rows == 1
        outputs.append(sorted(out.getvalue().splitlines()))
    assert outputs[0] == outputs[1]
    assert any("/payment/0901/CLC0010000009-2016>" in line for line in outputs[0])


def test_record_without_compiled_release_is_merged_from_its_embedded_releases():
    doc = {"records": [{"ocid": "ocds-x-1", "releases": [
        {"ocid": "ocds-x-1", "id": "1", "date": "2020-01-01T00:00:00Z", "tag": ["tender"],
         "tender": {"id": "t", "title": "Primero", "status": "active"}},
        {"ocid": "ocds-x-1", "id": "2", "date": "2020-02-01T00:00:00Z", "tag": ["tenderUpdate"],
         "tender": {"id": "t", "status": "cancelled"}}]}]}
    [(n, compiled)] = list(compiled_releases(_documents(doc), "x.json"))
    assert n == 1
    assert compiled["tender"] == {"id": "t", "title": "Primero", "status": "cancelled"}
    assert compiled["tag"] == ["compiled"]


def test_linked_releases_cannot_be_fetched_and_say_so():
    doc = {"records": [{"ocid": "ocds-x-1", "releases": [{"url": "https://example.org/r/1.json", "date": "2020"}]}]}
    [(n, problem)] = list(compiled_releases(_documents(doc), "x.json"))
    assert n == 1 and "linked releases cannot be fetched" in problem.expected


def test_a_release_without_a_date_among_several_is_a_problem_of_its_process():
    releases = [{"ocid": "ocds-x-1", "id": "1", "date": "2020-01-01T00:00:00Z"}, {"ocid": "ocds-x-1", "id": "2"}]
    [(n, problem)] = list(compiled_releases(_documents({"releases": releases}), "x.json"))
    assert (n, problem.column, problem.value) == (1, "date", "ocds-x-1")


def test_json_lines_of_releases_are_grouped_by_process_and_merged(tmp_path):
    lines = [
        {"ocid": "ocds-x-1", "id": "1", "date": "2020-01-01T00:00:00Z", "tender": {"id": "t", "title": "A"}},
        {"ocid": "ocds-x-2", "id": "1", "date": "2020-01-05T00:00:00Z", "tender": {"id": "t", "title": "B"}},
        {"ocid": "ocds-x-1", "id": "2", "date": "2020-03-01T00:00:00Z", "tender": {"id": "t", "status": "complete"}},
    ]
    path = tmp_path / "releases.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    rows = list(open_rows(path, load_mapping(MAPPINGS / "ocds.yaml")))
    assert [(n, r[0]["ocid"], r[0]["tender"]) for n, r in rows] == [
        (1, "ocds-x-1", {"id": "t", "title": "A", "status": "complete"}),
        (2, "ocds-x-2", {"id": "t", "title": "B"}),
    ]


def test_a_bad_line_of_json_lines_is_named(tmp_path):
    path = tmp_path / "releases.jsonl"
    path.write_text('{"ocid": "ocds-x-1", "id": "1", "date": "2020-01-01"}\n{"ocid": \n', encoding="utf-8")
    with pytest.raises(InvalidData) as info:
        list(open_rows(path, load_mapping(MAPPINGS / "ocds.yaml")))
    assert str(info.value).startswith("releases.jsonl: line 2 is not valid JSON")


def test_a_zip_is_not_json(tmp_path):
    path = tmp_path / "x.json"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.json", "{}")
    with pytest.raises(InvalidData) as info:
        list(open_rows(path, load_mapping(MAPPINGS / "ocds.yaml")))
    assert "x.json: is not UTF-8 JSON" in str(info.value) or "is not valid JSON" in str(info.value)


def test_the_layout_of_a_spreadsheet_with_title_rows_is_detected():
    from ftm_graph.mapping import detect_mapping, load_mappings

    path = HERE / "data" / "mapping_cases" / "pnt_direct_awards_xlsx" / "input.xlsx"
    assert detect_mapping(path, load_mappings()).name == "pnt_direct_awards"


@pytest.mark.parametrize(("folder", "mapping"), [
    ("compranet_contracts_real", "compranet_contracts"), ("shcp_trusts_csv_real", "shcp_trusts_csv"),
    ("shcp_trusts_json_real", "shcp_trusts_json"), ("conac_ldf_6a", "conac_ldf_6a"), ("conac_ldf_2", "conac_ldf_2"),
    ("payments", "payments"), ("ocds_releases_merged", "ocds"), ("shcp_budget_pef_real", "shcp_budget_pef"),
])
def test_each_new_layout_is_detected_from_its_header(folder, mapping):
    from ftm_graph.mapping import detect_mapping, load_mappings

    [path] = [p for p in (HERE / "data" / "mapping_cases" / folder).iterdir() if p.stem == "input"]
    assert detect_mapping(path, load_mappings()).name == mapping
