"""Content types and their serialisers, content negotiation, and figures and dates for citizens.

The serialisers are pyoxigraph's own (fast, streaming); this module is the one
place outside ``store.py`` that names pyoxigraph, and only for its format
enums, result kinds and the terms used to bind query variables.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import pyoxigraph as ox


@dataclass(frozen=True)
class Format:
    """One way to write query results or RDF, offered under one media type."""

    media_type: str  #: what goes in Content-Type (before the charset)
    alias: str  #: value of the ``format=`` parameter and file suffix
    writer: object  #: pyoxigraph QueryResultsFormat / RdfFormat, or None for our HTML view


#: SELECT and ASK results, the default first (SPARQL 1.1 Protocol §2.1.5 leaves the default to us).
RESULT_FORMATS: dict[str, Format] = {
    f.media_type: f
    for f in (
        Format("application/sparql-results+json", "json", ox.QueryResultsFormat.JSON),
        Format("application/sparql-results+xml", "xml", ox.QueryResultsFormat.XML),
        Format("text/csv", "csv", ox.QueryResultsFormat.CSV),
        Format("text/tab-separated-values", "tsv", ox.QueryResultsFormat.TSV),
        Format("application/json", "json", ox.QueryResultsFormat.JSON),
        Format("text/html", "html", None),
    )
}

#: CONSTRUCT and DESCRIBE results, and entity descriptions, the default first.
GRAPH_FORMATS: dict[str, Format] = {
    f.media_type: f
    for f in (
        Format("text/turtle", "ttl", ox.RdfFormat.TURTLE),
        Format("application/n-triples", "nt", ox.RdfFormat.N_TRIPLES),
        Format("application/ld+json", "jsonld", ox.RdfFormat.JSON_LD),
        Format("application/rdf+xml", "rdf", ox.RdfFormat.RDF_XML),
        Format("text/html", "html", None),
    )
}

#: Other spellings accepted in ``format=``.
ALIASES = {"turtle": "ttl", "ntriples": "nt", "json-ld": "jsonld", "rdfxml": "rdf", "xml": "xml", "srj": "json"}


def by_alias(formats: dict[str, Format], alias: str) -> Format | None:
    """The format named `alias` in a ``format=`` parameter (or a full media type), or None."""
    alias = ALIASES.get(alias.lower(), alias.lower())
    if alias in formats:
        return formats[alias]
    return next((f for f in formats.values() if f.alias == alias), None)


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their q-values (RFC 9110 §12.5.1), in header order."""
    ranges = []
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((fields[0].lower(), q))
    return ranges


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers, or None if it accepts none of them.

    A missing Accept header means ``*/*``. For each offer the most specific
    matching range gives its q; ties go to the earlier offer, so the first
    offer is the default.

    >>> negotiate("text/csv;q=0.5, application/sparql-results+json", ["text/csv", "application/sparql-results+json"])
    'application/sparql-results+json'
    >>> negotiate("image/png", ["text/turtle"]) is None
    True
    """
    ranges = parse_accept(accept) or [("*/*", 1.0)]
    best, best_q = None, 0.0
    for media_type in offered:
        major = media_type.split("/")[0]
        q, specificity = 0.0, -1
        for rng, rq in ranges:
            level = 2 if rng == media_type else 1 if rng == f"{major}/*" else 0 if rng == "*/*" else -1
            if level > specificity:
                q, specificity = rq, level
        if q > best_q:
            best, best_q = media_type, q
    return best


def content_type(media_type: str) -> str:
    """The Content-Type header for a media type: text formats and JSON carry their charset."""
    return f"{media_type}; charset=utf-8"


def result_kind(results) -> str:
    """'solutions', 'boolean' or 'triples' for what a store query returned."""
    if isinstance(results, ox.QueryBoolean):
        return "boolean"
    if isinstance(results, ox.QueryTriples):
        return "triples"
    return "solutions"


def serialize(results, fmt: Format) -> bytes:
    """Write query results (solutions, boolean or triples) with pyoxigraph's serialiser."""
    if isinstance(fmt.writer, ox.RdfFormat):
        return ox.serialize(results, format=fmt.writer, prefixes=_prefixes(fmt)) or b""
    return results.serialize(format=fmt.writer) or b""


def _prefixes(fmt: Format) -> dict[str, str] | None:
    from .namespaces import PREFIXES

    return PREFIXES if fmt.writer in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML) else None


def bind(**values: str) -> dict:
    """Query substitutions binding each variable to an IRI: ``bind(s="http://…")``."""
    return {ox.Variable(name): ox.NamedNode(iri) for name, iri in values.items()}


def iris(values: list[str]) -> list:
    """NamedNodes for IRIs given by a client; raises ValueError for an invalid one."""
    return [ox.NamedNode(value) for value in values]


def is_iri(term) -> bool:
    """True for an IRI (a NamedNode)."""
    return isinstance(term, ox.NamedNode)


