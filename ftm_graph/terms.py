"""N-Quads terms as text: literals, IRI segments, and JSON values read as cell text.

The engine builds N-Quads lines as strings, not as RDF library objects (see
NOTES.md: string building is ~5x faster than building pyoxigraph terms); the
escaping rules for those strings live here, in one place.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from . import clean
from .namespaces import PROV, RDF, RDFS, XSD

TYPE = f"<{RDF}type>"
LABEL = f"<{RDFS}label>"
DERIVED = f"<{PROV}wasDerivedFrom>"
TRUE = f'"true"^^<{XSD}boolean>'


def literal(value: str, datatype: str | None = None, lang: str | None = None) -> str:
    """An N-Triples literal, escaped (RDF 1.1 N-Triples §2.5 ECHAR).

    >>> literal('say "hi"', lang="en")
    '"say \\\\"hi\\\\""@en'
    """
    if "\\" in value or '"' in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if lang:
        return f'"{value}"@{lang}'
    if datatype:
        return f'"{value}"^^<{datatype}>'
    return f'"{value}"'


# Characters not allowed in an IRI (RFC 3987 §2.2 plus our path separators), percent-encoded.
_IRI_UNSAFE = {c: f"%{ord(c):02X}" for c in ' <>"{}|\\^`/?#%'}
_IRI_UNSAFE.update({chr(i): f"%{i:02X}" for i in range(0x21)})
_IRI_TABLE = str.maketrans(_IRI_UNSAFE)


# What else an IRI path segment cannot hold (RFC 3987 §2.2 ipchar): '[' ']', DEL and C1 controls, private
# use, surrogates, non-characters. Percent-encoded as UTF-8 (lone surrogates too), so the IRI always parses.
_UCSCHAR = "\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef" + "".join(  # plane 14 from E1000 (RFC 3987)
    f"{chr(plane << 16 | (0x1000 if plane == 14 else 0))}-{chr(plane << 16 | 0xFFFD)}" for plane in range(1, 15))
_NOT_IPCHAR = re.compile("[^A-Za-z0-9\\-._~!$&'()*+,;=:@%" + _UCSCHAR + "]")


def _percent(match: re.Match) -> str:
    return "".join(f"%{b:02X}" for b in match.group().encode("utf-8", "surrogatepass"))


def iri_segment(value: str) -> str:
    """Percent-encode what an IRI path segment cannot hold; other characters are kept.

    >>> iri_segment("SIE-0095/2014 BIS3"), iri_segment("[::1]")
    ('SIE-0095%2F2014%20BIS3', '%5B::1%5D')
    """
    value = value.translate(_IRI_TABLE)
    return _NOT_IPCHAR.sub(_percent, value) if _NOT_IPCHAR.search(value) else value


def json_contains(value: Any, wanted: frozenset) -> bool:
    """Whether a JSON array has one of the wanted items (or a scalar is one of them)."""
    if isinstance(value, list):
        return any(isinstance(v, (str, int, float)) and str(v) in wanted for v in value)
    return json_text(value).strip() in wanted


def json_has(value: Any) -> bool:
    """Whether a JSON value is there: not null, not an empty text, array or object."""
    if isinstance(value, str):
        return bool(value.strip())
    return value is not None and value != [] and value != {}


def json_text(value: Any) -> str:
    """A JSON value as cell text: numbers without exponent, lists joined, objects empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return clean.canonical_decimal(Decimal(repr(value)))
    if isinstance(value, list):
        return "; ".join(json_text(v) for v in value if not isinstance(v, (dict, list)))
    return ""
