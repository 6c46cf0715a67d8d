"""Rendered pages kept per store generation, with ETags: a page is built once per generation, not per request.

The data under a page changes only when a new generation is published (see
``store.py``), so a rendered page stays right for as long as its generation
is live: the cache key starts with the generation number, and a new one
makes every older entry unreachable (they are dropped as the byte budget
fills, least recently used first). The ETag is the generation plus a hash of
the key, so a client's ``If-None-Match`` is answered with 304 before any
work, whether or not the page is in this process's cache.

A request with ``Cache-Control: no-cache`` (RFC 9111 §5.2.1.4: the client
wants a fresh answer) is rendered again and not served from the cache; the
benchmark uses it to report uncached figures. Responses say what happened
in ``X-FTM-Cache: hit | miss | bypass``.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from fastapi import Request
from fastapi.responses import Response

#: Bytes of rendered pages kept per process.
BUDGET = 64 * 1024 * 1024
#: Pages larger than this are served but not kept (they would push out many small ones).
LARGEST = 4 * 1024 * 1024
#: What shared caches and browsers may do: keep a page 5 minutes, then revalidate with the ETag
#: (a new ingest is seen within that time; RFC 9111 §5.2.2.1 max-age).
CACHE_CONTROL = "public, max-age=300"
#: Request headers a page depends on, besides its path and query string.
VARY = "Accept, Accept-Language"
#: Statuses worth keeping: a page, and a not-found page (with its search suggestions).
_KEPT = {200, 404}


class PageCache:
    """A byte-bounded LRU of rendered responses, shared by the threads of one process."""

    def __init__(self, budget: int = BUDGET):
        self.budget = budget
        self.size = 0
        self.hits = self.misses = 0
        self._entries: OrderedDict[tuple, tuple] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple):
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: tuple, entry: tuple) -> None:
        size = len(entry[0]) + 200
        if size > min(LARGEST, self.budget):
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self.size -= len(old[0]) + 200
            self._entries[key] = entry
            self.size += size
            while self.size > self.budget and self._entries:
                _key, dropped = self._entries.popitem(last=False)
                self.size -= len(dropped[0]) + 200

    def __len__(self) -> int:
        return len(self._entries)


def etag_of(key: tuple) -> str:
    """A strong ETag: the generation, then a hash of the rest of the key."""
    digest = hashlib.sha256(repr(key[1:]).encode()).hexdigest()[:20]
    return f'"g{key[0]}-{digest}"'


def _matches(header: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: If-None-Match is ``*`` or a list of (possibly weak) tags, compared weakly."""
    if not header:
        return False
    if header.strip() == "*":
        return True
    return etag in [tag.strip().removeprefix("W/") for tag in header.split(",")]


async def cached(request: Request, variant: str, produce: Callable[[], Awaitable[Response]]) -> Response:
    """The response of `produce` for this request, from the cache when the generation has it.

    `variant` names what the key must hold beyond path and query string: the page language and the
    negotiated media type. Call after ``store.refresh()``.
    """
    state = request.app.state
    generation = getattr(state.store, "generation", None)
    if generation is None:  # a store without generations (e.g. a remote endpoint) cannot key a page
        return await produce()
    cache: PageCache | None = getattr(state, "page_cache", None)
    if cache is None:
        cache = state.page_cache = PageCache()
    query = "&".join(sorted(request.url.query.split("&"))) if request.url.query else ""
    key = (generation, request.url.path, query, variant)
    etag = etag_of(key)
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": VARY}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    bypass = "no-cache" in request.headers.get("cache-control", "").lower()
    entry = None if bypass else cache.get(key)
    if entry is not None:
        body, status, media_type, extra = entry
        return Response(body, status_code=status, media_type=media_type,
                        headers={**extra, **headers, "X-FTM-Cache": "hit"})
    response = await produce()
    if response.status_code in _KEPT and isinstance(response.body, bytes | memoryview):
        extra = {k: v for k, v in response.headers.items()
                 if k.lower() not in ("content-length", "content-type", "vary", "etag", "cache-control")}
        cache.put(key, (bytes(response.body), response.status_code, response.media_type, extra))
        for name, value in headers.items():
            response.headers[name] = value
    response.headers["X-FTM-Cache"] = "bypass" if bypass else "miss"
    return response
