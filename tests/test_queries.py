"""Every saved query in sparql_queries/ is documented and answers, on the bundled sample, what its expected file says.

Each ``NAME.rq`` has ``NAME.expected.csv`` beside it, written by hand from the
sample's source files (sample/*.csv, the OCDS JSON) — never by running the
query — and checked against conftest's ``sample_store`` (built as `ftm-graph
demo` builds it). Its header names the columns compared; a cell starting with
``id/`` is an IRI under the base; an empty cell is an unbound variable;
numbers compare by value. The distinct rows of the query over those columns must equal the
expected rows, or include them when the file says ``# match: subset``.
"""

import csv
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest
from conftest import BASE

from ftm_graph import formats
from ftm_graph.endpoint import load_queries

FOLDER = Path(__file__).parent.parent / "sparql_queries"
FILES = sorted(FOLDER.glob("*.rq"))
HEADERS = ("title", "title@en", "description", "description@en")


def read_expected(name: str) -> tuple[list[str], set[tuple], bool]:
    """The compared columns, the expected rows (normalised) and whether they are a subset of the answer."""
    text = (FOLDER / f"{name}.expected.csv").read_text(encoding="utf-8")
    subset = bool(re.search(r"^#\s*match:\s*subset\s*$", text, flags=re.M))
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    reader = csv.reader(lines)
    columns = next(reader)
    rows = {tuple(normalise(cell if not cell.startswith("id/") else BASE + cell) for cell in row) for row in reader}
    return columns, rows, subset


def normalise(cell: str) -> str:
    """Numbers by value ('45000000.00' == '45000000'); anything else as it is."""
    try:
        number = Decimal(cell)
    except (InvalidOperation, ValueError):
        return cell
    return format(number.normalize(), "f") if number.is_finite() else cell


def rows_of_csv(body: str, columns: list[str]) -> set[tuple]:
    """The distinct rows of SPARQL CSV results (§ SPARQL 1.1 CSV/TSV) over `columns`."""
    return {tuple(normalise(row.get(c, "")) for c in columns) for row in csv.DictReader(io.StringIO(body))}


def check(name: str, actual: set[tuple]) -> None:
    columns, expected, subset = read_expected(name)
    if subset:
        assert expected <= actual, f"{name}: missing {sorted(expected - actual)}"
    else:
        assert actual == expected, f"{name}: missing {sorted(expected - actual)}, unexpected {sorted(actual - expected)}"


def test_there_are_at_least_15_saved_queries_each_with_its_expected_answer():
    names = {f.stem for f in FILES}
    assert {"home_debt_story", "home_pension_story", "home_sport_story"} <= names
    assert len(names) >= 15
    assert {p.name.removesuffix(".expected.csv") for p in FOLDER.glob("*.expected.csv")} == names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_header_has_title_and_description_in_both_languages(path):
    header = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#\s*([\w@]+)(?:\s+\w+)?\s*:\s*(\S.*)$", line)
        if not match:
            break
        header[match.group(1)] = match.group(2)
    for key in HEADERS:
        assert header.get(key), f"{path.name} lacks '# {key}:'"
    assert header["title"] != header["title@en"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_query_parses_and_runs_on_the_small_test_store(store, path):
    query = load_queries(FOLDER)[path.stem]
    results = store.query(query.text, substitutions=formats.bind(
        **{name: store.base_uri + iri for name, iri in query.params.items()}))
    assert formats.result_kind(results) == "solutions"
    rows = formats.solutions(results)
    as_text = formats.solutions(store.query(query.text_for(store.base_uri)))
    assert len(as_text) == len(rows), "the query shown to people must answer like the bound one"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_query_gives_its_expected_answer_on_the_sample(sample_store, path):
    query = load_queries(FOLDER)[path.stem]
    columns, _, _ = read_expected(path.stem)
    results = sample_store.query(query.text_for(sample_store.base_uri))
    body = formats.serialize(results, formats.RESULT_FORMATS["text/csv"]).decode("utf-8")
    check(path.stem, rows_of_csv(body, columns))
