"""The mapping engine's compact int map behaves as the dict it replaces, under random operations."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ftm_graph.intmap import IntMap

keys = st.one_of(st.integers(-2**63, 2**63 - 1), st.sampled_from([0, 1, 2, 3, -1, 2**63 - 1, -2**63]),
                 st.integers(-2**70, 2**70))
ops = st.lists(st.tuples(st.sampled_from(["set", "pop", "get"]), keys, st.integers(0, 10**9)), max_size=300)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_same_as_a_dict(operations):
    m, d = IntMap(capacity=4), {}
    for op, k, v in operations:
        k64 = ((k + 2**63) % 2**64) - 2**63  # keys are taken as 64-bit values, as hash() gives them
        if op == "set":
            m[k], d[k64] = v, v
        elif op == "pop":
            assert m.pop(k) == d.pop(k64, None)
        else:
            assert (k in m) == (k64 in d)
            if k64 in d:
                assert m[k] == d[k64]
        assert len(m) == len(d)


def test_many_keys_grow_and_stay_found():
    m = IntMap()
    for n in range(50_000):
        m[hash(f"http://example.org/id/{n}")] = n
    assert len(m) == 50_000
    assert all(m[hash(f"http://example.org/id/{n}")] == n for n in range(0, 50_000, 7))
    assert hash("http://example.org/id/other") not in m


def test_reserved_values_are_keys_like_any_other():
    m = IntMap()
    m[0], m[1] = 10, 11
    assert (m[0], m[1], len(m)) == (10, 11, 2)
    assert m.pop(0) == 10 and 0 not in m and m[1] == 11
