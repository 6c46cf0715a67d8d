"""Read source files row by row: CSV (streamed), XLSX, JSON, JSON Lines and OCDS packages.

Every reader yields ``(n, record)``: ``n`` is the row's physical line (CSV,
header = 1), sheet row (XLSX) or 1-based record number (JSON); ``record`` is a
dict of cells (CSV/XLSX) or a 1-tuple holding the JSON record, or None when
the row cannot be read (its Problem is then appended to ``reader.problems``).
``reader.last_raw`` is the row as read (list of cells, or the JSON value), for
a rejects file. File-level problems raise InvalidData at once.

This module reads tables (CSV and spreadsheets) and chooses the reader for a
file (``open_rows``); JSON is read by json_reader.py, OCDS merged by
ocds_reader.py, and what they share is in source_files.py.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Iterator

from .errors import InvalidData, Problem
from .json_reader import (  # noqa: F401 - re-exported
    JSONL_SUFFIXES,
    JsonRecords,
    detect_stream,
    json_documents,
    json_names,
    json_records,
    records_at,
)
from .ocds_reader import OCDS_MERGE_RULES, compiled_releases  # noqa: F401 - re-exported
from .source_files import (  # noqa: F401 - re-exported
    Rows,
    choose_encoding,
    file_problem,
    open_binary,
    utf8_error,
)

#: File suffixes read as spreadsheets where a mapping reads CSV.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def sniff_delimiter(line: str) -> str:
    """The most frequent of , ; tab | outside quotes in a header line (',' on a tie)."""
    import re

    outside = re.sub(r'"[^"]*"', "", line)
    counts = {d: outside.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts.values())
    return "," if best == 0 or counts[","] == best else max(counts, key=counts.get)


#: Rows looked at, above the data, for the header row (files with a title or notes above it).
HEADER_SEARCH = 12


def find_header(lines, required: tuple[str, ...], top: list | None = None) -> tuple[list[str], int]:
    """(header, line) of the first non-empty row, or of a later one among the first HEADER_SEARCH
    that names more of the required columns (titles above the header); stops at one naming all.
    ``top``, if given, receives the rows looked at."""
    best: tuple[int, list[str], int] | None = None
    seen = 0
    want = set(required)
    for line, row in lines:
        header = [h.strip() for h in row]
        if not any(header):
            continue
        if top is not None:
            top.append(header)
        score = len(want & set(header))
        if best is None or score > best[0]:
            best = (score, header, line)
        seen += 1
        if score == len(want) or seen >= HEADER_SEARCH:
            break
    return (best[1], best[2]) if best else ([], 0)



class CsvRows(Rows):
    """Rows of a delimited text file, read as a stream; checks the header and each row's width."""

    def __init__(self, path: Path, file: str, source, encoding: str | None):
        super().__init__(file)
        codec = choose_encoding(path, file, encoding)
        self.handle = open(path, encoding=codec, errors="ftm-latin1" if codec == "cp1252" else "strict", newline="")
        first = ""
        for line in self.handle:
            if line.strip():
                first = line
                break
        self.handle.seek(0)
        self.first = first.strip("\r\n")
        delimiter = source.delimiter if source.delimiter != "auto" else sniff_delimiter(self.first)
        self.reader = csv.reader(self.handle, delimiter=delimiter, strict=source.quotes == "strict",
                                 escapechar="\\" if source.quotes == "backslash" else None)
        self.delimiter = delimiter
        try:
            self.header, self.header_line = find_header(
                ((self.reader.line_num, row) for row in self.reader), source.required)
        except csv.Error as exc:
            self.close()
            raise file_problem(file, f"the header row cannot be read as CSV ({exc})", "a header row") from None

    def __iter__(self) -> Iterator[tuple[int, dict | None]]:
        try:
            yield from self._rows()
        finally:
            self.close()

    def _rows(self):
        header, width, reader, file = self.header, len(self.header), self.reader, self.file
        absent = getattr(self, "absent", None)
        last = self.header_line
        while True:
            n = last + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:  # strict quoting: a quote opened and not closed where it should be
                if "field larger than field limit" in str(exc):  # a 10 MB cell, or a quote never closed
                    expected = (f"cells of at most {csv.field_size_limit():,} characters; one on this row runs "
                                f"to line {reader.line_num} (a quote opened and never closed?)")
                else:
                    expected = (f"well-formed CSV quoting: a quoted field that starts on this row "
                                f"is not closed properly by line {reader.line_num} ({exc})")
                self.problems.append(Problem(file, n, None, None, expected))
                self.bad_rows += 1
                last = reader.line_num
                self.last_raw = []
                yield n, None
                continue
            last = reader.line_num
            if not fields or (len(fields) == 1 and not fields[0].strip()):
                continue
            self.last_raw = fields
            if len(fields) != width:
                if len(fields) > width and not any(f.strip() for f in fields[width:]):
                    fields = fields[:width]
                else:
                    shown = self.delimiter.join(fields)
                    shown = shown if len(shown) <= 80 else shown[:77] + "..."
                    column = header[len(fields)] if len(fields) < width else f"(extra field {width + 1})"
                    self.problems.append(Problem(file, n, column, shown,
                                                 f"{width} fields as in the header, found {len(fields)} (shifted columns?)"))
                    self.bad_rows += 1
                    yield n, None
                    continue
            row = dict(zip(header, fields))
            if absent:
                row.update(absent)
            yield n, row

    def close(self) -> None:
        self.handle.close()

    def __del__(self):  # a reader dropped before its rows were read
        handle = getattr(self, "handle", None)
        if handle is not None:
            handle.close()


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a CSV would hold: dates ISO, whole floats without '.0'."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value)


