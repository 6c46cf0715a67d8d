"""Hostile requests over real HTTP: `ftm-graph serve` (uvicorn) on 127.0.0.1, started by these tests.

Huge queries, deep nesting, long chains, cartesian products, giant headers and
bodies, many parameters, slow senders: each gets a bounded answer (a 4xx, or a
503 at the time limit) in bounded time, and a watcher doing lookups meanwhile
keeps getting answers. The time-limit test against a single cross product is in
test_endpoint_http.py; here several run at once, with pages requested meanwhile.
"""

import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import httpx
import pytest
from conftest import BASE, DATA, stop
from test_endpoint_http import CROSS_PRODUCT, LOOKUP, TIMEOUT, serve

from ftm_graph.endpoint import MAX_BODY_BYTES, MAX_NESTING, MAX_QUERY_BYTES
from ftm_graph.store import Store, create_store

pytestmark = pytest.mark.slow

#: Longest a watcher's lookup may take while another client misbehaves (2 shared cores: generous).
WATCH_SECONDS = 5.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The service over a small store of its own (tests/data/web.trig), 2 workers, a 2 s time limit."""
    folder = tmp_path_factory.mktemp("hostile")
    path = create_store(folder / "store", BASE)
    with Store(path).transaction() as tx:
        tx.load_file(DATA / "web.trig")
    process, url = serve(path, folder / "service.log")
    try:
        yield url
    finally:
        stop(process)


def lookup(url: str) -> httpx.Response:
    return httpx.get(url + "/sparql", params={"query": LOOKUP}, timeout=30)


@contextmanager
def watched(url: str, path: str = "/sparql"):
    """Another client doing lookups (or page requests) in a loop meanwhile; yields its (status, seconds) list."""
    seen: list[tuple[int, float]] = []
    done = threading.Event()

    def loop():
        while not done.is_set():
            started = time.monotonic()
            try:
                status = (lookup(url) if path == "/sparql" else httpx.get(url + path, timeout=30)).status_code
            except httpx.HTTPError as exc:
                status = repr(exc)
            seen.append((status, time.monotonic() - started))
            done.wait(0.1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join(35)


def assert_kept_answering(seen: list) -> None:
    assert seen, "the watcher made no request"
    assert {status for status, _ in seen} == {200}, seen
    slowest = max(seconds for _, seconds in seen)
    assert slowest < WATCH_SECONDS, f"a lookup took {slowest:.1f} s (median {statistics.median(s for _, s in seen):.2f})"


def raw_request(url: str, data: bytes, *, read_timeout: float = 20.0) -> bytes:
    """Send raw bytes on a fresh connection and return what the server answers (b'' if it just closes)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=read_timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused and closed before reading everything: what it answered is still readable
        answer = b""
        try:
            while chunk := s.recv(65536):
                answer += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    return answer


def status_of(answer: bytes) -> int | None:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


# Huge and deep queries -----------------------------------------------------------------------------


@pytest.mark.parametrize("megabytes", [2, 10])
@pytest.mark.parametrize("how", ["form", "body"])
def test_a_huge_query_is_refused_with_413(server, how, megabytes):
    text = "ASK { ?s ?p ?o } #" + "x" * (megabytes << 20)
    with watched(server) as seen:
        started = time.monotonic()
        if how == "form":
            r = httpx.post(server + "/sparql", data={"query": text}, timeout=60)
        else:
            r = httpx.post(server + "/sparql", content=text.encode(), timeout=60,
                           headers={"Content-Type": "application/sparql-query"})
        seconds = time.monotonic() - started
    assert r.status_code == 413, r.text[:200]
    assert "too large" in r.text and str(MAX_QUERY_BYTES) in r.text
    assert seconds < 15
    assert_kept_answering(seen)


def test_a_query_just_under_the_limit_is_answered(server):
    text = "ASK { ?s ?p ?o } #" + "x" * (MAX_QUERY_BYTES - 100)
    r = httpx.post(server + "/sparql", content=text.encode(), headers={"Content-Type": "application/sparql-query",
                                                                       "Accept": "application/sparql-results+json"},
                   timeout=30)
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_a_huge_query_in_the_url_gets_a_4xx(server):
    answer = raw_request(server, b"GET /sparql?query=ASK%7B%7D%23" + b"x" * (2 << 20) + b" HTTP/1.1\r\n"
                         b"Host: t\r\nConnection: close\r\n\r\n")
    assert status_of(answer) in (400, 414, None), answer[:200]  # None: uvicorn closed the connection at once
    assert lookup(server).status_code == 200


