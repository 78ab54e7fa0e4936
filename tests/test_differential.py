"""Generated inputs: each twin against the reference, and against each other.

The references: itertools.count, more_itertools.batched (itertools.batched on
3.13+), more_itertools.chunked / flatten / collapse, and a plain generator
for fibonacci.
"""

import itertools
import operator
import sys
from decimal import Decimal
from fractions import Fraction

import more_itertools
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from support import Source, outcome, run

from conftest import twin

TWINS = ("cython", "python")
MAX = sys.maxsize

items = st.lists(st.integers() | st.text(max_size=3) | st.none(), max_size=60)
sizes = st.sampled_from([-(2**70), -1, 0, 1, 2, 3, 5, 64, 4096, 4097, MAX, 2**70]) | st.integers(
    -3, 40
)
shapes = st.sampled_from(["list", "tuple", "iterator", "generator", "failing"])


def make_source(shape, data, fail_at=None):
    if shape == "list":
        return list(data)
    if shape == "tuple":
        return tuple(data)
    if shape == "iterator":
        return iter(list(data))
    if shape == "generator":
        return (x for x in list(data))
    return Source(data, fail_at=fail_at)


def ref_batched(iterable, n, *, strict=False):
    """itertools.batched of 3.13, or the same semantics where it is missing:
    n converted as a C ssize_t and checked at creation, and any error of the
    source ending it (a generator does the same)."""
    if sys.version_info >= (3, 13):
        return itertools.batched(iterable, n, strict=strict)
    n = operator.index(n)
    if not -MAX - 1 <= n <= MAX:
        raise OverflowError("Python int too large to convert to C ssize_t")
    if n < 1:
        raise ValueError("n must be at least one")
    it = iter(iterable)

    def batches():
        while batch := tuple(itertools.islice(it, n)):
            if strict and len(batch) < n:
                raise ValueError("batched(): incomplete batch")
            yield batch

    return batches()


def calls(iterator, k):
    """What each of *k* next() calls gives: an item, or the error's type."""
    got = []
    for _ in range(k):
        try:
            got.append(next(iterator))
        except Exception as exc:  # the outcome under comparison
            got.append(type(exc))
    return got


def ends_after_short(batches, n):
    """The references pull the source again after a short last batch (which
    a source that fails past its end makes visible); by the SPEC an
    exhausted cyiter iterator never pulls again.  With ``n=None`` (chunked)
    the one chunk holds everything: it is the last one."""
    for batch in batches:
        yield batch
        if n is None or len(batch) < n:
            return


@given(data=items, n=st.integers(1, 7), strict=st.booleans(), fail_at=st.integers(1, 20))
def test_batched_is_exhausted_by_an_error_of_its_source(data, n, strict, fail_at):
    # later calls raise StopIteration and never pull the source again
    source = Source(data, fail_at=fail_at)
    expected = calls(ends_after_short(ref_batched(source, n, strict=strict), n), 8)
    pulls = source.pulls
    for kind in TWINS:
        source = Source(data, fail_at=fail_at)
        assert calls(twin(kind).batched(source, n, strict=strict), 8) == expected, kind
        if ZeroDivisionError in expected:
            assert source.pulls == pulls == fail_at, kind


@given(data=items, n=sizes, shape=shapes, strict=st.booleans(), fail_at=st.integers(1, 20))
def test_batched(data, n, shape, strict, fail_at):
    # itertools.batched (3.13+) allocates n slots up front: past the data's
    # length, n + 1 gives the same batches and errors
    ref_n = n if n <= len(data) + 1 else len(data) + 1
    if n > MAX or n < 1:
        ref_n = n  # the argument errors themselves
    expected = outcome(
        lambda: ends_after_short(ref_batched(make_source(shape, data, fail_at), ref_n, strict=strict), n)
    )
    for kind in TWINS:
        got = outcome(lambda: twin(kind).batched(make_source(shape, data, fail_at), n, strict=strict))
        assert got == expected, kind


@given(
    data=items,
    n=st.none() | sizes | st.sampled_from([1.5, "3", True]),
    shape=shapes,
    strict=st.booleans(),
    fail_at=st.integers(1, 20),
)
# n=None: one chunk of everything, after which the source (failing at the
# pull past its end) is not pulled again, unlike more-itertools
@example(data=[None, 0, 0, 0, None, None], n=None, shape="failing", strict=False, fail_at=8)
def test_chunked(data, n, shape, strict, fail_at):
    def ref():
        # more_itertools checks n with islice() at the first next(); cyiter at
        # once: drain the reference inside the factory so both fail "at creation"
        it = more_itertools.chunked(make_source(shape, data, fail_at), n, strict=strict)
        if n is None or isinstance(n, int):
            it = ends_after_short(it, n)
        first = run(it, limit=1)
        if first[1] is not None and first[0] == [] and "islice" in first[1][1]:
            raise first[1][0](first[1][1])
        return itertools.chain(first[0], it) if first[1] is None else _replay(first)

    expected = outcome(ref)
    for kind in TWINS:
        got = outcome(lambda: twin(kind).chunked(make_source(shape, data, fail_at), n, strict=strict))
        assert got == expected, kind


