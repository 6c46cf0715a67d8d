"""Totals and money flows that pages show, computed at write time into ``summaries.sqlite``.

A whole-graph aggregate costs about a second per million triples (see
shared NOTES), so pages never run one: ``build_summaries`` (a
``sources.DERIVED`` builder) reads the money facts of the staging store and
writes tables that pages read by an indexed key:

- ``totals``: the sum of every entity's figures by measure and period (its
  own ``fis:Amount``s), plus roll-ups: a public body's budget lines summed by
  stage and year (``via = 'budget'``), and a classifier code's budget lines
  (``via = 'code'``);
- ``flows``: money from a payer to a payee, by year: payments
  (payer → payee), payments paid with a loan (loan → payee), loans
  (lender → loan → debtor), contracts (buyer → supplier), and refinancing
  (new loan → the loan it paid off, amount not reported per loan).

Sums are exact (``Decimal``) and stored as text. A third table, ``top_flow``,
holds what an entity's page shows of its flows (``flows_of``): the first TOP
each way, summed over years and ranked at write time, so that the page of a
body with a thousand counterparts reads a few rows.

Every row may combine facts from several graphs (a loan's lender from one
file, its principal from another; a body's budget lines from every budget
file), so the tables are computed from every graph's facts; but only the
graphs a write touched (``Transaction.touched``) are read from the store, the
others' facts come from the previous generation's file (see
:mod:`money_facts`). When a write touched no graph holding a fact they read
(``_READS``), e.g. a catalogue of agencies, the ontology, the dataset's
description, the previous generation's file is reused as it is. The table
``money_graph`` records which graphs hold such facts, so that removing one is
noticed.
"""

import sqlite3
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from itertools import product
from pathlib import Path

from . import money_facts, publish
from .namespaces import sparql_prologue

FILE = "summaries.sqlite"

#: Which of a loan's figures is its principal, in order of preference (the measure's last path segment).
PRINCIPAL = ("contracted-amount", "original-amount", "awarded-amount", "authorised-amount")
#: Which figure of a contract or award is its value.
CONTRACT_VALUE = ("contract-value", "award-value")

#: The properties the build reads, and the classes it asks for: a graph with none of them changes no row.
#: (They are what money_facts keeps of each graph.)
_READS = ("amountOf", "measure", "value", "date", "fiscalYear", "periodStart", "budgetHolder", "objectOfExpenditure",
          "functionalClass", "fundingSource", "budgetProgram", "payer", "payee", "paymentDate", "fundedBy", "lender",
          "debtor", "contractDate", "refinances", "refinancedBy", "supplier", "buyer", "process", "award",
          "dateSigned")
_CLASSES = ("BudgetLine", "Payment", "DebtObligation")
_HAS_MONEY = """ASK {{ GRAPH <{graph}> {{
  {{ VALUES ?p {{ {reads} }} ?s ?p ?o }} UNION {{ VALUES ?c {{ {classes} }} ?s a ?c }} }} }}"""
FORMAT = 3  #: bump when the tables or how a row is made change: the next build is then a full one

#: How many flows each way an entity's page shows (``top_flow`` keeps that many per entity and direction).
TOP = 12
CENT = Decimal("0.01")

_SCHEMA = """
CREATE TABLE totals (entity TEXT NOT NULL, via TEXT NOT NULL, measure TEXT NOT NULL, period TEXT, year INTEGER,
                     value TEXT NOT NULL, n INTEGER NOT NULL);
CREATE INDEX totals_entity ON totals (entity, via);
CREATE TABLE flows (source TEXT NOT NULL, target TEXT NOT NULL, relation TEXT NOT NULL, year INTEGER,
                    value TEXT, n INTEGER NOT NULL, first TEXT, last TEXT, example TEXT);
CREATE INDEX flows_source ON flows (source);
CREATE INDEX flows_target ON flows (target);
CREATE TABLE top_flow (entity TEXT NOT NULL, side TEXT NOT NULL, rank INTEGER NOT NULL, other TEXT NOT NULL,
                       relation TEXT NOT NULL, value TEXT, n INTEGER NOT NULL, first TEXT, last TEXT, example TEXT,
                       flows INTEGER NOT NULL, PRIMARY KEY (entity, side, rank)) WITHOUT ROWID;
CREATE TABLE money_graph (graph TEXT PRIMARY KEY);
CREATE TABLE build (key TEXT PRIMARY KEY, value TEXT);
"""


def _decimal(text) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        return None


def _period(date, year, start) -> tuple[str | None, int | None]:
    """A figure's period as text (its date, else its year, else its period's start) and its year."""
    for text in (date, year, start):
        if text is not None:
            return text, int(text[:4]) if text[:4].isdigit() else None
    return None, None


