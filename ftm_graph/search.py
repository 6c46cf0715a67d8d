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
#: What makes an entity's row depend on a graph: a statement about it there, or an amount of it there.
_MEMBERS = """
SELECT DISTINCT ?s WHERE { GRAPH <%s> { { ?s ?p ?o } UNION { ?a fis:amountOf ?s } } FILTER(isIRI(?s)) }"""

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
#: The properties of _LABELS in its order: an entity's first label in a language is its label there.
_LABEL_ORDER = [RDFS + "label", SKOS + "prefLabel", DCT + "title", FIS + "name", SKOS + "altLabel",
                FIS + "acronym", FIS + "rfc", FIS + "ocid", FIS + "registrationKey", SKOS + "notation",
                FIS + "trustRegistryKey", FIS + "decreeNumber", FIS + "note", FIS + "purpose",
                DCT + "description", FIS + "concept"]
_LABEL_RANK = {p: n for n, p in enumerate(_LABEL_ORDER)}
_KEYS = {FIS + "acronym", FIS + "rfc", FIS + "ocid", FIS + "registrationKey", SKOS + "notation",
         FIS + "trustRegistryKey", FIS + "decreeNumber"}

_SCHEMA = """
CREATE TABLE entity (id INTEGER PRIMARY KEY, iri TEXT UNIQUE NOT NULL, kind TEXT, label_es TEXT, label_en TEXT,
                     keys TEXT, year INTEGER, agency TEXT, illustrative INTEGER NOT NULL DEFAULT 0);
CREATE INDEX entity_kind ON entity (kind, year, agency);
CREATE VIRTUAL TABLE words USING fts5 (name, keys, text, tokenize = 'unicode61 remove_diacritics 2',
                                       prefix = '2 3 4');
CREATE VIRTUAL TABLE grams USING fts5 (folded, tokenize = 'trigram');
CREATE TABLE member (graph TEXT NOT NULL, iri TEXT NOT NULL);
CREATE INDEX member_graph ON member (graph);
CREATE TABLE build (key TEXT PRIMARY KEY, value TEXT);
"""
FORMAT = 2  #: bump when the schema or how a row is made changes: the next build is then a full one


def fold(text: str) -> str:
    """Lower case without accents, runs of other characters as one space: 'Secretaría  de FINANZAS' → 'secretaria de finanzas'."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.split(r"[^0-9a-z]+", text)).strip()


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
        if previous is None:
            db.executescript(_SCHEMA)
            db.execute("INSERT INTO build VALUES ('fingerprint', ?)", (fingerprint,))
            graphs = _graphs(tx)
            _write_members(tx, db, graphs)
            _index(db, _entries(tx, None), kinds, next_id=1)
            db.execute("INSERT INTO words (words) VALUES ('optimize')")
        else:
            touched = sorted(tx.touched)
            marks = ",".join("?" * len(touched))
            affected = {iri for (iri,) in db.execute(f"SELECT iri FROM member WHERE graph IN ({marks})", touched)}
            db.execute(f"DELETE FROM member WHERE graph IN ({marks})", touched)
            live = set(_graphs(tx))
            affected |= _write_members(tx, db, [g for g in touched if g in live])
            _forget(db, affected)
            next_id = db.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM entity").fetchone()[0]
            _index(db, _entries(tx, affected), kinds, next_id)
        db.commit()
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


def _write_members(tx, db, graphs: list[str]) -> set[str]:
    """Record the subjects (and the entities amounts point at) of each graph; return them all."""
    prologue = sparql_prologue()
    found: set[str] = set()
    for graph in graphs:
        members = [row["s"].value for row in tx.query(prologue + _MEMBERS % graph)]
        db.executemany("INSERT INTO member VALUES (?, ?)", ((graph, iri) for iri in members))
        found.update(members)
    return found


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


def _entries(tx, subjects: set[str] | None) -> dict[str, dict]:
    """What the index needs about each entity: all of the store (`subjects` None: a few whole-store
    queries) or those entities (index lookups, the same facts as the queries give)."""
    if subjects is None:
        prologue = sparql_prologue()
        facts: dict[str, list] = {}
        types: dict[str, list] = {}
        for row in tx.query(prologue + _LABELS):
            facts.setdefault(row["s"].value, []).append((row["p"].value, row["o"]))
        for row in tx.query(_TYPES):
            if row["s"].value in facts:
                types.setdefault(row["s"].value, []).append(row["c"].value)
        years = {r["s"].value: int(r["year"].value) for r in tx.query(prologue + _YEARS) if r["year"] is not None}
        agencies = {r["s"].value: r["agency"].value for r in tx.query(prologue + _AGENCIES)}
        illustrative = {r["s"].value for r in tx.query(prologue + _ILLUSTRATIVE)}
        return {iri: _entry(stated, types.get(iri, []), years.get(iri), agencies.get(iri), iri in illustrative)
                for iri, stated in facts.items()}
    entries = {}
    for iri in subjects:
        stated, types, years, agencies, illustrative, contract_date = [], [], [], [], False, False
        for quad in tx.triples(iri):
            p, o = quad.predicate.value, quad.object
            literal = _is_literal(o)
            if p in _LABEL_RANK and literal:
                stated.append((p, o))
            if p == _TYPE:
                types.append(o.value)
            elif p in _AGENCY:
                agencies.append(o.value)
            elif p in _DATES:
                years.append(_year(o.value))
                contract_date = contract_date or p == FIS + "contractDate"
            elif p == FIS + "illustrative" and literal and o.value == "true" and o.datatype.value == XSD + "boolean":
                illustrative = True
        if not stated:
            continue
        if not contract_date:
            for amount in tx.triples(None, FIS + "amountOf", iri):
                for when in _AMOUNT_DATES:
                    years += [_year(q.object.value) for q in tx.triples(amount.subject.value, when)]
        known = [y for y in years if y is not None]
        entries[iri] = _entry(stated, types, min(known) if known else None, min(agencies) if agencies else None,
                              illustrative)
    return entries


_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: The same properties as _YEARS and _AGENCIES.
_DATES = {FIS + "fiscalYear", FIS + "contractDate", FIS + "paymentDate", FIS + "dateSigned", FIS + "publicationDate"}
_AMOUNT_DATES = (FIS + "fiscalYear", FIS + "date")
_AGENCY = {FIS + "budgetHolder", FIS + "buyer", FIS + "payer", FIS + "debtor", FIS + "settlor", FIS + "parentBody"}
_INTEGER = re.compile(r"[+-]?[0-9]+")


def _is_literal(term) -> bool:
    return hasattr(term, "datatype")


def _year(text: str) -> int | None:
    """As ``xsd:integer(SUBSTR(STR(?d), 1, 4))`` in _YEARS: None when that is not an integer."""
    head = text[:4]
    return int(head) if _INTEGER.fullmatch(head) else None


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


def _index(db, entries: dict[str, dict], kinds: dict, next_id: int) -> None:
    number = next_id
    for iri, e in sorted(entries.items()):
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
                   (number, iri, kind or "other", es, en, keys, e["year"], e["agency"], int(e["illustrative"])))
        db.execute("INSERT INTO words (rowid, name, keys, text) VALUES (?,?,?,?)",
                   (number, names, keys + " " + fold(keys).replace(" ", ""), " ".join(e["text"])))
        db.execute("INSERT INTO grams (rowid, folded) VALUES (?,?)", (number, fold(names + " " + keys)))
        number += 1


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
