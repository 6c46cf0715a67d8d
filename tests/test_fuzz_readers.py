"""Hostile source files against the readers (CSV, XLSX, JSON, JSON Lines, OCDS) and the mapping engine.

Property, for every file: `map_file` either raises an `ftm_graph.errors` error whose message names the
file (and whose problems name it too), or succeeds with output that parses as N-Quads, all in the file's
graph. Never another exception. Random bytes, truncated real files, wrong encodings, BOMs, NUL bytes,
odd delimiters and shifted columns are generated with hypothesis; huge cells and deeply nested or huge
JSON are fixed cases. (Through the store and the CLI: test_fuzz_mappings.py.)
"""

import codecs
import io
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_readers import write_xlsx

from ftm_graph.detect import detect_mapping
from ftm_graph.errors import FtmGraphError, InvalidData, UnknownKind
from ftm_graph.ingest import map_file
from ftm_graph.mapping import load_mappings

BASE = "http://127.0.0.1:8000/"
GRAPH = BASE + "graph/fuzz"
SAMPLE = Path(__file__).parent.parent / "sample"
MAPPINGS = load_mappings()
FUZZ = settings(max_examples=40, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
#: A payments file (mappings/payments.yaml) that loads: the base of the mutations below.
HEADER = ["id_pago", "fecha_pago", "importe", "beneficiario", "id_pagador", "concepto"]
ROWS = [["P-1", "01/02/2020", "1,500.00", "Constructora Pérez Ñandú, S.A. de C.V.", "3", "Anticipo"],
        ["P-2", "15/03/2020", "250.5", "Juan López", "3", "Estimación 1"]]


def check_map(path: Path, mapping: str, **options):
    """Map a file under the property: a clear error naming the file, or N-Quads that parse. Returns either."""
    out = io.StringIO()
    try:
        result = map_file(path, MAPPINGS[mapping], base_uri=BASE, graph_iri=GRAPH, out=out, **options)
    except FtmGraphError as exc:
        assert path.name in str(exc), f"the message does not name the file: {exc}"
        for problem in getattr(exc, "problems", []):
            assert problem.file == path.name, problem
        return exc
    quads = list(ox.parse(out.getvalue().encode("utf-8"), format=ox.RdfFormat.N_QUADS))
    assert len(quads) == result.triples
    assert {q.graph_name.value for q in quads} <= {GRAPH}
    return result


def csv_text(header: list[str], rows: list[list[str]], delimiter: str = ",") -> str:
    buf = io.StringIO()
    import csv

    # "\r\n" as Excel writes it: csv.writer then quotes a cell holding "\r" too (with "\n" alone it would not,
    # and a bare "\r" in a cell would end the line for any CSV reader)
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows([header, *rows])
    return buf.getvalue()


# Random and truncated files ------------------------------------------------------------------------


@FUZZ
@given(data=st.binary(max_size=3000), kind=st.sampled_from([(".csv", "payments"), (".json", "ocds"),
                                                             (".jsonl", "ocds"), (".json", "shcp_trusts_json"),
                                                             (".xlsx", "payments"), (".txt", "payments")]))
def test_random_bytes(tmp_path, data, kind):
    suffix, mapping = kind
    path = tmp_path / f"aleatorio{suffix}"
    path.write_bytes(data)
    check_map(path, mapping)


REAL_FILES = [("pef_2018_zacatecas.csv", "shcp_budget_pef"), ("ocds_nl_record_package_2.json", "ocds"),
              ("zacatecas_deuda_obligaciones.csv", "rpu_obligations")]


@FUZZ
@given(which=st.sampled_from(REAL_FILES), cut=st.floats(min_value=0.0, max_value=1.0))
def test_truncated_real_files(tmp_path, which, cut):
    name, mapping = which
    data = (SAMPLE / name).read_bytes()
    path = tmp_path / f"cortado{Path(name).suffix}"
    path.write_bytes(data[: int(len(data) * cut)])
    check_map(path, mapping)


def test_the_real_files_load_whole(tmp_path):
    """The base of the truncation test: each whole file maps (so a cut file's error comes from the cut)."""
    for name, mapping in REAL_FILES:
        assert check_map(SAMPLE / name, mapping).rows > 0


# Encodings, BOMs, NUL bytes, delimiters, shifted columns -------------------------------------------


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16", "utf-16-le", "utf-32"])
DECLARED = st.sampled_from([None, "utf-8", "latin-1", "cp1252", "auto", "utf-8-sig", "klingon"])


@FUZZ
@given(encoding=ENCODINGS, declared=DECLARED, delimiter=st.sampled_from([",", ";", "\t", "|", " ", "\x00"]))
def test_encodings_boms_and_delimiters(tmp_path, encoding, declared, delimiter):
    path = tmp_path / "pagos.csv"
    text = csv_text(HEADER, ROWS, delimiter)
    try:
        path.write_bytes(text.encode(encoding))
    except UnicodeEncodeError:
        return
    result = check_map(path, "payments", encoding=declared)
    if encoding in ("utf-8", "utf-8-sig") and declared in (None, "utf-8", "auto", "utf-8-sig") and delimiter in ",;\t|":
        assert not isinstance(result, Exception), result  # a well-formed file in a declared-right encoding loads
        assert result.rows == 2


def test_latin1_declared_utf8_names_the_line_and_byte(tmp_path):
    path = tmp_path / "pagos.csv"
    path.write_bytes(csv_text(HEADER, ROWS).encode("latin-1"))
    error = check_map(path, "payments", encoding="utf-8")
    assert isinstance(error, InvalidData) and "0xE9" in str(error) and "line 2" in str(error)


@FUZZ
@given(position=st.integers(min_value=0, max_value=10_000), byte=st.sampled_from([b"\x00", b"\xef\xbb\xbf",
                                                                                    b"\r", b'"', b"\xff\xfe"]))
def test_stray_bytes_anywhere(tmp_path, position, byte):
    data = csv_text(HEADER, ROWS).encode("utf-8")
    position %= len(data) + 1
    path = tmp_path / "pagos.csv"
    path.write_bytes(data[:position] + byte + data[position:])
    check_map(path, "payments")


@FUZZ
@given(row=st.integers(0, 1), change=st.sampled_from(["drop", "add", "add-empty", "swap"]), at=st.integers(0, 5))
def test_shifted_columns(tmp_path, row, change, at):
    rows = [list(r) for r in ROWS]
    if change == "drop":
        del rows[row][at]
    elif change == "add":
        rows[row].insert(at, "desplazado")
    elif change == "add-empty":
        rows[row].append("")
    else:
        rows[row][at], rows[row][(at + 1) % 6] = rows[row][(at + 1) % 6], rows[row][at]
    path = tmp_path / "pagos.csv"
    path.write_text(csv_text(HEADER, rows), encoding="utf-8")
    result = check_map(path, "payments")
    if change in ("drop", "add"):
        assert isinstance(result, InvalidData)
        assert any(p.row == row + 2 for p in result.problems), result.problems


@settings(FUZZ, max_examples=15)
@given(cells=st.lists(st.lists(st.one_of(st.text(max_size=30), st.integers(), st.floats(allow_nan=True),
                                         st.dates(), st.none()), min_size=6, max_size=8), min_size=1, max_size=4))
def test_spreadsheets_with_any_cells(tmp_path, cells):
    path = tmp_path / "pagos.xlsx"
    clean_cells = [[c if not isinstance(c, str) else "".join(ch for ch in c if ch.isprintable()) for c in row]
                   for row in cells]
    write_xlsx(path, [HEADER, *clean_cells])
    check_map(path, "payments")


# Huge cells, deep and huge JSON --------------------------------------------------------------------


@pytest.mark.parametrize("where", ["row", "quoted-row", "header"])
def test_a_10_mb_cell_is_a_clear_problem(tmp_path, where):
    big = "x" * (10 << 20)
    path = tmp_path / "grande.csv"
    if where == "header":
        path.write_text(",".join(HEADER) + "," + big + "\n" + ",".join(ROWS[0]) + ",\n", encoding="utf-8")
    else:
        cell = f'"{big}"' if where == "quoted-row" else big
        path.write_text(",".join(HEADER) + "\n" + ",".join(ROWS[0][:3]) + f",{cell},3,c\n", encoding="utf-8")
    error = check_map(path, "payments")
    assert isinstance(error, InvalidData), error
    assert "131,072" in str(error.problems) or "field limit" in str(error), error.problems


DEEP = 100_000


@pytest.mark.parametrize("text,suffix", [
    ("[" * DEEP + "]" * DEEP, ".json"),
    ('{"releases": ' + '{"a": ' * DEEP + "1" + "}" * DEEP + "}", ".json"),
    ('{"ocid": "x", "a": ' + "[" * DEEP + "]" * DEEP + "}\n" + '{"ocid": "y"}\n', ".jsonl"),
    ('{"releases": [{"ocid": "a", "id": "1", "date": "2020-01-01", "tender": ' + '{"x": ' * 5000 + "1"
     + "}" * 5000 + "}]}", ".json"),
], ids=["arrays", "objects", "json-lines", "inside-a-release"])
@pytest.mark.parametrize("mapping", ["ocds", "shcp_trusts_json"])
def test_deeply_nested_json_is_a_clear_error(tmp_path, text, suffix, mapping):
    path = tmp_path / f"profundo{suffix}"
    path.write_text(text, encoding="utf-8")
    result = check_map(path, mapping)
    assert isinstance(result, InvalidData) or result.rows <= 2


def test_deeply_nested_json_is_not_a_known_kind(tmp_path):
    path = tmp_path / "profundo.json"
    path.write_text("[" * DEEP + "]" * DEEP, encoding="utf-8")
    with pytest.raises(UnknownKind, match="profundo.json"):
        detect_mapping(path, MAPPINGS)


@pytest.mark.slow
def test_a_huge_ocds_array_maps_in_bounded_time(tmp_path):
    """20,000 releases of 10,000 processes (4 MB): merged and mapped, never a crash. (100,000 releases, 22 MB,
    streamed, took 76 s on 2 busy cores: about 1,300 releases/s through ocdsmerge and the mapping.)"""
    releases = [{"ocid": f"ocds-x-{i // 2}", "id": str(i), "date": "2020-01-01T00:00:00Z", "tag": ["tender"],
                 "tender": {"id": f"t{i // 2}", "title": "Obra", "value": {"amount": 1000 + i, "currency": "MXN"}}}
                for i in range(20_000)]
    path = tmp_path / "paquete.json"
    path.write_text(json.dumps({"uri": "https://example.org", "publishedDate": "2020-01-01T00:00:00Z",
                                "releases": releases}), encoding="utf-8")
    result = check_map(path, "ocds")
    assert not isinstance(result, Exception), result
    assert result.rows == 10_000


def test_a_huge_array_of_non_releases_is_refused_with_a_short_list(tmp_path):
    path = tmp_path / "vacios.json"
    path.write_text(json.dumps({"releases": [{}] * 200_000}), encoding="utf-8")
    error = check_map(path, "ocds")
    assert isinstance(error, InvalidData) and len(error.problems) <= 50


def test_every_codec_named_in_a_bom_is_read_or_refused(tmp_path):
    for bom in (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE):
        path = tmp_path / "bom.csv"
        path.write_bytes(bom + csv_text(HEADER, ROWS).encode("utf-8"))
        result = check_map(path, "payments")
        if bom == codecs.BOM_UTF8:
            assert result.rows == 2
