"""The more-itertools drop-ins, each made over a source, for the tests
they share (test_dropins.py, test_dropins_hostile.py) and the differential
tests of each family.

``CASES[name].make(ns, source)`` builds the iterator *name* from *ns* (a
twin's namespace, or ``more_itertools``) over *source*, an iterable of the
case's ``items`` (the other inputs of interleave and friends are plain
ranges); ``drain`` turns what it yields into a list (ichunked's chunks into
lists of items, read in order).
"""

import itertools
from dataclasses import dataclass
from typing import Callable

from support import run


def chunks(iterator):
    return [list(chunk) for chunk in iterator]


@dataclass(frozen=True)
class Case:
    make: Callable
    items: list
    drain: Callable = list


# keys and sizes are builtins, so that the iterators pickle
CASES = {
    "windowed": Case(lambda ns, src: ns.windowed(src, 3), list(range(12))),
    "windowed-step": Case(lambda ns, src: ns.windowed(src, 2, fillvalue=-1, step=3), list(range(11))),
    "sliding_window": Case(lambda ns, src: ns.sliding_window(src, 4), list(range(12))),
    "unique_everseen": Case(lambda ns, src: ns.unique_everseen(src, key=abs), [i % 7 - 3 for i in range(25)]),
    "unique_justseen": Case(lambda ns, src: ns.unique_justseen(src), [i // 3 for i in range(25)]),
    "interleave": Case(lambda ns, src: ns.interleave(src, range(100, 120)), list(range(12))),
    "interleave_longest": Case(
        lambda ns, src: ns.interleave_longest(range(100, 105), src, range(200, 203)), list(range(12))
    ),
    "roundrobin": Case(lambda ns, src: ns.roundrobin(range(100, 105), src, range(200, 203)), list(range(12))),
    "constrained_batches": Case(
        lambda ns, src: ns.constrained_batches(src, 10, 3), [b"x" * (i % 6) for i in range(20)]
    ),
    "ichunked": Case(lambda ns, src: ns.ichunked(src, 3), list(range(11)), chunks),
    "peekable": Case(lambda ns, src: ns.peekable(src), list(range(12))),
}
NAMES = sorted(CASES)


def public_name(case):
    """The public name of case *case* ("windowed-step" is windowed)."""
    return case.split("-")[0]


def made(ns, case, source=None):
    """Iterator *case* of *ns* over *source* (default: an iterator over the
    case's items)."""
    spec = CASES[case]
    return spec.make(ns, iter(spec.items) if source is None else source)


def outcome(make, limit=None):
    """``(items, error)`` of ``make()`` drained: an error at creation counts
    as one at the first next() (more-itertools' generators check their
    arguments only then; cyiter at once)."""
    try:
        iterator = make()
    except Exception as exc:
        return [], (type(exc), str(exc))
    return run(iterator, limit)


def steps(iterator, count):
    """*count* next() calls, each an item, "STOP" or ``(type, message)``:
    what goes on after an error, and after the end."""
    out = []
    for _ in range(count):
        try:
            out.append(next(iterator))
        except StopIteration:
            out.append("STOP")
        except Exception as exc:
            out.append((type(exc), str(exc)))
    return out


def first_error_only(trace):
    """*trace* (from :func:`steps`) up to its first error, included."""
    for i, step in enumerate(trace):
        if isinstance(step, tuple) and len(step) == 2 and isinstance(step[0], type):
            return trace[: i + 1]
    return trace


def windows(items, n):
    return [tuple(items[i : i + n]) for i in range(len(items) - n + 1)]


def flatten_once(batches):
    return list(itertools.chain.from_iterable(batches))
