"""Cython twin of the batching family: batched, chunked."""

cimport cython
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject

from cyiter._cy._capi cimport (
    CAN_REUSE,
    PyList_Type,
    decref,
    fill,
    gc_track,
    gc_untrack,
    incref,
    init_plain_types,
    is_plain_iterator,
    iteration_stopped,
    iternextfunc,
    list_new_raw,
    list_size,
    refcount,
    refill,
    sequence_items,
    steal,
    tuple_items,
    tuple_new_raw,
    tuple_refilled,
    tuple_size,
    type_of,
    type_slots,
)
from cyiter._cy._guard cimport Guard, guard_enter, guard_leave

from itertools import islice
from types import GenericAlias

from cyiter._batchargs import batched_args, batches_left, checked_state, chunked_args
from cyiter._state import object_repr, restore


# Batches of up to this many items are filled in place; larger ones go
# through a list (a huge n costs nothing up front).
cdef enum:
    ARRAY_MAX = 4096

# what a step returns when the iteration has ended
cdef object DONE = object()


cdef inline void _release(PyObject** items, Py_ssize_t count) noexcept:
    cdef Py_ssize_t i
    for i in range(count):
        decref(items[i])


init_plain_types()


cdef class _Grouper:
    # The fields of the pure twin, plus the gathering array and the batch
    # kept for reuse (docs/internals.md, "Tuple reuse").
    cdef object _seq
    cdef Py_ssize_t _pos
    cdef object _it
    cdef Py_ssize_t _n
    cdef bint _strict
    cdef bint _as_list
    cdef bint _plain  # the source runs no Python code while it yields items
    cdef str _name
    cdef str _incomplete
    # room for the old items of a refilled batch, released before the call
    # returns (n <= ARRAY_MAX)
    cdef PyObject** _items
    cdef Py_ssize_t _capacity
    cdef tuple _last_batch
    cdef object __weakref__
    cdef Guard _guard

    def __cinit__(self, *args, **kwargs):
        self._n = 1

    def __dealloc__(self):
        PyMem_Free(self._items)

    def __iter__(self):
        return self

    @cython.critical_section
    cdef int _set(self, source, pos, Py_ssize_t n, bint strict) except -1:
        """(Re)initialise; *pos* is None for an iterator source."""
        cdef PyObject** grown
        checked_state(self._name, source, pos, n)
        guard_enter(&self._guard, self)
        try:
            if self._capacity < n <= ARRAY_MAX:
                grown = <PyObject**>PyMem_Malloc(n * sizeof(PyObject*))
                if grown == NULL:
                    raise MemoryError()
                PyMem_Free(self._items)
                self._items = grown
                self._capacity = n
            if pos is None:
                self._seq, self._pos, self._it = None, 0, source
            else:
                self._seq, self._pos, self._it = source, pos, None
            self._plain = pos is not None or is_plain_iterator(<PyObject*>source)
            self._n = n
            self._strict = strict
            self._last_batch = None  # last: its items may run any __del__
        finally:
            guard_leave(&self._guard)
        return 0

    @cython.final
    cdef void _exhaust(self):
        self._seq = self._it = None
        self._plain = False
        self._last_batch = None  # last: its items may run any __del__

    @cython.final
    cdef bint _ends_at_errors(self):
        # itertools.batched, and chunked when strict (a generator in
        # more-itertools), are exhausted by any error of the source
        return self._strict or not self._as_list

    def __next__(self):
        cdef PyObject* batch
        cdef Py_ssize_t n, got, parked
        # (a block, not a decorator: Cython then ends the iteration without
        # creating a StopIteration)
        with cython.critical_section(self):
            guard_enter(&self._guard, self)
            n = self._n
            batch = <PyObject*>self._last_batch
            if self._plain and self._reusable(batch, n):
                # the source runs no Python code: the batch is refilled where
                # it is (docs/internals.md, "Tuple reuse")
                got = self._fill(tuple_items(batch), n, &parked)
                incref(batch)
                if got == n:
                    tuple_refilled(batch)
                    _release(self._items, parked)  # each may run a __del__
                    guard_leave(&self._guard)
                    return steal(batch)
                result = self._other(batch, tuple_items(batch), got, parked)
            elif 0 < n <= self._capacity and (
                self._it is not None or (self._seq is not None and self._remaining() >= n)
            ):
                result = self._full(n)
            else:
                result = self._other(NULL, NULL, 0, 0)
        if result is DONE:
            raise StopIteration
        return result

    @cython.final
    cdef inline bint _reusable(self, PyObject* batch, Py_ssize_t n) noexcept:
        """Whether *batch*, the last one, may take the next *n* items in
        place: only this iterator holds it, and *n* more items are there
        (as far as a list or tuple source tells)."""
        return (  # (None is never held by one reference only)
            CAN_REUSE
            and refcount(batch) == 1
            and tuple_size(batch) == n
            and (self._seq is None or self._remaining() >= n)
        )

    @cython.final
    cdef inline object _full(self, Py_ssize_t n):
        """A full batch of *n* items under the guard, which it leaves: the
        kept batch refilled while hidden from the source's Python code, or
        a new tuple or list; anything else goes to ``_other``."""
        cdef PyObject* batch = <PyObject*>self._last_batch
        cdef PyObject** slots
        cdef Py_ssize_t got, parked = 0
        if self._reusable(batch, n):
            # only this iterator holds it: out of _last_batch and untracked,
            # nothing but the local batch can reach it
            incref(batch)
            self._last_batch = None
            gc_untrack(batch)
            got = self._fill(tuple_items(batch), n, &parked)
            if got < n:
                return self._other(batch, tuple_items(batch), got, parked)
            tuple_refilled(batch)
        elif self._seq is not None:
            batch = self._new(n)
            if batch == NULL:
                guard_leave(&self._guard)
                return steal(NULL)  # the MemoryError: nothing was taken
            if self._remaining() < n:
                # a collection in the allocation shrank the list
                return self._other(batch, NULL, 0, 0)
            # _seq[_pos:_pos + n] is in bounds (above), and nothing here runs
            # Python code or allocates: it cannot change meanwhile
            fill(
                sequence_items(batch), n,
                sequence_items(<PyObject*>self._seq) + self._pos, self._remaining(), NULL,
            )
            self._pos += n
        else:
            # gathered aside first: no Python code may see a batch not full
            got = fill(self._items, n, NULL, 0, <PyObject*>self._it)
            if got < n:
                return self._other(NULL, self._items, got, 0)
            batch = self._new(n)
            if batch == NULL:
                _release(self._items, n)  # lost, as the pure twin's
                guard_leave(&self._guard)
                return steal(NULL)  # the MemoryError
            slots = sequence_items(batch)
            for got in range(n):  # moves the references: n is the length of both
                slots[got] = self._items[got]
        if CAN_REUSE and not self._as_list:
            # may free the previous one: the state is final, the batch whole
            self._last_batch = <tuple>batch
        _release(self._items, parked)  # each may run a __del__
        guard_leave(&self._guard)
        return steal(batch)

    @cython.final
    cdef inline Py_ssize_t _remaining(self) noexcept:
        cdef PyObject* seq = <PyObject*>self._seq
        cdef Py_ssize_t size
        size = list_size(seq) if type_of(seq) == &PyList_Type else tuple_size(seq)
        return size - self._pos

    @cython.final
    cdef inline Py_ssize_t _fill(self, PyObject** slots, Py_ssize_t n, Py_ssize_t* parked) noexcept:
        """Put the next *n* items into *slots*, the items of the kept batch
        (``refill`` of cyiter_capi.h), the old ones parked in ``_items``."""
        cdef PyObject** src = NULL
        cdef Py_ssize_t avail = 0
        if self._seq is not None:
            # _seq[_pos:_pos + n] is in bounds (checked by the caller) and
            # nothing here runs Python code or allocates: it cannot change
            src = sequence_items(<PyObject*>self._seq) + self._pos
            avail = self._remaining()
            self._pos += n
        return refill(slots, n, src, avail, <PyObject*>self._it, self._items, parked)

    @cython.final
    cdef inline PyObject* _new(self, Py_ssize_t n) noexcept:
        """A new list or tuple of *n* empty slots, or NULL (MemoryError)."""
        return list_new_raw(n) if self._as_list else tuple_new_raw(n)

    @cython.final
    cdef list _taken(self, PyObject** slots, Py_ssize_t got):
        """The *got* < n items in *slots* the iterator gave before it
        ended, as a list; or the error it raised instead of ending."""
        cdef Py_ssize_t k
        iteration_stopped()
        return [<object>slots[k] for k in range(got)]

    @cython.final
    cdef object _other(self, PyObject* batch, PyObject** slots, Py_ssize_t got, Py_ssize_t parked):
        """Every batch the fast paths do not make, under the guard, which it
        leaves.  A fast path that stopped hands over its unfinished *batch*
        (a reference this takes over, or NULL) and
        the *got* < n items it put into *slots* before the iterator ended
        (``_items`` when *batch* is NULL), *parked* of them in ``_items``."""
        cdef Py_ssize_t n = self._n
        try:
            if slots != NULL:
                items = self._taken(slots, got)
            elif self._seq is not None:
                return self._slice()
            elif self._it is None:
                return DONE
            else:
                items = list(self._it) if n == -1 else list(islice(self._it, n))
            return self._last(items) if len(items) < n or n == -1 else self._made(items)
        except BaseException:
            if self._seq is None and self._ends_at_errors():
                self._exhaust()
            raise
        finally:
            if batch != NULL:
                decref(batch)  # with its items, whole or not
            elif slots != NULL:
                _release(slots, got)
            _release(self._items, parked)
            guard_leave(&self._guard)

    @cython.final
    cdef object _made(self, list items):
        return items if self._as_list else tuple(items)

    @cython.final
    cdef object _last(self, list items):
        """The batch of *items*, the source's last: exhausted, by the rules
        of strict mode."""
        self._exhaust()
        if not items:
            return DONE
        if self._strict and len(items) < self._n:
            raise ValueError(self._incomplete)
        return self._made(items)

    @cython.final
    cdef object _slice(self):
        """The next batch of ``_seq``, a list or tuple."""
        seq, start, n = self._seq, self._pos, self._n
        if 0 <= n <= len(seq) - start:
            # made before the position moves past it: after a MemoryError
            # the next call tries it again
            batch = self._made(list(seq[start : start + n]))
            self._pos = start + n
            return batch
        return self._last(list(seq[start:]))

    @cython.critical_section
    def __length_hint__(self):
        return batches_left(self._seq, self._pos, self._it, self._n)

    @cython.critical_section
    def __reduce__(self):
        if self._seq is not None:
            source, pos = self._seq, self._pos
        else:
            source, pos = self._it, None
        n = None if self._n == -1 else self._n
        return (restore, (self._name,), (source, pos, n, self._strict))

    def __setstate__(self, state):
        source, pos, n, strict = state
        self._set(source, pos, -1 if n is None else n, strict)

    def __repr__(self):
        return object_repr(self._name, self)


