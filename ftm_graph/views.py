"""What each kind of entity page shows first: kinds from ``web/kinds.yaml``, totals, charts and flows.

An entity's kind is the first kind of ``web/kinds.yaml`` listing one of its
classes; the kind names its template, the facts shown first and the incoming
relations featured as lists of their own. Totals and flows come from the
generation's ``summaries.sqlite`` by an indexed key, never from a
whole-graph query. A kind's series (a loan's balances, a trust's income,
expenses and contributions by period) come from the entity's own figures,
which the page has read already, each with its source.
"""

from decimal import Decimal

from . import flows, summaries
from .namespaces import CODE, PREFIXES
from .resources import data_dir

#: Budget stages in the order money moves through them (code:stage).
STAGES = tuple(CODE + "stage/" + s for s in ("aprobado", "modificado", "comprometido", "devengado", "ejercido",
                                              "pagado"))
#: A series is charted from this many figures on; fewer are shown as a table only.
CHART_FROM = 2
#: The loan figures compared for the authorised-vs-contracted gap, in order.
GAP = tuple(CODE + "measure/" + m for m in ("authorised-amount", "awarded-amount", "contracted-amount"))


def _iri(name: str) -> str:
    prefix, _, local = name.partition(":")
    return PREFIXES[prefix] + local


def load_kinds(path=None) -> dict[str, dict]:
    """The kinds of ``web/kinds.yaml``, with prefixed names expanded to IRIs, in file order."""
    import yaml

    path = path or data_dir("web") / "kinds.yaml"
    kinds = {}
    for name, spec in yaml.safe_load(path.read_text(encoding="utf-8")).items():
        kinds[name] = {
            "classes": [_iri(c) for c in spec["classes"]],
            "template": spec.get("template", "entity.html"),
            "name": spec["name"],
            "facts": [_iri(p) for p in spec.get("facts", [])],
            "featured": {_iri(p): key for p, key in (spec.get("featured") or {}).items()},
            "series": {name: [_iri(m) for m in measures] for name, measures in (spec.get("series") or {}).items()},
        }
    return kinds


def kind_of(types: list[str], kinds: dict) -> str | None:
    """The kind of an entity with these classes, or None."""
    for name, spec in kinds.items():
        if any(c in types for c in spec["classes"]):
            return name
    return None


def in_language(values: list, lang: str) -> list:
    """Values of one property for a page: of tagged literals, those in `lang`, else Spanish, else English, else all."""
    tagged = [v for v in values if getattr(v, "language", "")]
    if not tagged:
        return values
    for wanted in (lang, "es", "en"):
        chosen = [v for v in tagged if v.language.split("-")[0] == wanted]
        if chosen:
            return [v for v in values if not getattr(v, "language", "")] + chosen
    return values


def build(d, kind: str | None, kinds: dict, db, lang: str) -> dict:
    """The parts of a kind's page beyond the generic description: facts first, totals, charts' data and flows."""
    spec = kinds.get(kind) or {"facts": [], "featured": {}, "series": {}}
    facts = [(p, in_language(d.properties[p], lang)) for p in spec["facts"] if d.properties.get(p)]
    shown = {p for p, _ in facts}
    rest = {p: in_language(v, lang) for p, v in d.properties.items() if p not in shown}
    featured = [(p, key, d.incoming[p]) for p, key in spec["featured"].items() if p in d.incoming]
    view = {"kind": kind, "facts": facts, "rest": rest, "featured": featured,
            "featured_relations": {p for p, _k, _g in featured}, "flows": None, "budget": None,
            "series": series_tables(d.amounts, spec.get("series") or {}), "gap": [], "rollup": None}
    if db is None:
        return view
    view["flows"] = summaries.flows_of(db, d.iri)
    own = summaries.totals(db, d.iri)
    by_measure = {}
    for t in own:
        if t["measure"] in GAP:
            by_measure.setdefault(t["measure"], t)
    view["gap"] = [by_measure[m] for m in GAP if m in by_measure]
    for via in ("budget", "code"):
        rolled = summaries.totals(db, d.iri, via)
        if rolled:
            view["budget"] = budget_table(rolled)
            view["rollup"] = via
            break
    if view["budget"] is None and any(t["measure"] in STAGES for t in own):
        view["budget"] = budget_table(own, only_stages=True)
    return view


