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
from cpython.list cimport PyList_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject
from cpython.ref cimport Py_INCREF
from cpython.tuple cimport PyTuple_GET_SIZE, PyTuple_New

from cyiter._cy._capi cimport (
    CAN_REUSE,
    PyErr_Clear,
    PyList_Type,
    decref,
    gc_untrack,
    incref,
    iteration_stopped,
    iternextfunc,
    list_new,
    list_new_raw,
    list_set_item,
    list_size,
    prefetch_w,
    refcount,
    sequence_items,
    steal,
    tuple_item,
    tuple_new_raw,
    tuple_refilled,
    tuple_retracked,
    tuple_set_item,
    tuple_size,
    type_of,
    type_slots,
)
from cyiter._cy._guard cimport Guard, guard_enter, guard_leave

from itertools import islice
from operator import length_hint as _length_hint
from types import GenericAlias

from cyiter._batchargs import batched_args, chunked_args, sliceable
from cyiter._state import object_repr, restore


# Batches of up to this many items are gathered in a C array the iterator
# owns, then moved into the result; larger ones go through a list, so that a
# huge n costs nothing up front.
cdef enum:
    ARRAY_MAX = 4096
    # a batch of at least this many items copied from a list or tuple asks
    # for the item this far ahead to be brought into cache (_prefetching): a
    # list too large for the cache costs a memory read per item, which the
    # hardware prefetcher does not guess (the items lie wherever they were
    # allocated)
    AHEAD = 64

# what a step returns when the iteration has ended
cdef object DONE = object()


cdef inline Py_ssize_t _swap(
    PyObject* batch, Py_ssize_t k, PyObject* item, PyObject** parked, Py_ssize_t m
) noexcept:
    """Put a new reference to ``item`` at ``batch[k]`` and drop the old
    item's, which frees nothing and runs no code while something else holds
    it (the list, most of the time); else park it at ``parked[m]``, for the
    caller to release later.  Returns how many are parked now.  The caller
    keeps ``k`` and ``m`` in bounds."""
    cdef PyObject* old = tuple_item(batch, k)
    incref(item)
    tuple_set_item(batch, k, item)
    if refcount(old) > 1:
        decref(old)
        return m
    parked[m] = old
    return m + 1


cdef inline Py_ssize_t _prefetching(Py_ssize_t n, Py_ssize_t avail) noexcept:
    """How many of a batch's ``n`` items, the first of ``avail`` readable
    ones, prefetch the item ``AHEAD`` after them: none in a batch under
    ``AHEAD`` items, else each whose item ``AHEAD`` on is still readable."""
    if n < AHEAD:
        return 0
    return max(0, min(n, avail - AHEAD))


cdef inline void _release(PyObject** items, Py_ssize_t count) noexcept:
    cdef Py_ssize_t i
    for i in range(count):
        decref(items[i])  # the macro: this loop is per item on the hot paths


