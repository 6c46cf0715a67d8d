"""Loading and checking mapping files, and choosing the mapping for a source file."""

import textwrap
from pathlib import Path

import pytest

from ftm_graph.errors import InvalidMapping, UnknownKind
from ftm_graph.mapping import detect_mapping, load_mapping, load_mappings

MAPPINGS = Path(__file__).parent.parent / "mappings"
SAMPLE = Path(__file__).parent.parent / "sample"
MINE = ["zacatecas_agencies", "zacatecas_municipalities", "shcp_budget_pef", "ocds"]

GOOD = """\
name: demo
version: 1
kind: budget
title: {es: "Demo", en: "Demo"}
description: A small mapping.
source:
  format: csv
  required: [clave, nombre, monto]
  detect: [clave, nombre]
entities:
  line:
    iri: "budget/{clave}"
    class: fis:BudgetLine
    label: {es: "{nombre}"}
    properties:
      - {property: fis:adminKey, column: clave, clean: code}
amounts:
  - {of: line, measure: code:stage/aprobado, value: monto}
"""


def write(tmp_path: Path, text: str, name: str = "demo.yaml") -> Path:
    folder = tmp_path / "mappings"
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_bundled_mappings_load():
    mappings = load_mappings(MAPPINGS)
    for name in MINE:
        assert name in mappings
    agencies = mappings["zacatecas_agencies"]
    assert agencies.kind == "catalogue"
    assert agencies.title["es"].startswith("Dependencias")
    assert agencies.title["en"]
    assert agencies.path == MAPPINGS / "zacatecas_agencies.yaml"
    assert mappings["shcp_budget_pef"].kind == "budget"
    assert mappings["ocds"].kind == "procurement"


def test_a_good_mapping_loads(tmp_path):
    m = load_mapping(write(tmp_path, GOOD))
    assert (m.name, m.version, m.kind) == ("demo", "1", "budget")
    assert m.source.delimiter == "auto" and m.source.encoding is None
    assert [e.name for e in m.entities] == ["line"]
    assert m.amounts[0].measure == "https://w3id.org/ftm-graph/code/stage/aprobado"


#: (text to replace in GOOD, replacement, words the message must contain)
BROKEN = [
    ("      - {property: fis:adminKey, column: clave, clean: code}",
     "      - {property: fis:adminKey, colum: clave, clean: code}",
     "demo.yaml: entities.line.properties[0]: unknown key 'colum'; expected one of property, column"),
    ("class: fis:BudgetLine", "class: fiz:BudgetLine", "entities.line.class: unknown prefix 'fiz'"),
    ("clean: code}", "clean: cod}", "entities.line.properties[0].clean: unknown cleaner 'cod'"),
    ('iri: "budget/{clave}"', 'iri: "budget/{clav}"', "entities.line.iri: column 'clav' is not declared"),
    ('label: {es: "{nombre}"}', 'label: {es: "{name}"}', "entities.line.label.es: column 'name' is not declared"),
    ("kind: budget", "kind: money", "kind: unknown kind 'money'"),
    ('title: {es: "Demo", en: "Demo"}', 'title: {es: "Demo"}', "title: missing key 'en'"),
    ("  format: csv", "  format: xml", "source.format: unknown format 'xml'"),
    ("  required: [clave, nombre, monto]", "  requird: [clave, nombre, monto]", "source: unknown key 'requird'"),
    ("  detect: [clave, nombre]", "  detect: [clave, otra]", "source.detect[1]: 'otra' must also be in source.required"),
    ("{of: line,", "{of: lines,", "amounts[0].of: unknown entity 'lines'"),
    ("measure: code:stage/aprobado", "measure: stage/aprobado", "amounts[0].measure: 'stage/aprobado' is not a CURIE"),
    ("value: monto}", "value: montos}", "amounts[0].value: column 'montos' is not declared"),
    ("column: clave, clean: code}", "column: clave, value: x}", "entities.line.properties[0]: expected exactly one of"),
    ("name: demo", "name: Demo Mapping", "name: 'Demo Mapping' must be lower case"),
    ("version: 1\n", "", "missing key 'version'"),
    ("      - {property: fis:adminKey, column: clave, clean: code}",
     "      - {property: fis:parentBody, link: ramo}", "entities.line.properties[0].link: unknown entity 'ramo'"),
    ("      - {property: fis:adminKey, column: clave, clean: code}",
     "      - {property: fis:adminKey, column: clave, clean: {date: {format: yyyy}}}",
     "entities.line.properties[0].clean: option 'format' of cleaner 'date'"),
    ('label: {es: "{nombre}"}', 'label: {es: "Línea"}', "entities.line.label: a constant label must be given in both es and en"),
    ("      - {property: fis:adminKey, column: clave, clean: code}",
     "      - {property: fis:adminKey, column: clave, when: {column: clave, equal: x}}",
     "entities.line.properties[0].when: unknown key 'equal'"),
    # keys added for issue #3: checks, notes on amounts, CSV quoting, OCDS merging, links to every instance
    ("value: monto}", "value: monto, note: {es: \"{nota}\"}}", "amounts[0].note.es: column 'nota' is not declared"),
    ("value: monto}", "value: monto, note: {fr: x}}", "amounts[0].note: unknown key 'fr'"),
    ("amounts:", "checks:\n  - {column: monto, equals: \"clave + otra\"}\namounts:",
     "checks[0].equals: column 'otra' is not declared"),
    ("amounts:", "checks:\n  - {column: monto, sum: clave}\namounts:", "checks[0]: unknown key 'sum'"),
    ("  format: csv", "  format: csv\n  quotes: loose", "source.quotes: 'loose'; expected strict, lenient or backslash"),
    ("  format: csv", "  format: csv\n  merge: ocds", "source.merge: only for format json"),
    ("      - {property: fis:adminKey, column: clave, clean: code}",
     "      - {property: fis:parentBody, link: {entity: line, every: true}}",
     "entities.line.properties[0].link: unknown key 'every'"),
]


