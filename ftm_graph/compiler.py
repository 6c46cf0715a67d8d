"""Compile a checked mapping into closures that read one row: values, cleaned values, templates, conditions.

Templates are compiled to Python functions once per file, since they run
several times per row; a CSV row memoises the cleaned values it reuses.
"""

from __future__ import annotations

from typing import Any, Callable

from . import clean
from .namespaces import PREFIXES
from .spec import Condition, Mapping, Template
from .terms import iri_segment, json_contains, json_has, json_text

_MISSING = object()


class RowProblem(Exception):
    """A value of the current row that does not fit; becomes a Problem."""

    def __init__(self, column: str | None, value: str | None, expected: str):
        super().__init__(expected)
        self.column, self.value, self.expected = column, value, expected


class Compiler:
    """Turns a checked Mapping into per-row closures for one file."""

    def __init__(self, mapping: Mapping, base_uri: str, graph_iri: str, file: str):
        self.mapping = mapping
        self.json = mapping.source.format == "json"
        self.data = f"{base_uri}id/"
        self.graph = graph_iri
        self.tail = f" <{graph_iri}> .\n"
        self.file = file
        self.fields = {f.name: f for f in mapping.fields}
        self.entities = {e.name: e for e in mapping.entities}
        self.curies: dict[str, str] = {}

    # ---- reading values -------------------------------------------------
    def getter(self, name: str) -> Callable[[Any], str]:
        """ctx -> the text of a column, field or JSON path ('' when absent)."""
        if not self.json:
            return lambda ctx: ctx.get(name) or ""
        if name in self.fields:
            f = self.fields[name]
            inner = self.getter(f.column)

            def field_value(ctx):
                raw = inner(ctx)
                try:
                    v = f.cleaner(raw)
                except clean.BadValue as exc:
                    raise RowProblem(f.column, raw, str(exc)) from None
                if v is None and f.required:
                    raise RowProblem(f.column, raw, f"a value (field '{f.name}' is required)")
                return v or ""

            return field_value
        raw = self.raw_getter(name)
        return lambda ctx: json_text(raw(ctx))

    def raw_getter(self, name: str) -> Callable[[Any], Any]:
        """ctx -> the JSON value at a path (None when absent); CSV: the cell text."""
        if not self.json:
            return lambda ctx: ctx.get(name)
        if name.startswith("/"):
            level, path = 0, name[1:]
        else:
            up = 0
            while name.startswith("../"):
                up, name = up + 1, name[3:]
            level, path = -1 - up, name
        keys = tuple(k for k in path.split(".") if k)

        def get(ctx):
            try:
                v = ctx[level]
            except IndexError:
                return None
            for k in keys:
                if not isinstance(v, dict):
                    return None
                v = v.get(k)
            return v

        return get

    def cleaned(self, name: str, cleaner: clean.Cleaner) -> Callable[[Any], str | None]:
        """ctx -> the cleaned value of a column; raises RowProblem. CSV rows memoise it."""
        get = self.getter(name)
        func = cleaner.func
        column = self.fields[name].column if name in self.fields else name

        def value(ctx):
            raw = get(ctx)
            try:
                return func(raw)
            except clean.BadValue as exc:
                raise RowProblem(column, raw, str(exc)) from None

        if self.json:
            return value
        memo = (name, id(cleaner))  # a tuple key never clashes with a column name

        def memoised(ctx):
            v = ctx.get(memo, _MISSING)
            if v is _MISSING:
                raw = ctx.get(name) or ""
                try:
                    v = ctx[memo] = func(raw)
                except clean.BadValue as exc:
                    raise RowProblem(column, raw, str(exc)) from None
            return v

        return memoised

    def template(self, t: Template, mode: str) -> Callable[[Any], str | None]:
        """ctx -> the filled template, None when a placeholder is empty. mode: iri or text.

        The template is compiled to one Python function (one expression per
        placeholder), since templates run several times per row.
        """
        env: dict[str, Any] = {"_slug": clean.slug, "_text": clean.text, "_seg": iri_segment}
        body = ["def render(ctx):"]
        if not self.json:
            body.append("    get = ctx.get")
        out = []
        for i, part in enumerate(t.parts):
            if isinstance(part, str):
                out.append(part.replace("\\", "\\\\").replace("{", "{{").replace("}", "}}").replace('"', '\\"'))
                continue
            if part.cleaner is not None:
                env[f"_c{i}"] = self.cleaned(part.name, part.cleaner)
                expr, keeps = f"_c{i}(ctx)", part.cleaner.keeps
            else:
                keeps = part.name in self.fields and self.fields[part.name].cleaner.keeps
                if self.json:
                    env[f"_g{i}"] = self.getter(part.name)
                    expr = f"_g{i}(ctx)"
                else:
                    expr = f"get({part.name!r})"
            if mode != "iri":
                expr = f"_text({expr})"
            elif keeps:
                expr = f"_seg({expr} or '')"
            else:
                expr = f"_slug({expr})"
            body.append(f"    v{i} = {expr}")
            body.append(f"    if not v{i}: return None")
            out.append(f"{{v{i}}}")
        body.append(f'    return f"{"".join(out)}"')
        exec("\n".join(body), env)  # noqa: S102 - source built above from the checked template only
        return env["render"]

    def condition(self, conds: tuple[Condition, ...]) -> Callable[[Any], bool] | None:
        """ctx -> whether every condition holds (None when there is none)."""
        if not conds:
            return None
        tests = []
        for c in conds:
            if c.op == "contains":
                raw = self.raw_getter(c.column)
                tests.append(lambda ctx, raw=raw, arg=c.arg: json_contains(raw(ctx), arg))
                continue
            if self.json and c.op in ("present", "empty") and c.column not in self.fields:
                # an array of objects, or an object, counts as a value
                raw = self.raw_getter(c.column)
                if c.op == "present":
                    tests.append(lambda ctx, raw=raw: json_has(raw(ctx)))
                else:
                    tests.append(lambda ctx, raw=raw, arg=c.arg: (not json_has(raw(ctx))) == arg)
                continue
            get = self.getter(c.column)
            if c.op == "present":
                tests.append(lambda ctx, get=get: bool(get(ctx).strip()))
            elif c.op == "empty":
                tests.append(lambda ctx, get=get, arg=c.arg: (not get(ctx).strip()) == arg)
            elif c.op == "equals":
                tests.append(lambda ctx, get=get, arg=c.arg: get(ctx).strip() == arg)
            elif c.op == "in":
                tests.append(lambda ctx, get=get, arg=c.arg: get(ctx).strip() in arg)
            elif c.op == "not_in":
                tests.append(lambda ctx, get=get, arg=c.arg: get(ctx).strip() not in arg)
            elif c.op == "matches":
                tests.append(lambda ctx, get=get, arg=c.arg: bool(arg.search(get(ctx).strip())))
        return lambda ctx: all(t(ctx) for t in tests)

    def curie(self, text: str) -> str:
        """Expand a CURIE produced at run time (e.g. a class from a lookup)."""
        if text not in self.curies:
            prefix, _, local = text.partition(":")
            if prefix not in PREFIXES:
                raise RowProblem(None, text, "a CURIE with a known prefix, such as fis:StateAgency")
            self.curies[text] = PREFIXES[prefix] + local
        return self.curies[text]
