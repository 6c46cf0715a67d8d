"""Cleaning functions: dirty Mexican public-finance values -> RDF lexical forms.

Each cleaner takes the raw text of a cell and returns the cleaned lexical form
(a ``str``), ``None`` for "no value", or raises :class:`BadValue` naming what
was expected. Cleaners are idempotent (cleaning a cleaned value gives it
back), except lookups and numbers read with ``decimal: comma``.
``make_cleaner`` builds one from its mapping spec (see mappings/README.md).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Callable

from .namespaces import XSD


class BadValue(ValueError):
    """A value a cleaner cannot read; the message says what was expected."""


_SPACES = re.compile(r"\s+")
_DASHES = {"-", "–", "—", "--"}


def text(value: str | None) -> str | None:
    """Trim, collapse runs of spaces (non-breaking ones too); empty -> None.

    >>> text("  Secretaría\\xa0de   Finanzas ")
    'Secretaría de Finanzas'
    """
    if value is None:
        return None
    if "  " in value or "\xa0" in value or "\t" in value or "\n" in value or "\r" in value or "\u202f" in value:
        value = _SPACES.sub(" ", value)
    return value.strip() or None


def code(value: str | None) -> str | None:
    """Keep an identifier as given, only trimmed."""
    if value is None:
        return None
    v = value.replace("\xa0", " ").strip()
    return v or None


def raw(value: str | None) -> str | None:
    """Keep the value exactly; only the empty string means no value."""
    return value or None


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)
def slug(value: str | None) -> str | None:
    """Lower-case ASCII, accents folded, '-' for runs of other characters.

    >>> slug("Secretaría de Finanzas (SEFIN)")
    'secretaria-de-finanzas-sefin'
    """
    if not value:
        return None
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    s = _NOT_SLUG.sub("-", folded.lower()).strip("-")
    return s or None


_NUMBER = {
    "point": re.compile(r"^(\d{1,3}(?:[, ]\d{3})+|\d*)(\.\d*)?$"),
    "comma": re.compile(r"^(\d{1,3}(?:[. ]\d{3})+|\d*)(,\d*)?$"),
}
_CURRENCY = re.compile(r"^(?:MXN|MN|M\.N\.|\$)\s*|\s*(?:MXN|MN|M\.N\.|pesos)$", re.I)


_PLAIN = re.compile(r"\d+(?:\.\d+)?")
_SEPARATORS = re.compile(r"[ ,.]")


def _number(value: str, decimal: str, money: bool) -> str | None:
    """Parse a number with thousands separators into a canonical decimal string."""
    v = value.strip()
    if not v:
        return None
    if decimal == "point" and _PLAIN.fullmatch(v):  # fast path: 1234 or 1234.50
        whole, _, fraction = v.partition(".")
        whole, fraction = whole.lstrip("0") or "0", fraction.rstrip("0")
        return f"{whole}.{fraction}" if fraction else whole
    if "\xa0" in v or "\u202f" in v or "  " in v or "\t" in v:
        v = _SPACES.sub(" ", v.replace("\u202f", " ")).strip()
    if v in _DASHES:
        return None
    negative = False
    if money and v.startswith("(") and v.endswith(")"):
        negative, v = True, v[1:-1].strip()
    if v[:1] in "-−‐‑":
        negative, v = not negative, v[1:].strip()
    elif v[:1] == "+":
        v = v[1:].strip()
    if money and (v[:1] in "$Mm" or v[-1:] in "NnSs."):
        for _ in range(2):
            v = _CURRENCY.sub("", v).strip()
        if v[:1] in "-−‐‑":
            negative, v = not negative, v[1:].strip()
    m = _NUMBER[decimal].match(v)
    if not m or not (m.group(1) or m.group(2)) or v in {".", ","}:
        raise BadValue("")
    integer = _SEPARATORS.sub("", m.group(1))
    fraction = (m.group(2) or "")[1:]
    number = Decimal(f"{integer or 0}.{fraction or 0}")
    return canonical_decimal(-number if negative else number)


def canonical_decimal(number: Decimal) -> str:
    """The canonical lexical form: no exponent, no trailing zeros, '-0' is '0'.

    >>> canonical_decimal(Decimal("1234.500"))
    '1234.5'
    """
    n = number.normalize()
    s = format(n, "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s in {"-0", ""} else s


def amount(value: str | None, decimal: str = "point") -> str | None:
    """A money amount: '$1,234.56', '1 234.5', '(1,234.00)' negative, '-' none.

    >>> amount("$1,234.56"), amount("(1,234.00)"), amount("-"), amount("1.234,5", "comma")
    ('1234.56', '-1234', None, '1234.5')
    """
    if value is None:
        return None
    try:
        return _number(value, decimal, money=True)
    except (BadValue, InvalidOperation):
        example = "1.234,56" if decimal == "comma" else "1,234.56"
        raise BadValue(f"an amount such as {example}") from None


def number(value: str | None, decimal: str = "point") -> str | None:
    """A plain decimal number such as 1,234.5 (no currency, no parentheses)."""
    if value is None:
        return None
    try:
        return _number(value, decimal, money=False)
    except (BadValue, InvalidOperation):
        raise BadValue("a decimal number such as 1234.5") from None


def integer(value: str | None) -> str | None:
    """A whole number: '1,234' or '12.0'."""
    if value is None:
        return None
    try:
        n = _number(value, "point", money=False)
    except (BadValue, InvalidOperation):
        n = "x"
    if n is None:
        return None
    if not re.fullmatch(r"-?\d+", n):
        raise BadValue("a whole number such as 1234")
    return n


def percent(value: str | None, decimal: str = "point") -> str | None:
    """A percentage: '8.25%', '8.25 %' or '8.25' -> '8.25'."""
    if value is None:
        return None
    v = value.strip().rstrip("%").strip()
    try:
        return _number(v, decimal, money=False) if v else None
    except (BadValue, InvalidOperation):
        raise BadValue("a percentage such as 8.25%") from None


_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_ISO_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)
#: Declared day-month-year layouts: format name -> (regex, order of the groups).
DATE_FORMATS: dict[str, tuple[re.Pattern, str]] = {
    "dd/mm/yyyy": (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), "dmy"),
    "mm/dd/yyyy": (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), "mdy"),
    "yyyy/mm/dd": (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), "ymd"),
    "dd-mm-yyyy": (re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$"), "dmy"),
    "dd.mm.yyyy": (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), "dmy"),
}
_EXCEL_EPOCH = date(1899, 12, 30)
#: Placeholders that mean "no date" (MySQL's zero date, exported as is by many systems).
_NO_DATE = {"0000-00-00", "0000-00-00 00:00:00", "00/00/0000"}  # Excel's 1900 system, counting its fictitious 29 Feb 1900


def parse_date(value: str | None, format: str | None = None, excel: bool = False) -> str | None:
    """A date as yyyy-mm-dd. ISO dates and date-times always; others only when declared.

    >>> parse_date("2018-04-18T00:00:00-05:00"), parse_date("19/08/2011", "dd/mm/yyyy")
    ('2018-04-18', '2011-08-19')
    >>> parse_date("43210", excel=True)
    '2018-04-20'
    """
    v = text(value)
    if v is None or v in _NO_DATE:
        return None
    expected = f"a date as {format}" if format and format != "excel" else "a date as yyyy-mm-dd"
    m = _ISO_DATETIME.match(v)
    if m:
        v = m.group(1)
    try:
        m = _ISO_DATE.match(v)
        if m:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        if excel or format == "excel":
            if re.fullmatch(r"\d{1,6}(\.0+)?", v):
                return (_EXCEL_EPOCH + timedelta(days=int(float(v)))).isoformat()
            expected = "an Excel date serial number such as 43210, or yyyy-mm-dd"
        if format in DATE_FORMATS:
            pattern, order = DATE_FORMATS[format]
            m = pattern.match(v)
            if m:
                parts = dict(zip(order, (int(g) for g in m.groups())))
                return date(parts["y"], parts["m"], parts["d"]).isoformat()
    except ValueError:
        raise BadValue(f"{expected} (a real calendar date)") from None
    if format is None and not excel and re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}", v):
        expected += " (declare the layout in the mapping, e.g. {date: {format: dd/mm/yyyy}})"
    raise BadValue(expected)


_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def partial_date(value: str | None, format: str | None = None) -> tuple[str, str] | None:
    """A date that may be only a year or a month: (lexical form, XSD type name).

    >>> partial_date("2017"), partial_date("2017-03"), partial_date("2017-03-05")
    (('2017', 'gYear'), ('2017-03', 'gYearMonth'), ('2017-03-05', 'date'))
    """
    v = text(value)
    if v is None:
        return None
    m = _PARTIAL.match(v)
    if m:
        if m.group(2) is None:
            return v, "gYear"
        if 1 <= int(m.group(2)) <= 12:
            return v, "gYearMonth"
        raise BadValue("a date as yyyy-mm-dd, a month as yyyy-mm or a year as yyyy")
    try:
        return parse_date(v, format), "date"
    except BadValue:
        raise BadValue("a date as yyyy-mm-dd, a month as yyyy-mm or a year as yyyy") from None


def year(value: str | None) -> str | None:
    """A year: '2018', '2018.0', or the year of a date."""
    v = text(value)
    if v is None:
        return None
    m = re.fullmatch(r"(\d{4})(?:\.0+)?", v) or re.match(r"(\d{4})-\d{2}-\d{2}", v)
    if not m:
        raise BadValue("a year such as 2018")
    return m.group(1)


_TRUE = {"si", "sí", "yes", "true", "1", "x", "verdadero"}
_FALSE = {"no", "false", "0", "falso"}


def boolean(value: str | None) -> str | None:
    """'sí'/'yes'/'true'/'1'/'x' -> 'true'; 'no'/'false'/'0' -> 'false'."""
    v = text(value)
    if v is None:
        return None
    low = v.lower()
    if low in _TRUE:
        return "true"
    if low in _FALSE:
        return "false"
    raise BadValue("sí/no, true/false or 1/0")


#: Mexican legal-form suffixes, written without separators (S.A.P.I. de C.V., S. de R.L. de C.V., A.C., …).
_LEGAL_FORMS = frozenset({
    "sapidecv", "sabdecv", "sadecv", "sderldecv", "srldecv", "sderl", "sderlmi", "scderl", "scdecv", "scderldecv",
    "sc", "ac", "iap", "abp", "sa", "snc", "scp", "sofom", "enr", "er", "sapi", "sab", "sadecvsofomenr",
})


def company(value: str | None) -> str | None:
    """A company name as a key: accents, case, punctuation and the legal form (S.A. de C.V. …) ignored.

    >>> company("BIOTECH DEL NORTE S A P I DE CV"), company("Biotech del Norte, S.A.P.I. de C.V.")
    ('biotech-del-norte', 'biotech-del-norte')
    """
    key = slug(value)
    if key is None:
        return None
    words = key.split("-")
    for k in range(1, len(words)):  # the longest tail that is a legal form
        if "".join(words[k:]) in _LEGAL_FORMS:
            return "-".join(words[:k])
    return key


RFC_PATTERN = re.compile(r"^[A-ZÑ&]{3,4}[0-9]{6}[A-Z0-9]{3}$")


def rfc(value: str | None) -> str | None:
    """A Mexican taxpayer id (RFC): upper-cased, spaces and '-' removed, pattern checked.

    >>> rfc(" dcu-801124-b41 ")
    'DCU801124B41'
    """
    v = text(value)
    if v is None:
        return None
    v = re.sub(r"[\s-]", "", v.upper())
    if not RFC_PATTERN.match(v):
        raise BadValue("an RFC: 3-4 letters, 6 digits (yymmdd), 3 letters or digits")
    return v


def lookup_key(value: str) -> str:
    """How lookup aliases are compared: case, accents and punctuation ignored."""
    return slug(value) or ""


def read_lookup(path: Path) -> dict[str, dict[str, str]]:
    """Read a lookup table: normalised alias -> its line. '#' lines are comments."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        lines = [line for line in f if not line.startswith("#")]
    reader = csv.DictReader(lines)
    if not reader.fieldnames or reader.fieldnames[0] != "alias":
        raise ValueError(f"{path.name}: the first column of a lookup table must be 'alias'")
    table: dict[str, dict[str, str]] = {}
    for line in reader:
        key = lookup_key(line["alias"])
        if key in table and table[key] != {**line, "alias": table[key]["alias"]}:
            raise ValueError(f"{path.name}: alias {line['alias']!r} is given twice with different values")
        table.setdefault(key, line)
    return table


