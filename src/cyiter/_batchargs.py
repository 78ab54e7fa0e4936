"""Argument handling shared by both twins of batched and chunked.

Each function checks the arguments in the reference's order, with its
errors, and returns ``(source, pos, n, strict)`` for the twins' ``_set``:
an exact list or tuple is sliced from ``pos`` 0, anything else is pulled
through its iterator (``pos`` None); ``n`` -1 means everything in one batch.
The async twins (``cyiter.aio``) pass ``iterate=aiter``: an async iterable
is never a list or tuple, so it is always pulled.
"""

import sys
from operator import index

ISLICE_STOP = (
    "Stop argument for islice() must be None or an integer: 0 <= x <= sys.maxsize."
)


def sliceable(iterable):
    """An exact list or tuple, which the twins slice instead of iterating."""
    return type(iterable) is list or type(iterable) is tuple


def _source(iterable, n, strict, iterate):
    if iterate is iter and sliceable(iterable):
        return iterable, 0, n, strict
    return iterate(iterable), None, n, strict


def batched_args(iterable, n, strict, iterate=iter):
    """itertools.batched's checks; *n* is already a C-sized int."""
    if n < 1:
        raise ValueError("n must be at least one")
    return _source(iterable, n, bool(strict), iterate)


def chunked_args(iterable, n, strict, iterate=iter):
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
