"""The on-disk store: immutable pyoxigraph generations, switched atomically.

The embedded store (``remote.py`` is the other kind, over a SPARQL server). A store folder holds:

- ``ftm-graph.json``: the store's format and the base URI its IRIs use;
- ``gen-000001/``, ``gen-000002/``, …: generations, never written after they
  are published, each holding the pyoxigraph store (``oxigraph/``) and files
  derived from it at write time (e.g. a search index), see
  :attr:`Transaction.dir` and :attr:`Store.generation_dir`;
- ``CURRENT``: the name of the live generation, replaced with ``os.replace``;
- ``write.lock``: held (``flock``) by the one process that writes.

A write (:meth:`Store.transaction`) checkpoints the live generation into a new
folder (RocksDB checkpoints use hard links, so this is cheap), changes the
copy, and publishes it by rewriting ``CURRENT``. An error or a kill at any
point leaves ``CURRENT`` on the old generation, so the store is exactly as it
was. Readers open the live generation read-only and move to a newer one on
:meth:`Store.refresh`; a generation is deleted only when no reader holds it.

Every triple lives in a named graph (one per source file). The default graph
is derived: it holds the RDF merge of all named graphs, kept up to date by
each transaction, so that a query without ``GRAPH`` sees each triple once.
(pyoxigraph 0.5's ``use_default_graph_as_union`` matches a triple once per
graph holding it, which inflates COUNT and SUM; see oxigraph issue #1919.)
"""

import fcntl
import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from .errors import StoreError

FORMAT_VERSION = 1
CONFIG = "ftm-graph.json"
OXIGRAPH = "oxigraph"  #: the pyoxigraph store inside a generation folder
#: Files above this size (bytes) are merged into the default graph by streaming, not in one Update.
LARGE_FILE = 200 * 1024 * 1024
#: Files below this size (bytes) are loaded with Store.load (one transaction in memory) rather than bulk_load,
#: whose fixed cost (sorted files handed to RocksDB) dominates for small files such as the ontology's.
SMALL_FILE = 4 * 1024 * 1024

#: File suffix → pyoxigraph format, for `ftm-graph load` and dumps.
RDF_FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
    ".n3": ox.RdfFormat.N3,
}

DUMP_FORMATS: dict[str, ox.RdfFormat] = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}


def rdf_format(path: Path) -> ox.RdfFormat:
    """The RDF syntax of a file, from its suffix (``.gz`` is not supported)."""
    try:
        return RDF_FORMATS[path.suffix.lower()]
    except KeyError:
        known = ", ".join(sorted(RDF_FORMATS))
        raise StoreError(f"{path}: unknown RDF file type '{path.suffix}'; expected one of {known}") from None


def _gen_name(number: int) -> str:
    return f"gen-{number:06d}"


def _gen_number(name: str) -> int:
    return int(name.removeprefix("gen-"))


def create_store(path: str | Path, base_uri: str) -> Path:
    """Make an empty store folder (idempotent for an existing store). Returns its path.

    Refuses a folder that exists, is not empty and is not an ftm-graph store.
    """
    path = Path(path)
    if (path / CONFIG).is_file():
        return path
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise StoreError(f"{path} is not an ftm-graph store and is not empty; choose a new or empty folder")
    path.mkdir(parents=True, exist_ok=True)
    tmp = path / (CONFIG + ".tmp")
    tmp.write_text(json.dumps({"format": FORMAT_VERSION, "base_uri": base_uri}, indent=2) + "\n")
    os.replace(tmp, path / CONFIG)
    return path


def _read_config(path: Path) -> dict:
    config_file = path / CONFIG
    if not path.exists():
        raise StoreError(f"there is no store at {path}; create one with 'ftm-graph ingest' or 'ftm-graph demo'")
    if not config_file.is_file():
        raise StoreError(f"{path} is not an ftm-graph store (it has no {CONFIG})")
    try:
        config = json.loads(config_file.read_text())
    except (OSError, ValueError) as e:
        raise StoreError(f"{config_file} cannot be read: {e}") from None
    if config.get("format") != FORMAT_VERSION:
        raise StoreError(f"{path} has store format {config.get('format')}, this ftm-graph reads {FORMAT_VERSION}")
    return config


