"""Cython twin of the grouping family: constrained_batches, ichunked.

The pure-Python twin, ``cyiter/_py/grouping.py``, is the specification.
constrained_batches sums the sizes in C when they are what ``len()``
gives and the limits are ints; other sizes (any ``get_len``) are summed
and compared as Python objects, exactly as more-itertools does.
"""

cimport cython
from cpython.list cimport PyList_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.object cimport PyObject
from cpython.pyport cimport PY_SSIZE_T_MAX

from cyiter._cy._capi cimport (
    PyErr_Clear,
    PyErr_Occurred,
    decref,
    incref,
    iteration_stopped,
    iternextfunc,
    list_item,
    list_set_item,
    source_failed,
    steal,
    tuple_new_raw,
    tuple_set_item,
    type_slots,
)
from cyiter._cy._dropin cimport Dropin
from cyiter._cy._guard cimport guard_enter, guard_leave
from cyiter._cy._items cimport (
    check_signals,
    guard_take,
    release,
    set_no_memory,
    signals_checked,
)

from inspect import signature
from operator import length_hint as _length_hint

from cyiter._dropins import (
    constrained_batches_args,
    constrained_batches_state,
    ichunked_args,
    ichunked_state,
)
from cyiter._state import object_repr, restore


cdef extern from "Python.h":
    # -1 with the error pending, for code that cleans up before raising it
    Py_ssize_t size_raw "PyObject_Size"(PyObject*) noexcept
    Py_ssize_t long_as_ssize_raw "PyLong_AsSsize_t"(object) noexcept

# what a step returns when the iteration has ended
cdef object DONE = object()

cdef class ichunk


cdef inline bint small_int(obj, Py_ssize_t low) noexcept:
    """An exact int in ``[low, PY_SSIZE_T_MAX // 2]``, as C sums take it."""
    cdef Py_ssize_t value
    if type(obj) is not int:
        return False
    value = long_as_ssize_raw(obj)
    if value == -1 and PyErr_Occurred() != NULL:
        PyErr_Clear()  # (OverflowError: no C size)
        return False
    return low <= value <= PY_SSIZE_T_MAX // 2


