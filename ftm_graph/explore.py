"""Finding things: search by name, browse by type, the money trail between two entities, table downloads.

Search and browse read the generation's text index (``search.sqlite``),
totals and flows its ``summaries.sqlite``; both were built at write time,
so no handler here runs a whole-graph query.
"""

import csv
import io
import json
from contextlib import closing
from decimal import Decimal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from . import csvsafe, page_cache, search, summaries, views
from .pages import Description, describe, language, page_work, render

router = APIRouter()

#: Results in the type-ahead list under the search box.
SUGGESTIONS = 8
BROWSE_PAGE = 50


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _run_search(store, q: str, limit: int, kind: str | None = None):
    db = search.open_index(store)
    if db is None:
        return None
    with closing(db):
        return search.search(db, q, limit=limit, kind=kind)


@router.get("/search", response_class=HTMLResponse)
async def search_page(request: Request) -> HTMLResponse:
    """Search by name, acronym, RFC or OCID; results grouped by kind of entity."""
    state = request.app.state
    state.store.refresh()
    q = request.query_params.get("q", "").strip()[:200]

    async def produce() -> Response:
        hits = await page_work(_run_search, state.store, q, search.LIMIT) if q else []
        groups = search.grouped(hits, state.kinds) if hits else []
        return render(request, "search.html", {"q": q, "groups": groups, "unavailable": hits is None})

    return await page_cache.cached(request, "html " + language(request), produce)


@router.get("/search.json")
async def search_json(request: Request) -> JSONResponse:
    """Type-ahead: the first matches for what has been typed so far, as JSON ``[{label, kind, url}]``."""
    state = request.app.state
    state.store.refresh()
    q = request.query_params.get("q", "").strip()[:200]
    lang = language(request)
    base = state.store.base_uri
    suffix = "?lang=en" if lang == "en" else ""

    async def produce() -> Response:
        hits = await page_work(_run_search, state.store, q, SUGGESTIONS) if len(q) >= 2 else []
        return JSONResponse([
            {"label": h.label(lang), "kind": state.kinds.get(h.kind, {}).get("name", {}).get(lang, h.kind),
             "url": ("/" + h.iri[len(base):] if h.iri.startswith(base) else h.iri) + suffix, "iri": h.iri}
            for h in hits or []
        ])

    return await page_cache.cached(request, "json " + lang, produce)


@router.get("/browse", response_class=HTMLResponse)
async def browse_page(request: Request) -> HTMLResponse:
    """Entities of one kind, by name, filtered by year and agency, a page at a time."""
    state = request.app.state
    state.store.refresh()
    params = request.query_params
    kind = params.get("type") if params.get("type") in state.kinds else None
    year, page = _int(params.get("year")), _int(params.get("page")) or 1
    agency = params.get("agency") or None

    def work():
        db = search.open_index(state.store)
        if db is None:
            return None
        with closing(db):
            counts = search.facets(db, kind or "")["counts"]
            if kind is None:
                return {"counts": counts}
            total, hits = search.browse(db, kind, year=year, agency=agency, page=page, size=BROWSE_PAGE)
            return {"counts": counts, "facets": search.facets(db, kind), "total": total, "hits": hits}

    async def produce() -> Response:
        found = await page_work(work)
        return render(request, "browse.html", {"kind": kind, "year": year, "agency": agency, "page": page,
                                               "size": BROWSE_PAGE, "found": found})

    return await page_cache.cached(request, "html " + language(request), produce)


def _resolve(store, text: str | None) -> str | None:
    """An IRI from what a person typed: a full IRI, a path on this site (/id/…), or a name to search."""
    if not text:
        return None
    text = text.strip()
    base = store.base_uri
    if text.startswith(("http://", "https://")):
        return text
    if text.startswith("/id/"):
        return base + text[1:].split("?")[0]
    hits = _run_search(store, text, 1)
    return hits[0].iri if hits else None