cdef class batched(_Grouper):
    """batched(iterable, n, *, strict=False)
--

    Drop-in for :func:`itertools.batched` of Python 3.13 on every Python:
    tuples of *n* items, the last one shorter, or ValueError for a short
    last batch when *strict* is true.  A list or tuple is sliced, not
    pulled item by item.  An error of the source ends the iteration.

    >>> from cyiter import batched
    >>> list(batched("ABCDEFG", 3))
    [('A', 'B', 'C'), ('D', 'E', 'F'), ('G',)]
    """

    def __cinit__(self, *args, **kwargs):
        self._name = "batched"
        self._incomplete = "batched(): incomplete batch"

    @classmethod
    def __class_getitem__(cls, item, /):
        return GenericAlias(cls, item)

    def __init__(self, iterable, Py_ssize_t n, *, strict=False):
        source, pos, n, strict = batched_args(iterable, n, strict)
        self._set(source, pos, n, strict)


cdef class chunked(_Grouper):
    """chunked(iterable, n, strict=False)
--

    Drop-in for :func:`more_itertools.chunked`: lists of *n* items, the
    last one shorter; ``n=None`` gives one list of everything; with
    *strict*, a short last list raises ValueError instead.

    >>> from cyiter import chunked
    >>> list(chunked([1, 2, 3, 4, 5, 6, 7, 8], 3))
    [[1, 2, 3], [4, 5, 6], [7, 8]]
    """

    def __cinit__(self, *args, **kwargs):
        self._name = "chunked"
        self._incomplete = "iterable is not divisible by n."
        self._as_list = True

    @classmethod
    def __class_getitem__(cls, item, /):
        return GenericAlias(cls, item)

    def __init__(self, iterable, n, strict=False):
        source, pos, n, strict = chunked_args(iterable, n, strict)
        self._set(source, pos, n, strict)
