"""Pure-Python twin of the windowing family: windowed, sliding_window.

Both keep the last window handed out: the next one is its last ``n -
step`` items followed by ``step`` new ones (fewer new ones than ``step``
only when the step is wider than the window).  Like more-itertools'
generators, an exception from the source ends the iteration.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from operator import length_hint as _length_hint
from types import NotImplementedType
from typing import Any, SupportsIndex

from cyiter._dropins import (
    skip_items,
    sliding_window_args,
    window_state,
    windowed_args,
    windows_left,
)
from cyiter._py._dropin import Dropin
from cyiter._py._guard import guarded
from cyiter._state import restore

# what next() returns when the source has ended
_DONE = object()


class _Window(Dropin):
    # set by the subclass: whether a first window shorter than n is padded
    # (windowed) or not yielded (sliding_window)
    _pads_first = False

    __slots__ = ("_it", "_window", "_n", "_fillvalue", "_step")

    _it: Iterator[Any] | None  # the source, None once exhausted
    _window: tuple[Any, ...] | None  # the last window handed out, None before the first
    _n: int
    _fillvalue: Any
    _step: int

    def _clear(self) -> None:
        self._it = self._window = self._fillvalue = None
        self._n = self._step = 1

    @guarded
    def _set(
        self,
        it: Iterator[Any] | None,
        window: tuple[Any, ...] | None,
        n: int,
        fillvalue: Any,
        step: int,
    ) -> None:
        self._it = it
        self._window = window
        self._n = n
        self._fillvalue = fillvalue
        self._step = step

    @guarded
    def __next__(self) -> tuple[Any, ...]:
        it, last = self._it, self._window
        if it is None:
            raise StopIteration
        try:
            window = self._first(it) if last is None else self._slide(it, last)
        except BaseException:
            self._it = self._window = None
            raise
        if window is None:
            raise StopIteration
        return window

    def _first(self, it: Iterator[Any]) -> tuple[Any, ...] | None:
        """The first window, or None if the iteration has ended."""
        n = self._n
        # (through a list: tuple() of an iterator that runs out of memory
        # loses a reference on CPython 3.11)
        window = tuple(list(islice(it, n)))
        if len(window) == n:
            self._window = window
            return window
        self._it = None
        if not window or not self._pads_first:
            return None
        return window + (self._fillvalue,) * (n - len(window))

    def _slide(self, it: Iterator[Any], last: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The next window: ``step`` items more.  When the source ends
        first, what more-itertools pads: fill values complete the step if
        the window then still holds an item of the source (fill values
        number at most ``n - 1``, and fewer than the step)."""
        n, step = self._n, self._step
        if step == 1:
            item = next(it, _DONE)
            if item is _DONE:
                self._it = self._window = None
                return None
            window = last[1:] + (item,)
            self._window = window
            return window
        new = min(step, n)  # how many of the step's items the window keeps
        skipped = skip_items(it, step - new)
        pulled = tuple(list(islice(it, new))) if skipped == step - new else ()
        missing = new - len(pulled)
        if missing:
            self._it = None
            if not pulled:
                return None
            window = last[new:] + pulled + (self._fillvalue,) * missing
            self._window = None
            return window
        window = last[new:] + pulled
        self._window = window
        return window

    def __length_hint__(self) -> int | NotImplementedType:
        it, window = self._it, self._window
        if it is None:
            return 0
        left = _length_hint(it, -1)
        return (
            NotImplemented
            if left < 0
            else windows_left(left, window is None, self._n, self._step, self._pads_first)
        )



class windowed(_Window):
    """Drop-in for :func:`more_itertools.windowed`: tuples of *n*
    consecutive items, each window *step* items after the previous one.
    A last window with too few items is filled up with *fillvalue*.

    >>> from cyiter import windowed
    >>> list(windowed("abcde", 3))
    [('a', 'b', 'c'), ('b', 'c', 'd'), ('c', 'd', 'e')]
    >>> list(windowed(range(7), 3, fillvalue=None, step=3))
    [(0, 1, 2), (3, 4, 5), (6, None, None)]
    """

    __slots__ = ()
    _name = "windowed"
    _pads_first = True

    def __init__(
        self, seq: Iterable[Any], n: SupportsIndex, fillvalue: Any = None, step: SupportsIndex = 1
    ) -> None:
        it, n, fillvalue, step = windowed_args(seq, n, fillvalue, step)
        self._set(it, None, n, fillvalue, step)

    def __reduce__(self) -> tuple[Any, ...]:
        state = (self._it, self._window, self._n, self._fillvalue, self._step)
        return (restore, ("windowed",), state)

    def __setstate__(self, state: Any) -> None:
        self._set(*window_state("windowed", state, True))


class sliding_window(_Window):
    """Drop-in for :func:`more_itertools.sliding_window` (the itertools
    recipe): tuples of *n* consecutive items, one item apart; nothing if
    the input has fewer than *n* items.

    >>> from cyiter import sliding_window
    >>> list(sliding_window([1, 2, 3, 4], 2))
    [(1, 2), (2, 3), (3, 4)]
    """

    __slots__ = ()
    _name = "sliding_window"

    def __init__(self, iterable: Iterable[Any], n: SupportsIndex) -> None:
        it, n = sliding_window_args(iterable, n)
        self._set(it, None, n, None, 1)

    def __reduce__(self) -> tuple[Any, ...]:
        return (restore, ("sliding_window",), (self._it, self._window, self._n))

    def __setstate__(self, state: Any) -> None:
        self._set(*window_state("sliding_window", state, False))
