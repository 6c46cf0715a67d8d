"""Read source files row by row: CSV (streamed), XLSX, JSON, JSON Lines and OCDS packages.

Every reader yields ``(n, record)``: ``n`` is the row's physical line (CSV,
header = 1), sheet row (XLSX) or 1-based record number (JSON); ``record`` is a
dict of cells (CSV/XLSX) or a 1-tuple holding the JSON record, or None when
the row cannot be read (its Problem is then appended to ``reader.problems``).
``reader.last_raw`` is the row as read (list of cells, or the JSON value), for
a rejects file. File-level problems raise InvalidData at once.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, Iterator

from .errors import InvalidData, Problem

#: File suffixes read as spreadsheets where a mapping reads CSV.
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
#: File suffixes read as JSON Lines (one JSON document per line).
JSONL_SUFFIXES = (".jsonl", ".ndjson")
_CHUNK = 1 << 20


def _latin1_fallback(exc: UnicodeDecodeError):
    """cp1252 leaves 5 bytes undefined; read them as Latin-1 (their C1 control characters)."""
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("ftm-latin1", _latin1_fallback)


def file_problem(file: str, message: str, expected: str, row: int | None = None, value: str | None = None):
    return InvalidData(f"{file}: {message}", [Problem(file, row, None, value, expected)])


def open_binary(path: Path, file: str):
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise file_problem(file, f"file not found ({path})", "an existing file") from None
    except OSError as exc:
        raise file_problem(file, f"cannot read the file: {exc.strerror}", "a readable file") from None


def utf8_error(path: Path) -> tuple[int, int, str] | None:
    """Scan a file as UTF-8 in chunks (flat memory): None, or (line, byte, snippet) of the first bad byte."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    with open(path, "rb") as f:
        while True:
            block = f.read(_CHUNK)
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                data, bad = exc.object, exc.start  # the decoder's buffered bytes + this block
                line = lines + data.count(b"\n", 0, bad) + 1
                snippet = data[max(0, bad - 15) : bad + 5].decode("utf-8", errors="replace")
                return line, data[bad], snippet
            if not block:
                return None
            lines += block.count(b"\n")


def choose_encoding(path: Path, file: str, declared: str | None) -> str:
    """The codec to read a text file with. Auto: UTF-8 (BOM removed) unless the bytes are not UTF-8, then cp1252."""
    if declared not in (None, "utf-8", "utf-8-sig"):
        return declared
    bad = utf8_error(path)
    if bad is None:
        return "utf-8-sig"
    if declared is None:
        return "cp1252"
    line, byte, snippet = bad
    raise InvalidData(
        f"{file}: is not UTF-8 text as the mapping declares (byte 0x{byte:02X} on line {line})",
        [Problem(file, line, None, snippet,
                 "UTF-8 text; this looks like Windows-1252/Latin-1: declare encoding: cp1252 (or auto)")],
    )


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


