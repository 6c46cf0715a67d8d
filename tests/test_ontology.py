"""The ontology, the code lists and the shapes: complete, bilingual, consistent, and they catch bad data."""

from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SH, SKOS

from ftm_graph.namespaces import CODE, FIS
from ftm_graph.resources import data_dir
from ftm_graph.validate import validate_graph

HERE = Path(__file__).parent
MINI = HERE / "data" / "mini.ttl"
ONTOLOGY = data_dir("ontology")
fis = Namespace(FIS)

#: Terms other parts of ftm-graph (mappings, queries, pages) rely on, by local name.
REQUIRED_CLASSES = """
    Organization PublicBody StateGovernment StateAgency DecentralisedBody Municipality FederalBody
    ResponsibleUnit Company FinancialInstitution Person DebtObligation Decree Project Amount BudgetLine
    Trust ContractingProcess Tender Award Contract Amendment Payment SourceDocument SourceFile SourceRecord
""".split()
REQUIRED_PROPERTIES = """
    name acronym rfc adminKey parentBody bankType lender debtor contractDate registrationDate
    registrationKey obligationType termMonths maturityDate referenceRate spread effectiveRate
    sourceOfPayment paymentTrust destination refinances refinancedBy authorisedBy financesProject
    publicationDate decreeNumber financedBy executingBody amountOf measure value currency date
    fiscalYear periodStart periodEnd note budgetHolder responsibleUnit objectOfExpenditure
    functionalClass budgetProgram fundingSource expenditureType branch location settlor trustee
    beneficiary purpose trustRegistryKey trustType startDate endDate ocid process buyer
    procuringEntity supplier tenderer award procurementMethod status dateSigned amends chargedTo
    forProject item payer payee paymentDate paysFor fundedBy concept url fileName sha256 retrieved
    mapping mappingVersion rowCount rowNumber illustrative
""".split()
#: Measures the mappings and the sample use (notations of code/measure).
REQUIRED_MEASURES = """
    original-amount authorised-amount awarded-amount contracted-amount offered-amount unregistered-debt
    balance projected-interest drawdown repayment adjustment opening-balance closing-balance
    interest-paid fees-paid requested received debt-owed assigned unaccounted frozen budget-cut income
    yields expenses available-balance contributions-due contributions-paid contributions-unpaid payouts
    actuarial-deficit liabilities assets funds-raised contract-value award-value tender-value payment
    increases decreases adefas budget paid-incl-adefas
""".split()
TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)


@pytest.fixture(scope="module")
def fiscal() -> Graph:
    return Graph().parse(ONTOLOGY / "fiscal.ttl", format="turtle")


@pytest.fixture(scope="module")
def mini() -> Graph:
    return Graph().parse(MINI, format="turtle")


def declared_terms(graph: Graph) -> set[URIRef]:
    return {s for t in TERM_TYPES for s in graph.subjects(RDF.type, t) if str(s).startswith(FIS)}


def languages(graph: Graph, subject, predicate) -> set[str]:
    return {o.language for o in graph.objects(subject, predicate) if isinstance(o, Literal)}


# --- the ontology -------------------------------------------------------------------------


def test_ontology_header(fiscal):
    onto = URIRef("https://w3id.org/ftm-graph/fiscal")
    assert (onto, RDF.type, OWL.Ontology) in fiscal
    assert fiscal.value(onto, OWL.versionInfo) is not None
    assert languages(fiscal, onto, URIRef("http://purl.org/dc/terms/title")) == {"es", "en"}
    assert languages(fiscal, onto, URIRef("http://purl.org/dc/terms/description")) == {"es", "en"}


def test_required_terms_are_declared(fiscal):
    classes = {s for s in fiscal.subjects(RDF.type, OWL.Class)}
    properties = {s for t in (OWL.ObjectProperty, OWL.DatatypeProperty) for s in fiscal.subjects(RDF.type, t)}
    assert [n for n in REQUIRED_CLASSES if fis[n] not in classes] == []
    assert [n for n in REQUIRED_PROPERTIES if fis[n] not in properties] == []


def test_every_term_has_label_and_comment_in_spanish_and_english(fiscal):
    terms = declared_terms(fiscal) | {fis.amountStructure}
    assert len(terms) >= len(REQUIRED_CLASSES) + len(REQUIRED_PROPERTIES)
    missing = [
        (str(t), str(p))
        for t in sorted(terms)
        for p in (RDFS.label, RDFS.comment)
        if not {"es", "en"} <= languages(fiscal, t, p)
    ]
    assert missing == []