def read_wikidata(path: Path) -> dict[str, str]:
    """Read lookups/wikidata.csv: our IRI path -> QID. Every row must name the source its QID was quoted from."""
    shown = f"{path.parent.name}/{path.name}"
    with path.open(encoding="utf-8-sig", newline="") as f:
        lines = [(n, line) for n, line in enumerate(f, start=1) if not line.startswith("#")]
    reader = csv.DictReader(line for _, line in lines)
    want = ["alias", "qid", "label", "source"]
    if reader.fieldnames != want:
        raise ValueError(f"{shown}: expected the columns {', '.join(want)}, found {reader.fieldnames}")
    out: dict[str, str] = {}
    for (n, _), row in zip(lines[1:], reader):
        if not re.fullmatch(r"Q[1-9]\d*", row["qid"] or ""):
            raise ValueError(f"{shown}: line {n}: qid '{row['qid']}' is not a Wikidata item such as Q80269")
        if not (row["source"] or "").strip():
            raise ValueError(f"{shown}: line {n}: no source for {row['qid']}; only a QID found in a "
                             f"source that can be quoted belongs here")
        out[row["alias"].strip().strip("/")] = row["qid"]
    return out


@dataclass(frozen=True)
class Cleaner:
    """A cleaning function with what it produces."""

    name: str  #: the cleaner's name in mappings (``amount``, ``date`` …)
    func: Callable[[str | None], str | None]  #: raw text -> lexical form or None; raises BadValue
    datatype: str | None  #: the literal's XSD datatype IRI, None for a plain string
    keeps: bool  #: True when the value is an identifier kept as given in IRI templates

    def __call__(self, value: str | None) -> str | None:
        return self.func(value)


