"""Conformance of batched and chunked (both twins)."""

import gc
import operator
import sys
import sysconfig
import weakref
from collections import Counter, deque

import more_itertools
import pytest
from support import NoIter, NoNext, Source, outcome, roundtrip

# itertools.batched with strict= exists from 3.13; more-itertools aliases it
# there and carries the same code as pure Python before.
ref_batched = more_itertools.batched


def sources(items):
    """The same items as a list, a tuple, an iterator and a generator."""
    yield list(items)
    yield tuple(items)
    yield iter(list(items))
    yield (x for x in items)


class TestBatched:
    @pytest.mark.parametrize("size", [0, 1, 2, 5, 6, 7, 100])
    @pytest.mark.parametrize("n", [1, 2, 3, 6, 7, 1000, 5000, sys.maxsize])
    def test_matches_reference(self, impl, size, n):
        # itertools.batched (3.13+) allocates n slots up front: past the
        # input's length, n + 1 gives the same batches
        ref_n = min(n, size + 1)
        for source in sources(range(size)):
            assert list(impl.batched(source, n)) == list(ref_batched(range(size), ref_n))

    @pytest.mark.parametrize("n", [1, 2, 3, 4, 5000])
    def test_strict(self, impl, n):
        for size in (0, 4, 5, 12):
            for source in sources(range(size)):
                assert outcome(lambda: impl.batched(source, n, strict=True)) == outcome(
                    lambda: ref_batched(range(size), n, strict=True)
                )

    def test_strict_failure_exhausts(self, impl):
        for source in sources(range(5)):
            b = impl.batched(source, 2, strict=True)
            assert next(b) == (0, 1) and next(b) == (2, 3)
            with pytest.raises(ValueError, match=r"^batched\(\): incomplete batch$"):
                next(b)
            assert list(b) == []

    @pytest.mark.parametrize(
        "args, kwargs, exc, message",
        [
            ((range(3), 0), {}, ValueError, "n must be at least one"),
            ((range(3), -1), {}, ValueError, "n must be at least one"),
            ((range(3), 1.5), {}, TypeError, "'float' object cannot be interpreted as an integer"),
            ((range(3), "2"), {}, TypeError, "'str' object cannot be interpreted as an integer"),
            ((range(3), 2**70), {}, OverflowError, "Python int too large to convert to C ssize_t"),
            ((range(3), -(2**70)), {}, OverflowError, "Python int too large to convert to C ssize_t"),
            ((5, 2), {}, TypeError, "'int' object is not iterable"),
            ((NoIter(), 2), {}, TypeError, "'NoIter' object is not iterable"),
            ((NoNext(), 2), {}, TypeError, None),  # what iter() says (3.15 words it anew)
            ((5, 0), {}, ValueError, "n must be at least one"),  # n is checked first
        ],
    )
    def test_bad_arguments_raise_at_creation(self, impl, args, kwargs, exc, message):
        if message is None:
            with pytest.raises(exc) as expected:
                iter(args[0])
            message = str(expected.value)
        with pytest.raises(exc) as info:
            impl.batched(*args, **kwargs)
        assert str(info.value) == message

    def test_keyword_arguments(self, impl):
        assert list(impl.batched(iterable="abc", n=2)) == [("a", "b"), ("c",)]
        with pytest.raises(TypeError):
            impl.batched("abc", 2, True)  # strict is keyword-only

    def test_batches_are_new_tuples(self, impl):
        t = (1, 2, 3)
        (batch,) = impl.batched(t, 3)
        assert batch == t and batch is not t and type(batch) is tuple

    def test_list_growing_while_iterated(self, impl):
        data = [0, 1, 2]
        out = []
        for batch in impl.batched(data, 2):
            out.append(batch)
            if len(data) < 7:
                data.extend(range(len(data), len(data) + 2))
        assert out == list(ref_batched(range(7), 2))

    def test_list_shrinking_while_iterated(self, impl):
        data = list(range(10))
        b = impl.batched(data, 3)
        assert next(b) == (0, 1, 2)
        del data[4:]
        assert list(b) == [(3,)]

    @pytest.mark.parametrize("n", [2, 4, 5000])
    def test_source_error_propagates_and_exhausts(self, impl, n):
        # itertools.batched (3.12+) is exhausted by an error of its source:
        # later calls raise StopIteration and never pull the source again
        src = Source(range(10), fail_at=3)
        b = impl.batched(src, n)
        if n == 2:
            assert next(b) == (0, 1)
        with pytest.raises(ZeroDivisionError, match="source failed"):
            next(b)
        pulls = src.pulls
        assert list(b) == [] and list(b) == []
        assert src.pulls == pulls

    def test_exhausted_stays_exhausted_without_pulling(self, impl):
        src = Source(range(5))
        b = impl.batched(src, 2)
        assert list(b) == [(0, 1), (2, 3), (4,)]
        pulls = src.pulls
        src.items.extend([7, 8])
        assert list(b) == [] and list(b) == []
        assert src.pulls == pulls

    def test_length_hint(self, impl):
        b = impl.batched(list(range(10)), 3)
        assert operator.length_hint(b) == 4
        next(b)
        assert operator.length_hint(b) == 3
        list(b)
        assert operator.length_hint(b) == 0
        assert operator.length_hint(impl.batched(iter(range(10)), 4)) == 3
        assert operator.length_hint(impl.batched((x for x in range(3)), 2), -5) == -5

    @pytest.mark.parametrize("k", [0, 1, 2, 3, 4])
    @pytest.mark.parametrize("make", [list, tuple, iter])
    def test_pickle_resumes_exactly(self, impl, k, make):
        b = impl.batched(make(list(range(11))), 3)
        for _ in range(k):
            next(b, None)
        copy = roundtrip(b)
        assert list(copy) == list(b)

    def test_pickle_of_a_generator_source_fails_clearly(self, impl):
        import pickle

        b = impl.batched((x for x in range(3)), 2)
        with pytest.raises(TypeError, match="generator"):
            pickle.dumps(b)

    def test_repr(self, impl):
        b = impl.batched([], 1)
        assert repr(b) == f"<cyiter.batched object at {id(b):#x}>"

    def test_reentrant_source_raises_runtime_error(self, impl):
        def hook():
            next(b)

        b = impl.batched(Source(range(4), hook=hook), 2)
        with pytest.raises(RuntimeError, match="cannot re-enter the batched iterator"):
            next(b)

    def test_reinit_from_the_source_raises_runtime_error(self, impl):
        def hook():
            b.__init__([1, 2, 3], 5000)

        b = impl.batched(Source(range(4), hook=hook), 2)
        with pytest.raises(RuntimeError, match="cannot re-enter"):
            next(b)

    @pytest.mark.parametrize(
        "state",
        [({}, 0, 2, False), ([1], -1, 2, False), (5, None, 2, False), ([1], None, 2, False), ("ab", 0, 2, False)],
    )
    def test_crafted_state_is_refused(self, impl, state):
        b = impl.batched([], 1)
        with pytest.raises(TypeError, match="batched state"):
            b.__setstate__(state)

    def test_new_without_init_is_exhausted(self, impl):
        b = impl.batched.__new__(impl.batched)
        assert list(b) == []


