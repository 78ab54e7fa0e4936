"""How fast could any line iterator yielding bytes be on this machine?

``python benchmarks/read_lines_floor.py [rounds]`` from the root of a source
checkout.  It needs what building cyiter from source needs, and says so when
something is missing:

- cyiter from this checkout with its Cython twin built: ``pip install -e
  ".[dev]"`` does both (or ``python setup.py build_ext --inplace`` and
  ``PYTHONPATH=src``);
- Cython (the ``dev`` extra has it);
- a C compiler and the Python headers, to build the C loop below;
- the checkout's ``src/cyiter/_cy`` (the loop uses read_lines' own newline
  scan, declared in ``_capi.pxd``; wheels do not ship it).

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
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import deque
from itertools import repeat

try:
    from cyiter._bench import data
except ImportError as exc:
    sys.exit(f'read_lines_floor.py needs cyiter importable ({exc}): pip install -e ".[dev]"')

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, os.pardir, "src"))
CY = os.path.join(SRC, "cyiter", "_cy")

LOOP = '''
# cython: language_level=3
from cpython.object cimport PyObject
from libc.stdlib cimport free, malloc
from libc.string cimport memmove

from cyiter._cy._capi cimport next_nl, nl_scan, sys_read

cdef extern from "Python.h":
    PyObject* PyBytes_FromStringAndSize(const char*, Py_ssize_t)
    void Py_DecRef(PyObject*)


def lines(int fd, Py_ssize_t size, bint make):
    """Read *fd* to its end, count its lines and, with *make*, make and
    free a bytes object for each."""
    cdef char* raw = <char*>malloc(size + 256)
    cdef char* buf = raw + (64 - <size_t>raw % 64)
    cdef nl_scan scan
    cdef Py_ssize_t pos = 0, end = 0, nl, got
    cdef int ascii
    cdef long count = 0
    if raw == NULL:
        raise MemoryError
    scan.block = -1
    while True:
        nl = next_nl(&scan, buf, pos, end, 0, &ascii)
        if nl < 0:
            memmove(buf, buf + pos, end - pos)
            end -= pos
            pos = 0
            scan.block = -1
            got = sys_read(fd, buf + end, size - end)
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


def _requirements():
    """read_lines' Cython twin, or exit saying what is missing."""
    missing = []
    if not os.path.isfile(os.path.join(CY, "_capi.pxd")):
        missing.append(f"a source checkout: no {os.path.join(CY, '_capi.pxd')}")
    if importlib.util.find_spec("Cython") is None:
        missing.append('Cython: pip install -e ".[dev]"')
    try:
        from cyiter._cy.readers import read_lines
    except ImportError as exc:
        missing.append(f"the compiled Cython twin ({exc}): python setup.py build_ext --inplace")
        read_lines = None
    if missing:
        sys.exit("read_lines_floor.py needs:\n  " + "\n  ".join(missing))
    return read_lines


def _build(directory):
    """Compile the C loop; Cython finds _capi.pxd on PYTHONPATH, the C compiler its headers in CY."""
    path = os.path.join(directory, "floorloop.pyx")
    with open(path, "w", encoding="utf-8") as f:
        f.write(LOOP)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [SRC, os.environ.get("PYTHONPATH")])),
        "CFLAGS": f"-O3 -I{CY}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "Cython.Build.Cythonize", "-i", "-q", path],
        cwd=directory, env=env, capture_output=True, text=True,
    )
    if done.returncode:
        sys.exit(
            "read_lines_floor.py: could not build its C loop (it needs a C compiler and "
            f"the Python headers):\n{done.stdout}{done.stderr}"
        )
    sys.path.insert(0, directory)
    import floorloop

    return floorloop.lines


def main(rounds):
    read_lines = _requirements()
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
