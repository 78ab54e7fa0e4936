"""Cython twin of the batching family: batched, chunked.

The pure-Python twin is ``cyiter/_py/batching.py``.  Both share one engine,
``_Grouper``: an exact list or tuple is sliced by index (what its own
iterator would do, item for item, including growth while iterated), any
other iterable is pulled through its iterator's ``tp_iternext``.
"""

cimport cython
from cpython.iterator cimport PyIter_Check
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE, PyList_New
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE, PyTuple_New

from cyiter._cy._capi cimport (
    Py_DecRef,
    iteration_stopped,
    iternextfunc,
    list_set_item,
    tuple_set_item,
    type_slots,
)
from cyiter._cy._guard cimport Guard, guard_enter, guard_leave

from itertools import islice
from operator import length_hint as _length_hint

from cyiter._batchargs import batched_args, chunked_args, sliceable
from cyiter._state import object_repr, restore

__all__ = ["batched", "chunked"]

# Batches of up to this many items are gathered in a C array the iterator
# owns, then moved into the result; larger ones go through a list, so that a
# huge n costs nothing up front.
cdef enum:
    ARRAY_MAX = 4096

# what a step returns when the iteration has ended
cdef object DONE = object()

cdef void _release(PyObject** items, Py_ssize_t count) noexcept:
    cdef Py_ssize_t i
    for i in range(count):
        Py_DecRef(items[i])


cdef class _Grouper:
    # source: exactly one of ``seq`` (sliced from ``pos``) and ``it`` is set
    # while items remain; both None once exhausted.
    cdef object seq
    cdef Py_ssize_t pos
    cdef object it
    cdef Py_ssize_t n             # batch size; -1: everything in one batch
    cdef bint strict
    # set by the subclass
    cdef bint as_list             # batches are lists (chunked), else tuples
    cdef bint end_on_error        # any exception exhausts it (a generator's rule)
    cdef str name
    cdef str incomplete           # the strict-mode message
    # the gathering array, allocated for n <= ARRAY_MAX
    cdef PyObject** items
    cdef Py_ssize_t capacity
    cdef Guard guard

    def __cinit__(self, *args, **kwargs):
        self.n = 1

    def __dealloc__(self):
        PyMem_Free(self.items)

    def __iter__(self):
        return self

    cdef int _set(self, source, pos, Py_ssize_t n, bint strict) except -1:
        """(Re)initialise; ``pos`` is None for an iterator source.

        The checks keep a crafted pickle state from reaching the raw item
        access of ``_slice`` and ``_gather``."""
        if pos is None:
            if source is not None and not PyIter_Check(source):
                raise TypeError(f"{self.name} state: the source must be an iterator")
        elif not sliceable(source) or pos < 0:
            raise TypeError(f"{self.name} state: a sliced source must be a list or tuple")
        if n < -1:
            raise ValueError(f"{self.name} state: bad n {n}")
        guard_enter(&self.guard, self.name)
        try:
            if n > self.capacity and n <= ARRAY_MAX:
                PyMem_Free(self.items)
                self.items = NULL
                self.capacity = 0
                self.items = <PyObject**>PyMem_Malloc(n * sizeof(PyObject*))
                if self.items == NULL:
                    raise MemoryError()
                self.capacity = n
            self.n = n
            self.strict = strict
            if pos is None:
                self.seq = None
                self.pos = 0
                self.it = source
            else:
                self.seq = source
                self.pos = pos
                self.it = None
        finally:
            guard_leave(&self.guard)
        return 0

    cdef void _exhaust(self):
        self.seq = None
        self.it = None

    def __next__(self):
        # (a critical section as a block, not a decorator, so that Cython can
        # end the iteration without creating a StopIteration)
        with cython.critical_section(self):
            # Slicing a list or tuple needs no guard (see _slice); any other
            # source is read under it, builtin iterators included (see
            # _gather).
            if self.seq is not None and not self.guard.running:
                batch = self._slice()
            else:
                batch = self._next_guarded()
        if batch is DONE:
            raise StopIteration
        return batch

    cdef object _next_guarded(self):
        cdef bint ok = False
        guard_enter(&self.guard, self.name)
        try:
            # checked only now: a thread that waited in guard_enter finds the
            # state the previous holder left
            if self.seq is not None:
                batch = self._slice()
            elif self.it is None:
                batch = DONE
            else:
                batch = self._gather()
            ok = True
            return batch
        finally:
            guard_leave(&self.guard)
            if not ok and self.end_on_error:
                self._exhaust()

    cdef object _slice(self):
        """The next batch of the list or tuple ``seq``, without the guard.

        Allocating the result may start a garbage collection, which may run
        a ``__del__`` that changes anything (this iterator, the list).  So
        the result is allocated first, and the state read after it is used
        only by code that allocates nothing and runs no Python code: the
        sequence cannot change while the batch is copied.
        """
        cdef object seq = self.seq
        cdef Py_ssize_t size, start, k, i
        cdef PyObject* item
        cdef bint last, is_list
        while True:
            is_list = type(seq) is list
            size = PyList_GET_SIZE(seq) if is_list else PyTuple_GET_SIZE(seq)
            start = self.pos
            k = size - start
            if k <= 0:
                self._exhaust()
                return DONE
            last = self.n < 0 or k < self.n
            if last:
                if self.strict:
                    self._exhaust()
                    raise ValueError(self.incomplete)
            else:
                k = self.n
            result = PyList_New(k) if self.as_list else PyTuple_New(k)
            if self.seq is seq and self.pos == start and size == (
                PyList_GET_SIZE(seq) if is_list else PyTuple_GET_SIZE(seq)
            ):
                break
            # a collection changed the state meanwhile: start again from it
            result = None
            seq = self.seq
            if seq is None:
                return self._next_guarded()
        # Bounds: 0 <= start and start + k <= size == len(seq), and nothing
        # below can resize seq, so every index read is in [0, len(seq)).
        for i in range(k):
            if is_list:
                item = PyList_GET_ITEM(seq, start + i)
            else:
                item = PyTuple_GET_ITEM(seq, start + i)
            Py_INCREF(<object>item)
            if self.as_list:
                list_set_item(result, i, item)
            else:
                tuple_set_item(result, i, item)
        if last:
            self._exhaust()
        else:
            self.pos = start + k
        return result

    cdef object _gather(self):
        """The next batch pulled from the iterator ``it``.

        Items wait in the C array ``items`` (or a list for a huge n): the
        result is built only once all are there, so no half-filled tuple or
        list is ever reachable from Python code (the source's own code, or
        ``gc.get_objects()`` run by it).  That holds for builtin iterators
        too: a list iterator that reaches its end lets go of its list,
        which may run a ``__del__`` of an item.
        """
        cdef object it = self.it   # held across every call into the source
        cdef Py_ssize_t n = self.n
        cdef Py_ssize_t i = 0
        cdef iternextfunc next_item = type_slots(it).tp_iternext
        cdef PyObject** items = self.items
        cdef PyObject* item
        cdef object batch
        if n == -1 or n > ARRAY_MAX:
            batch = list(it) if n == -1 else list(islice(it, n))
            i = len(batch)
            if i == 0 or i < n or n == -1:
                self._exhaust()
            if i == 0:
                return DONE
            if i < n and self.strict:
                raise ValueError(self.incomplete)
            return batch if self.as_list else tuple(batch)
        # 0 <= i < n <= capacity below: every store into items is in bounds.
        while i < n:
            item = next_item(<PyObject*>it)
            if item == NULL:
                break
            items[i] = item
            i += 1
        if i < n:
            try:
                iteration_stopped()
            except BaseException:
                _release(items, i)
                raise
            self._exhaust()
            if i == 0:
                return DONE
            if self.strict:
                _release(items, i)
                raise ValueError(self.incomplete)
        result = PyList_New(i) if self.as_list else PyTuple_New(i)
        for k in range(i):
            if self.as_list:
                list_set_item(result, k, items[k])
            else:
                tuple_set_item(result, k, items[k])
        return result

    @cython.critical_section
    def __length_hint__(self):
        cdef Py_ssize_t remaining
        if self.seq is not None:
            remaining = len(self.seq) - self.pos
        elif self.it is not None:
            remaining = _length_hint(self.it, -1)
            if remaining < 0:
                return NotImplemented
        else:
            return 0
        if remaining <= 0:
            return 0
        if self.n == -1:
            return 1
        return (remaining - 1) // self.n + 1

    @cython.critical_section
    def __reduce__(self):
        if self.seq is not None:
            source, pos = self.seq, self.pos
        else:
            source, pos = self.it, None
        n = None if self.n == -1 else self.n
        return (restore, (self.name,), (source, pos, n, self.strict))

    def __setstate__(self, state):
        source, pos, n, strict = state
        self._set(source, pos, -1 if n is None else n, strict)

    def __repr__(self):
        return object_repr(self.name, self)