cdef class constrained_batches(Dropin):
    """constrained_batches(iterable, max_size, max_count=None, get_len=len, strict=True)
--

Drop-in for :func:`more_itertools.constrained_batches`: tuples of
    consecutive items whose sizes (``get_len(item)``) add up to at most
    *max_size*, of at most *max_count* items each.  With *strict*, an item
    larger than *max_size* raises ValueError; else it makes a batch alone.

    >>> from cyiter import constrained_batches
    >>> list(constrained_batches(["ab", "cde", "f", "ghij"], 5))
    [('ab', 'cde'), ('f', 'ghij')]
    >>> list(constrained_batches(["ab", "cde", "f", "ghij"], 5, max_count=1))
    [('ab',), ('cde',), ('f',), ('ghij',)]
    """

    cdef object it  # None once exhausted
    cdef object max_size
    cdef object max_count
    cdef object get_len
    cdef bint strict
    # () or (item, size): the item that did not fit in the last batch, the
    # first of the next one
    cdef tuple carried
    # the limits in C, when sizes are summed in C: get_len is len(), and
    # the limits are ints (c_max_count -1: no limit on the count)
    cdef bint in_c
    cdef Py_ssize_t c_max_size
    cdef Py_ssize_t c_max_count
    # the items of the batch being gathered: used only under the guard,
    # and empty between calls
    cdef PyObject** items
    cdef Py_ssize_t room

    # for inspect: a signature line cannot give it the default get_len=len
    __signature__ = signature(
        lambda iterable, max_size, max_count=None, get_len=len, strict=True: None
    )

    def __cinit__(self, *args, **kwargs):
        self.name = "constrained_batches"
        self.carried = ()

    def __dealloc__(self):
        PyMem_Free(self.items)

    def __init__(self, iterable, max_size, max_count=None, get_len=len, strict=True):
        it, max_size, max_count, get_len, strict = constrained_batches_args(
            iterable, max_size, max_count, get_len, strict
        )
        self._set(it, max_size, max_count, get_len, strict, ())

    @cython.final
    @cython.critical_section  # (the guard's check-and-set, atomic)
    cdef int _set(self, it, max_size, max_count, get_len, bint strict, tuple carried) except -1:
        cdef bint in_c = get_len is len and small_int(max_size, 1) and (
            max_count is None or (type(max_count) is int and max_count >= 1)
        )
        old = (self.it, self.max_size, self.max_count, self.get_len, self.carried)
        guard_enter(&self.guard, "constrained_batches")
        self.it = it
        self.max_size = max_size
        self.max_count = max_count
        self.get_len = get_len
        self.strict = strict
        self.carried = carried
        self.in_c = in_c
        if in_c:
            self.c_max_size = max_size
            # a count past PY_SSIZE_T_MAX is never reached
            self.c_max_count = -1 if max_count is None or max_count > PY_SSIZE_T_MAX else max_count
        guard_leave(&self.guard)
        return 0

    def __next__(self):
        cdef bint ok = False
        with cython.critical_section(self):
            guard_enter(&self.guard, "constrained_batches")
            try:
                if self.it is None:
                    batch = DONE
                elif self.in_c and (not self.carried or small_int(self.carried[1], 0)):
                    batch = self._batch_c()
                else:
                    batch = self._batch_objects()
                ok = True
            finally:
                if not ok:
                    # as a generator, it ends at any exception
                    self._end()
                guard_leave(&self.guard)
        if batch is DONE:
            raise StopIteration
        return batch

    @cython.final
    cdef void _end(self):
        self.it = None
        self.carried = ()

    @cython.final
    cdef object _batch_c(self):
        """The next batch, sizes summed in C: each at most PY_SSIZE_T_MAX,
        and compared as ``size > max_size - total``, which cannot overflow
        (0 <= total, and max_size <= PY_SSIZE_T_MAX // 2)."""
        cdef Py_ssize_t count = 0
        cdef Py_ssize_t total = 0
        cdef Py_ssize_t size
        cdef Py_ssize_t max_size = self.c_max_size
        cdef Py_ssize_t max_count = self.c_max_count
        cdef PyObject* item
        if self.carried:
            if self._room(1) < 0:
                return self._failed(0)
            item = <PyObject*>self.carried[0]
            incref(item)
            self.items[0] = item
            total = self.carried[1]
            count = 1
            self.carried = ()
        it = self.it  # held across the calls into the source
        cdef iternextfunc next_item = type_slots(it).tp_iternext
        while True:
            item = next_item(<PyObject*>it)
            if item == NULL:
                if source_failed() < 0:
                    return self._failed(count)
                self._end()
                return self._batch(count) if count else DONE
            size = size_raw(item)
            if size < 0:
                return self._failed(count, item)
            if self.strict and size > max_size:
                return self._too_large(count, item)
            if count and (count == max_count or size > max_size - total):
                return self._batch_carrying(count, item, size)
            if self._room(count + 1) < 0:
                return self._failed(count, item)
            # 0 <= count < room
            self.items[count] = item
            count += 1
            total += size
            if signals_checked(count) < 0:
                return self._failed(count)

    @cython.final
    cdef object _batch_objects(self):
        """The next batch, sizes summed as Python objects, in the order and
        with the operations of more-itertools."""
        max_size, max_count, get_len = self.max_size, self.max_count, self.get_len
        cdef list batch = []
        size = 0
        if self.carried:
            item, item_len = self.carried
            self.carried = ()
            batch.append(item)
            size += item_len
        it = self.it  # held across the calls into the source
        cdef iternextfunc next_item = type_slots(it).tp_iternext
        cdef PyObject* pulled
        while True:
            pulled = next_item(<PyObject*>it)
            if pulled == NULL:
                iteration_stopped()
                self._end()
                return tuple(batch) if batch else DONE
            item = steal(pulled)
            item_len = get_len(item)
            if self.strict and item_len > max_size:
                raise ValueError("item size exceeds maximum size")
            reached_count = len(batch) == max_count
            reached_size = item_len + size > max_size
            if batch and (reached_size or reached_count):
                self.carried = (item, item_len)
                return tuple(batch)
            batch.append(item)
            size += item_len
            check_signals(len(batch))

    @cython.final
    cdef int _room(self, Py_ssize_t count) noexcept:
        """Room for *count* items in ``items``; -1 with MemoryError set."""
        cdef Py_ssize_t room = self.room
        cdef PyObject** grown
        if count <= room:
            return 0
        room = max(16, 2 * room)
        if room > PY_SSIZE_T_MAX // <Py_ssize_t>sizeof(PyObject*):
            set_no_memory()
            return -1
        grown = <PyObject**>PyMem_Realloc(self.items, room * sizeof(PyObject*))
        if grown == NULL:
            set_no_memory()
            return -1
        self.items = grown
        self.room = room
        return 0

    @cython.final
    cdef object _batch_carrying(self, Py_ssize_t count, PyObject* item, Py_ssize_t size):
        """The *count* items gathered as a batch, *item* (of *size*) carried
        into the next one."""
        try:
            carried = (steal(item), size)
        except BaseException:
            release(self.items, count)
            raise
        batch = self._batch(count)
        self.carried = carried
        return batch

    @cython.final
    cdef object _batch(self, Py_ssize_t count):
        """The *count* items gathered, moved into a new tuple."""
        cdef PyObject* batch = tuple_new_raw(count)
        cdef Py_ssize_t i
        if batch == NULL:
            return self._failed(count)
        # 0 <= i < count <= room
        for i in range(count):
            tuple_set_item(batch, i, self.items[i])
        return steal(batch)

    @cython.final
    cdef object _failed(self, Py_ssize_t count, PyObject* item=NULL):
        """Raise the pending error once the *count* items gathered, and
        *item* pulled after them, are released (with no error pending while
        that may run a ``__del__``)."""
        try:
            steal(NULL)
        finally:
            release(self.items, count)
            if item != NULL:
                decref(item)

    @cython.final
    cdef object _too_large(self, Py_ssize_t count, PyObject* item):
        release(self.items, count)
        decref(item)
        raise ValueError("item size exceeds maximum size")

    @cython.critical_section
    def __reduce__(self):
        state = (self.it, self.max_size, self.max_count, self.get_len, self.strict, self.carried)
        return (restore, ("constrained_batches",), state)

    def __setstate__(self, state):
        it, max_size, max_count, get_len, strict, carried = constrained_batches_state(state)
        self._set(it, max_size, max_count, get_len, strict, carried)


