"""Conformance of count and fibonacci (both twins)."""

import itertools
import operator
import pickle
import sys
from decimal import Decimal
from fractions import Fraction

import pytest
from support import roundtrip

MAX = sys.maxsize


class TestCount:
    @pytest.mark.parametrize(
        "args",
        [
            (),
            (3,),
            (3, 2),
            (-5, -3),
            (MAX - 2,),
            (MAX - 2, 1),
            (-MAX - 1, -1),
            (MAX - 5, 2),
            (2**100, -(2**99)),
            (1.5, 0.5),
            (0.1, 0.1),
            (Fraction(1, 3), Fraction(1, 7)),
            (Decimal("1.1"), Decimal("0.3")),
            (1j, 2 + 1j),
            (True,),
            (0, True),
            (5, 1.0),
            (1.5,),
            (Decimal("0"),),
        ],
    )
    def test_values_types_and_repr_match_itertools(self, impl, args):
        ours, ref = impl.count(*args), itertools.count(*args)
        for _ in range(12):
            if repr(ours) == f"count({MAX})" and sys.version_info < (3, 12):
                # CPython < 3.12 cannot print its count at sys.maxsize (a
                # release build shows <NULL>, a debug build aborts)
                expected = f"count({MAX})"
            else:
                expected = repr(ref)
            assert repr(ours) == expected
            a, b = next(ours), next(ref)
            assert (a, type(a)) == (b, type(b))

    def test_keywords(self, impl):
        assert next(impl.count(step=3, start=4)) == 4
        c = impl.count(step=2)
        assert [next(c), next(c)] == [0, 2]

    @pytest.mark.parametrize("args", [("a",), (0, "a"), (None,), ([],), (0, None)])
    def test_non_numbers_raise_like_itertools(self, impl, args):
        with pytest.raises(TypeError) as ref:
            itertools.count(*args)
        with pytest.raises(TypeError, match=f"^{ref.value}$"):
            impl.count(*args)

    def test_crosses_maxsize_without_overflow(self, impl):
        c = impl.count(MAX - 1)
        assert [next(c) for _ in range(4)] == [MAX - 1, MAX, MAX + 1, MAX + 2]
        assert repr(c) == f"count({MAX + 3})"
        c = impl.count(-MAX, -1)
        assert [next(c) for _ in range(3)] == [-MAX, -MAX - 1, -MAX - 2]

    @pytest.mark.parametrize(
        "args", [(7,), (MAX - 1,), (2.5, 0.25), (Fraction(1, 2), Fraction(2, 3)), (1 + 1j, 1j), (3, 5)]
    )
    def test_pickle_resumes_exactly(self, impl, other_impl, args):
        c = impl.count(*args)
        for _ in range(3):
            next(c)
        data = pickle.dumps(c)
        copy = pickle.loads(data)
        assert type(copy) is type(c)
        assert repr(copy) == repr(c)
        assert [next(copy) for _ in range(5)] == [next(c) for _ in range(5)]

    def test_pickle_loads_in_the_other_twin(self, impl, other_impl, monkeypatch):
        from cyiter import _select

        c = impl.count(10, 3)
        next(c)
        data = pickle.dumps(c)
        monkeypatch.setattr(_select, "CLASSES", other_impl.classes)
        copy = pickle.loads(data)
        assert type(copy) is other_impl.count
        assert next(copy) == 13 and repr(copy) == "count(16, 3)"

    def test_step_add_error_propagates_and_count_does_not_advance(self, impl):
        class Step(Fraction):  # a subclass: its __radd__ is tried first
            calls = 0

            def __radd__(self, other):
                Step.calls += 1
                if Step.calls == 2:
                    raise ArithmeticError("boom")
                return other + Fraction(self)

        c = impl.count(Fraction(3, 2), Step(2))
        assert next(c) == Fraction(3, 2)
        with pytest.raises(ArithmeticError, match="boom"):
            next(c)
        assert next(c) == Fraction(7, 2)  # the value that failed to advance comes now

    def test_reentrant_step_raises_runtime_error(self, impl):
        class Step(float):
            def __radd__(self, other):
                next(counter)
                return other + float(self)

        counter = impl.count(0.5, Step(1.0))
        with pytest.raises(RuntimeError, match="cannot re-enter the count iterator"):
            next(counter)

    def test_new_without_init_is_count_zero(self, impl):
        c = impl.count.__new__(impl.count)
        assert repr(c) == "count(0)"
        assert [next(c) for _ in range(3)] == [0, 1, 2]
        assert repr(c) == "count(3)"

    def test_is_its_own_iterator_and_has_no_length_hint(self, impl):
        c = impl.count()
        assert iter(c) is c
        assert operator.length_hint(c, 42) == 42


def _fib_reference(n):
    a, b = 0, 1
    out = []
    for _ in range(n):
        out.append(a)
        a, b = b, a + b
    return out


