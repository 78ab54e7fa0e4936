"""Pure-Python twin of the grouping family: constrained_batches, ichunked.

Both end at an exception from the source (or from ``get_len``), as their
more-itertools generators do.  An ichunked chunk reads the source itself
while it is the current chunk; once the next chunk is asked for, the rest
of its items are read into it, so that every chunk yields its own items
whatever the order they are read in.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from operator import length_hint as _length_hint
from types import NotImplementedType
from typing import Any, NoReturn, SupportsIndex

from cyiter._dropins import (
    constrained_batches_args,
    constrained_batches_state,
    ichunked_args,
    ichunked_state,
    skip_items,
)
from cyiter._py._dropin import Dropin
from cyiter._py._guard import guarded
from cyiter._state import object_repr, restore

# what next(it, _END) gives at the end of it
_END = object()


class constrained_batches(Dropin):
    """Drop-in for :func:`more_itertools.constrained_batches`: tuples of
    consecutive items whose sizes (``get_len(item)``) add up to at most
    *max_size*, of at most *max_count* items each.  With *strict*, an item
    larger than *max_size* raises ValueError; else it makes a batch alone.

    >>> from cyiter import constrained_batches
    >>> list(constrained_batches(["ab", "cde", "f", "ghij"], 5))
    [('ab', 'cde'), ('f', 'ghij')]
    >>> list(constrained_batches(["ab", "cde", "f", "ghij"], 5, max_count=1))
    [('ab',), ('cde',), ('f',), ('ghij',)]
    """

    __slots__ = ("_it", "_max_size", "_max_count", "_get_len", "_strict", "_carried")
    _name = "constrained_batches"

    _it: Iterator[Any] | None  # None once exhausted
    _max_size: Any  # a number the sizes get_len gives are summed and compared with
    _max_count: int | None
    _get_len: Callable[[Any], Any]
    _strict: bool
    # () or (item, size): the item that did not fit in the last batch, the
    # first of the next one
    _carried: tuple[()] | tuple[Any, Any]

    def _clear(self) -> None:
        self._it = self._max_count = None
        self._max_size = 1
        self._get_len = len
        self._strict = True
        self._carried = ()

    def __init__(
        self,
        iterable: Iterable[Any],
        max_size: int,
        max_count: int | None = None,
        get_len: Callable[[Any], object] = len,
        strict: bool = True,
    ) -> None:
        args = constrained_batches_args(iterable, max_size, max_count, get_len, strict)
        self._set(*args, ())

    @guarded
    def _set(
        self,
        it: Iterator[Any] | None,
        max_size: Any,
        max_count: int | None,
        get_len: Callable[[Any], Any],
        strict: bool,
        carried: tuple[()] | tuple[Any, Any],
    ) -> None:
        self._it = it
        self._max_size = max_size
        self._max_count = max_count
        self._get_len = get_len
        self._strict = strict
        self._carried = carried

    @guarded
    def __next__(self) -> tuple[Any, ...]:
        it = self._it
        if it is None:
            raise StopIteration
        try:
            batch = self._batch(it)
        except BaseException:
            self._it = None
            self._carried = ()
            raise
        if batch is None:
            self._it = None
            self._carried = ()
            raise StopIteration
        return batch

    def _batch(self, it: Iterator[Any]) -> tuple[Any, ...] | None:
        """The next batch, or None: the source ended first."""
        max_size, max_count, get_len = self._max_size, self._max_count, self._get_len
        batch: list[Any] = []
        size = 0  # as more-itertools sums the sizes: from an int 0
        if self._carried:
            item, item_len = self._carried
            self._carried = ()
            batch.append(item)
            size += item_len
        while True:
            item = next(it, _END)
            if item is _END:
                self._it = None
                return tuple(batch) if batch else None
            item_len = get_len(item)
            if self._strict and item_len > max_size:
                raise ValueError("item size exceeds maximum size")
            reached_count = len(batch) == max_count
            reached_size = item_len + size > max_size
            if batch and (reached_size or reached_count):
                self._carried = (item, item_len)
                return tuple(batch)
            batch.append(item)
            size += item_len

    def __reduce__(self) -> tuple[Any, ...]:
        state = (
            self._it, self._max_size, self._max_count, self._get_len, self._strict, self._carried
        )
        return (restore, ("constrained_batches",), state)

    def __setstate__(self, state: Any) -> None:
        self._set(*constrained_batches_state(state))



class ichunked(Dropin):
    """Drop-in for :func:`more_itertools.ichunked`: iterators over *n*
    consecutive items each (the last one fewer).  Read in order, no item
    is stored; a chunk read after the next one is asked for gives the
    items that were stored for it then.

    >>> from cyiter import ichunked
    >>> chunks = ichunked(range(7), 3)
    >>> first, second = next(chunks), next(chunks)  # first's items are stored
    >>> list(second), list(first), [list(chunk) for chunk in chunks]
    ([3, 4, 5], [0, 1, 2], [[6]])
    """

    __slots__ = ("_it", "_n", "_chunk", "_skip")
    _name = "ichunked"

    _it: Iterator[Any] | None  # None once exhausted
    _n: int
    _chunk: ichunk | None  # the last chunk handed out, or None
    _skip: int  # items of the source to drop first (restored pickles)

    def _clear(self) -> None:
        self._it = self._chunk = None
        self._n = 1
        self._skip = 0

    def __init__(self, iterable: Iterable[Any], n: SupportsIndex) -> None:
        it, n = ichunked_args(iterable, n)
        self._set(it, n, 0)

    @guarded
    def _set(self, it: Iterator[Any] | None, n: int, skip: int) -> None:
        self._it = it
        self._n = n
        self._chunk = None
        self._skip = skip

    @guarded
    def __next__(self) -> ichunk:
        it = self._it
        if it is None:
            raise StopIteration
        try:
            chunk = self._chunk
            if chunk is not None:
                self._chunk = None
                chunk._store()
            skip = self._skip
            if skip:
                self._skip = 0
                if skip_items(it, skip) < skip:
                    self._end()
            first = _END if self._it is None else next(it, _END)
        except BaseException:
            self._end()
            raise
        if first is _END:
            self._end()
            raise StopIteration
        chunk = ichunk(self, it, first, self._n - 1)
        self._chunk = chunk
        return chunk

    def _end(self) -> None:
        self._it = self._chunk = None
        self._skip = 0

    @guarded
    def _chunk_next(self, chunk: ichunk) -> Any:
        """``next(chunk)``, under this iterator's guard (a chunk reads its
        source)."""
        return chunk._next()

    def __length_hint__(self) -> int | NotImplementedType:
        it, chunk = self._it, self._chunk
        if it is None:
            return 0
        in_source = _length_hint(it, -1)
        left = in_source - self._skip - (chunk._left if chunk is not None else 0)
        return NotImplemented if in_source < 0 else max(0, -(-left // self._n))

    def __reduce__(self) -> tuple[Any, ...]:
        chunk = self._chunk
        skip = self._skip + (chunk._left if chunk is not None else 0)
        return (restore, ("ichunked",), (self._it, self._n, skip))

    def __setstate__(self, state: Any) -> None:
        self._set(*ichunked_state(state))



class ichunk:
    """A chunk of :class:`ichunked`: its items stored so far, then those
    still to read from the source."""

    __slots__ = ("_parent", "_it", "_stored", "_left", "__weakref__")

    _parent: ichunked
    _it: Iterator[Any]
    _stored: deque[Any]
    _left: int  # items of this chunk still in the source

    def __init__(self, parent: ichunked, it: Iterator[Any], first: Any, left: int) -> None:
        self._parent = parent
        self._it = it
        self._stored = deque((first,))
        self._left = left

    def __iter__(self) -> ichunk:
        return self

    def __next__(self) -> Any:
        return self._parent._chunk_next(self)

    def _next(self) -> Any:
        if self._stored:
            return self._stored.popleft()
        if not self._left:
            raise StopIteration
        try:
            item = next(self._it, _END)
        except BaseException:
            self._left = 0
            raise
        if item is _END:
            self._ended()
            raise StopIteration
        self._left -= 1
        return item

    def _store(self) -> None:
        """Read the items of this chunk left in the source into it (the
        caller, the parent, holds the guard)."""
        left = self._left
        if not left:
            return
        self._left = 0
        before = len(self._stored)
        self._stored.extend(islice(self._it, left))
        if len(self._stored) - before < left:
            self._ended()

    def _ended(self) -> None:
        """The source ended: so does the parent, if it still reads it."""
        self._left = 0
        parent = self._parent
        if parent._it is self._it:
            parent._end()

    def __length_hint__(self) -> int | NotImplementedType:
        stored, left = len(self._stored), self._left
        if not left:
            return stored
        in_source = _length_hint(self._it, -1)
        return NotImplemented if in_source < 0 else stored + min(left, in_source)

    def __reduce__(self) -> NoReturn:
        raise TypeError("cannot pickle an ichunked chunk: it reads from its parent's source")

    def __repr__(self) -> str:
        return object_repr("ichunked chunk", self)
