"""Cython twin of the batching family: batched, chunked.

The pure-Python twin is ``cyiter/_py/batching.py``.  Both share one engine,
``_Grouper``: an exact list or tuple is sliced by index (what its own
iterator would do, item for item, including growth while iterated), any
other iterable is pulled through its iterator's ``tp_iternext``.

A full tuple batch is kept after it is handed out: once the consumer has let
go of it, the next batch refills it in place instead of allocating a new
tuple ("result tuple reuse", as zip, enumerate and pairwise do).  Where and
why that is safe is told at ``_Grouper._reusable``.
"""

cimport cython
from cpython.iterator cimport PyIter_Check
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE, PyList_New
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE, PyTuple_New

from cyiter._cy._capi cimport (
    iteration_stopped,
    iternextfunc,
    list_set_item,
    tuple_set_item,
    type_slots,
)
from cyiter._cy._guard cimport Guard, guard_enter, guard_leave

from itertools import islice
from operator import length_hint as _length_hint
from types import GenericAlias

from cyiter._batchargs import batched_args, chunked_args, sliceable
from cyiter._state import object_repr, restore

__all__ = ["batched", "chunked"]

# Batches of up to this many items are gathered in a C array the iterator
# owns, then moved into the result; larger ones go through a list, so that a
# huge n costs nothing up front.
cdef enum:
    ARRAY_MAX = 4096
    # _slice_reusing looks at the old items of batches up to this size one
    # by one to skip the guard; for larger ones the guard is cheaper
    SMALL_RELEASE = 8

# what a step returns when the iteration has ended
cdef object DONE = object()


cdef extern from *:
    """
    /* Result tuple reuse (see _Grouper._reusable for when it is done).

       CYITER_CAN_REUSE is 1 where a tuple whose reference count is 1 is
       reachable through that one reference only, and where a tuple refilled
       in place cannot be told from a new one:
       - not on a free-threaded build: there a count of 1 does not prove
         that no other thread is taking a reference (CPython decides it with
         private API);
       - not on PyPy or GraalPy, whose counts are emulated, nor with the
         limited API (CYTHON_COMPILING_IN_CPYTHON excludes all three);
       - up to 3.13 a tuple is its header and its items;
       - 3.14 and 3.15 also cache the hash in the tuple (ob_hash, -1 for
         "not computed", gh-131525): it is reset, as CPython's own
         _PyTuple_Recycle does;
       - later versions: off until their tuple layout has been checked. */
    #if !CYTHON_COMPILING_IN_CPYTHON || defined(Py_GIL_DISABLED)
    #  define CYITER_CAN_REUSE 0
    #  define CYITER_RESET_TUPLE_HASH(t) ((void)0)
    #elif PY_VERSION_HEX < 0x030E0000
    #  define CYITER_CAN_REUSE 1
    #  define CYITER_RESET_TUPLE_HASH(t) ((void)0)
    #elif PY_VERSION_HEX < 0x03100000
    #  define CYITER_CAN_REUSE 1
    #  define CYITER_RESET_TUPLE_HASH(t) (((PyTupleObject *)(t))->ob_hash = -1)
    #else
    #  define CYITER_CAN_REUSE 0
    #  define CYITER_RESET_TUPLE_HASH(t) ((void)0)
    #endif

    /* Make a tuple refilled in place as good as a new one: forget the hash
       of its old items, and have the collector track it again if it had
       untracked it (it untracks a tuple of untracked items; refilled with,
       say, lists, an untracked tuple would hide their cycles: bpo-42536).
       Tracking allocates nothing and runs no collection. */
    static CYTHON_INLINE void cyiter_tuple_refilled(PyObject *t) {
        CYITER_RESET_TUPLE_HASH(t);
        if (!PyObject_GC_IsTracked(t)) {
            PyObject_GC_Track(t);
        }
    }
    """
    bint CAN_REUSE "CYITER_CAN_REUSE"
    void tuple_refilled "cyiter_tuple_refilled"(PyObject*)
    # raw pointers, so that Cython adds no reference counting of its own
    void decref "Py_DECREF"(PyObject*)
    Py_ssize_t refcount "Py_REFCNT"(PyObject*)
    Py_ssize_t tuple_size "PyTuple_GET_SIZE"(PyObject*)
    # the item array of an exact list or tuple
    PyObject** sequence_items "PySequence_Fast_ITEMS"(object)