_SIMPLE: dict[str, tuple[Callable, str | None, bool]] = {
    "text": (text, None, False),
    "code": (code, None, True),
    "raw": (raw, None, True),
    "slug": (slug, None, False),
    "amount": (amount, XSD + "decimal", False),
    "decimal": (number, XSD + "decimal", False),
    "integer": (integer, XSD + "integer", False),
    "percent": (percent, XSD + "decimal", False),
    "date": (parse_date, XSD + "date", False),
    "year": (year, XSD + "gYear", False),
    "boolean": (boolean, XSD + "boolean", False),
    "rfc": (rfc, None, True),
    "company": (company, None, False),
}
#: Options each cleaner accepts, with their allowed values (None: any text).
OPTIONS: dict[str, dict[str, tuple | None]] = {
    "amount": {"decimal": ("point", "comma")},
    "decimal": {"decimal": ("point", "comma")},
    "percent": {"decimal": ("point", "comma")},
    "date": {"format": tuple(DATE_FORMATS) + ("excel", "yyyy-mm-dd"), "excel": (True, False)},
    "lookup": {"table": None, "field": None, "default": None},
}
CLEANERS = tuple(_SIMPLE) + ("lookup",)


def make_cleaner(spec: str | dict, lookups: Path) -> Cleaner:
    """Build a cleaner from its mapping spec: a name or ``{name: {option: value}}``.

    Raises ValueError with a sentence naming the unknown cleaner or option.
    """
    if isinstance(spec, str):
        name, options = spec, {}
    elif isinstance(spec, dict) and len(spec) == 1:
        name, options = next(iter(spec.items()))
        options = options or {}
        if not isinstance(options, dict):
            raise ValueError(f"options of cleaner '{name}' must be a mapping")
    else:
        raise ValueError("a cleaner is a name or {name: {options}}")
    if name not in CLEANERS:
        raise ValueError(f"unknown cleaner '{name}'; expected one of {', '.join(CLEANERS)}")
    allowed = OPTIONS.get(name, {})
    for key, val in options.items():
        if key not in allowed:
            expected = ", ".join(allowed) or "no options"
            raise ValueError(f"unknown option '{key}' of cleaner '{name}'; expected {expected}")
        if allowed[key] is not None and val not in allowed[key]:
            raise ValueError(f"option '{key}' of cleaner '{name}' is {val!r}; expected one of {allowed[key]}")
    if name == "lookup":
        return _lookup_cleaner(options, lookups)
    func, datatype, keeps = _SIMPLE[name]
    if options:
        if name == "date" and options.get("format") == "yyyy-mm-dd":
            options = {}
        base = func
        func = lambda v, base=base, options=options: base(v, **options)  # noqa: E731
    return Cleaner(name, func, datatype, keeps)


def _lookup_cleaner(options: dict, lookups: Path) -> Cleaner:
    """A cleaner that maps aliases to one field of a lookup table."""
    if "table" not in options or "field" not in options:
        raise ValueError("cleaner 'lookup' needs the options 'table' and 'field'")
    path = lookups / f"{options['table']}.csv"
    if not path.is_file():
        raise ValueError(f"lookup table '{options['table']}' not found (expected {path.parent.name}/{path.name})")
    table = read_lookup(path)
    field = options["field"]
    first = next(iter(table.values()), {})
    if field not in first:
        raise ValueError(f"lookup table '{options['table']}' has no column '{field}'")
    default = options.get("default")
    name = options["table"]

    def look_up(value: str | None) -> str | None:
        v = text(value)
        if v is None:
            return None
        line = table.get(lookup_key(v))
        if line is None:
            if default is not None:
                return str(default)
            raise BadValue(f"a value listed in lookups/{name}.csv")
        return line[field] or None

    return Cleaner("lookup", look_up, None, True)
