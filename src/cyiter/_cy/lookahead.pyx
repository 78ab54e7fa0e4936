"""Cython twin of the lookahead family: peekable, ilen.

The pure-Python twin, ``cyiter/_py/lookahead.py``, is the specification.
peekable's cache is a list of its own whose items from ``head`` on are the
items looked at ahead: handing one out sets its slot to None, and
prepending fills the slots before ``head``.
"""

cimport cython
from cpython.list cimport PyList_GET_SIZE
from cpython.object cimport PyObject
from cpython.pyport cimport PY_SSIZE_T_MAX

from cyiter._cy._capi cimport (
    decref,
    incref,
    iteration_stopped,
    iternextfunc,
    list_item,
    list_set_item,
    source_failed,
    steal,
    type_slots,
)
from cyiter._cy._dropin cimport Dropin
from cyiter._cy._guard cimport guard_enter, guard_leave
from cyiter._cy._items cimport check_signals

from collections import deque
from operator import getitem
from operator import length_hint as _length_hint
from sys import maxsize

from cyiter._dropins import islice_count, peekable_state
from cyiter._state import restore

# peek()'s "no default"
cdef object _marker = object()

# the cache is compacted when this many slots before head are free, and
# they are at least half of it
cdef enum:
    COMPACT_AT = 64


