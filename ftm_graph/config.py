"""Settings: one dataclass, each field with a default and a help text.

Precedence: command-line flag, then environment variable ``FTM_GRAPH_<NAME>``
(e.g. ``FTM_GRAPH_STORE``), then the default below.
"""

import os
from dataclasses import dataclass, field, fields, replace


def _setting(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    store: str = _setting(
        "./data/store",
        "Path of the on-disk store (a folder), or the query URL of a SPARQL 1.1 server (http://…/query).",
    )
    update_url: str = _setting(
        "", "SPARQL Update URL of a remote store (default: the query URL with /query replaced by /update)."
    )
    gsp_url: str = _setting(
        "", "Graph Store Protocol URL of a remote store (default: the query URL with /query replaced by /store)."
    )
    state_dir: str = _setting(
        "./data/remote-state",
        "Folder for the files derived at each write (search index, summaries, dumps) when the store is remote.",
    )
    base_uri: str = _setting(
        "http://127.0.0.1:8000/",
        "Base of the data IRIs (entities under {base}id/, graphs under {base}graph/). "
        "A deployment sets its public address; must end with '/'.",
    )
    host: str = _setting("127.0.0.1", "Address the web service listens on.")
    port: int = _setting(8000, "Port the web service listens on.")
    query_timeout: float = _setting(30.0, "Seconds a SPARQL query may run on the public endpoint.")
    max_rows: int = _setting(10000, "Most result rows the public endpoint returns for one query.")
    query_workers: int = _setting(3, "Worker processes that run public SPARQL queries (each can be stopped).")
    federation_allow: tuple = _setting(
        (), "SPARQL endpoints a query may call with SERVICE (space- or comma-separated in the environment)."
    )
    admin_token: str = _setting(
        "", "Token for the authenticated /update and /store; empty (default) turns them off. Environment only."
    )

    def __post_init__(self):
        if not self.base_uri.endswith("/"):
            object.__setattr__(self, "base_uri", self.base_uri + "/")

    @classmethod
    def from_env(cls, environ=None, **overrides) -> "Settings":
        """Defaults, overridden by FTM_GRAPH_* variables, overridden by non-None `overrides`."""
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(f"FTM_GRAPH_{f.name.upper()}")
            if raw is not None and isinstance(f.default, tuple):
                values[f.name] = tuple(part for part in raw.replace(",", " ").split() if part)
            elif raw is not None:
                values[f.name] = type(f.default)(raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)


def help_for(name: str) -> str:
    """The help text of a setting, with its environment variable."""
    f = next(f for f in fields(Settings) if f.name == name)
    return f"{f.metadata['help']} [env FTM_GRAPH_{name.upper()}; default {f.default}]"