def reuses_tuples(impl):
    """Whether *impl*'s batched refills a batch the consumer let go of, in
    place (the Cython twin where CYITER_CAN_REUSE is set, see batching.pyx)."""
    return (
        impl.kind == "cython"
        and sys.implementation.name == "cpython"
        and not sysconfig.get_config_var("Py_GIL_DISABLED")
        and sys.version_info < (3, 16)
    )


def drained(batches):
    """Pull *batches* one by one, dropping each before the next pull (so a
    reusing batched may refill it); a copy of every batch as it came."""
    seen = []
    while True:
        batch = next(batches, None)
        if batch is None:
            return seen
        seen.append(list(batch))
        del batch


def drained_until_error(batches, error):
    """``drained`` for *batches* that end by raising *error*: the values
    of every batch before it."""
    seen = []
    with pytest.raises(error):
        while True:
            batch = next(batches)
            seen.append([x.value for x in batch])
            del batch
    return seen


class Item:
    """An item whose ``__del__`` runs *on_del*, if set."""

    on_del = None

    def __init__(self, value):
        self.value = value

    def __del__(self):
        if self.on_del is not None:
            self.on_del()


def probed(values, probes):
    """An Item of each of *values*, a weak reference to each appended to
    *probes* as it is made."""
    for value in values:
        item = Item(value)
        probes.append(weakref.ref(item))
        yield item