@pytest.mark.parametrize(("old", "new", "words"), BROKEN)
def test_mapping_errors_name_file_and_key(tmp_path, old, new, words):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(InvalidMapping) as info:
        load_mapping(path)
    message = str(info.value)
    assert message.startswith("mappings/demo.yaml: ")
    assert words in message


def test_invalid_yaml_is_reported(tmp_path):
    with pytest.raises(InvalidMapping, match="demo.yaml: not valid YAML"):
        load_mapping(write(tmp_path, "name: [unclosed\n"))


def test_missing_mapping_file(tmp_path):
    with pytest.raises(InvalidMapping, match="cannot read the mapping"):
        load_mapping(tmp_path / "nowhere.yaml")


def test_two_mappings_with_one_name(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD, "b.yaml")
    with pytest.raises(InvalidMapping, match="'demo' is also the name of a.yaml"):
        load_mappings(tmp_path / "mappings")


def test_json_link_to_an_item_entity_needs_a_key(tmp_path):
    text = """\
    name: j
    version: 1
    kind: procurement
    title: {es: J, en: J}
    description: d
    source: {format: json, records: ["releases[]"], detect: [ocid]}
    entities:
      process:
        iri: "ocds/{ocid|code}"
        class: fis:ContractingProcess
        properties:
          - {property: fis:buyer, link: party}
      party:
        each: "parties[]"
        iri: "org/{name}"
        class: fis:Organization
    """
    with pytest.raises(InvalidMapping, match=r"entities.process.properties\[0\].link: entity 'party' is made per item"):
        load_mapping(write(tmp_path, text))


@pytest.mark.parametrize(
    ("sample", "name"),
    [
        ("zacatecas_dependencias.csv", "zacatecas_agencies"),
        ("zacatecas_municipios.csv", "zacatecas_municipalities"),
        ("pef_2018_zacatecas.csv", "shcp_budget_pef"),
        ("ocds_nl_record_package_2.json", "ocds"),
    ],
)
def test_detect_the_mapping_of_each_sample_file(sample, name):
    mappings = {k: v for k, v in load_mappings(MAPPINGS).items() if k in MINE}
    assert detect_mapping(SAMPLE / sample, mappings).name == name


