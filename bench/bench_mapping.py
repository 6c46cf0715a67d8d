"""Time the mapping engine: a generated budget-like CSV -> N-Quads text.

    python bench/bench_mapping.py [rows]

Writes a CSV in SHCP's budget layout (mappings/shcp_budget_pef.yaml) with
unique budget keys and dirty-looking amounts, maps it to /dev/null, and prints
rows/s and triples/s. Target (docs/DESIGN.md, NOTES.md): >= 300k triples/s, so
that the store's bulk load, not the mapping, is the bottleneck.
"""

import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

from ftm_graph.ingest import map_file
from ftm_graph.mapping import load_mapping
from ftm_graph.resources import data_dir

COLUMNS = [
    "ciclo", "id_ramo", "desc_ramo", "id_ur", "desc_ur", "gpo_funcional", "id_funcion", "id_subfuncion",
    "id_ai", "id_modalidad", "id_pp", "desc_pp", "id_capitulo", "id_concepto", "id_partida_generica",
    "id_partida_especifica", "desc_partida_especifica", "id_tipogasto", "id_ff", "id_entidad_federativa",
    "entidad_federativa", "id_clave_cartera", "monto_aprobado", "monto_modificado", "monto_pagado",
]
STATES = {"32": "Zacatecas", "9": "Ciudad de México", "19": "Nuevo León"}


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    """A budget-like file: unique keys, a few dozen ramos and units, amounts with separators."""
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for n in range(rows):
            ramo = rnd.choice([6, 9, 11, 12, 16, 20, 28, 33])
            state = rnd.choice(list(STATES))
            partida = rnd.choice([14401, 21101, 33901, 62903, 83113, 91101])
            aprobado = rnd.randint(1_000, 90_000_000)
            w.writerow([
                2018, ramo, f"Ramo {ramo}", 100 + ramo, f"Unidad responsable {100 + ramo}", 2, 5, 1,
                n % 97, "E", n, f"Programa {n % 50}", partida // 10000 * 1000, partida // 1000 * 100,
                partida // 100, partida, f"Partida {partida}", 1, 1, state, STATES[state], n,
                f"{aprobado:,}.00", f"{aprobado * 1.01:.2f}", rnd.choice(["", "-", f"{aprobado // 2}.50"]),
            ])


def main(rows: int = 100_000) -> None:
    mapping = load_mapping(data_dir("mappings") / "shcp_budget_pef.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "budget.csv"
        write_csv(path, rows)
        start, cpu = time.perf_counter(), time.process_time()
        with open(os.devnull, "w", encoding="utf-8") as out:
            result = map_file(path, mapping, base_uri="http://127.0.0.1:8000/",
                              graph_iri="http://127.0.0.1:8000/graph/bench", out=out)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"{result.rows:,} rows, {result.triples:,} triples in {seconds:.2f} s ({cpu:.2f} s CPU): "
          f"{result.rows / seconds:,.0f} rows/s, {result.triples / seconds:,.0f} triples/s "
          f"({result.triples / cpu:,.0f} triples per CPU second)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
