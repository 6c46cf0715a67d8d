"""Writes to a remote store: changes staged in graphs of their own, switched in by one Update (see remote.py)."""

import re
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .errors import StoreError
from .remote import CONTROL, OURS, STAGING, STORE_NODE, VERSION
from .remote_http import Buffered, inline_substitutions, results

if TYPE_CHECKING:
    from .remote import RemoteStore


class RemoteTransaction:
    """Changes staged on the server, not visible to readers until the transaction ends.

    Same methods and attributes as store.Transaction (see its docstring):
    `touched`, the live IRIs of the graphs this transaction replaced, cleared
    or changed; `previous_dir`, the state folder of the version it started
    from (None if this machine has none); `loaded`, graph → (N-Quads file,
    triples) for a graph that holds exactly that file; `dir`, the new
    version's folder.
    """

    def __init__(self, store: "RemoteStore", folder: Path, previous: Path | None):
        self._store, self._http = store, store.http
        self.dir = folder
        self.previous_dir = previous
        self.touched: set[str] = set()
        self.loaded: dict[str, tuple[Path, int]] = {}
        self._prefix = f"{STAGING}{uuid.uuid4().hex[:12]}:"
        self._default = self._prefix + "default"  #: the new default graph, once a change is made
        self._staged: dict[str, str] = {}  #: live IRI → staging IRI
        self._empty: set[str] = set()  #: staged graphs that hold nothing now
        self._live = None  #: live data graphs when the transaction started
        self._begun = False  #: whether the new default graph was made

    # Staging -------------------------------------------------------------------------------------

    def _live_graphs(self) -> set[str]:
        if self._live is None:
            self._live = set(self._store.named_graphs())
        return self._live

    def _begin(self) -> None:
        """Copy the live default graph once, before the first change (the new default graph starts as it)."""
        if self._begun:
            return
        self._begun = True
        self._live_graphs()
        self._http.update(f"DROP SILENT GRAPH <{self._default}> ;\nADD SILENT DEFAULT TO GRAPH <{self._default}>")

    def _stage(self, graph: str, copy: bool) -> str:
        """The staging IRI of `graph`, copying the live content there first when `copy`."""
        self._begin()
        self.loaded.pop(graph, None)
        if graph not in self._staged:
            staging = self._prefix + graph
            if copy:
                self._http.update(f"DROP SILENT GRAPH <{staging}> ;\nADD SILENT GRAPH <{graph}> TO GRAPH <{staging}>")
            self._staged[graph] = staging
            self.touched.add(graph)
        return self._staged[graph]

    def _forget(self, source: str, pattern: str = "?s ?p ?o") -> str:
        """Update text removing, from the new default graph, triples of `source` matching `pattern`
        that no other graph of the new state holds."""
        others = ", ".join(f"<{g}>" for g in [self._default, CONTROL, source, *self._staged])
        s, p, o = pattern.split()
        return (f"DELETE {{ GRAPH <{self._default}> {{ {s} {p} {o} }} }} WHERE {{ GRAPH <{source}> {{ {pattern} }} "
                f"FILTER NOT EXISTS {{ GRAPH ?other {{ {s} {p} {o} }} FILTER(?other NOT IN ({others})) }} }}")

    def _current(self, graph: str) -> str:
        return self._staged.get(graph, graph)

    def _replace_with(self, graph: str, triples: Path | None) -> None:
        """Make `graph` hold exactly the triples of an N-Triples file (nothing for None)."""
        self._begin()
        source = self._current(graph)
        staging = self._stage(graph, copy=False)
        steps = [self._forget(source)] if graph in self._live_graphs() or source == staging else []
        steps.append(f"DROP SILENT GRAPH <{staging}>")
        self._http.update(" ;\n".join(steps))
        if triples is None or triples.stat().st_size == 0:
            self._empty.add(graph)
            return
        self._http.upload("PUT", staging, triples)
        self._empty.discard(graph)
        self._http.update(f"ADD SILENT GRAPH <{staging}> TO GRAPH <{self._default}>")

    def _append(self, graph: str, triples: Path) -> None:
        staging = self._stage(graph, copy=True)
        if triples.stat().st_size == 0:
            return
        # Uploaded once, then copied on the server: two uploads could give a blank node two identities.
        scratch = self._prefix + "scratch"
        self._http.upload("PUT", scratch, triples)
        self._http.update(f"ADD GRAPH <{scratch}> TO GRAPH <{staging}> ;\n"
                          f"ADD GRAPH <{scratch}> TO GRAPH <{self._default}> ;\nDROP SILENT GRAPH <{scratch}>")
        self._empty.discard(graph)

    # The Transaction methods ----------------------------------------------------------------------

    def replace_graph(self, graph: str, path: Path) -> None:
        """Make a named graph hold exactly the triples of an N-Quads file whose quads are all in `graph`."""
        with tempfile.TemporaryDirectory(prefix="ftm-graph-remote-") as tmp:
            triples = Path(tmp) / "graph.nt"
            try:
                ox.serialize((q.triple for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)),
                             str(triples), format=ox.RdfFormat.N_TRIPLES)
            except SyntaxError as e:
                raise StoreError(f"{path}: not valid N-Quads: {e}") from None
            self._replace_with(graph, triples)
        self.loaded[graph] = (path, self.graph_size(graph))

    def graph_size(self, graph: str) -> int:
        """How many triples a named graph holds now."""
        if graph in self._empty:
            return 0
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{self._current(graph)}> {{ ?s ?p ?o }} }}"
        return int(next(iter(self._store.query(query)))["n"].value)

    def triples(self, subject: str | None = None, predicate: str | None = None, obj: str | None = None):
        """The new default graph's triples matching IRIs (None: any), as pyoxigraph Quads (see store.Transaction)."""
        terms = [f"<{v}>" if v is not None else f"?{n}" for n, v in (("s", subject), ("p", predicate), ("o", obj))]
        if all(v is not None for v in (subject, predicate, obj)):
            found = self.query(f"ASK {{ {' '.join(terms)} }}")
            return [ox.Quad(ox.NamedNode(subject), ox.NamedNode(predicate), ox.NamedNode(obj))] if found else []
        fixed = {"s": subject, "p": predicate, "o": obj}
        quads = []
        for row in self.query(f"SELECT * WHERE {{ {' '.join(terms)} }}"):
            s, p, o = (row[n] if fixed[n] is None else ox.NamedNode(fixed[n]) for n in ("s", "p", "o"))
            quads.append(ox.Quad(s, p, o))
        return quads

    def clear_graph(self, graph: str) -> None:
        """Remove every triple of a named graph (and from the default graph those no other graph holds)."""
        if graph not in self._staged and graph not in self._live_graphs():
            return
        self._replace_with(graph, None)

    def remove_subject(self, subject: str, graph: str) -> None:
        """Remove the statements about `subject` in `graph` (and from the default graph unless another graph has them)."""
        if graph not in self._staged and graph not in self._live_graphs():
            return
        staging = self._stage(graph, copy=True)
        self._http.update(self._forget(staging, f"<{subject}> ?p ?o") +
                          f" ;\nDELETE WHERE {{ GRAPH <{staging}> {{ <{subject}> ?p ?o }} }}")

    def load_text(self, text: str, *, graph: str, fmt: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> None:
        """Add RDF text to a named graph (for small descriptions such as provenance)."""
        triples = ox.parse(text.encode("utf-8"), format=fmt)
        self._append_triples(graph, (t.triple if isinstance(t, ox.Quad) else t for t in triples))

    def _append_triples(self, graph: str, triples) -> None:
        with tempfile.TemporaryDirectory(prefix="ftm-graph-remote-") as tmp:
            path = Path(tmp) / "add.nt"
            ox.serialize(triples, str(path), format=ox.RdfFormat.N_TRIPLES)
            self._append(graph, path)

    def load_file(self, path: Path, *, graph: str | None = None, fmt: ox.RdfFormat | None = None,
                  replace: bool = False) -> set[str]:
        """Load an RDF file and return the graphs it went to (see store.Transaction.load_file)."""
        from .store import rdf_format

        fmt = fmt or rdf_format(path)
        if not fmt.supports_datasets and graph is None:
            raise StoreError(f"{path}: {fmt.name} has no graphs; say which named graph it goes to")
        with tempfile.TemporaryDirectory(prefix="ftm-graph-remote-") as tmp:
            files: dict[str, Path] = {}
            outs = {}
            try:
                for quad in ox.parse(path=str(path), format=fmt):
                    name = graph or (quad.graph_name.value if isinstance(quad, ox.Quad)
                                     and isinstance(quad.graph_name, ox.NamedNode) else None)
                    if name is None:
                        raise StoreError(f"{path}: has triples outside any named graph; load it with --graph IRI")
                    if name not in outs:
                        files[name] = Path(tmp) / f"{len(files)}.nt"
                        outs[name] = open(files[name], "wb")
                    triple = quad.triple if isinstance(quad, ox.Quad) else quad
                    outs[name].write(str(triple).encode("utf-8") + b" .\n")
            except SyntaxError as e:
                raise StoreError(f"{path}: not valid {fmt.name}: {e}") from None
            except OSError as e:
                raise StoreError(f"{path}: cannot be read: {e.strerror or e}") from None
            finally:
                for out in outs.values():
                    out.close()
            for name, triples in files.items():
                if replace:
                    self._replace_with(name, triples)
                else:
                    self._append(name, triples)
        return set(files)

    def replace_descriptions(self, path: Path, *, graph: str, base_iri: str) -> None:
        """Load a Turtle file into `graph`, first removing what `graph` said about the file's subjects."""
        from .store import rdf_format

        try:
            triples = list(ox.parse(path=str(path), format=rdf_format(path), base_iri=base_iri))
        except SyntaxError as e:
            raise StoreError(f"{path}: not valid Turtle: {e}") from None
        for subject in sorted({t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}):
            self.remove_subject(subject, graph)
        self._append_triples(graph, (t.triple if isinstance(t, ox.Quad) else t for t in triples))

    def update(self, sparql_update: str, *, graph: str) -> None:
        """Not available on a remote store: an arbitrary Update cannot be staged graph by graph."""
        raise StoreError("SPARQL Update through ftm-graph is not available on a remote store; "
                         "send it to the SPARQL server's own update endpoint, or replace graphs through /store")

    def dump_graph(self, graph: str, output) -> None:
        """Write one named graph, as this transaction left it, as N-Triples to a binary file object."""
        if graph in self._empty:
            return
        self._http.download(self._current(graph), output)

    def query(self, sparql: str, substitutions=None, **kwargs):
        """Query the new state as it is so far (staging graphs standing in for the live ones they replace).

        The dataset is always explicit (the data graphs, the new default graph), so our control graph
        stays out of ``GRAPH ?g`` listings.
        """
        if kwargs:
            return self._store.query(sparql, substitutions=substitutions, **kwargs)
        self._begin()
        named = sorted((self._live_graphs() - set(self._staged)) |
                       {staging for graph, staging in self._staged.items() if graph not in self._empty})
        staged = self._staged
        text = re.sub(r"(\bGRAPH\s*)<([^<>\s]*)>",
                      lambda m: m.group(1) + f"<{staged.get(m.group(2), m.group(2))}>", sparql, flags=re.IGNORECASE)
        response = self._http.query(inline_substitutions(text, substitutions), default_graphs=[self._default],
                                    named_graphs=named or [OURS + "nothing"])  # never the server's own
        with response:
            body = response.read().replace(self._prefix.encode("utf-8"), b"")
        return results(Buffered(response.headers, body))

    def __len__(self) -> int:
        rows = self.query("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        return int(next(iter(rows))["n"].value)

    # Ending --------------------------------------------------------------------------------------

    def _switch(self, start: int, number: int) -> str:
        """The one Update request that makes the staged state live and bumps the version.

        The staging graphs are dropped afterwards (:meth:`_drop_staging`), outside this request:
        they are invisible to readers, and the switch then writes only what changes.
        """
        steps = []
        for graph in self._staged:
            # The live default graph loses what the old graph held and the new state does not...
            steps.append(f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} "
                         f"FILTER NOT EXISTS {{ GRAPH <{self._default}> {{ ?s ?p ?o }} }} }}")
        for graph, staging in self._staged.items():
            # ...and gains what the new graph holds; then the new graph takes the old one's place.
            steps.append(f"DROP SILENT GRAPH <{graph}>")
            if graph not in self._empty:
                steps.append(f"INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH <{staging}> {{ ?s ?p ?o }} }}")
                steps.append(f"INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} "
                             f"WHERE {{ GRAPH <{staging}> {{ ?s ?p ?o }} }}")
        steps.append(f"DELETE WHERE {{ GRAPH <{CONTROL}> {{ <{STORE_NODE}> <{VERSION}> ?v }} }}")
        steps.append(f"INSERT DATA {{ GRAPH <{CONTROL}> {{ <{STORE_NODE}> <{VERSION}> {number} }} }}")
        return " ;\n".join(steps)

    def _drop_staging(self) -> None:
        """Best effort: drop this transaction's staging graphs (a later writer drops any that remain)."""
        drops = [f"DROP SILENT GRAPH <{g}>" for g in [self._default, self._prefix + "scratch", *self._staged.values()]]
        try:
            self._http.update(" ;\n".join(drops))
        except (StoreError, TimeoutError):
            pass
