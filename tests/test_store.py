"""The generational store: atomic, idempotent, locked against a second writer, refuses what is not a store."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ftm_graph.errors import StoreError
from ftm_graph.store import Store, create_store

BASE = "http://127.0.0.1:8000/"
G = BASE + "graph/test"


def nquads(store: Store) -> set[str]:
    """The store's content as a set of N-Quads lines, to compare states exactly."""
    import io

    out = io.BytesIO()
    store.dump(out, "nquads")
    return set(out.getvalue().decode().splitlines())


@pytest.fixture
def store(tmp_path):
    create_store(tmp_path / "store", BASE)
    with Store(tmp_path / "store") as s:
        yield s


def write_nt(path: Path, n: int, broken_at: int | None = None) -> Path:
    with open(path, "w") as f:
        for i in range(n):
            if i == broken_at:
                f.write("<http://x/s> this is not n-triples .\n")
            f.write(f'<{BASE}id/thing/{i}> <http://www.w3.org/2000/01/rdf-schema#label> "thing {i}" .\n')
    return path


def test_empty_store_answers_queries(store):
    assert store.generation == 0
    assert not bool(store.query("ASK { ?s ?p ?o }"))


def test_transaction_publishes_a_new_generation(store, tmp_path):
    with store.transaction() as tx:
        tx.load_file(write_nt(tmp_path / "a.nt", 10), graph=G)
    assert store.generation == 1
    assert count(store) == 10
    assert store.named_graphs() == [G]


