"""Pure-Python twin of the grouping family: constrained_batches, ichunked.

Both end at an exception from the source (or from ``get_len``), as their
more-itertools generators do.  An ichunked chunk reads the source itself
while it is the current chunk; once the next chunk is asked for, the rest
of its items are read into it, so that every chunk yields its own items
whatever the order they are read in.
"""

from collections import deque
from itertools import islice
from operator import length_hint as _length_hint

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

    def _clear(self):
        self._it = self._max_count = None
        self._max_size = 1
        self._get_len = len
        self._strict = True
        self._carried = ()

    def __init__(self, iterable, max_size, max_count=None, get_len=len, strict=True):
        args = constrained_batches_args(iterable, max_size, max_count, get_len, strict)
        self._set(*args, ())

    @guarded
    def _set(self, it, max_size, max_count, get_len, strict, carried):
        self._it = it  # None once exhausted
        self._max_size = max_size
        self._max_count = max_count
        self._get_len = get_len
        self._strict = strict
        # () or (item, size): the item that did not fit in the last batch,
        # the first of the next one
        self._carried = carried

    @guarded
    def __next__(self):
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

    def _batch(self, it):
        """The next batch, or None: the source ended first."""
        max_size, max_count, get_len = self._max_size, self._max_count, self._get_len
        batch = []
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

    def __reduce__(self):
        state = (
            self._it, self._max_size, self._max_count, self._get_len, self._strict, self._carried
        )
        return (restore, ("constrained_batches",), state)

    def __setstate__(self, state):
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

    def _clear(self):
        self._it = self._chunk = None
        self._n = 1
        self._skip = 0

    def __init__(self, iterable, n):
        it, n = ichunked_args(iterable, n)
        self._set(it, n, 0)

    @guarded
    def _set(self, it, n, skip):
        self._it = it  # None once exhausted
        self._n = n
        self._chunk = None  # the last chunk handed out, or None
        self._skip = skip  # items of the source to drop first (restored pickles)

    @guarded
    def __next__(self):
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

    def _end(self):
        self._it = self._chunk = None
        self._skip = 0

    @guarded
    def _chunk_next(self, chunk):
        """``next(chunk)``, under this iterator's guard (a chunk reads its
        source)."""
        return chunk._next()

    def __length_hint__(self):
        it, chunk = self._it, self._chunk
        if it is None:
            return 0
        left = _length_hint(it, -1)
        if left < 0:
            return NotImplemented
        left -= self._skip + (chunk._left if chunk is not None else 0)
        return max(0, -(-left // self._n))

    def __reduce__(self):
        chunk = self._chunk
        skip = self._skip + (chunk._left if chunk is not None else 0)
        return (restore, ("ichunked",), (self._it, self._n, skip))

    def __setstate__(self, state):
        self._set(*ichunked_state(state))



class ichunk:
    """A chunk of :class:`ichunked`: its items stored so far, then those
    still to read from the source."""

    __slots__ = ("_parent", "_it", "_stored", "_left", "__weakref__")

    def __init__(self, parent, it, first, left):
        self._parent = parent
        self._it = it
        self._stored = deque((first,))
        self._left = left  # items of this chunk still in the source

    def __iter__(self):
        return self

    def __next__(self):
        return self._parent._chunk_next(self)

    def _next(self):
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

    def _store(self):
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

    def _ended(self):
        """The source ended: so does the parent, if it still reads it."""
        self._left = 0
        parent = self._parent
        if parent._it is self._it:
            parent._end()

    def __length_hint__(self):
        stored, left = len(self._stored), self._left
        if not left:
            return stored
        in_source = _length_hint(self._it, -1)
        return NotImplemented if in_source < 0 else stored + min(left, in_source)

    def __reduce__(self):
        raise TypeError("cannot pickle an ichunked chunk: it reads from its parent's source")

    def __repr__(self):
        return object_repr("ichunked chunk", self)