def test_every_fis_term_used_in_ontology_folder_is_declared(fiscal):
    """Classes, properties and the data structure definition: anything typed in fiscal.ttl."""
    declared = {s for s in fiscal.subjects(RDF.type, None) if str(s).startswith(FIS)}
    used = set()
    for path in ONTOLOGY.rglob("*.ttl"):
        graph = Graph().parse(path, format="turtle", publicID="http://127.0.0.1:8000/")
        for triple in graph:
            used |= {n for n in triple if isinstance(n, URIRef) and str(n).startswith(FIS) and str(n) != FIS}
    assert sorted(str(t) for t in used - declared) == []


def test_inverse_properties_are_declared_both_ways(fiscal):
    for a, b in ((fis.refinances, fis.refinancedBy), (fis.financesProject, fis.financedBy)):
        assert (a, OWL.inverseOf, b) in fiscal or (b, OWL.inverseOf, a) in fiscal
        assert fiscal.value(a, RDFS.range) == fiscal.value(b, RDFS.domain)


def test_organisation_hierarchy(fiscal):
    """The subclass chain sh:class checks rely on."""
    ancestors = lambda c: set(fiscal.transitive_objects(c, RDFS.subClassOf))  # noqa: E731
    for body in ("StateGovernment", "StateAgency", "DecentralisedBody", "Municipality", "FederalBody", "ResponsibleUnit"):
        assert {fis.PublicBody, fis.Organization, fis.Party} <= ancestors(fis[body])
    assert {fis.Company, fis.Organization} <= ancestors(fis.FinancialInstitution)
    assert fis.Party in ancestors(fis.Person) and fis.Organization not in ancestors(fis.Person)
    assert fis.Organization not in ancestors(fis.Trust)


def test_amount_structure_uses_declared_components(fiscal):
    qb = Namespace("http://purl.org/linked-data/cube#")
    components = list(fiscal.objects(fis.amountStructure, qb.component))
    dims = {fiscal.value(c, qb.dimension) for c in components} - {None}
    measures = {fiscal.value(c, qb.measure) for c in components} - {None}
    assert dims == {fis.amountOf, fis.measure}
    assert measures == {fis.value}
    for d in dims:
        assert (d, RDF.type, qb.DimensionProperty) in fiscal


# --- the code lists -----------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted((ONTOLOGY / "codes").glob("*.ttl")), ids=lambda p: p.stem)
def test_code_list(path):
    """One scheme per file, named after it; every concept complete and named code:{scheme}/{notation}."""
    graph = Graph().parse(path, format="turtle")
    schemes = list(graph.subjects(RDF.type, SKOS.ConceptScheme))
    assert schemes == [URIRef(f"{CODE}{path.stem}")]
    scheme = schemes[0]
    assert languages(graph, scheme, SKOS.prefLabel) == {"es", "en"}
    concepts = set(graph.subjects(RDF.type, SKOS.Concept))
    assert concepts
    notations = []
    for c in concepts:
        notation = graph.value(c, SKOS.notation)
        assert notation is not None, c
        notations.append(str(notation))
        assert str(c) == f"{scheme}/{notation}"
        assert languages(graph, c, SKOS.prefLabel) == {"es", "en"}, c
        assert (c, SKOS.inScheme, scheme) in graph
        for broader in graph.objects(c, SKOS.broader):
            assert broader in concepts, (c, broader)
        if graph.value(c, SKOS.broader) is None:
            assert (c, SKOS.topConceptOf, scheme) in graph, c
    assert len(notations) == len(set(notations))


def test_stages_are_the_six_conac_stages():
    graph = Graph().parse(ONTOLOGY / "codes" / "stage.ttl", format="turtle")
    notations = {str(n) for n in graph.objects(None, SKOS.notation)}
    assert notations == {"aprobado", "modificado", "comprometido", "devengado", "ejercido", "pagado"}
    for c in graph.subjects(RDF.type, SKOS.Concept):
        assert languages(graph, c, SKOS.definition) == {"es", "en"}


def test_measures_cover_what_the_mappings_use():
    graph = Graph().parse(ONTOLOGY / "codes" / "measure.ttl", format="turtle")
    notations = {str(n) for n in graph.objects(None, SKOS.notation)}
    assert [m for m in REQUIRED_MEASURES if m not in notations] == []


