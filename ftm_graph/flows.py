"""SVG drawn on the server: a money-flow diagram (a one-level Sankey) and bar charts.

Readable without JavaScript, each node a link, each drawing with a title and
a description for screen readers (``role="img"``, ``aria-labelledby``); the
page always shows the same figures as a table beside it. Every text from the
data is escaped here (``html.escape``), since this markup is inserted as is.
"""

from decimal import Decimal
from html import escape

WIDTH = 640
NODE_W = 12
GAP = 10
#: Height of the tallest column of nodes; bands are scaled to it.
PLOT_H = 300
#: Room kept for a node's two lines of text (name, amount).
LABEL_H = 30
#: Thickness of a band whose amount is not reported.
UNKNOWN_H = 3
COLOURS = ("#0b5394", "#38761d", "#b45f06", "#741b47", "#134f5c", "#7f6000", "#990000", "#3d85c6")


def _short(text: str, size: int = 34) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _layout(flows: list[dict], total: float, height: float) -> list[tuple[dict, float, float]]:
    """Stack flows in a column: (flow, top, thickness), thickness proportional to value."""
    placed, y = [], 0.0
    usable = height - GAP * max(len(flows) - 1, 0)
    for f in flows:
        h = UNKNOWN_H if f["value"] is None or total <= 0 else max(UNKNOWN_H, usable * float(f["value"]) / total)
        placed.append((f, y, h))
        y += max(h, LABEL_H) + GAP
    return placed


