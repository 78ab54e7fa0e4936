"""What every more-itertools drop-in shares (SPEC section 2), on both twins:
the same signature, docstring and repr; exhausted means exhausted;
pickles that resume exactly, across twins, and states that are checked;
a guard against re-entry; exact length hints where they are known.

The family modules (test_windowing.py, ...) compare each one with
more-itertools on generated inputs; test_dropins_hostile.py shares them
between threads and feeds them hostile sources.
"""

import gc
import inspect
import itertools
import operator
import pickle
import re
import signal
import weakref

import more_itertools
import pytest
from dropins import CASES, NAMES, made, public_name
from support import Source

from conftest import twin
from cyiter import _select

DROPINS = [name for family in ("windowing", "selecting", "combining", "grouping", "lookahead")
           for name in _select.FAMILIES[family]]  # fmt: skip
CLASSES = [name for name in DROPINS if name != "ilen"]
REENTERED = "cannot re-enter"


@pytest.mark.parametrize("name", DROPINS)
def test_twins_have_one_signature_and_docstring(name):
    cy, py = getattr(twin("cython"), name), getattr(twin("python"), name)
    assert str(inspect.signature(cy)) == str(inspect.signature(py))
    assert str(inspect.signature(py)) == str(inspect.signature(getattr(more_itertools, name)))
    # (cleaned: 3.13+ compiles Python docstrings dedented, Cython does not)
    assert inspect.getdoc(cy) == inspect.getdoc(py)
    assert f"more_itertools.{name}" in py.__doc__
    for method in ("peek", "prepend"):
        if hasattr(py, method):
            assert inspect.getdoc(getattr(cy, method)) == inspect.getdoc(getattr(py, method))


@pytest.mark.parametrize("case", NAMES)
def test_is_its_own_iterator_with_the_same_repr_in_both_twins(impl, case):
    it = made(impl, case)
    assert iter(it) is it
    name = public_name(case)
    assert re.fullmatch(rf"<cyiter\.{name} object at 0x[0-9a-f]+>", repr(it))


@pytest.mark.parametrize("case", NAMES)
def test_gives_what_more_itertools_gives(impl, case):
    spec = CASES[case]
    assert spec.drain(made(impl, case)) == spec.drain(made(more_itertools, case))


@pytest.mark.parametrize("case", NAMES)
def test_exhausted_means_exhausted(impl, case):
    spec = CASES[case]
    source = Source(spec.items)
    it = made(impl, case, source)
    spec.drain(it)
    pulls = source.pulls
    for _ in range(3):
        with pytest.raises(StopIteration):
            next(it)
    assert source.pulls == pulls


@pytest.mark.parametrize("case", NAMES)
def test_pickles_resume_exactly_across_twins(impl, other_impl, case):
    spec = CASES[case]
    expected = spec.drain(made(impl, case))
    for k in range(len(expected) + 1):
        for loader in (impl, other_impl):
            it = made(impl, case)
            head = [spec.drain([x])[0] for x in itertools.islice(it, k)]
            data = pickle.dumps(it)
            assert b"cyiter._state" in data and b"restore" in data
            saved = _select.CLASSES
            _select.CLASSES = loader.classes
            try:
                copy = pickle.loads(data)
            finally:
                _select.CLASSES = saved
            assert type(copy) is getattr(loader, public_name(case))
            assert head + spec.drain(copy) == expected, (k, loader.kind)
            assert head + spec.drain(it) == expected


@pytest.mark.parametrize("case", NAMES)
def test_restore_makes_an_exhausted_iterator(impl, case):
    from cyiter._state import restore

    it = restore(public_name(case))
    assert list(it) == []
    assert operator.length_hint(it, -1) in (0, -1)


def _corrupted(state):
    """States one element off: each element replaced by a few wrong values."""
    for i in range(len(state)):
        for wrong in (None, 0, -1, 2**70, "x", (), [1], object(), iter([1]), (1, 2, 3)):
            yield state[:i] + (wrong,) + state[i + 1 :]


