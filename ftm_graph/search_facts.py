"""What a search row is made of, read from the store being written (for ``search.build_search_index``).

An entity's row depends on its labels and keys (LABEL_ORDER), its classes,
its year, its agency and whether it is illustrative; the year also on the
amounts that point at it (``fis:amountOf``). A full build reads each named
graph once (``read_graph`` into ``Facts``); an incremental one looks up the
few entities concerned (``lookup``). Both give what these whole-store SPARQL
queries over the default graph give (tests/test_search.py holds them and
checks it).
"""

import re
from pathlib import Path

import pyoxigraph as ox

from .namespaces import DCT, FIS, RDFS, SKOS, sparql_prologue

#: What makes an entity's row depend on a graph: a statement about it there, or an amount of it there.
_MEMBERS = """
SELECT DISTINCT ?s WHERE { GRAPH <%s> { { ?s ?p ?o } UNION { ?a fis:amountOf ?s } } FILTER(isIRI(?s)) }"""


#: The properties indexed, in order: an entity's first label in a language is its label there.
LABEL_ORDER = [RDFS + "label", SKOS + "prefLabel", DCT + "title", FIS + "name", SKOS + "altLabel",
               FIS + "acronym", FIS + "rfc", FIS + "ocid", FIS + "registrationKey", SKOS + "notation",
               FIS + "trustRegistryKey", FIS + "decreeNumber", FIS + "note", FIS + "purpose",
               DCT + "description", FIS + "concept"]

_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
XSD = "http://www.w3.org/2001/XMLSchema#"
#: An entity's year is the smallest of those of its dates and, unless it has a contract date, of its
#: amounts' (fis:amountOf) dates; its agency the smallest IRI of those it points at with _AGENCY.
_DATES = {FIS + "fiscalYear", FIS + "contractDate", FIS + "paymentDate", FIS + "dateSigned", FIS + "publicationDate"}
_AMOUNT_DATES = (FIS + "fiscalYear", FIS + "date")
_AGENCY = {FIS + "budgetHolder", FIS + "buyer", FIS + "payer", FIS + "debtor", FIS + "settlor", FIS + "parentBody"}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_AMOUNT_DATES_OF = "SELECT ?d WHERE { ?a <%s> <%%s> ; <%s>|<%s> ?d }" % (FIS + "amountOf", *_AMOUNT_DATES)
_AMOUNT_OF, _CONTRACT_DATE, _ILLUSTRATIVE_P = FIS + "amountOf", FIS + "contractDate", FIS + "illustrative"
#: Every property a row depends on, and what it is for: the statements a graph is read for.
_USE = {**{p: "label" for p in LABEL_ORDER}, **{p: "date" for p in (*_DATES, *_AMOUNT_DATES)},
        **{p: "agency" for p in _AGENCY}, _TYPE: "type", _AMOUNT_OF: "amountOf", _ILLUSTRATIVE_P: "illustrative"}
#: The same, as N-Quads tokens, for the lines of a mapped file that can be read without a parser.
_TOKENS = {f"<{p}>": use for p, use in _USE.items()}
_GRAPH_FACTS = "SELECT ?s ?p ?o WHERE { GRAPH <%s> { VALUES ?p { %s } ?s ?p ?o } }" % (
    "%s", " ".join(f"<{p}>" for p in _USE))