def _has_money(tx, graph: str) -> bool:
    query = _HAS_MONEY.format(graph=graph, reads=" ".join(f"fis:{p}" for p in _READS),
                              classes=" ".join(f"fis:{c}" for c in _CLASSES))
    return bool(tx.query(sparql_prologue() + query))


def _previous(tx) -> tuple[Path, set[str]] | None:
    """The previous generation's file and the graphs it found facts in, when it is of this FORMAT."""
    previous_dir, touched = getattr(tx, "previous_dir", None), getattr(tx, "touched", None)
    if previous_dir is None or touched is None:
        return None
    path = Path(previous_dir) / FILE
    if not path.is_file():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True) as db:
            version = db.execute("SELECT value FROM build WHERE key = 'format'").fetchone()
            held = {g for (g,) in db.execute("SELECT graph FROM money_graph")}
    except sqlite3.Error:  # a file written before builds could be skipped
        return None
    if version is None or version[0] != str(FORMAT):
        return None
    return path, held


def _previous_facts(tx) -> Path | None:
    """The previous generation's file, whose facts of the graphs this write did not touch are still true."""
    previous = _previous(tx)
    return previous[0] if previous is not None else None


def _reusable(tx) -> Path | None:
    """The previous generation's file when no touched graph holds (or held) a fact the tables read, else None."""
    previous = _previous(tx)
    if previous is None:
        return None
    path, held = previous
    touched = tx.touched
    if touched & held:
        return None
    live = {row["g"].value for row in tx.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")}
    if any(_has_money(tx, g) for g in touched & live):
        return None
    return path


def _tables(facts: dict, members: list[set[str]]) -> tuple[dict, dict]:
    """The rows of ``totals`` and ``flows`` from every fact (``money_facts.read``), as this module's docstring says.

    Where the data gives several values a query's solutions would be their combinations (two dates of
    one payment count it twice); where one value is picked (a payment's amount, a loan's principal),
    figures are taken in sorted order so that the same data always gives the same rows.
    """
    lines, payments, loans = members
    get = {name: facts[name].get for name in _READS}
    none = (None,)
    own: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0])
    figures: dict[str, list[tuple]] = defaultdict(list)  # entity → (measure, period, year, value)
    for a, entities in facts["amountOf"].items():
        measures, values = get["measure"](a), get["value"](a)
        if not measures or not values:
            continue
        periods = [_period(*p) for p in product(get["date"](a) or none, get["fiscalYear"](a) or none,
                                                get["periodStart"](a) or none)]
        for entity, measure, text in product(entities, measures, values):
            value = _decimal(text)
            if value is None:
                continue
            for period, year in periods:
                figures[entity].append((measure, period, year, value))
                total = own[(entity, "", measure, period, year)]
                total[0] += value
                total[1] += 1
    for entity in figures:
        figures[entity].sort(key=lambda f: (f[0], f[1] or "", f[2] or 0, f[3]))
    codes = [facts[name] for name in ("objectOfExpenditure", "functionalClass", "fundingSource", "budgetProgram")]
    for line in lines:
        mine = figures.get(line)
        if not mine:
            continue
        targets = [(t, "budget") for t in get["budgetHolder"](line) or ()]
        targets += [(t, "code") for t in sorted({t for code in codes for t in code.get(line, ())})]
        for (target, via), (measure, _, year, value) in product(targets, mine):
            total = own[(target, via, measure, str(year) if year else None, year)]
            total[0] += value
            total[1] += 1

    flows: dict[tuple, dict] = {}

    def flow(source, target, relation, value, date, via):
        year = int(date[:4]) if date and date[:4].isdigit() else None
        f = flows.setdefault((source, target, relation, year),
                             {"value": None, "n": 0, "first": None, "last": None, "example": via})
        if value is not None:
            f["value"] = (f["value"] or Decimal(0)) + value
        f["n"] += 1
        if date:
            f["first"] = min(f["first"] or date, date)
            f["last"] = max(f["last"] or date, date)
        if f["example"] != via:
            f["example"] = None

    def pick(entity: str, preferred: tuple) -> tuple[Decimal | None, str | None]:
        by_measure = {m.rsplit("/", 1)[-1]: (v, p) for m, p, _y, v in figures.get(entity, ())}
        for name in preferred:
            if name in by_measure:
                return by_measure[name]
        return None, None

    for p in payments:
        mine = figures.get(p)
        value = mine[0][3] if mine else None
        for payer, payee, date, loan in product(get["payer"](p) or (), get["payee"](p) or (),
                                                get["paymentDate"](p) or none, get["fundedBy"](p) or none):
            flow(payer, payee, "payment", value, date, p)
            if loan is not None:
                flow(loan, payee, "funded", value, date, p)
    for loan in loans:  # one flow per loan and party, even when sources give several dates
        value, period = pick(loan, PRINCIPAL)
        dates = get["contractDate"](loan)
        date = (min(dates) if dates else None) or period
        for lender in sorted(set(get["lender"](loan) or ())):
            flow(lender, loan, "loan", value, date, loan)
        for debtor in sorted(set(get["debtor"](loan) or ())):
            flow(loan, debtor, "loan", value, date, loan)
    refinancing = [(new, old) for new, olds in facts["refinances"].items() for old in olds]
    refinancing += [(new, old) for old, news in facts["refinancedBy"].items() for new in news]
    for new, old in refinancing:
        _value, period = pick(new, PRINCIPAL)
        flow(new, old, "refinancing", None, period, new)
    awarded = {c for awards in facts["award"].values() for c in awards}
    for c, suppliers in facts["supplier"].items():
        buyers = get["buyer"](c) or [b for process in get["process"](c) or () for b in get["buyer"](process) or ()]
        if c in awarded or not buyers:
            continue
        value, period = pick(c, CONTRACT_VALUE)
        for buyer, supplier, date in product(buyers, suppliers, get["dateSigned"](c) or none):
            flow(buyer, supplier, "contract", value, date if date is not None else period, c)
    return own, flows


