"""Shared fixtures: a small on-disk store built from tests/data, settings and a web client."""

import os
import shutil
import socket
import subprocess
import sys
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

with warnings.catch_warnings():
    # Starlette 1.x prefers the httpx2 package for its TestClient and warns once, at import, when
    # it finds httpx instead; httpx is what the project's test extra installs.
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

from ftm_graph.app import create_app
from ftm_graph.config import Settings
from ftm_graph.store import Store, create_store
from ftm_graph.validate import load_ontology, load_shapes

DATA = Path(__file__).parent / "data"
BASE = "http://127.0.0.1:8000/"

#: FTM_GRAPH_TEST_STORE=remote: the `store` and `sample_store` fixtures (and the clients over them) are
#: a remote store on a real, writable `oxigraph serve` instead of the embedded one (see tests/test_remote.py).
REMOTE = os.environ.get("FTM_GRAPH_TEST_STORE") == "remote"

#: How many illustrative payments go to one payee, to exercise paging of incoming links.
MANY_PAYMENTS = 55


def _many_payments() -> str:
    lines = []
    for n in range(MANY_PAYMENTS):
        payment = f"<{BASE}id/payment/zac-3/MANY-{n:03d}>"
        lines.append(f"{payment} <https://w3id.org/ftm-graph/fiscal#payee> <{BASE}id/org/many-payments> .")
        lines.append(f'{payment} <https://w3id.org/ftm-graph/fiscal#illustrative> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> .')
    lines.append(f'<{BASE}id/org/many-payments> <http://www.w3.org/2000/01/rdf-schema#label> "Proveedor con muchos pagos"@es .')
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def store_path(tmp_path_factory) -> Path:
    """An ftm-graph store folder holding tests/data/web.trig (and 55 payments to one payee)."""
    path = create_store(tmp_path_factory.mktemp("store") / "store", BASE)
    with Store(path).transaction() as tx:
        tx.load_file(DATA / "web.trig")
        tx.load_text(_many_payments(), graph=f"{BASE}graph/many-payments")
    return path


@pytest.fixture(scope="session")
def settings(store_path) -> Settings:
    return Settings(store=str(store_path), base_uri=BASE)


@pytest.fixture(scope="session")
def store(store_path, remote_servers) -> Store:
    if not REMOTE:
        return Store(store_path)
    store = remote_servers("store")
    with store.transaction() as tx:
        tx.load_file(DATA / "web.trig")
        tx.load_text(_many_payments(), graph=f"{BASE}graph/many-payments")
    return store


@pytest.fixture(scope="session")
def client(settings, store) -> TestClient:
    """A client of the web app over the test store (requests are served in-process)."""
    with TestClient(create_app(settings, store)) as client:
        yield client


@pytest.fixture(scope="session")
def ontology():
    """The ontology and code lists as one rdflib Graph (as validation uses them)."""
    return load_ontology()


@pytest.fixture(scope="session")
def shapes():
    """The SHACL shapes, as loaded for validation."""
    return load_shapes()


@pytest.fixture(scope="session")
def sample_store(tmp_path_factory, remote_servers) -> Store:
    """A store holding the bundled sample, ingested as `ftm-graph demo` does (so derived files are built)."""
    from ftm_graph.sources import ingest, sample_files

    if REMOTE:
        store = remote_servers("sample")
        ingest(store, sample_files())
        return store
    path = create_store(tmp_path_factory.mktemp("sample") / "store", BASE)
    store = Store(path)
    ingest(store, sample_files())
    return Store(path)


@pytest.fixture(scope="session")
def sample_client(sample_store) -> TestClient:
    """A client of the web app over the sample store."""
    with TestClient(create_app(Settings(store=str(sample_store.path), base_uri=BASE), sample_store)) as client:
        yield client


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server a test starts."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    """Return once `url` answers over HTTP; fail the test (with the server's log) if it exits or never does."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            httpx.get(url, timeout=1.0)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer within {timeout} s: {log.read_text()[-2000:]}")
            time.sleep(0.1)


def stop(process: subprocess.Popen) -> None:
    """Stop a server the test started: terminate, then kill if it does not go."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def oxigraph_server(folder: Path, data: Path):
    """A second, real SPARQL endpoint: `oxigraph serve-read-only` on 127.0.0.1 holding `data`; yields its query URL."""
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(binary).exists():
        pytest.fail("the `oxigraph` server is missing: install the test extra (PyPI package 'oxigraph')")
    subprocess.run([binary, "load", "--location", str(folder / "db"), "--file", str(data)], check=True,
                   capture_output=True)
    port = free_port()
    log = folder / "oxigraph.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([binary, "serve-read-only", "--location", str(folder / "db"),
                                    "--bind", f"127.0.0.1:{port}"], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/query"
    try:
        wait_for(url + "?query=ASK%7B%7D", process, log)
        yield url
    finally:
        stop(process)


@contextmanager
def oxigraph_writable(folder: Path):
    """A real, writable `oxigraph serve` on 127.0.0.1 keeping its data in `folder`; yields its query URL."""
    binary = shutil.which("oxigraph") or str(Path(sys.executable).parent / "oxigraph")
    if not Path(binary).exists():
        pytest.fail("the `oxigraph` server is missing: install the test extra (PyPI package 'oxigraph')")
    port = free_port()
    log = folder / "oxigraph.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([binary, "serve", "--location", str(folder / "db"), "--bind", f"127.0.0.1:{port}",
                                    "--timeout-s", "60"], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/query"
    try:
        wait_for(url + "?query=ASK%7B%7D", process, log)
        yield url
    finally:
        stop(process)


@pytest.fixture(scope="session")
def remote_servers(tmp_path_factory):
    """Start a fresh writable Oxigraph server per call and open a RemoteStore on it: ``remote_servers(name)``.

    The servers stop at the end of the session.
    """
    from contextlib import ExitStack

    from ftm_graph.remote import RemoteSpec, RemoteStore

    with ExitStack() as servers:
        def start(name: str) -> RemoteStore:
            folder = tmp_path_factory.mktemp(f"remote-{name}")
            url = servers.enter_context(oxigraph_writable(folder))
            return RemoteStore(RemoteSpec(url, state_dir=str(folder / "state"), base_uri=BASE), create=True)

        yield start
