"""How fast could any line iterator yielding bytes be on this machine?

``python benchmarks/read_lines_floor.py [rounds]`` from the repository root
(needs Cython and a C compiler, as a source build does).

It times, side by side in interleaved rounds over the benchmark's 256 MiB
lines file:

- ``for line in open(p, "rb")``, the reference of the read_lines target;
- ``read_lines(p, keepends=True)``, cyiter's Cython twin;
- *C loop*: a loop in C that only reads the file with read(2) into a 1 MiB
  buffer, finds each newline with read_lines' own scan, and makes and frees
  each line's bytes object: the work every such iterator must do, without
  the iterator (no ``next()`` calls, no state kept between lines, no
  checks);
- *C loop, no bytes*: the same loop without the bytes objects;
- *protocol*: ``deque(repeat(b"x", lines), maxlen=0)``, the cost of one
  ``next()`` call per line through the same consumer as the benchmark.

An iterator can be no faster than *C loop* + *protocol*; the reference's time
divided by that sum is the highest speedup any read_lines could show here.
"""

import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from itertools import repeat

from cyiter._bench import data
from cyiter._cy.readers import read_lines

HERE = os.path.dirname(os.path.abspath(__file__))
CY = os.path.join(HERE, os.pardir, "src", "cyiter", "_cy")

LOOP = '''
# cython: language_level=3
from cpython.object cimport PyObject
from libc.stdlib cimport free, malloc
from libc.string cimport memmove

cdef extern from "Python.h":
    PyObject* PyBytes_FromStringAndSize(const char*, Py_ssize_t)
    void Py_DecRef(PyObject*)

cdef extern from "unistd.h":
    Py_ssize_t read(int fd, void* buf, size_t n) nogil

cdef extern from "cyiter_io.h":  # read_lines' own newline scan
    ctypedef struct cyiter_nl_scan:
        Py_ssize_t block
    Py_ssize_t cyiter_next_nl(
        cyiter_nl_scan* s, const char* data, Py_ssize_t pos, Py_ssize_t end, int text, int* ascii
    ) noexcept nogil

def lines(int fd, Py_ssize_t size, bint make):
    """Read *fd* to its end, count its lines and, with *make*, make and
    free a bytes object for each."""
    cdef char* raw = <char*>malloc(size + 256)
    cdef char* buf = raw + (64 - <size_t>raw % 64)
    cdef cyiter_nl_scan scan
    cdef Py_ssize_t pos = 0, end = 0, nl, got
    cdef int ascii
    cdef long count = 0
    if raw == NULL:
        raise MemoryError
    scan.block = -1
    while True:
        nl = cyiter_next_nl(&scan, buf, pos, end, 0, &ascii)
        if nl < 0:
            memmove(buf, buf + pos, end - pos)
            end -= pos
            pos = 0
            scan.block = -1
            got = read(fd, buf + end, size - end)
            if got <= 0:
                break
            end += got
            continue
        if make:
            Py_DecRef(PyBytes_FromStringAndSize(buf + pos, nl + 1 - pos))
        pos = nl + 1
        count += 1
    free(raw)
    return count
'''


def _build(directory):
    path = os.path.join(directory, "floorloop.pyx")
    with open(path, "w", encoding="utf-8") as f:
        f.write(LOOP)
    subprocess.run(
        [sys.executable, "-m", "Cython.Build.Cythonize", "-i", "-q", path],
        check=True, cwd=directory, env={**os.environ, "CFLAGS": f"-O3 -I{os.path.abspath(CY)}"},
    )
    sys.path.insert(0, directory)
    import floorloop

    return floorloop.lines


def main(rounds):
    with tempfile.TemporaryDirectory() as directory:
        c_lines = _build(directory)
        f = data.lines_file(directory, 256 << 20)

        def reference():
            with open(f.path, "rb") as file:
                deque(file, maxlen=0)

        def cyiter():
            with read_lines(f.path, keepends=True) as reader:
                deque(reader, maxlen=0)

        def c_loop(make=True):
            fd = os.open(f.path, os.O_RDONLY)
            try:
                assert c_lines(fd, 1 << 20, make) == f.records
            finally:
                os.close(fd)

        def protocol():
            deque(repeat(b"x", f.records), maxlen=0)

        candidates = {
            'open(p, "rb")': reference,
            "read_lines": cyiter,
            "C loop": c_loop,
            "C loop, no bytes": lambda: c_loop(make=False),
            "protocol": protocol,
        }
        times = {name: [] for name in candidates}
        cyiter()  # the file into page cache
        gc.disable()
        for r in range(rounds):
            names = list(candidates)
            for name in names[r % len(names):] + names[: r % len(names)]:
                start = time.perf_counter()
                candidates[name]()
                times[name].append(time.perf_counter() - start)
        gc.enable()

    floor = [c + p for c, p in zip(times["C loop"], times["protocol"])]
    ref = times['open(p, "rb")']
    print(f"{f.records:,} lines, {f.nbytes:,} bytes, {rounds} interleaved rounds")
    for name, values in [*times.items(), ("C loop + protocol", floor)]:
        print(
            f"{name:18s} min {min(values):.4f} s  median {statistics.median(values):.4f} s  "
            f"reference / this: min {min(ref) / min(values):.2f}x, "
            f"median {statistics.median(ref) / statistics.median(values):.2f}x"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
