"""Map one row (CSV dict) or record (JSON tuple) to N-Quads lines: entities, links, amounts, checks, provenance.

The graph model these lines follow is in docs/DESIGN.md; ``ingest.map_file``
drives a Runner over the rows of a file.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

from . import clean
from .compiler import Compiler, RowProblem
from .errors import Problem
from .intmap import IntMap
from .namespaces import CODE, DCT, FIS, SKOS, XSD
from .spec import AmountSpec, EntitySpec, Mapping, PropertySpec
from .terms import DERIVED, LABEL, TRUE, TYPE, iri_segment, literal

#: amount time keys -> (fis: property, XSD datatype)
_TIMES = {"fiscal_year": ("fiscalYear", "gYear"), "date": ("date", "date"),
          "period_start": ("periodStart", "date"), "period_end": ("periodEnd", "date")}


class Runner:
    """Maps the rows of one file: holds the compiled closures and the file's state."""

    def __init__(self, mapping: Mapping, base_uri: str, graph_iri: str, file: str):
        c = self.c = Compiler(mapping, base_uri, graph_iri, file)
        self.mapping, self.file, self.tail = mapping, file, c.tail
        self.illustrative = mapping.illustrative
        self.seen: set = set()  # hashes of descriptions (and source IRIs) already written in this file
        self.unique = IntMap()  # hash of the IRI of a unique entity -> row that made it (16 B a slot, not ~100)
        self.entities = [self.compile_entity(e) for e in mapping.entities]
        self.amounts = [self.compile_amount(a) for a in mapping.amounts]
        self.checks = [(k, c.cleaned(k.total, k.cleaner), [(sign, c.cleaned(col, k.cleaner)) for sign, col in k.terms],
                        c.condition(k.when), Decimal(k.tolerance), c.getter(k.total)) for k in mapping.checks]
        self.csv_fields = [(f, c.getter(f.column)) for f in mapping.fields] if not c.json else []
        wd = f"<{SKOS}exactMatch> <http://www.wikidata.org/entity/"
        self.wikidata = {c.data + path: f" {wd}{qid}>{c.tail}" for path, qid in mapping.wikidata.items()}
        rs = mapping.row_source
        self.row_source = {k: ([(col, c.getter(col)) for col in v] if k == "date" else c.getter(v))
                           for k, v in rs.items()}

    # ---- compile --------------------------------------------------------
    def compile_entity(self, e: EntitySpec) -> dict:
        c = self.c
        alts = [(c.condition(conds), c.template(t, "iri")) for conds, t in e.iri]
        classes = []
        for conds, t in e.classes:
            term = f" {TYPE} <{c.curie(t.text)}>{self.tail}" if t.constant else c.template(t, "text")
            classes.append((c.condition(conds), term))
        labels = []
        for lang, t in e.labels.items():
            render = c.template(t, "text")
            render.tail = f'"@{lang}{self.tail}'
            labels.append((f' {LABEL} "', render))
        return dict(spec=e, alts=alts, classes=classes, labels=labels,
                    props=[self.compile_property(p) for p in e.properties],
                    when=c.condition(e.when), keys=[c.template(k, "text") for k in e.keys])

    def compile_property(self, p: PropertySpec) -> tuple:
        """(' <predicate> ', ctx -> object term or None, spec, condition)."""
        c = self.c
        pred = f" <{p.property}> "
        if p.kind == "column":
            value = c.cleaned(p.column, p.cleaner)
            dt, lang = p.datatype or p.cleaner.datatype, p.lang

            def obj(ctx, inst):
                v = value(ctx)
                return literal(v, dt, lang) if v is not None else None
        elif p.kind == "template":
            render = c.template(p.template, "text")
            dt, lang = p.datatype, p.lang
            cleaner = p.cleaner

            def obj(ctx, inst):
                v = render(ctx)
                if v is not None and cleaner is not None:
                    try:
                        v = cleaner(v)
                    except clean.BadValue as exc:
                        raise RowProblem(p.template.text, v, str(exc)) from None
                return literal(v, dt or (cleaner.datatype if cleaner else None), lang) if v else None
        elif p.kind == "value":
            term = literal(p.value, p.datatype, p.lang)
            obj = lambda ctx, inst: term  # noqa: E731
        elif p.kind == "link":
            obj = self.compile_link(p)
        elif p.kind == "code":
            if p.value is not None:
                term = f"<{p.value}>"
                obj = lambda ctx, inst: term  # noqa: E731
            else:
                if p.template is not None:
                    value = c.template(p.template, "text")
                else:
                    value = c.cleaned(p.column, p.cleaner)
                prefix = f"<{CODE}{p.scheme}/"
                keeps = p.cleaner.keeps

                def obj(ctx, inst):
                    v = value(ctx)
                    if v is None:
                        return None
                    return f"{prefix}{iri_segment(v) if keeps else clean.slug(v)}>"
        else:  # iri
            if p.value is not None:
                term = f"<{p.value}>"
                obj = lambda ctx, inst: term  # noqa: E731
            else:
                render = c.template(p.template, "iri")
                data = c.data

                def obj(ctx, inst):
                    v = render(ctx)
                    return f"<{data}{v}>" if v else None
        return pred, obj, p, c.condition(p.when)

    def compile_link(self, p: PropertySpec) -> Callable:
        """ctx, instances -> the IRI of the first alternative that finds an entity."""
        alts = [(name, self.c.entities[name], self.c.template(key, "text") if key else None) for name, key in p.link]
        if p.link_all:
            def every(ctx, inst):
                for name, _target, _key in alts:
                    found = inst.get(name)
                    if found:
                        return [f"<{iri}>" for iri in dict.fromkeys(tiri for _, tiri, _ in found)]
                return None

            return every

        def obj(ctx, inst):
            for name, target, key in alts:
                found = inst.get(name) or ()
                if key is not None:
                    k = key(ctx)
                    for _tctx, tiri, tkeys in found:
                        if k in tkeys:
                            return f"<{tiri}>"
                elif not target.each:
                    if found:
                        return f"<{found[0][1]}>"
                else:
                    n = len(target.each) + 1
                    for tctx, tiri, _ in found:
                        if all(a is b for a, b in zip(tctx[:n], ctx[:n])):
                            return f"<{tiri}>"
            return None

        return obj

    def compile_amount(self, a: AmountSpec) -> dict:
        c = self.c
        times = [(k, c.cleaned(col, cl), f" <{FIS}{_TIMES[k][0]}> ", f'"^^<{XSD}{_TIMES[k][1]}>{self.tail}')
                 for k, (col, cl) in a.times.items()]
        measure = f" <{FIS}measure> <{a.measure}>{self.tail}" if a.measure else None
        notation = a.measure.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1] if a.measure else None
        return dict(spec=a, value=c.cleaned(a.value, a.cleaner), times=times, when=c.condition(a.when),
                    measure=measure, notation=notation,
                    notes=[(c.template(t, "text"), lang) for lang, t in a.note.items()],
                    measure_value=c.cleaned(a.measure_column, clean.make_cleaner("text", Path("."))) if a.measure_column else None,
                    currency=c.getter(a.currency_column) if a.currency_column else None)

    # ---- run ------------------------------------------------------------
    def contexts(self, root: Any, each: tuple[str, ...]) -> list:
        """The contexts an entity is made in: the row, or one per nested JSON item."""
        if not each:
            return [root]
        ctxs = [root]
        for path in each:
            keys = path.split(".")
            deeper = []
            for ctx in ctxs:
                v = ctx[-1]
                for k in keys:
                    v = v.get(k) if isinstance(v, dict) else None
                if isinstance(v, list):
                    deeper.extend(ctx + (item,) for item in v if isinstance(item, dict))
            ctxs = deeper
        return ctxs

    def row(self, root: Any, n: int, problems: list[Problem]) -> list[str]:
        """The N-Quads lines of one row (CSV dict) or record (JSON tuple)."""
        tail, file = self.tail, self.file
        found: dict[str, list] = {}
        bad: dict[tuple, Problem] = {}

        def problem(exc: RowProblem) -> None:
            k = (exc.column, exc.value)
            if k not in bad:
                bad[k] = Problem(file, n, exc.column, exc.value, exc.expected)

        for f, get in self.csv_fields:
            raw = get(root)
            try:
                v = f.cleaner.func(raw)
                if v is None and f.required:
                    raise clean.BadValue(f"a value (field '{f.name}' is required)")
            except clean.BadValue as exc:
                problem(RowProblem(f.column, raw, str(exc)))
                v = None
            root[f.name] = v or ""
        for check in self.checks:
            try:
                self.check(check, root)
            except RowProblem as exc:
                problem(exc)
        data = self.c.data
        for ent in self.entities:
            spec, when, alts, keys = ent["spec"], ent["when"], ent["alts"], ent["keys"]
            made = []
            for ctx in self.contexts(root, spec.each) if spec.each else (root,):
                try:
                    if when and not when(ctx):
                        continue
                    path = None
                    for cond, render in alts:
                        if cond is None or cond(ctx):
                            path = render(ctx)
                            break
                    if path:
                        made.append((ctx, data + path, {k for k in (key(ctx) for key in keys) if k} if keys else ()))
                    elif spec.unique and not spec.each:
                        template = spec.iri[0][1]
                        raise RowProblem(", ".join(template.names), "",
                                         f"a value in every column of the key {template.text} of {spec.name}")
                except RowProblem as exc:
                    problem(exc)
            found[spec.name] = made
        row_iri = f"<{self.c.graph}/row/{n}>"
        derived = f" {DERIVED} {row_iri}{tail}"
        illustrative = f" <{FIS}illustrative> {TRUE}{tail}" if self.illustrative else None
        lines: list[str] = []
        seen, unique = self.seen, self.unique
        added: list = []  # what this row adds to seen / unique: taken back if the row does not fit
        linked: set = set()  # IRIs given this row's prov:wasDerivedFrom already
        for ent in self.entities:
            spec, classes, labels, props = ent["spec"], ent["classes"], ent["labels"], ent["props"]
            for ctx, iri, _ in found[spec.name]:
                if spec.unique:
                    k = hash(iri)  # a hash, not the IRI: a big file keeps one int per row
                    if k in unique:
                        bad[("unique", iri)] = Problem(file, n, None, iri[len(data):],
                                                       f"a unique key for {spec.name} (row {unique[k]} has it too)")
                        continue
                    unique[k] = n
                    added.append((unique, k))
                s = f"<{iri}>"
                desc: list[str] = []
                try:
                    for cond, cls in classes:
                        if cond and not cond(ctx):
                            continue
                        if cls.__class__ is not str:
                            v = cls(ctx)
                            if not v:
                                continue
                            cls = f" {TYPE} <{self.c.curie(v)}>{tail}"
                        desc.append(s + cls)
                    for head, render in labels:
                        v = render(ctx)
                        if v:
                            if "\\" in v or '"' in v:
                                v = v.replace("\\", "\\\\").replace('"', '\\"')
                            desc.append(f"{s}{head}{v}{render.tail}")
                except RowProblem as exc:
                    problem(exc)
                for head, obj, p, cond in props:
                    try:
                        if cond and not cond(ctx):
                            continue
                        o = obj(ctx, found)
                        if o is None:
                            if p.required:
                                col = p.column or (p.link[0][0] if p.link else None) or (p.template.text if p.template else None)
                                raise RowProblem(col, "", "a value (required by the mapping)")
                            continue
                        if o.__class__ is list:
                            desc += [f"{s}{head}{one}{tail}" for one in o]
                        else:
                            desc.append(f"{s}{head}{o}{tail}")
                    except RowProblem as exc:
                        problem(exc)
                if self.wikidata and iri in self.wikidata:  # links out (lookups/wikidata.csv)
                    desc.append(s + self.wikidata[iri])
                if not spec.unique:  # a unique entity's description cannot repeat
                    h = hash((iri, *desc))
                    if h in seen:  # described so already in this file: only this row's provenance link
                        if iri not in linked:
                            linked.add(iri)
                            lines.append(s + derived)
                        continue
                    seen.add(h)
                    added.append((seen, h))
                lines += desc
                if iri not in linked:
                    linked.add(iri)
                    lines.append(s + derived)
                if illustrative:
                    lines.append(s + illustrative)
        url = doc = None
        if self.row_source:
            try:
                found_doc = self.source_document(root, lines, added)
                if found_doc:
                    url, doc = found_doc
            except RowProblem as exc:
                problem(exc)
        rowhash = None
        used: set[str] = set()
        for am in self.amounts:
            when, value_of = am["when"], am["value"]
            for ctx, iri, _ in found[am["spec"].of]:
                try:
                    if when and not when(ctx):
                        continue
                    value = value_of(ctx)
                    if value is None:
                        continue
                    if rowhash is None:
                        rowhash = hashlib.blake2s(f"{self.c.graph}\n{url or ''}\n{n}".encode(), digest_size=4).hexdigest()
                    lines += self.amount(am, ctx, iri, value, row_iri, rowhash, used)
                except RowProblem as exc:
                    problem(exc)
        if lines:
            lines.append(f"{row_iri} {TYPE} <{FIS}SourceRecord>{tail}")
            lines.append(f'{row_iri} <{FIS}rowNumber> "{n}"^^<{XSD}integer>{tail}')
            lines.append(f"{row_iri} <{DCT}isPartOf> <{self.c.graph}>{tail}")
            if doc:
                lines.append(f"{row_iri} <{DCT}source> <{doc}>{tail}")
        if bad:
            problems.extend(bad.values())
            for where, k in added:
                where.discard(k) if isinstance(where, set) else where.pop(k, None)
        return lines

    def amount(self, am: dict, ctx: Any, of: str, value: str, row_iri: str, rowhash: str, used: set) -> list[str]:
        """The lines of one fis:Amount of entity ``of`` (see docs/DESIGN.md, graph model)."""
        a: AmountSpec = am["spec"]
        tail = self.tail
        if am["measure"]:
            measure_line, notation = am["measure"], am["notation"]
        else:
            m = am["measure_value"](ctx)
            if m is None:
                raise RowProblem(a.measure_column, "", "a measure (the amount has a value but no measure)")
            notation = clean.slug(m)
            measure_line = f" <{FIS}measure> <{CODE}{a.measure_scheme}/{notation}>{tail}"
        times = [(k, v, pred, dt) for k, f, pred, dt in am["times"] if (v := f(ctx))]
        period = "na"
        if times:
            known = {k: v for k, v, _, _ in times}
            if known.get("fiscal_year"):
                period = known["fiscal_year"]
            elif known.get("date"):
                period = known["date"]
            elif known.get("period_start") and known.get("period_end"):
                period = f"{known['period_start']}_{known['period_end']}"
        iri = f"{of}/amount/{notation}/{period}-{rowhash}"
        if iri in used:  # the same entity, measure and period twice in one row
            k = 2
            while f"{iri}-{k}" in used:
                k += 1
            iri = f"{iri}-{k}"
        used.add(iri)
        currency = (am["currency"](ctx).strip().upper() if am["currency"] else "") or a.currency
        s = f"<{iri}>"
        out = [
            f"{s} {TYPE} <{FIS}Amount>{tail}",
            f"{s} <{FIS}amountOf> <{of}>{tail}",
            s + measure_line,
            f'{s} <{FIS}value> "{value}"^^<{XSD}decimal>{tail}',
            f'{s} <{FIS}currency> "{currency}"{tail}',
        ]
        out += [f'{s}{pred}"{v}{dt}' for _, v, pred, dt in times]
        for render, lang in am["notes"]:
            note = render(ctx)
            if note:
                out.append(f"{s} <{FIS}note> {literal(note, lang=lang)}{tail}")
        out.append(f"{s} {DERIVED} {row_iri}{tail}")
        if self.illustrative:
            out.append(f"{s} <{FIS}illustrative> {TRUE}{tail}")
        return out

    @staticmethod
    def check(check: tuple, root: Any) -> None:
        """Raise RowProblem when the row's total is not the signed sum of its terms (checks: in the mapping)."""
        spec, total_of, terms, when, tolerance, raw_total = check
        if when and not when(root):
            return
        total = total_of(root)
        if total is None:
            return
        got = sum((sign * Decimal(v or "0") for sign, v in ((sign, f(root)) for sign, f in terms)), Decimal(0))
        if abs(got - Decimal(total)) > tolerance:
            raise RowProblem(spec.total, raw_total(root), f"{spec.total} = {spec.text} = {clean.canonical_decimal(got)} "
                             f"(off by {clean.canonical_decimal(Decimal(total) - got)}; check {spec.where})")

    @staticmethod
    def url_key(url: str, title: str | None = None) -> str:
        """What a source document is keyed on: host + path, and the title when the URL is only a home page."""
        parts = urlsplit(url)
        key = parts.netloc + parts.path
        if title and parts.path.strip("/") == "" and not parts.query:
            key += "/" + title
        return key

    def source_document(self, root: Any, lines: list[str], added: list) -> tuple[str, str] | None:
        """Describe the row's cited document once per file; return its URL and IRI."""
        rs = self.row_source
        url = rs["url"](root).strip()
        if not url:
            return None
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RowProblem(self.mapping.row_source["url"], url, "a URL such as https://example.org/page")
        title = clean.text(rs["title"](root)) if "title" in rs else None
        iri = f"{self.c.data}source/{clean.slug(self.url_key(url, title))}"
        if iri in self.seen:
            return url, iri
        issued = None
        for column, get in rs.get("date", ()):
            raw = get(root)
            try:
                issued = clean.partial_date(raw)
            except clean.BadValue as exc:
                raise RowProblem(column, raw, str(exc)) from None
            if issued:
                break
        self.seen.add(iri)
        added.append((self.seen, iri))
        s, tail = f"<{iri}> ", self.tail
        lines.append(f"{s}{TYPE} <{FIS}SourceDocument>{tail}")
        lines.append(f"{s}<{FIS}url> {literal(url, XSD + 'anyURI')}{tail}")
        if title:
            lines.append(f"{s}<{DCT}title> {literal(title)}{tail}")
        if "publisher" in rs:
            v = clean.text(rs["publisher"](root))
            if v:
                lines.append(f"{s}<{DCT}publisher> {literal(v)}{tail}")
        if issued:
            value, datatype = issued
            lines.append(f"{s}<{DCT}issued> {literal(value, XSD + datatype)}{tail}")
        return url, iri
