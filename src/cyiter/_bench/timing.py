"""The measuring method: warm-up, interleaved rounds, min and median.

A *case* is one workload (say ``batched`` of a list at ``n=10``) and the
*candidates* that do it: both cyiter twins and every installed reference.
Each candidate is a function ``run(consume)`` that builds its iterator over
the workload's data, hands it to *consume* and returns what *consume*
returned.  Timing passes :func:`drain` (a C-level loop that discards every
item, the same for everyone); the warm-up passes :func:`tally`, which counts
the items so that a candidate producing the wrong number of items is caught
and reported instead of timed.

Rounds are interleaved: every round gives each candidate one turn, in an
order rotated by one each round, so that drift of the machine (frequency,
other load) spreads over all candidates alike.  A turn is back-to-back
runs, each timed on its own, until the turn has lasted ``min_sample_s``
(at least one run).  The minimum and
median are over every run of every round: on a busy machine, many short
runs give each candidate a fair chance of some undisturbed ones.  The
garbage collector is off during a turn (as in :mod:`timeit`) and collected
between rounds.  A slow candidate (one run longer than ``slow_s``, such as a
pure-Python reader over a file of hundreds of megabytes) takes its turns in
the first :data:`SLOW_ROUNDS` rounds only: long runs vary little, and the
full run stays within minutes.  A candidate whose warm-up run alone exceeds
``budget_s`` is not run again: that counting run is its only time (the
counting costs tens of nanoseconds per item, nothing next to such a run).

Each run is timed by the wall clock, which the report and the Cython twin's
targets use, and by the CPU time of the thread, which the pure twin's
targets use (cyiter/_bench/baseline.py says why).
"""

import gc
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cyiter._bench.cases import Profile

#: What a candidate hands its iterator to (:func:`drain` or :func:`tally`).
Consume = Callable[[Iterable[Any]], int]
#: A candidate: builds its iterator over the case's data, returns ``consume(it)``.
Run = Callable[[Consume], int]

#: Roles of candidates: the two cyiter twins and everything else.
CYTHON, PYTHON, REFERENCE = "cython", "python", "reference"

#: The rounds a slow candidate takes part in.
SLOW_ROUNDS = 3


def drain(iterator: Iterable[Any]) -> int:
    """Consume *iterator* in C, keeping nothing."""
    deque(iterator, maxlen=0)
    return 0


def tally(iterator: Iterable[Any]) -> int:
    """Consume *iterator* and count its items."""
    n = 0
    for _ in iterator:
        n += 1
    return n


@dataclass
class Candidate:
    label: str
    role: str
    run: Run | None = None
    reason: str = ""


@dataclass
class Case:
    """One workload and its candidates.

    ``units`` normalises times ("ns per item"): input items for the
    in-memory iterators, lines, rows or chunks for the readers.  ``items``
    is how many items every candidate must yield per run.  ``nbytes`` (the
    readers) gives MB/s.
    """

    iterator: str
    key: str
    workload: str
    unit: str
    units: int
    items: int
    candidates: list[Candidate]
    nbytes: int | None = None


@dataclass
class Measured:
    label: str
    role: str
    status: str
    reason: str = ""
    slow: bool = False
    single: bool = False  # timed by its warm-up run only (over budget)
    rounds: int = 0
    samples_ns: list[float] = field(default_factory=list)  # wall clock, one per run
    cpu_samples_ns: list[float] = field(default_factory=list)  # the thread's CPU time, the same runs

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def min_ns(self) -> float:
        return min(self.samples_ns)

    @property
    def median_ns(self) -> float:
        return statistics.median(self.samples_ns)

    @property
    def cpu_min_ns(self) -> float:
        return min(self.cpu_samples_ns)

    def add(self, wall_ns: float, cpu_ns: float) -> None:
        self.samples_ns.append(wall_ns)
        self.cpu_samples_ns.append(cpu_ns)


def _timed(run: Run, consume: Consume) -> tuple[int, int, int]:
    """``(what run returned, wall clock ns, thread CPU ns)`` of one run."""
    start, start_cpu = time.perf_counter_ns(), time.thread_time_ns()
    produced = run(consume)
    stop_cpu, stop = time.thread_time_ns(), time.perf_counter_ns()
    return produced, stop - start, stop_cpu - start_cpu


def _turn(run: Run, min_s: float, measured: Measured) -> None:
    """Add the times of runs to *measured* until *min_s* seconds have passed."""
    gc.disable()
    try:
        end = time.perf_counter() + min_s
        while True:
            _, wall, cpu = _timed(run, drain)
            measured.add(wall, cpu)
            if time.perf_counter() >= end:
                return
    finally:
        gc.enable()


def _warm_up(case: Case, candidate: Candidate, run: Run, profile: "Profile") -> Measured:
    """Check the candidate's output size; its time classifies the candidate.

    The counting run also brings a reader's file into page cache.  Over
    ``budget_s``, it is the candidate's only time (the counting costs tens
    of nanoseconds per item, nothing next to such a run); over ``slow_s``,
    the candidate is slow.
    """
    try:
        produced, counting, counting_cpu = _timed(run, tally)
        counting = max(counting, 1)
    except Exception as exc:
        return Measured(candidate.label, candidate.role, "error", f"{type(exc).__name__}: {exc}")
    if produced != case.items:
        return Measured(
            candidate.label,
            candidate.role,
            "error",
            f"yielded {produced} items, expected {case.items}",
        )
    measured = Measured(candidate.label, candidate.role, "ok")
    measured.slow = counting > profile.slow_s * 1e9
    if counting > profile.budget_s * 1e9:
        measured.single = True
        measured.add(counting, counting_cpu)
    return measured


def measure(case: Case, profile: "Profile") -> list[Measured]:
    """Time every candidate of *case* as *profile* says; a :class:`Measured` each.

    *profile* gives ``rounds``, ``min_sample_s``, ``slow_s`` and ``budget_s``.
    """
    results = []
    live: list[tuple[Run, Measured]] = []
    for candidate in case.candidates:
        run = candidate.run
        if run is None:
            results.append(Measured(candidate.label, candidate.role, "skipped", candidate.reason))
            continue
        measured = _warm_up(case, candidate, run, profile)
        results.append(measured)
        if measured.ok and not measured.single:
            live.append((run, measured))
    for r in range(profile.rounds):
        gc.collect()
        shift = r % len(live) if live else 0
        for run, measured in live[shift:] + live[:shift]:
            if measured.slow and r >= SLOW_ROUNDS:
                continue
            try:
                _turn(run, profile.min_sample_s, measured)
                measured.rounds += 1
            except Exception as exc:
                measured.status = "error"
                measured.reason = f"{type(exc).__name__}: {exc}"
                measured.samples_ns.clear()
                measured.cpu_samples_ns.clear()
        live = [pair for pair in live if pair[1].ok]
    return results
