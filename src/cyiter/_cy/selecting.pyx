"""Cython twin of the selecting family: unique_everseen, unique_justseen.

The pure-Python twin, ``cyiter/_py/selecting.py``, is the specification.
"""

cimport cython
from cpython.object cimport Py_EQ, PyObject
from cpython.set cimport PySet_Check, PySet_GET_SIZE

from cyiter._cy._capi cimport decref, iteration_stopped, iternextfunc, source_failed, steal, type_slots
from cyiter._cy._dropin cimport Dropin
from cyiter._cy._guard cimport guard_enter, guard_leave
from cyiter._cy._items cimport check_signals, signals_checked


from cyiter._dropins import check_callable, everseen_state, justseen_state
from cyiter._state import restore


cdef extern from "Python.h":
    # -1 with the error pending, for code that acts before raising it
    int set_add_raw "PySet_Add"(object, object) noexcept
    int compare_raw "PyObject_RichCompareBool"(object, object, int) noexcept
    # an exact int's value (never fails for one)
    long long_value "PyLong_AsLongAndOverflow"(object, int*) noexcept

# what a step returns when the iteration has ended
cdef object DONE = object()


cdef inline int ints_equal(a, b) noexcept:
    """``a == b`` for two exact ints that fit a C long (1 or 0), compared
    in C: no Python code could run, and the comparison costs a fifth of
    PyObject_RichCompareBool's; -1 for anything else."""
    cdef int overflow_a, overflow_b
    cdef long x, y
    if type(a) is not int or type(b) is not int:
        return -1
    x = long_value(a, &overflow_a)
    y = long_value(b, &overflow_b)
    if overflow_a or overflow_b:
        return -1
    return x == y


cdef class unique_everseen(Dropin):
    """unique_everseen(iterable, key=None)
--

Drop-in for :func:`more_itertools.unique_everseen`: each item (or
    each item whose ``key(item)`` is new) the first time it is seen.  Items
    (or keys) must be hashable, as in more-itertools.

    >>> from cyiter import unique_everseen
    >>> list(unique_everseen([3, 1, 3, 2, 1]))
    [3, 1, 2]
    >>> list(unique_everseen(["a", "B", "b", "A"], key=str.lower))
    ['a', 'B']
    """

    cdef object it  # None once exhausted
    cdef set seen  # the items, or the keys, seen so far
    cdef object key

    def __cinit__(self, *args, **kwargs):
        self.name = "unique_everseen"
        self.seen = set()

    def __init__(self, iterable, key=None):
        it = iter(iterable)
        if key is not None:
            check_callable(key)
        self._set(it, set(), key)

    @cython.final
    @cython.critical_section  # (the guard's check-and-set, atomic)
    cdef int _set(self, it, set seen, key) except -1:
        # the old values are released at the return, once the state is whole
        old = (self.it, self.seen, self.key)
        guard_enter(&self.guard, "unique_everseen")
        self.it = it
        self.seen = seen
        self.key = key
        guard_leave(&self.guard)
        return 0

    def __next__(self):
        cdef PyObject* item
        cdef Py_ssize_t size
        cdef Py_ssize_t done = 0
        cdef bint pulled
        # (a critical section as a block, not a decorator, so that Cython can
        # end the iteration without creating a StopIteration)
        with cython.critical_section(self):
            guard_enter(&self.guard, "unique_everseen")
            it = self.it  # held across the calls into the source
            pulled = self.key is None and it is not None
            if pulled:
                # The common case inline: items looked up as they are, by
                # adding them (the set grows only by a new one).
                seen = self.seen
                next_item = type_slots(it).tp_iternext
                while True:
                    item = next_item(<PyObject*>it)
                    if item == NULL:
                        break
                    size = PySet_GET_SIZE(seen)
                    if set_add_raw(seen, <object>item) < 0:
                        break
                    if PySet_GET_SIZE(seen) != size:
                        guard_leave(&self.guard)
                        return steal(item)
                    decref(item)
                    done += 1
                    if signals_checked(done) < 0:
                        break
            else:
                item = NULL
            result = self._next_guarded(pulled, item, done)
        if result is DONE:
            raise StopIteration
        return result

    @cython.final
    cdef object _next_guarded(self, bint pulled, PyObject* item, Py_ssize_t done):
        """Every other case, under the guard, which it leaves; *pulled*:
        ``__next__`` read the source, which gave *item*, and adding it
        raised (pending), or NULL: the source ended or raised."""
        cdef bint ok = False
        try:
            if pulled:
                if item != NULL:
                    self._add_failed(steal(item))
                elif source_failed() < 0:
                    steal(NULL)
                else:
                    self._exhaust()
            result = DONE if self.it is None else self._next_keyed(done)
            ok = True
            return result
        finally:
            if not ok:
                # as a generator, it ends at any exception
                self._exhaust()
            guard_leave(&self.guard)

    @cython.final
    cdef void _exhaust(self):
        self.it = None
        self.seen.clear()

    @cython.final
    cdef object _next_keyed(self, Py_ssize_t done):
        """The next new item, any key, after *done* items skipped."""
        cdef PyObject* item
        cdef Py_ssize_t size
        it = self.it  # held across the calls into the source
        seen = self.seen
        key = self.key
        cdef iternextfunc next_item = type_slots(it).tp_iternext
        while True:
            item = next_item(<PyObject*>it)
            if item == NULL:
                iteration_stopped()
                self._exhaust()
                return DONE
            value = steal(item)
            k = value if key is None else key(value)
            size = PySet_GET_SIZE(seen)
            if set_add_raw(seen, k) < 0:
                self._add_failed(k)
            elif PySet_GET_SIZE(seen) != size:
                return value
            done += 1
            check_signals(done)

    @cython.final
    cdef int _add_failed(self, k) except -1:
        """Adding *k* raised (pending): more-itertools looks *k* up first,
        which finds a set item as a frozenset.  Returns when found (the item
        is skipped), else raises the error."""
        try:
            steal(NULL)
        except TypeError:
            if PySet_Check(k) and k in self.seen:
                return 0
            raise
        return 0

    @cython.critical_section
    def __reduce__(self):
        return (restore, ("unique_everseen",), (self.it, set(self.seen), self.key))

    def __setstate__(self, state):
        it, seen, key = everseen_state(state)
        self._set(it, seen, key)


