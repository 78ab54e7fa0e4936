"""Cython twin of the windowing family: windowed, sliding_window.

The pure-Python twin, ``cyiter/_py/windowing.py``, is the specification.
Each window after the first is the previous one shifted by the step; when
the consumer has let go of the previous tuple, it is shifted in place
instead of copied into a new one (docs/internals.md, "Tuple reuse").
"""

cimport cython
from cpython.mem cimport PyMem_Free
from cpython.object cimport PyObject
from libc.string cimport memcpy, memmove

from cyiter._cy._capi cimport (
    CAN_REUSE,
    decref,
    incref,
    iteration_stopped,
    iternextfunc,
    refcount,
    sequence_items,
    source_failed,
    steal,
    tuple_new_raw,
    tuple_refilled,
    type_slots,
)
from cyiter._cy._dropin cimport Dropin
from cyiter._cy._guard cimport guard_enter, guard_leave
from cyiter._cy._items cimport (
    check_signals,
    guard_take,
    new_pairs,
    release,
    signals_checked,
)

from operator import length_hint as _length_hint

from cyiter._dropins import sliding_window_args, window_state, windowed_args, windows_left
from cyiter._state import restore

# what a step returns when the iteration has ended
cdef object DONE = object()


cdef inline void shift_left(PyObject** slots, Py_ssize_t count) noexcept:
    """``slots[0:count] = slots[1:count + 1]``, two at a time: a plain loop
    compiles into a call to memmove, which costs more than the rest of the
    step for a window of a few items."""
    cdef Py_ssize_t i = 0
    cdef PyObject* a
    cdef PyObject* b
    while i + 2 <= count:
        a = slots[i + 1]
        b = slots[i + 2]
        slots[i] = a
        slots[i + 1] = b
        i += 2
    if i < count:
        slots[i] = slots[i + 1]


