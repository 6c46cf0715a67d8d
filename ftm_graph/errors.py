"""The exceptions of ftm-graph, named after what was invalid.

Each carries a message meant for the person at the keyboard: the CLI prints
it as one sentence (plus a list of problems) and exits non-zero, never with a
traceback.
"""

from dataclasses import dataclass


class FtmGraphError(Exception):
    """Base class: a problem the user can act on."""


class InvalidMapping(FtmGraphError):
    """A mapping file is malformed (the message names the file and key)."""


@dataclass
class Problem:
    """One reason a source file cannot be mapped."""

    file: str
    row: int | None  #: 1-based line/record number in the file, None for file-level problems
    column: str | None
    value: str | None
    expected: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        got = f": got {self.value!r}" if self.value is not None else ""
        return f"{where}{got}; expected {self.expected}"


class InvalidData(FtmGraphError):
    """A source file does not fit its mapping; nothing of it was loaded."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


class StoreError(FtmGraphError):
    """The store cannot be opened, is locked, or is not an ftm-graph store."""


class UnknownKind(FtmGraphError):
    """No mapping (or more than one) fits a source file and no --kind was given."""
