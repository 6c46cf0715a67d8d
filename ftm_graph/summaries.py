"""Totals and money flows that pages show, computed at write time into ``summaries.sqlite``.

A whole-graph aggregate costs about a second per million triples (see
shared NOTES), so pages never run one: ``build_summaries`` (a
``sources.DERIVED`` builder) reads the staging store with a few whole-graph
queries and writes two tables that pages read by an indexed key:

- ``totals``: the sum of every entity's figures by measure and period (its
  own ``fis:Amount``s), plus roll-ups: a public body's budget lines summed by
  stage and year (``via = 'budget'``), and a classifier code's budget lines
  (``via = 'code'``);
- ``flows``: money from a payer to a payee, by year: payments
  (payer → payee), payments paid with a loan (loan → payee), loans
  (lender → loan → debtor), contracts (buyer → supplier), and refinancing
  (new loan → the loan it paid off, amount not reported per loan).

Sums are exact (``Decimal``) and stored as text.

Every row may combine facts from several graphs (a loan's lender from one
file, its principal from another; a body's budget lines from every budget
file), so the tables are rebuilt over the whole store, except when a write
touched no graph holding a fact they read (``_READS``; see
``Transaction.touched``), e.g. a catalogue of agencies, the ontology, the
dataset's description: then the previous generation's file is reused as it is.
The table ``money_graph`` records which graphs hold such facts, so that
removing one is noticed.
"""

import sqlite3
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path

from . import publish
from .namespaces import sparql_prologue

FILE = "summaries.sqlite"

#: Which of a loan's figures is its principal, in order of preference (the measure's last path segment).
PRINCIPAL = ("contracted-amount", "original-amount", "awarded-amount", "authorised-amount")
#: Which figure of a contract or award is its value.
CONTRACT_VALUE = ("contract-value", "award-value")

_AMOUNTS = """
SELECT ?e ?m ?v ?date ?year ?start WHERE {
  ?a fis:amountOf ?e ; fis:measure ?m ; fis:value ?v .
  OPTIONAL { ?a fis:date ?date } OPTIONAL { ?a fis:fiscalYear ?year } OPTIONAL { ?a fis:periodStart ?start }
}"""
_ROLLUPS = """
SELECT ?line ?target ?via WHERE {
  ?line a fis:BudgetLine .
  { ?line fis:budgetHolder ?target BIND("budget" AS ?via) }
  UNION { ?line fis:objectOfExpenditure|fis:functionalClass|fis:fundingSource|fis:budgetProgram ?target
          BIND("code" AS ?via) }
}"""
_PAYMENTS = """
SELECT ?p ?payer ?payee ?date ?loan WHERE {
  ?p a fis:Payment ; fis:payer ?payer ; fis:payee ?payee .
  OPTIONAL { ?p fis:paymentDate ?date } OPTIONAL { ?p fis:fundedBy ?loan }
}"""
_LOANS = """
SELECT ?loan ?lender ?debtor ?date WHERE {
  ?loan a fis:DebtObligation .
  OPTIONAL { ?loan fis:lender ?lender } OPTIONAL { ?loan fis:debtor ?debtor }
  OPTIONAL { ?loan fis:contractDate ?date }
}"""
_REFINANCING = "SELECT ?new ?old WHERE { { ?new fis:refinances ?old } UNION { ?old fis:refinancedBy ?new } }"
_CONTRACTS = """
SELECT ?c ?buyer ?supplier ?date WHERE {
  ?c fis:supplier ?supplier .
  { ?c fis:buyer ?buyer } UNION { ?c fis:process/fis:buyer ?buyer FILTER NOT EXISTS { ?c fis:buyer ?any } }
  FILTER NOT EXISTS { ?contract fis:award ?c }
  OPTIONAL { ?c fis:dateSigned ?date }
}"""

#: The properties the queries above read, and the classes they ask for: a graph with none of them
#: changes no row. (Keep in step with the queries.)
_READS = ("amountOf", "measure", "value", "date", "fiscalYear", "periodStart", "budgetHolder", "objectOfExpenditure",
          "functionalClass", "fundingSource", "budgetProgram", "payer", "payee", "paymentDate", "fundedBy", "lender",
          "debtor", "contractDate", "refinances", "refinancedBy", "supplier", "buyer", "process", "award",
          "dateSigned")
_CLASSES = ("BudgetLine", "Payment", "DebtObligation")
_HAS_MONEY = """ASK {{ GRAPH <{graph}> {{
  {{ VALUES ?p {{ {reads} }} ?s ?p ?o }} UNION {{ VALUES ?c {{ {classes} }} ?s a ?c }} }} }}"""
FORMAT = 2  #: bump when the tables or how a row is made change: the next build is then a full one

_SCHEMA = """
CREATE TABLE totals (entity TEXT NOT NULL, via TEXT NOT NULL, measure TEXT NOT NULL, period TEXT, year INTEGER,
                     value TEXT NOT NULL, n INTEGER NOT NULL);
CREATE INDEX totals_entity ON totals (entity, via);
CREATE TABLE flows (source TEXT NOT NULL, target TEXT NOT NULL, relation TEXT NOT NULL, year INTEGER,
                    value TEXT, n INTEGER NOT NULL, first TEXT, last TEXT, example TEXT);
CREATE INDEX flows_source ON flows (source);
CREATE INDEX flows_target ON flows (target);
CREATE TABLE money_graph (graph TEXT PRIMARY KEY);
CREATE TABLE build (key TEXT PRIMARY KEY, value TEXT);
"""