def _top_flows(flows: dict) -> list[tuple]:
    """The rows of ``top_flow``: for each entity and direction, its first TOP flows as ``flows_of`` orders
    them (summed over years, largest first), each row with the number of flows there are in all."""
    groups: dict[tuple, list] = {}  # (entity, side, other, relation) → [value, n, first, last, examples]
    for (source, target, relation, _year), f in flows.items():
        for key in ((target, "in", source, relation), (source, "out", target, relation)):
            g = groups.get(key)
            if g is None:
                g = groups[key] = [None, 0, None, None, set()]
            if f["value"] is not None:
                g[0] = (g[0] or Decimal(0)) + f["value"]
            g[1] += f["n"]
            if f["first"] is not None:
                g[2] = min(g[2] or f["first"], f["first"])
                g[3] = max(g[3] or f["last"], f["last"])
            g[4].add(f["example"])
    sides: dict[tuple, list] = defaultdict(list)
    for (entity, side, other, relation), g in groups.items():
        sides[(entity, side)].append((other, relation, g))
    rows = []
    for (entity, side), items in sides.items():
        items.sort(key=lambda i: (i[2][0] is None, -(i[2][0] or 0), i[0], i[1]))
        for rank, (other, relation, (value, n, first, last, examples)) in enumerate(items[:TOP]):
            rows.append((entity, side, rank, other, relation, None if value is None else str(value.quantize(CENT)),
                         n, first, last, next(iter(examples)) if len(examples) == 1 else None, len(items)))
    return rows


def build_summaries(tx, base: str) -> None:
    """Write ``summaries.sqlite`` for the generation being written (a ``sources.DERIVED`` builder)."""
    path = Path(tx.dir) / FILE
    path.unlink(missing_ok=True)
    previous = _reusable(tx)
    if previous is not None and publish.link_previous(previous, path):
        return
    graphs = [row["g"].value for row in tx.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")]
    db = sqlite3.connect(path)
    try:
        # written once, then only read: no journal, no waiting for the disk (a crash leaves a staging folder)
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.executescript(_SCHEMA)
        db.execute("INSERT INTO build VALUES ('format', ?)", (str(FORMAT),))
        money_facts.write(tx, db, graphs, _previous_facts(tx), _READS, _CLASSES)
        db.execute("INSERT INTO money_graph SELECT iri FROM fact_graph")
        own, flows = _tables(*money_facts.read(db, _READS, _CLASSES))
        db.executemany("INSERT INTO totals VALUES (?,?,?,?,?,?,?)",
                       ((e, via, m, p, y, str(v), n) for (e, via, m, p, y), (v, n) in own.items()))
        db.executemany("INSERT INTO flows VALUES (?,?,?,?,?,?,?,?,?)",
                       ((s, t, r, y, None if f["value"] is None else str(f["value"]), f["n"], f["first"], f["last"],
                         f["example"]) for (s, t, r, y), f in flows.items()))
        db.executemany("INSERT INTO top_flow VALUES (?,?,?,?,?,?,?,?,?,?,?)", _top_flows(flows))
        db.commit()
    finally:
        db.close()

def open_summaries(store) -> sqlite3.Connection | None:
    """The totals of the store's live generation, read-only; None when that generation has none."""
    folder = store.generation_dir
    path = Path(folder) / FILE if folder else None
    if path is None or not path.is_file():
        return None
    return sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)


