"""Load and check mapping files (mappings/*.yaml) into typed objects.

The format is specified in mappings/README.md. Loading checks every key, so a
typo stops with ``InvalidMapping`` naming the file and the key path instead of
silently producing less data. Applying a mapping to a file is ``ingest``'s job.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from . import clean
from .detect import detect_mapping, sniff_delimiter  # noqa: F401 - re-exported: callers import them from here
from .errors import InvalidMapping
from .namespaces import CODE, PREFIXES
from .resources import data_dir
from .spec import (  # noqa: F401 - re-exported: the typed mapping is imported from here
    ENCODINGS,
    KINDS,
    LANGS,
    OBJECT_KEYS,
    AmountSpec,
    CheckSpec,
    Condition,
    EntitySpec,
    FieldSpec,
    Mapping,
    Placeholder,
    PropertySpec,
    Source,
    Template,
)

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class _Checker:
    """Reads one YAML document, raising InvalidMapping with file and key path."""

    def __init__(self, path: Path):
        self.path = path
        self.shown = f"{path.parent.name}/{path.name}"
        local = path.parent / "lookups"  # lookup tables beside the mapping, else the bundled ones
        self.lookups = local if local.is_dir() else data_dir("mappings") / "lookups"
        self.known: set[str] | None = None  # CSV: names templates may read
        self.cleaners: dict[str, clean.Cleaner] = {}

    def fail(self, where: str, message: str) -> InvalidMapping:
        return InvalidMapping(f"{self.shown}: {where}: {message}" if where else f"{self.shown}: {message}")

    def keys(self, node: Any, where: str, allowed: tuple, required: tuple = ()) -> dict:
        if not isinstance(node, dict):
            raise self.fail(where, f"expected a mapping with keys {', '.join(allowed)}")
        for key in node:
            if key not in allowed:
                raise self.fail(where, f"unknown key '{key}'; expected one of {', '.join(allowed)}")
        for key in required:
            if key not in node:
                raise self.fail(where, f"missing key '{key}'")
        return node

    def string(self, node: Any, where: str) -> str:
        if isinstance(node, bool) or not isinstance(node, (str, int, float)) or str(node) == "":
            raise self.fail(where, "expected a non-empty text")
        return str(node)

    def names(self, node: Any, where: str) -> tuple[str, ...]:
        if isinstance(node, str):
            node = [node]
        if not isinstance(node, list):
            raise self.fail(where, "expected a list of names")
        return tuple(self.string(x, f"{where}[{i}]") for i, x in enumerate(node))

    def curie(self, text: str, where: str) -> str:
        if text.startswith(("http://", "https://")):
            return text
        prefix, sep, local = text.partition(":")
        if not sep:
            raise self.fail(where, f"'{text}' is not a CURIE such as fis:Amount")
        if prefix not in PREFIXES:
            raise self.fail(where, f"unknown prefix '{prefix}'; expected one of {', '.join(PREFIXES)}")
        return PREFIXES[prefix] + local

    def cleaner(self, spec: Any, where: str) -> clean.Cleaner:
        key = json.dumps(spec, sort_keys=True, default=str)
        if key not in self.cleaners:  # one object per distinct spec, so a row can reuse its results
            try:
                self.cleaners[key] = clean.make_cleaner(spec, self.lookups)
            except ValueError as exc:
                raise self.fail(where, str(exc)) from None
        return self.cleaners[key]

    def column(self, name: Any, where: str) -> str:
        name = self.string(name, where)
        self.known_name(name, where)
        return name

    def known_name(self, name: str, where: str) -> None:
        if self.known is not None and name not in self.known:
            raise self.fail(
                where,
                f"column '{name}' is not declared; expected one of source.required, "
                f"source.optional or fields: {', '.join(sorted(self.known))}",
            )

    def template(self, text: Any, where: str) -> Template:
        text = self.string(text, where)
        parts: list = []
        pos = 0
        for m in _PLACEHOLDER.finditer(text):
            if m.start() > pos:
                parts.append(text[pos : m.start()])
            name, _, pipe = m.group(1).partition("|")
            name = name.strip()
            if not name:
                raise self.fail(where, f"empty placeholder in '{text}'")
            self.known_name(name, where)
            parts.append(Placeholder(name, self.cleaner(pipe.strip(), where) if pipe else None))
            pos = m.end()
        if pos < len(text):
            parts.append(text[pos:])
        if any("{" in p or "}" in p for p in parts if isinstance(p, str)):
            raise self.fail(where, f"unbalanced braces in '{text}'")
        return Template(text, tuple(parts))

    def conditions(self, node: Any, where: str) -> tuple[Condition, ...]:
        if node is None:
            return ()
        if isinstance(node, list):
            return tuple(c for i, x in enumerate(node) for c in self.conditions(x, f"{where}[{i}]"))
        if isinstance(node, str):
            return (Condition(self.column(node, where), "present"),)
        ops = ("equals", "in", "not_in", "contains", "matches", "empty")
        self.keys(node, where, ("column",) + ops, ("column",))
        col = self.column(node["column"], f"{where}.column")
        given = [op for op in ops if op in node]
        if len(given) != 1:
            raise self.fail(where, f"expected exactly one of {', '.join(ops)}")
        op, arg = given[0], node[given[0]]
        if op in ("in", "not_in"):
            if not isinstance(arg, list):
                raise self.fail(f"{where}.{op}", "expected a list")
            arg = frozenset(str(a).strip() for a in arg)
        elif op == "matches":
            try:
                arg = re.compile(str(arg))
            except re.error as exc:
                raise self.fail(f"{where}.matches", f"bad regular expression: {exc}") from None
        elif op == "empty":
            arg = bool(arg)
        elif op == "contains":
            arg = frozenset(str(a).strip() for a in (arg if isinstance(arg, list) else [arg]))
        else:
            arg = str(arg).strip()
        return (Condition(col, op, arg),)

    def mapping(self, doc: Any) -> Mapping:
        top = ("name", "version", "kind", "title", "description", "illustrative", "source",
               "row_source", "fields", "entities", "amounts", "checks")
        self.keys(doc, "", top, ("name", "version", "kind", "title", "description", "source", "entities"))
        name = self.string(doc["name"], "name")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise self.fail("name", f"'{name}' must be lower case letters, digits and '_'")
        kind = self.string(doc["kind"], "kind")
        if kind not in KINDS:
            raise self.fail("kind", f"unknown kind '{kind}'; expected one of {', '.join(KINDS)}")
        title = self.keys(doc["title"], "title", LANGS, LANGS)
        title = {lang: self.string(title[lang], f"title.{lang}") for lang in LANGS}
        illustrative = doc.get("illustrative", False)
        if not isinstance(illustrative, bool):
            raise self.fail("illustrative", "expected true or false")
        source = self.source(doc["source"])
        if source.format == "csv":
            self.known = set(source.required) | set(source.optional)
        row_source = {}
        if doc.get("row_source") is not None:
            rs = self.keys(doc["row_source"], "row_source", ("url", "title", "publisher", "date"), ("url",))
            row_source = {k: (tuple(self.column(c, f"row_source.date[{i}]") for i, c in enumerate(self.names(v, k)))
                              if k == "date" else self.column(v, f"row_source.{k}")) for k, v in rs.items()}
        fields = self.fields(doc.get("fields") or {})
        entities = self.entities(doc["entities"])
        amounts = tuple(
            self.amount(a, f"amounts[{i}]", {e.name for e in entities})
            for i, a in enumerate(self.list(doc.get("amounts") or [], "amounts"))
        )
        checks = tuple(self.check(c, f"checks[{i}]") for i, c in enumerate(self.list(doc.get("checks") or [], "checks")))
        mapping = Mapping(name, self.string(doc["version"], "version"), kind, title,
                          self.string(doc["description"], "description"), self.path, source,
                          illustrative, row_source, fields, entities, amounts, checks)
        self.links(mapping)
        mapping.wikidata = self.wikidata()
        return mapping

    def wikidata(self) -> dict[str, str]:
        """lookups/wikidata.csv, when there is one: IRI path -> QID."""
        path = self.lookups / "wikidata.csv"
        try:
            return clean.read_wikidata(path) if path.is_file() else {}
        except ValueError as exc:
            raise InvalidMapping(str(exc)) from None

    def list(self, node: Any, where: str) -> list:
        if not isinstance(node, list):
            raise self.fail(where, "expected a list")
        return node

    def source(self, node: Any) -> Source:
        allowed = ("format", "delimiter", "encoding", "required", "optional", "detect", "records", "merge", "quotes")
        self.keys(node, "source", allowed, ("format",))
        fmt = node["format"]
        if fmt not in ("csv", "json"):
            raise self.fail("source.format", f"unknown format '{fmt}'; expected csv or json")
        delimiter = str(node.get("delimiter", "auto"))
        if delimiter not in (",", ";", "tab", "\t", "|", "auto"):
            raise self.fail("source.delimiter", f"'{delimiter}'; expected ',', ';', tab, '|' or auto")
        encoding = str(node.get("encoding", "auto")).lower()
        if encoding not in ENCODINGS:
            raise self.fail("source.encoding", f"'{encoding}'; expected one of {', '.join(ENCODINGS)}")
        if fmt == "csv":
            for key in ("records", "merge"):
                if key in node:
                    raise self.fail(f"source.{key}", "only for format json")
            if "required" not in node:
                raise self.fail("source", "missing key 'required' (the columns every file must have)")
        elif "quotes" in node:
            raise self.fail("source.quotes", "only for format csv")
        elif "records" not in node and node.get("merge") != "ocds":
            raise self.fail("source", "missing key 'records' (where the records are in the JSON document)")
        required = self.names(node.get("required", []), "source.required")
        optional = self.names(node.get("optional", []), "source.optional")
        detect = self.names(node.get("detect", []), "source.detect")
        if fmt == "csv":
            for i, d in enumerate(detect):
                if d not in required:
                    raise self.fail(f"source.detect[{i}]", f"'{d}' must also be in source.required")
        records = self.names(node.get("records", []), "source.records")
        for i, r in enumerate(records):
            if not re.fullmatch(r"\.|\[\]|[A-Za-z_][\w]*(\[\])?(\.[A-Za-z_]\w*(\[\])?)*", r):
                raise self.fail(f"source.records[{i}]", f"'{r}' is not a path such as records[].compiledRelease")
        merge = node.get("merge")
        if merge not in (None, "ocds"):
            raise self.fail("source.merge", f"'{merge}'; expected ocds")
        quotes = node.get("quotes", "strict")
        if quotes not in ("strict", "lenient", "backslash"):
            raise self.fail("source.quotes", f"'{quotes}'; expected strict, lenient or backslash")
        return Source(fmt, "\t" if delimiter == "tab" else delimiter, ENCODINGS[encoding],
                      required, optional, detect, records, merge, quotes)

    def fields(self, node: Any) -> tuple[FieldSpec, ...]:
        if not isinstance(node, dict):
            raise self.fail("fields", "expected a mapping of field name -> {column, clean}")
        out = []
        for name, spec in node.items():
            where = f"fields.{name}"
            self.keys(spec, where, ("column", "clean", "required"), ("column", "clean"))
            if self.known is not None and name in self.known:
                raise self.fail(where, f"a field cannot have the name of a column ('{name}')")
            col = self.column(spec["column"], f"{where}.column")
            out.append(FieldSpec(name, col, self.cleaner(spec["clean"], f"{where}.clean"), bool(spec.get("required"))))
            if self.known is not None:
                self.known.add(name)
        return tuple(out)

    def entities(self, node: Any) -> tuple[EntitySpec, ...]:
        if not isinstance(node, dict) or not node:
            raise self.fail("entities", "expected a mapping of entity name -> entity")
        return tuple(self.entity(name, spec, f"entities.{name}") for name, spec in node.items())

    def entity(self, name: str, spec: Any, where: str) -> EntitySpec:
        allowed = ("iri", "class", "label", "properties", "when", "each", "key", "unique")
        self.keys(spec, where, allowed, ("iri",))
        if not re.fullmatch(r"[A-Za-z_]\w*", str(name)):
            raise self.fail(where, "entity names are letters, digits and '_'")
        each: tuple[str, ...] = ()
        if spec.get("each") is not None:
            each_text = self.string(spec["each"], f"{where}.each")
            if self.known is not None:
                raise self.fail(f"{where}.each", "only for format json")
            if not re.fullmatch(r"[A-Za-z_][\w.]*\[\](\.[A-Za-z_][\w.]*\[\])*", each_text):
                raise self.fail(f"{where}.each", f"'{each_text}' is not a path such as awards[].suppliers[]")
            each = tuple(p.strip(".") for p in each_text.split("[]") if p.strip("."))
        iri_node = spec["iri"]
        if isinstance(iri_node, list):
            alts = []
            for i, alt in enumerate(iri_node):
                w = f"{where}.iri[{i}]"
                self.keys(alt, w, ("when", "template"), ("template",))
                alts.append((self.conditions(alt.get("when"), f"{w}.when"), self.template(alt["template"], f"{w}.template")))
            iri = tuple(alts)
        else:
            iri = (((), self.template(iri_node, f"{where}.iri")),)
        for _, t in iri:
            if t.text.startswith(("http://", "https://", "/")) or ":" in t.text.split("/")[0].split("{")[0]:
                raise self.fail(f"{where}.iri", f"'{t.text}' must be a path under {{base}}id/, such as body/zac/{{id}}")
        classes_node = spec.get("class", [])
        classes_node = classes_node if isinstance(classes_node, list) else [classes_node]
        classes = []
        for i, c in enumerate(classes_node):
            w = f"{where}.class" if len(classes_node) == 1 else f"{where}.class[{i}]"
            conds: tuple[Condition, ...] = ()
            if isinstance(c, dict):
                self.keys(c, w, ("class", "when"), ("class",))
                conds = self.conditions(c.get("when"), f"{w}.when")
                c = c["class"]
            t = self.template(c, w)
            if t.constant:
                self.curie(t.text, w)
            classes.append((conds, t))
        labels = {}
        if spec.get("label") is not None:
            label = spec["label"]
            if isinstance(label, str):
                raise self.fail(f"{where}.label", "expected {es: …, en: …}")
            self.keys(label, f"{where}.label", LANGS)
            labels = {lang: self.template(t, f"{where}.label.{lang}") for lang, t in label.items()}
            if labels and all(t.constant for t in labels.values()) and set(labels) != set(LANGS):
                raise self.fail(f"{where}.label", "a constant label must be given in both es and en")
        props = tuple(
            self.property(p, f"{where}.properties[{i}]")
            for i, p in enumerate(self.list(spec.get("properties") or [], f"{where}.properties"))
        )
        key_node = spec.get("key")
        key_node = [] if key_node is None else key_node if isinstance(key_node, list) else [key_node]
        keys = tuple(self.template(k, f"{where}.key") for k in key_node)
        return EntitySpec(str(name), iri, tuple(classes), labels, props,
                          self.conditions(spec.get("when"), f"{where}.when"), each, keys, bool(spec.get("unique")))

    def property(self, spec: Any, where: str) -> PropertySpec:
        allowed = ("property",) + OBJECT_KEYS + ("clean", "datatype", "lang", "required", "when")
        self.keys(spec, where, allowed, ("property",))
        prop = self.curie(self.string(spec["property"], f"{where}.property"), f"{where}.property")
        given = [k for k in OBJECT_KEYS if k in spec and not (k in ("column", "template") and "code" in spec)]
        if len(given) != 1:
            raise self.fail(where, f"expected exactly one of {', '.join(OBJECT_KEYS)} (code may come with column or template)")
        kind = given[0]
        common = dict(property=prop, kind=kind, where=where, required=bool(spec.get("required")),
                      when=self.conditions(spec.get("when"), f"{where}.when"))
        lang = spec.get("lang")
        if lang is not None and lang not in LANGS:
            raise self.fail(f"{where}.lang", f"'{lang}'; expected one of {', '.join(LANGS)}")
        datatype = self.curie(str(spec["datatype"]), f"{where}.datatype") if "datatype" in spec else None
        if lang and datatype:
            raise self.fail(where, "a literal has either lang or datatype, not both")
        if "clean" in spec and kind not in ("column", "code", "template"):
            raise self.fail(f"{where}.clean", f"not used with {kind}")
        cleaner = self.cleaner(spec["clean"], f"{where}.clean") if "clean" in spec else None
        if kind == "column":
            return PropertySpec(**common, column=self.column(spec["column"], f"{where}.column"),
                                cleaner=cleaner or self.cleaner("text", where), datatype=datatype, lang=lang)
        if kind == "template":
            return PropertySpec(**common, template=self.template(spec["template"], f"{where}.template"),
                                cleaner=cleaner, datatype=datatype, lang=lang)
        if kind == "value":
            return PropertySpec(**common, value=self.string(spec["value"], f"{where}.value"),
                                datatype=datatype, lang=lang)
        if lang or datatype:
            raise self.fail(where, f"lang and datatype are for literals, not {kind}")
        if kind == "link":
            node = spec["link"]
            alts, every = [], False
            for i, target in enumerate(node if isinstance(node, list) else [node]):
                w = f"{where}.link[{i}]" if isinstance(node, list) else f"{where}.link"
                key = None
                if isinstance(target, dict):
                    self.keys(target, w, ("entity", "key", "all"), ("entity",))
                    key = self.template(target["key"], f"{w}.key") if "key" in target else None
                    every = every or bool(target.get("all"))
                    target = target["entity"]
                alts.append((self.string(target, w), key))
            return PropertySpec(**common, link=tuple(alts), link_all=every)
        if kind == "code":
            scheme = self.string(spec["code"], f"{where}.code")
            if not re.fullmatch(r"[a-z][\w-]*(/[\w.-]+)?", scheme):
                raise self.fail(f"{where}.code", f"'{scheme}' is not a scheme such as branch or stage/aprobado")
            if "column" in spec and "template" in spec:
                raise self.fail(where, "code takes a column or a template, not both")
            if "template" in spec:
                if "/" in scheme:
                    raise self.fail(f"{where}.code", "with template, give only the scheme (e.g. functional)")
                return PropertySpec(**common, scheme=scheme, template=self.template(spec["template"], f"{where}.template"),
                                    cleaner=cleaner or self.cleaner("code", where))
            if "column" in spec:
                if "/" in scheme:
                    raise self.fail(f"{where}.code", "with column, give only the scheme (e.g. branch)")
                return PropertySpec(**common, scheme=scheme, column=self.column(spec["column"], f"{where}.column"),
                                    cleaner=cleaner or self.cleaner("code", where))
            if "/" not in scheme:
                raise self.fail(where, "code without column must name a concept, e.g. stage/aprobado")
            return PropertySpec(**common, value=CODE + scheme)
        iri = self.template(spec["iri"], f"{where}.iri")
        if iri.constant and _is_curie(iri.text):
            return PropertySpec(**common, value=self.curie(iri.text, f"{where}.iri"))
        return PropertySpec(**common, template=iri)

    def amount(self, spec: Any, where: str, entities: set[str]) -> AmountSpec:
        times = ("fiscal_year", "date", "period_start", "period_end")
        allowed = ("of", "measure", "value", "clean", "currency", "currency_column", "when", "note") + times
        self.keys(spec, where, allowed, ("of", "measure", "value"))
        of = self.string(spec["of"], f"{where}.of")
        if of not in entities:
            raise self.fail(f"{where}.of", f"unknown entity '{of}'; expected one of {', '.join(sorted(entities))}")
        measure = scheme = mcol = None
        if isinstance(spec["measure"], dict):
            self.keys(spec["measure"], f"{where}.measure", ("code", "column"), ("code", "column"))
            scheme = self.string(spec["measure"]["code"], f"{where}.measure.code")
            mcol = self.column(spec["measure"]["column"], f"{where}.measure.column")
        else:
            measure = self.curie(self.string(spec["measure"], f"{where}.measure"), f"{where}.measure")
        got = {}
        for t in times:
            if t in spec:
                node = spec[t]
                default = "year" if t == "fiscal_year" else "date"
                if isinstance(node, dict):
                    self.keys(node, f"{where}.{t}", ("column", "clean"), ("column",))
                    got[t] = (self.column(node["column"], f"{where}.{t}.column"),
                              self.cleaner(node.get("clean", default), f"{where}.{t}.clean"))
                else:
                    got[t] = (self.column(node, f"{where}.{t}"), self.cleaner(default, f"{where}.{t}"))
        if ("period_start" in got) != ("period_end" in got):
            raise self.fail(where, "period_start and period_end go together")
        currency = self.string(spec.get("currency", "MXN"), f"{where}.currency")
        ccol = self.column(spec["currency_column"], f"{where}.currency_column") if "currency_column" in spec else None
        return AmountSpec(of, where, measure, scheme, mcol, self.column(spec["value"], f"{where}.value"),
                          self.cleaner(spec.get("clean", "amount"), f"{where}.clean"), got, currency, ccol,
                          self.conditions(spec.get("when"), f"{where}.when"), self.note(spec.get("note"), where))

    def check(self, spec: Any, where: str) -> CheckSpec:
        self.keys(spec, where, ("column", "equals", "tolerance", "clean", "when"), ("column", "equals"))
        total = self.column(spec["column"], f"{where}.column")
        text = self.string(spec["equals"], f"{where}.equals")
        parts = re.split(r"\s+([+-])\s+", " " + text.strip() if text.strip()[:1] in "+-" else text.strip())
        if parts[0].strip() in ("", "+", "-"):
            parts = parts[1:] if parts[0].strip() == "" else parts
        terms, sign = [], 1
        for tok in parts:
            tok = tok.strip()
            if tok in ("+", "-"):
                sign = -1 if tok == "-" else 1
                continue
            if tok:
                terms.append((sign, self.column(tok, f"{where}.equals")))
            sign = 1
        if not terms:
            raise self.fail(f"{where}.equals", f"'{text}' is not a sum such as a + b - c")
        tolerance = clean.number(str(spec.get("tolerance", 0)))
        return CheckSpec(where, total, tuple(terms), text, self.cleaner(spec.get("clean", "amount"), f"{where}.clean"),
                         tolerance or "0", self.conditions(spec.get("when"), f"{where}.when"))

    def note(self, node: Any, where: str) -> dict[str, Template]:
        if node is None:
            return {}
        if isinstance(node, str):
            node = {"es": node}
        self.keys(node, f"{where}.note", LANGS)
        return {lang: self.template(t, f"{where}.note.{lang}") for lang, t in node.items()}

    def links(self, mapping: Mapping) -> None:
        by_name = {e.name: e for e in mapping.entities}
        for e in mapping.entities:
            for p in e.properties:
                for name, key in p.link:
                    if name not in by_name:
                        raise self.fail(f"{p.where}.link", f"unknown entity '{name}'; expected one of {', '.join(by_name)}")
                    target = by_name[name]
                    if key is not None and not target.keys:
                        raise self.fail(f"{p.where}.link", f"entity '{name}' has no key to join on")
                    if key is None and not p.link_all and target.each and target.each != e.each[: len(target.each)]:
                        raise self.fail(f"{p.where}.link", f"entity '{name}' is made per item of "
                                        f"{'[].'.join(target.each)}[]: give a key to choose one")


def _is_curie(text: str) -> bool:
    prefix, sep, _ = text.partition(":")
    return bool(sep) and prefix in PREFIXES


def load_mapping(path: Path) -> Mapping:
    """Load and check one mapping file. Raises InvalidMapping naming the file and key.

    >>> load_mapping(data_dir("mappings") / "zacatecas_agencies.yaml").kind
    'catalogue'
    """
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidMapping(f"{path}: cannot read the mapping: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise InvalidMapping(f"{path.parent.name}/{path.name}: not valid YAML: {exc}") from None
    return _Checker(path).mapping(doc)


def load_mappings(folder: Path | None = None) -> dict[str, Mapping]:
    """Load every ``*.yaml`` of a folder (default: the bundled mappings/), keyed by name."""
    folder = Path(folder) if folder is not None else data_dir("mappings")
    out: dict[str, Mapping] = {}
    for path in sorted(folder.glob("*.yaml")):
        m = load_mapping(path)
        if m.name in out:
            raise InvalidMapping(f"{folder.name}/{path.name}: name: '{m.name}' is also the name of {out[m.name].path.name}")
        out[m.name] = m
    return out