cdef class _Window(Dropin):
    # the source, None once exhausted
    cdef object it
    # the last window handed out (a tuple of n items), None before the first
    cdef tuple window
    cdef Py_ssize_t n
    cdef object fillvalue
    cdef Py_ssize_t step
    # set by the subclass: whether a first window shorter than n is padded
    # (windowed) or not yielded (sliding_window)
    cdef bint pads_first
    # Room for the 2 * min(step, n) pointers one slide moves: the items it
    # brings in, then those it drops.  Used only under the guard, and
    # empty between calls.
    cdef PyObject** moved
    cdef Py_ssize_t room

    def __cinit__(self, *args, **kwargs):
        self.n = 1
        self.step = 1

    def __dealloc__(self):
        PyMem_Free(self.moved)

    @cython.final
    @cython.critical_section  # (the guard's check-and-set, atomic)
    cdef int _set(self, it, window, Py_ssize_t n, fillvalue, Py_ssize_t step) except -1:
        # the old values are released at the return, once the state is whole
        old = (self.it, self.window, self.fillvalue)
        guard_enter(&self.guard, self.name)
        self.it = it
        self.window = window
        self.n = n
        self.fillvalue = fillvalue
        self.step = step
        guard_leave(&self.guard)
        return 0

    def __next__(self):
        cdef PyObject* item
        cdef PyObject* dropped
        cdef PyObject** slots
        cdef Py_ssize_t last
        # (a critical section as a block, not a decorator, so that Cython can
        # end the iteration without creating a StopIteration)
        with cython.critical_section(self):
            if self.step == 1 and self.window is not None and not self.guard.running:
                # The common case inline: one item more, into the last window
                # refilled in place when nothing else holds it (see _shift).
                guard_take(&self.guard)
                it = self.it  # held across the call into the source
                item = type_slots(it).tp_iternext(<PyObject*>it)
                if item != NULL and CAN_REUSE and refcount(<PyObject*>self.window) == 1:
                    slots = sequence_items(<PyObject*>self.window)
                    last = self.n - 1
                    dropped = slots[0]
                    shift_left(slots, last)
                    slots[last] = item
                    tuple_refilled(<PyObject*>self.window)
                    result = self.window
                    decref(dropped)
                    guard_leave(&self.guard)
                    return result
                result = self._next_guarded(item, True)
            else:
                guard_enter(&self.guard, self.name)
                result = self._next_guarded(NULL, False)
        if result is DONE:
            raise StopIteration
        return result

    @cython.final
    cdef object _next_guarded(self, PyObject* item, bint pulled):
        """Every other case, under the guard, which it leaves: *pulled*
        when ``__next__`` has pulled the *item* of a step of one (NULL: the
        source ended or raised there)."""
        try:
            if pulled:
                return self._slid_one(item)
            if self.it is None:
                return DONE
            if self.window is None:
                return self._first()
            return self._slide()
        finally:
            guard_leave(&self.guard)

    @cython.final
    cdef void _exhaust(self):
        """As a generator, ended (also by any error); under the guard."""
        self.it = None
        self.window = None

    @cython.final
    cdef object _failed(self, PyObject** items, Py_ssize_t count):
        """Raise the pending exception, once ``items[0:count]`` are released
        and the iteration has ended (with no exception pending while that
        may run a ``__del__``)."""
        try:
            steal(NULL)
        except BaseException:
            release(items, count)
            self._exhaust()
            raise

    @cython.final
    cdef object _first(self):
        try:
            return self._first_window()
        except BaseException:
            self._exhaust()
            raise

    @cython.final
    cdef object _first_window(self):
        cdef Py_ssize_t n = self.n
        cdef Py_ssize_t k = 0
        cdef PyObject* item
        cdef list items = []
        it = self.it  # held across the calls into the source
        cdef iternextfunc next_item = type_slots(it).tp_iternext
        while k < n:
            item = next_item(<PyObject*>it)
            if item == NULL:
                iteration_stopped()
                break
            items.append(steal(item))
            k += 1
            check_signals(k)
        if k == n:
            self.window = tuple(items)
            return self.window
        self._exhaust()
        if k == 0 or not self.pads_first:
            return DONE
        return tuple(items) + (self.fillvalue,) * (n - k)

    @cython.final
    cdef object _slide(self):
        """The next window: ``step`` items more; when the source ends first,
        the padded window the pure twin's ``_slide`` describes."""
        cdef Py_ssize_t n = self.n
        cdef Py_ssize_t step = self.step
        cdef Py_ssize_t keep = step if step < n else n  # new items the window keeps
        cdef Py_ssize_t skip = step - keep
        cdef Py_ssize_t k = 0
        cdef Py_ssize_t got = 0
        cdef PyObject* item
        if keep > self.room and self._grow(keep) < 0:
            return self._failed(NULL, 0)
        cdef PyObject** moved = self.moved
        it = self.it  # held across the calls into the source
        cdef iternextfunc next_item = type_slots(it).tp_iternext
        while k < skip:  # a step wider than the window skips items
            item = next_item(<PyObject*>it)
            if item == NULL:
                break
            k += 1
            decref(item)  # dropped at once (under the guard)
            if signals_checked(k) < 0:
                return self._failed(NULL, 0)
        if k == skip:
            # 0 <= got < keep <= room: in bounds
            while got < keep:
                item = next_item(<PyObject*>it)
                if item == NULL:
                    break
                moved[got] = item
                got += 1
        if got == keep:
            return self._shift(keep, keep)
        if source_failed() < 0:
            return self._failed(moved, got)
        if got == 0:
            self._exhaust()
            return DONE
        window = self._shift(got, keep)
        self._exhaust()
        return window

    @cython.final
    cdef object _slid_one(self, PyObject* item):
        """The rest of a step of one whose item ``__next__`` pulled (NULL:
        the source ended or raised there): a new window, or the end."""
        if item == NULL:
            if source_failed() < 0:
                return self._failed(NULL, 0)
            self._exhaust()
            return DONE
        if self.room < 1 and self._grow(1) < 0:
            return self._failed(&item, 1)
        self.moved[0] = item
        return self._shift(1, 1)

    @cython.final
    cdef int _grow(self, Py_ssize_t keep) noexcept:
        """Room for 2 * keep pointers in ``moved``; -1 with MemoryError set."""
        self.room = 0
        self.moved = new_pairs(self.moved, keep)
        if self.moved == NULL:
            return -1
        self.room = keep
        return 0

    @cython.final
    cdef object _shift(self, Py_ssize_t got, Py_ssize_t keep):
        """The next window: the last ``n - keep`` items of ``window``, the
        ``got`` items waiting in ``moved`` (taken over), then fill values
        up to ``keep`` new items.

        When nothing but this iterator holds ``window``, it is refilled in
        place: nothing between the reference count's check and the end of
        the refill runs Python code or allocates, and the items it drops
        are released only once it is whole again and held by the result
        (docs/internals.md, "Tuple reuse")."""
        cdef Py_ssize_t n = self.n
        cdef Py_ssize_t i
        cdef PyObject* fill = <PyObject*>self.fillvalue
        cdef PyObject** moved = self.moved
        cdef PyObject** dropped = moved + keep  # room holds 2 * keep
        cdef PyObject** slots
        cdef PyObject** old_slots
        cdef PyObject* fresh
        # 0 <= got <= keep <= n == len(window); every index below is in
        # [0, n) of a tuple of n items, or in [0, keep) of moved or dropped
        if CAN_REUSE and refcount(<PyObject*>self.window) == 1:
            slots = sequence_items(<PyObject*>self.window)
            for i in range(keep):
                dropped[i] = slots[i]
            for i in range(n - keep):
                slots[i] = slots[i + keep]
            for i in range(got):
                slots[n - keep + i] = moved[i]
            for i in range(n - keep + got, n):
                incref(fill)
                slots[i] = fill
            tuple_refilled(<PyObject*>self.window)
            window = self.window
            release(dropped, keep)
            return window
        fresh = tuple_new_raw(n)
        if fresh == NULL:
            return self._failed(moved, got)
        # read after the allocation, which may have run a collection
        old_slots = sequence_items(<PyObject*>self.window)
        slots = sequence_items(fresh)
        for i in range(n - keep):
            incref(old_slots[keep + i])
            slots[i] = old_slots[keep + i]
        memcpy(slots + n - keep, moved, got * sizeof(PyObject*))
        for i in range(n - keep + got, n):
            incref(fill)
            slots[i] = fill
        window = steal(fresh)
        self.window = window  # may free the old one: the state is whole
        return window

    @cython.critical_section
    def __length_hint__(self):
        if self.it is None:
            return 0
        left = _length_hint(self.it, -1)
        if left < 0:
            return NotImplemented
        return windows_left(left, self.window is None, self.n, self.step, self.pads_first)


