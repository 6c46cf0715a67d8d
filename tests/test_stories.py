"""The home page's stories are computed at each write (stories.json) and read by the home page."""

import json
import os
from pathlib import Path

from conftest import BASE, TestClient

from ftm_graph import formats, stories
from ftm_graph.app import create_app
from ftm_graph.config import Settings
from ftm_graph.endpoint import load_queries
from ftm_graph.sources import ingest
from ftm_graph.store import Store, create_store

SAMPLE = Path(__file__).parent.parent / "sample"
DEBT = [SAMPLE / "zacatecas_deuda_obligaciones.csv", SAMPLE / "zacatecas_deuda_cifras.csv"]


def _rows(generation_dir) -> dict:
    return json.loads((Path(generation_dir) / stories.FILE).read_text(encoding="utf-8"))["stories"]


def _live(store) -> dict:
    """Each story's saved query run on the store now, as the file keeps it; its parameters given as
    substitutions, not written in as the service does, so that both ways are checked to agree."""
    queries = load_queries()

    def bindings(query):
        return formats.bind(**{name: BASE + path for name, path in query.params.items()})

    return {name: [{k: {"kind": c.kind, "value": c.value, "language": c.language, "datatype": c.datatype}
                    for k, c in row.items()}
                   for row in formats.solutions(store.query(queries[name].text,
                                                            substitutions=bindings(queries[name])))]
            for name in stories.STORIES}


def test_stories_are_written_at_ingest_and_equal_the_saved_queries(tmp_path):
    store = Store(create_store(tmp_path / "store", BASE))
    ingest(store, DEBT)
    written = _rows(store.generation_dir)
    assert written["home_debt_story"], "the debt story has figures from the debt files"
    assert written == _live(store)


def test_the_home_page_reads_the_file_of_its_generation(tmp_path):
    store = Store(create_store(tmp_path / "store", BASE))
    ingest(store, DEBT)
    path = Path(store.generation_dir) / stories.FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    first = data["stories"]["home_debt_story"][0]
    first["value"]["value"] = "987654321.5"  # a figure no source has: it can only come from the file
    os.chmod(path, 0o644)
    path.write_text(json.dumps(data), encoding="utf-8")
    with TestClient(create_app(Settings(store=str(tmp_path / "store"), base_uri=BASE, query_workers=1),
                               Store(tmp_path / "store"))) as client:
        assert "987,654,321.50" in client.get("/").text


def test_an_unrelated_write_reuses_the_file_and_a_money_write_rebuilds_it(tmp_path):
    store = Store(create_store(tmp_path / "store", BASE))
    ingest(store, DEBT)
    before = Path(store.generation_dir) / stories.FILE
    ingest(store, [SAMPLE / "zacatecas_municipios.csv"])  # no money, nothing the stories show
    after = Path(store.generation_dir) / stories.FILE
    assert after != before and os.stat(after).st_ino == os.stat(before).st_ino
    ingest(store, [SAMPLE / "issstezac_fondo_pensiones.csv"])  # the pension story's figures
    rebuilt = Path(store.generation_dir) / stories.FILE
    assert os.stat(rebuilt).st_ino != os.stat(after).st_ino
    assert _rows(store.generation_dir) == _live(store)
    assert _rows(store.generation_dir)["home_pension_story"]