class Facts:
    """What the rows of a full build need, gathered graph by graph.

    The default graph is the merge of the named graphs, so reading each named
    graph gives what whole-store queries would (sets here, as in the default
    graph: a statement made in two graphs counts once; tests/test_search.py
    holds those queries and checks it); the same facts as ``lookup`` looks up.
    Subjects are keyed by IRI, blank nodes by ``_:`` and their id (amounts may be blank nodes).
    """

    def __init__(self):
        self.labels: dict[str, set] = {}
        # One value per subject, for memory (most subjects are amounts): a class, or a set of them;
        # the smallest year of its own dates (_DATES), of an amount's (_AMOUNT_DATES); None if one is no year
        self.types: dict[str, str | set] = {}
        self.dates: dict[str, float | None] = {}
        self.amount_years: dict[str, float | None] = {}
        self.amounts: dict[str, list] = {}  # entity -> the amounts that point at it
        self.contract_date: set[str] = set()
        self.agencies: dict[str, str | None] = {}  # the smallest IRI (or text) of a subject's agencies
        self.illustrative: set[str] = set()

    def add(self, s: str, p: str, value: str | None, term=None) -> None:
        """One statement: `value` is the object's IRI or lexical form (None for a blank node);
        `term` the object itself (needed for labels and fis:illustrative only)."""
        self.adders()[_USE[p]](s, p, value, term)

    def adders(self) -> dict:
        """`add` for each use of a property (see _USE), to call directly when the use is known."""
        return {"label": self._label, "type": self._type, "date": self._date, "agency": self._agency,
                "amountOf": self._amount_of, "illustrative": self._illustrative}

    def _label(self, s, p, value, term):
        if not s.startswith("_:") and _is_literal(term):
            self.labels.setdefault(s, set()).add((p, term))

    def _type(self, s, p, value, term=None):
        if value is not None:
            types = self.types.get(s)
            if types is None:
                self.types[s] = value
            elif isinstance(types, set):
                types.add(value)
            elif types != value:
                self.types[s] = {types, value}

    def _date(self, s, p, value, term=None):
        year = None if value is None else _year(value)
        if p in _DATES:
            self.dates[s] = _min_year(self.dates.get(s, _NO_DATE), year)
            if p == _CONTRACT_DATE:
                self.contract_date.add(s)
        if p in _AMOUNT_DATES:
            self.amount_years[s] = _min_year(self.amount_years.get(s, _NO_DATE), year)

    def _agency(self, s, p, value, term=None):
        known = self.agencies.get(s, _NO_AGENCY)
        if value is None or known is None:  # a blank node: no agency at all, as SPARQL's MIN(STR(?a))
            self.agencies[s] = None
        elif known is _NO_AGENCY or value < known:
            self.agencies[s] = value

    def _amount_of(self, s, p, value, term=None):
        if value is not None:
            self.amounts.setdefault(value, []).append(s)

    def _illustrative(self, s, p, value, term):
        if _is_literal(term) and term.value == "true" and term.datatype.value == XSD + "boolean":
            self.illustrative.add(s)

    def add_term(self, s, p: str, o) -> None:
        """`add` for pyoxigraph terms (a parsed or queried statement)."""
        key = s.value if not _is_blank(s) else "_:" + s.value
        self.add(key, p, None if _is_blank(o) else o.value, o)

    def entries(self) -> dict[str, tuple]:
        """Entity IRI -> (labels and keys [(property, literal)], classes, year, agency, illustrative)."""
        out = {}
        for iri, stated in self.labels.items():
            year = self.dates.get(iri, _NO_DATE)
            if iri not in self.contract_date:
                for amount in self.amounts.get(iri, ()):
                    year = _min_year(year, self.amount_years.get(amount, _NO_DATE))
            types = self.types.get(iri, ())
            out[iri] = (list(stated), [types] if isinstance(types, str) else list(types),
                        None if year == _NO_DATE else year, self.agencies.get(iri), iri in self.illustrative)
        return out


def _is_blank(term) -> bool:
    return isinstance(term, ox.BlankNode)


def read_graph(tx, graph: str, facts: Facts | None) -> set[str]:
    """The IRIs a named graph makes rows depend on (its subjects and what its amounts point at), and,
    with `facts`, its statements that rows are made of: from its mapped N-Quads file when the load
    left one (``tx.loaded``), else by querying the graph."""
    loaded = getattr(tx, "loaded", {}).get(graph)
    if loaded is not None and Path(loaded[0]).is_file():
        return _scan_nquads(Path(loaded[0]), facts)
    members = {row[0].value for row in tx.query(sparql_prologue() + _MEMBERS % graph)}
    if facts is not None:
        for s, p, o in tx.query(_GRAPH_FACTS % graph):
            facts.add_term(s, p.value, o)
    return members


_CHUNK = 1 << 22  #: bytes of an N-Quads file read at a time (memory stays flat as files grow)


def _blocks(f):
    """A binary file's text in blocks of whole lines (text-mode reads of a given size were slower)."""
    tail = b""
    while chunk := f.read(_CHUNK):
        data = tail + chunk
        cut = data.rfind(b"\n") + 1
        tail = data[cut:]
        yield data[:cut].decode("utf-8")
    if tail:
        yield tail.decode("utf-8")


