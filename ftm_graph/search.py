"""Search by name: a text index (SQLite FTS5) built at write time into each generation's folder.

``build_search_index`` is one of ``sources.DERIVED``: it reads each named
graph of the staging store once (at write time, never per request) and writes
``search.sqlite`` beside the generation's ``oxigraph/``. A graph just loaded
from a mapped N-Quads file (``Transaction.loaded``) is read from that file
(for a 660k-triple graph about 2.5 s of CPU, against 7.8 s to get the same
statements out of Oxigraph, which hands each term to Python on its own);
other graphs are queried (see ``search_facts``). Readers
open it read-only (``immutable``) from ``store.generation_dir``, so a new
generation brings its own index.

Three passes, each only when the previous one found too little:
1. words (``unicode61 remove_diacritics 2``, prefix-indexed): accent- and
   case-insensitive, "secretaria de finanzas", "banobr" as you type;
2. substrings (``trigram`` over accent-folded text): inside an RFC, an OCID,
   a compound name;
3. typos: candidates sharing trigrams with each word, kept when a word of
   theirs is close enough (``difflib`` ratio), e.g. "isstezac", "banobars".

The build is incremental (see ``Transaction.touched``): it copies the
previous generation's index and redoes only the entities that have a
statement in a touched graph, now or before. An entity's row depends on its
own statements (in any graph) and on the amounts that point at it
(``fis:amountOf``: their year); the table ``member`` records, for each
graph, the subjects it has and the entities its amounts point at, so that
the entities of a graph that was replaced or removed are found again. An
entity whose label is in one graph and its type in another comes out as in a
full build: its row is recomputed from the whole store.
"""

import difflib
import hashlib
import json
import re
import shutil
import sqlite3
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import views
from .namespaces import DCT, FIS, OWL, RDFS, SKOS
from .search_facts import LABEL_ORDER, Facts, lookup, read_graph

FILE = "search.sqlite"
#: Results per kind shown by the search page; the type-ahead shows fewer.
LIMIT = 60
#: How close a word must be to count as a typo of the query word (difflib ratio).
TYPO_RATIO = 0.75

#: Literal values indexed (LABEL_ORDER): names, identifiers (keys) and longer text, weighted in that order.
_NAMES = {RDFS + "label", SKOS + "prefLabel", DCT + "title", FIS + "name",
          SKOS + "altLabel"}
_LABEL_RANK = {p: n for n, p in enumerate(LABEL_ORDER)}
_KEYS = {FIS + "acronym", FIS + "rfc", FIS + "ocid", FIS + "registrationKey", SKOS + "notation",
         FIS + "trustRegistryKey", FIS + "decreeNumber"}

_SCHEMA = """
CREATE TABLE entity (id INTEGER PRIMARY KEY, iri TEXT UNIQUE NOT NULL, kind TEXT, label_es TEXT, label_en TEXT,
                     keys TEXT, year INTEGER, agency TEXT, illustrative INTEGER NOT NULL DEFAULT 0);
CREATE INDEX entity_kind ON entity (kind, year, agency);
CREATE INDEX entity_name ON entity (kind, label_es);
CREATE VIRTUAL TABLE words USING fts5 (name, keys, text, tokenize = 'unicode61 remove_diacritics 2',
                                       prefix = '2 3 4');
CREATE VIRTUAL TABLE grams USING fts5 (folded, tokenize = 'trigram');
CREATE TABLE member (graph TEXT NOT NULL, iri TEXT NOT NULL);
CREATE INDEX member_graph ON member (graph);
CREATE TABLE build (key TEXT PRIMARY KEY, value TEXT);
"""
#: The browse page's filters and counts, recomputed at the end of every build: per request they were a scan
#: of every entity of the kind (10^7 triples: browse p95 656 ms).
_FACETS = """
DROP TABLE IF EXISTS facet_year; DROP TABLE IF EXISTS facet_agency; DROP TABLE IF EXISTS facet_kind;
CREATE TABLE facet_year AS SELECT kind, year, COUNT(*) AS n FROM entity WHERE year IS NOT NULL GROUP BY kind, year;
CREATE TABLE facet_agency AS
  SELECT e.kind, e.agency, COALESCE(a.label_es, e.agency) AS label_es, COALESCE(a.label_en, e.agency) AS label_en,
         COUNT(*) AS n
  FROM entity e LEFT JOIN entity a ON a.iri = e.agency WHERE e.agency IS NOT NULL GROUP BY e.kind, e.agency;
CREATE TABLE facet_kind AS SELECT kind, COUNT(*) AS n FROM entity GROUP BY kind;
CREATE INDEX facet_year_kind ON facet_year (kind);
CREATE INDEX facet_agency_kind ON facet_agency (kind);
"""
FORMAT = 3  #: bump when the schema or how a row is made changes: the next build is then a full one


