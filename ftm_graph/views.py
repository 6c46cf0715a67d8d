"""What each kind of entity page shows first: kinds from ``web/kinds.yaml``, totals, charts and flows.

An entity's kind is the first kind of ``web/kinds.yaml`` listing one of its
classes; the kind names its template, the facts shown first and the incoming
relations featured as lists of their own. Totals and flows come from the
generation's ``summaries.sqlite`` by an indexed key, never from a
whole-graph query.
"""

from decimal import Decimal

from . import flows, summaries
from .namespaces import CODE, PREFIXES
from .resources import data_dir

#: Budget stages in the order money moves through them (code:stage).
STAGES = tuple(CODE + "stage/" + s for s in ("aprobado", "modificado", "comprometido", "devengado", "ejercido",
                                              "pagado"))
#: Measures that are a loan's balance at a date.
BALANCES = tuple(CODE + "measure/" + m for m in ("balance", "closing-balance", "opening-balance"))
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
    spec = kinds.get(kind) or {"facts": [], "featured": {}}
    facts = [(p, in_language(d.properties[p], lang)) for p in spec["facts"] if d.properties.get(p)]
    shown = {p for p, _ in facts}
    rest = {p: in_language(v, lang) for p, v in d.properties.items() if p not in shown}
    featured = [(p, key, d.incoming[p]) for p, key in spec["featured"].items() if p in d.incoming]
    view = {"kind": kind, "facts": facts, "rest": rest, "featured": featured,
            "featured_relations": {p for p, _k, _g in featured}, "flows": None, "budget": None, "balances": [],
            "gap": [], "rollup": None}
    if db is None:
        return view
    view["flows"] = summaries.flows_of(db, d.iri)
    own = summaries.totals(db, d.iri)
    view["balances"] = [t for t in own if t["measure"] in BALANCES]
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


def balance_chart(balances: list[dict], *, label, money, date, t) -> str:
    """A loan's balances over time as bars, one per date."""
    groups = [(date(b["period"]) if b["period"] else "?", [(label(b["measure"]), b["value"])]) for b in balances]
    series = list(dict.fromkeys(label(b["measure"]) for b in balances))
    desc = "; ".join(f"{g}: {money(items[0][1])}" for g, items in groups)
    return flows.bars(groups, series=series, title=t["balance_chart_title"], desc=desc, money=money, ident="balance")
