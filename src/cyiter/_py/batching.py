"""Pure-Python twin of the batching family: batched, chunked."""

from __future__ import annotations

from itertools import islice
from types import GenericAlias
from typing import Any

from cyiter._batchargs import batched_args, batches_left, checked_state, chunked_args, ssize
from cyiter._py._guard import Guarded, guarded
from cyiter._state import object_repr, restore


class _Grouper(Guarded):
    """What batched and chunked share.  The source is an exact list or tuple
    sliced from ``_pos`` (``_seq``) or an iterator (``_it``): one of the two
    while items remain, neither once exhausted.  ``_n`` -1 is everything in
    one batch."""

    _name = ""  # the public name, and the strict-mode message, of the subclass
    _incomplete = ""
    _as_list = False  # lists (chunked), else tuples

    __slots__ = ("_seq", "_pos", "_it", "_n", "_strict")

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls)
        self._seq = self._it = None
        self._pos = 0
        self._n = 1
        self._strict = False
        return self

    def __iter__(self) -> _Grouper:
        return self

    @guarded
    def _set(self, source: Any, pos: int | None, n: int, strict: bool) -> None:
        """(Re)initialise; *pos* is None for an iterator source."""
        checked_state(self._name, source, pos, n)
        if pos is None:
            self._seq, self._pos, self._it = None, 0, source
        else:
            self._seq, self._pos, self._it = source, pos, None
        self._n = n
        self._strict = strict

    def _exhaust(self) -> None:
        self._seq = self._it = None

    def _ends_at_errors(self) -> bool:
        # itertools.batched, and chunked when strict (a generator in
        # more-itertools), are exhausted by any error of the source
        return self._strict or not self._as_list

    @guarded
    def __next__(self) -> Any:
        if self._seq is not None:
            return self._slice()
        it, n = self._it, self._n
        if it is None:
            raise StopIteration
        try:
            batch = list(it) if n == -1 else list(islice(it, n))
        except BaseException:
            if self._ends_at_errors():
                self._exhaust()
            raise
        return self._last(batch) if len(batch) < n or n == -1 else self._made(batch)

    def _made(self, items: list[Any] | tuple[Any, ...]) -> Any:
        """The batch of *items*, a new list or any tuple (one copy at most)."""
        if self._as_list:
            return items if type(items) is list else list(items)
        if items is self._seq:  # a tuple sliced whole is itself: batches are new
            return tuple(list(items))
        return tuple(items)

    def _last(self, items: list[Any] | tuple[Any, ...]) -> Any:
        """The batch of *items*, the source's last: exhausted, by the rules
        of strict mode."""
        self._exhaust()
        if not items:
            raise StopIteration
        if self._strict and len(items) < self._n:
            raise ValueError(self._incomplete)
        return self._made(items)

    def _slice(self) -> Any:
        """The next batch of ``_seq``, a list or tuple."""
        seq, start, n = self._seq, self._pos, self._n
        assert seq is not None
        if 0 <= n <= len(seq) - start:
            # made before the position moves past it: after a MemoryError
            # the next call tries it again
            batch = self._made(seq[start : start + n])
            self._pos = start + n
            return batch
        return self._last(seq[start:])

    def __length_hint__(self) -> Any:
        return batches_left(self._seq, self._pos, self._it, self._n)

    def __reduce__(self) -> Any:
        seq = self._seq  # read once: another thread's next() may end it meanwhile
        if seq is not None:
            source, pos = seq, self._pos
        else:
            source, pos = self._it, None
        n = None if self._n == -1 else self._n
        return (restore, (self._name,), (source, pos, n, self._strict))

    def __setstate__(self, state: Any) -> None:
        source, pos, n, strict = state
        self._set(source, pos, -1 if n is None else n, strict)

    def __repr__(self) -> str:
        return object_repr(self._name, self)


class batched(_Grouper):
    """Drop-in for :func:`itertools.batched` of Python 3.13 on every Python:
    tuples of *n* items, the last one shorter, or ValueError for a short
    last batch when *strict* is true.  A list or tuple is sliced, not
    pulled item by item.  An error of the source ends the iteration.

    >>> from cyiter import batched
    >>> list(batched("ABCDEFG", 3))
    [('A', 'B', 'C'), ('D', 'E', 'F'), ('G',)]
    """

    __slots__ = ()
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias:
        return GenericAlias(cls, item)
    _name = "batched"
    _incomplete = "batched(): incomplete batch"

    def __init__(self, iterable: Any, n: Any, *, strict: Any = False) -> None:
        self._set(*batched_args(iterable, ssize(n), strict))


class chunked(_Grouper):
    """Drop-in for :func:`more_itertools.chunked`: lists of *n* items, the
    last one shorter; ``n=None`` gives one list of everything; with
    *strict*, a short last list raises ValueError instead.

    >>> from cyiter import chunked
    >>> list(chunked([1, 2, 3, 4, 5, 6, 7, 8], 3))
    [[1, 2, 3], [4, 5, 6], [7, 8]]
    """

    __slots__ = ()
    @classmethod
    def __class_getitem__(cls, item: Any, /) -> GenericAlias:
        return GenericAlias(cls, item)
    _name = "chunked"
    _incomplete = "iterable is not divisible by n."
    _as_list = True

    def __init__(self, iterable: Any, n: Any, strict: Any = False) -> None:
        self._set(*chunked_args(iterable, n, strict))
