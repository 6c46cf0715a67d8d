"""Search by name: a text index (SQLite FTS5) built at write time into each generation's folder.

``build_search_index`` is one of ``sources.DERIVED``: it reads the staging
store with a few whole-graph queries (cheap at write time, never per request)
and writes ``search.sqlite`` beside the generation's ``oxigraph/``. Readers
open it read-only (``immutable``) from ``store.generation_dir``, so a new
generation brings its own index.

Three passes, each only when the previous one found too little:
1. words (``unicode61 remove_diacritics 2``, prefix-indexed): accent- and
   case-insensitive, "secretaria de finanzas", "banobr" as you type;
2. substrings (``trigram`` over accent-folded text): inside an RFC, an OCID,
   a compound name;
3. typos: candidates sharing trigrams with each word, kept when a word of
   theirs is close enough (``difflib`` ratio), e.g. "isstezac", "banobars".
"""

import difflib
import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import views
from .namespaces import DCT, FIS, OWL, RDFS, SKOS, sparql_prologue

FILE = "search.sqlite"
#: Results per kind shown by the search page; the type-ahead shows fewer.
LIMIT = 60
#: How close a word must be to count as a typo of the query word (difflib ratio).
TYPO_RATIO = 0.75

#: Literal values indexed: names, identifiers (keys) and longer text, weighted in that order.
_LABELS = """
SELECT ?s ?p ?o WHERE {
  VALUES ?p { rdfs:label skos:prefLabel dct:title fis:name skos:altLabel
              fis:acronym fis:rfc fis:ocid fis:registrationKey skos:notation fis:trustRegistryKey fis:decreeNumber
              fis:note fis:purpose dct:description fis:concept }
  ?s ?p ?o . FILTER(isIRI(?s) && isLiteral(?o))
}"""
_TYPES = "SELECT ?s ?c WHERE { ?s a ?c . FILTER(isIRI(?s)) }"
_YEARS = """
SELECT ?s (MIN(?y) AS ?year) WHERE {
  { ?s fis:fiscalYear ?d } UNION { ?s fis:contractDate|fis:paymentDate|fis:dateSigned|fis:publicationDate ?d }
  UNION { ?a fis:amountOf ?s ; fis:fiscalYear|fis:date ?d FILTER NOT EXISTS { ?s fis:contractDate ?c } }
  BIND(xsd:integer(SUBSTR(STR(?d), 1, 4)) AS ?y)
} GROUP BY ?s"""
_AGENCIES = """
SELECT ?s (MIN(STR(?a)) AS ?agency) WHERE {
  ?s fis:budgetHolder|fis:buyer|fis:payer|fis:debtor|fis:settlor|fis:parentBody ?a
} GROUP BY ?s"""
_ILLUSTRATIVE = 'SELECT ?s WHERE { ?s fis:illustrative true }'

_NAMES = {RDFS + "label", SKOS + "prefLabel", DCT + "title", FIS + "name",
          SKOS + "altLabel"}
_KEYS = {FIS + "acronym", FIS + "rfc", FIS + "ocid", FIS + "registrationKey", SKOS + "notation",
         FIS + "trustRegistryKey", FIS + "decreeNumber"}

_SCHEMA = """
CREATE TABLE entity (id INTEGER PRIMARY KEY, iri TEXT UNIQUE NOT NULL, kind TEXT, label_es TEXT, label_en TEXT,
                     keys TEXT, year INTEGER, agency TEXT, illustrative INTEGER NOT NULL DEFAULT 0);
CREATE INDEX entity_kind ON entity (kind, year, agency);
CREATE VIRTUAL TABLE words USING fts5 (name, keys, text, tokenize = 'unicode61 remove_diacritics 2',
                                       prefix = '2 3 4');
CREATE VIRTUAL TABLE grams USING fts5 (folded, tokenize = 'trigram');
"""


