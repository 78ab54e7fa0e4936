"""interleave, interleave_longest and roundrobin, on both twins, against
more-itertools: values, exceptions and messages, inputs that raise midway
(each ends then, as in more-itertools, losing what it took of a round),
inputs that are not iterable, and inputs mutated while read.
"""

import operator
from itertools import count, islice

import more_itertools
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import Source

from conftest import twin
from dropins import steps

TWINS = ("cython", "python")
NAMES = ["interleave", "interleave_longest", "roundrobin"]

inputs = st.lists(
    st.tuples(st.lists(st.integers(0, 99), max_size=8), st.integers(0, 9)), max_size=5
)


def sources(spec):
    """One Source per (items, fail_at), failing within its items (0: never)."""
    return [Source(items, fail_at=min(fail_at, len(items)) or None) for items, fail_at in spec]


def traced(make, spec):
    return steps(make(*sources(spec)), 50)


@pytest.mark.parametrize("name", NAMES)
class TestCombining:
    @given(spec=inputs)
    def test_matches_more_itertools(self, name, spec):
        expected = traced(getattr(more_itertools, name), spec)
        for kind in TWINS:
            assert traced(getattr(twin(kind), name), spec) == expected, kind

    @given(spec=st.lists(st.lists(st.integers(0, 9), max_size=6), min_size=1, max_size=4), ops=st.lists(st.integers(0, 8), max_size=30))
    def test_inputs_changed_while_read(self, name, spec, ops):
        # op k < len(spec): next(); else: an item appended to input k - len(spec)
        def run(make):
            lists = [list(items) for items in spec]
            it = make(*map(iter, lists))
            out = []
            for op in ops:
                if op < len(lists):
                    out.append(steps(it, 1)[0])
                else:
                    lists[op % len(lists)].append(op)
            return out

        expected = run(getattr(more_itertools, name))
        for kind in TWINS:
            assert run(getattr(twin(kind), name)) == expected, kind

    def test_a_non_iterable_input_is_refused_at_creation(self, name, impl):
        with pytest.raises(TypeError, match="'int' object is not iterable"):
            getattr(impl, name)([1], 5)

    def test_no_input_gives_nothing(self, name, impl):
        assert list(getattr(impl, name)()) == []

    @given(lengths=st.lists(st.integers(0, 6), max_size=4), taken=st.integers(0, 25))
    def test_length_hint_is_exact(self, name, lengths, taken):
        for kind in TWINS:
            make = getattr(twin(kind), name)
            total = len(list(make(*(range(n) for n in lengths))))
            it = make(*(iter(range(n)) for n in lengths))
            for _ in islice(it, taken):
                pass
            assert operator.length_hint(it) == max(0, total - taken)
            assert operator.length_hint(make([1], count()), -1) == -1  # count has no hint

    def test_kwargs_are_refused(self, name, impl):
        with pytest.raises(TypeError):
            getattr(impl, name)([1], fillvalue=0)


def test_interleave_stops_at_the_shortest_without_its_partial_round(impl):
    src = Source([1, 2])
    assert list(impl.interleave(src, [10], count())) == [1, 10, 0]
    assert src.pulls == 2  # the second round took 2 before [10] ended it


def test_roundrobin_takes_each_item_when_asked(impl):
    a, b = Source([1, 2]), Source([3, 4])
    it = impl.roundrobin(a, b)
    assert next(it) == 1
    assert (a.pulls, b.pulls) == (1, 0)
    assert list(it) == [3, 2, 4]


def test_interleave_longest_takes_a_round_at_a_time(impl):
    a, b = Source([1, 2]), Source([3, 4])
    it = impl.interleave_longest(a, b)
    assert next(it) == 1
    assert (a.pulls, b.pulls) == (1, 1)
    assert list(it) == [3, 2, 4]