def _current(path: Path) -> str | None:
    try:
        name = (path / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return name or None


class Store:
    """A read-only view of the live generation of a store folder.

    >>> import tempfile
    >>> folder = create_store(tempfile.mkdtemp() + "/s", "http://example.org/")
    >>> writer = Store(folder)
    >>> with writer.transaction() as tx:
    ...     tx.load_text('<http://example.org/id/a> <http://example.org/p> "b" .', graph="http://example.org/graph/g")
    >>> with Store(folder) as store:
    ...     bool(store.query('ASK { <http://example.org/id/a> ?p "b" }'))
    True
    >>> writer.close()
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._store: ox.Store | None = None
        self._reader_lock = None
        self.generation_dir: Path | None = None
        config = _read_config(self.path)
        #: base of the data IRIs, fixed when the store was created
        self.base_uri: str = config["base_uri"]
        #: number of the generation this view reads; 0 for an empty store
        self.generation = 0
        self.refresh()

    def refresh(self) -> bool:
        """Move to the newest published generation. Returns True if it changed."""
        name = _current(self.path)
        number = _gen_number(name) if name else 0
        if number == self.generation and (self._store is not None or number == 0):
            return False
        if name is None:
            self._close()
            return False
        lock = open(self.path / name / "reader.lock", "a")
        fcntl.flock(lock, fcntl.LOCK_SH)
        try:
            store = ox.Store.read_only(str(self.path / name / OXIGRAPH))
        except OSError as e:
            lock.close()
            raise StoreError(f"the store at {self.path} cannot be opened: {e}") from None
        self._close()
        self._store, self._reader_lock, self.generation = store, lock, number
        #: folder of the live generation: files derived at write time live beside its ``oxigraph/``
        self.generation_dir: Path | None = self.path / name
        return True

    def close(self) -> None:
        """Let go of the generation (its folder may then be pruned by a writer)."""
        self._close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self._close()

    def __del__(self):
        self._close()

    def _close(self):
        self._store = None
        if self._reader_lock is not None:
            self._reader_lock.close()
            self._reader_lock = None

    def __len__(self) -> int:
        return len(self._store) if self._store is not None else 0

    def query(self, sparql: str, *, substitutions=None, default_graph=None, named_graphs=None):
        """Run a SPARQL query; the default graph is the merge of all named graphs unless `default_graph` is given.

        Returns pyoxigraph's QuerySolutions, QueryBoolean or QueryTriples.
        Raises SyntaxError for a malformed query.
        """
        store = self._store if self._store is not None else ox.Store()
        return store.query(sparql, default_graph=default_graph, named_graphs=named_graphs, substitutions=substitutions)

    def named_graphs(self) -> list[str]:
        """IRIs of the named graphs, sorted."""
        if self._store is None:
            return []
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def dump(self, output, fmt: str = "nquads", graph: str | None = None) -> None:
        """Write every named graph (or one graph, as N-Triples) to a binary file object.

        The derived default graph is left out: loading the dump elsewhere gives the same quads.
        """
        if self._store is None:
            return
        if graph is not None:
            self._store.dump(output, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))
            return
        quads = (q for q in self._store.quads_for_pattern(None, None, None) if not isinstance(q.graph_name, ox.DefaultGraph))
        ox.serialize(quads, output, format=DUMP_FORMATS[fmt])

    @contextmanager
    def transaction(self) -> Iterator["Transaction"]:
        """Change a new generation and publish it when the block ends without error.

        Only one process writes at a time: a second writer gets a StoreError
        at once rather than waiting.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        lock = open(self.path / "write.lock", "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise StoreError(
                f"the store at {self.path} is locked: another ftm-graph process is writing to it; "
                "try again when it has finished"
            ) from None
        try:
            for leftover in self.path.glob("gen-*.staging"):
                shutil.rmtree(leftover)
            current = _current(self.path)
            number = (_gen_number(current) if current else 0) + 1
            staging = self.path / (_gen_name(number) + ".staging")
            staging.mkdir()
            if current:
                ox.Store.read_only(str(self.path / current / OXIGRAPH)).backup(str(staging / OXIGRAPH))
            tx = Transaction(ox.Store(str(staging / OXIGRAPH)), staging,
                             previous_dir=self.path / current if current else None)
            try:
                yield tx
                tx._store.flush()
            except BaseException:
                tx._store = None
                shutil.rmtree(staging, ignore_errors=True)
                raise
            tx._store = None  # closes the RocksDB handle before publishing
            final = self.path / _gen_name(number)
            os.rename(staging, final)
            tmp = self.path / "CURRENT.tmp"
            with open(tmp, "w") as f:
                f.write(final.name + "\n")
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path / "CURRENT")
            self._prune(keep={final.name, current})
        finally:
            lock.close()
        self.refresh()

    def _prune(self, keep: set) -> None:
        """Delete generations that are neither live, previous, nor held by a reader."""
        for gen in self.path.glob("gen-[0-9]*"):
            if gen.name in keep or gen.suffix == ".staging":
                continue
            with open(gen / "reader.lock", "a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                shutil.rmtree(gen, ignore_errors=True)


class _Thread(threading.Thread):
    """A call run in a thread whose exception, if any, `join` raises in the caller."""

    def __init__(self, call, **kwargs):
        super().__init__(daemon=True)
        self._call, self._kwargs, self._error = call, kwargs, None
        self.start()

    def run(self) -> None:
        try:
            self._call(**self._kwargs)
        except BaseException as e:  # noqa: BLE001 - handed to the caller by join()
            self._error = e

    def join(self, timeout=None) -> None:
        super().join(timeout)
        if self._error is not None:
            raise self._error


def _strip_graph(path: Path, graph: str) -> Path | None:
    """Write the N-Quads file's lines as N-Triples beside it, or None if a line is not in `graph`.

    Works on blocks of whole lines with bytes methods (C loops): half the CPU time of a loop over lines
    in Python (0.5 s against 1.1 s for 660k quads). A line ends only after its final `` .`` (newlines in literals are escaped, N-Quads §2), so
    a block whose every line ends with the graph's suffix holds it once a line, at the end.
    """
    suffix = f" <{graph}> .\n".encode()
    out_path = path.with_suffix(".default.nt")
    with open(path, "rb") as lines, open(out_path, "wb") as out:
        while block := lines.read(1 << 22):
            block += lines.readline()  # whole lines only
            if block.count(suffix) != block.count(b"\n") or not block.endswith(suffix):
                out.close()
                out_path.unlink()
                return None
            out.write(block.replace(suffix, b" .\n"))
    return out_path


class Transaction:
    """Changes to a generation that is not published yet (see Store.transaction).

    Data goes to named graphs only; the default graph (the merge of all named
    graphs) follows each change.

    A transaction records what it changed, so that the files derived at write
    time (``sources.DERIVED``) can redo only the part that changed:

    - ``touched``: the IRIs of the named graphs that a call replaced, cleared,
      loaded into or updated (whether or not their content ended up different;
      an ``update`` touches every graph, since it may write anywhere);
      a graph not in it holds exactly what it held in the previous generation;
    - ``previous_dir``: the folder of the generation this one started from,
      whose derived files describe the untouched graphs; None for the first.
    - ``loaded``: graph IRI → (N-Quads file, triples) for a graph whose
      content is exactly that file's quads (duplicates aside) and that many
      triples, because it was bulk-loaded from it and not changed since.
      Optional: a builder that finds nothing here reads the store.
    """

    def __init__(self, store: ox.Store, folder: Path, previous_dir: Path | None = None):
        self._store = store
        #: the new generation's folder: derived files written here are published with it
        self.dir = folder
        self.previous_dir = previous_dir
        self.touched: set[str] = set()
        self.loaded: dict[str, tuple[Path, int]] = {}
        #: graph IRI -> the properties it uses, for a graph in ``loaded`` (counted with its size: one scan)
        self.properties: dict[str, set[str]] = {}

    def _touch(self, graph: str) -> None:
        self.touched.add(graph)
        self.loaded.pop(graph, None)
        self.properties.pop(graph, None)

    def clear_graph(self, graph: str) -> None:
        """Remove every quad of a named graph, and its triples that no other graph holds from the default graph."""
        self._touch(graph)
        if not self._store.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"):
            return  # nothing to remove (the usual case on a first ingest): skip two costly deletes
        self._store.update(
            f"""DELETE {{ ?s ?p ?o }} WHERE {{
                  GRAPH <{graph}> {{ ?s ?p ?o }}
                  FILTER NOT EXISTS {{ GRAPH ?other {{ ?s ?p ?o }} FILTER(?other != <{graph}>) }}
                }}"""
        )
        self._store.remove_graph(ox.NamedNode(graph))

    def replace_graph(self, graph: str, path: Path) -> None:
        """Make a named graph hold exactly the triples of an N-Quads file whose quads are all in `graph`.

        A graph seen for the first time is bulk-loaded. Otherwise only the
        difference is written (re-ingesting a file that changed little is
        cheap: removing quads one by one is Oxigraph's slowest operation);
        graphs from files over LARGE_FILE are cleared and reloaded instead.
        """
        node = ox.NamedNode(graph)
        self._touch(graph)
        large = path.stat().st_size > LARGE_FILE
        exists = bool(self._store.query(f"ASK {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))
        if not exists or large:
            self.clear_graph(graph)
            try:
                # The named graph loads in a thread while the default graph's copy is made and loaded
                # here: a bulk load holds no GIL and keeps about one core busy, so on two cores both
                # take about the time of one (660k triples, quiet machine: 20.5 s in turn, 13.7 s so).
                # Each load writes SST files of random names and ingests them: they do not collide.
                named = _Thread(self._store.bulk_load, path=str(path), format=ox.RdfFormat.N_QUADS, to_graph=node)
                try:
                    triples = _strip_graph(path, graph)
                    if triples is not None:
                        # A second bulk load of the same triples into the default graph is about 4x
                        # faster than SPARQL ADD and 3x faster than copying quad objects in Python.
                        try:
                            self._store.bulk_load(path=str(triples), format=ox.RdfFormat.N_TRIPLES,
                                                  to_graph=ox.DefaultGraph())
                        finally:
                            triples.unlink()
                finally:
                    named.join()
                if triples is None:  # quads of other graphs in the file: merge what the named graph got
                    self._merge_into_default(graph, large=large)
            except SyntaxError as e:
                raise StoreError(f"{path}: not valid N-Quads: {e}") from None
            self._record_load(graph, path)
            return
        new = {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS)}
        old = {ox.Triple(q.subject, q.predicate, q.object) for q in self._store.quads_for_pattern(None, None, None, node)}
        default = ox.DefaultGraph()
        for t in old - new:
            self._store.remove(ox.Quad(t.subject, t.predicate, t.object, node))
            others = self._store.quads_for_pattern(t.subject, t.predicate, t.object, None)
            if not any(not isinstance(q.graph_name, ox.DefaultGraph) for q in others):
                self._store.remove(ox.Quad(t.subject, t.predicate, t.object, default))
        added = new - old
        self._store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, node) for t in added)
        self._store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, default) for t in added)
        self._record_load(graph, path)

    def _record_load(self, graph: str, path: Path) -> None:
        """Note that `graph` now holds exactly the quads of `path`, with its size and properties.

        One scan of the graph's index, grouped by property, gives both (as cheap as COUNT alone);
        the publish step would otherwise scan the graph again for the properties.
        """
        query = f"SELECT ?p (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} GROUP BY ?p"
        counts = {row["p"].value: int(row["n"].value) for row in self._store.query(query)}
        self.loaded[graph] = (path, sum(counts.values()))
        self.properties[graph] = set(counts)

    def update(self, sparql_update: str, *, graph: str) -> None:
        """Run a SPARQL Update against the named graphs; what it writes outside any GRAPH goes to `graph`.

        The default graph is emptied first (so the update sees only named graphs) and rebuilt as their
        merge afterwards: a whole-store rewrite, fine for occasional administrative writes.
        It touches every named graph (those there before and after): it may write to any.
        """
        for name in self._named_graph_iris():
            self._touch(name)
        for step in ("CLEAR DEFAULT", sparql_update,
                     f"INSERT {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
                     "CLEAR DEFAULT",
                     "INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"):
            self._store.update(step)
        for name in self._named_graph_iris():
            self._touch(name)

    def _named_graph_iris(self) -> list[str]:
        return [g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)]

    def graph_size(self, graph: str) -> int:
        """How many triples a named graph holds (a count over the graph's own index: no whole-store scan)."""
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        return int(next(iter(self._store.query(query)))["n"].value)

    def remove_subject(self, subject: str, graph: str) -> None:
        """Remove the statements about `subject` in `graph` (and from the default graph unless another graph has them)."""
        self._touch(graph)
        self._store.update(
            f"""DELETE {{ <{subject}> ?p ?o }} WHERE {{
                  GRAPH <{graph}> {{ <{subject}> ?p ?o }}
                  FILTER NOT EXISTS {{ GRAPH ?other {{ <{subject}> ?p ?o }} FILTER(?other != <{graph}>) }}
                }};
                DELETE WHERE {{ GRAPH <{graph}> {{ <{subject}> ?p ?o }} }}"""
        )

    def load_file(
        self, path: Path, *, graph: str | None = None, fmt: ox.RdfFormat | None = None, replace: bool = False
    ) -> set[str]:
        """Bulk-load an RDF file and return the graphs it went to.

        Triples go to `graph`; quads keep their graph unless `graph` is
        given. With `replace`, those graphs are emptied first. Raises
        StoreError naming the file and position on a syntax error.
        """
        fmt = fmt or rdf_format(path)
        if not fmt.supports_datasets and graph is None:
            raise StoreError(f"{path}: {fmt.name} has no graphs; say which named graph it goes to")
        touched: set[str] = set()
        target = ox.NamedNode(graph) if graph else None
        if replace:
            for name in [graph] if graph else self._graphs_in(path, fmt):
                self.clear_graph(name)

        def quads():
            for quad in ox.parse(path=str(path), format=fmt):
                g = target or quad.graph_name
                if isinstance(g, ox.DefaultGraph):
                    raise StoreError(f"{path}: has triples outside any named graph; load it with --graph IRI")
                touched.add(g.value)
                yield ox.Quad(quad.subject, quad.predicate, quad.object, g)

        small = target is not None and not fmt.supports_datasets and path.stat().st_size < SMALL_FILE
        try:
            if small:
                # The same triples into the default graph directly: cheaper than merging the whole graph.
                for to_graph in (target, ox.DefaultGraph()):
                    self._store.load(path=str(path), format=fmt, to_graph=to_graph)
                self._touch(graph)
                return {graph}
            if fmt.supports_datasets or target is None:
                self._store.bulk_extend(quads())
            else:
                self._store.bulk_load(path=str(path), format=fmt, to_graph=target)
                touched.add(graph)
        except SyntaxError as e:
            raise StoreError(f"{path}: not valid {fmt.name}: {e}") from None
        except OSError as e:
            raise StoreError(f"{path}: cannot be read: {e.strerror or e}") from None
        for name in touched:
            self._touch(name)
            self._merge_into_default(name, large=path.stat().st_size > LARGE_FILE)
        return touched

    def replace_descriptions(self, path: Path, *, graph: str, base_iri: str) -> None:
        """Load a Turtle file into `graph`, first removing what `graph` said about the file's subjects."""
        try:
            triples = list(ox.parse(path=str(path), format=rdf_format(path), base_iri=base_iri))
        except SyntaxError as e:
            raise StoreError(f"{path}: not valid Turtle: {e}") from None
        for subject in {t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode)}:
            self.remove_subject(subject, graph)
        target = ox.NamedNode(graph)
        self._touch(graph)
        self._store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, target) for t in triples)
        self._merge_into_default(graph)

    @staticmethod
    def _graphs_in(path: Path, fmt: ox.RdfFormat) -> set[str]:
        try:
            return {q.graph_name.value for q in ox.parse(path=str(path), format=fmt)
                    if isinstance(q.graph_name, ox.NamedNode)}
        except SyntaxError as e:
            raise StoreError(f"{path}: not valid {fmt.name}: {e}") from None
        except OSError as e:
            raise StoreError(f"{path}: cannot be read: {e.strerror or e}") from None

    def load_text(self, text: str, *, graph: str, fmt: ox.RdfFormat = ox.RdfFormat.N_TRIPLES) -> None:
        """Load RDF text into a named graph (for small descriptions such as provenance)."""
        self._touch(graph)
        data = text.encode()
        for to_graph in (ox.NamedNode(graph), ox.DefaultGraph()):  # a transaction each: no bulk_load fixed cost
            self._store.load(input=data, format=fmt, to_graph=to_graph)

    def _merge_into_default(self, graph: str, large: bool = False) -> None:
        """Add a named graph's triples to the default graph (which, being a set, keeps each triple once)."""
        if not large:
            # SPARQL 1.1 Update §3.2.5 ADD: evaluated in Rust, about the cost of a bulk load of the graph.
            self._store.update(f"ADD GRAPH <{graph}> TO DEFAULT")
            return
        # Memory-safe for very large graphs (Update works in one in-memory transaction), about 3x slower.
        node = ox.NamedNode(graph)
        self._store.bulk_extend(
            ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
            for q in self._store.quads_for_pattern(None, None, None, node)
        )

    def dump_graph(self, graph: str, output) -> None:
        """Write one named graph as N-Triples to a binary file object (Oxigraph's dump: no query engine)."""
        self._store.dump(output, format=ox.RdfFormat.N_TRIPLES, from_graph=ox.NamedNode(graph))

    def triples(self, subject: str | None = None, predicate: str | None = None, obj: str | None = None):
        """The default graph's triples matching IRIs (None: any), as pyoxigraph Quads: an index lookup.

        Cheaper than a query with a VALUES block of many IRIs, which Oxigraph joins by scanning the store.
        """
        iri = lambda value: None if value is None else ox.NamedNode(value)  # noqa: E731
        return self._store.quads_for_pattern(iri(subject), iri(predicate), iri(obj), ox.DefaultGraph())

    def query(self, sparql: str, **kwargs):
        """Query the new generation as it is so far."""
        return self._store.query(sparql, **kwargs)

    def __len__(self) -> int:
        return len(self._store)


def union_graph(store: Store):
    """The whole store as one rdflib Graph (all named graphs merged), e.g. for SHACL validation."""
    import rdflib

    data = ox.serialize(store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"), format=ox.RdfFormat.N_TRIPLES)
    return rdflib.Graph().parse(data=data, format="nt")