@dataclass(frozen=True)
class Cell:
    """One RDF term made plain for a template."""

    kind: str  #: "iri", "literal" or "blank"
    value: str
    language: str = ""
    datatype: str = ""


def cell(term) -> Cell | None:
    """A Cell for a pyoxigraph term (None stays None)."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return Cell("iri", term.value)
    if isinstance(term, ox.Literal):
        return Cell("literal", term.value, term.language or "", term.datatype.value if term.datatype else "")
    return Cell("blank", str(term))


def tabulate(results, kind: str, max_rows: int) -> dict:
    """Query results as a table for HTML: variables, rows of Cells, and whether rows were cut at `max_rows`."""
    if kind == "boolean":
        return {"boolean": bool(results), "variables": [], "rows": [], "truncated": False}
    if kind == "triples":
        variables = ["subject", "predicate", "object"]
        source = ([t.subject, t.predicate, t.object] for t in results)
    else:
        variables = [v.value for v in results.variables]
        source = ([s[v] for v in variables] for s in results)
    rows = []
    for row in source:
        if len(rows) == max_rows:
            return {"variables": variables, "rows": rows, "truncated": True}
        rows.append([cell(t) for t in row])
    return {"variables": variables, "rows": rows, "truncated": False}


def solutions(results) -> list[dict[str, "Cell"]]:
    """SELECT results as a list of {variable: Cell} (unbound variables left out)."""
    names = [v.value for v in results.variables]
    return [{n: cell(s[n]) for n in names if s[n] is not None} for s in results]


# Figures and dates for citizens -------------------------------------------------

_MONTHS_ES = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
_MONTHS_EN = "January February March April May June July August September October November December".split()

#: (threshold, Spanish word, English word) for figures in plain language, largest first.
_SCALES = [
    (Decimal(10) ** 9, "mil millones", "billion"),
    (Decimal(10) ** 6, "millones", "million"),
]


def to_decimal(value) -> Decimal | None:
    """A Decimal from a literal's lexical form, or None when it is not a number."""
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _grouped(value: Decimal, places: int) -> str:
    return f"{value:,.{places}f}"


def _significant(value: Decimal) -> str:
    """Three significant figures, thousands grouped, trailing zeros dropped: 4261.75 → '4,260'."""
    digits = len(str(int(abs(value)))) if abs(value) >= 1 else 1
    places = max(0, 3 - digits)
    text = _grouped(round(value, places), places)
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_money(value, lang: str = "es", currency: str = "MXN") -> str:
    """A figure in plain language: '2.8 mil millones de pesos' / 'MXN 2.8 billion'; '$1,234.56' below a million.

    >>> format_money("2800000000")
    '2.8 mil millones de pesos'
    >>> format_money("80563748", "en")
    'MXN 80.6 million'
    >>> format_money("1234.5")
    '$1,234.50'
    """
    number = to_decimal(value)
    if number is None:
        return str(value)
    currency = currency or "MXN"
    for threshold, es_word, en_word in _SCALES:
        if abs(number) >= threshold:
            short = _significant(number / threshold)
            if lang == "en":
                return f"{currency} {short} {en_word}"
            return f"{short} {es_word} de pesos" if currency == "MXN" else f"{short} {es_word} {currency}"
    return format_exact(number, lang, currency)


def format_exact(value, lang: str = "es", currency: str = "MXN") -> str:
    """The exact figure with cents: '$2,800,000,000.00' (es, pesos) or 'MXN 2,800,000,000.00'."""
    number = to_decimal(value)
    if number is None:
        return str(value)
    text = _grouped(number, 2)
    if lang != "en" and (currency or "MXN") == "MXN":
        return f"${text}" if number >= 0 else f"-${text[1:]}"
    return f"{currency or 'MXN'} {text}"


def format_number(value, lang: str = "es") -> str:
    """A plain number with grouped thousands; decimals kept as given ('8.25', '200')."""
    number = to_decimal(value)
    if number is None:
        return str(value)
    if number == number.to_integral_value():
        return _grouped(number, 0)
    return f"{number:,f}"


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def format_date(value, lang: str = "es") -> str:
    """A date as people write it: '19 de agosto de 2011' / '19 August 2011'; a year stays a year.

    >>> format_date("2011-08-19")
    '19 de agosto de 2011'
    >>> format_date("2011-08-19", "en")
    '19 August 2011'
    """
    text = str(value)
    match = _DATE.match(text)
    if not match:
        return text
    year, month, day = match.groups()
    if not month:
        return year
    months = _MONTHS_EN if lang == "en" else _MONTHS_ES
    name = months[int(month) - 1]
    if not day:
        return f"{name} {year}" if lang == "en" else f"{name} de {year}"
    return f"{int(day)} {name} {year}" if lang == "en" else f"{int(day)} de {name} de {year}"
