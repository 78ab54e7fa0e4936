"""Pure-Python twin of the batching family: batched, chunked.

Mirrors ``cyiter/_cy/batching.pyx`` exactly; see the docstrings there.
"""

import sys
from itertools import islice
from operator import index as _index
from operator import length_hint as _length_hint
from types import GenericAlias

from cyiter._batchargs import batched_args, chunked_args, sliceable
from cyiter._py._guard import Guarded, guarded
from cyiter._state import object_repr, restore



def _ssize(n):
    """Convert *n* as a C ``Py_ssize_t`` argument is converted."""
    n = _index(n)
    if not -sys.maxsize - 1 <= n <= sys.maxsize:
        raise OverflowError("Python int too large to convert to C ssize_t")
    return n


class _Grouper(Guarded):
    # set by the subclass
    _name = ""
    _incomplete = ""
    _as_list = False

    __slots__ = ("_seq", "_pos", "_it", "_n", "_strict", "_end_on_error")

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._seq = self._it = None
        self._pos = 0
        self._n = 1
        self._strict = self._end_on_error = False
        return self

    def __iter__(self):
        return self

    def _set(self, source, pos, n, strict):
        """(Re)initialise; *pos* is None for an iterator source; *n* -1 is
        everything in one batch."""
        if pos is None:
            if source is not None and not hasattr(type(source), "__next__"):
                raise TypeError(f"{self._name} state: the source must be an iterator")
        elif not sliceable(source) or pos < 0:
            raise TypeError(f"{self._name} state: a sliced source must be a list or tuple")
        if n < -1:
            raise ValueError(f"{self._name} state: bad n {n}")
        self._assign(source, pos, n, strict)

    @guarded
    def _assign(self, source, pos, n, strict):
        self._n = n
        self._strict = strict
        if pos is None:
            self._seq, self._pos, self._it = None, 0, source
        else:
            self._seq, self._pos, self._it = source, pos, None

    def _exhaust(self):
        self._seq = self._it = None

    @guarded
    def __next__(self):
        if self._seq is not None:
            return self._slice()
        it, n = self._it, self._n
        if it is None:
            raise StopIteration
        try:
            batch = list(it) if n == -1 else list(islice(it, n))
        except BaseException:
            if self._end_on_error:
                self._exhaust()
            raise
        if not batch or len(batch) < n or n == -1:
            self._exhaust()
            if not batch:
                raise StopIteration
            if len(batch) < n and self._strict:
                raise ValueError(self._incomplete)
        return batch if self._as_list else tuple(batch)

    def _slice(self):
        seq, start = self._seq, self._pos
        k = len(seq) - start
        if k <= 0:
            self._exhaust()
            raise StopIteration
        full = 0 <= self._n <= k
        if full:
            k = self._n
        elif self._strict:
            self._exhaust()
            raise ValueError(self._incomplete)
        # the batch is made before the state moves past it: after a
        # MemoryError the next call tries it again
        end = start + k
        batch = seq[start:end]
        if batch is seq:  # a whole tuple slices to itself; itertools gives a new one
            batch = tuple(list(seq))
        if self._as_list:
            batch = batch if type(batch) is list else list(batch)
        else:
            batch = batch if type(batch) is tuple else tuple(batch)
        if full:
            self._pos = end
        else:
            self._exhaust()
        return batch

    def __length_hint__(self):
        # each source read once, as in __reduce__: another thread's next()
        # may end it meanwhile
        seq, it = self._seq, self._it
        if seq is not None:
            remaining = len(seq) - self._pos
        elif it is not None:
            remaining = _length_hint(it, -1)
            if remaining < 0:
                return NotImplemented
        else:
            return 0
        if remaining <= 0:
            return 0
        if self._n == -1:
            return 1
        return (remaining - 1) // self._n + 1

    def __reduce__(self):
        # _seq read once: another thread's next() may end it meanwhile
        seq = self._seq
        if seq is not None:
            source, pos = seq, self._pos
        else:
            source, pos = self._it, None
        n = None if self._n == -1 else self._n
        return (restore, (self._name,), (source, pos, n, self._strict))

    def __setstate__(self, state):
        source, pos, n, strict = state
        self._set(source, pos, -1 if n is None else n, strict)

    def __repr__(self):
        return object_repr(self._name, self)


class batched(_Grouper):
    """batched(iterable, n, *, strict=False)

    Drop-in for :func:`itertools.batched` of Python 3.13 on every Python:
    tuples of *n* items, the last one shorter, or ValueError for a short
    last batch when *strict* is true.  A list or tuple is sliced, not
    pulled item by item.

    >>> from cyiter import batched
    >>> list(batched("ABCDEFG", 3))
    [('A', 'B', 'C'), ('D', 'E', 'F'), ('G',)]
    """

    __slots__ = ()
    __class_getitem__ = classmethod(GenericAlias)
    _name = "batched"
    _incomplete = "batched(): incomplete batch"

    def __init__(self, iterable, n, *, strict=False):
        self._set(*batched_args(iterable, _ssize(n), strict))


class chunked(_Grouper):
    """chunked(iterable, n, strict=False)

    Drop-in for :func:`more_itertools.chunked`: lists of *n* items, the
    last one shorter; ``n=None`` gives one list of everything; with
    *strict*, a short last list raises ValueError instead.

    >>> from cyiter import chunked
    >>> list(chunked([1, 2, 3, 4, 5, 6, 7, 8], 3))
    [[1, 2, 3], [4, 5, 6], [7, 8]]
    """

    __slots__ = ()
    __class_getitem__ = classmethod(GenericAlias)
    _name = "chunked"
    _incomplete = "iterable is not divisible by n."
    _as_list = True

    def __init__(self, iterable, n, strict=False):
        source, pos, n, strict = chunked_args(iterable, n, strict)
        self._end_on_error = strict
        self._set(source, pos, n, strict)

    def __setstate__(self, state):
        super().__setstate__(state)
        self._end_on_error = self._strict