class SheetRows(Rows):
    """Rows of the first sheet of a spreadsheet (XLSX, XLS, ODS), read with python-calamine."""

    def __init__(self, path: Path, file: str, required: tuple[str, ...] = ()):
        super().__init__(file)
        try:
            from python_calamine import CalamineWorkbook
        except ImportError:  # pragma: no cover - a runtime dependency
            raise file_problem(file, "reading spreadsheets needs the package python-calamine",
                               "python-calamine installed") from None
        try:
            book = CalamineWorkbook.from_path(str(path))
            sheet = book.get_sheet_by_index(0)
        except Exception as exc:  # calamine raises its own error types for broken files
            raise file_problem(file, f"cannot be read as a spreadsheet ({exc})", "an .xlsx, .xls or .ods workbook") from None
        self.rows = iter(sheet.iter_rows())
        self.sheet = sheet.name
        lines = ((n, [cell_text(c) for c in cells]) for n, cells in enumerate(self.rows, start=1))
        self.top: list[list[str]] = []
        self.header, self.header_line = find_header(lines, required, self.top)
        while self.header and not self.header[-1]:
            self.header.pop()
        self.first = ",".join(self.header)

    def __iter__(self):
        header, width = self.header, len(self.header)
        absent = getattr(self, "absent", None)
        for n, cells in enumerate(self.rows, start=self.header_line + 1):
            fields = [cell_text(c) for c in cells]
            if not any(f.strip() for f in fields):
                continue
            self.last_raw = fields
            if len(fields) > width:
                if any(f.strip() for f in fields[width:]):
                    self.problems.append(Problem(self.file, n, f"(extra field {width + 1})", None,
                                                 f"{width} cells as in the header (shifted columns?)"))
                    self.bad_rows += 1
                    yield n, None
                    continue
                fields = fields[:width]
            row = dict(zip(header, fields + [""] * (width - len(fields))))
            if absent:
                row.update(absent)
            yield n, row


def table_rows(path: Path, file: str, mapping, encoding: str | None) -> Rows:
    """Open a CSV or spreadsheet, check its header against the mapping; return the row reader."""
    source = mapping.source
    if path.stat().st_size == 0 if path.exists() else False:
        raise InvalidData(f"{file}: the file is empty; expected a header row and data rows",
                          [Problem(file, None, None, None, f"a header row naming the columns {', '.join(source.required)}")])
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        open_binary(path, file).close()
        rows: Rows = SheetRows(path, file, source.required)
    else:
        open_binary(path, file).close()
        rows = CsvRows(path, file, source, encoding)
    header, required = rows.header, source.required
    if not header:
        getattr(rows, "close", lambda: None)()
        raise InvalidData(f"{file}: the file is empty; expected a header row and data rows",
                          [Problem(file, None, None, None, f"a header row naming the columns {', '.join(required)}")])
    problems = []
    missing = [c for c in required if c not in header]
    if missing and len(missing) == len(required):
        problems.append(Problem(file, rows.header_line, None, rows.first[:80],
                                f"a header row naming the columns {', '.join(required)} (is the header missing?)"))
    else:
        problems += [Problem(file, rows.header_line, c, None, f"a column named '{c}' in the header") for c in missing]
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    problems += [Problem(file, rows.header_line, h, None, "each column name once in the header") for h in dupes]
    if problems:
        getattr(rows, "close", lambda: None)()
        what = "has no header row" if len(missing) == len(required) and required else "lacks columns"
        raise InvalidData(f"{file}: {what} for mapping {mapping.name}", problems)
    rows.absent = dict.fromkeys((c for c in source.optional if c not in header), "")
    return rows



#: open_rows' default: read with the encoding the mapping declares.
DECLARED = "declared"


def open_rows(path: Path, mapping, encoding: str | None = DECLARED) -> Rows:
    """The row reader for a source file under a mapping (CSV/XLSX or JSON). encoding: a codec, None (auto)."""
    path = Path(path)
    encoding = mapping.source.encoding if encoding == DECLARED else encoding
    if mapping.source.format == "json":
        open_binary(path, path.name).close()
        return json_records(path, path.name, mapping)
    return table_rows(path, path.name, mapping, encoding)


class Names(set):
    """Column names seen at the top of a file; ``first`` are those of its first row (for messages)."""

    first: set = set()


def header_names(path: Path) -> tuple[str, set[str]]:
    """For kind detection: ('csv', the cells of the first rows, where the header is) or ('json', top-level
    keys of the document and of its first record). Reads the head of a CSV file; a big JSON document only
    up to its first record (json_reader.STREAM_FROM)."""
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        sheet = SheetRows(path, path.name, required=("\0",))  # an impossible column: look at every top row
        names = Names(c for row in sheet.top for c in row if c)
        names.first = {c for c in sheet.top[0] if c} if sheet.top else set()
        return "csv", names
    with open_binary(path, path.name) as f:
        head = f.read(1 << 16)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        names: set[str] = set()
        for _, doc in json_documents(path, path.name, detect_stream):
            names |= json_names(doc)
            break
        return "json", names
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        text = head[: exc.start].decode("utf-8-sig") if exc.start > len(head) - 4 else head.decode("cp1252", "replace")
    lines = [line for line in text.splitlines() if line.strip()][:HEADER_SEARCH]
    names = Names()
    for n, line in enumerate(lines):
        cells = {h.strip() for h in next(csv.reader(io.StringIO(line), delimiter=sniff_delimiter(line)), [])}
        names |= cells
        if n == 0:
            names.first = cells
    return "csv", names
