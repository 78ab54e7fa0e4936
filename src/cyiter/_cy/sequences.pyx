"""Cython twin of the sequences family: count, fibonacci.

The pure-Python twin is ``cyiter/_py/sequences.py``; both must behave the
same in every observable way (values, types, errors, repr, pickles).
"""

cimport cython
from cpython.long cimport PyLong_FromSsize_t, PyLong_FromUnsignedLongLong
from cpython.number cimport PyNumber_Check
from libc.stdint cimport UINT64_MAX, uint64_t

from cyiter._cy._guard cimport Guard, guard_enter, guard_leave

from operator import index as _index
import sys

from cyiter._state import restore

__all__ = ["count", "fibonacci"]

cdef Py_ssize_t SSIZE_MAX = sys.maxsize
cdef Py_ssize_t SSIZE_MIN = -sys.maxsize - 1


cdef inline bint _fits_ssize(object value):
    return SSIZE_MIN <= value <= SSIZE_MAX


cdef class count:
    """count(start=0, step=1)

    Drop-in for :func:`itertools.count`: start, start + step, ... for any
    numbers, with no overflow past ``sys.maxsize``; pickles and resumes.

    >>> from cyiter import count
    >>> c = count(3, 2)
    >>> next(c), next(c), c
    (3, 5, count(7, 2))
    """

    # fast mode: the value is the C integer ``cnt`` and the step ``cstep``
    # (both exact ints); slow mode: Python objects ``cur`` and ``step``.
    cdef bint fast
    cdef Py_ssize_t cnt
    cdef Py_ssize_t cstep
    cdef object cur
    cdef object step
    cdef Guard guard

    def __cinit__(self, *args, **kwargs):
        self.fast = True
        self.cnt = 0
        self.cstep = 1
        self.step = 1

    def __init__(self, start=0, step=1):
        if not PyNumber_Check(start) or not PyNumber_Check(step):
            raise TypeError("a number is required")
        self._set(start, step)

    cdef _set(self, start, step):
        # itertools.count counts in C when start is an int and step is 1;
        # such a count yields exact ints even from an int subclass or bool.
        if isinstance(start, int) and isinstance(step, int) and int.__index__(step) == 1:
            value = int.__index__(start)
            if _fits_ssize(value):
                start = value
                step = 1
        if type(start) is int and type(step) is int and _fits_ssize(start) and _fits_ssize(step):
            self.fast = True
            self.cnt = start
            self.cstep = step
            self.cur = None
            self.step = step
        else:
            self.fast = False
            self.cur = start
            self.step = step

    def __iter__(self):
        return self

    @cython.critical_section
    def __next__(self):
        cdef Py_ssize_t value
        if self.fast:
            value = self.cnt
            if (self.cstep > 0 and value > SSIZE_MAX - self.cstep) or (
                self.cstep < 0 and value < SSIZE_MIN - self.cstep
            ):
                # the next value overflows Py_ssize_t: go on with Python ints
                self.fast = False
                self.cur = value + self.step
                return value
            self.cnt = value + self.cstep
            return PyLong_FromSsize_t(value)
        guard_enter(&self.guard, "count")
        try:
            value_obj = self.cur
            self.cur = value_obj + self.step
            return value_obj
        finally:
            guard_leave(&self.guard)

    @cython.critical_section
    def __reduce__(self):
        return (restore, ("count",), (self.cnt if self.fast else self.cur, self.step))

    @cython.critical_section
    def __setstate__(self, state):
        start, step = state
        self._set(start, step)

    @cython.critical_section
    def __repr__(self):
        value = self.cnt if self.fast else self.cur
        if isinstance(self.step, int) and int.__index__(self.step) == 1:
            return f"count({value!r})"
        return f"count({value!r}, {self.step!r})"


