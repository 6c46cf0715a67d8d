"""A remote SPARQL 1.1 server as the store: same interface as :class:`ftm_graph.store.Store`.

Reads go through the SPARQL 1.1 Protocol (the query URL), writes through the
Graph Store HTTP Protocol (``gsp_url``) and SPARQL 1.1 Update (``update_url``).
Results are parsed into pyoxigraph's own objects (QuerySolutions,
QueryBoolean, QueryTriples), so pages, the endpoint and the derived builders
do not know which store they read.

The data model is the embedded store's: one named graph per source file, and
a default graph kept as the merge of the named graphs (each triple once; we
never rely on a server's "union default graph", which differs per product).
Two kinds of graph of our own live beside the data, under ``urn:x-ftm-graph:``
(never under the base URI, so no page or listing shows them):

- ``urn:x-ftm-graph:control`` holds the store's base URI and its **version**,
  a counter bumped by every write; :meth:`RemoteStore.refresh` reads it, so
  several web processes agree on what is live;
- ``urn:x-ftm-graph:staging:{tx}:{live IRI}`` are a transaction's new graphs,
  and ``urn:x-ftm-graph:staging:{tx}:default`` its new default graph.

A write (:meth:`RemoteStore.transaction`) never touches a live graph until it
ends: each changed graph is written to its staging graph (copied first when
the change is an edit), and the staging default graph follows every change.
``tx.query`` sees the new state (the staging graphs stand in for the live
ones through the protocol's ``named-graph-uri``/``default-graph-uri``, and
their IRIs are turned back into the live ones in the results). When the block
ends, **one** SPARQL Update request moves the staging graphs over the live
ones, corrects the live default graph and bumps the version: servers run one
Update request as one transaction, so readers see the old state or the new
one, never a mix. A failure drops the staging graphs and leaves the live ones
as they were.

Files derived at write time (search index, summaries, published dumps) live
in a local state folder, one ``gen-NNNNNN`` subfolder per version, like the
embedded store's generation folders; readers use the folder of the version
they see.
"""

import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox

from .errors import StoreError
from .remote_http import TSV, SparqlHttp, inline_substitutions, results

if TYPE_CHECKING:
    from .remote_tx import RemoteTransaction

OURS = "urn:x-ftm-graph:"
CONTROL = OURS + "control"  #: graph holding the base URI and the version
STORE_NODE = OURS + "store"
VERSION = OURS + "version"
_BASE = OURS + "baseUri"
STAGING = OURS + "staging:"
#: A SPARQL filter keeping only data graphs in ``?g``.
DATA_GRAPHS = f'FILTER(!STRSTARTS(STR(?g), "{OURS}"))'


def is_remote(location: str) -> bool:
    """True when a ``--store`` value names a SPARQL endpoint rather than a folder."""
    return str(location).startswith(("http://", "https://"))


@dataclass(frozen=True)
class RemoteSpec:
    """Where a remote store lives: picklable, so query workers can open their own connection."""

    query_url: str
    update_url: str = ""
    gsp_url: str = ""
    state_dir: str = "./data/remote-state"
    base_uri: str = ""  #: used when the server holds no ftm-graph control graph yet

    def __post_init__(self):
        # Oxigraph server's layout: /query, /update, /store.
        root = self.query_url[: -len("/query")] if self.query_url.endswith("/query") else None
        if not self.update_url:
            object.__setattr__(self, "update_url", root + "/update" if root else self.query_url)
        if not self.gsp_url:
            object.__setattr__(self, "gsp_url", root + "/store" if root else self.query_url)

    def __str__(self) -> str:
        return self.query_url


def spec_from_settings(settings) -> RemoteSpec:
    return RemoteSpec(settings.store, settings.update_url, settings.gsp_url, settings.state_dir, settings.base_uri)


def open_store(settings, create: bool = False):
    """The store named by the settings: a :class:`RemoteStore` for a URL, else the embedded Store."""
    if is_remote(settings.store):
        return RemoteStore(spec_from_settings(settings), create=create)
    from .store import Store, create_store

    if create:
        create_store(settings.store, settings.base_uri)
    return Store(settings.store)


