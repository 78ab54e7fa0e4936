"""Cython twin of the sequences family: count, fibonacci.

The pure-Python twin is ``cyiter/_py/sequences.py``; both must behave the
same in every observable way (values, types, errors, repr, pickles).
"""

cimport cython
from cpython.long cimport PyLong_FromSsize_t
from cpython.number cimport PyNumber_Add, PyNumber_Check, PyNumber_Index
from cpython.tuple cimport PyTuple_GET_ITEM
from libc.stdint cimport UINT64_MAX, uint64_t

from cyiter._cy._guard cimport Guard, guard_enter, guard_leave

from operator import index as _index
import sys
from types import GenericAlias

from cyiter._state import restore


cdef Py_ssize_t SSIZE_MAX = sys.maxsize
cdef Py_ssize_t SSIZE_MIN = -sys.maxsize - 1
cdef object MAXSIZE = sys.maxsize  # compared with Python ints as it is


cdef inline bint _fits_ssize(object value):
    return SSIZE_MIN <= value <= SSIZE_MAX


cdef class count:
    """count(start=0, step=1)
--

    Drop-in for :func:`itertools.count`: start, start + step, ... for any
    numbers, with no overflow past ``sys.maxsize``; pickles and resumes.

    >>> from cyiter import count
    >>> c = count(3, 2)
    >>> next(c), next(c), c
    (3, 5, count(7, 2))
    """

    # fast mode: the value is the C integer ``cnt`` and the step ``cstep``
    # (both exact ints); slow mode: Python objects ``cur`` and ``step``.
    cdef bint _fast
    cdef Py_ssize_t _cnt
    cdef Py_ssize_t _cstep
    # fast mode goes on while lo <= cnt <= hi (then cnt + cstep cannot overflow)
    cdef Py_ssize_t _lo
    cdef Py_ssize_t _hi
    cdef object _cur
    cdef object _step
    cdef object __weakref__
    cdef Guard _guard

    def __cinit__(self, *args, **kwargs):
        # count.__new__(count) is count(0), as in the pure twin
        self._fast = True
        self._cnt = 0
        self._cstep = 1
        self._lo = SSIZE_MIN
        self._hi = SSIZE_MAX - 1
        self._step = 1

    @classmethod
    def __class_getitem__(cls, item, /):
        return GenericAlias(cls, item)

    def __init__(self, start=0, step=1):
        if not PyNumber_Check(start) or not PyNumber_Check(step):
            raise TypeError("a number is required")
        self._set(start, step)

    @cython.critical_section
    cdef int _set(self, start, step) except -1:
        guard_enter(&self._guard, self)  # not from inside a running call
        try:
            # itertools.count counts in C when start is an int and step is 1;
            # such a count yields exact ints even from an int subclass or bool.
            if isinstance(start, int) and isinstance(step, int) and int.__index__(step) == 1:
                value = int.__index__(start)
                if _fits_ssize(value):
                    start = value
                    step = 1
            if type(start) is int and type(step) is int and _fits_ssize(start) and _fits_ssize(step):
                self._fast = True
                self._cnt = start
                self._cstep = step
                self._lo = SSIZE_MIN - step if step < 0 else SSIZE_MIN
                self._hi = SSIZE_MAX - step if step > 0 else SSIZE_MAX
                self._cur = None
                self._step = step
            else:
                self._fast = False
                self._cur = start
                self._step = step
        finally:
            guard_leave(&self._guard)
        return 0

    def __iter__(self):
        return self

    @cython.critical_section
    def __next__(self):
        cdef Py_ssize_t value = self._cnt
        if self._fast and value <= self._hi and value >= self._lo:
            self._cnt = value + self._cstep
            return PyLong_FromSsize_t(value)
        return self._next_slow()

    cdef object _next_slow(self):
        cdef Py_ssize_t value
        if self._fast:
            # cnt + cstep would overflow Py_ssize_t: go on with Python ints
            value = self._cnt
            self._fast = False
            self._cur = PyNumber_Add(value, self._step)
            return value
        guard_enter(&self._guard, self)
        try:
            # local references: the addition may run Python code (__add__,
            # __radd__) that replaces self._cur and self._step meanwhile.
            # PyNumber_Add, not +: Cython's + gives 0 + x as x itself, which
            # is -0.0 for x = -0.0 where Python gives 0.0
            value_obj = self._cur
            step = self._step
            self._cur = PyNumber_Add(value_obj, step)
            return value_obj
        finally:
            guard_leave(&self._guard)

    @cython.critical_section
    def __reduce__(self):
        return (restore, ("count",), (self._cnt if self._fast else self._cur, self._step))

    def __setstate__(self, state):
        start, step = state
        self._set(start, step)

    def __repr__(self):
        value = self._cnt if self._fast else self._cur
        if isinstance(self._step, int) and int.__index__(self._step) == 1:
            return f"count({value!r})"
        return f"count({value!r}, {self._step!r})"


# F(0) .. F(93): every Fibonacci number below 2**64.
cdef enum:
    FIB_TABLE = 94
cdef uint64_t FIB[FIB_TABLE]
FIB[0] = 0
FIB[1] = 1
for _i in range(2, FIB_TABLE):
    FIB[_i] = FIB[_i - 1] + FIB[_i - 2]
# The same terms as Python ints, made once: the fast path hands out a new
# reference to one of these instead of allocating an int per term (ints
# are immutable, and no iterator promises a fresh object).
cdef tuple FIB_INTS = tuple([FIB[_i] for _i in range(FIB_TABLE)])

# what a slow step returns when the sequence has ended
cdef object DONE = object()


