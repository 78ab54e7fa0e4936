"""unique_everseen and unique_justseen, on both twins, against
more-itertools: values, exceptions and messages, unhashable items, keys
and comparisons that raise, and what follows an error (unique_everseen
ends, as its generator does; unique_justseen goes on, as groupby() does).
"""

import more_itertools
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import Source

from conftest import twin
from dropins import steps

TWINS = ("cython", "python")


class Touchy:
    """Equal to Touchy values of the same *value*; comparing it with one
    whose value is 3 raises (once per pair, for the pair compared again)."""

    def __init__(self, value):
        self.value = value

    def __eq__(self, other):
        if isinstance(other, Touchy) and 3 in (self.value, other.value) and self.value != other.value:
            raise ArithmeticError(f"cannot compare {self.value} and {other.value}")
        return isinstance(other, Touchy) and self.value == other.value

    __hash__ = None

    def __repr__(self):
        return f"Touchy({self.value})"


hashables = (
    st.integers(-3, 3)
    | st.sampled_from(["a", "A", "b", None, 1.0, True, (1,), frozenset({1}), 2**64, 2**64 + 0.0])
    | st.integers(-(2**65), 2**65)
)
unhashables = st.sampled_from([[1], {1}, {"a": 1}, {2}])
keys = st.sampled_from(
    [None, str, repr, abs, lambda x: 1 // x if isinstance(x, int) and x else 0, len, str.lower]
)


def traced(make, data, fail_at, shape):
    src = Source(data, fail_at=fail_at) if shape == "failing" else iter(list(data))
    try:
        it = make(src)
    except Exception as exc:
        return [(type(exc), str(exc))] + ["STOP"] * 39
    return steps(it, 40)


@pytest.mark.parametrize("name", ["unique_everseen", "unique_justseen"])
@given(
    data=st.lists(hashables | unhashables, max_size=25),
    key=keys,
    shape=st.sampled_from(["iterator", "failing"]),
    fail_at=st.integers(1, 25),
)
def test_matches_more_itertools(name, data, key, shape, fail_at):
    fail_at = min(fail_at, len(data)) or None

    def make(ns):
        return lambda src: getattr(ns, name)(src, key=key)

    expected = traced(make(more_itertools), data, fail_at, shape)
    for kind in TWINS:
        assert traced(make(twin(kind)), data, fail_at, shape) == expected, kind


class TestUniqueEverseen:
    def test_unhashable_items_raise_as_in_more_itertools(self, impl):
        with pytest.raises(TypeError, match="unhashable type: 'list'"):
            list(impl.unique_everseen([[1], [1]]))
        assert list(impl.unique_everseen([[1], [2], [1]], key=tuple)) == [[1], [2]]
        # a set is looked up as a frozenset first (and found: skipped)
        assert list(impl.unique_everseen([frozenset({1}), {1}])) == [frozenset({1})]
        with pytest.raises(TypeError, match="unhashable type: 'set'"):
            list(impl.unique_everseen([frozenset({1}), {2}]))

    def test_key_is_checked_at_creation(self, impl):
        with pytest.raises(TypeError, match="'int' object is not callable"):
            impl.unique_everseen([], key=3)
        with pytest.raises(TypeError, match="'int' object is not iterable"):
            impl.unique_everseen(3, key=3)

    def test_a_huge_number_of_duplicates_is_skipped(self, impl):
        assert list(impl.unique_everseen([1] * 200_000 + [2])) == [1, 2]


class TestUniqueJustseen:
    @given(values=st.lists(st.integers(1, 4), max_size=15), keyed=st.booleans())
    def test_a_comparison_that_raises_is_tried_again(self, values, keyed):
        # as groupby() does: the item stays, and is compared again next time
        data = [Touchy(v) for v in values]
        key = (lambda t: t) if keyed else None
        expected = [repr(x) for x in steps(more_itertools.unique_justseen(iter(data), key=key), 30)]
        for kind in TWINS:
            got = steps(twin(kind).unique_justseen(iter(data), key=key), 30)
            assert [repr(x) for x in got] == expected

    def test_each_item_is_compared_with_the_first_of_its_run(self, impl):
        # 1.0 == 1 and 1 == True, but runs are decided against the first
        class Near:
            def __init__(self, x):
                self.x = x

            def __eq__(self, other):
                return abs(self.x - other.x) <= 1

            __hash__ = None

        data = [Near(x) for x in (0, 1, 2, 3, 4)]
        got = [n.x for n in impl.unique_justseen(data)]
        assert got == [n.x for n in more_itertools.unique_justseen(data)] == [0, 2, 4]

    def test_goes_on_after_an_error_of_its_source(self, impl):
        it = impl.unique_justseen(Source([1, 1, 2, 2, 3], fail_at=3))
        assert steps(it, 5) == [1, (ZeroDivisionError, "source failed"), 2, 3, "STOP"]
