"""The real service: uvicorn in a subprocess on a free port, asked over HTTP."""

import os
import subprocess
import sys

import httpx
import pytest
from conftest import free_port, stop, wait_for

#: What starts the service; {store} and {port} are filled in. When the CLI lands this becomes
#: ["ftm-graph", "serve", "--store", "{store}", "--port", "{port}"].
COMMAND = [sys.executable, "-m", "uvicorn", "--factory", "ftm_graph.app:create_app",
           "--host", "127.0.0.1", "--port", "{port}"]
START_TIMEOUT = 20.0




@pytest.fixture
def server(store_path, tmp_path):
    port = free_port()
    command = [part.format(store=store_path, port=port) for part in COMMAND]
    env = {**os.environ, "FTM_GRAPH_STORE": str(store_path)}
    log = tmp_path / "service.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(url + "/sparql?query=ASK%7B%7D", process, log, START_TIMEOUT)
        yield url
    finally:
        stop(process)


@pytest.mark.slow
def test_real_service_answers(server):
    home = httpx.get(server + "/", timeout=10)
    assert home.status_code == 200
    assert home.headers["content-type"].startswith("text/html")
    assert "Sigue el dinero" in home.text
    ask = httpx.get(server + "/sparql", params={"query": "ASK {}"}, timeout=10)
    assert ask.status_code == 200
    assert ask.json() == {"head": {}, "boolean": True}