cdef class fibonacci:
    """fibonacci(n=None, *, max_value=None)
--

    0, 1, 1, 2, 3, 5, ... as Python ints of unbounded size: *n* terms (None:
    no limit), stopping before the first term greater than *max_value*.

    >>> from cyiter import fibonacci
    >>> list(fibonacci(10))
    [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    >>> list(fibonacci(max_value=10))
    [0, 1, 1, 2, 3, 5, 8]
    """

    # A zeroed object (``fibonacci.__new__``) is exhausted: remaining == 0.
    cdef object _n             # as given, for repr and pickles
    cdef object _max_value
    cdef Py_ssize_t _remaining  # terms still allowed by n; -1: no limit
    # Fast mode (``a`` is None): the next term is FIB[i], and terms
    # FIB[i] .. FIB[fast_end - 1] need no check at all (n, max_value and
    # 64 bits all allow them).  Slow mode: the next term is the Python int
    # ``a`` and the one after it ``b``; ``a`` is DONE once exhausted.
    cdef Py_ssize_t _i
    cdef Py_ssize_t _fast_end
    cdef object _a
    cdef object _b
    cdef object __weakref__
    cdef Guard _guard

    def __init__(self, n=None, *, max_value=None):
        if n is not None:
            n = PyNumber_Index(n)
            if n < 0:
                raise ValueError("n must be at least zero")
        if max_value is not None:
            0 > max_value  # a term must compare with it: fail now, not later
        self._set(n, max_value, 0, 1, n)

    @cython.critical_section
    cdef int _set(self, n, max_value, a, b, remaining) except -1:
        cdef Py_ssize_t i
        guard_enter(&self._guard, self)  # not from inside a running call
        try:
            self._n = n
            self._max_value = max_value
            self._remaining = -1 if remaining is None or remaining > MAXSIZE else remaining
            self._a = self._b = None
            if a is None:
                self._a = DONE
                self._fast_end = self._i = 0
                return 0
            if a == 0 and b == 1:  # the start (every new object): no search
                self._set_fast(0)
                return 0
            for i in range(FIB_TABLE - 1):
                if a == FIB[i] and b == FIB[i + 1]:
                    self._set_fast(i)
                    return 0
            self._a, self._b = a, b  # not on the table: slow mode from the start
            self._fast_end = self._i = 0
        finally:
            guard_leave(&self._guard)
        return 0

    cdef _set_fast(self, Py_ssize_t i):
        """Fast mode at FIB[i]: work out how far it may run unchecked."""
        cdef Py_ssize_t end = FIB_TABLE - 1  # keep FIB[end] for the switch
        cdef uint64_t limit
        max_value = self._max_value
        if self._remaining >= 0 and self._remaining < end - i:
            end = i + self._remaining
        if max_value is not None:
            if type(max_value) is int and 0 <= max_value <= UINT64_MAX:
                limit = max_value
                while end > i and FIB[end - 1] > limit:
                    end -= 1
            elif not (type(max_value) is int and max_value > UINT64_MAX):
                end = i  # compared in Python, term by term
        self._i = i
        self._fast_end = end

    def __iter__(self):
        return self

    def __next__(self):
        cdef Py_ssize_t i
        # (a critical section as a block, not a decorator, so that Cython can
        # end the iteration without creating a StopIteration)
        with cython.critical_section(self):
            i = self._i
            # the fast path runs no Python code: it needs no guard
            if i < self._fast_end and not self._guard.running:
                self._i = i + 1
                if self._remaining > 0:
                    self._remaining -= 1
                # 0 <= i (set by _set_fast, then only grows) and
                # i < fast_end <= FIB_TABLE - 1 < len(FIB_INTS)
                return <object>PyTuple_GET_ITEM(FIB_INTS, i)
            term = self._next_guarded()
        if term is DONE:
            raise StopIteration
        return term

    cdef object _next_guarded(self):
        guard_enter(&self._guard, self)
        try:
            return self._next_slow()
        finally:
            guard_leave(&self._guard)

    cdef object _next_slow(self):
        if self._remaining == 0 or self._a is DONE:
            return DONE
        if self._a is None:
            # leave fast mode at FIB[i] (i >= 0 and i + 1 < FIB_TABLE)
            self._a = FIB[self._i]
            self._b = <object>FIB[self._i] + (1 if self._i == 0 else FIB[self._i - 1])
        # local references: the comparison and the addition may run Python
        # code (__gt__, __add__) that replaces these attributes meanwhile
        term = self._a
        max_value = self._max_value
        if max_value is not None and term > max_value:
            self._a = DONE
            self._b = None
            return DONE
        b = self._b
        self._a, self._b = b, term + b
        if self._remaining > 0:
            self._remaining -= 1
        return term

    @cython.critical_section
    def __length_hint__(self):
        if self._remaining == 0 or self._a is DONE:
            return 0
        if self._max_value is None and self._remaining > 0:
            return self._remaining
        return NotImplemented

    @cython.critical_section
    def __reduce__(self):
        if self._remaining == 0 or self._a is DONE:
            a = b = None
        elif self._a is None:
            a, b = FIB[self._i], <object>FIB[self._i] + (1 if self._i == 0 else FIB[self._i - 1])
        else:
            a, b = self._a, self._b
        remaining = None if self._remaining < 0 else self._remaining
        return (restore, ("fibonacci",), (self._n, self._max_value, a, b, remaining))

    def __setstate__(self, state):
        n, max_value, a, b, remaining = state
        self._set(n, max_value, a, b, remaining)

    def __repr__(self):
        args = []
        if self._n is not None:
            args.append(repr(self._n))
        if self._max_value is not None:
            args.append(f"max_value={self._max_value!r}")
        return f"fibonacci({', '.join(args)})"
