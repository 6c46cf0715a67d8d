"""Who can write, over real HTTP: nothing without the admin token, 401 with a wrong one, tokens never logged.

test_endpoint_http.py covers /update with no, wrong and Basic credentials and the Graph Store with the
token; here: every write method of both endpoints without the token or with near-miss tokens changes
nothing (the live generation stays), writes are off (404) when no token or an empty one is configured,
and neither the real token nor the wrong ones a client sent appear in the server's output.
"""

import httpx
import pytest
from conftest import BASE, DATA, stop
from test_endpoint_http import serve

from ftm_graph.store import Store, create_store

pytestmark = pytest.mark.slow

TOKEN = "s3cr3t-admin-token-for-access-tests"
NEAR_MISSES = [TOKEN + "x", TOKEN[:-1], TOKEN.upper(), " " + TOKEN + "x", "wrong-token-4c1d"]
GRAPH = f"{BASE}graph/access-test"
TURTLE = b"<urn:access:a> <urn:access:p> <urn:access:o> ."


def started(tmp_path_factory, name: str, token: str | None):
    folder = tmp_path_factory.mktemp(name)
    path = create_store(folder / "store", BASE)
    with Store(path).transaction() as tx:
        tx.load_file(DATA / "web.trig")
    env = {"FTM_GRAPH_ADMIN_TOKEN": token} if token is not None else None
    process, url = serve(path, folder / "service.log", env=env)
    return process, url, path, folder / "service.log"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    process, url, path, log = started(tmp_path_factory, "guarded", TOKEN)
    try:
        yield url, path, log
    finally:
        stop(process)


def writes(url: str, headers: dict) -> list[httpx.Response]:
    """One attempt at every kind of write, with the given headers."""
    update = "INSERT DATA { GRAPH <urn:g> { <urn:access:a> <urn:access:p> <urn:access:o> } }"
    return [
        httpx.post(url + "/update", data={"update": update}, headers=headers, timeout=30),
        httpx.post(url + "/update", content=update.encode(), timeout=30,
                   headers={**headers, "Content-Type": "application/sparql-update"}),
        httpx.put(url + "/store", params={"graph": GRAPH}, content=TURTLE, timeout=30,
                  headers={**headers, "Content-Type": "text/turtle"}),
        httpx.post(url + "/store", params={"graph": GRAPH}, content=TURTLE, timeout=30,
                   headers={**headers, "Content-Type": "text/turtle"}),
        httpx.delete(url + "/store", params={"graph": f"{BASE}graph/debt-2017"}, headers=headers, timeout=30),
        httpx.post(url + "/sparql", data={"update": "CLEAR ALL"}, headers=headers, timeout=30),
        httpx.post(url + "/sparql", content=b"CLEAR ALL", timeout=30,
                   headers={**headers, "Content-Type": "application/sparql-update"}),
    ]


CREDENTIALS = [{}, *({"Authorization": f"Bearer {t}"} for t in NEAR_MISSES[:3]),
               {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"}, {"X-Admin-Token": TOKEN},
               {"Authorization": f"Bearer {TOKEN}, Bearer x"}]


@pytest.mark.parametrize("headers", CREDENTIALS, ids=lambda h: "-".join(h) or "none")
def test_without_the_token_nothing_is_written(guarded, headers):
    url, path, _ = guarded
    before = (path / "CURRENT").read_text()
    answers = writes(url, headers)
    assert [r.status_code for r in answers[:5]] == [401] * 5, [r.text for r in answers[:5]]
    assert all(r.headers["www-authenticate"].startswith("Bearer") for r in answers[:5])
    assert [r.status_code for r in answers[5:]] == [403, 403], "the public endpoint refuses updates"
    assert (path / "CURRENT").read_text() == before
    assert httpx.get(url + "/store", params={"graph": f"{BASE}graph/debt-2017"}, headers=headers,
                     timeout=30).status_code == 401, "reading through the Graph Store needs the token too"


def test_with_the_token_a_write_goes_through(guarded):
    url, path, _ = guarded
    before = (path / "CURRENT").read_text()
    r = httpx.put(url + "/store", params={"graph": GRAPH}, content=TURTLE, timeout=30,
                  headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"})
    assert r.status_code in (201, 204), r.text
    assert (path / "CURRENT").read_text() != before


def test_tokens_never_reach_the_log(guarded):
    url, _, log = guarded
    for token in [TOKEN, *NEAR_MISSES]:
        writes(url, {"Authorization": f"Bearer {token}"})
    text = log.read_text()
    assert "/update" in text and "/store" in text, "the requests themselves are logged"
    for token in [TOKEN, *NEAR_MISSES]:
        assert token.strip() not in text, f"a token was logged: {token!r}"


@pytest.mark.parametrize("token", [None, ""], ids=["unset", "empty"])
def test_writes_are_off_without_a_configured_token(tmp_path_factory, token):
    process, url, path, _ = started(tmp_path_factory, "open", token)
    try:
        before = (path / "CURRENT").read_text()
        for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": f"Bearer {TOKEN}"}):
            answers = writes(url, headers)
            assert [r.status_code for r in answers[:5]] == [404] * 5, [r.text for r in answers[:5]]
            assert [r.status_code for r in answers[5:]] == [403, 403]
        assert "not enabled" in answers[0].text
        assert (path / "CURRENT").read_text() == before
    finally:
        stop(process)
