"""JSON read as a stream (ijson): packages of any size in flat memory, releases far apart merged, faults named."""

import json
import tracemalloc
from pathlib import Path

import pytest

from ftm_graph import json_reader
from ftm_graph.errors import InvalidData
from ftm_graph.json_reader import StreamedArray, json_documents
from ftm_graph.mapping import detect_mapping, load_mapping, load_mappings
from ftm_graph.ocds_reader import compiled_releases, ocds_stream
from ftm_graph.readers import header_names, open_rows

MAPPINGS = Path(__file__).parent.parent / "mappings"


@pytest.fixture
def streaming(monkeypatch):
    """Stream every JSON file, however small (by default only files of json_reader.STREAM_FROM bytes are)."""
    monkeypatch.setattr(json_reader, "STREAM_FROM", 0)


def _release(ocid: str, rid: str, date: str, **tender) -> dict:
    return {"ocid": ocid, "id": rid, "date": date, "tag": ["tender"], "tender": {"id": "t", **tender}}


def _write(path: Path, doc, bom: bool = False) -> Path:
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + json.dumps(doc, ensure_ascii=False).encode("utf-8"))
    return path


@pytest.mark.parametrize("memory", [1, 1000], ids=["spilled to disk", "in memory"])
def test_releases_of_one_process_far_apart_in_a_package_are_merged(streaming, tmp_path, memory):
    """Each process's releases are merged whether they wait in memory or in the temporary file."""
    releases = [
        _release("ocds-x-1", "1", "2020-01-01T00:00:00Z", title="Uno"),
        _release("ocds-x-2", "1", "2020-01-02T00:00:00Z", title="Dos"),
        _release("ocds-x-3", "1", "2020-01-03T00:00:00Z", title="Tres"),
        _release("ocds-x-1", "2", "2020-02-01T00:00:00Z", status="complete"),
        _release("ocds-x-2", "2", "2020-02-02T00:00:00Z", status="cancelled"),
    ]
    path = _write(tmp_path / "package.json", {"uri": "https://example.org/p", "publisher": {"name": "X"},
                                              "releases": releases})
    docs = json_documents(path, path.name, ocds_stream)
    got = [(n, c["ocid"], c["tender"]) for n, c in compiled_releases(docs, path.name, memory_releases=memory)]
    assert got == [
        (1, "ocds-x-1", {"id": "t", "title": "Uno", "status": "complete"}),
        (2, "ocds-x-2", {"id": "t", "title": "Dos", "status": "cancelled"}),
        (3, "ocds-x-3", {"id": "t", "title": "Tres"}),
    ]


def test_a_record_package_is_read_one_record_at_a_time(streaming, tmp_path):
    """Reading every record of an 8 MB package allocates far less than the file holds (json.load: ~5x it)."""
    record = {"ocid": "ocds-x-{}", "compiledRelease": {"ocid": "ocds-x-{}", "tender": {
        "id": "t", "title": "Adquisición de material " * 20, "items": [{"id": str(i), "quantity": i} for i in range(20)]}}}
    text = json.dumps(record)
    path = tmp_path / "records.json"
    with path.open("w", encoding="utf-8") as f:
        f.write('{"uri": "https://example.org/p", "records": [')
        f.write(",".join(text.replace("{}", str(n)) for n in range(6500)))
        f.write("]}")
    assert path.stat().st_size > 8_000_000
    rows = open_rows(path, load_mapping(MAPPINGS / "ocds.yaml"))
    tracemalloc.start()
    try:
        count = sum(1 for _ in rows)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 6500
    assert peak < 2_000_000


def test_a_package_with_a_byte_order_mark_is_streamed(streaming, tmp_path):
    path = _write(tmp_path / "bom.json", {"releases": [_release("ocds-x-1", "1", "2020-01-01T00:00:00Z")]}, bom=True)
    [(_, doc)] = json_documents(path, path.name, ocds_stream)
    assert isinstance(doc, StreamedArray) and doc.key == "releases"
    assert [r["ocid"] for r in doc.items] == ["ocds-x-1"]


def test_a_record_whose_ocid_comes_first_is_read_whole_as_a_record(streaming, tmp_path):
    """Top-level releases after an ocid are a record's releases, not a package: they merge under the record."""
    record = {"ocid": "ocds-x-1", "releases": [_release("ocds-x-1", "1", "2020-01-01T00:00:00Z", title="A"),
                                               _release("ocds-x-1", "2", "2020-03-01T00:00:00Z", status="active")]}
    path = _write(tmp_path / "record.json", record)
    [(_, doc)] = json_documents(path, path.name, ocds_stream)
    assert doc == record
    [(n, compiled)] = compiled_releases([(0, doc)], path.name)
    assert (n, compiled["tender"]) == (1, {"id": "t", "title": "A", "status": "active"})


