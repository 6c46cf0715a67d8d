"""A compact map from 64-bit ints to ints: the mapping engine's memory of unique keys.

A mapping checks that the IRI of each ``unique`` entity (a budget line, a
loan) appears on one row only, and names the earlier row when it does not. It
keeps one entry per row for the whole file. As a Python dict of int -> int an
entry costs about 100 bytes (two int objects and the dict's slot), i.e. 100 MB
per million rows; here it costs 16 bytes per slot (two machine words in
``array('q')``), one-third to two-thirds full, i.e. 24-48 MB per million rows.
Probing in Python costs about a microsecond per lookup: small beside the
~150 µs a row takes to map.

Open addressing with linear probing. The two values that mark slots (EMPTY,
GONE) are kept, as keys, in a small dict beside the arrays.
"""

from array import array

EMPTY, GONE = 0, 1  # a never-used slot; a slot whose key was removed (a rolled-back row)


class IntMap:
    """int -> int, with ``in``, ``[]``, ``[]=``, ``pop`` and ``len``, like the dict it replaces."""

    def __init__(self, capacity: int = 1024):
        size = 1
        while size < capacity:
            size *= 2
        self._keys = array("q", bytes(8 * size))
        self._values = array("q", bytes(8 * size))
        self._mask = size - 1
        self._used = 0  # live keys and tombstones: what decides when to grow
        self._len = 0
        self._marks: dict[int, int] = {}  # the keys EMPTY and GONE

    @staticmethod
    def _key(k: int) -> int:
        if not -0x8000000000000000 <= k <= 0x7FFFFFFFFFFFFFFF:
            k = ((k + 2**63) % 2**64) - 2**63  # any int to a signed 64-bit value
        return k

    def _slot(self, key: int) -> int:
        """The slot holding `key`, or the first free one on its probe path (negative: -1 - slot)."""
        keys, mask = self._keys, self._mask
        i = (key ^ (key >> 29)) & mask
        free = -1
        while True:
            found = keys[i]
            if found == key:
                return i
            if found == EMPTY:
                return -1 - (free if free >= 0 else i)
            if found == GONE and free < 0:
                free = i
            i = (i + 1) & mask

    def __contains__(self, k: int) -> bool:
        key = self._key(k)
        return key in self._marks if key in (EMPTY, GONE) else self._slot(key) >= 0

    def __getitem__(self, k: int) -> int:
        key = self._key(k)
        if key in (EMPTY, GONE):
            return self._marks[key]
        i = self._slot(key)
        if i < 0:
            raise KeyError(k)
        return self._values[i]

    def __setitem__(self, k: int, value: int) -> None:
        key = self._key(k)
        if key in (EMPTY, GONE):
            self._marks[key] = value
            return
        i = self._slot(key)
        if i >= 0:
            self._values[i] = value
            return
        i = -1 - i
        if self._keys[i] == EMPTY:
            self._used += 1
        self._keys[i], self._values[i] = key, value
        self._len += 1
        if self._used * 3 > 2 * len(self._keys):
            self._grow()

    def pop(self, k: int, default=None):
        key = self._key(k)
        if key in (EMPTY, GONE):
            return self._marks.pop(key, default)
        i = self._slot(key)
        if i < 0:
            return default
        self._keys[i] = GONE
        self._len -= 1
        return self._values[i]

    def __len__(self) -> int:
        return self._len + len(self._marks)

    def _grow(self) -> None:
        keys, values, marks = self._keys, self._values, self._marks
        self.__init__(max(1024, 2 * self._len))  # doubles (or only drops tombstones)
        for key, value in zip(keys, values):
            if key != EMPTY and key != GONE:
                i = -1 - self._slot(key)
                self._keys[i], self._values[i] = key, value
                self._used += 1
                self._len += 1
        self._marks = marks
