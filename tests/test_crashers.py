"""CPython's itertools crash reports, replayed against every cyiter iterator.

Each test is the scenario of a reported crash of a C iterator in CPython
(use-after-free through a re-entrant ``__next__``, a callback that drops
what the iterator holds, dealloc during iteration), turned on cyiter's
iterators of both twins.  What they must do: never crash, and where the
iterator is re-entered, raise a clear RuntimeError.  On a release build a
use-after-free often goes unnoticed: the hardening sessions run this file on
a debug CPython and under AddressSanitizer, where it does not.
"""

import gc
import io
import itertools
import operator
import pickle
import weakref

import pytest

REENTERED = "cannot re-enter"


def reenter_through_source(impl, name, make_source):
    """The iterator *name* over a source that calls ``next()`` on it."""
    box = []
    source = make_source(lambda: next(box[0]))
    it = {
        "batched": lambda: impl.batched(source, 2),
        "chunked": lambda: impl.chunked(source, 2),
        "flatten": lambda: impl.flatten(source),
        "collapse": lambda: impl.collapse(source),
    }[name]()
    box.append(it)
    return it


SOURCE_TAKERS = ["batched", "chunked", "flatten", "collapse"]


@pytest.mark.parametrize("name", SOURCE_TAKERS)
def test_generator_source_calling_next_on_its_consumer(impl, name):
    # gh-149557 (pairwise): ``def g(): yield next(it)``, many times over
    def make_source(call_back):
        def g():
            yield [call_back()]

        return g()

    for _ in range(200):
        it = reenter_through_source(impl, name, make_source)
        with pytest.raises(RuntimeError, match=REENTERED):
            next(it)


class CallingBack:
    """An iterator whose *at*-th ``__next__`` runs *callback* first."""

    def __init__(self, items, callback, at=1):
        self.items = iter(items)
        self.callback = callback
        self.at = at
        self.pulls = 0

    def __iter__(self):
        return self

    def __next__(self):
        self.pulls += 1
        if self.pulls == self.at:
            self.callback()
        return next(self.items)


@pytest.mark.parametrize("at", [1, 2, 3])
@pytest.mark.parametrize("name", SOURCE_TAKERS)
def test_source_reentering_in_the_middle_of_a_batch(impl, name, at):
    # gh-142732 (batched/islice/zip_longest): the source's __next__ re-enters
    # while items of the current batch are held half-gathered
    def make_source(call_back):
        return CallingBack([[1], [2], [3], [4]], call_back, at)

    it = reenter_through_source(impl, name, make_source)
    with pytest.raises(RuntimeError, match=REENTERED):
        list(it)
    # whatever state it is left in, it can still be used and freed
    list(itertools.islice(it, 10))
    del it
    gc.collect()


def test_count_step_radd_reentering(impl):
    # gh-154670: step.__radd__ calls next() on the same count
    class Step:
        armed = True

        def __index__(self):
            return 1

        def __radd__(self, other):
            if Step.armed:
                Step.armed = False
                next(c)
            return other + 1

    c = impl.count(1 << 100, Step())
    with pytest.raises(RuntimeError, match=REENTERED):
        next(c)
    assert next(c) == 1 << 100
    assert next(c) == (1 << 100) + 1


def test_count_step_dropped_by_its_own_radd(impl):
    # gh-154670's use-after-free without re-entering next(): __radd__ makes
    # the count let go of the step whose method is running, then returns
    # NotImplemented, so the addition still reads the step to fail
    class Step:
        armed = True

        def __index__(self):
            return 1

        def __radd__(self, other):
            if Step.armed:
                Step.armed = False
                c.__setstate__((5, 2))
            return NotImplemented

    c = impl.count(1 << 100, Step())
    with pytest.raises((TypeError, RuntimeError)):
        next(c)
    # either the state was replaced (step 2 from 5 on), or it was refused and
    # the step, which cannot add, is still there
    try:
        value = next(c)
    except TypeError:
        value = "still Step"
    assert value in (5, "still Step")


def test_fibonacci_max_value_dropped_by_its_own_comparison(impl):
    class Limit:
        armed = False

        def __lt__(self, other):  # the reflected side of ``term > limit``
            if Limit.armed:
                Limit.armed = False
                f.__setstate__((None, None, 0, 1, None))
                return NotImplemented
            return False

    f = impl.fibonacci(max_value=Limit())
    Limit.armed = True
    with pytest.raises((TypeError, RuntimeError)):
        next(f)
    assert next(f) == 0


def test_fibonacci_max_value_comparison_reentering(impl):
    # gh-146613 / gh-143543 (groupby): a user __eq__-like comparison
    # re-enters the iterator that is comparing
    class Limit:
        armed = False

        def __lt__(self, other):  # the reflected side of ``term > limit``
            if Limit.armed:
                Limit.armed = False
                next(f)
            return False

    f = impl.fibonacci(max_value=Limit())
    for _ in range(100):  # past the 64-bit terms, onto the Python-int path
        next(f)
    Limit.armed = True
    with pytest.raises(RuntimeError, match=REENTERED):
        for _ in range(100):
            next(f)