cdef class unique_justseen(Dropin):
    """unique_justseen(iterable, key=None)
--

Drop-in for :func:`more_itertools.unique_justseen`: the first item
    of each run of equal items (of items with equal ``key(item)``).  As in
    :func:`itertools.groupby`, each item is compared with the first item
    of the current run.

    >>> from cyiter import unique_justseen
    >>> list(unique_justseen([1, 1, 2, 2, 2, 1, 3]))
    [1, 2, 1, 3]
    >>> list(unique_justseen("aAbBa", str.lower))
    ['a', 'b', 'a']
    """

    cdef object it  # None once exhausted
    cdef object key
    # the key of the current run's first item, once there is one
    cdef bint started
    cdef object run_key
    # (item, key) read but not yet compared: its comparison raised; or None
    cdef object pending

    def __cinit__(self, *args, **kwargs):
        self.name = "unique_justseen"

    def __init__(self, iterable, key=None):
        it = iter(iterable)
        if key is not None:
            check_callable(key)
        self._set(it, key, False, None, None)

    @cython.final
    @cython.critical_section  # (the guard's check-and-set, atomic)
    cdef int _set(self, it, key, bint started, run_key, pending) except -1:
        old = (self.it, self.key, self.run_key, self.pending)
        guard_enter(&self.guard, "unique_justseen")
        self.it = it
        self.key = key
        self.started = started
        self.run_key = run_key
        self.pending = pending
        guard_leave(&self.guard)
        return 0

    def __next__(self):
        cdef PyObject* item = NULL
        cdef int same = 1  # (nothing compared yet)
        with cython.critical_section(self):
            guard_enter(&self.guard, "unique_justseen")
            it = self.it  # held across the calls into the source
            if self.started and self.key is None and self.pending is None and it is not None:
                # The common case inline: the next item, compared as it is,
                # starts a new run.
                item = type_slots(it).tp_iternext(<PyObject*>it)
                if item != NULL:
                    same = ints_equal(self.run_key, <object>item)
                    if same < 0:
                        same = compare_raw(self.run_key, <object>item, Py_EQ)
                    if same == 0:
                        self.run_key = <object>item
                        guard_leave(&self.guard)
                        return steal(item)
                    if same > 0:
                        decref(item)  # in the current run
                        item = NULL
                else:
                    same = source_failed()  # 0: the end; -1: raised
            result = self._next_guarded(item, same)
        if result is DONE:
            raise StopIteration
        return result

    @cython.final
    cdef object _next_guarded(self, PyObject* item, int same):
        """Every other case, under the guard, which it leaves.  What
        ``__next__`` found: the source ended (*item* NULL, *same* 0), or
        raised (NULL, -1, pending); an item whose comparison raised (-1,
        pending); else nothing to act on."""
        try:
            if same == 0:
                self._end()
                return DONE
            if same < 0:
                if item == NULL:
                    steal(NULL)
                self._compare_failed(steal(item))
            return self._next()
        finally:
            guard_leave(&self.guard)

    @cython.final
    cdef void _end(self):
        self.it = None
        self.started = False
        self.run_key = None

    @cython.final
    cdef object _next(self):
        # An error leaves the state as it was, as in groupby(): the source
        # is pulled again next time (an item whose key raised is lost).
        cdef PyObject* item
        cdef int same
        cdef Py_ssize_t done = 0
        it = self.it  # held across the calls into the source
        if it is None:
            return DONE
        key = self.key
        cdef iternextfunc next_item = type_slots(it).tp_iternext
        while True:
            if self.pending is None:
                item = next_item(<PyObject*>it)
                if item == NULL:
                    iteration_stopped()
                    self._end()
                    return DONE
                value = steal(item)
                k = value if key is None else key(value)
            else:
                value, k = self.pending
                self.pending = None
            if not self.started:
                self.started = True
                self.run_key = k
                return value
            same = ints_equal(self.run_key, k)
            if same < 0:
                same = compare_raw(self.run_key, k, Py_EQ)
            if same < 0:
                self._compare_failed(value, k)
            if not same:
                self.run_key = k
                return value
            done += 1
            check_signals(done)

    @cython.final
    cdef int _compare_failed(self, value, k=DONE) except -1:
        """Comparing the key *k* of *value* (*value* itself by default)
        raised (pending): the item is compared again next time, as
        groupby() does."""
        try:
            steal(NULL)
        except BaseException:
            self.pending = (value, value if k is DONE else k)
            raise
        return 0

    @cython.critical_section
    def __reduce__(self):
        state = (self.it, self.key, self.started, self.run_key, self.pending)
        return (restore, ("unique_justseen",), state)

    def __setstate__(self, state):
        it, key, started, run_key, pending = justseen_state(state)
        self._set(it, key, started, run_key, pending)