def _scan_nquads(path: Path, facts: Facts | None) -> set[str]:
    """`read_graph` from an N-Quads file, mostly without a parser (parsing a 660k-triple file took
    longer than the rest of the build): a line ``<s> <p> <o> <g> .`` or ``<s> <p> "text"... <g> .``
    whose tokens are one space apart and which has no escape says what it means in its tokens. The
    other lines (escapes, blank nodes, other spacing, comments), labels (whose language tags the parser
    normalises), fis:illustrative and other unusual objects go through pyoxigraph's parser."""
    members: set[str] = set()  # as tokens, <iri>
    add_member, tokens = members.add, _TOKENS
    adders = facts.adders() if facts is not None else {}
    parse: list[str] = []
    with open(path, "rb") as f:
        for block in _blocks(f):
            plain = "\\" not in block and "\t" not in block
            for line in block.split("\n"):
                if not line:
                    continue
                if line[0] != "<" or not (plain or ("\\" not in line and "\t" not in line)):
                    parse.append(line)
                    continue
                parts = line.split(" ", 2)
                if len(parts) < 3 or ">" in parts[0][:-1] or parts[1][:1] != "<" or ">" in parts[1][:-1]:
                    # e.g. <s><p> <o>, <s> <p><o> or two spaces
                    parse.append(line)
                    continue
                s, p, rest = parts
                add_member(s)
                use = tokens.get(p)
                if use is None:
                    continue
                head = rest[:1]
                if head == "<":
                    o = rest[:rest.index(">") + 1]
                    if use == "amountOf":
                        add_member(o)
                    if facts is not None and use != "label" and use != "illustrative":
                        adders[use](s[1:-1], p[1:-1], o[1:-1])
                elif head == '"' and use == "date":
                    if facts is not None:
                        adders[use](s[1:-1], p[1:-1], rest[1:rest.index('"', 1)])
                elif facts is not None and use != "amountOf":
                    parse.append(line)  # labels, fis:illustrative, a literal type or agency, a blank node
    found = {token[1:-1] for token in members}
    if parse:
        for quad in ox.parse(input="\n".join(parse).encode(), format=ox.RdfFormat.N_QUADS):
            s, p, o = quad.subject, quad.predicate.value, quad.object
            if not _is_blank(s):
                found.add(s.value)
            if p == _AMOUNT_OF and not _is_blank(o):
                found.add(o.value)
            if facts is not None and p in _USE:
                facts.add_term(s, p, o)
    return found


def lookup(tx, subjects: set[str]) -> dict[str, tuple]:
    """What the index needs about some entities, by index lookups: the same facts as ``Facts`` gathers
    for all of them (a few entities of a large store: proportional to them, not to the store)."""
    entries = {}
    for iri in subjects:
        stated, types, years, agencies, illustrative, contract_date = [], [], [], [], False, False
        for quad in tx.triples(iri):
            p, o = quad.predicate.value, quad.object
            literal = _is_literal(o)
            if literal and _USE.get(p) == "label":
                stated.append((p, o))
            if p == _TYPE:
                types.append(o.value)
            elif p in _AGENCY:
                agencies.append(None if _is_blank(o) else o.value)
            elif p in _DATES:
                years.append(None if _is_blank(o) else _year(o.value))
                contract_date = contract_date or p == FIS + "contractDate"
            elif p == FIS + "illustrative" and literal and o.value == "true" and o.datatype.value == XSD + "boolean":
                illustrative = True
        if not stated:
            continue
        if not contract_date:
            amounts = [q.subject for q in tx.triples(None, _AMOUNT_OF, iri)]
            if any(_is_blank(a) for a in amounts):  # not to be looked up by name: the query engine finds them
                dates = [row[0] for row in tx.query(_AMOUNT_DATES_OF % iri)]
            else:
                dates = [q.object for a in amounts for when in _AMOUNT_DATES for q in tx.triples(a.value, when)]
            years += [None if _is_blank(d) else _year(d.value) for d in dates]
        agency = None if not agencies or None in agencies else min(agencies)
        entries[iri] = (stated, types, _first_year(years), agency, illustrative)
    return entries


def _is_literal(term) -> bool:
    return hasattr(term, "datatype")


def _year(text: str) -> int | None:
    """As SPARQL's ``xsd:integer(SUBSTR(STR(?d), 1, 4))``: None when that is not an integer."""
    head = text[:4]
    if head not in _YEARS_SEEN:  # a few distinct years among many dates
        _YEARS_SEEN[head] = int(head) if _INTEGER.fullmatch(head) else None
    return _YEARS_SEEN[head]


_YEARS_SEEN: dict[str, int | None] = {}


_NO_DATE = float("inf")  #: no date yet (a smallest year starts here)
_NO_AGENCY = object()  #: no agency yet


def _min_year(a, b):
    """The smaller year, None (not a year) winning as in SPARQL's MIN over an error."""
    return None if a is None or b is None else min(a, b)


def _first_year(years: list) -> int | None:
    """An entity's year from those of its dates: as SPARQL's MIN, none at all when one of them is not a year."""
    return None if not years or None in years else min(years)
