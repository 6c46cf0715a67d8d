"""What every reader shares: opening a source file with a clear error, choosing its text encoding, the Rows base."""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Any

from .errors import InvalidData, Problem

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



class Rows:
    """Base of the row readers: the problems of unreadable rows and the last row as read."""

    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.bad_rows = 0
        self.last_raw: Any = None
        self.header: list[str] = []
