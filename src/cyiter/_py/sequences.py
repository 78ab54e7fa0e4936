"""Pure-Python twin of the sequences family: count, fibonacci."""

from __future__ import annotations

import sys
from operator import index as _index
from types import GenericAlias
from typing import Any

from cyiter._py._guard import Guarded, guarded
from cyiter._state import restore


_SSIZE_MAX = sys.maxsize
_SSIZE_MIN = -sys.maxsize - 1


def _is_number(obj: object) -> bool:
    """``PyNumber_Check``: what itertools.count accepts."""
    cls = type(obj)
    return (
        hasattr(cls, "__index__")
        or hasattr(cls, "__int__")
        or hasattr(cls, "__float__")
        or isinstance(obj, complex)
    )


def _is_one(step: object) -> bool:
    return isinstance(step, int) and int.__index__(step) == 1


class count(Guarded):
    """Drop-in for :func:`itertools.count`: start, start + step, ... for any
    numbers, with no overflow past ``sys.maxsize``; pickles and resumes.

    >>> from cyiter import count
    >>> c = count(3, 2)
    >>> next(c), next(c), c
    (3, 5, count(7, 2))
    """

    __slots__ = ("_cur", "_step")
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias:
        return GenericAlias(cls, item)

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls)
        self._cur = 0
        self._step = 1
        return self

    def __init__(self, start: Any = 0, step: Any = 1) -> None:
        if not _is_number(start) or not _is_number(step):
            raise TypeError("a number is required")
        self._set(start, step)

    @guarded
    def _set(self, start: Any, step: Any) -> None:
        # itertools.count counts in C when start is an int and step is 1;
        # such a count yields exact ints even from an int subclass or bool.
        if isinstance(start, int) and _is_one(step):
            value = int.__index__(start)
            if _SSIZE_MIN <= value <= _SSIZE_MAX:
                start = value
                step = 1
        self._cur = start
        self._step = step

    def __iter__(self) -> count:
        return self

    @guarded
    def __next__(self) -> Any:
        value = self._cur
        self._cur = value + self._step
        return value

    def __reduce__(self) -> Any:
        return (restore, ("count",), (self._cur, self._step))

    def __setstate__(self, state: Any) -> None:
        start, step = state
        self._set(start, step)

    def __repr__(self) -> str:
        if _is_one(self._step):
            return f"count({self._cur!r})"
        return f"count({self._cur!r}, {self._step!r})"


class fibonacci(Guarded):
    """0, 1, 1, 2, 3, 5, ... as Python ints of unbounded size: *n* terms (None:
    no limit), stopping before the first term greater than *max_value*.

    >>> from cyiter import fibonacci
    >>> list(fibonacci(10))
    [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    >>> list(fibonacci(max_value=10))
    [0, 1, 1, 2, 3, 5, 8]
    """

    __slots__ = ("_n", "_max_value", "_remaining", "_a", "_b")

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls)
        self._set(None, None, None, None, 0)
        return self

    def __init__(self, n: Any = None, *, max_value: Any = None) -> None:
        if n is not None:
            n = _index(n)
            if n < 0:
                raise ValueError("n must be at least zero")
        if max_value is not None:
            0 > max_value  # a term must compare with it: fail now, not later
        self._set(n, max_value, 0, 1, n)

    @guarded
    def _set(self, n: Any, max_value: Any, a: Any, b: Any, remaining: Any) -> None:
        self._n = n
        self._max_value = max_value
        self._a = a  # the next term; None once exhausted
        self._b = b
        # -1: no limit (a limit past sys.maxsize is never reached either)
        self._remaining = -1 if remaining is None or remaining > _SSIZE_MAX else remaining

    def __iter__(self) -> fibonacci:
        return self

    @guarded
    def __next__(self) -> Any:
        term = self._a
        if term is None or self._remaining == 0:
            self._a = self._b = None
            raise StopIteration
        if self._max_value is not None and term > self._max_value:
            self._a = self._b = None
            raise StopIteration
        self._a, self._b = self._b, term + self._b
        if self._remaining > 0:
            self._remaining -= 1
        return term

    def __length_hint__(self) -> Any:
        if self._a is None:
            return 0
        if self._max_value is None and self._remaining >= 0:
            return self._remaining
        return NotImplemented

    def __reduce__(self) -> Any:
        a, b = (None, None) if self._remaining == 0 else (self._a, self._b)
        remaining = None if self._remaining < 0 else self._remaining
        return (restore, ("fibonacci",), (self._n, self._max_value, a, b, remaining))

    def __setstate__(self, state: Any) -> None:
        n, max_value, a, b, remaining = state
        self._set(n, max_value, a, b, remaining)

    def __repr__(self) -> str:
        args = []
        if self._n is not None:
            args.append(repr(self._n))
        if self._max_value is not None:
            args.append(f"max_value={self._max_value!r}")
        return f"fibonacci({', '.join(args)})"