cdef inline void _release(PyObject** items, Py_ssize_t count) noexcept:
    cdef Py_ssize_t i
    for i in range(count):
        decref(items[i])  # the macro: this loop is per item on the hot paths


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
    # The gathering array, allocated for n <= ARRAY_MAX.  Whatever it holds
    # across a call into Python code belongs to the holder of the guard:
    # every use of it that can run Python code (a source's next(), a
    # release, an allocation) holds the guard, so a re-entrant call raises
    # before it can touch it.
    cdef PyObject** items
    cdef Py_ssize_t capacity
    # The last full tuple batch handed out, kept to be refilled in place
    # for the next batch once the consumer has let go of it (``_reusable``);
    # None when there is none.  Not part of the state: never pickled.
    cdef tuple last_batch
    cdef object __weakref__
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
        # Last: freeing the kept batch may run a __del__ of one of its items,
        # and every caller is done with the state (or holds the guard).
        self.last_batch = None

    def __next__(self):
        # (a critical section as a block, not a decorator, so that Cython can
        # end the iteration without creating a StopIteration)
        with cython.critical_section(self):
            # Slicing a list or tuple needs no guard (see _slice); any other
            # source is read under it, builtin iterators included (see
            # _gather).
            if self.seq is not None and not self.guard.running:
                batch = self._slice(False)
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
                batch = self._slice(True)
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

    # Result tuple reuse (_reusable, _refill, _slice_reusing, _gather), the
    # whole argument:
    # 1. Only a tuple that nothing but this iterator holds is refilled: its
    #    count is 1 when read, and no Python code runs between that read
    #    and the refill (in _gather, the read comes after the source ran).
    # 2. The refill runs no Python code and allocates nothing, so nothing
    #    can see the tuple half refilled; the state (pos) is final before
    #    anything else runs.
    # 3. Only then are the old items released, which may run any __del__.
    #    They wait in ``items``, which only the guard holder uses, and the
    #    guard is held: a __del__ that calls next(), __setstate__ or
    #    __init__ gets RuntimeError, another thread waits.  The reference
    #    held to the refilled tuple until it is returned keeps any call made
    #    meanwhile from reusing it.
    # 4. The tuple is made as good as new: tracked by the collector again
    #    (bpo-42536) and, on 3.14 and 3.15, its cached hash forgotten.
    # 5. None of it where a count of 1 proves nothing (free-threaded, PyPy,
    #    GraalPy, limited API) or the tuple layout is unchecked (3.16+).
    @cython.final
    cdef inline bint _reusable(self, Py_ssize_t n, bint guarded) noexcept:
        """Whether the next batch, a full one of ``n`` items, may be put
        into ``last_batch`` in place rather than into a new tuple.

        Yes when reuse is compiled in (CYITER_CAN_REUSE: a GIL build of
        CPython), ``last_batch`` holds ``n`` items and fits the ``items``
        array, and its reference count is 1: the one reference is this
        iterator's, so the consumer, and anything else, has let go of the
        tuple.  A batch anyone still holds has a count above 1 and is never
        touched.  Python code can still look the tuple up (gc.get_objects(),
        gc.get_referents() of this iterator) whenever it runs, and may keep
        it then: it always finds it whole (see ``_refill``), and the count
        is read again before each reuse, after the source has run.
        ``guarded``: the caller holds the guard; otherwise the guard must be
        free, for the caller to take it at once (no Python code runs in
        between).
        """
        cdef PyObject* last = <PyObject*>self.last_batch
        return (
            CAN_REUSE
            and last != <PyObject*>None
            and refcount(last) == 1
            and tuple_size(last) == n
            and n <= self.capacity
            and (guarded or not self.guard.running)
        )

    @cython.final
    cdef inline object _refill(self, PyObject** new_items, Py_ssize_t n, bint borrowed):
        """Put ``new_items[0:n]`` (taking a new reference to each if
        ``borrowed``) into ``last_batch`` in place and return it; its old
        items are left in ``items[0:n]``, for the caller to release.

        Only right after ``_reusable(n, ...)`` said yes, with the guard
        held or taken before anything can run Python code.  Nothing here
        runs Python code or allocates (so no collection starts either): no
        Python code can see the tuple half refilled.  The
        reference taken here (returned) makes its count 2 until the caller
        returns it, so no call that runs while the old items are released
        can reuse it.  ``new_items`` may be ``items`` itself (each slot is
        read before it is written)."""
        cdef object batch = self.last_batch
        cdef PyObject** items = self.items
        cdef PyObject* item
        cdef Py_ssize_t k
        # 0 <= k < n == len(batch) <= capacity: in bounds for both
        for k in range(n):
            item = new_items[k]
            if borrowed:
                Py_INCREF(<object>item)
            items[k] = PyTuple_GET_ITEM(batch, k)
            tuple_set_item(batch, k, item)
        tuple_refilled(<PyObject*>batch)
        return batch

    cdef object _slice(self, bint guarded):
        """The next batch of the list or tuple ``seq``; ``guarded``: the
        caller holds the guard.

        Allocating the result may start a garbage collection, which may run
        a ``__del__`` that changes anything (this iterator, the list).  So
        the result is allocated first, and the state read after it is used
        only by code that allocates nothing and runs no Python code: the
        sequence cannot change while the batch is copied.  A reused batch
        allocates nothing: the state read is used as it is.
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
                if not self.as_list and self._reusable(k, guarded):
                    return self._slice_reusing(seq, start, k, guarded)
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
            if CAN_REUSE and not self.as_list and k <= self.capacity:
                # may free the previous one (if it could not be reused): the
                # state is final, and the result is whole
                self.last_batch = result
        return result

    @cython.final
    cdef object _slice_reusing(self, object seq, Py_ssize_t start, Py_ssize_t n, bint guarded):
        """``_slice``'s full batch of ``n`` items from ``start``, put into
        ``last_batch``.  Called right after ``_reusable(n, guarded)`` said
        yes, with ``0 <= start`` and ``start + n <= len(seq)`` just read and
        nothing run since.

        The state is complete before the old items (parked in ``items``)
        are released.  Until the guard is taken, nothing can run Python
        code: the refill and the release of items held elsewhere run none.
        The guard is taken (it is free: ``guard_enter`` neither waits nor
        raises) before the first release that may free an item: a
        ``__del__`` that calls back into this iterator gets RuntimeError,
        another thread waits, and ``gc.get_objects()`` finds the whole new
        batch."""
        cdef Py_ssize_t k = 0
        cdef PyObject** items = self.items
        # reads seq[start:start + n], in bounds; nothing runs Python code
        # until the release
        batch = self._refill(sequence_items(seq) + start, n, True)
        self.pos = start + n
        if guarded:
            _release(items, n)
            return batch
        if n <= SMALL_RELEASE:
            # An old item that something else still holds (the list, when
            # it is still there) is not freed by the release, which then
            # runs no Python code: small batches skip the guard that way
            # while they can (0 <= k < n <= capacity).
            while k < n and refcount(items[k]) > 1:
                decref(items[k])
                k += 1
            if k == n:
                return batch
        guard_enter(&self.guard, self.name)  # free: nothing has run since the check
        _release(items + k, n - k)
        guard_leave(&self.guard)
        return batch

    cdef object _gather(self):
        """The next batch pulled from the iterator ``it``, under the guard.

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
        elif not self.as_list and self._reusable(n, True):
            # the source ran its code before this check; from here on nothing
            # runs Python code until the old items are released
            batch = self._refill(items, n, False)
            _release(items, n)
            return batch
        result = PyList_New(i) if self.as_list else PyTuple_New(i)
        for k in range(i):
            if self.as_list:
                list_set_item(result, k, items[k])
            else:
                tuple_set_item(result, k, items[k])
        if CAN_REUSE and i == n and not self.as_list:
            self.last_batch = result   # may free the previous one: the result is whole
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

    @classmethod
    def __class_getitem__(cls, item, /):
        """``batched[...]`` in annotations, as the stubs allow."""
        return GenericAlias(cls, item)

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

    @classmethod
    def __class_getitem__(cls, item, /):
        """``chunked[...]`` in annotations, as the stubs allow."""
        return GenericAlias(cls, item)

    def __init__(self, iterable, n, strict=False):
        source, pos, n, strict = chunked_args(iterable, n, strict)
        self.end_on_error = strict
        self._set(source, pos, n, strict)

    def __setstate__(self, state):
        _Grouper.__setstate__(self, state)
        self.end_on_error = self.strict