def sankey(center: str, incoming: list[dict], outgoing: list[dict], *, label, href, money, relation, t,
           ident: str = "flow") -> str:
    """Money into `center` on the left, out of it on the right; every node and band links to its page.

    Args:
        incoming, outgoing: flows from ``summaries.flows_of`` (``other``, ``value``, ``relation``, ``example``).
        label, href, money, relation: the page's helpers (IRI → text, IRI → link, value → text,
            relation name → text); t: the page's messages.
    """
    if not incoming and not outgoing:
        return ""
    known = [float(f["value"]) for f in incoming + outgoing if f["value"] is not None]
    total_in = sum(float(f["value"]) for f in incoming if f["value"] is not None)
    total_out = sum(float(f["value"]) for f in outgoing if f["value"] is not None)
    scale_total = max(total_in, total_out, max(known, default=0.0))
    rows = max(len(incoming), len(outgoing), 1)
    height = max(PLOT_H * min(1.0, 0.25 + rows / 8), 120)
    left = _layout(incoming, scale_total, height)
    right = _layout(outgoing, scale_total, height)
    col_h = max([y + h for _f, y, h in left + right] + [60])
    svg_h = col_h + 40
    cx = WIDTH / 2 - NODE_W / 2
    lx, rx = 210, WIDTH - 210 - NODE_W
    title = f"{t['flow_title']}: {label(center)}"
    parts_in = [f"{label(f['other'])} ({money(f['value']) if f['value'] is not None else t['not_reported']})"
                for f in incoming]
    parts_out = [f"{label(f['other'])} ({money(f['value']) if f['value'] is not None else t['not_reported']})"
                 for f in outgoing]
    desc = ". ".join(filter(None, [
        f"{t['flow_in']}: " + "; ".join(parts_in) if parts_in else "",
        f"{t['flow_out']}: " + "; ".join(parts_out) if parts_out else "",
    ]))
    out = [f'<svg class="sankey" viewBox="0 0 {WIDTH} {svg_h:.0f}" role="img" aria-labelledby="{ident}-t {ident}-d" '
           f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMin meet">',
           f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>']
    center_top = 20
    out.append(f'<a href="{escape(href(center))}"><rect class="node center" x="{cx:.1f}" y="{center_top}" '
               f'width="{NODE_W}" height="{col_h:.1f}" fill="#1b1b1b"><title>{escape(label(center))}</title></rect></a>')
    for side, placed in (("in", left), ("out", right)):
        cy = center_top
        for n, (f, y, h) in enumerate(placed):
            colour = COLOURS[n % len(COLOURS)]
            top = center_top + y
            x_node = lx if side == "in" else rx
            amount = money(f["value"]) if f["value"] is not None else t["not_reported"]
            what = relation(f["relation"])
            # the band: from the node to the centre column (in) or from the centre to the node (out)
            x0, x1 = (x_node + NODE_W, cx) if side == "in" else (cx + NODE_W, x_node)
            y0, y1 = (top, cy) if side == "in" else (cy, top)
            mid = (x0 + x1) / 2
            d = (f"M{x0:.1f},{y0:.1f} C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f} "
                 f"L{x1:.1f},{y1 + h:.1f} C{mid:.1f},{y1 + h:.1f} {mid:.1f},{y0 + h:.1f} {x0:.1f},{y0 + h:.1f} Z")
            dash = ' stroke-dasharray="4 3" stroke="#555"' if f["value"] is None else ""
            band_link = href(f["example"]) if f.get("example") else href(f["other"])
            out.append(f'<a href="{escape(band_link)}" class="band"><path d="{d}" fill="{colour}" fill-opacity=".35"{dash}>'
                       f'<title>{escape(label(f["other"]))}: {escape(amount)} ({escape(what)})</title></path></a>')
            cy += h + (GAP if f["value"] is not None else 2)
            anchor, tx = ("end", x_node - 6) if side == "in" else ("start", x_node + NODE_W + 6)
            out.append(
                f'<a href="{escape(href(f["other"]))}" class="node-link"><rect class="node" x="{x_node:.1f}" y="{top:.1f}" '
                f'width="{NODE_W}" height="{h:.1f}" fill="{colour}"/>'
                f'<text x="{tx:.1f}" y="{top + max(h / 2, 6) + 4:.1f}" text-anchor="{anchor}" font-size="12">'
                f'{escape(_short(label(f["other"])))}</text>'
                f'<text x="{tx:.1f}" y="{top + max(h / 2, 6) + 18:.1f}" text-anchor="{anchor}" font-size="11" '
                f'fill="#444">{escape(amount)}</text></a>')
    out.append(f'<text x="{cx + NODE_W / 2:.1f}" y="{svg_h - 6:.1f}" text-anchor="middle" font-size="12" '
               f'font-weight="700">{escape(_short(label(center), 50))}</text>')
    out.append("</svg>")
    return "".join(out)


def bars(groups: list[tuple[str, list[tuple[str, Decimal | None]]]], *, series: list[str], title: str, desc: str,
         money, ident: str = "bars") -> str:
    """Grouped bars: one group per period (e.g. a year), one bar per series (e.g. a budget stage)."""
    values = [float(v) for _g, bars_ in groups for _s, v in bars_ if v is not None]
    if not values:
        return ""
    top = max(max(values), 1.0)
    group_w = max(60, min(160, (WIDTH - 40) / max(len(groups), 1)))
    width = max(WIDTH, 40 + group_w * len(groups))
    bar_w = (group_w - 16) / max(len(series), 1)
    plot_h, base_y = 200, 230
    out = [f'<svg class="bars" viewBox="0 0 {width:.0f} 300" role="img" aria-labelledby="{ident}-t {ident}-d" '
           f'xmlns="http://www.w3.org/2000/svg">',
           f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(desc)}</desc>',
           f'<line x1="30" y1="{base_y}" x2="{width - 4:.0f}" y2="{base_y}" stroke="#555"/>']
    for g, (group, items) in enumerate(groups):
        gx = 36 + g * group_w
        for s, (name, value) in enumerate(items):
            if value is None:
                continue
            h = plot_h * float(value) / top
            x = gx + s * bar_w
            colour = COLOURS[series.index(name) % len(COLOURS)] if name in series else COLOURS[0]
            out.append(f'<rect x="{x:.1f}" y="{base_y - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                       f'fill="{colour}"><title>{escape(group)} · {escape(name)}: {escape(money(value))}</title></rect>')
        out.append(f'<text x="{gx + (group_w - 16) / 2:.1f}" y="{base_y + 16}" text-anchor="middle" '
                   f'font-size="12">{escape(group)}</text>')
    for s, name in enumerate(series):
        lx = 36 + (s % 3) * 200
        ly = base_y + 36 + (s // 3) * 16
        out.append(f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{COLOURS[s % len(COLOURS)]}"/>'
                   f'<text x="{lx + 14}" y="{ly}" font-size="12">{escape(_short(name, 28))}</text>')
    out.append("</svg>")
    return "".join(out)
