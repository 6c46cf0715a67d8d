"""The home page's three stories, computed when the data changes, not when someone opens the home page.

Each story is a saved query (``sparql_queries/home_*.rq``) over the whole
graph: its figures sorted by date, with their sources. On the bundled sample
that takes milliseconds, but on a generated store of 7M quads with 10^4 loans
each query took 40-170 s, and the first visitor after an ingest would have
waited for all three. So each write runs them once (a ``sources.DERIVED``
builder) and writes the rows to ``stories.json`` beside the generation; the
home page reads that file.

The previous generation's file is reused when the write changed no money fact
(the rule of :mod:`summaries`) and no touched graph says anything about an IRI
a story shows (its label, say).
"""

import json
import re
from dataclasses import asdict
from pathlib import Path

from . import formats, publish, summaries
from .formats import Cell

STORIES = ("home_debt_story", "home_pension_story", "home_sport_story")
FILE = "stories.json"
FORMAT = 1
#: An IRI that can be written between < and > as it is (RFC 3987 excludes these characters).
_PLAIN_IRI = re.compile(r'[^<>"{}|^`\\\x00-\x20]+')


def build_stories(tx, base: str) -> None:
    """Write ``stories.json`` for the generation being written: story name → rows of the saved query."""
    path = Path(tx.dir) / FILE
    path.unlink(missing_ok=True)
    previous = _reusable(tx)
    if previous is not None and publish.link_previous(previous, path):
        return
    from .endpoint import load_queries  # the web modules are not needed by an ingest that builds nothing

    queries = load_queries()
    stories = {}
    for name in STORIES:
        query = queries.get(name)
        if query is not None:
            # parameters written in as VALUES: as substitutions, Oxigraph evaluates the story's
            # `?entity (…)? ?body` path for every ?body first (1.28M triples: 7.6 s against 0.08 s)
            rows = formats.solutions(tx.query(query.text_for(base)))
            stories[name] = [{key: asdict(c) for key, c in row.items()} for row in rows]
    path.write_text(json.dumps({"format": FORMAT, "stories": stories}, ensure_ascii=False), encoding="utf-8")


def read_stories(generation_dir) -> dict[str, list[dict]] | None:
    """The rows of each story for a generation, or None when it has no (readable) file."""
    if generation_dir is None:
        return None
    try:
        data = json.loads((Path(generation_dir) / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("format") != FORMAT:
        return None
    return {name: [{key: Cell(**c) for key, c in row.items()} for row in rows]
            for name, rows in data["stories"].items()}


def _reusable(tx) -> Path | None:
    """The previous file when no money fact changed and no touched graph describes an IRI the stories show."""
    if summaries._reusable(tx) is None:
        return None
    path = Path(tx.previous_dir) / FILE
    previous = read_stories(tx.previous_dir)
    if previous is None:
        return None
    shown = {c.value for rows in previous.values() for row in rows for c in row.values() if c.kind == "iri"}
    if not shown:
        return path
    values = " ".join(f"<{iri}>" for iri in sorted(shown) if _PLAIN_IRI.fullmatch(iri))
    for graph in tx.touched:
        if tx.query(f"ASK {{ VALUES ?x {{ {values} }} GRAPH <{graph}> {{ ?x ?p ?label }} }}"):
            return None
    return path
