"""Hostile cell values through the mapping engine, a real store and the CLI.

Any text in any column (formula injection, HTML/JS, IRIs with spaces, ``<>"{}|^```, unicode, very
long values): the mapping either refuses the row naming file, row and column, or writes N-Quads that
parse. Through `ftm_graph.sources.ingest` on a temporary store: after an error every quad (and the live
generation) is as before; after a load the file's graph holds what the mapping wrote. Through
`ftm-graph ingest` in a subprocess: exit code 2 and a short message, never a traceback.
"""

import io
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_fuzz_readers import HEADER, ROWS, check_map, csv_text

from ftm_graph.errors import FtmGraphError, InvalidData
from ftm_graph.sources import graph_for, ingest
from ftm_graph.store import Store, create_store

BASE = "http://127.0.0.1:8000/"
FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
HOSTILE = [
    "=cmd|' /C calc'!A0", "+SUM(1+1)", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)", "\t=1+1", "\r=1+1",
    "<script>alert('x')</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)",
    "a b <c> \"d\" {e} |f| \\g ^h `i`", "\u202eTSAE\u202c", "ÑANDÚ 中文 🙂", "\x00\x01\x1f", "\\u0022",
    "x" * 5000, " ", "", "%2F../../etc/passwd", "http://[::1]:80/", "_:b0", "\"\"\"", "\\", "<", ">",
]
CELL = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=60))


def payments_file(folder: Path, rows: list[list[str]]) -> Path:
    path = folder / "pagos.csv"
    path.write_text(csv_text(HEADER, rows), encoding="utf-8")
    return path


@FUZZ
@given(column=st.integers(0, 5), value=CELL, row=st.integers(0, 1))
def test_any_value_in_any_column(tmp_path, column, value, row):
    rows = [list(r) for r in ROWS]
    rows[row][column] = value
    result = check_map(payments_file(tmp_path, rows), "payments")
    if isinstance(result, InvalidData):
        assert all(p.row in (None, 2, 3) for p in result.problems), result.problems


@FUZZ
@given(cells=st.lists(CELL, min_size=6, max_size=6))
def test_a_row_of_hostile_values(tmp_path, cells):
    check_map(payments_file(tmp_path, [ROWS[0], cells]), "payments")


@settings(FUZZ, max_examples=30)
@given(record=st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), CELL),
                           lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                   st.dictionaries(st.sampled_from(
                                                       ["ocid", "id", "date", "tag", "tender", "awards", "value",
                                                        "amount", "currency", "title", "parties", "name",
                                                        "buyer", "contracts", "suppliers", "x"]), inner,
                                                       max_size=5)),
                           max_leaves=25))
def test_ocds_releases_of_any_shape(tmp_path, record):
    import json

    path = tmp_path / "ocds.json"
    release = {"ocid": "ocds-x-1", "id": "1", "date": "2020-01-01T00:00:00Z", "tag": ["tender"]}
    if isinstance(record, dict):
        release.update(record)
    path.write_text(json.dumps({"releases": [release, record]}), encoding="utf-8")
    check_map(path, "ocds")


# Through a real store -------------------------------------------------------------------------------


def snapshot(path: Path) -> tuple[str, list[bytes]]:
    """The live generation and every quad of the store, sorted."""
    buf = io.BytesIO()
    with Store(path) as store:
        store.dump(buf)
    return (path / "CURRENT").read_text(), sorted(buf.getvalue().splitlines())


@pytest.fixture(scope="module")
def store_path(tmp_path_factory):
    """A store holding one good payments file (so there is something an error must not change)."""
    folder = tmp_path_factory.mktemp("fuzz-store")
    path = create_store(folder / "store", BASE)
    good = folder / "buenos" / "pagos_buenos.csv"
    good.parent.mkdir()
    good.write_text(csv_text(HEADER, ROWS), encoding="utf-8")
    with Store(path) as store:
        ingest(store, [good], mapping_name="payments")
    return path