class Rows:
    """Base of the row readers: the problems of unreadable rows and the last row as read."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.bad_rows = 0
        self.last_raw: Any = None
        self.header: list[str] = []


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
                self.problems.append(Problem(file, n, None, None,
                                             f"well-formed CSV quoting: a quoted field that starts on this row "
                                             f"is not closed properly by line {reader.line_num} ({exc})"))
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


# ---- JSON ---------------------------------------------------------------------------------------------

def _json_documents(path: Path, file: str) -> Iterator[tuple[int, Any]]:
    """(line, document): the one document of a JSON file, or each line of a JSON Lines file."""
    with open_binary(path, file) as f:
        head = f.read(1 << 16)
    lines_mode = path.suffix.lower() in JSONL_SUFFIXES
    if not lines_mode:
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        first_line = stripped.split(b"\n", 1)[0].strip()
        if stripped[:1] == b"{" and first_line.endswith(b"}") and b"\n" in stripped.strip():
            try:  # a first line that is a whole object, and more after it: JSON Lines
                json.loads(first_line)
                lines_mode = True
            except ValueError:
                pass
    if lines_mode:
        with open(path, encoding="utf-8-sig", errors="strict") as f:
            try:
                for n, line in enumerate(f, start=1):
                    if not line.strip():
                        continue
                    try:
                        yield n, json.loads(line)
                    except ValueError as exc:
                        raise InvalidData(f"{file}: line {n} is not valid JSON: {exc}",
                                          [Problem(file, n, None, line[:80], "one JSON document per line")]) from None
            except UnicodeDecodeError:
                raise file_problem(file, "is not UTF-8 JSON", "UTF-8 JSON (RFC 8259 §8.1)") from None
        return
    with open_binary(path, file) as f:
        data = f.read()
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise file_problem(file, "is not UTF-8 JSON", "UTF-8 JSON (RFC 8259 §8.1)") from None
    except ValueError as exc:
        raise InvalidData(f"{file}: is not valid JSON: {exc}",
                          [Problem(file, getattr(exc, "lineno", None), None, None, "valid JSON")]) from None
    yield 0, doc


class JsonRecords(Rows):
    """(record number, (record,)), checking each record has the mapping's required fields."""

    def __init__(self, records, file: str, required: tuple[str, ...], numbered: bool = False):
        super().__init__(file)
        self.records, self.required, self.numbered = records, required, numbered

    def __iter__(self) -> Iterator[tuple[int, tuple | None]]:
        for n, record in self.records if self.numbered else enumerate(self.records, start=1):
            if isinstance(record, Problem):
                self.problems.append(Problem(self.file, n, record.column, record.value, record.expected))
                self.bad_rows += 1
                self.last_raw = None
                yield n, None
                continue
            self.last_raw = record
            missing = [k for k in self.required if not isinstance(record, dict) or record.get(k) in (None, "")]
            if missing:
                self.bad_rows += 1
                self.problems += [Problem(self.file, n, k, None, f"a record with a value for '{k}'") for k in missing]
                yield n, None
                continue
            yield n, (record,)


def json_records(path: Path, file: str, mapping) -> JsonRecords:
    """The records of a JSON or JSON Lines file, where the mapping says they are (or OCDS-merged)."""
    source = mapping.source
    if source.merge == "ocds":
        return JsonRecords(compiled_releases(_json_documents(path, file), file), file, source.required, numbered=True)
    docs = _json_documents(path, file)

    def records():
        found = False
        for _, doc in docs:
            for where in source.records:
                items = records_at(doc, where)
                if items is not None:
                    found = True
                    yield from items
                    break
            else:
                paths = ", ".join(source.records)
                raise InvalidData(f"{file}: no records where mapping {mapping.name} looks for them ({paths})",
                                  [Problem(file, None, None, None, f"records at one of: {paths}")])
        if not found:
            raise InvalidData(f"{file}: the file holds no JSON document", [Problem(file, None, None, None, "JSON")])

    return JsonRecords(records(), file, source.required)