def open_reader(location):
    """A store opened from what a query worker was given: a RemoteSpec or a folder path."""
    if isinstance(location, RemoteSpec):
        return RemoteStore(location)
    from .store import Store

    return Store(location)


# The store ---------------------------------------------------------------------------------------


class RemoteStore:
    """The live state of a remote SPARQL server, read through the SPARQL protocol.

    `refresh_interval`: seconds between two reads of the version counter
    (refresh() is called once per web request; reading the counter is one
    small query).
    """

    def __init__(self, spec: RemoteSpec, *, create: bool = False, timeout: float = 300.0,
                 refresh_interval: float = 1.0):
        self.spec = spec
        self.path = spec  #: what query workers are given to open their own connection
        self.http = SparqlHttp(spec, timeout)
        self.refresh_interval = refresh_interval
        self.state_dir = Path(spec.state_dir)
        self._checked = 0.0
        self._reader_lock = None
        self.generation = 0
        self.generation_dir: Path | None = None
        base, version = self._control()
        if base is None and create:
            if not spec.base_uri:
                raise StoreError(f"{spec.query_url}: holds no ftm-graph data and no base URI was given")
            self.http.update(f"INSERT DATA {{ GRAPH <{CONTROL}> {{ <{STORE_NODE}> <{_BASE}> "
                             f"{_literal(spec.base_uri)} ; <{VERSION}> 0 }} }}")
            base = spec.base_uri
        #: base of the data IRIs, kept in the server's control graph (the settings' base until the first write)
        self.base_uri: str = base or spec.base_uri
        self._move_to(version)

    # Reading -----------------------------------------------------------------------------------

    def _control(self) -> tuple[str | None, int]:
        rows = list(self.query(f"SELECT ?base ?version WHERE {{ GRAPH <{CONTROL}> {{ "
                               f"OPTIONAL {{ <{STORE_NODE}> <{_BASE}> ?base }} "
                               f"OPTIONAL {{ <{STORE_NODE}> <{VERSION}> ?version }} }} }}"))
        if not rows:
            return None, 0
        base, version = rows[0]["base"], rows[0]["version"]
        return (base.value if base is not None else None), (int(version.value) if version is not None else 0)

    def refresh(self, force: bool = False) -> bool:
        """Move to the server's current version (read at most every `refresh_interval` s). True if it changed."""
        now = time.monotonic()
        if not force and now - self._checked < self.refresh_interval:
            return False
        self._checked = now
        _, version = self._control()
        if version == self.generation and (self.generation_dir is not None or version == 0):
            return False
        changed = version != self.generation
        self._move_to(version)
        return changed

    def _move_to(self, version: int) -> None:
        folder = self.state_dir / _gen_name(version)
        lock = None
        if version and folder.is_dir():
            lock = open(folder / "reader.lock", "a")
            fcntl.flock(lock, fcntl.LOCK_SH)
        self._release()
        self.generation, self._reader_lock = version, lock
        self._checked = time.monotonic()
        #: this version's derived files (search index, summaries, dumps); None when this machine has none
        self.generation_dir = folder if lock is not None else None

    def _release(self) -> None:
        if self._reader_lock is not None:
            self._reader_lock.close()
            self._reader_lock = None

    def close(self) -> None:
        self._release()

    def __enter__(self) -> "RemoteStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        self._release()

    def __len__(self) -> int:
        """Quads in the named graphs (the derived default graph left out)."""
        rows = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {DATA_GRAPHS} }}")
        return int(next(iter(rows))["n"].value)

    def query(self, sparql: str, *, substitutions=None, default_graph=None, named_graphs=None, timeout=None):
        """Run a SPARQL query on the server; same arguments and results as Store.query.

        Raises SyntaxError when the server refuses the query (HTTP 400), TimeoutError past
        `timeout` seconds, StoreError for any other failure.
        """
        default = _iris(default_graph)
        named = _iris(named_graphs)
        if named_graphs is not None and default_graph is None:
            default = []  # the protocol's dataset: named graphs only, an empty default graph
        return results(self.http.query(inline_substitutions(sparql, substitutions),
                                        default_graphs=default, named_graphs=named, timeout=timeout))

    def named_graphs(self) -> list[str]:
        """IRIs of the data's named graphs, sorted (our control and staging graphs left out)."""
        return sorted(row["g"].value for row in self.query(f"SELECT ?g WHERE {{ GRAPH ?g {{ }} {DATA_GRAPHS} }}")
                      if isinstance(row["g"], ox.NamedNode))

    def dump(self, output, fmt: str = "nquads", graph: str | None = None) -> None:
        """Write every named graph (or one graph, as N-Triples) to a binary file object.

        The whole store comes from one query, so the dump is one consistent
        version even while a write goes on.
        """
        from .store import DUMP_FORMATS

        if graph is not None:
            self.http.download(graph, output)
            return
        response = self.http.query(f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {DATA_GRAPHS} }}",
                                   accept=TSV)
        with response:
            rows = ox.parse_query_results(response, format=ox.QueryResultsFormat.TSV)
            ox.serialize((ox.Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows), output, format=DUMP_FORMATS[fmt])

    # Writing -----------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator["RemoteTransaction"]:
        """Stage changes and switch them in with one Update when the block ends without error.

        One writer at a time: a second writer using the same state folder gets a
        StoreError at once (writers on other machines are not detected before the
        switch; run ingests from one place).
        """
        from .remote_tx import RemoteTransaction

        self.state_dir.mkdir(parents=True, exist_ok=True)
        lock = open(self.state_dir / "write.lock", "a")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise StoreError(f"the store at {self.spec.query_url} is locked: another ftm-graph process is "
                             f"writing to it (lock {self.state_dir / 'write.lock'}); "
                             "try again when it has finished") from None
        try:
            self._drop_leftovers()
            _, start = self._control()
            number = start + 1
            for leftover in self.state_dir.glob("gen-*.staging"):
                shutil.rmtree(leftover, ignore_errors=True)
            folder = self.state_dir / (_gen_name(number) + ".staging")
            folder.mkdir()
            previous = self.state_dir / _gen_name(start)
            tx = RemoteTransaction(self, folder, previous if start and previous.is_dir() else None)
            try:
                yield tx
                final = self.state_dir / _gen_name(number)
                shutil.rmtree(final, ignore_errors=True)
                os.rename(folder, final)
                folder = final
                _, now = self._control()
                if now != start:
                    raise StoreError(f"the store at {self.spec.query_url} changed during this write "
                                     f"(version {start} -> {now}): another writer; nothing was switched")
                self.http.update(tx._switch(start, number))
            except BaseException:
                tx._drop_staging()
                shutil.rmtree(folder, ignore_errors=True)
                raise
            tx._drop_staging()
            _write_current(self.state_dir, folder.name)
            self._prune(keep={folder.name, _gen_name(start)})
        finally:
            lock.close()
        self.refresh(force=True)

    def _drop_leftovers(self) -> None:
        """Drop staging graphs a killed writer left behind (they were never live)."""
        rows = self.query(f'SELECT ?g WHERE {{ GRAPH ?g {{ }} FILTER(STRSTARTS(STR(?g), "{STAGING}")) }}')
        drops = [f"DROP SILENT GRAPH <{row['g'].value}>" for row in rows]
        if drops:
            self.http.update(" ;\n".join(drops))

    def _prune(self, keep: set) -> None:
        """Delete version folders that are neither live, previous, nor held by a reader."""
        for gen in self.state_dir.glob("gen-[0-9]*"):
            if gen.name in keep or gen.suffix == ".staging":
                continue
            with open(gen / "reader.lock", "a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                shutil.rmtree(gen, ignore_errors=True)


def _gen_name(number: int) -> str:
    return f"gen-{number:06d}"


def _write_current(folder: Path, name: str) -> None:
    tmp = folder / "CURRENT.tmp"
    with open(tmp, "w") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, folder / "CURRENT")


def _literal(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid SPARQL string literal for these plain values


def _iris(graphs) -> list[str]:
    if graphs is None:
        return []
    if not isinstance(graphs, (list, tuple, set)):
        graphs = [graphs]
    return [g.value if hasattr(g, "value") else str(g) for g in graphs]
