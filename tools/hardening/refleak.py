"""pytest plugin: fail every test that leaks references or memory blocks.

The idea of CPython's ``regrtest -R``: each test runs several times in a row
(set up, called and torn down each time; the last run is the one reported);
the first runs warm the caches,
then the growth of ``sys.gettotalrefcount()`` and ``sys.getallocatedblocks()``
is recorded across each of the measured runs.  A test leaks when *every*
measured run grew one of the two (by 1 reference, or 2 blocks): a one-off
cache fill or a freelist that happens to move in one run is not a leak, a
steady climb is.

What the repetition itself would make grow is put back between runs, each
for a stated reason (see the functions below): pytest's captured output on
the item, the settings hypothesis' pytest plugin stacks on a parametrized
test, hypothesis' strategy cache.  Nothing else is cleared.

Needs a debug build of CPython (``sys.gettotalrefcount`` exists only there),
and only code built for it: the session fails if an extension module built
for a release interpreter was loaded (see ``_release_extensions``).  Load it
with ``-p refleak`` (this directory on ``PYTHONPATH``).  Settings:

* ``CYITER_REFLEAK_WARMUPS`` (default 3) and ``CYITER_REFLEAK_RUNS``
  (default 3): the runs that are not measured, and those that are;
* ``CYITER_REFLEAK_LOG``: a file to which the measured growth of every test
  is appended (node id, references, blocks), to see the near misses too;
* hypothesis runs derandomized, with no example database and at most
  ``CYITER_REFLEAK_EXAMPLES`` (default 25) examples, so every run of a test
  executes the very same examples.
"""

import gc
import importlib.machinery
import os
import sys
import tempfile
from pathlib import Path

import pytest
from _pytest.runner import runtestprotocol

WARMUPS = int(os.environ.get("CYITER_REFLEAK_WARMUPS", "3"))
RUNS = int(os.environ.get("CYITER_REFLEAK_RUNS", "3"))
EXAMPLES = int(os.environ.get("CYITER_REFLEAK_EXAMPLES", "25"))
LOG = os.environ.get("CYITER_REFLEAK_LOG")
PROFILE = "cyiter-refleak"

# The attribute in which hypothesis keeps a test's settings, on the function.
_HYPOTHESIS_SETTINGS = "_hypothesis_internal_use_settings"
_MISSING = object()


def pytest_configure(config):
    if not hasattr(sys, "gettotalrefcount"):
        raise pytest.UsageError(
            "the refleak plugin needs a debug build of CPython (sys.gettotalrefcount)"
        )
    if WARMUPS < 1 or RUNS < 2:
        raise pytest.UsageError("CYITER_REFLEAK_WARMUPS >= 1 and CYITER_REFLEAK_RUNS >= 2 are needed")
    config.addinivalue_line("markers", "no_refleak_check: run once, without the refleak check")


def _hypothesis_function(item):
    """The function object hypothesis keeps its settings on (or None)."""
    obj = getattr(item, "obj", None)
    return getattr(obj, "__func__", obj)


def pytest_collection_finish(session):
    from hypothesis import HealthCheck, settings

    overrides = {
        "derandomize": True,
        "database": None,
        "deadline": None,
        "suppress_health_check": list(HealthCheck),
    }
    # For settings objects made from now on.
    settings.register_profile(PROFILE, max_examples=EXAMPLES, **overrides)
    settings.load_profile(PROFILE)
    # @given took the settings in force when the test module was imported
    # (the conftest's profile, or the test's own @settings), so loading a
    # profile now does not reach it: put ours on top of them.  Without this
    # the tests drew 100 random examples a run, new ones every run, with the
    # example database of the tree: growth from whatever the new examples
    # exercised (test_count's thousands of references a run were mostly
    # that), and an abort whenever a run drew itertools.count(sys.maxsize).
    done = set()
    for item in session.items:
        function = _hypothesis_function(item)
        if not getattr(function, "is_hypothesis_test", False) or id(function) in done:
            continue
        done.add(id(function))
        current = getattr(function, _HYPOTHESIS_SETTINGS)
        setattr(
            function,
            _HYPOTHESIS_SETTINGS,
            settings(current, max_examples=min(current.max_examples, EXAMPLES), **overrides),
        )
    # What exists now (pytest, hypothesis, the collected tests) lives to the
    # end: keep it out of every later collection, which it would slow down.
    gc.collect()
    gc.freeze()


