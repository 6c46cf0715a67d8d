"""validate_graph on graphs and datasets, and format_report in plain Spanish and English."""

from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef

from ftm_graph.namespaces import FIS
from ftm_graph.validate import Report, Violation, format_report, load_shapes, validate_graph

HERE = Path(__file__).parent
MINI = HERE / "data" / "mini.ttl"
BASE = "http://127.0.0.1:8000/"

NO_LENDER = {"es": "Un crédito debe tener exactamente un acreedor", "en": "A debt obligation must have exactly one lender"}
BAD_RFC = {"es": "El RFC está mal escrito", "en": "The RFC is malformed"}


def violation(focus, messages, value=None, severity="Violation"):
    return Violation(focus=focus, path=None, value=value, messages=messages, severity=severity, shape=None)


# --- format_report -----------------------------------------------------------------------


def test_conforming_report():
    assert format_report(Report(conforms=True)) == "Los datos cumplen todas las reglas."
    assert format_report(Report(conforms=True), lang="en") == "The data conform to all the rules."


def test_report_groups_by_message_with_counts():
    report = Report(
        conforms=False,
        violations=[
            violation("http://x/1", BAD_RFC, value="ABC"),
            violation("http://x/2", NO_LENDER),
            violation("http://x/3", NO_LENDER),
        ],
    )
    assert format_report(report, lang="es") == (
        "Los datos no cumplen las reglas: 3 problema(s) en 2 regla(s).\n"
        "2 × Un crédito debe tener exactamente un acreedor: <http://x/2>, <http://x/3>\n"
        '1 × El RFC está mal escrito: <http://x/1> ("ABC")'
    )
    assert format_report(report, lang="en") == (
        "The data do not conform: 3 problem(s) under 2 rule(s).\n"
        "2 × A debt obligation must have exactly one lender: <http://x/2>, <http://x/3>\n"
        '1 × The RFC is malformed: <http://x/1> ("ABC")'
    )


def test_report_lists_at_most_limit_nodes():
    report = Report(conforms=False, violations=[violation(f"http://x/{i}", NO_LENDER) for i in range(7)])
    assert format_report(report, lang="en", limit=2) == (
        "The data do not conform: 7 problem(s) under 1 rule(s).\n"
        "7 × A debt obligation must have exactly one lender: <http://x/0>, <http://x/1>, … and 5 more"
    )


def test_warnings_come_after_violations_and_are_marked():
    report = Report(
        conforms=False,
        violations=[
            violation("http://x/w1", {"es": "Falta el nombre", "en": "Name missing"}, severity="Warning"),
            violation("http://x/w2", {"es": "Falta el nombre", "en": "Name missing"}, severity="Warning"),
            violation("http://x/v", NO_LENDER),
        ],
    )
    assert format_report(report, lang="es").splitlines()[1:] == [
        "1 × Un crédito debe tener exactamente un acreedor: <http://x/v>",
        "2 × Advertencia: Falta el nombre: <http://x/w1>, <http://x/w2>",
    ]


def test_warnings_only_still_conform():
    report = Report(conforms=True, violations=[violation("http://x/w", {"en": "Name missing"}, severity="Warning")])
    assert format_report(report, lang="en") == "The data conform, with 1 warning(s).\n1 × Warning: Name missing: <http://x/w>"


def test_message_falls_back_to_english_then_untagged():
    assert violation("x", {"es": "uno", "en": "one"}).message("fr") == "one"
    assert violation("x", {"": "plain"}).message("es") == "plain"
    assert violation("x", {"es": "uno"}).message("en") == "uno"
    assert violation("x", {}).message() == ""


def test_unknown_language_reports_in_english():
    report = Report(conforms=False, violations=[violation("http://x/1", NO_LENDER)])
    assert format_report(report, lang="fr").startswith("The data do not conform")


# --- validate_graph ------------------------------------------------------------------------

BROKEN = """
@prefix fis: <https://w3id.org/ftm-graph/fiscal#> .
<http://127.0.0.1:8000/id/debt/x> a fis:DebtObligation ; fis:debtor <http://127.0.0.1:8000/id/body/zacatecas> .
"""