def records_at(doc: Any, path: str) -> list | None:
    """The items at a records path such as records[].compiledRelease, or None."""
    if path == ".":
        return [doc] if isinstance(doc, dict) else None
    if path == "[]":
        return doc if isinstance(doc, list) else None
    items = [doc]
    found_array = False
    for segment in path.replace("[]", "[].").split("."):
        if not segment:
            continue
        array = segment.endswith("[]")
        key = segment[:-2] if array else segment
        nxt = []
        for item in items:
            v = item.get(key) if isinstance(item, dict) else None
            if v is None:
                continue
            if array:
                if not isinstance(v, list):
                    return None
                nxt.extend(v)
                found_array = True
            else:
                nxt.append(v)
        if not nxt and not found_array:
            return None
        items = nxt
    return items


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
    keys of the document and of its first record). Reads the head of a CSV file, a JSON document whole."""
    if path.suffix.lower() in SPREADSHEET_SUFFIXES:
        sheet = SheetRows(path, path.name, required=("\0",))  # an impossible column: look at every top row
        names = Names(c for row in sheet.top for c in row if c)
        names.first = {c for c in sheet.top[0] if c} if sheet.top else set()
        return "csv", names
    with open_binary(path, path.name) as f:
        head = f.read(1 << 16)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"["):
        names: set[str] = set()
        for _, doc in _json_documents(path, path.name):
            names |= _json_names(doc)
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


def _json_names(doc: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(doc, dict):
        names |= set(doc)
        for key in ("records", "releases"):
            if isinstance(doc.get(key), list) and doc[key] and isinstance(doc[key][0], dict):
                first = doc[key][0]
                names |= set(first)
                if isinstance(first.get("compiledRelease"), dict):
                    names |= set(first["compiledRelease"])
    elif isinstance(doc, list) and doc and isinstance(doc[0], dict):
        names |= set(doc[0])
    return names




# ---- OCDS: releases merged into compiled releases ------------------------------------------------------

#: ocdsmerge rules given here (not read from the OCDS schema, which would need the network). Arrays of
#: objects with an `id` are merged by id, other arrays replaced whole, objects merged field by field.
OCDS_MERGE_RULES = {("tag",): "omitWhenMerged", ("id",): "omitWhenMerged"}


def compiled_releases(documents, file: str) -> Iterator[tuple[int, Any]]:
    """(n, compiled release or Problem): one per contracting process, from any OCDS shape (mappings/README.md).

    A record's compiledRelease is used as given; else its embedded releases, or
    the releases of a release package (grouped by ocid), are merged with the
    Open Contracting Partnership's ocdsmerge. ``n`` is the 1-based position in
    the file of the process's first record or release.
    """
    pending: dict[str, tuple[int, list]] = {}  # ocid -> (position, releases), in order of first appearance
    n = 0
    for _, doc in documents:
        items = doc if isinstance(doc, list) else [doc]
        if not any(isinstance(i, dict) and _is_ocds(i) for i in items):
            raise InvalidData(f"{file}: no records where mapping ocds looks for them (an OCDS record package, "
                              f"release package, record, release or compiled release)",
                              [Problem(file, None, None, None, "OCDS JSON: an object with records, releases or ocid")])
        for item in items:
            if not isinstance(item, dict):
                n += 1
                yield n, Problem(file, n, None, None, "an OCDS package, record or release (a JSON object)")
            elif isinstance(item.get("records"), list):
                for record in item["records"]:
                    n += 1
                    yield n, _from_record(record, file, n)
            elif isinstance(item.get("releases"), list) and "ocid" not in item:
                for release in item["releases"]:
                    n += 1
                    if isinstance(release, dict) and release.get("ocid"):
                        pending.setdefault(str(release["ocid"]), (n, []))[1].append(release)
                    else:
                        yield n, Problem(file, n, "ocid", None, "a record with a value for 'ocid'")
            else:
                n += 1
                if "compiledRelease" in item or ("releases" in item and "ocid" in item):
                    yield n, _from_record(item, file, n)
                elif item.get("ocid"):
                    if "compiled" in (item.get("tag") or []):
                        yield n, item
                    else:
                        pending.setdefault(str(item["ocid"]), (n, []))[1].append(item)
                else:
                    yield n, Problem(file, n, "ocid", None, "a record with a value for 'ocid'")
    for ocid, (first, releases) in pending.items():
        yield first, _merge(ocid, releases, file, first)


def _is_ocds(item: dict) -> bool:
    return any(k in item for k in ("records", "releases", "ocid", "compiledRelease"))


def _from_record(record: Any, file: str, n: int):
    if not isinstance(record, dict):
        return Problem(file, n, None, None, "OCDS records that are JSON objects")
    if isinstance(record.get("compiledRelease"), dict):
        return record["compiledRelease"]
    releases = [r for r in record.get("releases") or [] if isinstance(r, dict) and "ocid" in r and "date" in r]
    if not releases:
        return Problem(file, n, "compiledRelease", str(record.get("ocid", "")),
                       "a compiledRelease or embedded releases (linked releases cannot be fetched: no network)")
    return _merge(str(record.get("ocid") or releases[0]["ocid"]), releases, file, n)


def _merge(ocid: str, releases: list, file: str, n: int):
    import warnings

    import ocdsmerge
    from ocdsmerge.exceptions import OCDSMergeError

    if len(releases) == 1 and "compiled" in (releases[0].get("tag") or []):
        return releases[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. duplicate ids inside one array: ocdsmerge warns and keeps going
        try:
            return ocdsmerge.Merger(merge_rules=OCDS_MERGE_RULES).create_compiled_release(releases)
        except (OCDSMergeError, TypeError, ValueError) as exc:
            return Problem(file, n, "date", ocid, f"releases that ocdsmerge can merge, each with a date ({exc})")