cdef class peekable(Dropin):
    """peekable(iterable)
--

Drop-in for :class:`more_itertools.peekable`: an iterator that can
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

    cdef object it  # None once it has ended
    # the items looked at ahead, or prepended: cache[head:]
    cdef list cache
    cdef Py_ssize_t head

    def __cinit__(self, *args, **kwargs):
        self.name = "peekable"
        self.cache = []

    def __init__(self, iterable):
        self._set(iter(iterable), [])

    @cython.final
    @cython.critical_section  # (the guard's check-and-set, atomic)
    cdef int _set(self, it, list cached) except -1:
        old = (self.it, self.cache)
        guard_enter(&self.guard, "peekable")
        self.it = it
        self.cache = cached
        self.head = 0
        guard_leave(&self.guard)
        return 0

    @cython.final
    cdef inline Py_ssize_t _cached(self) noexcept:
        """How many items are cached (never below 0: code a source runs can
        reach the list through gc.get_referents() and shorten it)."""
        cdef Py_ssize_t cached = PyList_GET_SIZE(self.cache) - self.head
        return cached if cached > 0 else 0

    def __next__(self):
        cdef PyObject* item
        with cython.critical_section(self):
            guard_enter(&self.guard, "peekable")
            if self._cached():
                result = self._pop()
                guard_leave(&self.guard)
                return result
            it = self.it  # held across the call into the source
            if it is not None:
                item = type_slots(it).tp_iternext(<PyObject*>it)
                if item != NULL:
                    guard_leave(&self.guard)
                    return steal(item)
                if source_failed() == 0:
                    self.it = None  # (as it is dropped, the guard is held)
            guard_leave(&self.guard)
        iteration_stopped()  # raises what the source raised, if anything
        raise StopIteration

    @cython.final
    cdef object _pop(self):
        """The first cached item, moved out; runs no Python code."""
        cdef Py_ssize_t head = self.head
        cdef list cache = self.cache
        # 0 <= head < len(cache): there is a cached item
        cdef PyObject* item = list_item(<PyObject*>cache, head)
        incref(<PyObject*>None)
        list_set_item(<PyObject*>cache, head, <PyObject*>None)
        head += 1
        if head == PyList_GET_SIZE(cache):
            del cache[:]  # (only Nones: nothing is freed but the array)
            head = 0
        elif head >= COMPACT_AT and 2 * head >= PyList_GET_SIZE(cache):
            del cache[:head]
            head = 0
        self.head = head
        return steal(item)

    @cython.final
    cdef int _fill(self, Py_ssize_t count) except -1:
        """Read up to *count* items more of the source into the cache (-1:
        all of them); under the guard.  The source is let go once it ends;
        what it gave before an error stays in the cache."""
        cdef PyObject* item
        cdef Py_ssize_t done = 0
        it = self.it  # held across the calls into the source
        if it is None:
            return 0
        cdef iternextfunc next_item = type_slots(it).tp_iternext
        cache = self.cache
        while done != count:
            item = next_item(<PyObject*>it)
            if item == NULL:
                iteration_stopped()
                self.it = None
                return 0
            cache.append(steal(item))
            done += 1
            check_signals(done)
        return 0

    @cython.critical_section
    def __bool__(self):
        guard_enter(&self.guard, "peekable")
        try:
            if not self._cached():
                self._fill(1)
            return self._cached() > 0
        finally:
            guard_leave(&self.guard)

    @cython.critical_section
    @cython.embedsignature(False)  # (the docstring is the pure twin's)
    def peek(self, default=_marker):
        """The next item, left in place; at the end *default*, or
        StopIteration when there is none."""
        guard_enter(&self.guard, "peekable")
        try:
            if not self._cached():
                self._fill(1)
                if not self._cached():
                    if default is _marker:
                        raise StopIteration
                    return default
            return self.cache[self.head]
        finally:
            guard_leave(&self.guard)

    @cython.critical_section
    @cython.embedsignature(False)
    def prepend(self, *items):
        """Put *items* in front of the rest, the first of them first (also
        after the end: they are yielded then)."""
        cdef Py_ssize_t k = len(items)
        cdef Py_ssize_t i
        cdef PyObject* item
        guard_enter(&self.guard, "peekable")
        try:
            if k <= self.head and self._free_before_head(k):
                # into the free slots before head, which hold None
                for i in range(k):
                    item = <PyObject*>items[i]
                    incref(item)
                    decref(list_item(<PyObject*>self.cache, self.head - k + i))
                    list_set_item(<PyObject*>self.cache, self.head - k + i, item)
                self.head -= k
            elif k:
                # room for as many more in front, for the next prepends
                cached = self.cache[self.head:]
                free = k + len(cached)
                self.cache = [None] * free + list(items) + cached
                self.head = free
        finally:
            guard_leave(&self.guard)

    @cython.final
    cdef bint _free_before_head(self, Py_ssize_t k) noexcept:
        """Whether the *k* slots before ``head`` hold None, as handing out
        leaves them (code a source runs can reach the list through
        gc.get_referents() and change it)."""
        cdef Py_ssize_t i
        if self.head > PyList_GET_SIZE(self.cache):
            return False
        for i in range(self.head - k, self.head):
            if list_item(<PyObject*>self.cache, i) != <PyObject*>None:
                return False
        return True

    @cython.critical_section
    def __getitem__(self, index):
        cdef Py_ssize_t i, cached
        guard_enter(&self.guard, "peekable")
        try:
            if isinstance(index, slice):
                return self._get_slice(index)
            if type(index) is not int or not -PY_SSIZE_T_MAX <= index <= PY_SSIZE_T_MAX:
                return self._get_any(index)
            i = index
            cached = self._cached()
            if i < 0:
                self._fill(-1)
                i += self._cached()
                if i < 0:
                    raise IndexError("deque index out of range")
            elif i >= cached:
                if i - cached >= PY_SSIZE_T_MAX:
                    islice_count(index + 1 - cached)  # raises islice()'s error
                self._fill(i + 1 - cached)
                if i >= self._cached():
                    raise IndexError("deque index out of range")
            return self.cache[self.head + i]
        finally:
            guard_leave(&self.guard)

    @cython.final
    cdef object _get_any(self, index):
        """``p[index]`` for an index other than a C-sized int: the
        comparisons of more-itertools, then the lookup (and its errors) of
        the deque it keeps its cache in."""
        cached = self._cached()
        if index < 0:
            self._fill(-1)
        elif index >= cached:
            self._fill(islice_count(index + 1 - cached))
        # (operator.getitem: Cython's own item access words errors its own way)
        return getitem(deque(self.cache[self.head:]), index)

    @cython.final
    cdef object _get_slice(self, index):
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
            self._fill(-1)
        else:
            needed = min(max(start, stop) + 1, maxsize)
            have = self._cached()
            if needed >= have:
                self._fill(islice_count(needed - have))
        return self.cache[self.head:][index]

    @cython.critical_section
    def __length_hint__(self):
        if self.it is None:
            return self._cached()
        left = _length_hint(self.it, -1)
        return NotImplemented if left < 0 else self._cached() + left

    @cython.critical_section
    def __reduce__(self):
        return (restore, ("peekable",), (self.it, tuple(self.cache[self.head:])))

    def __setstate__(self, state):
        it, cached = peekable_state(state)
        self._set(it, list(cached))


@cython.embedsignature(False)
def ilen(iterable):
    """Return the number of items in *iterable*, consuming it: drop-in for
    :func:`more_itertools.ilen`.

    >>> from cyiter import ilen
    >>> ilen(x for x in range(1000) if x % 7 == 0)
    143
    """
    cdef Py_ssize_t count = 0
    cdef PyObject* item
    it = iter(iterable)
    cdef iternextfunc next_item = type_slots(it).tp_iternext
    while True:
        item = next_item(<PyObject*>it)
        if item == NULL:
            iteration_stopped()
            return count
        decref(item)
        count += 1
        check_signals(count)