def fold(text: str) -> str:
    """Lower case without accents, runs of other characters as one space: 'Secretaría  de FINANZAS' → 'secretaria de finanzas'."""
    # Character by character (casefold and NFKD decompose each character on its own, and the
    # combining marks that NFKD would reorder are all dropped), through a table filled as characters come.
    text = text.lower() if text.isascii() else text.translate(_FOLDED)
    return " ".join(_NOT_WORD.split(text)).strip()


class _Folded(dict):
    """str.translate table: a character -> its case-folded decomposition without combining marks."""

    def __missing__(self, code: int) -> str:
        decomposed = unicodedata.normalize("NFKD", chr(code).casefold())
        self[code] = folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        return folded


_FOLDED = _Folded()
_NOT_WORD = re.compile(r"[^0-9a-z]+")


def build_search_index(tx, base: str) -> None:
    """Write ``search.sqlite`` for the generation being written (a ``sources.DERIVED`` builder)."""
    kinds = views.load_kinds()
    fingerprint = hashlib.sha256(json.dumps([FORMAT, kinds], sort_keys=True, default=str).encode()).hexdigest()
    path = Path(tx.dir) / FILE
    path.unlink(missing_ok=True)
    previous = _previous_index(tx, fingerprint)
    if previous is not None:
        shutil.copyfile(previous, path)
    db = sqlite3.connect(path)
    try:
        # The file is written once, in the unpublished generation's folder, which is thrown away if
        # anything fails: no rollback journal or syncs needed.
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        if previous is None:
            db.executescript(_SCHEMA)
            db.execute("INSERT INTO build VALUES ('fingerprint', ?)", (fingerprint,))
            facts = Facts()
            for graph in _graphs(tx):
                members = read_graph(tx, graph, facts)
                db.executemany("INSERT INTO member VALUES (?, ?)", ((graph, iri) for iri in members))
            _index(db, facts.entries(), kinds, next_id=1)
            db.execute("INSERT INTO words (words) VALUES ('optimize')")
        else:
            touched = sorted(tx.touched)
            marks = ",".join("?" * len(touched))
            affected = {iri for (iri,) in db.execute(f"SELECT iri FROM member WHERE graph IN ({marks})", touched)}
            db.execute(f"DELETE FROM member WHERE graph IN ({marks})", touched)
            live = set(_graphs(tx))
            for graph in touched:
                if graph in live:
                    members = read_graph(tx, graph, None)
                    db.executemany("INSERT INTO member VALUES (?, ?)", ((graph, iri) for iri in members))
                    affected |= members
            _forget(db, affected)
            next_id = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM entity").fetchone()[0]
            _index(db, lookup(tx, affected), kinds, next_id)
        db.commit()
        db.executescript(_FACETS)
    finally:
        db.close()


def _previous_index(tx, fingerprint: str) -> Path | None:
    """The previous generation's index when this build can start from it (same format and kinds), else None."""
    previous_dir, touched = getattr(tx, "previous_dir", None), getattr(tx, "touched", None)
    if previous_dir is None or touched is None or not hasattr(tx, "triples"):
        return None
    path = Path(previous_dir) / FILE
    if not path.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as db:
            row = db.execute("SELECT value FROM build WHERE key = 'fingerprint'").fetchone()
    except sqlite3.Error:  # an index written before builds were incremental
        return None
    return path if row is not None and row[0] == fingerprint else None


