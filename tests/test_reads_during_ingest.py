"""Readers keep getting whole answers while another process ingests: the old state or the new, never half."""

import os
import subprocess
import sys
import time
from pathlib import Path

from ftm_graph.store import Store, create_store

BASE = "http://127.0.0.1:8000/"
COUNT = "PREFIX fis: <https://w3id.org/ftm-graph/fiscal#> SELECT (COUNT(?s) AS ?n) WHERE { ?s fis:adminKey ?k }"

WRITER = """
import sys
from pathlib import Path
from ftm_graph.store import Store
from ftm_graph.sources import ingest

store_path, csv_path, rounds = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
with Store(store_path) as store:
    for i in range(rounds):
        rows = 500 if i % 2 == 0 else 1000
        with open(csv_path, "w", encoding="utf-8") as f:
            f.write("id_dependencia,nombre,acronimo\\n")
            for n in range(1, rows + 1):
                f.write(f"{n},Dependencia de prueba {n},DP{n}\\n")
        ingest(store, [csv_path], mapping_name="zacatecas_agencies")
        print(i, flush=True)
"""


def test_queries_during_ingests_see_old_or_new_state_never_a_partial_one(tmp_path):
    store_path = create_store(tmp_path / "store", BASE)
    csv_path = tmp_path / "dependencias.csv"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store_path), str(csv_path), "5"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    seen: list[int] = []
    generations = set()
    deadline = time.monotonic() + 240
    with Store(store_path) as reader:
        while writer.poll() is None:
            assert time.monotonic() < deadline, "the ingests took too long"
            reader.refresh()
            generations.add(reader.generation)
            seen.append(int(next(iter(reader.query(COUNT)))["n"].value))
    out, _ = writer.communicate(timeout=30)
    assert writer.returncode == 0
    assert out.split() == [str(i) for i in range(5)]
    assert set(seen) <= {0, 500, 1000}, f"partial states seen: {sorted(set(seen) - {0, 500, 1000})}"
    assert len(generations) >= 3, "the reader should have followed several published generations"
    assert len(seen) > 20


def test_reader_pinned_to_an_old_generation_keeps_answering(tmp_path):
    """A long-lived reader that does not refresh keeps a consistent view while writers publish and prune."""
    store_path = create_store(tmp_path / "store", BASE)
    csv_path = tmp_path / "dependencias.csv"
    subprocess.run([sys.executable, "-c", WRITER, str(store_path), str(csv_path), "1"], check=True,
                   capture_output=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    with Store(store_path) as pinned:
        before = int(next(iter(pinned.query(COUNT)))["n"].value)
        subprocess.run([sys.executable, "-c", WRITER, str(store_path), str(csv_path), "4"], check=True,
                       capture_output=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        assert int(next(iter(pinned.query(COUNT)))["n"].value) == before == 500
        assert (Path(store_path) / f"gen-{pinned.generation:06d}").is_dir()
