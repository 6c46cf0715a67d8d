"""Read JSON and JSON Lines source files into records, where the mapping says they are, as a stream.

A JSON document is read with ijson (the yajl C parser): the array that holds
the records -- a top-level array, an OCDS package's ``records`` or
``releases``, or the array a mapping's ``records`` path starts with -- is
built one item at a time, so memory stays flat however large the file. JSON
Lines are read line by line. See mappings/README.md (reading JSON) for the
limits of a streamed read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import ijson

from .errors import InvalidData, Problem
from .source_files import Rows, file_problem, open_binary

#: File suffixes read as JSON Lines (one JSON document per line).
JSONL_SUFFIXES = (".jsonl", ".ndjson")


#: JSON files from this size on are streamed; smaller ones are parsed whole by the standard library, which is
#: as fast, names the exact line and column of a fault, and reads what Python's json reads (NaN, Infinity).
STREAM_FROM = 16 << 20
_UTF8 = "UTF-8 JSON (RFC 8259 §8.1)"


@dataclass
class StreamedArray:
    """A JSON document read as a stream: its top-level array, or one array member of its top-level object.

    ``members`` are the top-level members met before the array (built whole: package metadata);
    ``items`` yields the array's items one at a time. Members after the array are not read.
    """

    key: str | None  #: the member holding the array; None when the document is an array
    members: dict
    items: Iterator[Any]


class _Counting:
    """A binary file as ijson reads it: drops a UTF-8 byte order mark, remembers the last block for errors."""

    def __init__(self, f):
        self.f = f
        self.pos = 3 if f.read(3) == b"\xef\xbb\xbf" else 0
        f.seek(self.pos)
        self.start = self.pos  # offset of the last block read
        self.lines = 0  # newlines before the last block
        self.last = b""

    def read(self, size: int = -1) -> bytes:
        self.lines += self.last.count(b"\n")
        self.start = self.pos
        self.last = self.f.read(size)
        self.pos += len(self.last)
        return self.last


def json_documents(path: Path, file: str, stream: Callable[[str | None, dict], bool] | None = None
                   ) -> Iterator[tuple[int, Any]]:
    """(line, document): the one document of a JSON file, or each line of a JSON Lines file.

    With ``stream``, a JSON file of STREAM_FROM bytes or more is read with ijson: when ``stream(key,
    members so far)`` is true for an array (key None: the document itself is an array), the document is a
    StreamedArray whose items are built one at a time, so a package of any size reads in flat memory. A
    malformed file raises InvalidData naming the file and where the fault is.
    """
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
                raise file_problem(file, "is not UTF-8 JSON", _UTF8) from None
        return
    if stream is None or path.stat().st_size < STREAM_FROM:
        yield 0, _whole(path, file)
        return
    yield 0, _streamed(path, file, stream)


def _whole(path: Path, file: str) -> Any:
    """The document parsed whole (the standard library's parser: exact line and column in its errors)."""
    with open_binary(path, file) as f:
        data = f.read()
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise file_problem(file, "is not UTF-8 JSON", _UTF8) from None
    except ValueError as exc:
        raise InvalidData(f"{file}: is not valid JSON: {exc}",
                          [Problem(file, getattr(exc, "lineno", None), None, None, "valid JSON")]) from None


def _streamed(path: Path, file: str, stream: Callable[[str | None, dict], bool]) -> Any:
    """The document, or a StreamedArray: a first pass reads the top level up to the array to stream
    (building the members before it), a second streams the array's items with ijson's C parser."""
    members: dict = {}
    with open_binary(path, file) as f:
        src = _Counting(f)
        events = ijson.parse(src, use_float=True)
        try:
            _, event, value = next(events, ("", None, None))
            if event is None:
                raise ijson.IncompleteJSONError("parse error: premature EOF")
            if event == "start_array" and stream(None, members):
                return StreamedArray(None, members, _items(path, file, "item"))
            if event != "start_map":
                whole = _build(events, event, value)
                next(events, None)  # trailing garbage raises
                return whole
            for _, event, key in events:
                if event == "end_map":
                    break
                _, event, value = next(events)
                if event == "start_array" and "." not in key and stream(key, members):
                    return StreamedArray(key, members, _items(path, file, f"{key}.item"))
                members[key] = _build(events, event, value)
            next(events, None)
        except (ijson.JSONError, ijson.IncompleteJSONError) as exc:
            raise _malformed(path, file, src, exc) from None
    return members


def _build(events, event: str, value: Any) -> Any:
    """The value that starts with (event, value), built from the events that follow."""
    if event not in ("start_map", "start_array"):
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _, event, value in events:
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
            if not depth:
                break
    return builder.value


def _items(path: Path, file: str, prefix: str) -> Iterator[Any]:
    """The items of the array at an ijson prefix, one at a time; the rest of the file is checked too."""
    with open_binary(path, file) as f:
        src = _Counting(f)
        try:
            yield from ijson.items(src, prefix, use_float=True)
        except (ijson.JSONError, ijson.IncompleteJSONError) as exc:
            raise _malformed(path, file, src, exc) from None


def _malformed(path: Path, file: str, src: _Counting, exc: Exception) -> InvalidData:
    """InvalidData for a file the streaming parser stopped on: its message, and the byte and line of the
    fault found from the context it shows (else the block it was reading)."""
    message = str(exc)
    if message.startswith(("b'", 'b"')):  # the parser's message about bytes that are not UTF-8
        message = message[2:-1]
    if "UTF8" in message or "UTF-8" in message:
        return file_problem(file, "is not UTF-8 JSON", _UTF8)
    what = message.split("\n", 1)[0]
    offset = _fault_offset(src, message)
    if offset is None:
        where, line = f"between bytes {src.start} and {src.pos}", None
    else:
        line = src.lines + src.last.count(b"\n", 0, offset - src.start) + 1
        where = f"at byte {offset} (line {line})"
    lines = message.split("\n")
    near = lines[1].strip() if len(lines) > 2 else None  # the parser's view of the text around the fault
    return InvalidData(f"{file}: is not valid JSON: {what} {where}", [Problem(file, line, None, near, "valid JSON")])


def _fault_offset(src: _Counting, message: str) -> int | None:
    """The file offset of the fault, found by matching the parser's context line in the last block read."""
    lines = message.split("\n")
    if len(lines) < 3 or "^" not in lines[2]:
        return None
    caret = lines[2].index("^")
    before, after = lines[1][:caret].lstrip(" "), lines[1][caret:]
    needle = (before + after).rstrip(" ").encode("utf-8", "replace")
    block = src.last.replace(b"\n", b" ").replace(b"\r", b" ")
    found = block.find(needle) if needle else -1
    if found < 0 or block.find(needle, found + 1) >= 0:
        return None
    return src.start + found + len(before.encode("utf-8", "replace"))


class JsonRecords(Rows):
    """(record number, (record,)), checking each record has the mapping's required fields."""

    def __init__(self, records, file: str, required: tuple[str, ...], numbered: bool = False):
        super().__init__(file)
        self.records, self.required, self.numbered = records, required, numbered

    def __iter__(self) -> Iterator[tuple[int, tuple | None]]:
        try:
            yield from self._records()
        except RecursionError:  # json.loads, ocdsmerge: a document nested thousands of levels deep
            raise file_problem(self.file, "nests arrays or objects too deeply to be read",
                               "JSON nested at most a few hundred levels deep") from None

    def _records(self) -> Iterator[tuple[int, tuple | None]]:
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
        from .ocds_reader import compiled_releases, ocds_stream

        docs = json_documents(path, file, ocds_stream)
        return JsonRecords(compiled_releases(docs, file), file, source.required, numbered=True)
    docs = json_documents(path, file, _records_stream(source.records))

    def records():
        found = False
        for _, doc in docs:
            if isinstance(doc, StreamedArray):
                found = True
                rest = "" if doc.key is None else next(
                    p.partition("[]")[2].lstrip(".") for p in source.records if p.startswith(doc.key + "[]"))
                for item in doc.items:
                    yield from ((records_at(item, rest) or []) if rest else [item])
                continue
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


def _records_stream(paths: tuple[str, ...]) -> Callable[[str | None, dict], bool] | None:
    """Which arrays a records path lets us stream: the document itself for '[]'; a top-level member for
    paths 'key[]' or 'key[].a.b', when every path into an object has that form (else the document is read
    whole, to keep the order of the paths exact). Among members, the first met in the file is streamed.
    None when nothing can be streamed."""
    objects = [p for p in paths if p != "[]"]
    simple = all(p.count("[]") == 1 and "." not in p.partition("[]")[0] and p.partition("[]")[0] for p in objects)
    keys = {p.partition("[]")[0] for p in objects} if simple else set()
    if not keys and "[]" not in paths:
        return None  # nothing to stream: read the document whole (the faster parser)

    def stream(key: str | None, members: dict) -> bool:
        return "[]" in paths if key is None else key in keys

    return stream


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



def json_names(doc: Any) -> set[str]:
    """The names kind detection looks at: top-level keys and those of the first record (and its compiledRelease)."""
    names: set[str] = set()
    if isinstance(doc, StreamedArray):
        first = next(doc.items, None)
        doc.items.close()
        names |= set(doc.members)
        if doc.key is None or doc.key in ("records", "releases"):
            doc = {doc.key: [first]} if doc.key else [first]
        else:
            return names | {doc.key}
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


def detect_stream(key: str | None, members: dict) -> bool:
    """Kind detection streams a top-level array and OCDS records/releases, reading only their first item."""
    return key is None or key in ("records", "releases")
