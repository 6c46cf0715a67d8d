"""Apply a mapping to a source file: rows (CSV or JSON records) -> N-Quads text.

``map_file`` checks every row and writes N-Quads lines, all in the file's
graph. The mapping is compiled once into closures that build strings; no RDF
library objects are made per row (see NOTES.md: string building is ~5x faster
than building pyoxigraph terms). Nothing here touches the store.

The engine is split by concern: readers.py / json_reader.py / ocds_reader.py
give the rows, compiler.py turns the mapping into closures, runner.py makes
one row's lines, terms.py formats N-Quads terms; this module drives the loop,
collects the problems and writes rejected rows.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO

from .compiler import RowProblem  # noqa: F401 - re-exported
from .errors import InvalidData, Problem
from .runner import Runner
from .spec import ENCODINGS, Mapping
from .terms import iri_segment, literal  # noqa: F401 - re-exported: tests and callers import them from here

MAX_PROBLEMS = 50


@dataclass
class MapResult:
    """What one map_file call produced."""

    rows: int  #: data rows (CSV) or records (JSON) read
    triples: int  #: N-Quads lines written
    rejected: int = 0  #: rows left out (skip_bad_rows)


#: Rows between two calls of map_file's progress callback.
PROGRESS_EVERY = 5000
#: Columns of a rejects file (--skip-bad-rows).
REJECT_COLUMNS = ["row", "column", "value", "expected", "record"]


def map_file(path: Path, mapping: Mapping, *, base_uri: str, graph_iri: str, out: TextIO,
             encoding: str | None = None, progress: Callable[[int], None] | None = None,
             skip_bad_rows: bool = False, rejects: TextIO | None = None) -> MapResult:
    """Map one source file to N-Quads in ``graph_iri``, writing lines to ``out``.

    The file is read as a stream. Every row is checked; if any does not fit,
    InvalidData lists the problems (at most 50) and the caller must discard
    what was written. With ``skip_bad_rows``, a row that does not fit is left
    out (nothing of it is written) and, when ``rejects`` is given, written there
    as CSV with its reasons (REJECT_COLUMNS); file-level problems still refuse
    the file. `progress`, if given, is called with the number of rows read
    every PROGRESS_EVERY rows.
    """
    from .readers import open_rows

    if encoding is not None:
        if encoding.lower() not in ENCODINGS:
            file = Path(path).name
            raise InvalidData(f"{file}: unknown encoding '{encoding}'",
                              [Problem(file, None, None, encoding, f"one of {', '.join(ENCODINGS)}")])
        encoding = ENCODINGS[encoding.lower()]
    else:
        encoding = mapping.source.encoding
    rows = open_rows(Path(path), mapping, encoding)  # None: auto
    file = rows.file
    runner = Runner(mapping, base_uri, graph_iri, file)
    problems: list[Problem] = []
    reject = csv.writer(rejects).writerow if rejects is not None else None
    if reject:
        reject(REJECT_COLUMNS)
    bad_rows = rejected = 0
    count = triples = 0
    row = runner.row
    write = out.write
    for n, record in rows:
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
        if record is None:  # a row or record that cannot be read: its problem is in rows.problems
            if skip_bad_rows:
                rejected += 1
                _reject(reject, rows.problems, rows.last_raw)
                rows.problems.clear()
            continue
        if skip_bad_rows:
            mine: list[Problem] = []
            lines = row(record, n, mine)
            if mine:
                rejected += 1
                _reject(reject, mine, rows.last_raw)
                continue
        else:
            before = len(problems)
            lines = row(record, n, problems)
            if len(problems) > before:
                bad_rows += 1
                if len(problems) > 10 * MAX_PROBLEMS:  # enough to show; keep memory flat on a hopeless file
                    del problems[MAX_PROBLEMS:]
        triples += len(lines)
        write("".join(lines))
    if not skip_bad_rows:
        problems.extend(rows.problems)
        bad_rows += rows.bad_rows
    if problems:
        problems.sort(key=lambda p: (p.row or 0))
        raise InvalidData(f"{file}: {bad_rows} rows do not fit mapping {mapping.name}", problems[:MAX_PROBLEMS])
    return MapResult(count, triples, rejected)


def _reject(writerow, problems: list[Problem], raw: Any) -> None:
    """Write a rejected row's problems to the rejects file, each with the row as it was read."""
    if writerow is None:
        return
    if isinstance(raw, list):
        buf = io.StringIO()
        csv.writer(buf).writerow(raw)
        record = buf.getvalue().rstrip("\r\n")
    elif raw is None:
        record = ""
    else:
        record = json.dumps(raw, ensure_ascii=False)[:100_000]
    for p in problems:
        writerow([p.row if p.row is not None else "", p.column or "", "" if p.value is None else p.value,
                  p.expected, record])
