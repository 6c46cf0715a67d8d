"""The benchmark generator (bench/generate.py): deterministic, ingests cleanly, links resolve, validates.

The generated files go through the real command (`ftm-graph ingest`, `ftm-graph
validate`) at a small scale; the expected links are stated here from the
layouts (a payment names a contract, a budget line, a loan), not computed by
the generator.
"""

import filecmp
import subprocess
import sys
from pathlib import Path

import pytest

from ftm_graph.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import generate  # noqa: E402

ROWS, BIG_BANK = 600, 30
F = "PREFIX fis: <https://w3id.org/ftm-graph/fiscal#>\n"
pytestmark = pytest.mark.slow


def ftm_graph(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ftm_graph.cli", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("gen") / "files"
    generate.generate(folder, ROWS, big_bank=BIG_BANK, seed=11)
    return folder


@pytest.fixture(scope="module")
def ingested(generated, tmp_path_factory) -> tuple[Path, str]:
    """The generated files ingested with the command a user types; its store and output."""
    store = tmp_path_factory.mktemp("store") / "store"
    files = [str(p) for p in generate.source_files(generated)]
    done = ftm_graph("ingest", *files, "--store", str(store))
    assert done.returncode == 0, done.stderr
    return store, done.stdout + done.stderr


def ask_count(store: Path, where: str) -> int:
    with Store(store) as s:
        [row] = list(s.query(F + f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"))
        return int(row[0].value)


def test_every_mapping_layout_is_written_with_a_sidecar_marking_it_generated(generated):
    files = generate.source_files(generated)
    mappings = {}
    for path in files:
        side = path.with_name(path.name + ".source.yaml").read_text(encoding="utf-8")
        assert "illustrative: true" in side and "GENERATED" in side, path.name
        mappings[path.name] = side.split("\n", 1)[0].removeprefix("mapping: ")
    assert sorted(mappings.values()) == sorted(["zacatecas_agencies", "shcp_budget_pef", "rpu_obligations",
                                                "conac_ldf_2", "state_pension_trust", "ocds", "payments"])


def test_the_same_seed_gives_byte_identical_files(generated, tmp_path):
    again = tmp_path / "again"
    generate.generate(again, ROWS, big_bank=BIG_BANK, seed=11)
    names = sorted(p.name for p in generated.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    match, mismatch, errors = filecmp.cmpfiles(generated, again, names, shallow=False)
    assert mismatch == [] and errors == []
    other = tmp_path / "other"
    generate.generate(other, ROWS, big_bank=BIG_BANK, seed=12)
    assert not filecmp.cmp(generated / "gen_pagos.csv", other / "gen_pagos.csv", shallow=False)


def test_rows_scale_with_the_scale_factor(generated):
    lines = sum(p.read_text(encoding="utf-8").count("\n") - (p.suffix == ".csv")
                for p in generate.source_files(generated))
    # CSV data rows plus OCDS package lines (50 releases each) are within the asked total plus the big bank's loans
    assert ROWS * 0.5 < lines < ROWS + 5 * BIG_BANK + 100


def test_generated_files_ingest_with_no_rejected_rows(ingested):
    store, output = ingested
    assert "reject" not in output.lower()
    assert ask_count(store, "?p a fis:Payment") > 0
    assert ask_count(store, "?l a fis:BudgetLine") > 0
    assert ask_count(store, "?t a fis:Trust") > 0
    assert ask_count(store, "?c a fis:Contract") > 0


def test_links_resolve_across_files(ingested):
    store, _ = ingested
    # a payment's contract (payments CSV -> OCDS), budget line (-> SHCP budget) and loan (-> RPU) exist in the graph
    assert ask_count(store, "?p fis:paysFor ?c") > 0
    assert ask_count(store, "?p fis:paysFor ?c FILTER NOT EXISTS { ?c a fis:Contract }") == 0
    assert ask_count(store, "?p fis:chargedTo ?l") > 0
    assert ask_count(store, "?p fis:chargedTo ?l FILTER NOT EXISTS { ?l a fis:BudgetLine }") == 0
    assert ask_count(store, "?p fis:fundedBy ?d") > 0
    assert ask_count(store, "?p fis:fundedBy ?d FILTER NOT EXISTS { ?d a fis:DebtObligation }") == 0
    # a payee named by RFC in the payments file is a supplier of an OCDS award
    assert ask_count(store, "?p fis:payee ?s FILTER NOT EXISTS { ?award fis:supplier ?s }") == 0
    # the quarterly balances (LDF) are about the loans of the RPU file, whose lenders come from the bank table
    assert ask_count(store, "?a fis:amountOf ?d . ?d a fis:DebtObligation "
                            "FILTER NOT EXISTS { ?d fis:registrationKey ?k ; fis:contractDate ?date }") == 0
    # the follow-the-money path of the SPARQL benchmark exists: loan <- payment -> contract -> award -> supplier
    assert ask_count(store, "?pay fis:fundedBy ?loan ; fis:paysFor ?c . ?c fis:award/fis:supplier ?s") > 0


def test_the_big_bank_has_its_loans(ingested):
    store, _ = ingested
    loans = ask_count(store, "?l fis:lender <http://127.0.0.1:8000/id/bank/banobras>")
    assert BIG_BANK <= loans < BIG_BANK + 20


@pytest.fixture(scope="module")
def validation(ingested) -> subprocess.CompletedProcess:
    store, _ = ingested
    return ftm_graph("validate", "--store", str(store), "--lang", "en")


def test_the_store_validates_with_no_violations(validation):
    assert validation.returncode == 0, validation.stdout[-2000:]
