"""The SPARQL 1.1 Protocol, Update and Graph Store Protocol over HTTP, for the remote store (remote.py).

Standard library only (``urllib``): one request per call, results parsed into
pyoxigraph's own objects so callers cannot tell a remote store from the
embedded one. Errors become StoreError naming the URL and the server's
message; a refused query (HTTP 400) becomes SyntaxError, as pyoxigraph raises.
"""

import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .errors import StoreError

if TYPE_CHECKING:
    from .remote import RemoteSpec

_JSON = "application/sparql-results+json"
TSV = "text/tab-separated-values"
_NT = "application/n-triples"
_ACCEPT = f"{_JSON}, {_NT};q=0.9"
_RESULT_PARSERS = {
    _JSON: ox.QueryResultsFormat.JSON,
    "application/json": ox.QueryResultsFormat.JSON,
    "application/sparql-results+xml": ox.QueryResultsFormat.XML,
    TSV: ox.QueryResultsFormat.TSV,
}
_GRAPH_PARSERS = {_NT: ox.RdfFormat.N_TRIPLES, "text/turtle": ox.RdfFormat.TURTLE,
                  "application/rdf+xml": ox.RdfFormat.RDF_XML}


class SparqlHttp:
    """The three endpoints, with errors turned into StoreError naming the URL and the server's message."""

    def __init__(self, spec: "RemoteSpec", timeout: float):
        self.spec, self.timeout = spec, timeout

    def open(self, method: str, url: str, *, data=None, headers=None, timeout=None, ok404=False):
        """The response (a file object to read and close), or None for a 404 when `ok404`."""
        request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
        try:
            return urllib.request.urlopen(request, timeout=timeout or self.timeout)
        except urllib.error.HTTPError as e:
            if ok404 and e.code == 404:
                return None
            message = e.read().decode("utf-8", "replace").strip()[:2000]
            if e.code == 400 and url == self.spec.query_url:
                raise SyntaxError(message or "the server refused the query") from None
            raise StoreError(f"the SPARQL server at {url} answered {e.code} {e.reason}: {message}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", None) or e
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                raise TimeoutError(f"the SPARQL server at {url} did not answer within "
                                   f"{timeout or self.timeout:g} s") from None
            raise StoreError(f"the SPARQL server at {url} cannot be reached: {reason}") from None

    def query(self, sparql: str, *, accept: str = _ACCEPT, default_graphs=(), named_graphs=(), timeout=None):
        fields = [("query", sparql)]
        fields += [("default-graph-uri", g) for g in default_graphs]
        fields += [("named-graph-uri", g) for g in named_graphs]
        return self.open("POST", self.spec.query_url, data=urllib.parse.urlencode(fields).encode(),
                         headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": accept},
                         timeout=timeout)

    def update(self, sparql_update: str) -> None:
        with self.open("POST", self.spec.update_url, data=sparql_update.encode("utf-8"),
                       headers={"Content-Type": "application/sparql-update"}):
            pass

    def gsp_url(self, graph: str) -> str:
        sep = "&" if "?" in self.spec.gsp_url else "?"
        return f"{self.spec.gsp_url}{sep}{urllib.parse.urlencode({'graph': graph})}"

    def upload(self, method: str, graph: str, path: Path) -> None:
        """PUT (replace) or POST (add) an N-Triples file to a graph, streamed."""
        with open(path, "rb") as body, self.open(
            method, self.gsp_url(graph), data=body,
            headers={"Content-Type": _NT, "Content-Length": str(path.stat().st_size)},
        ):
            pass

    def download(self, graph: str, output) -> None:
        """Write a graph as N-Triples to a binary file object (nothing for a graph the server does not have)."""
        response = self.open("GET", self.gsp_url(graph), headers={"Accept": _NT}, ok404=True)
        if response is None:
            return
        with response:
            shutil.copyfileobj(response, output, 1 << 20)