def test_cog_hierarchy_follows_the_codes():
    """Specific item 14406 > generic item 144 > concept 1400 > chapter 1000, as in the PEF sample row."""
    graph = Graph().parse(ONTOLOGY / "codes" / "cog.ttl", format="turtle")
    cog = Namespace(f"{CODE}cog/")
    assert graph.value(cog["14406"], SKOS.broader) == cog["144"]
    assert graph.value(cog["144"], SKOS.broader) == cog["1400"]
    assert graph.value(cog["1400"], SKOS.broader) == cog["1000"]
    assert graph.value(cog["9200"], SKOS.broader) == cog["9000"]
    assert str(graph.value(cog["1000"], SKOS.prefLabel)) in {"Servicios personales", "Personal services"}


def test_functional_notations_nest():
    graph = Graph().parse(ONTOLOGY / "codes" / "functional.ttl", format="turtle")
    functional = Namespace(f"{CODE}functional/")
    assert graph.value(functional["2.5.1"], SKOS.broader) == functional["2.5"]
    assert graph.value(functional["2.5"], SKOS.broader) == functional["2"]


# --- the shapes ---------------------------------------------------------------------------


def test_every_shape_file_parses_and_has_a_targeted_node_shape():
    for path in sorted((ONTOLOGY / "shapes").glob("*.ttl")):
        graph = Graph().parse(path, format="turtle")
        targeted = [s for s in graph.subjects(RDF.type, SH.NodeShape) if graph.value(s, SH.targetClass) or graph.value(s, SH.targetSubjectsOf)]
        assert targeted, path.name


