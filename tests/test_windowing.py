"""windowed and sliding_window, on both twins, against more-itertools.

Generated inputs compare values, exceptions and messages, also after a
source error (both end, as more-itertools' generators do; more-itertools'
sliding_window goes on for n = 1 and for 3 to 20, see the README) and with
the source list mutated between two next() calls.
"""

import operator
import sys
from itertools import count, islice

import more_itertools
import pytest
from dropins import first_error_only, outcome, steps
from hypothesis import example, given
from hypothesis import strategies as st
from support import Source

from conftest import twin

TWINS = ("cython", "python")
MAX = sys.maxsize

items = st.lists(st.integers(-5, 50) | st.none() | st.text(max_size=2), max_size=30)
counts = st.integers(-2, 12) | st.sampled_from([1.5, True, False, 2.0, "3", None, MAX, 2**70])
shapes = st.sampled_from(["list", "iterator", "generator", "failing"])


def source(shape, data, fail_at):
    if shape == "list":
        return list(data)
    if shape == "iterator":
        return iter(list(data))
    if shape == "generator":
        return (x for x in list(data))
    # failing within its items (past its end, more-itertools pulls again)
    return Source(data, fail_at=min(fail_at, len(data)) or None)


def traced(make, shape, data, fail_at, count_=60):
    """make(source) stepped: items, errors, then what follows them.  An
    error at creation counts as one at the first next() of a generator,
    which is then exhausted (more-itertools checks there)."""
    try:
        it = make(source(shape, data, fail_at))
    except Exception as exc:
        return [(type(exc), str(exc))] + ["STOP"] * (count_ - 1)
    return steps(it, count_)


def mutated(make, data, script):
    """make(iter(lst)) over a list lst that *script* changes between steps."""
    lst = list(data)
    it = make(iter(lst))
    out = []
    for op in script:
        if op == "next":
            out.append(steps(it, 1)[0])
        elif op == "append":
            lst.append(len(lst))
        elif lst:
            del lst[0 if op == "pop0" else -1]
    return out


scripts = st.lists(st.sampled_from(["next", "next", "next", "append", "pop", "pop0"]), max_size=40)


class TestWindowed:
    @given(
        data=items,
        n=counts,
        step=st.integers(-2, 9) | st.just(True),
        fillvalue=st.sampled_from([None, "!", 0]),
        shape=shapes,
        fail_at=st.integers(1, 30),
    )
    @example(data=list(range(5)), n=MAX, step=1, fillvalue=None, shape="list", fail_at=1)
    def test_matches_more_itertools(self, data, n, step, fillvalue, shape, fail_at):
        def make(ns):
            return lambda src: ns.windowed(src, n, fillvalue=fillvalue, step=step)

        expected = traced(make(more_itertools), shape, data, fail_at)
        for kind in TWINS:
            assert traced(make(twin(kind)), shape, data, fail_at) == expected, kind

    @pytest.mark.parametrize(
        "step, error",
        [
            (1.5, "can't multiply sequence by non-int of type 'float'"),
            (2.0, "can't multiply sequence by non-int of type 'float'"),
            (3.0, "Indices for islice() must be None or an integer: 0 <= x <= sys.maxsize."),
            (2**64, "Indices for islice() must be None or an integer: 0 <= x <= sys.maxsize."),
            (MAX + 1, "Step for islice() must be a positive integer or None."),
            (0, "step must be >= 1"),
            ("2", "'<' not supported between instances of 'str' and 'int'"),
        ],
    )
    def test_step_is_checked_at_creation(self, impl, step, error):
        # the errors more-itertools raises once the first window is full
        ref = more_itertools.windowed(range(10), 3, step=step)
        with pytest.raises((ValueError, TypeError)) as expected:
            list(ref)
        assert str(expected.value) == error
        with pytest.raises(expected.type) as got:
            impl.windowed([], 3, step=step)
        assert str(got.value) == error

    @given(data=st.lists(st.integers(0, 9), max_size=20), n=st.integers(1, 6), step=st.integers(1, 8), script=scripts)
    def test_source_list_changed_while_iterated(self, data, n, step, script):
        expected = mutated(lambda src: more_itertools.windowed(src, n, step=step), data, script)
        for kind in TWINS:
            assert mutated(lambda src: twin(kind).windowed(src, n, step=step), data, script) == expected

    @given(length=st.integers(0, 40), n=st.integers(1, 8), step=st.integers(1, 10), taken=st.integers(0, 40))
    def test_length_hint_is_exact(self, length, n, step, taken):
        for kind in TWINS:
            w = twin(kind).windowed(iter(range(length)), n, step=step)
            for _ in islice(w, taken):
                pass
            left = len(list(twin(kind).windowed(range(length), n, step=step))) - taken
            assert operator.length_hint(w) == max(left, 0)

    def test_held_windows_are_new_tuples(self, impl):
        # a window the consumer keeps is never refilled
        kept = list(impl.windowed(range(6), 3))
        assert kept == [(0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5)]
        assert len({id(w) for w in kept}) == 4

    def test_a_window_wider_than_the_input_is_filled(self, impl):
        assert list(impl.windowed([1, 2], 10**6, fillvalue=0)) == [(1, 2) + (0,) * (10**6 - 2)]
        assert list(impl.windowed(iter([]), MAX)) == []

    def test_a_huge_step_skips_lazily(self, impl):
        w = impl.windowed(count(), 2, step=10**6)
        assert next(w) == (0, 1)
        assert next(w) == (10**6, 10**6 + 1)


class TestSlidingWindow:
    @given(data=items, n=counts | st.sampled_from([20, 21, 25, 2.5, 25.0, 1.0]), shape=shapes, fail_at=st.integers(1, 30))
    @example(data=[1, 2, 3], n=0, shape="list", fail_at=1)
    @example(data=[1, 2, 3], n=2.5, shape="list", fail_at=1)
    def test_matches_more_itertools(self, data, n, shape, fail_at):
        def make(ns):
            return lambda src: ns.sliding_window(src, n)

        expected = traced(make(more_itertools), shape, data, fail_at)
        for kind in TWINS:
            got = traced(make(twin(kind)), shape, data, fail_at)
            if n == 1 or (isinstance(n, (int, float)) and 3 <= n <= 20):
                # more-itertools goes on after an error there (zip, tee)
                got, expected = first_error_only(got), first_error_only(expected)
            assert got == expected, kind

    @given(data=st.lists(st.integers(0, 9), max_size=20), n=st.integers(1, 25), script=scripts)
    def test_source_list_changed_while_iterated(self, data, n, script):
        if 3 <= n <= 20:
            return  # more-itertools reads ahead by n - 1 at creation there (tee)
        expected = mutated(lambda src: more_itertools.sliding_window(src, n), data, script)
        for kind in TWINS:
            assert mutated(lambda src: twin(kind).sliding_window(src, n), data, script) == expected

    @given(length=st.integers(0, 30), n=st.integers(1, 8), taken=st.integers(0, 30))
    def test_length_hint_is_exact(self, length, n, taken):
        for kind in TWINS:
            w = twin(kind).sliding_window(iter(range(length)), n)
            for _ in islice(w, taken):
                pass
            assert operator.length_hint(w) == max(0, length - n + 1 - taken)

    def test_refilled_window_is_the_same_tuple_only_when_dropped(self, impl):
        w = impl.sliding_window(iter(range(10)), 3)
        first = next(w)
        second = next(w)
        assert first == (0, 1, 2) and second == (1, 2, 3)
        del first, second
        assert [tuple(x) for x in w] == [(i, i + 1, i + 2) for i in range(2, 8)]
