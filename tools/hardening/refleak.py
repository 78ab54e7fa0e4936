"""pytest plugin: fail every test that leaks references or memory blocks.

The idea of CPython's ``regrtest -R``: each test runs several times in a row
(set up, called and torn down each time; the last run is the one reported);
the first runs warm the caches,
then the growth of ``sys.gettotalrefcount()`` and ``sys.getallocatedblocks()``
is recorded across each of the measured runs.  A test leaks when *every*
measured run grew one of the two (by 1 reference, or 2 blocks): a one-off
cache fill or a freelist that happens to move in one run is not a leak, a
steady climb is.

Needs a debug build of CPython (``sys.gettotalrefcount`` exists only there).
Load it with ``-p refleak`` (this directory on ``PYTHONPATH``).  Settings:

* ``CYITER_REFLEAK_WARMUPS`` (default 3) and ``CYITER_REFLEAK_RUNS``
  (default 3): the runs that are not measured, and those that are;
* hypothesis runs derandomized, with no example database and
  ``CYITER_REFLEAK_EXAMPLES`` (default 25) examples, so every run of a test
  executes the very same examples.
"""

import gc
import os
import sys
import tempfile
from pathlib import Path

import pytest
from _pytest.runner import runtestprotocol

WARMUPS = int(os.environ.get("CYITER_REFLEAK_WARMUPS", "3"))
RUNS = int(os.environ.get("CYITER_REFLEAK_RUNS", "3"))
EXAMPLES = int(os.environ.get("CYITER_REFLEAK_EXAMPLES", "25"))
PROFILE = "cyiter-refleak"


def pytest_configure(config):
    if not hasattr(sys, "gettotalrefcount"):
        raise pytest.UsageError(
            "the refleak plugin needs a debug build of CPython (sys.gettotalrefcount)"
        )
    if WARMUPS < 1 or RUNS < 2:
        raise pytest.UsageError("CYITER_REFLEAK_WARMUPS >= 1 and CYITER_REFLEAK_RUNS >= 2 are needed")
    config.addinivalue_line("markers", "no_refleak_check: run once, without the refleak check")


def pytest_collection_finish(session):
    # After every conftest has loaded its own profile, so this one wins.
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        PROFILE,
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    settings.load_profile(PROFILE)
    # What exists now (pytest, hypothesis, the collected tests) lives to the
    # end: keep it out of every later collection, which it would slow down.
    gc.collect()
    gc.freeze()


@pytest.fixture
def tmp_path():
    """A plain temporary directory instead of pytest's own ``tmp_path``,
    which keeps a little state for every directory it makes (30 references a
    test on pytest 8): growth the check would blame on the test."""
    with tempfile.TemporaryDirectory(prefix="cyiter-refleak-") as name:
        yield Path(name)


def _totals():
    """Reference and block totals after dropping what is only cached."""
    sys._clear_type_cache()
    gc.collect()
    return sys.gettotalrefcount(), sys.getallocatedblocks()


# A run may leave one or two more memory blocks with no reference behind
# them (seen on the thread tests of both twins, only amid a full run, never
# alone: the interpreter's own bookkeeping), so blocks count from this many.
MIN_BLOCKS = 2


def _leaks(deltas):
    """The kinds of growth seen in every measured run: [] when none."""
    kinds = []
    for index, kind, least in ((0, "references", 1), (1, "memory blocks", MIN_BLOCKS)):
        if all(delta[index] >= least for delta in deltas):
            kinds.append(f"{kind} {[delta[index] for delta in deltas]}")
    return kinds


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if item.get_closest_marker("no_refleak_check"):
        return None
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    deltas = []
    after = _totals()
    for run in range(WARMUPS + RUNS):
        before = after
        # set up, call, and tear down as far as the next test needs: the
        # same every run, so the last run is the one reported
        reports = runtestprotocol(item, log=False, nextitem=nextitem)
        # pytest appends each run's captured output to the item (the reports
        # made in this run keep their copy): without this, a test that
        # prints "leaks" its output once per run (26-29 references and 16-18
        # blocks for a few lines; the four test_bench.py reports)
        item._report_sections.clear()
        after = _totals()
        if any(not report.passed for report in reports):
            break  # failed or skipped: report that run as it is
        if run >= WARMUPS:
            deltas.append((after[0] - before[0], after[1] - before[1]))
    else:
        leaks = _leaks(deltas)
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