cdef inline Py_ssize_t _pull(object it, Py_ssize_t n, PyObject** items) noexcept:
    """Pull up to ``n`` items of the iterator ``it`` into ``items[0:n]``
    (new references) and return how many; fewer when it ended or raised
    (its exception, or none, is left pending).  The caller holds ``it``,
    the guard, and an array of at least ``n`` slots."""
    cdef iternextfunc next_item = type_slots(it).tp_iternext
    cdef PyObject* item
    cdef Py_ssize_t i = 0
    # 0 <= i < n <= len(items): every store is in bounds
    while i < n:
        item = next_item(<PyObject*>it)
        if item == NULL:
            break
        items[i] = item
        i += 1
    return i


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

    @cython.final
    cdef void _exhaust(self):
        self.seq = None
        self.it = None
        # Last: freeing the kept batch may run a __del__ of one of its items,
        # and every caller is done with the state (or holds the guard).
        self.last_batch = None

    def __next__(self):
        cdef PyObject* reused
        cdef PyObject* fresh
        cdef Py_ssize_t n, got, parked
        # (a critical section as a block, not a decorator, so that Cython can
        # end the iteration without creating a StopIteration)
        with cython.critical_section(self):
            if self.guard.running:
                batch = self._next_guarded()
            elif self.seq is not None:
                # Slicing a list or tuple needs no guard (see _slice and
                # _slice_reused).
                reused = self._slice_reused(&parked)
                if reused != NULL:
                    # the reference taken here keeps any call made while the
                    # old items are released from reusing the batch again
                    batch = <object>reused
                    if parked:
                        self._release_parked(parked)
                    return batch
                batch = self._slice()
            elif self.it is not None and 0 < self.n <= self.capacity:
                # An iterator is read under the guard, builtin ones included
                # (see _gather); the guard is free, so taking it runs nothing.
                # Inline here: pulling the items, into the last batch when it
                # can be refilled; whatever is not a full batch then goes on
                # in _run_guarded.
                it = self.it   # held across every call into the source
                n = self.n
                guard_enter(&self.guard, self.name)
                if self._reusable(n):
                    got = self._refill_pulled(it, n)
                    if got == n:
                        guard_leave(&self.guard)
                        return self.last_batch
                else:
                    got = _pull(it, n, self.items)
                    if got == n:
                        fresh = self._fresh(n)
                        if fresh != NULL:
                            guard_leave(&self.guard)
                            return steal(fresh)
                        # out of memory: _gathered tries again, and reports it
                        PyErr_Clear()
                batch = self._run_guarded(got)
            else:
                batch = self._next_guarded()
        if batch is DONE:
            raise StopIteration
        return batch

    @cython.final
    cdef object _next_guarded(self):
        guard_enter(&self.guard, self.name)
        return self._run_guarded(-1)

    @cython.final
    cdef object _run_guarded(self, Py_ssize_t pulled):
        """The rest of a call that has taken the guard; leaves it.
        ``pulled`` >= 0: ``__next__`` has pulled that many items of the
        iterator source into ``items`` (fewer than ``n`` if it ended or
        raised), else nothing has been done yet."""
        cdef bint ok = False
        try:
            # checked only now: a thread that waited in guard_enter finds the
            # state the previous holder left
            if pulled >= 0:
                batch = self._gathered(pulled)
            elif self.seq is not None:
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

    # Result tuple reuse, the whole argument.  Two ways, one per source:
    # a list or tuple (_slice_reused, _refill, _release_parked) and an
    # iterator (_refill_pulled).
    # 1. Only a tuple that nothing but this iterator holds is refilled: its
    #    count is 1 when read (_reusable), and no Python code runs between
    #    that read and the start of the refill.
    # 2. No Python code can see the tuple half refilled.  A list or tuple
    #    source is copied by code that runs no Python code and allocates
    #    nothing.  An iterator source runs Python code between two items,
    #    so the tuple is hidden first: out of ``last_batch`` and untracked
    #    by the collector, held by a C local only.
    # 3. Every old item released may run any __del__: the guard is held
    #    then (for a list or tuple source, taken before the first release
    #    that may free an item), so a __del__ that calls next(),
    #    __setstate__ or __init__ gets RuntimeError, another thread waits.
    #    For a list or tuple source an old item that something else still
    #    holds is let go during the refill (that frees nothing and runs no
    #    code); the others wait in ``items`` (which only the guard holder
    #    uses) until the state is final and the refilled tuple is held by a
    #    reference of the call's own, which keeps any call made meanwhile
    #    from reusing it.
    # 4. The tuple is made as good as new: tracked by the collector again
    #    (bpo-42536) and, on 3.14 and 3.15, its cached hash forgotten.
    # 5. None of it where a count of 1 proves nothing (free-threaded, PyPy,
    #    GraalPy, limited API) or the tuple layout is unchecked (3.16+).
    @cython.final
    cdef inline bint _reusable(self, Py_ssize_t n) noexcept:
        """Whether the next batch, a full one of ``n`` items, may be put
        into ``last_batch`` in place rather than into a new tuple.

        Yes when reuse is compiled in (CYITER_CAN_REUSE: a GIL build of
        CPython), ``last_batch`` holds ``n`` items and fits the ``items``
        array, and its reference count is 1: the one reference is this
        iterator's, so the consumer, and anything else, has let go of the
        tuple.  A batch anyone still holds has a count above 1 and is never
        touched.  Python code can still look the tuple up (gc.get_objects(),
        gc.get_referents() of this iterator) whenever it runs, and may keep
        it then: it always finds it whole, and the count is read again
        before each reuse.
        """
        cdef PyObject* last = <PyObject*>self.last_batch
        return (
            CAN_REUSE
            and last != <PyObject*>None
            and refcount(last) == 1
            and tuple_size(last) == n
            and n <= self.capacity
        )

    @cython.final
    cdef inline PyObject* _refill(
        self, PyObject** new_items, Py_ssize_t n, Py_ssize_t avail, Py_ssize_t* parked
    ) noexcept:
        """Put ``new_items[0:n]`` (taking a new reference to each) into
        ``last_batch`` in place and return it (a borrowed reference).  Its
        old items that something else holds are let go; the others are
        parked in ``items[0:parked[0]]``, for the caller to release.
        ``new_items[0:avail]`` is readable, ``avail >= n``.

        Only right after ``_reusable(n)`` said yes, with the guard free to
        be taken before anything can run Python code.  Nothing here runs
        Python code or allocates (so no collection starts either): no Python
        code can see the tuple half refilled.  The caller takes a reference
        to the result before it releases the old items."""
        cdef PyObject* batch = <PyObject*>self.last_batch
        cdef PyObject** items = self.items
        cdef Py_ssize_t k, m = 0
        cdef Py_ssize_t ahead = _prefetching(n, avail)
        # 0 <= k < n == len(batch) <= capacity: in bounds for the batch and
        # for new_items (n <= avail); m <= k, in bounds for items; and
        # k < ahead keeps k + AHEAD < avail
        for k in range(ahead):
            prefetch_w(new_items[k + AHEAD])
            m = _swap(batch, k, new_items[k], items, m)
        for k in range(ahead, n):
            m = _swap(batch, k, new_items[k], items, m)
        tuple_refilled(batch)
        parked[0] = m
        return batch

    @cython.final
    cdef inline Py_ssize_t _refill_pulled(self, object it, Py_ssize_t n) noexcept:
        """Pull up to ``n`` items of the iterator ``it`` straight into
        ``last_batch``, which ``_reusable(n)`` has just allowed; the guard is
        held.  Returns how many came: ``n``, and ``last_batch`` is the next
        batch; or fewer (the source ended or raised, its exception left
        pending), and those items wait in ``items``, the tuple gone.

        The source runs any Python code between two items, and each old item
        released may run a ``__del__``, while the tuple is half refilled.
        So it is hidden first: out of ``last_batch`` (gc.get_referents() of
        this iterator cannot find it) and untracked by the collector
        (gc.get_objects() cannot either); only the local ``batch`` holds it,
        and nothing else can, its count being 1.  A collection meanwhile
        counts its items as referenced from outside, as it does for every
        untracked container.  Whole again, it is tracked and put back; its
        cached hash is forgotten on 3.14 and 3.15."""
        cdef PyObject* batch = <PyObject*>self.last_batch
        cdef iternextfunc next_item = type_slots(it).tp_iternext
        cdef PyObject** items = self.items
        cdef PyObject* item
        cdef PyObject* old
        cdef Py_ssize_t k = 0
        cdef Py_ssize_t got
        incref(batch)
        self.last_batch = None   # the one reference is now ``batch``'s
        gc_untrack(batch)
        # 0 <= k < n == len(batch) <= capacity: in bounds for both
        while k < n:
            item = next_item(<PyObject*>it)
            if item == NULL:
                break
            old = tuple_item(batch, k)
            tuple_set_item(batch, k, item)
            decref(old)
            k += 1
        if k == n:
            tuple_retracked(batch)
            self.last_batch = <tuple>batch
            decref(batch)   # last_batch has it now
            return n
        got = k
        # 0 <= k < got < n <= capacity
        for k in range(got):
            items[k] = tuple_item(batch, k)
            incref(items[k])
        # frees the tuple: its old items, and its references to the new ones
        decref(batch)
        return got

    @cython.final
    cdef inline PyObject* _slice_reused(self, Py_ssize_t* parked) noexcept:
        """``__next__``'s fast path for a list or tuple source: the next
        batch put into ``last_batch`` in place, or NULL (nothing done) when
        that does not apply: not a full batch, or ``_reusable`` says no.
        The guard is free; the caller takes a reference to the result and
        then, if ``parked[0]`` is not 0, calls ``_release_parked``.

        Nothing here runs Python code or allocates, so the state read is
        the state used: ``0 <= start`` and ``start + n <= len(seq)`` hold
        throughout the refill."""
        cdef PyObject* seq = <PyObject*>self.seq
        cdef Py_ssize_t n = self.n
        cdef Py_ssize_t start = self.pos
        cdef Py_ssize_t size
        if not CAN_REUSE or self.as_list or not self._reusable(n):
            return NULL
        size = list_size(seq) if type_of(seq) == &PyList_Type else tuple_size(seq)
        if size - start < n:
            return NULL
        self.pos = start + n
        # reads seq[start:start + n], in bounds (above)
        return self._refill(sequence_items(seq) + start, n, size - start, parked)

    @cython.final
    cdef int _release_parked(self, Py_ssize_t n) except -1:
        """Release the ``n`` old items ``_slice_reused`` parked in
        ``items``: each may be freed and run a ``__del__``.  The guard is
        free and the state is complete.  The guard is taken (being free,
        ``guard_enter`` neither waits nor raises): a ``__del__`` that calls
        back into this iterator gets RuntimeError, another thread waits,
        and ``gc.get_objects()`` finds the whole new batch."""
        guard_enter(&self.guard, self.name)
        _release(self.items, n)
        guard_leave(&self.guard)
        return 0

    @cython.final
    cdef object _slice(self):
        """The next batch of the list or tuple ``seq``, in a new tuple or
        list (a full tuple batch is put into ``last_batch`` by
        ``_slice_reused`` when it can be).

        Allocating the result may start a garbage collection, which may run
        a ``__del__`` that changes anything (this iterator, the list).  So
        the result is allocated first, and the state read after it is used
        only by code that allocates nothing and runs no Python code: the
        sequence cannot change while the batch is copied.
        """
        cdef object seq = self.seq
        cdef Py_ssize_t size, start, k, i, ahead
        cdef PyObject* item
        cdef PyObject** src
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
            result = list_new(k) if self.as_list else PyTuple_New(k)
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
        # below can resize seq, so every index read is in [0, len(seq));
        # i < ahead keeps start + i + AHEAD < size.
        src = sequence_items(<PyObject*>seq) + start
        ahead = _prefetching(k, size - start)
        for i in range(k):
            if i < ahead:
                prefetch_w(src[i + AHEAD])
            item = src[i]
            Py_INCREF(<object>item)
            if self.as_list:
                list_set_item(<PyObject*>result, i, item)
            else:
                tuple_set_item(<PyObject*>result, i, item)
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
        cdef Py_ssize_t i
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
        return self._gathered(_pull(it, n, self.items))

    @cython.final
    cdef object _gathered(self, Py_ssize_t i):
        """The batch of the ``i`` items pulled into ``items`` (by ``_pull``
        or ``_refill_pulled``), under the guard, in a new tuple or list;
        ``i < n``: the source ended, or raised."""
        cdef Py_ssize_t n = self.n
        cdef PyObject** items = self.items
        cdef PyObject* batch_ptr
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
        batch_ptr = self._fresh(i)
        if batch_ptr == NULL:
            _release(items, i)
        return steal(batch_ptr)

    @cython.final
    cdef inline PyObject* _fresh(self, Py_ssize_t i) noexcept:
        """The ``i`` items waiting in ``items`` moved into a new tuple or
        list (a new reference); NULL (MemoryError) leaves them there.  A
        full tuple batch becomes ``last_batch``, which may free the previous
        one: the guard is held, and the result is whole by then."""
        cdef PyObject* result = list_new_raw(i) if self.as_list else tuple_new_raw(i)
        cdef Py_ssize_t k
        if result == NULL:
            return NULL
        # 0 <= k < i <= n <= capacity
        for k in range(i):
            if self.as_list:
                list_set_item(result, k, self.items[k])
            else:
                tuple_set_item(result, k, self.items[k])
        if CAN_REUSE and i == self.n and not self.as_list:
            self.last_batch = <tuple>result
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