def _release_extensions():
    """Extension modules loaded that were not built for this debug interpreter.

    Only code compiled with ``Py_DEBUG`` keeps ``sys.gettotalrefcount()``: a
    release build's ``Py_INCREF``/``Py_DECREF`` leave it alone (and Debian's
    debug interpreter loads such modules all the same).  An object the debug
    side creates and a release module frees then counts as a leaked
    reference though nothing is kept; the reverse would hide a leak.  Seen
    with hypothesis' Rust ``_native`` module (the releases after 6.155.7,
    whose wheels are all built for release interpreters; the refleak
    session installs 6.155.7, pure Python, for that reason): each ``OverflowError`` its ``float_of``
    raises, which ``st.floats(width=32)`` turns into a rejected draw, adds
    one reference to the total (1,000 raises: +1,000 references, +0 blocks;
    a steady 3 references a run of test_differential.py::test_count).
    """
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    debug_suffix = suffixes[0]  # ".cpython-311d-x86_64-linux-gnu.so"
    found = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) or ""
        if path.endswith(suffixes) and not path.endswith(debug_suffix):
            found.append(f"{name} ({path})")
    return sorted(found)


_RELEASE_KEY = pytest.StashKey[list]()


def pytest_sessionfinish(session):
    release = _release_extensions()
    if release:
        # the counts went through code they do not cover: not a clean result
        session.config.stash[_RELEASE_KEY] = release
        if session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter, config):
    release = config.stash.get(_RELEASE_KEY, None)
    if release:
        terminalreporter.section("refleak: the counts are not exact", sep="=", red=True)
        terminalreporter.write_line(
            "extension modules built for a release interpreter were loaded: "
            "sys.gettotalrefcount() misses their Py_INCREF/Py_DECREF, so growth "
            "seen through them, or its absence, proves nothing (see refleak.py):"
        )
        for line in release:
            terminalreporter.write_line(f"  {line}")


@pytest.fixture
def tmp_path():
    """A plain temporary directory instead of pytest's own ``tmp_path``,
    which keeps a little state for every directory it makes (30 references a
    test on pytest 8): growth the check would blame on the test."""
    with tempfile.TemporaryDirectory(prefix="cyiter-refleak-") as name:
        yield Path(name)


def _clear_caches():
    """Empty the caches that fill up across runs of one test without leaking.

    Like regrtest's ``clear_caches()``, and limited to what was seen to grow:
    hypothesis' strategy cache, an LRU of up to 1024 strategy objects keyed
    by the arguments of the strategy functions (hypothesis rebuilds what it
    needs).  A strategy made inside a draw gets a new key every time:
    ``st.fractions()`` draws a denominator d, then makes
    ``builds(Fraction, integers(), just(d))`` with a new ``integers()``
    object, two new entries for each Fraction drawn.  Left alone it added
    about 1,400 references and 520 blocks a run of
    test_differential.py::test_count, the same examples every run, until it
    would be full.  Emptied before every measurement, it is empty at both
    ends of a run.
    """
    try:
        from hypothesis.strategies._internal.utils import clear_strategy_cache
    except ImportError:  # another hypothesis: the growth shows, to be looked at
        return
    clear_strategy_cache()


def _cython_type_references():
    """The references held on the types Cython shares between its modules
    (the ``_cython_3_*`` module: its coroutine type among them).  Every
    coroutine a Cython ``async def`` makes (Cython 3.1.6 to 3.3.1 on the
    debug 3.11) leaves one reference on that type for good, though the
    coroutine itself is freed: ``sys.getallocatedblocks()`` does not grow.
    Counted, that would report every test of an async method as a leak; a
    leaked coroutine still shows, as memory blocks and as the references it
    holds."""
    total = 0
    for name, module in list(sys.modules.items()):
        if name.startswith("_cython_"):
            for value in list(vars(module).values()):
                if isinstance(value, type):
                    total += sys.getrefcount(value)
    return total