def _graphs(tx) -> list[str]:
    return [row["g"].value for row in tx.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")]


def _forget(db, iris: set[str]) -> None:
    ordered = sorted(iris)
    for chunk in range(0, len(ordered), 500):
        part = ordered[chunk:chunk + 500]
        marks = ",".join("?" * len(part))
        ids = [i for (i,) in db.execute(f"SELECT id FROM entity WHERE iri IN ({marks})", part)]
        if not ids:
            continue
        id_marks = ",".join("?" * len(ids))
        for table, key in (("entity", "id"), ("words", "rowid"), ("grams", "rowid")):
            db.execute(f"DELETE FROM {table} WHERE {key} IN ({id_marks})", ids)


def _entry(stated: list, types: list, year, agency, illustrative: bool) -> dict:
    # In a fixed order (property, then value): the same facts give the same row however they were read.
    stated = sorted(stated, key=lambda po: (_LABEL_RANK[po[0]], po[1].value, po[1].language or ""))
    e = {"labels": {}, "names": [], "keys": [], "text": [], "types": sorted(types),
         "year": year, "agency": agency, "illustrative": illustrative}
    for p, o in stated:
        if p in _NAMES:
            e["names"].append(o.value)
            lang = (o.language or "").split("-")[0]
            e["labels"].setdefault(lang, o.value)
        elif p in _KEYS:
            e["keys"].append(o.value)
        else:
            e["text"].append(o.value)
    return e


def _index(db, entries: dict[str, tuple], kinds: dict, next_id: int) -> None:
    """Rows for entities (IRI -> their facts, as ``Facts.entries`` gives them), numbered from `next_id`."""
    number = next_id
    kind_of: dict[tuple, str | None] = {}  # many entities share their classes
    entities, words, grams = [], [], []
    for iri, facts in sorted(entries.items()):
        e = _entry(*facts)
        types = tuple(e["types"])
        if types not in kind_of:
            kind_of[types] = views.kind_of(e["types"], kinds)
        kind = kind_of[types]
        if kind is None and not e["names"]:
            continue  # ontology terms and other unnamed things are not searched for
        if kind is None and any(t.startswith(OWL) for t in types):
            continue
        labels = e["labels"]
        es = labels.get("es") or labels.get("") or labels.get("en") or (e["names"] or e["keys"] or [""])[0]
        en = labels.get("en") or es
        keys = " ".join(dict.fromkeys(e["keys"]))
        names = " ".join(dict.fromkeys(e["names"]))
        entities.append((number, iri, kind or "other", es, en, keys, e["year"], e["agency"], int(e["illustrative"])))
        words.append((number, names, keys + " " + fold(keys).replace(" ", ""), " ".join(e["text"])))
        grams.append((number, fold(names + " " + keys)))
        number += 1
    db.executemany("INSERT INTO entity VALUES (?,?,?,?,?,?,?,?,?)", entities)
    db.executemany("INSERT INTO words (rowid, name, keys, text) VALUES (?,?,?,?)", words)
    db.executemany("INSERT INTO grams (rowid, folded) VALUES (?,?)", grams)


@dataclass
class Hit:
    """One search result."""

    iri: str
    kind: str
    label_es: str
    label_en: str
    keys: str
    year: int | None
    agency: str | None
    illustrative: bool

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_es


def open_index(store) -> sqlite3.Connection | None:
    """The search index of the store's live generation, read-only; None when that generation has none."""
    folder = store.generation_dir
    path = Path(folder) / FILE if folder else None
    if path is None or not path.is_file():
        return None
    db = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    return db


_COLUMNS = "e.iri, e.kind, e.label_es, e.label_en, e.keys, e.year, e.agency, e.illustrative"


def _hits(rows) -> list[Hit]:
    return [Hit(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7])) for r in rows]


def search(db: sqlite3.Connection, q: str, limit: int = LIMIT, kind: str | None = None,
           typos: bool = True) -> list[Hit]:
    """Entities whose name or identifiers match `q`, best first (see the module docstring for the passes)."""
    words = fold(q).split()
    if not words:
        return []
    where = " AND e.kind = ?" if kind else ""
    extra = (kind,) if kind else ()
    found: dict[str, Hit] = {}

    def add(hits):
        for hit in hits:
            if len(found) < limit:
                found.setdefault(hit.iri, hit)

    match = " AND ".join(f'"{w}"*' for w in words)
    add(_hits(db.execute(
        f"SELECT {_COLUMNS} FROM words JOIN entity e ON e.id = words.rowid WHERE words MATCH ?{where} "
        "ORDER BY bm25(words, 10.0, 8.0, 1.0), length(e.label_es) LIMIT ?", (match, *extra, limit))))
    folded = " ".join(words)
    if len(found) < limit and len(folded) >= 3:
        add(_hits(db.execute(
            f"SELECT {_COLUMNS} FROM grams JOIN entity e ON e.id = grams.rowid WHERE grams MATCH ?{where} "
            "ORDER BY length(e.label_es) LIMIT ?", ('"' + folded + '"', *extra, limit))))
    if not found and typos:
        add(_typos(db, words, limit, where, extra))
    return list(found.values())


