"""CSV cells made inert for spreadsheets (CSV or formula injection).

A label in a source file can start with ``=``, ``+``, ``-`` or ``@``
(``=cmd|' /C calc'!A0``, ``=HYPERLINK(…)``); a spreadsheet opening a table
downloaded from an entity page would run it as a formula. Following OWASP
(https://owasp.org/www-community/attacks/CSV_Injection), a text cell starting
with one of those characters, or with a tab, carriage return or line feed, gets
a leading apostrophe, which spreadsheets read as "this is text". Numbers are
left alone: ``-1500.00`` is a negative amount, not a formula.

Only the human-facing table downloads go through here. The ``text/csv`` results
of ``/sparql`` are the W3C format "SPARQL 1.1 Query Results CSV and TSV", which
programs parse and must receive exactly as stored
(https://www.w3.org/TR/sparql11-results-csv-tsv/): they are not altered.
"""

import csv
import io
import re
from typing import Any, Iterable

#: First characters that make a spreadsheet read a cell as a formula (OWASP), with their full-width forms,
#: which some spreadsheet locales also accept.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """A cell as it is safe to open in a spreadsheet: text that could start a formula gets a leading ``'``.

    >>> neutralise("=cmd|' /C calc'!A0"), neutralise("-1500.00"), neutralise("Banobras")
    ("'=cmd|' /C calc'!A0", '-1500.00', 'Banobras')
    """
    if isinstance(value, str) and value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_rows(rows: Iterable[Iterable[Any]]) -> list[list[Any]]:
    """Every cell of a table through :func:`neutralise`."""
    return [[neutralise(v) for v in row] for row in rows]


def write_csv(columns: list[str], rows: Iterable[Iterable[Any]]) -> str:
    """A table as CSV text (RFC 4180 quoting) with every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(safe_rows([columns])[0])
    writer.writerows(safe_rows(rows))
    return out.getvalue()