def test_violation_fields(ontology, shapes):
    data = Graph().parse(MINI, format="turtle").parse(data=BROKEN, format="turtle")
    report = validate_graph(data, ontology=ontology, shapes=shapes)
    assert report.violations == [
        Violation(
            focus=f"{BASE}id/debt/x",
            path=f"{FIS}lender",
            value=None,
            messages={
                "es": "Un crédito debe tener exactamente un acreedor, que sea una organización",
                "en": "A debt obligation must have exactly one lender, which is an organisation",
            },
            severity="Violation",
            shape="https://w3id.org/ftm-graph/shapes#DebtObligationShape",
        )
    ]
    assert format_report(report, lang="es").splitlines() == [
        "Los datos no cumplen las reglas: 1 problema(s) en 1 regla(s).",
        f"1 × Un crédito debe tener exactamente un acreedor, que sea una organización: <{BASE}id/debt/x>",
    ]


def test_dataset_named_graphs_are_validated_together(ontology, shapes):
    """The bank is described in one graph and the loan in another: the lender check sees both."""
    mini = Graph().parse(MINI, format="turtle")
    bank = URIRef(f"{BASE}id/bank/banorte")
    dataset = Dataset()
    debt_graph = dataset.graph(URIRef(f"{BASE}graph/debt"))
    bank_graph = dataset.graph(URIRef(f"{BASE}graph/banks"))
    for triple in mini:
        (bank_graph if triple[0] == bank else debt_graph).add(triple)
    assert validate_graph(dataset, ontology=ontology, shapes=shapes).conforms

    dataset.remove_graph(bank_graph)
    report = validate_graph(dataset, ontology=ontology, shapes=shapes)
    assert not report.conforms
    assert {(v.focus, v.path) for v in report.violations} == {(f"{BASE}id/debt/banorte-2011", f"{FIS}lender")}


def test_input_is_not_modified(ontology, shapes):
    data = Graph().parse(MINI, format="turtle")
    before = len(data)
    validate_graph(data, ontology=ontology, shapes=shapes)
    assert len(data) == before


def test_defaults_load_ontology_and_shapes():
    assert validate_graph(Graph().parse(MINI, format="turtle")).conforms


def test_shapes_dir_can_be_chosen(tmp_path, ontology):
    (tmp_path / "only.ttl").write_text(
        """
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix fis: <https://w3id.org/ftm-graph/fiscal#> .
        <http://example.org/s> a sh:NodeShape ; sh:targetClass fis:Decree ;
            sh:property [ sh:path fis:decreeNumber ; sh:maxCount 0 ; sh:message "sin número"@es , "no number"@en ] .
        """,
        encoding="utf-8",
    )
    report = validate_graph(Graph().parse(MINI, format="turtle"), tmp_path, ontology=ontology)
    assert [(v.focus, v.message("en"), v.shape) for v in report.violations] == [
        (f"{BASE}id/decree/206", "no number", "http://example.org/s")
    ]


def test_empty_shapes_dir_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_shapes(tmp_path)


@pytest.mark.slow
def test_ten_thousand_triples_take_seconds(ontology, shapes):
    """1,000 loans with one balance each (about 10k triples) validate in seconds, not minutes."""
    import time

    rows = []
    for i in range(1000):
        debt = f"<{BASE}id/debt/t{i}>"
        rows.append(
            f"{debt} a fis:DebtObligation ; fis:lender <{BASE}id/bank/banorte> ; fis:debtor <{BASE}id/body/zacatecas> .\n"
            f"<{BASE}id/debt/t{i}/amount/balance/2013-12-31-{i}> a fis:Amount ; fis:amountOf {debt} ;"
            f" fis:measure <https://w3id.org/ftm-graph/code/measure/balance> ; fis:value {i}.5 ; fis:currency \"MXN\" ;"
            f' fis:date "2013-12-31"^^xsd:date ; prov:wasDerivedFrom <{BASE}graph/debt/row/1> .'
        )
    prefixes = (
        "@prefix fis: <https://w3id.org/ftm-graph/fiscal#> . @prefix prov: <http://www.w3.org/ns/prov#> ."
        " @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n"
    )
    data = Graph().parse(MINI, format="turtle").parse(data=prefixes + "\n".join(rows), format="turtle")
    assert len(data) > 10_000
    start = time.perf_counter()
    report = validate_graph(data, ontology=ontology, shapes=shapes)
    assert report.conforms
    assert time.perf_counter() - start < 15
