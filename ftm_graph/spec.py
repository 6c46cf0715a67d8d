"""The typed form of a mapping file (mappings/*.yaml), as ``mapping.load_mapping`` returns it.

Only data classes and the small tables of allowed values live here, so the
checker (mapping.py), the row engine (compiler.py, runner.py) and the readers
can share them without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import clean

KINDS = ("budget", "debt", "trust", "procurement", "payments", "catalogue")
LANGS = ("es", "en")
#: Property-map keys that choose what the object is; exactly one per property.
OBJECT_KEYS = ("column", "template", "value", "link", "code", "iri")


@dataclass(frozen=True)
class Placeholder:
    """One ``{name}`` or ``{name|cleaner}`` of a template."""

    name: str  #: column, field or (JSON) path
    cleaner: clean.Cleaner | None  #: piped cleaner, if any


@dataclass(frozen=True)
class Template:
    """A string with ``{…}`` placeholders."""

    text: str  #: as written in the mapping
    parts: tuple  #: str constants and Placeholder objects, in order

    @property
    def names(self) -> list[str]:
        """The names read by the placeholders."""
        return [p.name for p in self.parts if isinstance(p, Placeholder)]

    @property
    def constant(self) -> bool:
        """True when the template has no placeholder."""
        return not self.names


@dataclass(frozen=True)
class Condition:
    """A ``when:`` test on one value (``op`` is present/equals/in/not_in/contains/matches/empty)."""

    column: str
    op: str
    arg: Any = None


@dataclass(frozen=True)
class FieldSpec:
    """A derived value: a column read through a cleaner."""

    name: str
    column: str
    cleaner: clean.Cleaner
    required: bool


@dataclass(frozen=True)
class PropertySpec:
    """One predicate-object map of an entity."""

    property: str  #: predicate IRI
    kind: str  #: one of OBJECT_KEYS
    where: str  #: key path, for messages
    column: str | None = None
    template: Template | None = None
    value: str | None = None  #: constant literal, or constant IRI for kind 'iri'/'code'
    link: tuple[tuple[str, Template | None], ...] = ()  #: alternatives (target entity, join key or None)
    link_all: bool = False  #: link to every instance of the target made from the record, not the first
    scheme: str | None = None  #: code-list scheme for kind 'code'
    cleaner: clean.Cleaner | None = None
    datatype: str | None = None
    lang: str | None = None
    required: bool = False
    when: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class EntitySpec:
    """A subject map: which IRI, class, labels and properties one row makes."""

    name: str
    iri: tuple[tuple[tuple[Condition, ...], Template], ...]  #: alternatives (conditions, template)
    classes: tuple[tuple[tuple[Condition, ...], Template], ...]  #: (conditions, CURIE template)
    labels: dict[str, Template]
    properties: tuple[PropertySpec, ...]
    when: tuple[Condition, ...] = ()
    each: tuple[str, ...] = ()  #: JSON: array paths, one per nesting level
    keys: tuple[Template, ...] = ()  #: JSON: names of the instance inside its record
    unique: bool = False


@dataclass(frozen=True)
class AmountSpec:
    """An fis:Amount made per row (or JSON item) for one entity."""

    of: str
    where: str
    measure: str | None  #: constant measure IRI
    measure_scheme: str | None  #: or a scheme with measure_column
    measure_column: str | None
    value: str
    cleaner: clean.Cleaner
    times: dict[str, tuple[str, clean.Cleaner]]  #: fiscal_year/date/period_start/period_end -> (column, cleaner)
    currency: str
    currency_column: str | None
    when: tuple[Condition, ...] = ()
    note: dict[str, Template] = field(default_factory=dict)  #: language -> template of a fis:note


@dataclass(frozen=True)
class CheckSpec:
    """An arithmetic check on each row: ``total`` must equal the signed sum of ``terms`` (within ``tolerance``)."""

    where: str
    total: str  #: column
    terms: tuple[tuple[int, str], ...]  #: (+1 or -1, column)
    text: str  #: the equation as written
    cleaner: clean.Cleaner
    tolerance: str = "0"
    when: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Source:
    """The logical source: how to read the rows."""

    format: str
    delimiter: str = "auto"
    encoding: str = "auto"
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    detect: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    merge: str | None = None  #: "ocds": merge OCDS releases into compiled releases (JSON)
    quotes: str = "strict"  #: CSV: strict refuses a badly closed quote; lenient keeps stray quotes; backslash: \" too


@dataclass
class Mapping:
    """A checked mapping file."""

    name: str  #: id recorded in provenance (fis:mapping)
    version: str  #: recorded as fis:mappingVersion
    kind: str  #: budget, debt, trust, procurement, payments or catalogue
    title: dict[str, str]  #: language -> title
    description: str
    path: Path  #: the YAML file
    source: Source
    illustrative: bool = False
    row_source: dict = field(default_factory=dict)  #: url/title/publisher -> column; date -> columns tried in order
    fields: tuple[FieldSpec, ...] = ()
    entities: tuple[EntitySpec, ...] = ()
    amounts: tuple[AmountSpec, ...] = ()
    checks: tuple[CheckSpec, ...] = ()
    #: links out: an IRI path under {base}id/ -> the Wikidata QID of the same thing (lookups/wikidata.csv)
    wikidata: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"<Mapping {self.name} v{self.version} ({self.kind})>"


#: Encoding names accepted in mappings -> Python codec (None: auto).
ENCODINGS: dict[str, str | None] = {
    "auto": None, "utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig",
    "cp1252": "cp1252", "windows-1252": "cp1252", "latin-1": "cp1252", "latin1": "cp1252",
    "iso-8859-1": "cp1252",
}