def results(response):
    """pyoxigraph results for a query response (CONSTRUCT/DESCRIBE give real QueryTriples)."""
    media_type = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    with response:
        body = response.read()
    if media_type in _RESULT_PARSERS:
        return ox.parse_query_results(body, format=_RESULT_PARSERS[media_type])
    if media_type in _GRAPH_PARSERS:
        # A small in-memory store turns the triples into pyoxigraph's own QueryTriples.
        graph = ox.Store()
        graph.bulk_load(input=body, format=_GRAPH_PARSERS[media_type])
        return graph.query("CONSTRUCT WHERE { ?s ?p ?o }")
    raise StoreError(f"the SPARQL server answered with an unexpected media type '{media_type}'")


def _term(term) -> str:
    """A pyoxigraph term in SPARQL syntax (IRIs, literals)."""
    return str(term)


def inline_substitutions(sparql: str, substitutions: dict | None) -> str:
    """The query with each bound variable written in as ``VALUES`` at the start of every group pattern.

    pyoxigraph binds variables before evaluation, everywhere in the query; the
    protocol has no such parameter. A one-row VALUES block first in every
    group (the WHERE group, sub-queries, OPTIONAL and UNION branches, GRAPH
    and EXISTS blocks) gives the same answers and lets the server start each
    part from the bound term, as substitution does: with VALUES in the outer
    group only, a UNION branch or a sub-query with LIMIT would be evaluated
    unbound first (measured: 0.6 s instead of 5 ms for an entity page). Only
    IRIs and literals are bound (see ``formats.bind``), written in their
    N-Triples form, so no text of the caller reaches the query unescaped.

    >>> inline_substitutions("SELECT ?o WHERE { ?s ?p ?o }", {ox.Variable("s"): ox.NamedNode("http://x/a")})
    'SELECT ?o WHERE { VALUES ?s { <http://x/a> } ?s ?p ?o }'
    >>> inline_substitutions("CONSTRUCT { ?s ?p ?o } { { SELECT ?s { ?s ?p ?o } LIMIT 1 } UNION { ?o ?p ?s } }",
    ...                      {ox.Variable("s"): ox.NamedNode("http://x/a")}).count("VALUES")
    3
    """
    if not substitutions:
        return sparql
    values = "".join(f" VALUES ?{var.value} {{ {_term(term)} }}" for var, term in substitutions.items())
    positions = _group_starts(sparql)
    if not positions:
        raise SyntaxError("a query with bound variables needs a WHERE group")
    for position in reversed(positions):
        sparql = sparql[:position] + values + sparql[position:]
    return sparql


_TOKEN = re.compile(r"""<[^<>"{}|^`\\\s]*>|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|#[^\n]*|[?$]\w+"""
                    r"""|\bCONSTRUCT\s+WHERE\b|\b(?:CONSTRUCT|VALUES)\b|\{|\}""", re.IGNORECASE)


_SUBSELECT = re.compile(r"\s*SELECT\b", re.IGNORECASE)


def _group_starts(sparql: str) -> list[int]:
    """Indexes just after each '{' that opens a group pattern: not a CONSTRUCT template nor a VALUES
    data block (IRIs, strings and comments skipped)."""
    starts, skip_next, skipping = [], False, 0
    for match in _TOKEN.finditer(sparql):
        token = match.group(0).upper()
        if skipping:
            skipping += {"{": 1, "}": -1}.get(token, 0)
        elif token in ("CONSTRUCT", "VALUES"):
            skip_next = True  # the next '{' opens a template or a data block
        elif token == "{" and skip_next:
            skipping, skip_next = 1, False
        elif token == "{" and not _SUBSELECT.match(sparql, match.end()):
            starts.append(match.end())  # (a sub-query's own group gets them: '{ SELECT' takes nothing else)
    return starts


class Buffered:
    """A response already read: headers and body, for _results."""

    def __init__(self, headers, body: bytes):
        self.headers, self._body = headers, body

    def read(self) -> bytes:
        return self._body

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