cdef class ichunked(Dropin):
    """ichunked(iterable, n)
--

Drop-in for :func:`more_itertools.ichunked`: iterators over *n*
    consecutive items each (the last one fewer).  Read in order, no item
    is stored; a chunk read after the next one is asked for gives the
    items that were stored for it then.

    >>> from cyiter import ichunked
    >>> chunks = ichunked(range(7), 3)
    >>> first, second = next(chunks), next(chunks)  # first's items are stored
    >>> list(second), list(first), [list(chunk) for chunk in chunks]
    ([3, 4, 5], [0, 1, 2], [[6]])
    """

    cdef object it  # None once exhausted
    cdef Py_ssize_t n
    cdef ichunk chunk  # the last chunk handed out, or None
    cdef Py_ssize_t skip  # items of the source to drop first (restored pickles)

    def __cinit__(self, *args, **kwargs):
        self.name = "ichunked"
        self.n = 1

    def __init__(self, iterable, n):
        it, n = ichunked_args(iterable, n)
        self._set(it, n, 0)

    @cython.final
    @cython.critical_section  # (the guard's check-and-set, atomic)
    cdef int _set(self, it, Py_ssize_t n, Py_ssize_t skip) except -1:
        old = (self.it, self.chunk)
        guard_enter(&self.guard, "ichunked")
        self.it = it
        self.n = n
        self.chunk = None
        self.skip = skip
        guard_leave(&self.guard)
        return 0

    def __next__(self):
        cdef bint ok = False
        with cython.critical_section(self):
            guard_enter(&self.guard, "ichunked")
            try:
                result = DONE if self.it is None else self._next_chunk()
                ok = True
            finally:
                if not ok:
                    # as a generator, it ends at any exception
                    self._end()
                guard_leave(&self.guard)
        if result is DONE:
            raise StopIteration
        return result

    @cython.final
    cdef object _next_chunk(self):
        cdef PyObject* item
        cdef Py_ssize_t skip = self.skip
        it = self.it  # held across the calls into the source
        cdef iternextfunc next_item = type_slots(it).tp_iternext
        cdef ichunk chunk = self.chunk
        if chunk is not None:
            self.chunk = None
            chunk._store()
        self.skip = 0
        while skip and self.it is not None:
            item = next_item(<PyObject*>it)
            if item == NULL:
                iteration_stopped()
                self._end()
                break
            steal(item)  # dropped
            skip -= 1
            check_signals(skip)
        if self.it is None:
            return DONE
        item = next_item(<PyObject*>it)
        if item == NULL:
            iteration_stopped()
            self._end()
            return DONE
        first = steal(item)  # owned before anything is allocated
        chunk = ichunk.__new__(ichunk)
        chunk.start(self, it, first, self.n - 1)
        self.chunk = chunk
        return chunk

    @cython.final
    cdef void _end(self):
        self.it = None
        self.chunk = None
        self.skip = 0

    @cython.critical_section
    def __length_hint__(self):
        if self.it is None:
            return 0
        left = _length_hint(self.it, -1)
        if left < 0:
            return NotImplemented
        left -= self.skip + (self.chunk.left if self.chunk is not None else 0)
        return max(0, -(-left // self.n))

    @cython.critical_section
    def __reduce__(self):
        skip = self.skip + (self.chunk.left if self.chunk is not None else 0)
        return (restore, ("ichunked",), (self.it, self.n, skip))

    def __setstate__(self, state):
        it, n, skip = ichunked_state(state)
        self._set(it, n, skip)


@cython.final
cdef class ichunk:
    """A chunk of :class:`ichunked`: its items stored so far, then those
    still to read from the source."""

    cdef ichunked parent  # whose guard every call takes
    cdef object it  # the source, read directly while left > 0
    # the items stored so far, handed out from ``head`` (a slot handed out
    # holds None); ``ready`` of them are still to hand out
    cdef list stored
    cdef Py_ssize_t head
    cdef Py_ssize_t ready
    cdef Py_ssize_t left  # items of this chunk still in the source
    cdef object __weakref__

    cdef void start(self, ichunked parent, it, first, Py_ssize_t left):
        self.parent = parent
        self.it = it
        self.stored = [first]
        self.head = 0
        self.ready = 1
        self.left = left

    def __iter__(self):
        return self

    def __next__(self):
        cdef PyObject* item
        if self.parent is None:  # (made by ichunk.__new__ alone)
            raise StopIteration
        with cython.critical_section(self.parent):
            if self.left and not self.ready and not self.parent.guard.running:
                # The common case inline: the next item read from the source
                # (it, set once, is held by this chunk across the call)
                guard_take(&self.parent.guard)
                item = type_slots(self.it).tp_iternext(<PyObject*>self.it)
                if item != NULL:
                    self.left -= 1
                    guard_leave(&self.parent.guard)
                    return steal(item)
                result = self._read_failed()
            else:
                guard_enter(&self.parent.guard, "ichunked")
                result = self._next_other()
        if result is DONE:
            raise StopIteration
        return result

    cdef object _next_other(self):
        """A stored item, or one read from the source, under the guard,
        which it leaves."""
        try:
            return self._next_other_guarded()
        finally:
            guard_leave(&self.parent.guard)

    cdef object _next_other_guarded(self):
        cdef PyObject* item
        cdef Py_ssize_t head = self.head
        # (the list's size too: code the source runs can reach it through
        # gc.get_referents() and change it)
        if self.ready and head < PyList_GET_SIZE(self.stored):
            # 0 <= head < len(stored)
            item = list_item(<PyObject*>self.stored, head)
            incref(<PyObject*>None)
            list_set_item(<PyObject*>self.stored, head, <PyObject*>None)
            self.head = head + 1
            self.ready -= 1
            return steal(item)
        if not self.left:
            return DONE
        it = self.it  # held across the call into the source
        item = type_slots(it).tp_iternext(<PyObject*>it)
        if item == NULL:
            self._end_of_chunk()
            return DONE
        self.left -= 1
        return steal(item)

    cdef object _read_failed(self):
        """``__next__`` read no item from the source: ``_end_of_chunk``,
        and the guard is left."""
        try:
            self._end_of_chunk()
            return DONE
        finally:
            guard_leave(&self.parent.guard)

    cdef int _end_of_chunk(self) except -1:
        """The source gave no item: this chunk ends, and the error, if any,
        propagates (the parent goes on, as in more-itertools); at the end of
        the source, the parent ends too if it still reads it."""
        self.left = 0
        iteration_stopped()
        if self.parent.it is self.it:
            self.parent._end()
        return 0

    cdef int _store(self) except -1:
        """Read the items of this chunk left in the source into it; under
        the parent's guard."""
        cdef PyObject* item
        cdef Py_ssize_t left = self.left
        it = self.it  # held across the calls into the source
        cdef iternextfunc next_item = type_slots(it).tp_iternext
        self.left = 0
        while left:
            item = next_item(<PyObject*>it)
            if item == NULL:
                iteration_stopped()
                if self.parent.it is it:
                    self.parent._end()
                return 0
            self.stored.append(steal(item))
            self.ready += 1
            left -= 1
            check_signals(left)
        return 0

    def __length_hint__(self):
        stored = self.ready
        if not self.left:
            return stored
        in_source = _length_hint(self.it, -1)
        return NotImplemented if in_source < 0 else stored + min(self.left, in_source)

    def __reduce__(self):
        raise TypeError("cannot pickle an ichunked chunk: it reads from its parent's source")

    def __repr__(self):
        return object_repr("ichunked chunk", self)