def test_collapse_base_type_instancecheck_reentering(impl):
    class Meta(type):
        armed = False

        def __instancecheck__(cls, obj):
            if Meta.armed:
                Meta.armed = False
                next(c)
            return False

    class Atom(metaclass=Meta):
        pass

    c = impl.collapse([[1, [2]], 3], base_type=Atom)
    Meta.armed = True
    with pytest.raises(RuntimeError, match=REENTERED):
        next(c)


@pytest.mark.parametrize("name", ["flatten", "collapse"])
def test_iterable_that_is_the_iterator_itself(impl, name):
    # the source hands back the very iterator that is pulling from it
    box = []

    def g():
        yield box[0]

    it = impl.flatten(g()) if name == "flatten" else impl.collapse([1, g()])
    box.append(it)
    with pytest.raises(RuntimeError, match=REENTERED):
        list(it)


@pytest.mark.parametrize("name", SOURCE_TAKERS)
def test_setstate_from_the_source_while_running(impl, name):
    # the source replaces what the running iterator holds (its source, the
    # items gathered so far): the running call must not see freed memory
    box = []

    def drop_everything():
        box[0].__setstate__(box[0].__reduce__()[2])

    it = reenter_through_source(
        impl, name, lambda _: CallingBack([[1], [2], [3]], drop_everything, at=2)
    )
    box.append(it)
    with pytest.raises(RuntimeError, match=REENTERED):
        list(it)


@pytest.mark.parametrize("name", SOURCE_TAKERS)
def test_source_asking_for_length_hint_repr_and_pickle_mid_next(impl, name):
    # read-only methods called from inside a next(): answered, no crash
    box = []
    seen = []

    def look():
        it = box[0]
        seen.append((operator.length_hint(it, -1), repr(it), it.__reduce__()))

    it = reenter_through_source(impl, name, lambda _: CallingBack([[1], [2], [3]], look, at=2))
    box.append(it)
    assert list(collapse_all(it)) == [1, 2, 3]
    [(hint, text, reduced)] = seen
    assert hint >= -1
    assert name in text
    assert reduced[1] == (name,)


@pytest.mark.parametrize("name", SOURCE_TAKERS + ["count", "fibonacci"])
def test_dealloc_of_a_half_consumed_iterator_in_a_cycle(impl, name):
    # the iterator is reachable only from a cycle through what it holds
    class Node(int):
        pass

    class Sentinel:
        pass

    def g(node):
        for i in range(10):
            yield [node, i]

    node = Node(2)
    it = {
        "batched": lambda: impl.batched(g(node), 2),
        "chunked": lambda: impl.chunked(g(node), 2),
        "flatten": lambda: impl.flatten(g(node)),
        "collapse": lambda: impl.collapse(g(node), base_type=Node),
        "count": lambda: impl.count(0, node),
        "fibonacci": lambda: impl.fibonacci(max_value=node),
    }[name]()
    node.it = it
    node.sentinel = Sentinel()
    next(it)
    ref = weakref.ref(node.sentinel)
    del it, node
    gc.collect()
    assert ref() is None  # the cycle was collected


@pytest.mark.parametrize("name", SOURCE_TAKERS)
def test_source_dropping_every_outside_reference_and_collecting(impl, name):
    # the source deletes the only outside references to the iterator that
    # holds it, and collects, while that iterator is running
    holder = {}

    def drop():
        holder.clear()
        gc.collect()

    source = CallingBack([[i] for i in range(6)], drop, at=3)
    holder["it"] = {
        "batched": lambda: impl.batched(source, 2),
        "chunked": lambda: impl.chunked(source, 2),
        "flatten": lambda: impl.flatten(source),
        "collapse": lambda: impl.collapse(source),
    }[name]()
    consumer = map(lambda x: x, holder["it"])  # holds it by a C reference
    items = list(consumer)
    assert holder == {}
    assert list(collapse_all(items)) == list(range(6))


def collapse_all(items):
    for item in items:
        if isinstance(item, (list, tuple)):
            yield from collapse_all(item)
        else:
            yield item


def test_deep_collapse_freed_half_consumed(impl):
    tree = 0
    for _ in range(100_000):
        tree = [tree]
    c = impl.collapse([tree, 1])
    assert next(c) == 0
    del c, tree
    gc.collect()


