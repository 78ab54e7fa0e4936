"""Argument and state checks shared by both twins of batched and chunked.

The argument checks follow the reference's order and errors, and return
``(source, pos, n, strict)`` for the twins' ``_set``: an exact list or tuple
is sliced from ``pos`` 0, anything else is pulled through its iterator
(``pos`` None); ``n`` -1 means everything in one batch.
The async twins (``cyiter.aio``) pass ``iterate=aiter``: an async iterable
is never a list or tuple, so it is always pulled.
"""

from __future__ import annotations

import sys
from operator import index, length_hint
from typing import Any

ISLICE_STOP = (
    "Stop argument for islice() must be None or an integer: 0 <= x <= sys.maxsize."
)
Args = tuple[Any, "int | None", int, bool]


def sliceable(iterable: object) -> bool:
    """An exact list or tuple, which the twins slice instead of iterating."""
    return type(iterable) is list or type(iterable) is tuple


def ssize(n: Any) -> int:
    """*n* converted as a C ``Py_ssize_t`` argument is."""
    value: int = index(n)
    if not -sys.maxsize - 1 <= value <= sys.maxsize:
        raise OverflowError("Python int too large to convert to C ssize_t")
    return value


def _source(iterable: Any, n: int, strict: bool, iterate: Any) -> Args:
    if iterate is iter and sliceable(iterable):
        return iterable, 0, n, strict
    return iterate(iterable), None, n, strict


def batched_args(iterable: Any, n: int, strict: Any, iterate: Any = iter) -> Args:
    """itertools.batched's checks; *n* is already a C-sized int."""
    if n < 1:
        raise ValueError("n must be at least one")
    return _source(iterable, n, bool(strict), iterate)


def chunked_args(iterable: Any, n: Any, strict: Any, iterate: Any = iter) -> Args:
    """more_itertools.chunked's checks, in its order; the islice() one it
    makes at the first next() is made at once."""
    if n is not None and n < 0:
        raise ValueError("n must be at least 0")
    it = iterate(iterable)
    if strict and n is None:
        raise ValueError("n must not be None when using strict mode.")
    if n is not None:
        if not hasattr(type(n), "__index__") or not 0 <= index(n) <= sys.maxsize:
            raise ValueError(ISLICE_STOP)
        n = index(n)
    if n == 0:
        return None, None, 0, False  # yields nothing, pulls nothing
    if sliceable(iterable):
        return iterable, 0, -1 if n is None else n, bool(strict)
    return it, None, -1 if n is None else n, bool(strict)


def is_iterator(obj: object) -> bool:
    """Whether *obj*'s type has a ``__next__`` of its own or inherited (a C
    ``tp_iternext`` the Cython twins may call), not one of its metaclass."""
    return any("__next__" in vars(cls) for cls in type(obj).__mro__)


def batches_left(seq: Any, pos: int, it: Any, n: int) -> Any:
    """``__length_hint__`` of both twins: the batches left of a list or
    tuple *seq* sliced from *pos*, or of an iterator *it* (NotImplemented
    when it does not tell), or 0 once both are None."""
    if seq is not None:
        remaining = len(seq) - pos
    elif it is not None:
        remaining = length_hint(it, -1)
        if remaining < 0:
            return NotImplemented
    else:
        return 0
    if remaining <= 0:
        return 0
    if n == -1:
        return 1
    return (remaining - 1) // n + 1


def checked_state(name: str, source: Any, pos: int | None, n: int) -> None:
    """Refuse a pickle state that does not come from ``__reduce__``: it
    would reach the Cython twin's raw item access."""
    if pos is None:
        if source is not None and not is_iterator(source):
            raise TypeError(f"{name} state: the source must be an iterator")
    elif not sliceable(source) or pos < 0:
        raise TypeError(f"{name} state: a sliced source must be a list or tuple")
    if n < -1:
        raise ValueError(f"{name} state: bad n {n}")
