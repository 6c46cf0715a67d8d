"""Links to other sites made from data: only web addresses become ``href``s.

An IRI is any scheme (``javascript:alert(1)`` is a well-formed IRI), and a
source's URL comes from a file or a command-line option. HTML escaping does
not help inside ``href``: a ``javascript:`` or ``data:`` link runs when it is
clicked. So a link to elsewhere keeps its address only when its scheme is one
of SCHEMES; otherwise it points nowhere (``#``) and the page still shows the
text. Browsers ignore tabs, line breaks and leading control characters and
spaces in a URL's scheme (WHATWG URL Standard, "basic URL parser"), so those
are removed before the scheme is read.
"""

import re

#: Schemes a link made from data may have.
SCHEMES = frozenset({"http", "https", "ftp", "mailto"})
_IGNORED = re.compile(r"[\t\n\r]|^[\x00-\x20]+")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


def safe_href(url: str) -> str:
    """The URL when it is a web address, a path or a fragment; ``#`` for any other scheme.

    >>> safe_href("https://example.org/a"), safe_href(" java\\tscript:alert(1)"), safe_href("/id/x")
    ('https://example.org/a', '#', '/id/x')
    """
    seen = _IGNORED.sub("", url)
    scheme = _SCHEME.match(seen)
    if scheme is None:
        return url if ":" not in seen.split("/", 1)[0] else "#"
    return url if scheme.group(1).lower() in SCHEMES else "#"
