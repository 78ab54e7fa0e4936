"""How fast could a pure-Python read_jsonl be, next to an orjson loop?

``python benchmarks/read_jsonl_floor.py [rounds] [MiB]`` from the
repository root (needs orjson).

It times, side by side in interleaved rounds over the benchmark's JSON
Lines file (256 MiB by default):

- ``orjson.loads per line of open(p, "rb")``, a generator over the file:
  the reference of the pure twin's target ("no slower than it");
- *guarded floor*: a pure-Python iterator whose ``__next__`` does the
  least any pure twin must, under the guard every pure twin takes
  (``cyiter._py._guard.guarded``): ``orjson.loads(lines[i])`` over lines
  split in advance, so no reading, no scanning, no offsets, no checks;
- *unguarded floor*: the same without the guard;
- *orjson alone*: ``deque(map(orjson.loads, lines))``, the parse without
  any iterator, the ceiling of every reader, the Cython twin included;
- ``read_jsonl``, the pure twin, and the Cython twin.

The guarded floor is the fastest a pure read_jsonl could be: the reference's
time over it is the highest speedup such a twin could show here.  CPU time
(``time.process_time``) is measured, which other processes on a busy
machine disturb less than the wall clock.
"""

import gc
import statistics
import sys
import tempfile
import time
from collections import deque

import orjson

from cyiter._bench import data
from cyiter._py._guard import Guarded, guarded
from cyiter._py.jsonl import read_jsonl as pure_read_jsonl

try:
    from cyiter._cy.jsonl import read_jsonl as cython_read_jsonl
except ImportError:
    cython_read_jsonl = None


class Floor(Guarded):
    """orjson.loads of each line of a list, one value per guarded next()."""

    __slots__ = ("_lines", "_i")

    def __init__(self, lines):
        self._lines = lines
        self._i = 0

    def __iter__(self):
        return self

    @guarded
    def __next__(self):
        i = self._i
        if i == len(self._lines):
            raise StopIteration
        self._i = i + 1
        return orjson.loads(self._lines[i])


class Unguarded(Floor):
    __slots__ = ()
    __next__ = Floor.__next__.__wrapped__  # (the same, without the guard)


def main(rounds, mib):
    with tempfile.TemporaryDirectory() as directory:
        f = data.jsonl_file(directory, mib << 20)
        with open(f.path, "rb") as file:
            lines = file.read().split(b"\n")[:-1]

        def reference():
            with open(f.path, "rb") as file:
                deque((orjson.loads(line) for line in file), maxlen=0)

        candidates = {
            'orjson loop over open(p, "rb")': reference,
            "guarded floor": lambda: deque(Floor(lines), maxlen=0),
            "unguarded floor": lambda: deque(Unguarded(lines), maxlen=0),
            "orjson alone": lambda: deque(map(orjson.loads, lines), maxlen=0),
            "read_jsonl (pure Python)": lambda: deque(pure_read_jsonl(f.path), maxlen=0),
        }
        if cython_read_jsonl is not None:
            candidates["read_jsonl (Cython)"] = lambda: deque(cython_read_jsonl(f.path), maxlen=0)
        times = {name: [] for name in candidates}
        reference()  # the file into page cache
        gc.disable()
        for r in range(rounds):
            names = list(candidates)
            for name in names[r % len(names) :] + names[: r % len(names)]:
                start = time.process_time()
                candidates[name]()
                times[name].append(time.process_time() - start)
        gc.enable()

    ref = times['orjson loop over open(p, "rb")']
    print(f"{f.records:,} lines, {f.nbytes:,} bytes, {rounds} interleaved rounds, CPU time")
    for name, values in times.items():
        print(
            f"{name:31s} min {min(values):.4f} s  median {statistics.median(values):.4f} s  "
            f"reference / this: min {min(ref) / min(values):.2f}x, "
            f"median {statistics.median(ref) / statistics.median(values):.2f}x"
        )


if __name__ == "__main__":
    main(
        int(sys.argv[1]) if len(sys.argv) > 1 else 7,
        int(sys.argv[2]) if len(sys.argv) > 2 else 256,
    )
