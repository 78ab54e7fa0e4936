"""Hostile conditions for the foundation iterators, on both twins: reference
cycles through half-consumed iterators, memory growth over many runs, and
threads sharing one iterator."""

import gc
import itertools
import pickle
import threading
import time
import tracemalloc
import weakref
from collections import Counter

import pytest
from support import Source

N = 3000


def flat(batches):
    return [x for b in batches for x in b]


# name -> (make iterator over a source, turn its output into the source's items)
CASES = {
    "batched": (lambda impl, src: impl.batched(src, 3), flat),
    "chunked": (lambda impl, src: impl.chunked(src, 4), flat),
    "flatten": (lambda impl, src: impl.flatten(([x] for x in src) if not isinstance(src, list) else [[x] for x in src]), list),
    "collapse": (lambda impl, src: impl.collapse(([x, [x + 0.5]] for x in src) if not isinstance(src, list) else [[x, [x + 0.5]] for x in src]), lambda out: [x for x in out if x == int(x)]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_cycle_through_half_consumed_iterator_is_collected(impl, name):
    make, _ = CASES[name]
    src = Source(range(50))
    it = make(impl, src)
    src.owner = it  # source -> iterator -> source
    next(it)
    probe = weakref.ref(src)
    del it, src
    gc.collect()
    assert probe() is None


def test_count_and_fibonacci_in_cycles_are_collected(impl):
    class Holder:
        pass

    for it in (impl.count(1.5, 0.5), impl.fibonacci(max_value=10**30)):
        h = Holder()
        h.it = it
        next(it)
        probe = weakref.ref(h)
        del h, it
        gc.collect()
        assert probe() is None


def _workload(impl):
    """One round of everything: create, consume, pickle, fail, re-enter."""
    list(impl.batched(list(range(100)), 7))
    list(impl.batched(iter(range(100)), 5000))
    list(impl.chunked(iter(range(100)), 3))
    list(impl.chunked(tuple(range(50)), None))
    list(impl.flatten([[1, 2], "ab", range(5)]))
    list(impl.collapse([[1, [2, (3, "x")]], b"y"]))
    c = impl.count(10**20, 3)
    next(c)
    pickle.loads(pickle.dumps(c))
    list(impl.fibonacci(120))
    for make in (lambda: impl.batched(Source(range(9), fail_at=4), 2), lambda: impl.chunked(Source(range(9), fail_at=2), 2, strict=True)):
        it = make()
        try:
            list(it)
        except ZeroDivisionError:
            pass
    b = impl.batched(Source(range(4), hook=lambda: next(b)), 2)
    try:
        next(b)
    except RuntimeError:
        pass
    half = impl.collapse([[1, [2]], [3]])
    next(half)
    pickle.loads(pickle.dumps(half))


def test_no_memory_growth(impl):
    b = None  # noqa: F841 - the re-entrant workload closes over a local of its own
    for _ in range(30):
        _workload(impl)
    gc.collect()
    tracemalloc.start()
    try:
        for _ in range(200):
            _workload(impl)
        gc.collect()
        first, _ = tracemalloc.get_traced_memory()
        for _ in range(400):
            _workload(impl)
        gc.collect()
        second, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # twice the work: anything retained per round would double; allow noise
    assert second - first < 64 * 1024, (first, second)


class SlowSource:
    """A Python-level iterator that yields the GIL inside __next__, so other
    threads run while one is inside the cyiter iterator."""

    def __init__(self, items):
        self.it = iter(items)
        self.lock = threading.Lock()

    def __iter__(self):
        return self

    def __next__(self):
        time.sleep(0)
        if not self.lock.acquire(False):
            raise AssertionError("the source was entered by two threads at once")
        try:
            return next(self.it)
        finally:
            self.lock.release()


def _share(it, threads=8):
    """Drain *it* from several threads at once; every thread's output."""
    barrier = threading.Barrier(threads)
    outputs = [[] for _ in range(threads)]
    errors = []

    def work(out):
        barrier.wait()
        try:
            for item in it:
                out.append(item)
        except Exception as exc:  # reported below
            errors.append(exc)

    workers = [threading.Thread(target=work, args=(out,)) for out in outputs]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    return [x for out in outputs for x in out]


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("source", ["list", "python"])
def test_threads_share_one_iterator(impl, name, source):
    make, unpack = CASES[name]
    items = list(range(N if source == "list" else N // 10))
    src = items if source == "list" else SlowSource(items)
    got = unpack(_share(make(impl, src)))
    assert Counter(got) == Counter(items)  # nothing lost, nothing duplicated


def test_threads_share_count_and_fibonacci(impl):
    c = impl.count()
    taken = []

    def take():
        taken.extend(next(c) for _ in range(500))

    workers = [threading.Thread(target=take) for _ in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(taken) == list(range(4000))
    assert sorted(_share(impl.fibonacci(400))) == sorted(itertools.islice(impl.fibonacci(), 400))


def test_batches_stay_whole_under_threads(impl):
    got = _share(impl.batched(SlowSource(range(300)), 3))
    assert all(len(b) == 3 and b[1] == b[0] + 1 == b[2] - 1 for b in got)