def touch_tuples_of(n, objects=None):
    """Read every item of every tuple of length *n* among *objects* (default:
    every object the collector tracks; a NULL or freed item would crash
    here); return those of Items whose values are not consecutive, as no
    batch of ``range`` values is (a half-refilled one)."""
    broken = []
    for obj in gc.get_objects() if objects is None else objects:
        if type(obj) is tuple and len(obj) == n:
            for item in obj:
                type(item)
            if all(type(item) is Item for item in obj):
                values = [item.value for item in obj]
                if values != list(range(values[0], values[0] + n)):
                    broken.append(values)
    return broken


def source_and_forget(kind, items):
    """*items* as a source of *kind* that keeps no item it has handed out
    (so a dropped batch holds the last references to its items), and the
    function to call on each batch for that: a list source's slots are
    overwritten."""
    if kind == "generator":
        pool = list(items)
        return (pool.pop(0) for _ in range(len(pool))), lambda batch: None
    data = list(items)

    def forget(batch):
        for x in batch:
            for i, y in enumerate(data):
                if y is x:
                    data[i] = None

    return (data if kind == "list" else iter(data)), forget


class TestBatchedReuse:
    """The Cython twin refills the last full batch in place once the
    consumer has dropped it; nothing of that may show.  (Each test runs on
    both twins; ``reuses_tuples`` says where it is really exercised.)"""

    @pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 100])
    def test_kept_batches_stay_distinct_and_whole(self, impl, n):
        # (64 and more: the Cython twin prefetches the items ahead)
        expected = list(ref_batched(range(300), n))
        for source in sources(range(300)):
            got = list(impl.batched(source, n))
            assert got == expected
            assert len({id(batch) for batch in got}) == len(got)

    @pytest.mark.parametrize("n", [1, 2, 3, 7])
    def test_keeping_every_other_batch(self, impl, n):
        expected = list(ref_batched(range(50), n))
        for source in sources(range(50)):
            b = impl.batched(source, n)
            kept, seen = [], []
            while True:
                batch = next(b, None)
                if batch is None:
                    break
                seen.append(tuple(list(batch)))  # a copy, by value
                if len(seen) % 2:
                    kept.append(batch)
                del batch
            assert seen == expected
            assert kept == expected[::2]
            assert len({id(batch) for batch in kept}) == len(kept)

    def test_batches_dropped_at_once_are_right(self, impl):
        for n in (1, 2, 5, 100):
            for source in sources(range(1000)):
                b = impl.batched(source, n)
                assert drained(b) == [list(t) for t in ref_batched(range(1000), n)]
                # consumed by a C consumer that drops each batch at once
                assert sum(map(sum, impl.batched(list(range(1000)), n))) == sum(range(1000))

    def test_the_batch_is_refilled_in_place(self, impl):
        # no assertion for a twin that does not reuse; where one does, this
        # proves the reuse path ran: the dropped batch's items live on until
        # the next pull, which hands out the same tuple, and then they go
        probes = []
        b = impl.batched(probed(range(6), probes), 2)
        batch = next(b)
        probe = probes[0]  # item 0 is held by the batch only
        first = id(batch)
        del batch
        alive_after_drop = probe() is not None
        batch = next(b)
        if reuses_tuples(impl):
            assert alive_after_drop and id(batch) == first and probe() is None
        assert [x.value for x in batch] == [2, 3]

    @pytest.mark.parametrize("n", [3, 64, 70])
    def test_old_items_the_list_still_holds_are_let_go_once(self, impl, n):
        # A refill lets go of each old item at once when the list still
        # holds it, and releases the others afterwards (where their __del__
        # may run): every even item stays in the list, each odd one is taken
        # out as its batch comes.  Each item's reference count ends where it
        # began, each odd item is freed, and every batch is right.
        data = [Item(i) for i in range(300)]
        evens = data[::2]

        def counts():
            return [sys.getrefcount(data[i]) for i in range(0, 300, 2)]

        baseline = counts()
        probes = [weakref.ref(x) for x in data]
        freed = []
        for i in range(1, 300, 2):
            data[i].on_del = lambda i=i: freed.append(i)
        b = impl.batched(data, n)
        seen = []
        while True:
            batch = next(b, None)
            if batch is None:
                break
            seen.append([x.value for x in batch])
            for x in batch:
                if x.value % 2:
                    data[x.value] = None
            del batch, x
        del b
        gc.collect()
        assert seen == [list(t) for t in ref_batched(range(300), n)]
        assert sorted(freed) == list(range(1, 300, 2))
        assert all(p() is None for p in probes[1::2])
        assert all(data[i] is evens[i // 2] for i in range(0, 300, 2))
        assert counts() == baseline

    def test_hash_and_equality_follow_the_new_items(self, impl):
        # 3.14+ caches a tuple's hash in the tuple: a refilled tuple must not
        # keep the old one (Counter hashes each batch, then drops the repeats)
        values = [1, 2, 1, 2, 3, 4, 3, 4, 5, 6]
        for source in sources(values):
            assert Counter(impl.batched(source, 2)) == Counter(ref_batched(values, 2))
        assert list(map(hash, impl.batched(values, 2))) == [hash(t) for t in ref_batched(values, 2)]

    def test_a_refilled_batch_is_tracked_by_the_collector(self, impl):
        # The collector untracks a tuple of ints; refilled with lists, the
        # tuple must be tracked again, or a cycle through it would leak.
        for make in (list, iter, lambda items: (x for x in items)):
            class Node:
                pass

            node = Node()
            b = impl.batched(make([1, 2, [node], []]), 2)
            assert next(b) == (1, 2)
            gc.collect()
            batch = next(b)
            assert gc.is_tracked(batch)
            node.cycle = batch  # node -> list -> batch -> list -> node
            probe = weakref.ref(node)
            del node, batch
            list(b)
            gc.collect()
            assert probe() is None

    def test_items_are_released_at_exhaustion(self, impl):
        items = [Item(i) for i in range(6)]
        probes = [weakref.ref(x) for x in items]
        b = impl.batched((x for x in items), 2)
        del items
        deque(b, maxlen=0)
        assert [p() for p in probes] == [None] * 6
        # and after a strict failure (which also exhausts it)
        items = [Item(i) for i in range(5)]
        probes = [weakref.ref(x) for x in items]
        b = impl.batched(items, 2, strict=True)
        del items
        with pytest.raises(ValueError):
            deque(b, maxlen=0)
        assert [p() for p in probes] == [None] * 5

    @pytest.mark.parametrize("kind", ["list", "iter", "generator"])
    def test_del_of_a_released_item_reenters_while_a_batch_is_held(self, impl, kind):
        # A dropped batch's items are released when it is refilled: their
        # __del__ calls next() on the iterator (a re-entrant call, which
        # raises RuntimeError; the pure-Python twin releases them at the
        # consumer's ``del``, where next() is no re-entry) and scans every
        # tuple the collector knows, while the consumer holds other batches.
        got = []  # every batch, from the consumer or from a __del__, in order
        broken = []

        def on_del():
            broken.extend(touch_tuples_of(3))
            try:
                batch = next(b)
            except (RuntimeError, StopIteration):
                return
            got.append(tuple(x.value for x in batch))

        items = [Item(i) for i in range(60)]
        for item in items[::2]:
            item.on_del = on_del
        source, forget = source_and_forget(kind, items)
        b = impl.batched(source, 3)
        del items, item, source
        held = []
        while True:
            batch = next(b, None)
            if batch is None:
                break
            got.append(tuple(x.value for x in batch))
            if len(got) % 3 == 0:
                held.append((batch, got[-1]))
            forget(batch)
            del batch
        assert [v for batch in got for v in batch] == list(range(60))
        assert broken == []
        for batch, values in held:
            assert tuple(x.value for x in batch) == values
        del held
        gc.collect()

    @pytest.mark.parametrize("kind", ["list", "iter", "generator"])
    def test_del_of_a_released_item_reinitialises_the_iterator(self, impl, kind):
        # The __del__ points the iterator at another source and pulls from
        # it: in the Cython twin, while the refilled batch's old items are
        # being released (refused: RuntimeError), in the pure-Python twin at
        # the consumer's ``del``.  Either way every item is accounted for.
        other = [Item(100 + i) for i in range(9)]
        probes = [weakref.ref(x) for x in other]
        got = []

        def on_del():
            try:
                b.__setstate__((iter(other), None, 3, False))
                batch = next(b)
            except RuntimeError:
                return
            got.append(tuple(x.value for x in batch))

        items = [Item(i) for i in range(12)]
        items[1].on_del = on_del
        source, forget = source_and_forget(kind, items)
        b = impl.batched(source, 3)
        del items, source
        while True:
            batch = next(b, None)
            if batch is None:
                break
            got.append(tuple(x.value for x in batch))
            forget(batch)
            del batch
        values = [v for batch in got for v in batch]
        assert values in (list(range(12)), [0, 1, 2, *range(100, 109)])
        assert [x.value for x in other] == list(range(100, 109))
        del other, b
        gc.collect()
        assert [p() for p in probes] == [None] * 9

    def test_a_batch_the_source_takes_back_is_not_refilled(self, impl):
        # The source's next() may look for the last batch (here through the
        # iterator's referents): it finds it only whole, and whatever it
        # keeps is never changed afterwards.
        taken = []

        def source():
            for i in range(30):
                for obj in gc.get_referents(b):
                    if type(obj) is tuple:
                        taken.append((obj, list(obj)))
                yield i

        b = impl.batched(source(), 3)
        assert drained(b) == [list(t) for t in ref_batched(range(30), 3)]
        for batch, values in taken:
            assert list(batch) == values

    @pytest.mark.parametrize("n", [2, 3, 8])
    def test_the_source_never_sees_a_half_refilled_batch(self, impl, n):
        # A generator source runs Python code between two items of a batch
        # being refilled: every tuple the collector tracks, and every object
        # the iterator refers to, must be whole and one batch of consecutive
        # values, never old and new items mixed.
        broken = []

        def source():
            for i in range(10 * n + 1):
                broken.extend(touch_tuples_of(n))
                broken.extend(touch_tuples_of(n, gc.get_referents(b)))
                yield Item(i)

        b = impl.batched(source(), n)
        got = [[x.value for x in batch] for batch in drained(b)]
        assert got == [list(t) for t in ref_batched(range(10 * n + 1), n)]
        assert broken == []

    @pytest.mark.parametrize("fail_at", [0, 1, 2])
    def test_a_source_that_fails_while_a_batch_is_refilled(self, impl, fail_at):
        # The error comes in the middle of refilling a dropped batch: it
        # propagates, the items pulled so far and the old batch's items are
        # all released, and nothing is lost before the failure.
        probes = []

        def source():
            yield from probed(range(6 + fail_at), probes)
            raise KeyError("boom")

        b = impl.batched(source(), 3)
        assert drained_until_error(b, KeyError) == [[0, 1, 2], [3, 4, 5]]
        gc.collect()
        assert [p() for p in probes] == [None] * (6 + fail_at)
        assert list(b) == []

    @pytest.mark.parametrize("kind", ["batched", "chunked"])
    def test_gc_get_objects_while_a_list_iterator_ends(self, impl, kind):
        # A list iterator lets go of its list when it reaches the end; that
        # may free an item whose __del__ looks at every tuple (or list) the
        # collector tracks: a batch being filled must not be among them with
        # missing items.  (It crashed before batched gathered such items
        # aside under the guard.)
        def scan():
            for obj in gc.get_objects():
                if type(obj) in (tuple, list) and len(obj) == 3:
                    for item in obj:
                        type(item)

        items = [Item(i) for i in range(3)]
        for item in items:
            item.on_del = scan
        del item
        make = getattr(impl, kind)
        it = make(iter(items + [3, 4]), 3)
        del items
        first = next(it)
        assert [x.value for x in first] == [0, 1, 2]
        del first  # the list still holds the items
        assert list(next(it)) == [3, 4]  # the list goes when the iterator ends
        assert list(it) == []


class TestChunked:
    @pytest.mark.parametrize("size", [0, 1, 2, 5, 6, 7, 100])
    @pytest.mark.parametrize("n", [None, 0, 1, 2, 3, 6, 7, 1000, 5000, sys.maxsize, True])
    def test_matches_more_itertools(self, impl, size, n):
        for source in sources(range(size)):
            got = list(impl.chunked(source, n))
            assert got == list(more_itertools.chunked(range(size), n))
            assert all(type(chunk) is list for chunk in got)

    @pytest.mark.parametrize("n", [1, 2, 3, 4, 5000])
    def test_strict(self, impl, n):
        for size in (0, 4, 5, 12):
            for source in sources(range(size)):
                assert outcome(lambda: impl.chunked(source, n, strict=True)) == outcome(
                    lambda: more_itertools.chunked(range(size), n, strict=True)
                )

    @pytest.mark.parametrize(
        "args",
        [
            (range(3), -1),
            (range(3), "x"),
            (range(3), 1.5),
            (range(3), 2**70),
            (5, 2),
            (5, -1),
            (5, None, True),
            (range(3), None, True),
            (NoIter(), 2),
            (NoNext(), 2),
        ],
    )
    def test_bad_arguments_raise_at_creation_like_more_itertools(self, impl, args):
        def reference():
            # more-itertools makes some checks at the first next()
            return list(more_itertools.chunked(*args))

        with pytest.raises(Exception) as ref:
            reference()
        with pytest.raises(type(ref.value)) as ours:
            impl.chunked(*args)
        assert str(ours.value) == str(ref.value)

    def test_strict_failure_and_any_error_exhaust(self, impl):
        c = impl.chunked(iter(range(5)), 2, strict=True)
        assert next(c) == [0, 1] and next(c) == [2, 3]
        with pytest.raises(ValueError, match=r"^iterable is not divisible by n\.$"):
            next(c)
        assert list(c) == []
        # strict chunked is a generator in more-itertools: any error ends it
        src = Source(range(10), fail_at=2)
        c = impl.chunked(src, 3, strict=True)
        with pytest.raises(ZeroDivisionError):
            next(c)
        assert list(c) == []

    def test_non_strict_goes_on_after_a_source_error(self, impl):
        src = Source(range(6), fail_at=2)
        c = impl.chunked(src, 2)
        with pytest.raises(ZeroDivisionError):
            next(c)
        ref_src = Source(range(6), fail_at=2)
        ref = more_itertools.chunked(ref_src, 2)
        with pytest.raises(ZeroDivisionError):
            next(ref)
        assert list(c) == list(ref)

    def test_n_zero_pulls_nothing(self, impl):
        src = Source(range(3))
        assert list(impl.chunked(src, 0)) == []
        assert src.pulls == 0

    def test_length_hint(self, impl):
        assert operator.length_hint(impl.chunked(list(range(10)), 4)) == 3
        assert operator.length_hint(impl.chunked(list(range(10)), None)) == 1
        assert operator.length_hint(impl.chunked([], None)) == 0
        assert operator.length_hint(impl.chunked(range(10), 0)) == 0

    @pytest.mark.parametrize("k", [0, 1, 3])
    @pytest.mark.parametrize("n", [None, 2, 3])
    @pytest.mark.parametrize("make", [list, tuple, iter])
    def test_pickle_resumes_exactly(self, impl, other_impl, k, n, make, monkeypatch):
        from cyiter import _select

        c = impl.chunked(make(list(range(8))), n, strict=n == 2)
        for _ in range(k):
            next(c, None)
        data = __import__("pickle").dumps(c)
        expected = list(c)
        monkeypatch.setattr(_select, "CLASSES", other_impl.classes)
        assert list(__import__("pickle").loads(data)) == expected

    def test_repr(self, impl):
        c = impl.chunked([], 1)
        assert repr(c) == f"<cyiter.chunked object at {id(c):#x}>"