cdef class windowed(_Window):
    """windowed(seq, n, fillvalue=None, step=1)
--

Drop-in for :func:`more_itertools.windowed`: tuples of *n*
    consecutive items, each window *step* items after the previous one.
    A last window with too few items is filled up with *fillvalue*.

    >>> from cyiter import windowed
    >>> list(windowed("abcde", 3))
    [('a', 'b', 'c'), ('b', 'c', 'd'), ('c', 'd', 'e')]
    >>> list(windowed(range(7), 3, fillvalue=None, step=3))
    [(0, 1, 2), (3, 4, 5), (6, None, None)]
    """

    def __cinit__(self, *args, **kwargs):
        self.name = "windowed"
        self.pads_first = True

    def __init__(self, seq, n, fillvalue=None, step=1):
        it, n, fillvalue, step = windowed_args(seq, n, fillvalue, step)
        self._set(it, None, n, fillvalue, step)

    @cython.critical_section
    def __reduce__(self):
        state = (self.it, self.window, self.n, self.fillvalue, self.step)
        return (restore, ("windowed",), state)

    def __setstate__(self, state):
        it, window, n, fillvalue, step = window_state("windowed", state, True)
        self._set(it, window, n, fillvalue, step)


cdef class sliding_window(_Window):
    """sliding_window(iterable, n)
--

Drop-in for :func:`more_itertools.sliding_window` (the itertools
    recipe): tuples of *n* consecutive items, one item apart; nothing if
    the input has fewer than *n* items.

    >>> from cyiter import sliding_window
    >>> list(sliding_window([1, 2, 3, 4], 2))
    [(1, 2), (2, 3), (3, 4)]
    """

    def __cinit__(self, *args, **kwargs):
        self.name = "sliding_window"

    def __init__(self, iterable, n):
        it, n = sliding_window_args(iterable, n)
        self._set(it, None, n, None, 1)

    @cython.critical_section
    def __reduce__(self):
        return (restore, ("sliding_window",), (self.it, self.window, self.n))

    def __setstate__(self, state):
        it, window, n, fillvalue, step = window_state("sliding_window", state, False)
        self._set(it, window, n, fillvalue, step)
