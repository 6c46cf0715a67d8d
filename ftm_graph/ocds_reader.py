"""OCDS: any package, record or release shape -> one compiled release per contracting process (ocdsmerge).

Records and compiled releases come out as they are read. Releases are grouped
by ocid and merged at the end, since the releases of one process may lie far
apart in a package: the groups are held in memory up to MEMORY_RELEASES
releases, then spilled to a temporary SQLite file, so a release package of
any size is merged in flat memory.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from pathlib import Path
from typing import Any, Iterator

from .errors import InvalidData, Problem
from .json_reader import StreamedArray

#: ocdsmerge rules given here (not read from the OCDS schema, which would need the network). Arrays of
#: objects with an `id` are merged by id, other arrays replaced whole, objects merged field by field.
OCDS_MERGE_RULES = {("tag",): "omitWhenMerged", ("id",): "omitWhenMerged"}
#: Releases waiting for their merge that are kept in memory; past this, they wait in a temporary file.
MEMORY_RELEASES = 500


def ocds_stream(key: str | None, members: dict) -> bool:
    """The arrays of an OCDS file read as a stream: a top-level array, a package's records, a release
    package's releases (a top-level ``releases`` met before any ``ocid``: a record's releases are few)."""
    if key is None or key == "records":
        return True
    return key == "releases" and "ocid" not in members and "compiledRelease" not in members


def compiled_releases(documents, file: str, memory_releases: int = MEMORY_RELEASES) -> Iterator[tuple[int, Any]]:
    """(n, compiled release or Problem): one per contracting process, from any OCDS shape (mappings/README.md).

    ``documents`` yields (line, document); a document may be a StreamedArray. A
    record's compiledRelease is used as given; else its embedded releases, or
    the releases of a release package (grouped by ocid), are merged with the
    Open Contracting Partnership's ocdsmerge. ``n`` is the 1-based position in
    the file of the process's first record or release.
    """
    pending = _Groups(memory_releases)
    n = 0
    try:
        for _, doc in documents:
            for kind, item in _units(doc, file):
                n += 1
                if kind == "record":
                    yield n, _from_record(item, file, n)
                elif kind == "release":
                    if isinstance(item, dict) and item.get("ocid"):
                        pending.add(str(item["ocid"]), n, item)
                    else:
                        yield n, Problem(file, n, "ocid", None, "a record with a value for 'ocid'")
                elif not isinstance(item, dict):
                    yield n, Problem(file, n, None, None, "an OCDS package, record or release (a JSON object)")
                elif "compiledRelease" in item or ("releases" in item and "ocid" in item):
                    yield n, _from_record(item, file, n)
                elif item.get("ocid"):
                    if "compiled" in (item.get("tag") or []):
                        yield n, item
                    else:
                        pending.add(str(item["ocid"]), n, item)
                else:
                    yield n, Problem(file, n, "ocid", None, "a record with a value for 'ocid'")
        for ocid, first, releases in pending:
            yield first, _merge(ocid, releases, file, first)
    finally:
        pending.close()


def _units(doc: Any, file: str) -> Iterator[tuple[str, Any]]:
    """("record" | "release" | "item", value) for each record, release, or other top-level item of a document."""
    if isinstance(doc, StreamedArray):
        if doc.key is not None:  # a package's records or releases
            kind = "record" if doc.key == "records" else "release"
            yield from ((kind, item) for item in doc.items)
            return
        ocds = False
        for item in doc.items:
            ocds = ocds or (isinstance(item, dict) and _is_ocds(item))
            yield from _item_units(item)
        if not ocds:
            raise _not_ocds(file)
        return
    items = doc if isinstance(doc, list) else [doc]
    if not any(isinstance(i, dict) and _is_ocds(i) for i in items):
        raise _not_ocds(file)
    for item in items:
        yield from _item_units(item)


def _item_units(item: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(item, dict) and isinstance(item.get("records"), list):
        yield from (("record", r) for r in item["records"])
    elif isinstance(item, dict) and isinstance(item.get("releases"), list) and "ocid" not in item:
        yield from (("release", r) for r in item["releases"])
    else:
        yield "item", item


def _not_ocds(file: str) -> InvalidData:
    return InvalidData(f"{file}: no records where mapping ocds looks for them (an OCDS record package, "
                       f"release package, record, release or compiled release)",
                       [Problem(file, None, None, None, "OCDS JSON: an object with records, releases or ocid")])


class _Groups:
    """Releases by ocid, in order of first appearance: in memory up to ``limit`` releases, then in SQLite."""

    def __init__(self, limit: int):
        self.limit, self.count = limit, 0
        self.memory: dict[str, tuple[int, list]] = {}
        self.db: sqlite3.Connection | None = None
        self.folder: tempfile.TemporaryDirectory | None = None

    def add(self, ocid: str, n: int, release: dict) -> None:
        if self.db is not None:
            self.db.execute("INSERT OR IGNORE INTO process VALUES (?, ?)", (ocid, n))
            self.db.execute("INSERT INTO release (ocid, body) VALUES (?, ?)", (ocid, json.dumps(release)))
            return
        self.memory.setdefault(ocid, (n, []))[1].append(release)
        self.count += 1
        if self.count > self.limit:
            self.spill()

    def spill(self) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="ftm-graph-ocds-")
        self.db = sqlite3.connect(Path(self.folder.name) / "releases.sqlite")
        self.db.execute("PRAGMA journal_mode = OFF")
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("CREATE TABLE process (ocid TEXT PRIMARY KEY, first INTEGER)")
        self.db.execute("CREATE TABLE release (seq INTEGER PRIMARY KEY, ocid TEXT, body TEXT)")
        for ocid, (first, releases) in self.memory.items():
            for release in releases:
                self.add(ocid, first, release)
        self.memory = {}

    def __iter__(self) -> Iterator[tuple[str, int, list]]:
        if self.db is None:
            for ocid, (first, releases) in self.memory.items():
                yield ocid, first, releases
            return
        self.db.execute("CREATE INDEX release_ocid ON release (ocid, seq)")
        for ocid, first in self.db.execute("SELECT ocid, first FROM process ORDER BY first"):
            bodies = self.db.execute("SELECT body FROM release WHERE ocid = ? ORDER BY seq", (ocid,))
            yield ocid, first, [json.loads(body) for (body,) in bodies]

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        if self.folder is not None:
            self.folder.cleanup()
            self.folder = None


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
