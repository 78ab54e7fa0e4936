"""Threads sharing one iterator: nothing crashes, no item is lost or repeated.

Every iterator of both twins is shared by 16 threads that a Barrier starts
together; every item the reference gives must come out exactly once, and
each thread must see its items in the reference's order.  Sources that run
Python code (and sleep(0) now and then, so that the threads really switch
in the middle of a ``next()``) exercise the guard's waiting; list sources
exercise the paths that take no guard at all.

On a free-threaded build these are real races; the hardening session runs
them with ``CYITER_STRESS_ROUNDS`` (default 3) set high.
"""

import itertools
import os
import pickle
import threading
import time
from fractions import Fraction

import pytest

THREADS = 16
ROUNDS = int(os.environ.get("CYITER_STRESS_ROUNDS", "3"))
ITEMS = 400


def generator(items):
    """A source that runs Python code and yields the thread now and then."""
    for i, item in enumerate(items):
        if i % 3 == 0:
            time.sleep(0)
        yield item


def hammer(iterator, per_thread=None):
    """Each thread's items, in the order it got them, drained by THREADS
    threads released together (or per_thread ``next()`` each)."""
    barrier = threading.Barrier(THREADS)
    results = [None] * THREADS
    errors = []

    def work(index):
        got = []
        try:
            barrier.wait()
            if per_thread is None:
                got.extend(iterator)
            else:
                got.extend(next(iterator) for _ in range(per_thread))
        except BaseException as exc:  # reported below, with the thread
            errors.append((index, exc))
        results[index] = got

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    return results


def held_midway(make, items, at=7):
    """All the items of ``make(source)``, in the order they came out: one
    thread takes items until it blocks inside the source at item *at*,
    holding the iterator; meanwhile a second thread calls ``next()`` once and
    waits; then the rest is drained.  The call that waited must take up the
    state the other one left, not the one it saw on arrival."""
    arrived = threading.Event()
    go = threading.Event()

    def source():
        for i, item in enumerate(items):
            if i == at:
                arrived.set()
                go.wait(10)
            yield item

    iterator = make(source())
    first, second = [], []

    def take_until_held():
        while not arrived.is_set():
            first.append(next(iterator))

    threads = [
        threading.Thread(target=take_until_held),
        threading.Thread(target=lambda: second.append(next(iterator))),
    ]
    threads[0].start()
    assert arrived.wait(10)
    threads[1].start()
    time.sleep(0.05)  # the second one is waiting by now
    go.set()
    for thread in threads:
        thread.join()
    return first + second + list(iterator)


def check_shared(results, expected, key=repr):
    """Every expected item exactly once overall, each thread in order."""
    position = {key(item): i for i, item in enumerate(expected)}
    assert len(position) == len(expected), "the expected items must be distinct"
    combined = [item for got in results for item in got]
    assert sorted(combined, key=lambda item: position[key(item)]) == expected
    for got in results:
        indexes = [position[key(item)] for item in got]
        assert indexes == sorted(indexes)


def batches(items, n):
    """itertools.batched (3.12+) of a list."""
    return [tuple(items[i : i + n]) for i in range(0, len(items), n)]


def wrap(kind, items):
    return generator(items) if kind == "generator" else list(items)


SOURCES = ["list", "generator"]


@pytest.mark.parametrize("start, step", [(0, 1), (10**20, 3), (0.5, 0.25), (Fraction(1, 3), 1)])
def test_count(impl, start, step):
    per_thread = 200
    for _ in range(ROUNDS):
        c = impl.count(start, step)
        results = hammer(c, per_thread)
        check_shared(results, [start + i * step for i in range(THREADS * per_thread)])
        assert next(c) == start + THREADS * per_thread * step


@pytest.mark.parametrize("n", [None, 300])
def test_fibonacci(impl, n):
    for _ in range(ROUNDS):
        f = impl.fibonacci(n)
        results = hammer(f, per_thread=None if n else 100)
        expected = list(itertools.islice(impl.fibonacci(), n or THREADS * 100))
        # 1 comes twice: compare the multisets; each thread's terms ascend
        combined = sorted(item for got in results for item in got)
        assert combined == sorted(expected)
        for got in results:
            assert got == sorted(got)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("n", [1, 2, 7])
