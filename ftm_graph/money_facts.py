"""The facts the summaries are made of, kept per graph in ``summaries.sqlite`` so that a write reads only
the graphs it touched.

Reading the money facts of a big store back from Oxigraph is what made the
summaries slow: every term of every quad is a RocksDB lookup (on 660k
triples, about 10 s for the joins of the former queries). So each
generation's file keeps those facts (the triples whose property is one of
``summaries._READS``, and the memberships of ``summaries._CLASSES``) in a
table ``fact``, by graph, and the next build takes them from there for every
graph the write did not touch; a touched graph's facts are read from the
store, one query per property (an index lookup each).

A touched graph that was just bulk-loaded from an N-Quads file
(``Transaction.loaded``) is read from that file instead: a text filter keeps
the lines of the wanted properties, and a parse gives their quads without a
store lookup per term. Oxigraph stores typed literals in a canonical form
("1234.50"^^xsd:decimal comes back as "1234.5"), so the distinct typed
literals found there are put through an in-memory Oxigraph store to get the
same text the store gives. A file with blank nodes (which the store may have
renamed on loading) is not used.

The tables are then computed from the union of every graph's facts, each
triple once (``SELECT DISTINCT``), as the store's default graph (the merge of
the named graphs) holds them, so the rows are those a build from the store
alone gives (``tests/test_incremental.py`` compares).

A fact is ``(graph, s, p, o, t)``: subject and object as their ``value``,
``p`` the property's local name (``type`` for a class membership, ``o`` then
the class's local name), and ``t`` what kind of term the object is (``<``
an IRI, ``_`` a blank node, ``^`` and the datatype, ``@`` and the language),
so that two different terms with the same text stay two facts; ``graph`` and
``t`` are stored as numbers (tables ``fact_graph`` and ``fact_kind``).
"""

import re
import sqlite3
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

from .namespaces import FIS, RDF, XSD, sparql_prologue
from .store import Transaction

TYPE = RDF + "type"
#: Literals stored as they are written (every other typed literal may come back in a canonical form).
_PLAIN = {XSD + "string", RDF + "langString"}
#: Graphs and kinds of term by number: on 660k triples the file is half the size with them written out.
SCHEMA = """
CREATE TABLE fact_graph (id INTEGER PRIMARY KEY, iri TEXT UNIQUE NOT NULL);
CREATE TABLE fact_kind (id INTEGER PRIMARY KEY, kind TEXT UNIQUE NOT NULL);
CREATE TABLE fact (graph INTEGER NOT NULL, s TEXT NOT NULL, p TEXT NOT NULL, o TEXT NOT NULL, t INTEGER NOT NULL);
"""


def _kind(term) -> str | None:
    """The ``t`` of an object term; None for a term we cannot keep as text (a quoted triple)."""
    if isinstance(term, ox.NamedNode):
        return "<"
    if isinstance(term, ox.Literal):
        return "@" + term.language if term.language else "^" + term.datatype.value
    if isinstance(term, ox.BlankNode):
        return "_"
    return None


def _line_filter(reads: tuple, classes: tuple) -> re.Pattern:
    """A bytes pattern found in every N-Quads line holding a fact (and in a few others, which the parse drops):
    the property's IRI as the mapping writes it (not with ``\\u`` escapes), whatever the spacing."""
    props = "|".join(re.escape(p) for p in reads)
    kinds = "|".join(re.escape(c) for c in classes)
    fis = re.escape(FIS)
    return re.compile(f"<{fis}(?:{props})>|<{re.escape(TYPE)}>.*<{fis}(?:{kinds})>".encode())


def _from_file(path: Path, graph: str, reads: tuple, classes: tuple) -> list[tuple] | None:
    """The facts of a graph from the N-Quads file it holds exactly; None when the file will not do
    (gone, unreadable, with a quad of another graph or a blank node)."""
    wanted = _line_filter(reads, classes)
    props, kinds = {FIS + p: p for p in reads}, {FIS + c: c for c in classes}
    rows, typed = [], {}
    try:
        with open(path, "rb") as f:
            text = b"".join(line for line in f if wanted.search(line))
        for q in ox.parse(input=text, format=ox.RdfFormat.N_QUADS):
            if not isinstance(q.graph_name, ox.NamedNode) or q.graph_name.value != graph:
                return None
            subject, o = q.subject, q.object
            if not isinstance(subject, ox.NamedNode) or isinstance(o, ox.BlankNode):
                return None
            p = q.predicate.value
            if p in props:
                t = _kind(o)
                if t is None:
                    return None
                if t[0] == "^" and o.datatype.value not in _PLAIN:
                    typed[(o.value, o.datatype.value)] = None
                rows.append((graph, subject.value, props[p], o.value, t))
            elif p == TYPE and o.value in kinds:
                rows.append((graph, subject.value, "type", kinds[o.value], "<"))
    except (OSError, SyntaxError, ValueError):
        return None
    canonical = _canonical(list(typed))
    return [(g, s, p, *canonical.get((o, t[1:]), (o, t))) if t[0] == "^" else (g, s, p, o, t)
            for g, s, p, o, t in rows]


