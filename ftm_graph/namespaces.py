"""Every namespace and prefix of ftm-graph, declared once (see docs/DESIGN.md)."""

FIS = "https://w3id.org/ftm-graph/fiscal#"
CODE = "https://w3id.org/ftm-graph/code/"
FSH = "https://w3id.org/ftm-graph/shapes#"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
DCAT = "http://www.w3.org/ns/dcat#"
VOID = "http://rdfs.org/ns/void#"
PROV = "http://www.w3.org/ns/prov#"
ORG = "http://www.w3.org/ns/org#"
SCHEMA = "https://schema.org/"
FOAF = "http://xmlns.com/foaf/0.1/"
QB = "http://purl.org/linked-data/cube#"
SH = "http://www.w3.org/ns/shacl#"
SD = "http://www.w3.org/ns/sparql-service-description#"
FTM = "https://w3id.org/ftm#"
OCDS = "http://purl.org/onto-ocds/ocds#"

#: Prefixes offered to SPARQL users and used in Turtle output.
PREFIXES: dict[str, str] = {
    "fis": FIS,
    "code": CODE,
    "fsh": FSH,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "owl": OWL,
    "skos": SKOS,
    "dct": DCT,
    "dcat": DCAT,
    "void": VOID,
    "prov": PROV,
    "org": ORG,
    "schema": SCHEMA,
    "foaf": FOAF,
    "qb": QB,
    "sh": SH,
    "ftm": FTM,
    "ocds": OCDS,
}


def sparql_prologue(prefixes: dict[str, str] = PREFIXES) -> str:
    """The PREFIX lines for a SPARQL query.

    >>> sparql_prologue({"fis": FIS})
    'PREFIX fis: <https://w3id.org/ftm-graph/fiscal#>\\n'
    """
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes.items())


def graph_iri(base: str, name: str) -> str:
    """The IRI of a named graph under a deployment base.

    >>> graph_iri("http://127.0.0.1:8000/", "meta")
    'http://127.0.0.1:8000/graph/meta'
    """
    return f"{base}graph/{name}"


def data_iri(base: str, path: str) -> str:
    """The IRI of an entity under a deployment base.

    >>> data_iri("http://127.0.0.1:8000/", "body/zac/3")
    'http://127.0.0.1:8000/id/body/zac/3'
    """
    return f"{base}id/{path}"