def fold(text: str) -> str:
    """Lower case without accents, runs of other characters as one space: 'Secretaría  de FINANZAS' → 'secretaria de finanzas'."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.split(r"[^0-9a-z]+", text)).strip()


def build_search_index(tx, base: str) -> None:
    """Write ``search.sqlite`` for the generation being written (a ``sources.DERIVED`` builder)."""
    kinds = views.load_kinds()
    prologue = sparql_prologue()
    entries: dict[str, dict] = {}

    def entry(iri: str) -> dict:
        return entries.setdefault(iri, {"labels": {}, "names": [], "keys": [], "text": [], "types": []})

    for row in tx.query(prologue + _LABELS):
        s, p, o = row["s"].value, row["p"].value, row["o"]
        e = entry(s)
        if p in _NAMES:
            e["names"].append(o.value)
            lang = (o.language or "").split("-")[0]
            e["labels"].setdefault(lang, o.value)
        elif p in _KEYS:
            e["keys"].append(o.value)
        else:
            e["text"].append(o.value)
    for row in tx.query(_TYPES):
        if row["s"].value in entries:
            entries[row["s"].value]["types"].append(row["c"].value)
    years = {r["s"].value: int(r["year"].value) for r in tx.query(prologue + _YEARS) if r["year"] is not None}
    agencies = {r["s"].value: r["agency"].value for r in tx.query(prologue + _AGENCIES)}
    illustrative = {r["s"].value for r in tx.query(prologue + _ILLUSTRATIVE)}

    path = Path(tx.dir) / FILE
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.executescript(_SCHEMA)
        for number, (iri, e) in enumerate(sorted(entries.items()), start=1):
            kind = views.kind_of(e["types"], kinds)
            if kind is None and not e["names"]:
                continue  # ontology terms and other unnamed things are not searched for
            if kind is None and any(t.startswith(OWL) for t in e["types"]):
                continue
            labels = e["labels"]
            es = labels.get("es") or labels.get("") or labels.get("en") or (e["names"] or e["keys"] or [""])[0]
            en = labels.get("en") or es
            keys = " ".join(dict.fromkeys(e["keys"]))
            names = " ".join(dict.fromkeys(e["names"]))
            db.execute("INSERT INTO entity VALUES (?,?,?,?,?,?,?,?,?)",
                       (number, iri, kind or "other", es, en, keys, years.get(iri), agencies.get(iri),
                        int(iri in illustrative)))
            db.execute("INSERT INTO words (rowid, name, keys, text) VALUES (?,?,?,?)",
                       (number, names, keys + " " + fold(keys).replace(" ", ""), " ".join(e["text"])))
            db.execute("INSERT INTO grams (rowid, folded) VALUES (?,?)", (number, fold(names + " " + keys)))
        db.execute("INSERT INTO words (words) VALUES ('optimize')")
        db.commit()
    finally:
        db.close()


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
    total = db.execute(f"SELECT COUNT(*) FROM entity e WHERE {where}", params).fetchone()[0]
    rows = db.execute(f"SELECT {_COLUMNS} FROM entity e WHERE {where} ORDER BY e.label_es LIMIT ? OFFSET ?",
                      (*params, size, (max(page, 1) - 1) * size))
    return total, _hits(rows)


def facets(db: sqlite3.Connection, kind: str) -> dict:
    """The years and agencies that entities of one kind have, with counts, for browse filters."""
    years = db.execute("SELECT year, COUNT(*) FROM entity WHERE kind = ? AND year IS NOT NULL GROUP BY year "
                       "ORDER BY year DESC", (kind,)).fetchall()
    agencies = db.execute(
        "SELECT e.agency, COALESCE(a.label_es, e.agency), COALESCE(a.label_en, e.agency), COUNT(*) FROM entity e "
        "LEFT JOIN entity a ON a.iri = e.agency WHERE e.kind = ? AND e.agency IS NOT NULL GROUP BY e.agency "
        "ORDER BY 2", (kind,)).fetchall()
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