@pytest.fixture(scope="module")
def shape_files() -> Graph:
    """The shape files as written (load_shapes rearranges targets for speed)."""
    graph = Graph()
    for path in sorted((ONTOLOGY / "shapes").glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def test_shapes_speak_both_languages(shape_files):
    shapes = shape_files
    for node in shapes.subjects(RDF.type, SH.NodeShape):
        assert languages(shapes, node, SH.name) == {"es", "en"}, node
        assert languages(shapes, node, SH.description) == {"es", "en"}, node
        for prop in shapes.objects(node, SH.property):
            assert languages(shapes, prop, SH.message) == {"es", "en"}, (node, shapes.value(prop, SH.path))


def test_shapes_target_declared_classes(shape_files, fiscal):
    shapes = shape_files
    classes = set(fiscal.subjects(RDF.type, OWL.Class))
    used = {o for p in (SH.targetClass, SH["class"]) for o in shapes.objects(None, p) if str(o).startswith(FIS)}
    assert used and used <= classes


# --- the shapes on data -------------------------------------------------------------------


def test_mini_has_every_main_class(mini):
    types = set(mini.objects(None, RDF.type))
    main = {"StateGovernment", "StateAgency", "DecentralisedBody", "FinancialInstitution", "Company", "DebtObligation",
            "Decree", "Project", "Amount", "BudgetLine", "Trust", "ContractingProcess", "Tender", "Award", "Contract",
            "Payment", "SourceDocument", "SourceFile", "SourceRecord"}
    assert {fis[n] for n in main} <= types
    assert 30 <= len(mini) <= 80


def test_mini_conforms(mini, ontology, shapes):
    report = validate_graph(mini, ontology=ontology, shapes=shapes)
    assert report.violations == []
    assert report.conforms


def test_class_checks_need_the_ontology(mini, shapes):
    """Without the ontology's rdfs:subClassOf, a bank is not known to be an organisation."""
    report = validate_graph(mini, ontology=Graph(), shapes=shapes)
    assert not report.conforms
    assert any(v.path == FIS + "lender" for v in report.violations)


PREFIXES = """
@base <http://127.0.0.1:8000/> .
@prefix fis: <https://w3id.org/ftm-graph/fiscal#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix measure: <https://w3id.org/ftm-graph/code/measure/> .
"""

#: Broken additions to mini.ttl: (id, Turtle, focus node under id/, expected English message or None if valid).
CASES = [
    ("loan-without-lender",
     "<id/debt/x> a fis:DebtObligation ; fis:debtor <id/body/zacatecas> .",
     "debt/x", "A debt obligation must have exactly one lender, which is an organisation"),
    ("loan-with-two-lenders",
     "<id/debt/banorte-2011> fis:lender <id/body/zac/3> .",
     "debt/banorte-2011", "A debt obligation must have exactly one lender, which is an organisation"),
    ("lender-is-not-an-organisation",
     "<id/debt/x> a fis:DebtObligation ; fis:debtor <id/body/zacatecas> ; fis:lender <id/decree/206> .",
     "debt/x", "A debt obligation must have exactly one lender, which is an organisation"),
    ("term-of-zero-months",
     "<id/debt/banorte-2011> fis:termMonths 0 .",
     "debt/banorte-2011", "The term must be a whole number of months, 1 or more"),
    ("amount-value-not-decimal",
     '<id/a> a fis:Amount ; fis:amountOf <id/debt/banorte-2011> ; fis:measure measure:balance ; fis:value "3,000 MDP" ;'
     ' fis:currency "MXN" ; fis:date "2013-12-31"^^xsd:date ; prov:wasDerivedFrom <graph/debt/row/1> .',
     "a", "An amount must have exactly one value, as a decimal number (xsd:decimal)"),
    ("amount-value-integer-not-decimal",  # Turtle 1 is xsd:integer; sh:datatype does not accept subtypes
     '<id/a> a fis:Amount ; fis:amountOf <id/debt/banorte-2011> ; fis:measure measure:balance ; fis:value 1 ;'
     ' fis:currency "MXN" ; fis:date "2013-12-31"^^xsd:date ; prov:wasDerivedFrom <graph/debt/row/1> .',
     "a", "An amount must have exactly one value, as a decimal number (xsd:decimal)"),
    ("amount-measure-not-in-code-lists",
     '<id/a> a fis:Amount ; fis:amountOf <id/debt/banorte-2011> ; fis:measure measure:saldo ; fis:value 1.0 ;'
     ' fis:currency "MXN" ; fis:date "2013-12-31"^^xsd:date ; prov:wasDerivedFrom <graph/debt/row/1> .',
     "a", "An amount must have exactly one measure, from the code:measure or code:stage lists"),
    ("amount-measure-from-another-list",
     '<id/a> a fis:Amount ; fis:amountOf <id/debt/banorte-2011> ; fis:value 1.0 ; fis:currency "MXN" ;'
     ' fis:measure <https://w3id.org/ftm-graph/code/bank-type/banca-comercial> ;'
     ' fis:date "2013-12-31"^^xsd:date ; prov:wasDerivedFrom <graph/debt/row/1> .',
     "a", "An amount must have exactly one measure, from the code:measure or code:stage lists"),
    ("amount-without-time",
     '<id/a> a fis:Amount ; fis:amountOf <id/debt/banorte-2011> ; fis:measure measure:balance ; fis:value 1.0 ;'
     ' fis:currency "MXN" ; prov:wasDerivedFrom <graph/debt/row/1> .',
     "a", "An amount must have a date, a fiscal year or a period start"),
    ("amount-without-source",
     '<id/a> a fis:Amount ; fis:amountOf <id/debt/banorte-2011> ; fis:measure measure:balance ; fis:value 1.0 ;'
     ' fis:currency "MXN" ; fis:fiscalYear "2013"^^xsd:gYear .',
     "a", "An amount must say which source row it comes from (prov:wasDerivedFrom)"),
    ("amount-currency-in-words",
     '<id/a> a fis:Amount ; fis:amountOf <id/debt/banorte-2011> ; fis:measure measure:balance ; fis:value 1.0 ;'
     ' fis:currency "pesos" ; fis:date "2013-12-31"^^xsd:date ; prov:wasDerivedFrom <graph/debt/row/1> .',
     "a", "An amount must have exactly one currency, as a three-letter ISO code such as MXN"),
    ("budget-amount-by-stage-and-period",
     '<id/a> a fis:Amount ; fis:amountOf <id/budget/2016/69> ; fis:measure <https://w3id.org/ftm-graph/code/stage/pagado> ;'
     ' fis:value 80563748.00 ; fis:currency "MXN" ; fis:periodStart "2016-01-01"^^xsd:date ;'
     ' fis:periodEnd "2016-12-31"^^xsd:date ; prov:wasDerivedFrom <graph/debt/row/1> .',
     None, None),
    ("bad-rfc",
     '<id/rfc/CEJ010203AB1> fis:rfc "CEJ-010203" .',
     "rfc/CEJ010203AB1", "The RFC must be a single value of 12 characters (companies) or 13 (people), like ABC010203XY1"),
    ("person-rfc-with-enye-is-fine",
     '<id/rfc/NUÑE800101AB1> a fis:Person ; rdfs:label "Persona Ejemplo" ; fis:rfc "NUÑE800101AB1" .',
     None, None),
    ("organisation-without-name",
     "<id/body/zac/60> a fis:DecentralisedBody .",
     "body/zac/60", "Every organisation or person must have at least one name (rdfs:label)"),
    ("budget-line-without-year",
     "<id/budget/x> a fis:BudgetLine ; fis:budgetHolder <id/body/zac/69> .",
     "budget/x", "A budget line must have exactly one fiscal year (xsd:gYear)"),
    ("budget-line-year-as-integer",
     "<id/budget/x> a fis:BudgetLine ; fis:budgetHolder <id/body/zac/69> ; fis:fiscalYear 2016 .",
     "budget/x", "A budget line must have exactly one fiscal year (xsd:gYear)"),
    ("object-of-expenditure-from-wrong-list",
     "<id/budget/2016/69> fis:objectOfExpenditure <https://w3id.org/ftm-graph/code/functional/2.4> .",
     "budget/2016/69", "The object of expenditure must be a single concept of the code:cog list"),
    ("trustee-is-not-a-bank",
     "<id/trust/issstezac-pensiones> fis:trustee <id/body/zac/3> .",
     "trust/issstezac-pensiones", "The trustee of a trust must be a financial institution"),
    ("payment-from-a-trust-is-fine",
     "<id/payment/t/1> a fis:Payment ; fis:payer <id/trust/issstezac-pensiones> ; fis:payee <id/rfc/CEJ010203AB1> .",
     None, None),
    ("payment-payer-is-a-decree",
     "<id/payment/t/1> a fis:Payment ; fis:payer <id/decree/206> ; fis:payee <id/rfc/CEJ010203AB1> .",
     "payment/t/1", "A payment must have exactly one payer: a person, an organisation or a trust"),
    ("contract-date-with-time",
     '<id/ocds/ocds-ejemplo-1/contract/1> fis:startDate "2012-03-01T00:00:00"^^xsd:dateTime .',
     "ocds/ocds-ejemplo-1/contract/1", "The start date must be a single date without time (xsd:date)"),
    ("tender-without-process",
     "<id/ocds/x/tender> a fis:Tender .",
     "ocds/x/tender", "A tender must belong to exactly one contracting process"),
    ("source-file-bad-digest",
     '<graph/x> a fis:SourceFile ; fis:fileName "x.csv" ; fis:mapping "debt" ; fis:sha256 "abc" .',
     "../graph/x", "A source file must have exactly one SHA-256 digest (64 lower-case hexadecimal digits)"),
    ("illustrative-as-text",
     '<id/debt/banorte-2011> fis:illustrative "sí" .',
     "debt/banorte-2011", "The illustrative flag must be a single true or false value (xsd:boolean)"),
]


@pytest.mark.parametrize("turtle, focus, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_broken_variant_of_mini(mini, ontology, shapes, turtle, focus, expected):
    data = Graph()
    data += mini
    data.parse(data=PREFIXES + turtle, format="turtle")
    report = validate_graph(data, ontology=ontology, shapes=shapes)
    found = {(v.focus, v.message("en")) for v in report.violations}
    if expected is None:
        assert found == set() and report.conforms
    else:
        iri = str(URIRef(focus, base="http://127.0.0.1:8000/id/"))
        assert found == {(iri, expected)}
        assert not report.conforms
        assert all(v.message("es") != v.message("en") for v in report.violations)


def test_loaded_shapes_find_the_same_problems_as_the_files(mini, ontology, shapes, shape_files):
    """load_shapes moves targets onto property shapes for speed; the results must not change."""
    data = Graph()
    data += mini
    for _, turtle, _, _ in CASES:
        data.parse(data=PREFIXES + turtle.replace("<id/a>", f"<id/a{len(data)}>"), format="turtle")
    fast = validate_graph(data, ontology=ontology, shapes=shapes)
    plain = validate_graph(data, ontology=ontology, shapes=shape_files)
    assert len(fast.violations) >= len([c for c in CASES if c[3]])
    key = lambda v: (v.focus, v.path or "", v.value or "", v.message("en"), v.shape or "")  # noqa: E731
    assert sorted(map(key, fast.violations)) == sorted(map(key, plain.violations))


def test_sources_disagreeing_on_a_loan_is_a_warning(mini, ontology, shapes):
    """Two contract dates for one loan (as the press reported for Banorte 2011): shown, not rejected."""
    data = Graph()
    data += mini
    data.parse(data=PREFIXES + '<id/debt/banorte-2011> fis:contractDate "2011-10-19"^^xsd:date .', format="turtle")
    report = validate_graph(data, ontology=ontology, shapes=shapes)
    assert report.conforms
    assert [(v.focus, v.severity, v.message("en")) for v in report.violations] == [
        ("http://127.0.0.1:8000/id/debt/banorte-2011", "Warning", "Sources give more than one contract date for this loan")
    ]