@pytest.mark.slow
@settings(FUZZ, max_examples=12)
@given(rows=st.lists(st.lists(CELL, min_size=5, max_size=7), min_size=1, max_size=3),
       mapping=st.sampled_from(["payments", None]))
def test_ingest_is_all_or_nothing(store_path, tmp_path_factory, rows, mapping):
    folder = tmp_path_factory.mktemp("fuzz-file")
    path = folder / "pagos_hostiles.csv"
    path.write_text(csv_text(HEADER, [ROWS[0], *rows]), encoding="utf-8")
    before = snapshot(store_path)
    try:
        with Store(store_path) as store:
            reports = ingest(store, [path], mapping_name=mapping)
    except FtmGraphError as exc:
        assert path.name in str(exc) or any(p.file == path.name for p in getattr(exc, "problems", []))
        assert snapshot(store_path) == before, "a refused file changed the store"
        return
    generation, quads = snapshot(store_path)
    graph = graph_for(BASE, path).encode()
    mine = [q for q in quads if q.endswith(b"<" + graph + b"> .")]
    assert len(mine) == reports[0].triples > 0
    assert generation != before[0]
    with Store(store_path) as store:  # leave the store as it was for the next example
        with store.transaction() as tx:
            tx.clear_graph(graph.decode())


# Through the CLI ------------------------------------------------------------------------------------


CLI_CASES = {
    "aleatorio.csv": bytes(range(256)) * 4,
    "profundo.json": b"[" * 100_000 + b"]" * 100_000,
    "latin1.csv": csv_text(HEADER, ROWS).encode("latin-1"),
    "grande.csv": (csv_text(HEADER, ROWS) + "P-3,01/01/2020,1," + "x" * (10 << 20) + ",3,c\n").encode(),
    "vacio.csv": b"",
    "desplazado.csv": csv_text(HEADER, [ROWS[0], ROWS[1][:3]]).encode(),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLI_CASES))
def test_cli_answers_with_a_message_not_a_traceback(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(CLI_CASES[name])
    options = ["--encoding", "utf-8"] if name == "latin1.csv" else []
    run = subprocess.run([sys.executable, "-m", "ftm_graph.cli", "ingest", str(path), "--store", str(tmp_path / "s"),
                          "--mapping", "ocds" if name.endswith(".json") else "payments", *options],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr
    assert run.stderr.startswith("ftm-graph: ") and name in run.stderr.splitlines()[0], run.stderr[:500]
    assert len(run.stderr.splitlines()) <= 53  # one sentence, at most 50 problems, the closing line


def test_lone_surrogates_in_json_load_as_replacement_characters(tmp_path):
    """`\\udcff` is valid JSON text but half a character: UTF-8 cannot hold it. It must not crash the ingest."""
    path = tmp_path / "sustitutos.json"
    path.write_text('{"releases": [{"ocid": "ocds-\\udcff", "id": "1", "date": "2020-01-01", "tag": ["tender"], '
                    '"tender": {"id": "t\\ud800", "title": "obra \\udcff"}}]}', encoding="utf-8")
    with Store(create_store(tmp_path / "store", BASE)) as store:
        reports = ingest(store, [path], mapping_name="ocds")
        titles = [r["t"].value for r in store.query('SELECT ?t WHERE { ?s ?p ?t FILTER(isLiteral(?t)) '
                                                     'FILTER(STRSTARTS(?t, "obra")) }')]
    assert reports[0].triples > 0
    assert set(titles) == {"obra ?"}  # the title and the label


def test_every_code_point_makes_a_valid_iri_segment():
    """Whatever a cell holds, the IRI made from it parses (found by the fuzzing above: '[', U+E0000)."""
    import pyoxigraph as ox

    from ftm_graph.terms import iri_segment

    refused = []
    for code in range(0x110000):
        try:
            ox.NamedNode("http://127.0.0.1:8000/id/x/" + iri_segment(chr(code)))
        except ValueError:
            refused.append(hex(code))
    assert not refused, refused[:20]