class TestFibonacci:
    def test_first_terms(self, impl):
        assert list(impl.fibonacci(12)) == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89]

    @pytest.mark.parametrize("n", [0, 1, 2, 3, 90, 92, 93, 94, 95, 100, 300, 1600])
    def test_n_terms_across_the_64_bit_boundary(self, impl, n):
        got = list(impl.fibonacci(n))
        assert got == _fib_reference(n)
        assert all(type(x) is int for x in got)

    def test_past_2_to_the_1000(self, impl):
        terms = list(impl.fibonacci(max_value=2**1000 * 1000))
        assert terms == _fib_reference(len(terms))
        assert terms[-1] > 2**1000
        assert terms[-1] + terms[-2] > 2**1000 * 1000

    @pytest.mark.parametrize(
        "max_value", [-1, 0, 1, 2, 100, 2**63, 2**64 - 1, 2**64, 10**30, 55.5, Fraction(89, 1), Decimal("144.5")]
    )
    def test_max_value_stops_before_the_first_greater_term(self, impl, max_value):
        got = list(impl.fibonacci(max_value=max_value))
        expected = [t for t in _fib_reference(200) if t <= max_value]
        assert got == expected

    def test_n_and_max_value_together(self, impl):
        assert list(impl.fibonacci(5, max_value=100)) == [0, 1, 1, 2, 3]
        assert list(impl.fibonacci(50, max_value=10)) == [0, 1, 1, 2, 3, 5, 8]

    def test_bad_arguments(self, impl):
        with pytest.raises(ValueError, match="^n must be at least zero$"):
            impl.fibonacci(-1)
        with pytest.raises(TypeError, match="cannot be interpreted as an integer"):
            impl.fibonacci(2.5)
        with pytest.raises(TypeError, match="not supported between"):
            impl.fibonacci(max_value="x")

    def test_length_hint(self, impl):
        f = impl.fibonacci(10)
        assert operator.length_hint(f) == 10
        next(f)
        assert operator.length_hint(f) == 9
        list(f)
        assert operator.length_hint(f) == 0
        assert operator.length_hint(impl.fibonacci(), -7) == -7
        assert operator.length_hint(impl.fibonacci(10, max_value=3), -7) == -7

    def test_exhausted_stays_exhausted(self, impl):
        f = impl.fibonacci(max_value=1)
        assert list(f) == [0, 1, 1]
        assert list(f) == []
        with pytest.raises(StopIteration):
            next(f)

    @pytest.mark.parametrize("k", [0, 1, 50, 92, 93, 94, 120])
    @pytest.mark.parametrize("kwargs", [{}, {"n": 130}, {"max_value": 10**22}])
    def test_pickle_resumes_exactly(self, impl, k, kwargs):
        f = impl.fibonacci(**kwargs)
        head = [next(f) for _ in range(min(k, 100))]
        copy = roundtrip(f)
        assert repr(copy) == repr(f)
        assert list(itertools.islice(copy, 50)) == list(itertools.islice(f, 50))
        assert head == _fib_reference(len(head))

    def test_new_without_init_is_exhausted(self, impl):
        f = impl.fibonacci.__new__(impl.fibonacci)
        assert list(f) == []
        assert operator.length_hint(f) == 0

    def test_repr(self, impl):
        assert repr(impl.fibonacci()) == "fibonacci()"
        assert repr(impl.fibonacci(5)) == "fibonacci(5)"
        assert repr(impl.fibonacci(5, max_value=9)) == "fibonacci(5, max_value=9)"
        assert repr(impl.fibonacci(max_value=9)) == "fibonacci(max_value=9)"

    def test_huge_n_is_unbounded_in_practice(self, impl):
        f = impl.fibonacci(2**100)
        assert [next(f) for _ in range(5)] == [0, 1, 1, 2, 3]


class TestCallbacksThatReplaceState:
    """A callback run by next() (the step's __radd__, max_value's comparison)
    that re-initialises the iterator gets RuntimeError; nothing is freed under
    the running next() (a use-after-free on the Cython twin before)."""

    def test_count_step_radd_calling_setstate(self, impl):
        class Step(float):
            def __radd__(self, other):
                c.__setstate__((0, 1))
                return NotImplemented

        c = impl.count(0.5, Step(1.0))
        with pytest.raises(RuntimeError, match="cannot re-enter the count iterator"):
            next(c)

    def test_fibonacci_max_value_comparison_calling_setstate(self, impl):
        class Limit(Fraction):
            armed = False

            def __lt__(self, other):
                if Limit.armed:
                    f.__setstate__((None, None, 0, 1, None))
                return Fraction.__lt__(self, other)

            def __gt__(self, other):
                if Limit.armed:
                    f.__setstate__((None, None, 0, 1, None))
                return Fraction.__gt__(self, other)

        f = impl.fibonacci(max_value=Limit(10))
        Limit.armed = True
        with pytest.raises(RuntimeError, match="cannot re-enter the fibonacci iterator"):
            list(f)