cdef class fibonacci:
    """fibonacci(n=None, *, max_value=None)

    0, 1, 1, 2, 3, 5, ... as Python ints of unbounded size: *n* terms (None:
    no limit), stopping before the first term greater than *max_value*.

    >>> from cyiter import fibonacci
    >>> list(fibonacci(10))
    [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    >>> list(fibonacci(max_value=10))
    [0, 1, 1, 2, 3, 5, 8]
    """

    cdef object n             # as given, for repr and pickles
    cdef object max_value
    cdef Py_ssize_t remaining  # -1: no limit
    cdef bint done
    # while the terms fit in 64 bits they live in ``ca``/``cb``; after that in
    # the Python ints ``a``/``b``.  ``a`` is the next term, ``b`` the one after.
    cdef bint fast
    cdef uint64_t ca
    cdef uint64_t cb
    cdef object a
    cdef object b
    # max_value as a C number when it is an int in [0, 2**64): cmax_mode 1
    cdef int cmax_mode
    cdef uint64_t cmax
    cdef Guard guard

    def __cinit__(self, *args, **kwargs):
        self.done = True
        self.remaining = 0

    def __init__(self, n=None, *, max_value=None):
        if n is not None:
            n = _index(n)
            if n < 0:
                raise ValueError("n must be at least zero")
        if max_value is not None:
            0 > max_value  # a term must compare with it: fail now, not later
        self._set(n, max_value, 0, 1, n)

    cdef _set(self, n, max_value, a, b, remaining):
        self.n = n
        self.max_value = max_value
        self.done = a is None
        if remaining is None or remaining > SSIZE_MAX:
            self.remaining = -1
        else:
            self.remaining = remaining
        if not self.done and b <= UINT64_MAX:
            self.fast = True
            self.ca = a
            self.cb = b
            self.a = self.b = None
        else:
            self.fast = False
            self.a = a
            self.b = b
        self.cmax_mode = 0
        if type(max_value) is int and 0 <= max_value <= UINT64_MAX:
            self.cmax_mode = 1
            self.cmax = max_value

    def __iter__(self):
        return self

    @cython.critical_section
    def __next__(self):
        cdef uint64_t term
        if self.guard.running or not (self.fast and (self.max_value is None or self.cmax_mode == 1)):
            guard_enter(&self.guard, "fibonacci")
            try:
                return self._next_slow()
            finally:
                guard_leave(&self.guard)
        # below, no Python code runs: no guard needed
        if self.done or self.remaining == 0:
            self.done = True
            raise StopIteration
        term = self.ca
        if self.cmax_mode == 1 and term > self.cmax:
            self.done = True
            raise StopIteration
        if self.cb > UINT64_MAX - term:
            # the term after next overflows 64 bits: continue in Python
            self.fast = False
            self.a = self.cb
            self.b = <object>term + self.cb
        else:
            self.ca = self.cb
            self.cb = term + self.cb
        if self.remaining > 0:
            self.remaining -= 1
        return PyLong_FromUnsignedLongLong(term)

    cdef object _next_slow(self):
        if self.done or self.remaining == 0:
            self.done = True
            raise StopIteration
        if self.fast:
            self.fast = False
            self.a = self.ca
            self.b = self.cb
        term = self.a
        if self.max_value is not None and term > self.max_value:
            self.done = True
            self.a = self.b = None
            raise StopIteration
        self.a, self.b = self.b, term + self.b
        if self.remaining > 0:
            self.remaining -= 1
        return term

    @cython.critical_section
    def __length_hint__(self):
        if self.done:
            return 0
        if self.max_value is None and self.remaining >= 0:
            return self.remaining
        return NotImplemented

    @cython.critical_section
    def __reduce__(self):
        if self.done or self.remaining == 0:
            a = b = None
        elif self.fast:
            a, b = self.ca, self.cb
        else:
            a, b = self.a, self.b
        remaining = None if self.remaining < 0 else self.remaining
        return (restore, ("fibonacci",), (self.n, self.max_value, a, b, remaining))

    @cython.critical_section
    def __setstate__(self, state):
        n, max_value, a, b, remaining = state
        self._set(n, max_value, a, b, remaining)

    def __repr__(self):
        args = []
        if self.n is not None:
            args.append(repr(self.n))
        if self.max_value is not None:
            args.append(f"max_value={self.max_value!r}")
        return f"fibonacci({', '.join(args)})"