def _totals():
    """Reference and block totals after dropping what is only cached."""
    _clear_caches()
    sys._clear_type_cache()
    gc.collect()
    return sys.gettotalrefcount() - _cython_type_references(), sys.getallocatedblocks()


# A run may leave one or two more memory blocks with no reference behind
# them (seen on the thread tests of both twins, only amid a full run, never
# alone: the interpreter's own bookkeeping), so blocks count from this many.
MIN_BLOCKS = 2


def _leaks(ref_deltas, block_deltas):
    """The kinds of growth seen in every measured run: [] when none."""
    kinds = []
    for deltas, kind, least in ((ref_deltas, "references", 1), (block_deltas, "memory blocks", MIN_BLOCKS)):
        if all(delta >= least for delta in deltas):
            kinds.append(f"{kind} {deltas}")
    return kinds


def _settings_of(function):
    return getattr(function, "__dict__", {}).get(_HYPOTHESIS_SETTINGS, _MISSING)


def _restore_settings(function, saved):
    """Put back the settings hypothesis' pytest plugin replaces on every run.

    For a parametrized @given test (or one with parametrized fixtures), the
    plugin sets ``fn._hypothesis_internal_use_settings = settings(parent=<the
    settings it found there>, ...)`` each time the test runs, so run after
    run the function holds a longer chain of settings objects (17-20
    references and 3-5 blocks a run: the
    test_pickles_resume_across_twins[batched|chunked] reports).  A normal
    session runs each item once and the chain is as long as the parameter
    list; only the repetition makes it grow.
    """
    if saved is _MISSING:
        getattr(function, "__dict__", {}).pop(_HYPOTHESIS_SETTINGS, None)
    else:
        setattr(function, _HYPOTHESIS_SETTINGS, saved)


# Deltas are stored in lists made before the first run, as ints that cost
# nothing new where they can (CPython caches -5..256; larger ones are pooled
# here, as regrtest does, a new entry only for a value not seen before), so
# that recording the growth of one run does not grow the next.
_INT_POOL = {}


def _pooled(value):
    if -5 <= value <= 256:
        return value
    return _INT_POOL.setdefault(value, value)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if item.get_closest_marker("no_refleak_check"):
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    function = _hypothesis_function(item)
    saved_settings = _settings_of(function)
    ref_deltas = [0] * RUNS
    block_deltas = [0] * RUNS
    measured = True
    after = _totals()
    for run in range(WARMUPS + RUNS):
        before = after
        # set up, call, and tear down as far as the next test needs: the
        # same every run, so the last run is the one reported
        reports = runtestprotocol(item, log=False, nextitem=nextitem)
        # pytest appends each run's captured output to the item and never
        # drops it (the reports of this run keep their own copy): without
        # this, a test that prints "leaks" its output once per run (26-29
        # references and 16-18 blocks for a few lines: the four
        # test_bench.py reports, whose bench() prints its report)
        item._report_sections.clear()
        _restore_settings(function, saved_settings)
        after = _totals()
        if any(not report.passed for report in reports):
            measured = False
            break  # failed or skipped: report that run as it is
        if run >= WARMUPS:
            ref_deltas[run - WARMUPS] = _pooled(after[0] - before[0])
            block_deltas[run - WARMUPS] = _pooled(after[1] - before[1])
    if measured:
        leaks = _leaks(ref_deltas, block_deltas)
        if LOG:
            with open(LOG, "a", encoding="utf-8") as log:
                log.write(f"{item.nodeid}\t{ref_deltas}\t{block_deltas}\n")
        for report in reports:
            if leaks and report.when == "call":
                report.outcome = "failed"
                report.longrepr = (
                    f"{item.nodeid} leaked, growth in each of {RUNS} runs after "
                    f"{WARMUPS} warm-ups: " + "; ".join(leaks)
                )
    for report in reports:
        item.ihook.pytest_runtest_logreport(report=report)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
