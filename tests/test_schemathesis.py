"""schemathesis against the service's own OpenAPI description (`/openapi.json`), over real HTTP.

The description is FastAPI's, made from the routes: it lists every operation and its path parameters
(the SPARQL protocol's own parameters are read from the request and documented in the README and the
Service Description, not here). schemathesis generates requests for every operation, including odd path
parameters such as `/id/{path}`; the property checked is that nothing answers 5xx and every answer comes
within 10 s. Its other checks (documented status codes and media types) are left out: the description does
not declare the 404/406/415 answers and HTML/RDF media types the protocol requires.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import BASE, DATA, stop
from test_endpoint_http import serve

from ftm_graph.store import Store, create_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("schemathesis")
    path = create_store(folder / "store", BASE)
    with Store(path).transaction() as tx:
        tx.load_file(DATA / "web.trig")
    process, url = serve(path, folder / "service.log")
    try:
        yield url, folder
    finally:
        stop(process)


def test_the_openapi_description_lists_the_public_operations(server):
    url, _ = server
    description = httpx.get(url + "/openapi.json", timeout=30).json()
    assert description["openapi"].startswith("3.")
    assert {"/sparql", "/search", "/search.json", "/id/{path}", "/table/{name}.{ext}"} <= set(description["paths"])
    assert set(description["paths"]["/sparql"]) == {"get", "head", "post"}


def test_no_generated_request_gets_a_server_error(server):
    url, folder = server
    binary = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    run = subprocess.run(
        [binary, "run", url + "/openapi.json", "--checks", "not_a_server_error", "--max-examples", "20",
         "--seed", "20261129", "--max-response-time", "10", "--request-timeout", "30", "--no-color"],
        capture_output=True, text=True, timeout=300, cwd=folder,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "passed" in run.stdout