def budget_table(rows: list[dict], only_stages: bool = False) -> dict | None:
    """Totals by year (rows) and measure (columns): stages in STAGES order, then other measures (e.g. requested)."""
    years: dict[int, dict[str, Decimal]] = {}
    for t in rows:
        if t["year"] is not None and (t["measure"] in STAGES or not only_stages):
            cell = years.setdefault(t["year"], {})
            cell[t["measure"]] = cell.get(t["measure"], Decimal(0)) + t["value"]
    present = {m for v in years.values() for m in v}
    stages = [s for s in STAGES if s in present] + sorted(present - set(STAGES))
    return {"stages": stages, "years": sorted(years.items())} if years else None


def budget_chart(table: dict, *, label, money, t) -> str:
    """The budget table as grouped bars (aprobado → … → pagado per year)."""
    series = [label(s) for s in table["stages"]]
    groups = [(str(year), [(label(s), cells.get(s)) for s in table["stages"]]) for year, cells in table["years"]]
    desc = "; ".join(f"{year}: " + ", ".join(f"{name} {money(v)}" for name, v in items if v is not None)
                     for year, items in groups)
    return flows.bars(groups, series=series, title=t["budget_chart_title"], desc=desc, money=money, ident="budget")


def _period(f: dict) -> tuple:
    """The time of a figure (an Amount row of ``pages.describe``) as a sortable key: date, year or start–end."""
    value = lambda name: f[name].value if f.get(name) else ""  # noqa: E731
    return (value("date") or value("start") or value("year"), value("end"), value("date"), value("year"))


def series_tables(amounts: list[dict], series: dict[str, list[str]]) -> list[dict]:
    """An entity's own figures of each series of its kind (web/kinds.yaml), by period (rows) and measure (columns).

    Each cell holds every figure reported for that period and measure, with its source (two sources that
    disagree give two figures); the chart draws the first. Series without figures are left out.
    """
    tables = []
    for name, measures in series.items():
        periods: dict[tuple, dict] = {}
        for f in amounts:
            measure = f["measure"].value
            if measure in measures:
                period = periods.setdefault(_period(f), {"when": f, "cells": {}})
                period["cells"].setdefault(measure, []).append(f)
        if not periods:
            continue
        present = {m for p in periods.values() for m in p["cells"]}
        rows = [periods[k] for k in sorted(periods)]
        points = sum(len(p["cells"]) for p in rows)
        tables.append({"name": name, "measures": [m for m in measures if m in present], "periods": rows,
                       "points": points, "chart": points >= CHART_FROM})
    return tables


def period_text(f: dict, date) -> str:
    """A period for a chart's axis: a date, a year, or the years from start to end."""
    if f.get("date"):
        return date(f["date"].value)
    if f.get("year"):
        return f["year"].value[:4]
    start, end = (f[k].value[:4] if f.get(k) else "…" for k in ("start", "end"))
    return start if start == end else f"{start}–{end}"


def series_chart(table: dict, *, title: str, label, money, date) -> str:
    """A series as grouped bars: one group per period, one bar per measure (the first figure of each cell)."""
    series = [label(m) for m in table["measures"]]
    groups = []
    for p in table["periods"]:
        items = [(label(m), _figure_value(p["cells"][m][0]) if m in p["cells"] else None) for m in table["measures"]]
        groups.append((period_text(p["when"], date), items))
    desc = "; ".join(f"{g}: " + ", ".join(f"{name} {money(v)}" for name, v in items if v is not None)
                     for g, items in groups)
    return flows.bars(groups, series=series, title=title, desc=desc, money=money, ident="series-" + table["name"])


def _figure_value(f: dict) -> Decimal | None:
    """The value of a figure as a Decimal (None when it is not a number)."""
    try:
        return Decimal(f["value"].value)
    except (ArithmeticError, ValueError):
        return None
