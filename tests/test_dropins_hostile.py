"""The more-itertools drop-ins under threads and hostile sources, on both
twins: nothing crashes, nothing is lost or repeated, a re-entry is a clear
RuntimeError.  In the style of test_threads.py and test_crashers.py (whose
helpers they use); the hardening sessions run them on a debug CPython,
under AddressSanitizer and free-threaded.
"""

import gc
import itertools
import operator
import pickle
import sys
import threading
import weakref

import more_itertools
import pytest
from dropins import CASES, NAMES, made, public_name
from support import Source
from test_crashers import CallingBack
from test_threads import ROUNDS, THREADS, check_shared, generator, hammer, held_midway

REENTERED = "cannot re-enter"
ITEMS = 400


# each made over a source of ITEMS distinct ints, its outputs all distinct
SHARED = {
    "windowed": lambda ns, src: ns.windowed(src, 3, step=2),
    "sliding_window": lambda ns, src: ns.sliding_window(src, 3),
    "unique_everseen": lambda ns, src: ns.unique_everseen(src, key=lambda x: x // 2),
    "unique_justseen": lambda ns, src: ns.unique_justseen(src, key=lambda x: x // 3),
    "interleave": lambda ns, src: ns.interleave(src, range(-ITEMS, 0)),
    "interleave_longest": lambda ns, src: ns.interleave_longest(src, range(-50, 0)),
    "roundrobin": lambda ns, src: ns.roundrobin(range(-50, 0), src),
    "constrained_batches": lambda ns, src: ns.constrained_batches(src, 100, 4, get_len=lambda x: 10),
    "peekable": lambda ns, src: ns.peekable(src),
}


@pytest.mark.parametrize("source", ["list", "generator"])
@pytest.mark.parametrize("name", sorted(SHARED))
def test_threads_share_one_iterator(impl, name, source):
    make = SHARED[name]
    items = list(range(ITEMS))
    expected = list(make(more_itertools, iter(items)))
    for _ in range(ROUNDS):
        src = iter(items) if source == "list" else generator(items)
        it = make(impl, src)
        check_shared(hammer(it), expected)
        with pytest.raises(StopIteration):
            next(it)


@pytest.mark.parametrize("name", sorted(SHARED))
def test_a_call_that_waited_takes_up_where_the_other_left(impl, name):
    make = SHARED[name]
    items = list(range(ITEMS))
    expected = list(make(more_itertools, iter(items)))
    assert held_midway(lambda src: make(impl, src), items) == expected


def test_threads_share_ichunked_and_its_chunks(impl):
    # each thread takes chunks and reads them; other threads meanwhile ask
    # for the next chunk, which stores what is left of the current one
    items = list(range(ITEMS))
    for _ in range(ROUNDS):
        it = impl.ichunked(generator(items), 7)
        barrier = threading.Barrier(THREADS)
        got = [[] for _ in range(THREADS)]

        def work(out):
            barrier.wait()
            for chunk in it:
                out.append(list(chunk))

        workers = [threading.Thread(target=work, args=(out,)) for out in got]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        chunks = sorted((c for out in got for c in out), key=lambda c: c[0])
        assert chunks == [items[i : i + 7] for i in range(0, ITEMS, 7)]


def test_threads_peek_and_look_ahead_on_one_peekable(impl):
    # peek(), slices and next() from many threads: each item comes out once
    items = list(range(ITEMS))
    p = impl.peekable(generator(items))
    barrier = threading.Barrier(THREADS)
    got = [[] for _ in range(THREADS)]

    def work(out):
        barrier.wait()
        while True:
            try:
                p.peek()
                p[1:3] if len(out) % 3 == 0 else None
                out.append(next(p))
            except StopIteration:
                return

    workers = [threading.Thread(target=work, args=(out,)) for out in got]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    check_shared(got, items)


def test_pickles_taken_during_iteration_resume_exactly(impl):
    items = list(range(ITEMS))
    expected = list(impl.windowed(items, 3, step=2))
    for _ in range(ROUNDS):
        w = impl.windowed(iter(items), 3, step=2)
        snapshots = []
        done = threading.Event()

        def snapshot():
            while not done.is_set() and len(snapshots) < 200:
                snapshots.append(pickle.dumps(w))

        taker = threading.Thread(target=snapshot)
        taker.start()
        try:
            results = hammer(w)
        finally:
            done.set()
            taker.join()
        check_shared(results, expected)
        for data in snapshots:
            rest = list(pickle.loads(data))
            assert rest == expected[len(expected) - len(rest) :]


# -- hostile sources (test_crashers.py's scenarios) ------------------------------


@pytest.mark.parametrize("case", NAMES)
def test_generator_source_calling_next_on_its_consumer(impl, case):
    box = []

    def g():
        for item in CASES[case].items:
            yield item
            next(box[0])

    for _ in range(20):
        it = made(impl, case, g())
        box[:] = [it]
        with pytest.raises(RuntimeError, match=REENTERED):
            CASES[case].drain(it)


@pytest.mark.parametrize("case", NAMES)
def test_source_reading_length_hint_repr_and_pickle_mid_next(impl, case):
    box = []
    seen = []

    def look():
        it = box[0]
        seen.append((operator.length_hint(it, -1), repr(it), it.__reduce__()))

    spec = CASES[case]
    it = made(impl, case, CallingBack(spec.items, look, at=3))
    box.append(it)
    assert spec.drain(it) == spec.drain(made(impl, case))
    [(hint, text, reduced)] = seen
    assert hint >= -1
    assert public_name(case) in text
    assert reduced[1] == (public_name(case),)


@pytest.mark.parametrize("case", NAMES)
def test_source_dropping_every_outside_reference_and_collecting(impl, case):
    holder = {}

    def drop():
        holder.clear()
        gc.collect()

    spec = CASES[case]
    holder["it"] = made(impl, case, CallingBack(spec.items, drop, at=3))
    consumer = map(lambda x: x, holder["it"])  # holds it by a C reference
    got = spec.drain(consumer)
    assert holder == {}
    assert got == spec.drain(made(impl, case))


@pytest.mark.parametrize("case", NAMES)
def test_source_raising_midway(impl, case):
    # the error propagates unchanged; whatever follows, nothing crashes
    spec = CASES[case]
    for fail_at in range(1, len(spec.items) + 1):
        error = ZeroDivisionError(f"failed at {fail_at}")
        it = made(impl, case, Source(spec.items, fail_at=fail_at, exc=error))
        with pytest.raises(ZeroDivisionError) as caught:
            spec.drain(it)
        assert caught.value is error
        list(itertools.islice(it, 100))


class Grabbing:
    """A source of one-item lists that, before each item, takes every tuple
    the iterator in ``box[0]`` holds (through gc.get_referents) with a
    copy of its items then."""

    def __init__(self, count):
        self.it = iter([[i] for i in range(count)])
        self.box = []
        self.grabbed = []

    def __iter__(self):
        return self

    def __next__(self):
        if self.box:
            for obj in gc.get_referents(self.box[0]):
                if type(obj) is tuple:
                    self.grabbed.append((obj, list(obj)))
        return next(self.it)


@pytest.mark.parametrize("make", [
    lambda ns, src: ns.windowed(src, 4),
    lambda ns, src: ns.windowed(src, 4, step=2),
    lambda ns, src: ns.windowed(src, 3, fillvalue=[], step=5),
    lambda ns, src: ns.sliding_window(src, 2),
])  # fmt: skip
def test_windows_held_elsewhere_never_change(impl, make):
    # A window is refilled in place only when nothing else holds it: one
    # taken by the source while next() runs is whole, and never changes.
    source = Grabbing(40)
    w = make(impl, source)
    source.box.append(w)
    out = []
    for window in w:
        out.append(list(window))
        del window
    assert source.grabbed
    for window, items in source.grabbed:
        assert list(window) == items
    assert out == [list(x) for x in make(more_itertools, iter([[i] for i in range(40)]))]


class Box(list):
    """A list that takes weak references."""


def test_a_window_refilled_with_a_container_is_tracked(impl):
    box = Box()
    w = impl.sliding_window(iter([0, 1, 2, box]), 2)
    next(w)
    gc.collect()  # untracks the window of ints (its one holder is w)
    next(w)
    window = next(w)
    assert window == (2, box)
    assert gc.is_tracked(window)
    box.append(window)  # a cycle through the window
    probe = weakref.ref(box)
    del box, window, w
    gc.collect()
    assert probe() is None


try:
    import _testcapi

    set_nomemory = getattr(_testcapi, "set_nomemory", None)
except ImportError:
    set_nomemory = None


@pytest.mark.skipif(set_nomemory is None, reason="this CPython has no _testcapi.set_nomemory")
@pytest.mark.skipif(
    not getattr(sys, "_is_gil_enabled", lambda: True)(),
    reason="3.13t makes the failing allocation itself, around the call (and crashed later in pytest when it was let through)",
)
@pytest.mark.parametrize("case", NAMES)
@pytest.mark.parametrize("keep", [True, False])
def test_a_failed_allocation_never_crashes_hangs_or_leaks(impl, case, keep):
    # the k-th allocation of a next() fails, for each k in turn; with every
    # output kept (no window or round is reused) next() allocates more
    spec = CASES[case]
    kept = []
    for k in range(30):
        it = made(impl, case)
        kept.append(next(it))
        if not keep:
            kept.clear()
        set_nomemory(k, k + 1)
        try:
            kept.append(next(it))
        except (MemoryError, StopIteration):
            pass
        finally:
            _testcapi.remove_mem_hooks()
        # the rest in another thread: a guard left taken would hang here
        worker = threading.Thread(target=lambda: kept.extend(itertools.islice(it, 100)), daemon=True)
        worker.start()
        worker.join(30)
        assert not worker.is_alive(), f"allocation {k} failed: the iterator hangs"
        if not keep:
            kept.clear()
    assert len(kept) >= 30 + len(spec.items) // 4 or not keep


class Meddling:
    """A source that, before each item, finds every list the iterator in
    ``box[0]`` holds (through gc.get_referents) and refills it with junk."""

    def __init__(self, items):
        self.items = iter(items)
        self.box = []

    def __iter__(self):
        return self

    def __next__(self):
        if self.box:
            for obj in gc.get_referents(self.box[0]):
                if type(obj) is list:
                    obj[:] = [object()] * 3
        return next(self.items)


@pytest.mark.parametrize("case", NAMES)
def test_private_lists_changed_by_the_source(impl, case):
    # the code a source runs can reach an iterator's own lists: whatever it
    # does to them, the iterator never reads or writes past their ends
    source = Meddling(CASES[case].items)
    it = made(impl, case, source)
    source.box.append(it)
    if case == "peekable":
        it.peek()
        it.prepend(1, 2)
        it[3:5]
    taken = 0
    try:
        for item in itertools.islice(it, 100):  # (junk may be yielded for ever)
            if case == "ichunked":
                list(item)
            taken += 1
    except (TypeError, ValueError, IndexError):
        pass  # junk met where items were expected: an error, not a crash
    assert taken > 0