@pytest.mark.parametrize("query", [
    "SELECT * WHERE " + "{" * 10_000 + " ?s ?p ?o " + "}" * 10_000,
    "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 10_000 + "true" + ")" * 10_000 + ") }",
    "SELECT * WHERE { ?s ?p " + "[ <urn:p> " * 10_000 + "1" + " ]" * 10_000 + " }",
    "SELECT * WHERE " + "{ SERVICE <http://10.0.0.1/sparql> " * 5_000 + "{ ?s ?p ?o }" + "}" * 5_000,
], ids=["groups", "parentheses", "blank-nodes", "services"])
def test_deep_nesting_is_refused_with_400_before_reaching_a_worker(server, query):
    with watched(server) as seen:
        r = httpx.post(server + "/sparql", data={"query": query}, timeout=30)
    assert r.status_code == 400, r.text[:300]
    assert f"at most {MAX_NESTING}" in r.text
    assert_kept_answering(seen)


def test_nesting_within_the_limit_is_answered(server):
    depth = MAX_NESTING - 50
    r = httpx.post(server + "/sparql", data={"query": "ASK " + "{" * depth + " ?s ?p ?o " + "}" * depth},
                   headers={"Accept": "application/sparql-results+json"}, timeout=30)
    assert r.status_code == 200 and r.json()["boolean"] is True


def test_brackets_in_strings_and_comments_do_not_count(server):
    many = "(" * (MAX_NESTING + 10)
    query = (f'ASK {{ ?s ?p ?o FILTER(?o != "{many}" && ?o != """{many}""" && ?s != <urn:x#y>) }} # {many}')
    r = httpx.post(server + "/sparql", data={"query": query}, headers={"Accept": "application/sparql-results+json"},
                   timeout=30)
    assert r.status_code == 200, r.text[:300]


CHAIN = "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * 20_000) + " }"


def test_a_long_flat_chain_is_stopped_at_the_time_limit_without_hurting_others(server):
    """A long flat chain (20,000 UNIONs, 260 KB) used to overflow the parser's stack and kill the worker
    (500); workers now evaluate on a deep stack (query_pool.STACK_BYTES), so it meets the time limit."""
    with watched(server) as seen:
        started = time.monotonic()
        r = httpx.post(server + "/sparql", data={"query": CHAIN}, timeout=60)
        seconds = time.monotonic() - started
    assert r.status_code in (400, 503), r.status_code
    assert seconds < TIMEOUT + 5
    assert_kept_answering(seen)
    assert lookup(server).status_code == 200


def test_cross_products_from_several_clients_are_stopped_while_pages_answer(server):
    """More pathological queries than workers: all stopped at the time limit (or refused as busy) and the pages,
    which do not use the query workers, keep answering meanwhile."""
    with watched(server, "/") as pages, ThreadPoolExecutor(3) as pool:
        started = time.monotonic()
        slow = list(pool.map(lambda _: httpx.get(server + "/sparql", params={"query": CROSS_PRODUCT}, timeout=60),
                             range(3)))
        seconds = time.monotonic() - started
    assert {r.status_code for r in slow} == {503}
    assert seconds < 3 * TIMEOUT + 5
    assert_kept_answering(pages)
    assert lookup(server).status_code == 200


# Giant headers, bodies, many parameters ------------------------------------------------------------


def test_a_100_kb_header_gets_a_bounded_answer(server):
    started = time.monotonic()
    answer = raw_request(server, b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 100_000
                         + b"\r\nConnection: close\r\n\r\n")
    assert status_of(answer) in (200, 400, 431), answer[:200]
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("size", [1_000_000, 10_000_000])
def test_a_giant_header_is_refused(server, size):
    with watched(server) as seen:
        answer = raw_request(server, b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * size
                             + b"\r\nConnection: close\r\n\r\n")
    assert status_of(answer) in (400, 431, None), answer[:200]  # None: closed without an answer
    assert_kept_answering(seen)


