"""Where the data folders are: beside the package in a checkout, inside it in a wheel."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """The folder `name` (ontology, mappings, sparql_queries, web, sample).

    In a source checkout it is the top-level folder of the repository; in an
    installed wheel it is `ftm_graph/_data/{name}` (see pyproject.toml).
    """
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"ftm-graph data folder '{name}' is missing from this installation")