def _canonical(literals: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    """(text, datatype) → (text, t) of each typed literal as Oxigraph stores it (through an in-memory store)."""
    store, prop = ox.Store(), ox.NamedNode("urn:x:canonical")
    store.bulk_extend(ox.Quad(ox.NamedNode(f"urn:x:{n}"), prop, ox.Literal(text, datatype=ox.NamedNode(datatype)))
                      for n, (text, datatype) in enumerate(literals))
    out = {}
    for q in store.quads_for_pattern(None, prop, None):
        out[literals[int(q.subject.value[6:])]] = (q.object.value, _kind(q.object))
    return out


def _from_store(tx, graph: str, reads: tuple, classes: tuple) -> list[tuple]:
    """The facts of a graph from the store: one query per property (each an index lookup)."""
    prologue = sparql_prologue()
    rows = []
    for p in reads:
        for row in tx.query(prologue + f"SELECT ?s ?o WHERE {{ GRAPH <{graph}> {{ ?s fis:{p} ?o }} }}"):
            t = _kind(row["o"])
            if t is not None:
                rows.append((graph, row["s"].value, p, row["o"].value, t))
    for c in classes:
        for row in tx.query(prologue + f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s a fis:{c} }} }}"):
            rows.append((graph, row["s"].value, "type", c, "<"))
    return rows


def write(tx, db: sqlite3.Connection, graphs: list[str], previous: Path | None, reads: tuple,
          classes: tuple) -> None:
    """Fill ``fact`` for the live `graphs`: untouched ones from `previous` (a summaries file whose facts
    describe the previous generation), the others from the file they were just loaded from or the store."""
    db.executescript(SCHEMA)
    fresh = list(graphs)
    if previous is not None:
        touched = set(tx.touched)
        kept = [g for g in graphs if g not in touched]
        db.execute("ATTACH DATABASE ? AS previous", (f"file:{previous}?mode=ro&immutable=1",))
        try:
            db.execute("CREATE TEMP TABLE kept (iri TEXT PRIMARY KEY)")
            db.executemany("INSERT INTO kept VALUES (?)", ((g,) for g in kept))
            db.execute("INSERT INTO fact_graph SELECT g.* FROM previous.fact_graph g JOIN kept k ON k.iri = g.iri")
            db.execute("INSERT INTO fact_kind SELECT * FROM previous.fact_kind")
            db.execute("INSERT INTO fact SELECT f.* FROM previous.fact f JOIN fact_graph g ON g.id = f.graph")
            fresh = [g for g in graphs if g in touched]
        except sqlite3.Error:  # not the file we expected: read every graph
            for table in ("fact", "fact_kind", "fact_graph"):
                db.execute(f"DELETE FROM {table}")
        db.commit()
        db.execute("DETACH DATABASE previous")
    kinds = {kind: n for n, kind in db.execute("SELECT id, kind FROM fact_kind")}
    loaded = getattr(tx, "loaded", {}) if isinstance(tx, Transaction) else {}  # a remote store's own literals
    for graph in fresh:
        rows = _from_file(loaded[graph][0], graph, reads, classes) if graph in loaded else None
        if rows is None:
            rows = _from_store(tx, graph, reads, classes)
        if not rows:
            continue
        number = db.execute("INSERT INTO fact_graph (iri) VALUES (?)", (graph,)).lastrowid
        for kind in {t for *_x, t in rows} - set(kinds):
            kinds[kind] = db.execute("INSERT INTO fact_kind (kind) VALUES (?)", (kind,)).lastrowid
        db.executemany("INSERT INTO fact VALUES (?,?,?,?,?)", ((number, s, p, o, kinds[t]) for _g, s, p, o, t in rows))


def read(db: sqlite3.Connection, reads: tuple, classes: tuple) -> tuple[dict, list[set[str]]]:
    """Every fact once: property → subject → its values, and the members of each class (in `classes` order).

    A fact held by two graphs is one triple of the default graph: kept once (not with SELECT DISTINCT,
    whose sort of every row took seconds). Values are compared with their kind of term; as a property's
    values are nearly always of one kind, only a value of another kind carries its kind along, until the
    end (so the common case costs one append).
    """
    facts: dict[str, dict[str, list]] = {p: defaultdict(list) for p in reads}
    members: dict[str, set[str]] = {c: set() for c in classes}
    usual: dict[str, str] = {}
    mixed = []  # (property, values) where a subject has several values or one of an unusual kind
    for s, p, o, t in db.execute("SELECT s, p, o, t FROM fact"):
        if p == "type":
            members[o].add(s)
            continue
        values = facts[p][s]
        if t == usual.setdefault(p, t):
            values.append(o)
            if len(values) == 2:
                mixed.append((p, values))
        else:
            values.append((o, t))
            mixed.append((p, values))
    done: set[int] = set()  # a list may be listed twice
    for p, values in mixed:
        if id(values) not in done:
            done.add(id(values))
            values[:] = [o for o, _t in dict.fromkeys(v if isinstance(v, tuple) else (v, usual[p]) for v in values)]
    return facts, [members[c] for c in classes]