def totals(db, entity: str, via: str = "") -> list[dict]:
    """An entity's totals (its own figures, or a roll-up) by measure and period, oldest first."""
    rows = db.execute("SELECT measure, period, year, value, n FROM totals WHERE entity = ? AND via = ? "
                      "ORDER BY measure, period", (entity, via))
    return [{"measure": m, "period": p, "year": y, "value": Decimal(v), "n": n} for m, p, y, v, n in rows]


def flows_of(db, entity: str, limit: int = TOP) -> dict[str, list[dict]]:
    """The money coming into and going out of an entity, summed over years, largest first.

    Returns {"in": [...], "out": [...], "more_in": n, "more_out": n}; each flow a dict with
    the other end, relation, value (None when not reported), count, first and last date, and example.
    Up to TOP flows a side are read as they were ranked at write time (``top_flow``: a busy body has
    over a thousand flows, which a page would otherwise sum on every request).
    """
    if limit <= TOP:
        try:
            rows = db.execute("SELECT side, other, relation, value, n, first, last, example, flows FROM top_flow "
                              "WHERE entity = ? AND rank < ? ORDER BY side, rank", (entity, limit)).fetchall()
        except sqlite3.OperationalError:  # a file of an older FORMAT, still live until the next write
            rows = None
        if rows is not None:
            out = {"in": [], "out": [], "more_in": 0, "more_out": 0}
            for side, other, relation, value, n, first, last, example, total in rows:
                out[side].append({"other": other, "relation": relation,
                                  "value": None if value is None else Decimal(value), "n": n, "first": first,
                                  "last": last, "example": example})
                out["more_" + side] = total - len(out[side])
            return out
    out = {}
    for side, me, other in (("in", "target", "source"), ("out", "source", "target")):
        rows = db.execute(
            f"SELECT {other}, relation, SUM(CAST(value AS REAL)), COUNT(value), SUM(n), MIN(first), MAX(last), "
            f"MIN(example), COUNT(DISTINCT COALESCE(example, '')) FROM flows WHERE {me} = ? "
            f"GROUP BY {other}, relation ORDER BY 3 DESC NULLS LAST, 1, 2", (entity,)).fetchall()
        out[side] = [_flow(r) for r in rows[:limit]]
        out["more_" + side] = max(0, len(rows) - limit)
    return out


def _flow(r) -> dict:
    example = r[7] if r[8] == 1 else None
    return {"other": r[0], "relation": r[1], "value": None if not r[3] else Decimal(str(r[2])).quantize(Decimal("0.01")),
            "n": r[4], "first": r[5], "last": r[6], "example": example}


def flows_by_year(db, entity: str) -> list[dict]:
    """Every flow in or out of an entity, one row per other end, relation and year (for tables and CSV)."""
    rows = db.execute(
        "SELECT 'in', source, relation, year, value, n, first, last, example FROM flows WHERE target = ? "
        "UNION ALL SELECT 'out', target, relation, year, value, n, first, last, example FROM flows WHERE source = ? "
        "ORDER BY 4, 1, 2", (entity, entity))
    return [{"direction": d, "other": o, "relation": r, "year": y, "value": None if v is None else Decimal(v),
             "n": n, "first": f, "last": la, "example": ex} for d, o, r, y, v, n, f, la, ex in rows]


def money_path(db, start: str, end: str, max_hops: int = 6, max_nodes: int = 5000) -> list[dict] | None:
    """The shortest chain of money flows from `start` to `end` (each hop with amount and dates), or None.

    A breadth-first search over the flows table, one indexed lookup per node reached.
    """
    previous: dict[str, tuple | None] = {start: None}
    frontier = [start]
    for _ in range(max_hops):
        following = []
        for node in frontier:
            for row in db.execute(
                    "SELECT target, relation, SUM(CAST(value AS REAL)), COUNT(value), SUM(n), MIN(first), MAX(last), "
                    "MIN(example), COUNT(DISTINCT COALESCE(example, '')) FROM flows WHERE source = ? "
                    "GROUP BY target, relation", (node,)):
                target = row[0]
                if target in previous:
                    continue
                previous[target] = (node, _flow(row))
                if target == end:
                    return _chain(previous, end)
                following.append(target)
                if len(previous) > max_nodes:
                    return None
        frontier = following
        if not frontier:
            break
    return None


def _chain(previous: dict, end: str) -> list[dict]:
    hops = []
    node = end
    while previous[node] is not None:
        source, flow = previous[node]
        hops.append({"source": source, "target": node, **flow})
        node = source
    return hops[::-1]
