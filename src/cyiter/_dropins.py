"""Checks shared by both twins of the more-itertools drop-ins: the
windowing, selecting, combining, grouping and lookahead families.

Each ``*_args`` function makes more-itertools' argument checks in its
order, with its errors, and returns what the twins' ``_set`` takes.
more-itertools' generators make some checks only at the first ``next()``,
or only once the input is long enough to reach them (``windowed``'s step,
``ichunked``'s n); cyiter makes them all at creation.  The ``*_state``
functions check pickle states, so that a crafted one cannot reach the
Cython twins' raw item access.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from operator import index, length_hint
from typing import Any

#: A source as a pickle state gives it: an iterator, or None once it has ended.
StateSource = Iterator[Any] | None

ISLICE_STOP = "Stop argument for islice() must be None or an integer: 0 <= x <= sys.maxsize."
ISLICE_START = "Indices for islice() must be None or an integer: 0 <= x <= sys.maxsize."
ISLICE_STEP = "Step for islice() must be a positive integer or None."


def _ssize_in(value: Any, low: int) -> int | None:
    """*value* as a C ssize_t in ``[low, sys.maxsize]``, or None."""
    if not hasattr(type(value), "__index__"):
        return None
    value = index(value)
    return value if low <= value <= sys.maxsize else None


def islice_count(count: Any) -> int:
    """*count* as islice() takes its stop argument, with its ValueError."""
    checked = _ssize_in(count, 0)
    if checked is None:
        raise ValueError(ISLICE_STOP)
    return checked


def skip_items(it: Iterator[Any], count: int) -> int:
    """Drop up to *count* items of the iterator *it*, at C speed (the
    pure-Python twins); how many there were."""
    if not count:
        return 0
    last = deque(enumerate(islice(it, count), 1), maxlen=1)
    return last[0][0] if last else 0


def check_callable(func: object) -> None:
    """The TypeError calling *func* on the first item would raise."""
    if not callable(func):
        raise TypeError(f"{type(func).__name__!r} object is not callable")


def is_iterator(obj: object) -> bool:
    return hasattr(type(obj), "__next__")


def _state_error(name: str, what: str) -> TypeError:
    return TypeError(f"{name} state: {what}")


def check_source(name: str, it: object) -> None:
    """A pickled source: None (exhausted) or an iterator."""
    if it is not None and not is_iterator(it):
        raise _state_error(name, f"{type(it).__name__!r} object is not an iterator")


def check_size(name: str, what: str, value: object, low: int) -> None:
    """A pickled count: an int in ``[low, sys.maxsize]``."""
    if type(value) is not int or not low <= value <= sys.maxsize:
        raise _state_error(name, f"bad {what} {value!r}")


# -- windowing -----------------------------------------------------------------


def windowed_args(
    seq: Iterable[Any], n: Any, fillvalue: Any, step: Any
) -> tuple[Iterator[Any], int, Any, int]:
    """``(it, n, fillvalue, step)``; what more-itertools checks once the
    first window is full (the padding's length, islice()'s arguments) is
    checked at once."""
    if n <= 0:
        raise ValueError("n must be > 0")
    if step < 1:
        raise ValueError("step must be >= 1")
    it = iter(seq)
    n = islice_count(n)
    padding = n - 1 if step >= n else step - 1
    if not hasattr(type(padding), "__index__"):
        raise TypeError(f"can't multiply sequence by non-int of type {type(padding).__name__!r}")
    if _ssize_in(step - 1, 0) is None:
        raise ValueError(ISLICE_START)
    step = _ssize_in(step, 1)
    if step is None:
        raise ValueError(ISLICE_STEP)
    return it, n, fillvalue, step


def sliding_window_args(iterable: Iterable[Any], n: Any) -> tuple[Iterator[Any], int]:
    """``(it, n)``: more-itertools picks an implementation by n, and each
    checks n its own way."""
    if n > 20:  # a deque of maxlen n after islice(it, n - 1)
        it = iter(iterable)
        islice_count(n - 1)
        if n > sys.maxsize:
            raise OverflowError("Python int too large to convert to C ssize_t")
        return it, index(n)
    if n > 2:  # tee(iterable, n)
        n = index(n)
        return iter(iterable), n
    if n == 2 or n == 1:  # pairwise(iterable), zip(iterable)
        return iter(iterable), 2 if n == 2 else 1
    raise ValueError(f"n should be at least one, not {n}")


def window_state(
    name: str, state: Any, with_step: bool
) -> tuple[StateSource, tuple[Any, ...] | None, int, Any, int]:
    """``(it, window, n, fillvalue, step)`` from a windowed state, or
    ``(it, window, n, None, 1)`` from a sliding_window one."""
    if with_step:
        it, window, n, fillvalue, step = state
    else:
        it, window, n = state
        fillvalue, step = None, 1
    check_source(name, it)
    check_size(name, "n", n, 1)
    check_size(name, "step", step, 1)
    if window is not None and (type(window) is not tuple or len(window) != n or it is None):
        raise _state_error(name, f"the window must be None, or a tuple of {n} items and a source")
    return it, window, n, fillvalue, step


def windows_left(left: int, first: bool, n: int, step: int, pads_first: bool) -> int:
    """How many windows *left* more items of the source give, before the
    first window (*first*) or after one."""
    if first:
        if left < n:
            return int(pads_first and left > 0)
        left -= n
        count = 1
    else:
        count = 0
    count += left // step
    rest = left % step
    # a short last step gives a padded window when the window keeps one of its items
    return count + int(rest > step - min(step, n))


# -- selecting -----------------------------------------------------------------


def _check_key(name: str, key: object) -> None:
    if key is not None and not callable(key):
        raise _state_error(name, "the key must be None or callable")


def everseen_state(state: Any) -> tuple[StateSource, set[Any], Callable[[Any], Any] | None]:
    """``(it, seen, key)`` of a unique_everseen state; seen a new set."""
    it, seen, key = state
    check_source("unique_everseen", it)
    if not isinstance(seen, (set, frozenset)):
        raise _state_error("unique_everseen", "the items seen must be a set")
    _check_key("unique_everseen", key)
    return it, set(seen), key


def justseen_state(
    state: Any,
) -> tuple[StateSource, Callable[[Any], Any] | None, bool, Any, tuple[Any, Any] | None]:
    """``(it, key, started, run_key, pending)`` of a unique_justseen state."""
    it, key, started, run_key, pending = state
    check_source("unique_justseen", it)
    _check_key("unique_justseen", key)
    if pending is not None and (type(pending) is not tuple or len(pending) != 2):
        raise _state_error("unique_justseen", "pending must be None or an (item, key) pair")
    return it, key, bool(started), run_key, pending


# -- combining -----------------------------------------------------------------


def length_hints(its: Iterable[Iterator[Any]]) -> list[int] | None:
    """The length hints of the iterators *its*, or None if one has none."""
    hints = [length_hint(it, -1) for it in its]
    return None if any(hint < 0 for hint in hints) else hints


def _iterators(name: str, its: Any) -> tuple[Iterator[Any], ...]:
    if type(its) is not tuple:
        raise _state_error(name, "the inputs must be a tuple")
    for it in its:
        if not is_iterator(it):
            raise _state_error(name, f"{type(it).__name__!r} object is not an iterator")
    return its


def rounds_state(name: str, state: Any) -> tuple[tuple[Iterator[Any], ...], tuple[Any, ...]]:
    """``(its, pending)`` of an interleave or interleave_longest state."""
    its, pending = state
    if type(pending) is not tuple:
        raise _state_error(name, "the pending items must be a tuple")
    return _iterators(name, its), pending


def roundrobin_state(state: Any) -> tuple[tuple[Iterator[Any], ...], int]:
    """``(its, index)`` of a roundrobin state."""
    its, index = state
    _iterators("roundrobin", its)
    if type(index) is not int or not 0 <= index < max(len(its), 1):
        raise _state_error("roundrobin", f"bad index {index!r}")
    return its, index


# -- lookahead -----------------------------------------------------------------


def peekable_state(state: Any) -> tuple[StateSource, tuple[Any, ...]]:
    """``(it, cached)`` of a peekable state: the source (None once it has
    ended) and the items looked at ahead, a tuple."""
    it, cached = state
    check_source("peekable", it)
    if type(cached) is not tuple:
        raise _state_error("peekable", "the cached items must be a tuple")
    return it, cached


# -- grouping ------------------------------------------------------------------


def constrained_batches_state(
    state: Any,
) -> tuple[StateSource, Any, Any, Callable[[Any], Any], bool, tuple[()] | tuple[Any, Any]]:
    """``(it, max_size, max_count, get_len, strict, carried)``; carried is
    () or the pair (item, size)."""
    it, max_size, max_count, get_len, strict, carried = state
    check_source("constrained_batches", it)
    _check_limits(max_size, max_count)
    check_callable(get_len)
    if type(carried) is not tuple or len(carried) not in (0, 2):
        raise _state_error("constrained_batches", "carried must be () or an (item, size) pair")
    return it, max_size, max_count, get_len, bool(strict), carried


def ichunked_state(state: Any) -> tuple[StateSource, int, int]:
    """``(it, n, skip)``: skip, the items of the last chunk still in the
    source, dropped before the next chunk."""
    it, n, skip = state
    check_source("ichunked", it)
    check_size("ichunked", "n", n, 1)
    check_size("ichunked", "skip", skip, 0)
    return it, n, skip


def _check_limits(max_size: Any, max_count: Any) -> None:
    if max_size <= 0:
        raise ValueError("maximum size must be greater than zero")
    if max_count is not None and max_count <= 0:
        raise ValueError("maximum count must be greater than zero")


def constrained_batches_args(
    iterable: Iterable[Any], max_size: Any, max_count: Any, get_len: Any, strict: object
) -> tuple[Iterator[Any], Any, Any, Callable[[Any], Any], bool]:
    _check_limits(max_size, max_count)
    it = iter(iterable)
    check_callable(get_len)
    return it, max_size, max_count, get_len, bool(strict)


def ichunked_args(iterable: Iterable[Any], n: Any) -> tuple[Iterator[Any] | None, int]:
    """``(it, n)``; the islice() check each chunk makes is made at once.
    n 0 yields nothing and pulls nothing (``it`` None)."""
    if n is not None and n < 0:
        raise ValueError("n must be at least 0")
    it = iter(iterable)
    if n == 0:
        return None, 1
    islice_count(n - 1)
    return it, index(n)
