"""Choose the mapping that fits a file from its header (CSV/XLSX) or top-level keys (JSON)."""

from __future__ import annotations

from pathlib import Path

from .errors import UnknownKind
from .spec import Mapping


def detect_mapping(path: Path, mappings: dict[str, Mapping], kind: str | None = None) -> Mapping:
    """The mapping whose ``detect`` names fit the file's header (CSV) or keys (JSON).

    When several fit, the one with most detect names wins; a tie, or none,
    raises UnknownKind with a sentence saying what was seen.
    """
    path = Path(path)
    fmt, names = _layout(path)
    candidates = [m for m in mappings.values()
                  if m.source.format == fmt and (kind is None or m.kind == kind) and m.source.detect
                  and set(m.source.detect) <= names]
    what = f" of kind '{kind}'" if kind else ""
    if not candidates:
        shown = ", ".join(sorted(getattr(names, "first", None) or names)[:12]) or "nothing"
        raise UnknownKind(f"{path.name}: no mapping{what} fits this {fmt.upper()} file (it has {shown}); "
                          f"give the mapping or --kind explicitly")
    best = max(len(m.source.detect) for m in candidates)
    top = [m for m in candidates if len(m.source.detect) == best]
    if len(top) > 1:
        raise UnknownKind(f"{path.name}: several mappings{what} fit this file equally well "
                          f"({', '.join(m.name for m in top)}); give the mapping explicitly")
    return top[0]


def _layout(path: Path) -> tuple[str, set[str]]:
    """('csv', header names) or ('json', top-level keys of the document and first record)."""
    from .errors import InvalidData
    from .readers import header_names

    try:
        return header_names(path)
    except InvalidData as exc:
        raise UnknownKind(str(exc)) from None
    except (ValueError, RecursionError):  # RecursionError: JSON nested thousands of levels deep
        raise UnknownKind(f"{path.name}: looks like JSON but cannot be parsed") from None


def sniff_delimiter(line: str) -> str:
    """The most frequent of , ; tab | outside quotes in a header line (',' on a tie)."""
    from .readers import sniff_delimiter as sniff

    return sniff(line)
