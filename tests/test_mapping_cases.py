"""One runner over tests/data/mapping_cases/*/: input + mapping -> the hand-written expected graph.

Each case folder holds `input.csv`, `input.xlsx` or `input.json`, the mapping (`mapping.yaml`, or
`bundled_mapping.txt` naming a mapping of mappings/), and `expected.ttl` or `expected.nq`.
"""

import io
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from ftm_graph.ingest import map_file
from ftm_graph.mapping import load_mapping

CASES = Path(__file__).parent / "data" / "mapping_cases"
MAPPINGS = Path(__file__).parent.parent / "mappings"
BASE = "http://127.0.0.1:8000/"
GRAPH = BASE + "graph/case"


def case_mapping(folder: Path):
    if (folder / "mapping.yaml").exists():
        return load_mapping(folder / "mapping.yaml")
    name = (folder / "bundled_mapping.txt").read_text(encoding="utf-8").strip()
    return load_mapping(MAPPINGS / f"{name}.yaml")


def expected_graph(folder: Path) -> Graph:
    if (folder / "expected.nq").exists():
        ds = Dataset()
        ds.parse(folder / "expected.nq", format="nquads")
        return ds.graph(URIRef(GRAPH))
    g = Graph()
    g.parse(folder / "expected.ttl", format="turtle")
    return g


@pytest.mark.parametrize("folder", sorted(p for p in CASES.iterdir() if p.is_dir()), ids=lambda p: p.name)
def test_mapping_case(folder: Path):
    [source] = [p for p in folder.iterdir() if p.stem == "input"]
    out = io.StringIO()
    map_file(source, case_mapping(folder), base_uri=BASE, graph_iri=GRAPH, out=out)
    ds = Dataset()
    ds.parse(data=out.getvalue(), format="nquads")
    assert {str(g.identifier) for g in ds.graphs() if len(g)} == {GRAPH}
    got = Graph()
    for triple in ds.graph(URIRef(GRAPH)):
        got.add(triple)
    want = expected_graph(folder)
    if not isomorphic(got, want):
        _, only_got, only_want = graph_diff(to_isomorphic(got), to_isomorphic(want))
        missing = "\n".join(sorted(f"  {t}" for t in only_want))
        extra = "\n".join(sorted(f"  {t}" for t in only_got))
        pytest.fail(f"{folder.name}: output differs from expected\nmissing:\n{missing}\nunexpected:\n{extra}")


def test_the_required_cases_exist():
    names = {p.name for p in CASES.iterdir() if p.is_dir()}
    assert {"basic_csv", "latin1_amounts_dates", "semicolon_decimal_comma", "ocds_record_package",
            "row_source", "illustrative"} <= names
    # one case per layout of issue #3 (real rows where a real file exists)
    assert {"shcp_budget_pef_real", "conac_ldf_6a", "conac_ldf_2", "shcp_trusts_csv_real", "shcp_trusts_json_real",
            "ocds_releases_merged", "compranet_contracts_real", "pnt_direct_awards_xlsx", "payments",
            "notes_and_partial_dates"} <= names