@pytest.mark.parametrize("case", NAMES)
def test_setstate_checks_what_it_is_given(impl, case):
    # a crafted state raises, or makes an iterator that works: never a crash
    it = made(impl, case)
    next(it)
    state = it.__reduce__()[2]
    for bad in _corrupted(state):
        copy = made(impl, case)
        try:
            copy.__setstate__(bad)
        except (TypeError, ValueError):
            continue
        try:
            list(itertools.islice(copy, 50))
        except Exception:  # the crafted state's own failure, cleanly raised
            pass
    with pytest.raises((TypeError, ValueError)):
        it.__setstate__(state[:-1])


@pytest.mark.parametrize("case", NAMES)
@pytest.mark.parametrize("call", ["next", "init", "setstate"])
def test_calls_from_inside_a_running_call_are_refused(impl, case, call):
    spec = CASES[case]
    box = []

    def reenter():
        it = box[0]
        if call == "next":
            next(it)
        elif call == "init":
            it.__init__(*_init_args(case))
        else:
            it.__setstate__(it.__reduce__()[2])

    items = spec.items
    it = made(impl, case, Source(items, hook=lambda: box and box[0] is not None and reenter()))
    box.append(it)
    with pytest.raises(RuntimeError, match=REENTERED):
        spec.drain(it)
    box[0] = None
    # whatever it was left in, it still works and can be freed
    try:
        spec.drain(it)
    except RuntimeError:
        pass
    del it, box
    gc.collect()


@pytest.mark.parametrize("case", NAMES)
def test_init_again_outside_a_call_starts_over(impl, case):
    it = made(impl, case)
    next(it)
    it.__init__(*_init_args(case))
    assert CASES[case].drain(it) == CASES[case].drain(made(impl, case))


def _init_args(case):
    """The arguments that make *case* over its items, all positional."""
    probe = {}

    class Recorder:
        def __getattr__(self, name):
            return lambda *args, **kwargs: probe.update(args=args + tuple(kwargs.values()))

    CASES[case].make(Recorder(), iter(CASES[case].items))
    return probe["args"]


@pytest.mark.parametrize("case", NAMES)
def test_length_hint_is_exact_where_it_is_given(impl, case):
    spec = CASES[case]
    expected = len(spec.drain(made(impl, case)))
    it = made(impl, case)
    for left in range(expected, -1, -1):
        hint = operator.length_hint(it, -1)
        assert hint in (left, -1)
        next(it, None)
    if case not in ("unique_everseen", "unique_justseen", "constrained_batches"):
        assert operator.length_hint(made(impl, case), -1) == expected


@pytest.mark.parametrize("case", NAMES)
def test_a_cycle_through_a_half_consumed_iterator_is_collected(impl, case):
    spec = CASES[case]
    source = Source(spec.items)
    it = made(impl, case, source)
    source.owner = it  # source -> iterator -> source
    next(it)
    probe = weakref.ref(source)
    del it, source
    gc.collect()
    assert probe() is None


def test_ilen(impl):
    assert impl.ilen(x for x in range(1000) if x % 7 == 0) == 143
    assert impl.ilen([]) == 0
    assert impl.ilen("abc") == 3
    source = Source(range(5), fail_at=3)
    with pytest.raises(ZeroDivisionError):
        impl.ilen(source)
    with pytest.raises(TypeError, match="'int' object is not iterable"):
        impl.ilen(5)


@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
@pytest.mark.parametrize(
    "make",
    [
        lambda ns: ns.windowed(itertools.count(), 2, step=10**15),
        lambda ns: ns.unique_everseen(itertools.repeat(1)),
        lambda ns: ns.unique_justseen(itertools.repeat(1)),
        lambda ns: [ns.ilen(itertools.count())],
    ],
)
def test_ctrl_c_stops_a_long_loop_in_c(make):
    # The Cython twin checks for signals in loops that pull many items
    # without returning.  (Only it: the pure twin's loops there are C loops
    # of itertools or collections, which, as more-itertools', cannot be
    # interrupted.)
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    old = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.1)
    try:
        with pytest.raises(KeyboardInterrupt):
            it = make(twin("cython"))
            next(it)
            next(it)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