def test_batched(impl, source, n):
    items = list(range(ITEMS))
    for _ in range(ROUNDS):
        b = impl.batched(wrap(source, items), n)
        check_shared(hammer(b), batches(items, n))
        with pytest.raises(StopIteration):
            next(b)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize("n", [1, 3, None])
def test_chunked(impl, source, n):
    items = list(range(ITEMS))
    for _ in range(ROUNDS):
        c = impl.chunked(wrap(source, items), n)
        expected = [items] if n is None else [list(b) for b in batches(items, n)]
        check_shared(hammer(c), expected)


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda impl, src: impl.batched(src, 3), batches(list(range(ITEMS)), 3)),
        (lambda impl, src: impl.chunked(src, 3), [list(b) for b in batches(list(range(ITEMS)), 3)]),
        (lambda impl, src: impl.flatten([src, [-1]]), [*range(ITEMS), -1]),
        (lambda impl, src: impl.collapse([src, [-1]]), [*range(ITEMS), -1]),
    ],
    ids=["batched", "chunked", "flatten", "collapse"],
)
def test_a_call_that_waited_takes_up_where_the_other_left(impl, make, expected):
    assert held_midway(lambda src: make(impl, src), list(range(ITEMS))) == expected


@pytest.mark.parametrize("source", SOURCES)
def test_flatten(impl, source):
    items = list(range(ITEMS))
    for _ in range(ROUNDS):
        parts = [wrap(source, items[i : i + 5]) for i in range(0, ITEMS, 5)]
        f = impl.flatten(wrap(source, parts))
        check_shared(hammer(f), items)


@pytest.mark.parametrize("source", SOURCES)
def test_collapse(impl, source):
    items = list(range(ITEMS))
    for _ in range(ROUNDS):
        # leaves at depths 1 to 4, some of them under generators
        tree = [
            wrap(source, [i, [i + 1, (i + 2, [i + 3, wrap(source, [i + 4])])]])
            for i in range(0, ITEMS, 5)
        ]
        check_shared(hammer(impl.collapse(tree)), items)


@pytest.fixture
def numbered_file(tmp_path):
    path = tmp_path / "numbers.csv"
    lines = [b"id,word"] + [b"%d,w%d" % (i, i * 7) for i in range(ITEMS)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.mark.parametrize("size", [8, 24, 4096])
def test_read_chunks(impl, tmp_path, size):
    path = tmp_path / "records"
    path.write_bytes(b"".join(b"%07d\n" % i for i in range(ITEMS)))  # 8 bytes each
    data = path.read_bytes()
    expected = [data[i : i + size] for i in range(0, len(data), size)]
    for _ in range(ROUNDS):
        with impl.read_chunks(path, size) as chunks:
            check_shared(hammer(chunks), expected)


def test_read_lines(impl, numbered_file):
    expected = numbered_file.read_bytes().splitlines()
    for _ in range(ROUNDS):
        with impl.read_lines(numbered_file, buffer_size=64) as lines:
            check_shared(hammer(lines), expected)


def test_read_csv(impl, numbered_file):
    expected = [{"id": str(i), "word": f"w{i * 7}"} for i in range(ITEMS)]
    for _ in range(ROUNDS):
        with impl.read_csv(numbered_file) as rows:
            check_shared(hammer(rows), expected, key=lambda row: row["id"])


def test_pickles_taken_during_iteration_resume_exactly(impl):
    # One thread pickles while the others iterate: every snapshot must be a
    # consistent state, so what it yields is exactly a suffix of the items.
    items = list(range(ITEMS))
    expected = batches(items, 3)
    for _ in range(ROUNDS):
        b = impl.batched(items, 3)
        snapshots = []
        done = threading.Event()

        def snapshot():
            # a bounded number, spread over the iteration (a free-threaded
            # build would take millions, each one checked below)
            while not done.is_set() and len(snapshots) < 300:
                snapshots.append(pickle.dumps(b))
                time.sleep(0.0001)

        taker = threading.Thread(target=snapshot)
        taker.start()
        try:
            results = hammer(b)
        finally:
            done.set()
            taker.join()
        check_shared(results, expected)
        assert snapshots
        for data in snapshots:
            rest = list(pickle.loads(data))
            assert rest == expected[len(expected) - len(rest) :]
