"""peekable and ilen, on both twins, against more-itertools.

peekable is driven by generated scripts of next(), peek(), bool(),
prepend(), indexing and slicing (with indexes of every kind: negative,
past the end, huge, floats, strings) over sources that raise midway; the
results, exceptions and messages must be more-itertools'.
"""

import operator
import sys
import types
from itertools import count

import more_itertools
import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import Source

from conftest import twin

TWINS = ("cython", "python")
MAX = sys.maxsize

indexes = st.integers(-12, 12) | st.sampled_from(
    [MAX, MAX - 1, -MAX, -MAX - 1, 2**70, -(2**70), 1.5, -0.5, "a", True, None]
)
bounds = st.none() | st.integers(-12, 12) | st.sampled_from([MAX, -MAX - 1, 1.5, 2**70])
steps_ = st.none() | st.integers(-3, 3) | st.sampled_from([1.5, "a", -(2**70)])
operations = st.one_of(
    st.just(("next",)),
    st.just(("peek",)),
    st.just(("peek", "default")),
    st.just(("bool",)),
    st.tuples(st.just("prepend"), st.lists(st.integers(100, 199), max_size=3)),
    st.tuples(st.just("index"), indexes),
    st.tuples(st.just("slice"), st.builds(slice, bounds, bounds, steps_)),
)


def drive(make, data, fail_at, script):
    p = make(Source(data, fail_at=min(fail_at, len(data)) or None))
    out = []
    for op in script:
        try:
            if op[0] == "next":
                out.append(next(p))
            elif op[0] == "peek":
                out.append(p.peek(*op[1:]))
            elif op[0] == "bool":
                out.append(bool(p))
            elif op[0] == "prepend":
                out.append(p.prepend(*op[1]))
            else:
                out.append(p[op[1]])
        except StopIteration:
            out.append("STOP")
        except Exception as exc:
            out.append((type(exc), str(exc)))
    return out


class TestPeekable:
    @given(
        data=st.lists(st.integers(0, 50), max_size=12),
        fail_at=st.integers(0, 12),
        script=st.lists(operations, max_size=25),
    )
    def test_matches_more_itertools(self, data, fail_at, script):
        expected = drive(more_itertools.peekable, data, fail_at, script)
        for kind in TWINS:
            assert drive(twin(kind).peekable, data, fail_at, script) == expected, kind

    def test_a_bad_slice_leaves_the_cache_and_the_iteration_as_they_were(self, impl):
        # what more-itertools' test_slicing_error checks through its _cache
        p = impl.peekable(iter("01234567"))
        assert p.peek() == "0"
        with pytest.raises(ValueError, match="slice step cannot be zero"):
            p[1:-1:0]
        assert p[0:] == list("01234567")
        assert list(p) == list("01234567")

    def test_class_getitem(self, impl):
        alias = impl.peekable[str]
        assert isinstance(alias, types.GenericAlias)
        assert alias.__origin__ is impl.peekable and alias.__args__ == (str,)

    def test_prepends_many_and_often(self, impl):
        p = impl.peekable(range(3))
        p.prepend(*range(20_000))
        for i in range(1000):
            p.prepend(-i)
        assert list(p) == list(range(-999, 1)) + list(range(20_000)) + [0, 1, 2]

    def test_looking_far_ahead_and_back(self, impl):
        p = impl.peekable(iter(range(100)))
        assert p[50] == 50
        assert [next(p) for _ in range(60)] == list(range(60))
        assert p[-1] == 99 and p[-40] == 60
        assert operator.length_hint(p) == 40
        assert p[::-7] == list(range(99, 59, -7))

    def test_the_source_is_not_read_again_after_its_end(self, impl):
        source = Source([1])
        p = impl.peekable(source)
        assert list(p) == [1]
        assert not p and p.peek(None) is None and p[0:5] == []
        assert source.pulls == 2
        p.prepend(7)
        assert list(p) == [7]
        assert source.pulls == 2

    def test_an_infinite_source_looked_at_in_part(self, impl):
        p = impl.peekable(count())
        assert p[:3] == [0, 1, 2] and p[10] == 10 and next(p) == 0


class TestIlen:
    @given(
        data=st.lists(st.integers(), max_size=40),
        shape=st.sampled_from(["list", "tuple", "iterator", "generator", "failing", "str"]),
        fail_at=st.integers(1, 40),
    )
    def test_matches_more_itertools(self, data, shape, fail_at):
        def make():
            if shape == "failing":
                return Source(data, fail_at=min(fail_at, len(data)) or None)
            if shape == "generator":
                return (x for x in data)
            return {"list": list, "tuple": tuple, "iterator": iter, "str": lambda d: "".join(map(str, d))}[shape](data)

        def result(ilen):
            try:
                return ilen(make())
            except Exception as exc:
                return type(exc), str(exc)

        expected = result(more_itertools.ilen)
        for kind in TWINS:
            assert result(twin(kind).ilen) == expected

    def test_consumes_an_iterator(self, impl):
        it = iter(range(10))
        next(it)
        assert impl.ilen(it) == 9
        assert list(it) == []

    def test_refuses_what_is_not_iterable(self, impl):
        with pytest.raises(TypeError, match="'int' object is not iterable"):
            impl.ilen(5)
