"""Federated query (``SERVICE``) only to the endpoints on the allow-list, checked before anything connects.

pyoxigraph evaluates ``SERVICE <url>`` itself with its own HTTP client and
offers no hook to filter the target, so the check is made on the query text
before it reaches the store: the query is parsed with a real SPARQL parser
(rdflib's), every ``SERVICE`` pattern is found (also inside ``FILTER EXISTS``,
subqueries and ``OPTIONAL``), its IRI resolved against ``PREFIX``/``BASE``,
and compared with the allow-list (``Settings.federation_allow``). ``SERVICE
?var`` is refused: its target is only known while the query runs. Any other
target is refused; a private, loopback or link-local address is refused with
its own message, unless it is on the list.

A redirect cannot take a call past the list: pyoxigraph's HTTP client follows
no redirects (an allowed endpoint answering 3xx fails the query; tested with a
listening target that is never asked).

The parser runs only when the text could hold a ``SERVICE`` keyword (it
takes ~0.2 s): SPARQL 1.1 §19.2 lets ``\\u`` escapes spell keywords, so their
presence also triggers it.
"""

import ipaddress
import re
from urllib.parse import urlsplit

from .errors import FtmGraphError

_MAYBE_SERVICE = re.compile(r"service|\\u|\\U", re.IGNORECASE)


class FederationRefused(FtmGraphError):
    """The query asks for a SERVICE that is not allowed."""


def normalise(url: str) -> str:
    """An endpoint URL as compared with the allow-list: scheme and host lower-case, default port dropped."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    path = parts.path or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme.lower()}://{host}{port}{path}{query}"


def is_private(url: str) -> bool:
    """True when the URL's host is loopback, private, link-local or otherwise not public (by address or name)."""
    host = (urlsplit(url).hostname or "").lower()
    if host in ("", "localhost") or host.endswith((".localhost", ".local", ".internal")):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def service_targets(text: str) -> list:
    """The targets of every SERVICE pattern of a query: IRIs (str) or variable names (``?var``).

    Raises FederationRefused when the text cannot be parsed (a query we cannot check is not run).
    """
    if not _MAYBE_SERVICE.search(text):
        return []
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery
    from rdflib.term import Variable

    try:
        algebra = translateQuery(parseQuery(text)).algebra
    except Exception as e:  # pyparsing and rdflib raise several kinds
        raise FederationRefused(
            "La consulta usa SERVICE y no se pudo verificar / the query uses SERVICE and could not be checked: "
            f"{e}"
        ) from None
    found = []
    _walk(algebra, found)
    return [f"?{t}" if isinstance(t, Variable) else str(t) for t in found]


def _walk(node, found: list) -> None:
    from rdflib.plugins.sparql.parserutils import CompValue

    if isinstance(node, CompValue):
        if node.name == "ServiceGraphPattern":
            found.append(node.get("term"))
        for value in node.values():
            _walk(value, found)
    elif isinstance(node, dict):
        for value in node.values():
            _walk(value, found)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _walk(value, found)


def check(text: str, allow: tuple[str, ...]) -> None:
    """Raise FederationRefused unless every SERVICE of the query targets an endpoint on `allow`."""
    allowed = {normalise(url) for url in allow}
    for target in service_targets(text):
        if target.startswith("?"):
            raise FederationRefused(
                f"SERVICE {target} no está permitido: el destino debe ser una dirección fija de la lista / "
                f"SERVICE {target} is not allowed: the target must be a fixed IRI on the allow-list."
            )
        if normalise(target) in allowed:
            continue
        if is_private(target):
            raise FederationRefused(
                f"SERVICE <{target}>: dirección privada o local, no permitida / "
                "a private, loopback or link-local address is not allowed."
            )
        listed = ", ".join(sorted(allowed)) or "none"
        raise FederationRefused(
            f"SERVICE <{target}> no está en la lista de servicios permitidos / is not on the allow-list "
            f"(allowed: {listed})."
        )