@router.get("/follow", response_class=HTMLResponse)
async def follow_page(request: Request) -> HTMLResponse:
    """How two entities are connected by money: each hop with amount and dates."""
    state = request.app.state
    state.store.refresh()
    params = request.query_params

    def work():
        start, end = _resolve(state.store, params.get("from")), _resolve(state.store, params.get("to"))
        hops = None
        if start and end:
            db = summaries.open_summaries(state.store)
            if db is not None:
                with closing(db):
                    hops = summaries.money_path(db, start, end)
        labels = {}
        index = search.open_index(state.store)
        if index is not None:
            with closing(index):
                iris = [i for i in (start, end) if i] + [h[k] for h in hops or [] for k in ("target", "example") if h[k]]
                labels = search.labels_of(index, iris)
        return start, end, hops, labels

    async def produce() -> Response:
        start, end, hops, labels = await page_work(work)
        d = Description(start or "", labels=labels)
        return render(request, "follow.html", {"start": start, "end": end, "hops": hops, "d": d,
                                               "asked": bool(params.get("from") and params.get("to")),
                                               "from_text": params.get("from", ""), "to_text": params.get("to", "")})

    return await page_cache.cached(request, "html " + language(request), produce)


# Tables as CSV and JSON --------------------------------------------------------------

_FIGURE_COLUMNS = ["amount", "measure", "value", "currency", "date", "fiscal_year", "period_start", "period_end",
                   "source_document", "source_row", "illustrative"]
_FIGURE_KEYS = ["amount", "measure", "value", "currency", "date", "year", "start", "end", "docUrl", "row",
                "illustrative"]


def _series_names(kinds: dict) -> set[str]:
    return {name for spec in kinds.values() for name in spec.get("series", {})}


def _table(store, name: str, iri: str, lang: str, kinds: dict) -> tuple[list[str], list[list]] | None:
    if name == "figures" or name in _series_names(kinds):
        d = describe(store, iri, incoming=False)
        amounts = d.amounts
        if name != "figures":
            spec = kinds.get(views.kind_of(d.types, kinds)) or {}
            table = next((t for t in views.series_tables(d.amounts, spec.get("series", {})) if t["name"] == name),
                         None)
            if table is None:
                return None
            amounts = [f for p in table["periods"] for m in table["measures"] for f in p["cells"].get(m, [])]
        return _FIGURE_COLUMNS, [[(f[k].value if f.get(k) else "") for k in _FIGURE_KEYS] for f in amounts]
    db = summaries.open_summaries(store)
    if db is None:
        return None
    with closing(db):
        if name == "flows":
            columns = ["direction", "other", "relation", "year", "value", "count", "first_date", "last_date", "via"]
            rows = summaries.flows_by_year(db, iri)
            return columns, [[r["direction"], r["other"], r["relation"], r["year"], r["value"], r["n"], r["first"],
                              r["last"], r["example"]] for r in rows]
        if name == "budget":
            rolled = summaries.totals(db, iri, "budget") or summaries.totals(db, iri, "code") or summaries.totals(db, iri)
            table = views.budget_table(rolled) or {"stages": [], "years": []}
            columns = ["year"] + [s.rsplit("/", 1)[-1] for s in table["stages"]]
            return columns, [[year] + [cells.get(s, "") for s in table["stages"]] for year, cells in table["years"]]
    return None


@router.get("/table/{name}.{ext}")
async def table_download(request: Request, name: str, ext: str) -> Response:
    """One of an entity page's tables (figures, flows, budget, a series) as CSV or JSON: ``/table/flows.csv?iri=…``."""
    state = request.app.state
    state.store.refresh()
    iri = request.query_params.get("iri", "")
    names = ["figures", "flows", "budget", *sorted(_series_names(state.kinds))]
    if name not in names or ext not in ("csv", "json") or not iri:
        return Response(f"Unknown table: use /table/{{{'|'.join(names)}}}.{{csv|json}}?iri=IRI\n", status_code=404,
                        media_type="text/plain")
    return await page_cache.cached(request, ext, lambda: _table_response(request, name, ext, iri))


async def _table_response(request: Request, name: str, ext: str, iri: str) -> Response:
    state = request.app.state
    result = await page_work(_table, state.store, name, iri, language(request), state.kinds)
    if result is None:
        return Response("This table is not available for this data.\n", status_code=404, media_type="text/plain")
    columns, rows = result
    plain = [[("" if v is None else str(v) if isinstance(v, Decimal) else v) for v in row] for row in rows]
    if ext == "json":
        return Response(json.dumps([dict(zip(columns, row)) for row in plain], ensure_ascii=False, indent=1),
                        media_type="application/json")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(csvsafe.safe_rows(plain))  # cells that a spreadsheet would run as formulas made inert
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})