def test_detect_with_kind(tmp_path):
    mappings = {k: v for k, v in load_mappings(MAPPINGS).items() if k in MINE}
    with pytest.raises(UnknownKind, match="no mapping of kind 'budget' fits"):
        detect_mapping(SAMPLE / "zacatecas_dependencias.csv", mappings, kind="budget")
    assert detect_mapping(SAMPLE / "pef_2018_zacatecas.csv", mappings, kind="budget").name == "shcp_budget_pef"


def test_detect_nothing_fits(tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    mappings = load_mappings(MAPPINGS)
    with pytest.raises(UnknownKind) as info:
        detect_mapping(path, mappings)
    assert "other.csv: no mapping fits this CSV file (it has a, b, c)" in str(info.value)


def test_detect_prefers_the_most_specific_and_refuses_ties(tmp_path):
    write(tmp_path, GOOD, "a.yaml")
    write(tmp_path, GOOD.replace("name: demo", "name: demo_more").replace(
        "detect: [clave, nombre]", "detect: [clave, nombre, monto]"), "b.yaml")
    write(tmp_path, GOOD.replace("name: demo", "name: demo_same").replace(
        "detect: [clave, nombre]", "detect: [nombre, clave]"), "c.yaml")
    mappings = load_mappings(tmp_path / "mappings")
    full = tmp_path / "full.csv"
    full.write_text("clave;nombre;monto\n1;x;2\n", encoding="utf-8")
    assert detect_mapping(full, mappings).name == "demo_more"
    part = tmp_path / "part.csv"
    part.write_text("clave,nombre\n1,x\n", encoding="utf-8")
    with pytest.raises(UnknownKind, match=r"several mappings fit this file equally well \(demo, demo_same\)"):
        detect_mapping(part, mappings)


def test_checks_notes_and_partial_source_dates_load(tmp_path):
    text = GOOD.replace("  required: [clave, nombre, monto]",
                        "  required: [clave, nombre, monto, a, b, url]\n  optional: [nota, fecha, fecha_aprox]")
    text = text.replace("value: monto}", 'value: monto, note: {es: "{nota}", en: "Note"}}')
    text = text.replace("amounts:", 'checks:\n  - {column: monto, equals: "a - b + clave", tolerance: 0.5}\n'
                        "row_source: {url: url, date: [fecha, fecha_aprox]}\namounts:")
    m = load_mapping(write(tmp_path, text))
    [check] = m.checks
    assert (check.total, check.terms, check.tolerance) == ("monto", ((1, "a"), (-1, "b"), (1, "clave")), "0.5")
    assert set(m.amounts[0].note) == {"es", "en"}
    assert m.row_source["date"] == ("fecha", "fecha_aprox")


# ---- links out to Wikidata (lookups/wikidata.csv) ------------------------------------------------------

def _wikidata(tmp_path: Path, rows: str) -> Path:
    path = write(tmp_path, GOOD)
    lookups = path.parent / "lookups"
    lookups.mkdir()
    (lookups / "wikidata.csv").write_text("# a comment\nalias,qid,label,source\n" + rows, encoding="utf-8")
    return path


def test_wikidata_links_are_read_from_the_lookups_beside_the_mapping(tmp_path):
    m = load_mapping(_wikidata(tmp_path, "budget/x,Q42,Una línea,a quoted source\n"))
    assert m.wikidata == {"budget/x": "Q42"}


@pytest.mark.parametrize("row, said", [
    ("budget/x,42,Una línea,a source\n", "wikidata.csv: line 3: qid '42' is not a Wikidata item"),
    ("budget/x,Q42,Una línea,\n", "wikidata.csv: line 3: no source for Q42"),
])
def test_a_wikidata_row_without_a_qid_or_a_source_is_refused(tmp_path, row, said):
    with pytest.raises(InvalidMapping) as info:
        load_mapping(_wikidata(tmp_path, row))
    assert said in str(info.value)


def test_the_bundled_wikidata_rows_each_name_their_source():
    m = load_mapping(MAPPINGS / "conac_ldf_2.yaml")
    assert m.wikidata["body/zacatecas"] == "Q80269"