def _decimal(text) -> Decimal | None:
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        return None


def _period(row) -> tuple[str | None, int | None]:
    """A figure's period as text (a date or a year) and its year."""
    for name in ("date", "year", "start"):
        term = row[name]
        if term is not None:
            text = term.value
            return text, int(text[:4]) if text[:4].isdigit() else None
    return None, None


def _has_money(tx, graph: str) -> bool:
    query = _HAS_MONEY.format(graph=graph, reads=" ".join(f"fis:{p}" for p in _READS),
                              classes=" ".join(f"fis:{c}" for c in _CLASSES))
    return bool(tx.query(sparql_prologue() + query))


def _reusable(tx) -> Path | None:
    """The previous generation's file when no touched graph holds (or held) a fact the tables read, else None."""
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
    if version is None or version[0] != str(FORMAT) or touched & held:
        return None
    live = {row["g"].value for row in tx.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")}
    if any(_has_money(tx, g) for g in touched & live):
        return None
    return path


def build_summaries(tx, base: str) -> None:
    """Write ``summaries.sqlite`` for the generation being written (a ``sources.DERIVED`` builder)."""
    path = Path(tx.dir) / FILE
    path.unlink(missing_ok=True)
    previous = _reusable(tx)
    if previous is not None and publish.link_previous(previous, path):
        return
    prologue = sparql_prologue()
    own: dict[tuple, list] = defaultdict(lambda: [Decimal(0), 0])
    figures: dict[str, list[tuple]] = defaultdict(list)  # entity → (measure, period, year, value)
    for row in tx.query(prologue + _AMOUNTS):
        value = _decimal(row["v"].value)
        if value is None:
            continue
        period, year = _period(row)
        entity, measure = row["e"].value, row["m"].value
        figures[entity].append((measure, period, year, value))
        total = own[(entity, "", measure, period, year)]
        total[0] += value
        total[1] += 1
    for row in tx.query(prologue + _ROLLUPS):
        for measure, _, year, value in figures.get(row["line"].value, ()):
            total = own[(row["target"].value, row["via"].value, measure, str(year) if year else None, year)]
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

    for row in tx.query(prologue + _PAYMENTS):
        p = row["p"].value
        values = [v for _m, _p, _y, v in figures.get(p, ())]
        value = values[0] if values else None
        date = row["date"].value if row["date"] else None
        flow(row["payer"].value, row["payee"].value, "payment", value, date, p)
        if row["loan"] is not None:
            flow(row["loan"].value, row["payee"].value, "funded", value, date, p)
    loans: dict[str, dict] = {}  # one flow per loan and party, even when sources give several dates
    for row in tx.query(prologue + _LOANS):
        entry = loans.setdefault(row["loan"].value, {"lender": set(), "debtor": set(), "date": None})
        for role in ("lender", "debtor"):
            if row[role] is not None:
                entry[role].add(row[role].value)
        if row["date"] is not None:
            entry["date"] = min(entry["date"] or row["date"].value, row["date"].value)
    for loan, entry in loans.items():
        value, period = pick(loan, PRINCIPAL)
        date = entry["date"] or period
        for lender in sorted(entry["lender"]):
            flow(lender, loan, "loan", value, date, loan)
        for debtor in sorted(entry["debtor"]):
            flow(loan, debtor, "loan", value, date, loan)
    for row in tx.query(prologue + _REFINANCING):
        _value, period = pick(row["new"].value, PRINCIPAL)
        flow(row["new"].value, row["old"].value, "refinancing", None, period, row["new"].value)
    for row in tx.query(prologue + _CONTRACTS):
        value, period = pick(row["c"].value, CONTRACT_VALUE)
        date = row["date"].value if row["date"] else period
        flow(row["buyer"].value, row["supplier"].value, "contract", value, date, row["c"].value)

    graphs = [row["g"].value for row in tx.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")]
    db = sqlite3.connect(path)
    try:
        db.executescript(_SCHEMA)
        db.execute("INSERT INTO build VALUES ('format', ?)", (str(FORMAT),))
        db.executemany("INSERT INTO money_graph VALUES (?)", ((g,) for g in graphs if _has_money(tx, g)))
        db.executemany("INSERT INTO totals VALUES (?,?,?,?,?,?,?)",
                       ((e, via, m, p, y, str(v), n) for (e, via, m, p, y), (v, n) in own.items()))
        db.executemany("INSERT INTO flows VALUES (?,?,?,?,?,?,?,?,?)",
                       ((s, t, r, y, None if f["value"] is None else str(f["value"]), f["n"], f["first"], f["last"],
                         f["example"]) for (s, t, r, y), f in flows.items()))
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


def flows_of(db, entity: str, limit: int = 12) -> dict[str, list[dict]]:
    """The money coming into and going out of an entity, summed over years, largest first.

    Returns {"in": [...], "out": [...], "more_in": n, "more_out": n}; each flow a dict with
    the other end, relation, value (None when not reported), count, first and last date, and example.
    """
    out = {}
    for side, me, other in (("in", "target", "source"), ("out", "source", "target")):
        rows = db.execute(
            f"SELECT {other}, relation, SUM(CAST(value AS REAL)), COUNT(value), SUM(n), MIN(first), MAX(last), "
            f"MIN(example), COUNT(DISTINCT COALESCE(example, '')) FROM flows WHERE {me} = ? "
            f"GROUP BY {other}, relation ORDER BY 3 DESC NULLS LAST, 1", (entity,)).fetchall()
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