def count(store, query="SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **kwargs) -> int:
    return int(next(iter(store.query(query, **kwargs)))["n"].value)


def test_default_graph_is_the_merge_of_named_graphs(store, tmp_path):
    """A triple held by two graphs counts once without GRAPH (an RDF merge), twice across graphs."""
    with store.transaction() as tx:
        tx.load_file(write_nt(tmp_path / "a.nt", 3), graph=G)
        tx.load_file(write_nt(tmp_path / "b.nt", 5), graph=BASE + "graph/other")
    assert count(store) == 5
    assert count(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == 8
    assert count(store, default_graph=[]) == 0


def test_clearing_a_graph_keeps_triples_that_another_graph_holds(store, tmp_path):
    with store.transaction() as tx:
        tx.load_file(write_nt(tmp_path / "a.nt", 3), graph=G)
        tx.load_file(write_nt(tmp_path / "b.nt", 5), graph=BASE + "graph/other")
    with store.transaction() as tx:
        tx.clear_graph(BASE + "graph/other")
    assert count(store) == 3
    with store.transaction() as tx:
        tx.clear_graph(G)
    assert count(store) == 0


def test_failure_half_way_leaves_the_store_exactly_as_it_was(store, tmp_path):
    with store.transaction() as tx:
        tx.load_file(write_nt(tmp_path / "a.nt", 100), graph=G)
    before = nquads(store)
    broken = write_nt(tmp_path / "b.nt", 5000, broken_at=4000)
    with pytest.raises(StoreError, match="b.nt"):
        with store.transaction() as tx:
            tx.clear_graph(G)
            tx.load_file(write_nt(tmp_path / "c.nt", 50), graph=BASE + "graph/other")
            tx.load_file(broken, graph=G)
    assert store.generation == 1
    assert nquads(store) == before
    with Store(store.path) as fresh:
        assert nquads(fresh) == before
    assert not list(store.path.glob("*.staging"))


def test_files_derived_in_a_transaction_are_published_with_it(store, tmp_path):
    with store.transaction() as tx:
        tx.load_file(write_nt(tmp_path / "a.nt", 3), graph=G)
        (tx.dir / "index.txt").write_text("derived from 3 triples")
    assert (store.generation_dir / "index.txt").read_text() == "derived from 3 triples"
    with pytest.raises(RuntimeError):
        with store.transaction() as tx:
            (tx.dir / "index.txt").write_text("half done")
            raise RuntimeError("failed before publishing")
    assert (store.generation_dir / "index.txt").read_text() == "derived from 3 triples"


def test_replacing_a_graph_twice_does_not_duplicate(store, tmp_path):
    data = write_nt(tmp_path / "a.nt", 20)
    for _ in range(2):
        with store.transaction() as tx:
            tx.clear_graph(G)
            tx.load_file(data, graph=G)
    assert count(store) == 20


def test_second_writer_is_refused_at_once(store, tmp_path):
    with store.transaction():
        with Store(store.path) as other:
            with pytest.raises(StoreError, match="locked"):
                with other.transaction():
                    pass


def test_reader_moves_to_new_generation_on_refresh(store, tmp_path):
    with Store(store.path) as reader:
        with store.transaction() as tx:
            tx.load_file(write_nt(tmp_path / "a.nt", 5), graph=G)
        assert count(reader) == 0  # still on the old state until it refreshes
        assert reader.refresh()
        assert count(reader) == 5


def test_old_generations_are_pruned_but_not_under_a_reader(store, tmp_path):
    data = write_nt(tmp_path / "a.nt", 5)
    with store.transaction() as tx:
        tx.load_file(data, graph=G)
    with Store(store.path) as pinned:  # holds generation 1
        for _ in range(3):
            with store.transaction() as tx:
                tx.clear_graph(G)
                tx.load_file(data, graph=G)
        gens = sorted(p.name for p in store.path.glob("gen-*"))
        assert "gen-000001" in gens and "gen-000002" not in gens
        assert count(pinned) == 5
    with store.transaction():
        pass
    assert sorted(p.name for p in store.path.glob("gen-*")) == ["gen-000004", "gen-000005"]


def test_not_a_store_is_refused(tmp_path):
    folder = tmp_path / "stuff"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    with pytest.raises(StoreError, match="not an ftm-graph store"):
        create_store(folder, BASE)
    with pytest.raises(StoreError, match="not an ftm-graph store"):
        Store(folder)
    with pytest.raises(StoreError, match="there is no store"):
        Store(tmp_path / "missing")


KILLER = """
import sys
from pathlib import Path
from ftm_graph.store import Store
with Store(sys.argv[1]) as s:
    with s.transaction() as tx:
        tx.clear_graph(sys.argv[3])
        tx.load_file(Path(sys.argv[2]), graph=sys.argv[3])
        print("loaded", flush=True)
"""


@pytest.mark.parametrize("delay", [0.0, 0.2, 0.6])
def test_kill_during_a_write_leaves_the_old_state(store, tmp_path, delay):
    """SIGKILL a writer at several moments of its load: the store opens afterwards with exactly its old content."""
    with store.transaction() as tx:
        tx.load_file(write_nt(tmp_path / "a.nt", 100), graph=G)
    before = nquads(store)
    big = write_nt(tmp_path / "big.nt", 500_000)  # about 3 s of bulk loading here
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(store.path), str(big), G],
                            stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    deadline = time.monotonic() + 30
    while not list(store.path.glob("*.staging")) and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    with Store(store.path) as after:
        assert after.generation == 1
        assert nquads(after) == before
    with Store(store.path) as again:  # a re-run succeeds and cleans up the dead writer's leftovers
        with again.transaction() as tx:
            tx.load_file(tmp_path / "a.nt", graph=BASE + "graph/again")
        assert again.generation == 2
        assert not list(store.path.glob("*.staging"))


def write_nq(path: Path, labels: dict[int, str], graph: str = G) -> Path:
    with open(path, "w") as f:
        for i, label in labels.items():
            f.write(f'<{BASE}id/thing/{i}> <http://www.w3.org/2000/01/rdf-schema#label> "{label}" <{graph}> .\n')
    return path


def test_replace_graph_writes_only_the_difference_and_keeps_the_merge(store, tmp_path):
    other = BASE + "graph/other"
    with store.transaction() as tx:
        tx.replace_graph(G, write_nq(tmp_path / "a.nq", {1: "uno", 2: "dos", 3: "tres"}))
        tx.replace_graph(other, write_nq(tmp_path / "o.nq", {3: "tres"}, other))
    with store.transaction() as tx:
        tx.replace_graph(G, write_nq(tmp_path / "a.nq", {1: "uno", 2: "DOS", 4: "cuatro"}))
    labels = {r["l"].value for r in store.query("SELECT ?l WHERE { ?s ?p ?l }")}
    assert labels == {"uno", "DOS", "cuatro", "tres"}  # "tres" stays: the other graph holds it
    in_g = {r["l"].value for r in store.query(f"SELECT ?l WHERE {{ GRAPH <{G}> {{ ?s ?p ?l }} }}")}
    assert in_g == {"uno", "DOS", "cuatro"}
    with store.transaction() as tx:
        tx.replace_graph(other, write_nq(tmp_path / "o.nq", {}, other))
    assert "tres" not in {r["l"].value for r in store.query("SELECT ?l WHERE { ?s ?p ?l }")}


def test_a_transaction_records_what_it_touched(store, tmp_path):
    """`touched` names the graphs a write changed, `previous_dir` the generation it started from."""
    other, meta = BASE + "graph/other", BASE + "graph/meta"
    with store.transaction() as tx:
        assert tx.previous_dir is None and tx.touched == set()
        tx.replace_graph(G, write_nq(tmp_path / "a.nq", {1: "uno", 2: "dos"}))
        tx.load_file(write_nt(tmp_path / "o.nt", 3), graph=other)
        assert tx.touched == {G, other}
        assert tx.loaded == {G: (tmp_path / "a.nq", 2)}
    first = store.generation_dir
    with store.transaction() as tx:
        assert tx.previous_dir == first
        tx.load_text(f'<{BASE}id/thing/1> <http://www.w3.org/2000/01/rdf-schema#label> "x" .', graph=meta)
        assert tx.touched == {meta}
        tx.replace_graph(G, write_nq(tmp_path / "a.nq", {1: "uno", 3: "tres"}))  # the difference only
        assert tx.loaded == {G: (tmp_path / "a.nq", 2)}
        tx.remove_subject(f"{BASE}id/thing/1", G)  # changed after the load: no longer the file's content
        assert tx.touched == {meta, G} and tx.loaded == {}
    with store.transaction() as tx:
        tx.clear_graph(other)
        assert tx.touched == {other}
    with store.transaction() as tx:
        tx.update(f"INSERT DATA {{ GRAPH <{other}> {{ <{BASE}id/x> <{BASE}p> 1 }} }}", graph=BASE + "graph/update")
        assert tx.touched == {G, meta, other}  # an update may write anywhere: every graph counts as touched


def test_small_files_and_texts_reach_the_default_graph(store, tmp_path):
    """Small loads skip bulk loading (its fixed cost); the merge still holds their triples once."""
    with store.transaction() as tx:
        tx.load_file(write_nt(tmp_path / "a.nt", 3), graph=G)
        tx.load_file(write_nt(tmp_path / "a.nt", 3), graph=BASE + "graph/other")
        tx.load_text(f'<{BASE}id/thing/9> <http://www.w3.org/2000/01/rdf-schema#label> "nueve" .', graph=G)
    assert count(store) == 4
    assert count(store, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }") == 7


def test_a_bulk_loaded_file_reaches_the_merge_whatever_its_lines(store, tmp_path):
    """The file is merged by a second bulk load of its lines made N-Triples, in blocks of whole lines; a
    file those blocks do not fit (no newline at its end) by the store's own merge: the same result."""
    cases = {
        "plain.nq": write_nq(tmp_path / "plain.nq", {1: "uno", 2: "dos"}).read_text(),
        "no-newline.nq": write_nq(tmp_path / "n.nq", {1: "uno", 2: "dos"}).read_text().rstrip("\n"),
        "blocks.nq": write_nq(tmp_path / "b.nq", dict.fromkeys(range(40_000), "x" * 100)).read_text(),  # > 4 MB
    }
    for name, text in cases.items():
        folder = tmp_path / f"case-{name}"
        create_store(folder / "store", BASE)
        with Store(folder / "store") as s:
            path = folder / name
            path.write_text(text)
            with s.transaction() as tx:
                tx.replace_graph(G, path)
            named = count(s, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
            assert count(s) == named == len(text.splitlines()), name  # each triple once in the merge
            assert not path.with_suffix(".default.nt").exists()  # the N-Triples copy is not left behind


def test_a_load_records_the_graph_size_and_properties(store, tmp_path):
    """What a builder may take from the load instead of scanning the graph again."""
    path = tmp_path / "a.nq"
    path.write_text(write_nq(tmp_path / "l.nq", {1: "uno", 2: "dos"}).read_text()
                    + f"<{BASE}id/thing/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{BASE}T> <{G}> .\n"
                    + f"<{BASE}id/thing/1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{BASE}T> <{G}> .\n")
    with store.transaction() as tx:
        tx.replace_graph(G, path)
        assert tx.loaded == {G: (path, 3)}  # the graph's triples: the repeated line counts once
        assert tx.properties == {G: {"http://www.w3.org/2000/01/rdf-schema#label",
                                     "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"}}
        tx.remove_subject(f"{BASE}id/thing/2", G)
        assert tx.loaded == {} and tx.properties == {}
