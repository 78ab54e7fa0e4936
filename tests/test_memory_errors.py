"""A MemoryError in the middle of a next(), on both twins.

CPython's ``_testcapi.set_nomemory`` makes the k-th memory allocation from
now on fail, for each k in turn.  Whatever that hits, the iterator must
neither hang nor crash, and for the iterators that can try again (the item
is still in the list, the buffer or the state) the next calls go on where
the failed one was: no item is lost or repeated (read_csv: over a source
that can seek back to the row).  Not included: collapse (it ends at any
error, as more_itertools.collapse does) and flatten (it ends at some, as
chain.from_iterable does), and, on the pure-Python twin only, so not here
either: read_chunks, which
cannot make its chunk before reading it, and batched or chunked over an
iterator, whose ``list(islice(...))`` drops what it pulled when it fails.
(The Cython twin makes the chunk first, and when it cannot make a batch it
tries once more at once.)
"""

import csv
import io
import json
import threading

import pytest

testcapi = pytest.importorskip("_testcapi")
if not hasattr(testcapi, "set_nomemory"):
    pytest.skip("this CPython has no _testcapi.set_nomemory", allow_module_level=True)

CSV = b'"a","b","c"\r\n' + b"".join(
    b'%d,"x,%d"\r\n' % (i, i) if i % 3 else b"%d,%d.5,\n\n" % (i, i) for i in range(40)
)
LINES = b"".join(b"line %d,x\r\n" % i if i % 7 == 3 else b"line %d,x\n" % i for i in range(40))
JSONL = b"".join(b'{"i": %d, "s": ["x\\u00e9", %d.5]}\r\n' % (i, i) if i % 5 else b"\n  \n" for i in range(40))

# name -> (make an iterator over fresh data, how many items to take before
# the failing call: where the next item needs memory on both twins)
CASES = {
    "read_lines/bytes": (lambda impl: impl.read_lines(io.BytesIO(LINES)), 2),
    "read_lines/keepends": (lambda impl: impl.read_lines(io.BytesIO(LINES), keepends=True), 2),
    "read_lines/str": (lambda impl: impl.read_lines(io.BytesIO(LINES), encoding="utf-8"), 2),
    "read_lines/str-not-ascii": (
        lambda impl: impl.read_lines(io.BytesIO(LINES.replace(b"x", "\u00e9".encode())), encoding="utf-8"),
        2,
    ),
    # batches over 20 items: no tuple from CPython's free list
    "batched/list": (lambda impl: impl.batched(list(range(300)), 30), 2),
    "chunked/list": (lambda impl: impl.chunked(list(range(300)), 30), 2),
    # past the terms below 2**64, which the Cython twin keeps made
    "fibonacci": (lambda impl: impl.fibonacci(120), 95),
    "count": (lambda impl: impl.count(10**20, 3), 2),
    # (not orjson, read_jsonl's default: orjson 3.13 crashes when one of its
    # own allocations fails)
    "read_jsonl": (lambda impl: impl.read_jsonl(io.BytesIO(JSONL), loads=json.loads), 2),
    "read_csv": (lambda impl: impl.read_csv(io.BytesIO(CSV)), 2),
    "read_csv/header": (lambda impl: impl.read_csv(io.BytesIO(CSV)), 0),
    "read_csv/quoting": (lambda impl: impl.read_csv(io.BytesIO(CSV), quoting=csv.QUOTE_NONNUMERIC), 2),
}
LIMIT = 150  # count never ends: take this many items


def drain(iterator, out):
    for item in iterator:
        out.append(item)
        if len(out) >= LIMIT:
            return


def failing_once(iterator, k):
    """next(iterator) with its k-th allocation failing: (item, None) or
    (None, "MemoryError")."""
    item = None
    failed = None
    testcapi.set_nomemory(k, k + 1)
    try:
        item = next(iterator)
    except MemoryError:
        failed = "MemoryError"
    finally:
        testcapi.remove_mem_hooks()
    return item, failed


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_failed_allocation_loses_nothing(impl, name):
    make, skip = CASES[name]
    expected = []
    drain(make(impl), expected)
    failures = 0
    for k in range(12):
        iterator = make(impl)
        got = [next(iterator) for _ in range(skip)]
        item, failed = failing_once(iterator, k)
        if failed:
            failures += 1
        else:
            got.append(item)
        # the rest in another thread: a guard left taken would hang here
        rest = []
        worker = threading.Thread(target=drain, args=(iterator, rest), daemon=True)
        worker.start()
        worker.join(30)
        assert not worker.is_alive(), f"allocation {k} failed: the iterator hangs"
        assert (got + rest)[:LIMIT] == expected, f"allocation {k} failed ({failed})"
    assert failures, "no allocation failed: the test tests nothing"
