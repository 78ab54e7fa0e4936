"""constrained_batches and ichunked, on both twins, against more-itertools:
values, exceptions and messages (sizes of any type, limits of any type,
get_len that raises), sources that raise midway, and ichunked's chunks
read in any order, interleaved with asking for the next chunk.
"""

import operator
import pickle
import sys
from itertools import count, islice

import more_itertools
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from support import Source

from conftest import twin
from dropins import steps

TWINS = ("cython", "python")
MAX = sys.maxsize


def within(data, fail_at):
    """A Source failing within its items (past its end, more-itertools'
    generators pull it again, which cyiter never does)."""
    return Source(data, fail_at=min(fail_at, len(data)) or None)


def traced(make, data, fail_at):
    try:
        it = make(within(data, fail_at))
    except Exception as exc:
        return [(type(exc), str(exc))] + ["STOP"] * 29
    return steps(it, 30)


def half(item):
    return len(item) / 2


def minus_three(item):
    return len(item) - 3


def text_size(item):
    return "x" * len(item)


def failing_size(item):
    if len(item) == 4:
        raise LookupError("no size for 4")
    return len(item)


class TestConstrainedBatches:
    @given(
        data=st.lists(st.binary(max_size=7), max_size=20),
        max_size=st.sampled_from([1, 3, 5, 8, 10, 4.5, 0, -1, 2**70, MAX, MAX // 2, "9", None]),
        max_count=st.sampled_from([None, 1, 2, 3, 2.0, 2.5, 0, -1, 2**70, "2"]),
        get_len=st.sampled_from([len, half, minus_three, text_size, failing_size, 3]),
        strict=st.booleans(),
        fail_at=st.integers(0, 20),
    )
    @example(data=[b"x" * 3] * 4, max_size=MAX, max_count=None, get_len=len, strict=False, fail_at=0)
    def test_matches_more_itertools(self, data, max_size, max_count, get_len, strict, fail_at):
        if not callable(get_len):
            # more-itertools calls it on the first item, cyiter checks at once
            data, fail_at = data or [b""], 0

        def make(ns):
            return lambda src: ns.constrained_batches(src, max_size, max_count, get_len, strict)

        expected = traced(make(more_itertools), data, fail_at)
        for kind in TWINS:
            assert traced(make(twin(kind)), data, fail_at) == expected, kind

    def test_sizes_in_c_and_in_python_agree(self, impl):
        # len() sizes near the C limits: summed without overflow
        class Huge:
            def __len__(self):
                return MAX

        items = [b"ab", Huge(), b"c", Huge(), Huge(), b""]
        for max_size in (1, 3, MAX // 2, MAX // 2 + 1, MAX):
            got = list(impl.constrained_batches(items, max_size, strict=False))
            assert got == list(more_itertools.constrained_batches(items, max_size, strict=False))

    def test_carried_item_pickles(self, impl, other_impl):
        it = impl.constrained_batches(iter([b"12345", b"123", b"12345678", b"1"]), 10)
        assert next(it) == (b"12345", b"123")
        copy = pickle.loads(pickle.dumps(it))
        assert list(copy) == list(it) == [(b"12345678", b"1")]

    def test_a_huge_batch_of_empty_items(self, impl):
        assert list(impl.constrained_batches([b""] * 100_000, 1)) == [(b"",) * 100_000]


def drive(chunks, order):
    """Ask for the next chunk ("o") or read one item of chunk k (an int)
    as *order* says; every result, error or end."""
    out = []
    taken = []
    for op in order:
        if op == "o":
            try:
                taken.append(next(chunks))
                out.append("chunk")
            except StopIteration:
                out.append("STOP")
            except Exception as exc:
                out.append((type(exc), str(exc)))
        elif taken:
            out.append(steps(taken[op % len(taken)], 1)[0])
    return out


class TestIchunked:
    @given(
        data=st.lists(st.integers(0, 99), max_size=15),
        n=st.integers(-1, 5) | st.sampled_from([None, 1.5, 2.0, True, 2**70, MAX]),
        order=st.lists(st.sampled_from(["o", "o", 0, 1, 2, 3]), max_size=40),
        fail_at=st.integers(0, 15),
    )
    def test_matches_more_itertools(self, data, n, order, fail_at):
        if not (type(n) in (int, bool) and n - 1 <= MAX):
            # more-itertools checks n with the first chunk, cyiter at once
            data, fail_at = data or [0], 0

        def run(ns):
            try:
                chunks = ns.ichunked(within(data, fail_at), n)
            except Exception as exc:  # more-itertools checks at the first next()
                chunks = iter(_raising(exc))
            return drive(chunks, order)

        expected = run(more_itertools)
        for kind in TWINS:
            assert run(twin(kind)) == expected, kind

    def test_n_is_checked_at_creation(self, impl):
        with pytest.raises(ValueError, match="n must be at least 0"):
            impl.ichunked([], -1)
        with pytest.raises(TypeError, match="unsupported operand"):
            impl.ichunked([], None)
        with pytest.raises(ValueError, match="Stop argument for islice"):
            impl.ichunked([], 2.5)
        source = iter([1, 2, 3])
        assert list(impl.ichunked(source, 0)) == []
        assert list(source) == [1, 2, 3]

    def test_in_order_nothing_is_stored(self, impl):
        pulled = []

        def gen():
            for i in count():
                pulled.append(i)
                yield i

        chunks = impl.ichunked(gen(), 4)
        first = next(chunks)
        assert pulled == [0]
        assert list(first) == [0, 1, 2, 3]
        second = next(chunks)
        assert pulled == [0, 1, 2, 3, 4]
        assert next(second) == 4
        assert operator.length_hint(second, -1) == -1  # the generator has no hint

    def test_pickles_skip_the_rest_of_the_current_chunk(self, impl, other_impl):
        chunks = impl.ichunked(iter(range(10)), 3)
        first = next(chunks)
        assert next(first) == 0
        copy = pickle.loads(pickle.dumps(chunks))
        assert [list(c) for c in copy] == [[3, 4, 5], [6, 7, 8], [9]]
        assert list(first) == [1, 2]
        with pytest.raises(TypeError, match="cannot pickle an ichunked chunk"):
            pickle.dumps(first)

    @given(length=st.integers(0, 30), n=st.integers(1, 7), taken=st.integers(0, 10))
    def test_length_hint_is_exact(self, length, n, taken):
        for kind in TWINS:
            chunks = twin(kind).ichunked(iter(range(length)), n)
            for _ in islice(chunks, taken):
                pass
            left = max(0, -(-length // n) - taken)
            assert operator.length_hint(chunks) == left

    def test_chunks_have_the_same_repr_in_both_twins(self, impl):
        chunk = next(impl.ichunked([1], 1))
        assert repr(chunk).startswith("<cyiter.ichunked chunk object at 0x")
        assert iter(chunk) is chunk


def _raising(exc):
    raise exc
    yield