@given(
    # distinct values, so that an item out of place shows
    data=st.integers(0, 400).map(lambda length: list(range(length))),
    n=st.sampled_from([63, 64, 65, 100, 129, 200]) | st.integers(60, 140),
    shape=st.sampled_from(["list", "tuple"]),
    strict=st.booleans(),
)
def test_long_batches_of_sequences(data, n, shape, strict):
    # batches of 64 or more over a list or tuple: the Cython twin prefetches
    # the items ahead, up to the sequence's end; kept and dropped batches
    expected = outcome(lambda: ref_batched(make_source(shape, data), n, strict=strict))
    chunks = outcome(lambda: more_itertools.chunked(make_source(shape, data), n, strict=strict))
    for kind in TWINS:
        make = twin(kind)
        assert outcome(lambda: make.batched(make_source(shape, data), n, strict=strict)) == expected
        assert outcome(lambda: make.chunked(make_source(shape, data), n, strict=strict)) == chunks
        dropped = []
        try:
            for batch in make.batched(make_source(shape, data), n, strict=strict):
                dropped.append(list(batch))
                del batch
        except ValueError as exc:
            dropped.append(str(exc))
        kept, error = expected
        assert dropped == [list(b) for b in kept] + ([error[1]] if error else [])


def _replay(result):
    items, (exc_type, message) = result
    yield from items
    raise exc_type(message)


@given(data=st.lists(st.lists(st.integers(), max_size=5) | st.text(max_size=3) | st.integers(), max_size=20))
def test_flatten(data):
    expected = outcome(lambda: more_itertools.flatten(list(data)))
    for kind in TWINS:
        assert outcome(lambda: twin(kind).flatten(list(data))) == expected


trees = st.recursive(
    st.integers() | st.text(max_size=2) | st.binary(max_size=2) | st.none(),
    lambda children: st.lists(children, max_size=4) | st.tuples(children, children),
    max_leaves=40,
)


@given(
    tree=trees,
    levels=st.none() | st.integers(-2, 6) | st.sampled_from([1.5, 10**20]),
    base_type=st.sampled_from([None, tuple, list, (tuple, int), str]),
)
def test_collapse(tree, levels, base_type):
    expected = outcome(lambda: more_itertools.collapse(tree, base_type=base_type, levels=levels))
    for kind in TWINS:
        assert outcome(lambda: twin(kind).collapse(tree, base_type=base_type, levels=levels)) == expected


numbers = (
    st.integers(-(2**70), 2**70)
    | st.sampled_from([MAX - 3, -MAX - 2, MAX, True, False])
    | st.floats(allow_nan=False, allow_infinity=False, width=32)
    | st.fractions(max_denominator=50)
    | st.decimals(allow_nan=False, allow_infinity=False, places=3)
    | st.complex_numbers(allow_nan=False, allow_infinity=False, max_magnitude=1e6)
)


def ref_count(start, step):
    """itertools.count(start, step), except where CPython < 3.12 cannot make
    it: count(sys.maxsize) with an int step of 1 fails an assertion in
    itertools_count_impl (a debug build aborts; a release build makes a count
    that prints as count(<NULL>)).  There the reference starts one step
    earlier and takes it, which leaves it in the very state count(sys.maxsize)
    has on a release build: the next value is sys.maxsize, an int."""
    if (
        sys.version_info < (3, 12)
        and isinstance(start, int)
        and start == MAX
        and isinstance(step, int)
        and step == 1
    ):
        ref = itertools.count(MAX - 1, step)
        next(ref)
        return ref
    return itertools.count(start, step)


@given(start=numbers, step=numbers, steps=st.integers(0, 12))
# the draws that made CPython 3.11's debug build abort in itertools.count()
@example(start=MAX, step=1, steps=3)
@example(start=MAX, step=True, steps=3)
@example(start=0, step=-0.0, steps=2)  # 0 + -0.0 is 0.0 (Cython's + gave -0.0)
def test_count(start, step, steps):
    ref = ref_count(start, step)
    ours = [twin(kind).count(start, step) for kind in TWINS]
    for _ in range(steps):
        # CPython < 3.12 cannot print its count at sys.maxsize (a release
        # build shows <NULL>, a debug build aborts): compare the twins there
        at_max = repr(ours[0]) == f"count({MAX})" and sys.version_info < (3, 12)
        expected = repr(ours[0]) if at_max else repr(ref)
        for c in ours:
            assert repr(c) == expected
        outcomes = [outcome(lambda: iter([next(c)])) for c in ours]
        ref_outcome = outcome(lambda: iter([next(ref)]))
        for got in outcomes:
            assert got == ref_outcome
            if got[1] is None:
                assert type(got[0][0]) is type(ref_outcome[0][0])


@given(
    n=st.none() | st.integers(-3, 200),
    max_value=st.none()
    | st.integers(-5, 2**130)
    | st.sampled_from([2**64 - 1, 2**64, Fraction(7, 2), Decimal("1e20"), 1e30]),
)
def test_fibonacci(n, max_value):
    def ref():
        if n is not None and n < 0:
            raise ValueError("n must be at least zero")

        def gen():
            a, b = 0, 1
            for _ in itertools.count() if n is None else range(n):
                if max_value is not None and a > max_value:
                    return
                yield a
                a, b = b, a + b

        return gen()

    limit = 400
    expected = outcome(lambda: itertools.islice(ref(), limit))
    for kind in TWINS:
        got = outcome(lambda: itertools.islice(twin(kind).fibonacci(n, max_value=max_value), limit))
        assert got == expected


@pytest.mark.parametrize("name", ["batched", "chunked"])
@given(data=st.lists(st.integers(), max_size=30), n=st.integers(1, 7), k=st.integers(0, 8))
def test_pickles_resume_across_twins(name, data, n, k):
    import pickle

    from cyiter import _select

    for maker, loader in itertools.product(TWINS, TWINS):
        it = getattr(twin(maker), name)(list(data), n)
        for _ in range(k):
            next(it, None)
        blob = pickle.dumps(it)
        rest = list(it)
        saved = _select.CLASSES
        _select.CLASSES = twin(loader).classes
        try:
            assert list(pickle.loads(blob)) == rest
        finally:
            _select.CLASSES = saved
