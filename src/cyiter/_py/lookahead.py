"""Pure-Python twin of the lookahead family: peekable, ilen.

A peekable keeps the items it has looked at ahead in a cache, handed out
before the source is read again.  Unlike more-itertools', it does not read
the source again once it has ended (items prepended are still handed out).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from operator import length_hint as _length_hint
from sys import maxsize
from types import NotImplementedType
from typing import Any

from cyiter._dropins import islice_count, peekable_state
from cyiter._py._dropin import Dropin
from cyiter._py._guard import guarded
from cyiter._state import restore

# peek()'s "no default"
_marker = object()


class peekable(Dropin):
    """Drop-in for :class:`more_itertools.peekable`: an iterator that can
    look ahead.  ``peek()`` returns the next item without consuming it (or
    *default* at the end), ``prepend(*items)`` puts items in front,
    ``p[i]`` and ``p[i:j:k]`` look further ahead, and a peekable is true
    while it has items left.

    >>> from cyiter import peekable
    >>> p = peekable(["a", "b", "c"])
    >>> p.peek(), p[1], next(p)
    ('a', 'b', 'a')
    >>> p.prepend("z")
    >>> list(p), bool(p), p.peek("done")
    (['z', 'b', 'c'], False, 'done')
    """

    __slots__ = ("_it", "_cache")
    _name = "peekable"

    _it: Iterator[Any] | None  # None once it has ended
    _cache: deque[Any]  # the items looked at ahead, or prepended

    def _clear(self) -> None:
        self._it = None
        self._cache = deque()

    def __init__(self, iterable: Iterable[Any]) -> None:
        self._set(iter(iterable), ())

    @guarded
    def _set(self, it: Iterator[Any] | None, cached: Iterable[Any]) -> None:
        self._it = it
        self._cache = deque(cached)

    @guarded
    def __next__(self) -> Any:
        if self._cache:
            return self._cache.popleft()
        it = self._it
        if it is None:
            raise StopIteration
        item = next(it, _marker)
        if item is _marker:
            self._it = None
            raise StopIteration
        return item

    def _fill(self, count: Any = None) -> None:
        """Read up to *count* items more of the source into the cache (None:
        all of them); *count* is checked as islice() checks it."""
        if count is not None:
            count = islice_count(count)
        it = self._it
        if it is None:
            return
        cache = self._cache
        before = len(cache)
        cache.extend(it if count is None else islice(it, count))
        if count is None or len(cache) - before < count:
            self._it = None

    @guarded
    def __bool__(self) -> bool:
        if not self._cache:
            self._fill(1)
        return bool(self._cache)

    @guarded
    def peek(self, default: Any = _marker) -> Any:
        """The next item, left in place; at the end *default*, or
        StopIteration when there is none."""
        if not self._cache:
            self._fill(1)
            if not self._cache:
                if default is _marker:
                    raise StopIteration
                return default
        return self._cache[0]

    @guarded
    def prepend(self, *items: Any) -> None:
        """Put *items* in front of the rest, the first of them first (also
        after the end: they are yielded then)."""
        self._cache.extendleft(reversed(items))

    @guarded
    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return self._get_slice(index)
        cache_len = len(self._cache)
        if index < 0:
            self._fill()
        elif index >= cache_len:
            self._fill(index + 1 - cache_len)
        return self._cache[index]

    def _get_slice(self, index: slice) -> list[Any]:
        # how far more-itertools reads ahead for a slice: to the end when a
        # bound is negative, else past the larger bound
        step = 1 if index.step is None else index.step
        forward = bool(step > 0)
        if not forward and not step < 0:
            raise ValueError("slice step cannot be zero")
        start, stop = (0, maxsize) if forward else (-1, -maxsize - 1)
        start = start if index.start is None else index.start
        stop = stop if index.stop is None else index.stop
        if start < 0 or stop < 0:
            self._fill()
        else:
            needed = min(max(start, stop) + 1, maxsize)
            have = len(self._cache)
            if needed >= have:
                self._fill(needed - have)
        return list(self._cache)[index]

    def __length_hint__(self) -> int | NotImplementedType:
        it, cached = self._it, len(self._cache)
        if it is None:
            return cached
        left = _length_hint(it, -1)
        return NotImplemented if left < 0 else cached + left

    def __reduce__(self) -> tuple[Any, ...]:
        return (restore, ("peekable",), (self._it, tuple(self._cache)))

    def __setstate__(self, state: Any) -> None:
        self._set(*peekable_state(state))



# typed by a comment: its signature stays the Cython twin's, without annotations
def ilen(iterable):  # type: (Iterable[object]) -> int
    """Return the number of items in *iterable*, consuming it: drop-in for
    :func:`more_itertools.ilen`.

    >>> from cyiter import ilen
    >>> ilen(x for x in range(1000) if x % 7 == 0)
    143
    """
    # the last of (1, item), (2, item), ..., counted at C speed
    last = deque(enumerate(iterable, 1), maxlen=1)
    return last[0][0] if last else 0