cdef class batched(_Grouper):
    """batched(iterable, n, *, strict=False)

    Drop-in for :func:`itertools.batched` of Python 3.13 on every Python:
    tuples of *n* items, the last one shorter, or ValueError for a short
    last batch when *strict* is true.  A list or tuple is sliced, not
    pulled item by item.

    >>> from cyiter import batched
    >>> list(batched("ABCDEFG", 3))
    [('A', 'B', 'C'), ('D', 'E', 'F'), ('G',)]
    """

    def __cinit__(self, *args, **kwargs):
        self.name = "batched"
        self.incomplete = "batched(): incomplete batch"

    def __init__(self, iterable, Py_ssize_t n, *, strict=False):
        source, pos, n, strict = batched_args(iterable, n, strict)
        self._set(source, pos, n, strict)


cdef class chunked(_Grouper):
    """chunked(iterable, n, strict=False)

    Drop-in for :func:`more_itertools.chunked`: lists of *n* items, the
    last one shorter; ``n=None`` gives one list of everything; with
    *strict*, a short last list raises ValueError instead.

    >>> from cyiter import chunked
    >>> list(chunked([1, 2, 3, 4, 5, 6, 7, 8], 3))
    [[1, 2, 3], [4, 5, 6], [7, 8]]
    """

    def __cinit__(self, *args, **kwargs):
        self.name = "chunked"
        self.incomplete = "iterable is not divisible by n."
        self.as_list = True

    def __init__(self, iterable, n, strict=False):
        source, pos, n, strict = chunked_args(iterable, n, strict)
        self.end_on_error = strict
        self._set(source, pos, n, strict)

    def __setstate__(self, state):
        _Grouper.__setstate__(self, state)
        self.end_on_error = self.strict