def _typos(db, words: list[str], limit: int, where: str, extra: tuple) -> list[Hit]:
    """Entities with, for every query word, a word within TYPO_RATIO of it (candidates share trigrams)."""
    grams = {w[i:i + 3] for w in words if len(w) >= 3 for i in range(len(w) - 2)}
    if not grams:
        return []
    match = " OR ".join(f'"{g}"' for g in sorted(grams))
    rows = db.execute(
        f"SELECT {_COLUMNS}, grams.folded FROM grams JOIN entity e ON e.id = grams.rowid WHERE grams MATCH ?{where} "
        "ORDER BY bm25(grams) LIMIT 400", (match, *extra)).fetchall()
    scored = []
    for row in rows:
        their = row[8].split()
        score = 0.0
        for w in words:
            best = max((difflib.SequenceMatcher(None, w, t).ratio() for t in their), default=0.0)
            if best < TYPO_RATIO:
                break
            score += best
        else:
            scored.append((-score, len(row[2] or ""), row[:8]))
    scored.sort()
    return _hits([r for *_, r in scored[:limit]])


def grouped(hits: list[Hit], kinds: dict) -> list[tuple[str, list[Hit]]]:
    """Results grouped by kind, in the order of ``web/kinds.yaml`` (other kinds last)."""
    order = {name: n for n, name in enumerate(kinds)}
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.kind, []).append(hit)
    return sorted(groups.items(), key=lambda item: order.get(item[0], len(order)))


def browse(db: sqlite3.Connection, kind: str, *, year: int | None = None, agency: str | None = None,
           page: int = 1, size: int = 50) -> tuple[int, list[Hit]]:
    """Entities of one kind, by name, filtered by year and agency: (how many in all, one page of them)."""
    where, params = "e.kind = ?", [kind]
    if year is not None:
        where, params = where + " AND e.year = ?", [*params, year]
    if agency:
        where, params = where + " AND e.agency = ?", [*params, agency]
    if year is None and not agency and _has_facets(db):
        total = (db.execute("SELECT n FROM facet_kind WHERE kind = ?", (kind,)).fetchone() or (0,))[0]
    else:
        total = db.execute(f"SELECT COUNT(*) FROM entity e WHERE {where}", params).fetchone()[0]
    rows = db.execute(f"SELECT {_COLUMNS} FROM entity e WHERE {where} ORDER BY e.label_es LIMIT ? OFFSET ?",
                      (*params, size, (max(page, 1) - 1) * size))
    return total, _hits(rows)


def facets(db: sqlite3.Connection, kind: str) -> dict:
    """The years and agencies that entities of one kind have, with counts, for browse filters."""
    if not _has_facets(db):  # an index built before FORMAT 3 (a generation written by an older version)
        return _facets_of_entities(db, kind)
    years = db.execute("SELECT year, n FROM facet_year WHERE kind = ? ORDER BY year DESC", (kind,)).fetchall()
    agencies = db.execute("SELECT agency, label_es, label_en, n FROM facet_agency WHERE kind = ? ORDER BY 2, 1",
                          (kind,)).fetchall()
    counts = dict(db.execute("SELECT kind, n FROM facet_kind").fetchall())
    return {"years": years, "agencies": agencies, "counts": counts}


def _has_facets(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'facet_kind'").fetchone() is not None


def _facets_of_entities(db: sqlite3.Connection, kind: str) -> dict:
    """facets() computed from the entity rows (what the facet tables hold), for an index without them."""
    years = db.execute("SELECT year, COUNT(*) FROM entity WHERE kind = ? AND year IS NOT NULL GROUP BY year "
                       "ORDER BY year DESC", (kind,)).fetchall()
    agencies = db.execute(
        "SELECT e.agency, COALESCE(a.label_es, e.agency), COALESCE(a.label_en, e.agency), COUNT(*) FROM entity e "
        "LEFT JOIN entity a ON a.iri = e.agency WHERE e.kind = ? AND e.agency IS NOT NULL GROUP BY e.agency "
        "ORDER BY 2, 1", (kind,)).fetchall()
    counts = dict(db.execute("SELECT kind, COUNT(*) FROM entity GROUP BY kind").fetchall())
    return {"years": years, "agencies": agencies, "counts": counts}


def labels_of(db: sqlite3.Connection, iris: list[str]) -> dict[str, dict[str, str]]:
    """Labels (es/en) of some IRIs from the index, for pages that show many linked entities."""
    out = {}
    for chunk in range(0, len(iris), 500):
        part = iris[chunk:chunk + 500]
        marks = ",".join("?" * len(part))
        for iri, es, en in db.execute(f"SELECT iri, label_es, label_en FROM entity WHERE iri IN ({marks})", part):
            out[iri] = {"es": es, "en": en}
    return out