def test_a_small_malformed_package_is_named_with_line_and_column(tmp_path):
    """A file under STREAM_FROM is parsed whole by Python's json, which names line and column."""
    path = tmp_path / "bad.json"
    path.write_text('{"releases": [\n{"ocid": "a", "id": "1"},\n{"ocid": "b" "id": "2"}\n]}', encoding="utf-8")
    with pytest.raises(InvalidData) as info:
        list(open_rows(path, load_mapping(MAPPINGS / "ocds.yaml")))
    assert str(info.value) == "bad.json: is not valid JSON: Expecting ',' delimiter: line 3 column 14 (char 54)"
    assert info.value.problems[0].row == 3


def test_a_malformed_streamed_file_is_named_by_byte_and_line(streaming, tmp_path):
    """The fault is placed from what the streaming parser shows of the text around it."""
    good = "".join(f'{{"ocid": "ocds-x-{n}", "id": "1", "date": "2020-01-01"}},\n' for n in range(3000))
    text = '{"releases": [\n' + good + '{"ocid": "ocds-bad" "id": "1"}\n]}'
    path = tmp_path / "big.json"
    path.write_text(text, encoding="utf-8")
    fault = text.index('"id": "1"}\n]}')  # where a ',' or '}' was due: the parser stops inside this token
    with pytest.raises(InvalidData) as info:
        list(open_rows(path, load_mapping(MAPPINGS / "ocds.yaml")))
    message = str(info.value)
    assert message.startswith("big.json: is not valid JSON: parse error: after key and value, inside map, "
                              "I expect ',' or '}' at byte ")
    byte = int(message.split("at byte ")[1].split()[0])
    assert fault <= byte < fault + len('"id"') and message.endswith("(line 3002)")
    [problem] = info.value.problems
    assert problem.row == 3002 and '"ocds-bad" "id": "1"}' in problem.value


def test_json_that_is_not_utf8_says_so(streaming, tmp_path):
    path = tmp_path / "latin.json"
    path.write_bytes('{"releases": [{"ocid": "a", "title": "Adquisición"}]}'.encode("cp1252"))
    with pytest.raises(InvalidData) as info:
        list(open_rows(path, load_mapping(MAPPINGS / "ocds.yaml")))
    assert str(info.value) == "latin.json: is not UTF-8 JSON"


def test_records_under_a_member_are_streamed_and_paths_applied(streaming, tmp_path):
    """A mapping's records path 'data[].record' streams the top-level 'data' array, whatever comes before it."""
    mapping = tmp_path / "m.yaml"
    mapping.write_text("""
name: m
version: 1
kind: payments
title: {es: Pagos, en: Payments}
description: test
source: {format: json, records: ["data[].record"], required: [id]}
entities:
  p: {iri: "payment/{id}", class: fis:Payment}
""", encoding="utf-8")
    path = _write(tmp_path / "in.json", {"meta": {"n": 3}, "data": [{"record": {"id": "a"}}, {"other": 1},
                                                                     {"record": {"id": "b"}}]})
    [(_, doc)] = json_documents(path, path.name, json_reader._records_stream(("data[].record",)))
    assert isinstance(doc, StreamedArray) and doc.members == {"meta": {"n": 3}}
    rows = list(open_rows(path, load_mapping(mapping)))
    assert [(n, r[0]) for n, r in rows] == [(1, {"id": "a"}), (2, {"id": "b"})]


def test_kind_detection_reads_the_first_record_of_a_package(streaming, tmp_path):
    path = _write(tmp_path / "p.json", {"uri": "https://example.org/p", "records": [
        {"ocid": "ocds-x-1", "compiledRelease": {"ocid": "ocds-x-1", "buyer": {"name": "B"}}}] * 3})
    fmt, names = header_names(path)
    assert fmt == "json" and {"uri", "records", "ocid", "compiledRelease", "buyer"} <= names
    assert detect_mapping(path, load_mappings(MAPPINGS)).name == "ocds"


def test_a_file_under_the_streaming_size_is_parsed_whole_as_python_reads_it(tmp_path):
    """Small files keep the standard library's reading, NaN included (pandas writes it; yajl refuses it)."""
    path = tmp_path / "small.json"
    path.write_text('{"releases": [{"ocid": "ocds-x-1", "value": NaN}]}', encoding="utf-8")
    [(_, doc)] = json_documents(path, path.name, ocds_stream)
    assert isinstance(doc, dict) and doc["releases"][0]["ocid"] == "ocds-x-1"