class KeepingViews(io.RawIOBase):
    """A raw file whose readinto keeps every buffer it is given."""

    def __init__(self, data):
        self.data = data
        self.pos = 0
        self.views = []

    def readable(self):
        return True

    def readinto(self, buffer):
        self.views.append(buffer)
        chunk = self.data[self.pos : self.pos + min(5, len(buffer))]
        buffer[: len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


@pytest.mark.parametrize("name", ["read_chunks", "read_lines", "read_csv"])
def test_reader_buffers_kept_by_readinto_outlive_the_reader(impl, name):
    # a readinto that keeps the buffer it got writes into it after the
    # reader is gone: what was yielded must not change, nothing may crash
    data = b"".join(b"%d,x\n" % i for i in range(50))
    raw = KeepingViews(data)
    make = {"read_chunks": lambda: impl.read_chunks(raw, 7), "read_lines": lambda: impl.read_lines(raw),
            "read_csv": lambda: impl.read_csv(raw, fieldnames=["a", "b"])}[name]
    reader = make()
    got = list(reader)
    snapshot = pickle.dumps(got)
    del reader
    gc.collect()
    for view in raw.views:
        try:
            view[:] = b"\xff" * len(view)
        except (ValueError, TypeError):
            pass  # released by the reader: fine too
    assert pickle.dumps(got) == snapshot
    assert len(got) > 1


@pytest.mark.parametrize("name", ["read_chunks", "read_lines", "read_csv"])
def test_reader_closed_from_its_own_readinto(impl, name):
    box = []

    class Closing(KeepingViews):
        def readinto(self, buffer):
            if self.pos > 20:
                box[0].close()
            return super().readinto(buffer)

    raw = Closing(b"".join(b"%d,x\n" % i for i in range(50)))
    make = {"read_chunks": lambda: impl.read_chunks(raw, 7), "read_lines": lambda: impl.read_lines(raw),
            "read_csv": lambda: impl.read_csv(raw, fieldnames=["a", "b"])}[name]
    box.append(make())
    with pytest.raises(RuntimeError, match=REENTERED):
        list(box[0])


class Reentering:
    """A number (count's step, fibonacci's max_value) whose arithmetic and
    comparisons run *callback* once armed."""

    def __init__(self, callback):
        self.callback = callback
        self.armed = False

    def _run(self):
        if self.armed:
            self.armed = False
            self.callback()

    def __index__(self):
        return 1

    def __radd__(self, other):
        self._run()
        return other + 1

    def __lt__(self, other):
        self._run()
        return False

    __gt__ = __lt__


def _reinitialising(impl, name, reinit, at=2):
    """The iterator *name*, whose next call runs ``reinit(it)`` from inside
    its own source or callback."""
    box = []
    call = lambda: reinit(box[0])  # noqa: E731
    if name in SOURCE_TAKERS:
        it = reenter_through_source(impl, name, lambda _: CallingBack([[1], [2], [3], [4]], call, at=at))
    else:
        number = Reentering(call)
        it = impl.count(1 << 70, number) if name == "count" else impl.fibonacci(max_value=number)
        number.armed = True
    box.append(it)
    return it


REINIT = {
    "batched": lambda it: it.__init__([7, 8, 9], 5000),
    "chunked": lambda it: it.__init__([7, 8, 9], 5000),
    "flatten": lambda it: it.__init__([[7], [8]]),
    "collapse": lambda it: it.__init__([7, [8]]),
    "count": lambda it: it.__init__(5),
    "fibonacci": lambda it: it.__init__(3),
}


@pytest.mark.parametrize("name", SOURCE_TAKERS + ["count", "fibonacci"])
def test_init_from_inside_a_running_call_is_refused(impl, name):
    # a second __init__ while the object is in the middle of a call would
    # swap its state (buffers, sources) under the running call
    it = _reinitialising(impl, name, REINIT[name])
    with pytest.raises(RuntimeError, match=REENTERED):
        list(itertools.islice(it, 20))
    # the state is the old one, whole: it can still be used and freed
    list(itertools.islice(it, 20))
    del it
    gc.collect()


@pytest.mark.parametrize("name", SOURCE_TAKERS + ["count", "fibonacci"])
def test_init_from_another_thread_waits_for_the_running_call(impl, name):
    # another thread's __init__ runs once the running call is over: that
    # call finishes with the old state, and the next one has the new state
    import threading

    started, release = threading.Event(), threading.Event()
    first, errors = [], []

    def block():
        started.set()
        release.wait(5)

    it = _reinitialising(impl, name, lambda _: block(), at=1)

    def run(work):
        try:
            work()
        except BaseException as exc:  # the outcome under test
            errors.append(exc)

    running = threading.Thread(target=run, args=(lambda: first.append(next(it)),))
    running.start()
    assert started.wait(5)
    reinit = threading.Thread(target=run, args=(lambda: REINIT[name](it),))
    reinit.start()
    reinit.join(0.05)
    assert reinit.is_alive()  # waiting for the running call
    release.set()
    running.join(10)
    reinit.join(10)
    assert not running.is_alive() and not reinit.is_alive() and errors == []
    assert len(first) == 1
    assert list(itertools.islice(it, 3)) == list(itertools.islice(_fresh(impl, name), 3))


def _fresh(impl, name):
    """What REINIT[name] makes, on a new object."""
    return {
        "batched": lambda: impl.batched([7, 8, 9], 5000),
        "chunked": lambda: impl.chunked([7, 8, 9], 5000),
        "flatten": lambda: impl.flatten([[7], [8]]),
        "collapse": lambda: impl.collapse([7, [8]]),
        "count": lambda: impl.count(5),
        "fibonacci": lambda: impl.fibonacci(3),
    }[name]()
