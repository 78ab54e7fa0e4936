"""Cython twin of the sequences family: count, fibonacci.

The pure-Python twin is ``cyiter/_py/sequences.py``; both must behave the
same in every observable way (values, types, errors, repr, pickles).
"""

cimport cython
from cpython.long cimport PyLong_FromSsize_t
from cpython.number cimport PyNumber_Check, PyNumber_Index
from cpython.tuple cimport PyTuple_GET_ITEM
from libc.stdint cimport UINT64_MAX, uint64_t

from cyiter._cy._guard cimport Guard, guard_enter, guard_leave

from operator import index as _index
import sys
from types import GenericAlias

from cyiter._state import restore


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
    # fast mode goes on while lo <= cnt <= hi (then cnt + cstep cannot overflow)
    cdef Py_ssize_t lo
    cdef Py_ssize_t hi
    cdef object cur
    cdef object step
    cdef object __weakref__
    cdef Guard guard

    def __cinit__(self, *args, **kwargs):
        # count.__new__(count) is count(0), as in the pure twin
        self.fast = True
        self.cnt = 0
        self.cstep = 1
        self.lo = SSIZE_MIN
        self.hi = SSIZE_MAX - 1
        self.step = 1

    @classmethod
    def __class_getitem__(cls, item, /):
        """``count[...]`` in annotations, as the stubs allow."""
        return GenericAlias(cls, item)

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
            self.lo = SSIZE_MIN - step if step < 0 else SSIZE_MIN
            self.hi = SSIZE_MAX - step if step > 0 else SSIZE_MAX
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
        cdef Py_ssize_t value = self.cnt
        if self.fast and value <= self.hi and value >= self.lo:
            self.cnt = value + self.cstep
            return PyLong_FromSsize_t(value)
        return self._next_slow()

    cdef object _next_slow(self):
        cdef Py_ssize_t value
        if self.fast:
            # cnt + cstep would overflow Py_ssize_t: go on with Python ints
            value = self.cnt
            self.fast = False
            self.cur = value + self.step
            return value
        guard_enter(&self.guard, "count")
        try:
            # local references: the addition may run Python code (__add__,
            # __radd__) that replaces self.cur and self.step meanwhile
            value_obj = self.cur
            step = self.step
            self.cur = value_obj + step
            return value_obj
        finally:
            guard_leave(&self.guard)

    @cython.critical_section
    def __reduce__(self):
        return (restore, ("count",), (self.cnt if self.fast else self.cur, self.step))

    @cython.critical_section
    def __setstate__(self, state):
        start, step = state
        guard_enter(&self.guard, "count")  # not from inside a running next()
        try:
            self._set(start, step)
        finally:
            guard_leave(&self.guard)

    def __repr__(self):
        value = self.cnt if self.fast else self.cur
        if isinstance(self.step, int) and int.__index__(self.step) == 1:
            return f"count({value!r})"
        return f"count({value!r}, {self.step!r})"


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

    0, 1, 1, 2, 3, 5, ... as Python ints of unbounded size: *n* terms (None:
    no limit), stopping before the first term greater than *max_value*.

    >>> from cyiter import fibonacci
    >>> list(fibonacci(10))
    [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
    >>> list(fibonacci(max_value=10))
    [0, 1, 1, 2, 3, 5, 8]
    """

    # A zeroed object (``fibonacci.__new__``) is exhausted: remaining == 0.
    cdef object n             # as given, for repr and pickles
    cdef object max_value
    cdef Py_ssize_t remaining  # terms still allowed by n; -1: no limit
    # Fast mode (``a`` is None): the next term is FIB[i], and terms
    # FIB[i] .. FIB[fast_end - 1] need no check at all (n, max_value and
    # 64 bits all allow them).  Slow mode: the next term is the Python int
    # ``a`` and the one after it ``b``; ``a`` is DONE once exhausted.
    cdef Py_ssize_t i
    cdef Py_ssize_t fast_end
    cdef object a
    cdef object b
    cdef object __weakref__
    cdef Guard guard

    def __init__(self, n=None, *, max_value=None):
        cdef Py_ssize_t remaining = -1
        if n is not None:
            n = PyNumber_Index(n)
            if n < 0:
                raise ValueError("n must be at least zero")
            if n <= SSIZE_MAX:
                remaining = n
        if max_value is not None:
            0 > max_value  # a term must compare with it: fail now, not later
        self.n = n
        self.max_value = max_value
        self.remaining = remaining
        self.a = self.b = None
        self._set_fast(0)

    cdef _set(self, n, max_value, a, b, remaining):
        cdef Py_ssize_t i
        self.n = n
        self.max_value = max_value
        self.remaining = -1 if remaining is None or remaining > SSIZE_MAX else remaining
        self.a = self.b = None
        if a is None:
            self.a = DONE
            self.fast_end = self.i = 0
            return
        for i in range(FIB_TABLE - 1):
            if a == FIB[i] and b == FIB[i + 1]:
                self._set_fast(i)
                return
        self.a, self.b = a, b  # not on the table: slow mode from the start
        self.fast_end = self.i = 0

    cdef _set_fast(self, Py_ssize_t i):
        """Fast mode at FIB[i]: work out how far it may run unchecked."""
        cdef Py_ssize_t end = FIB_TABLE - 1  # keep FIB[end] for the switch
        cdef uint64_t limit
        max_value = self.max_value
        if self.remaining >= 0 and self.remaining < end - i:
            end = i + self.remaining
        if max_value is not None:
            if type(max_value) is int and 0 <= max_value <= UINT64_MAX:
                limit = max_value
                while end > i and FIB[end - 1] > limit:
                    end -= 1
            elif not (type(max_value) is int and max_value > UINT64_MAX):
                end = i  # compared in Python, term by term
        self.i = i
        self.fast_end = end

    def __iter__(self):
        return self

    def __next__(self):
        cdef Py_ssize_t i
        # (a critical section as a block, not a decorator, so that Cython can
        # end the iteration without creating a StopIteration)
        with cython.critical_section(self):
            i = self.i
            # the fast path runs no Python code: it needs no guard
            if i < self.fast_end and not self.guard.running:
                self.i = i + 1
                if self.remaining > 0:
                    self.remaining -= 1
                # 0 <= i (set by _set_fast, then only grows) and
                # i < fast_end <= FIB_TABLE - 1 < len(FIB_INTS)
                return <object>PyTuple_GET_ITEM(FIB_INTS, i)
            term = self._next_guarded()
        if term is DONE:
            raise StopIteration
        return term

    cdef object _next_guarded(self):
        guard_enter(&self.guard, "fibonacci")
        try:
            return self._next_slow()
        finally:
            guard_leave(&self.guard)

    cdef object _next_slow(self):
        if self.remaining == 0 or self.a is DONE:
            return DONE
        if self.a is None:
            # leave fast mode at FIB[i] (i >= 0 and i + 1 < FIB_TABLE)
            self.a = FIB[self.i]
            self.b = <object>FIB[self.i] + (1 if self.i == 0 else FIB[self.i - 1])
        # local references: the comparison and the addition may run Python
        # code (__gt__, __add__) that replaces these attributes meanwhile
        term = self.a
        max_value = self.max_value
        if max_value is not None and term > max_value:
            self.a = DONE
            self.b = None
            return DONE
        b = self.b
        self.a, self.b = b, term + b
        if self.remaining > 0:
            self.remaining -= 1
        return term

    @cython.critical_section
    def __length_hint__(self):
        if self.remaining == 0 or self.a is DONE:
            return 0
        if self.max_value is None and self.remaining > 0:
            return self.remaining
        return NotImplemented

    @cython.critical_section
    def __reduce__(self):
        if self.remaining == 0 or self.a is DONE:
            a = b = None
        elif self.a is None:
            a, b = FIB[self.i], <object>FIB[self.i] + (1 if self.i == 0 else FIB[self.i - 1])
        else:
            a, b = self.a, self.b
        remaining = None if self.remaining < 0 else self.remaining
        return (restore, ("fibonacci",), (self.n, self.max_value, a, b, remaining))

    @cython.critical_section
    def __setstate__(self, state):
        n, max_value, a, b, remaining = state
        guard_enter(&self.guard, "fibonacci")  # not from inside a running next()
        try:
            self._set(n, max_value, a, b, remaining)
        finally:
            guard_leave(&self.guard)

    def __repr__(self):
        args = []
        if self.n is not None:
            args.append(repr(self.n))
        if self.max_value is not None:
            args.append(f"max_value={self.max_value!r}")
        return f"fibonacci({', '.join(args)})"