def test_a_hundred_thousand_headers_are_refused(server):
    headers = b"".join(b"X-H%d: v\r\n" % i for i in range(100_000))
    answer = raw_request(server, b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: t\r\n" + headers
                         + b"Connection: close\r\n\r\n")
    assert status_of(answer) in (400, 431, None), answer[:200]
    assert lookup(server).status_code == 200


def test_a_giant_declared_body_is_refused_without_being_read(server):
    """Content-Length of 1 GB: refused from the header alone, before the client sends it."""
    started = time.monotonic()
    answer = raw_request(server, b"POST /sparql HTTP/1.1\r\nHost: t\r\nContent-Type: application/sparql-query\r\n"
                         b"Content-Length: 1000000000\r\n\r\nASK { ?s ?p ?o }")
    assert status_of(answer) == 413, answer[:200]
    assert time.monotonic() - started < 5


def test_a_giant_chunked_body_is_cut_at_the_limit(server):
    """No Content-Length (chunked): the server stops reading once the body passes MAX_BODY_BYTES."""
    chunk = b"#" + b"x" * 65535

    def body():
        for _ in range(MAX_BODY_BYTES // len(chunk) + 10):
            yield chunk

    r = httpx.post(server + "/sparql", content=body(), headers={"Content-Type": "application/sparql-query"},
                   timeout=60)
    assert r.status_code == 413


def test_many_parameters_get_a_bounded_answer(server):
    form = "&".join(f"default-graph-uri=urn:g{i}" for i in range(50_000)) + "&query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D"
    with watched(server) as seen:
        started = time.monotonic()
        r = httpx.post(server + "/sparql", content=form.encode(), timeout=60,
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "Accept": "application/sparql-results+json"})
        seconds = time.monotonic() - started
    # 50,000 graphs that do not exist: nothing matches, or the time limit stops the check of the dataset
    assert r.status_code == 503 or (r.status_code == 200 and r.json()["boolean"] is False), r.text[:200]
    assert seconds < 15
    assert_kept_answering(seen)
    answer = raw_request(server, b"GET /sparql?" + b"&".join(b"p%d=1" % i for i in range(20_000))
                         + b"&query=ASK%7B%7D HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
    assert status_of(answer) in (200, 400, 414), answer[:200]


def test_a_huge_search_is_bounded(server):
    with watched(server) as seen:
        started = time.monotonic()
        r = httpx.get(server + "/search", params={"q": "banobras " * 6_000}, timeout=30)
        seconds = time.monotonic() - started
    assert r.status_code < 500
    assert seconds < 10
    assert_kept_answering(seen)


# Slow senders ---------------------------------------------------------------------------------------


def test_slow_header_senders_do_not_hold_up_others(server):
    """50 connections sending a request line a few bytes at a time (slowloris) while a client does lookups."""
    host, port = server.removeprefix("http://").split(":")
    sockets = [socket.create_connection((host, int(port)), timeout=5) for _ in range(50)]
    try:
        with watched(server) as seen:
            for step in range(10):
                for s in sockets:
                    s.sendall(b"GET /sparql?q" if step == 0 else b"X-Slow-%d: a\r\n" % step)
                time.sleep(0.3)
        assert_kept_answering(seen)
    finally:
        for s in sockets:
            s.close()
    assert lookup(server).status_code == 200


def test_a_slow_body_is_cut_at_the_time_limit(server):
    """A POST announcing 1,000 bytes and sending one every 0.2 s: answered 408 at the time limit, others served."""
    host, port = server.removeprefix("http://").split(":")
    with watched(server) as seen, socket.create_connection((host, int(port)), timeout=20) as s:
        s.sendall(b"POST /sparql HTTP/1.1\r\nHost: t\r\nContent-Type: application/sparql-query\r\n"
                  b"Content-Length: 1000\r\n\r\n")
        started = time.monotonic()
        s.settimeout(0.2)
        answer = b""
        while time.monotonic() - started < TIMEOUT + 8 and not answer:
            try:
                s.sendall(b"#")
                answer = s.recv(65536)
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        seconds = time.monotonic() - started
    assert status_of(answer) == 408, answer[:200]
    assert TIMEOUT - 0.5 < seconds < TIMEOUT + 5
    assert_kept_answering(seen)
