# cython: language_level=3
"""Helpers of the Cython twins that hold items in C arrays or pull long
runs of items in one call (the more-itertools drop-ins)."""

from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject
from cpython.pyport cimport PY_SSIZE_T_MAX

from cyiter._cy._capi cimport decref, thread_tag
from cyiter._cy._guard cimport Guard


cdef enum:
    # a loop that pulls items without returning checks for signals (Ctrl-C)
    # once every this many items (docs/internals.md, "Signals")
    SIGNAL_EVERY = 4096


cdef inline void release(PyObject** items, Py_ssize_t count) noexcept:
    """Drop the references ``items[0:count]``; each may run a ``__del__``,
    so the caller holds its guard and its state is whole."""
    cdef Py_ssize_t i
    for i in range(count):
        decref(items[i])


cdef extern from "Python.h":
    int signals_raw "PyErr_CheckSignals"() noexcept
    # sets MemoryError, for code that cleans up before raising it
    PyObject* set_no_memory "PyErr_NoMemory"() noexcept


cdef inline int signals_checked(Py_ssize_t done) noexcept:
    """In a long loop, after ``done`` steps: run the signal handlers once
    every SIGNAL_EVERY steps.  -1 leaves the exception one raised (a
    KeyboardInterrupt) pending, for a caller that cleans up first."""
    if (done & (SIGNAL_EVERY - 1)) == 0:
        return signals_raw()
    return 0


cdef inline int check_signals(Py_ssize_t done) except -1:
    """``signals_checked``, raising the exception at once."""
    return signals_checked(done)



cdef inline void guard_take(Guard* g) noexcept:
    """``guard_enter`` for a fast path that has just seen the guard free,
    in the same critical section: it can neither wait nor raise."""
    g.running = thread_tag()


cdef inline PyObject** new_pairs(PyObject** old, Py_ssize_t half) noexcept:
    """An array of ``2 * half`` pointers in place of *old*, which is freed
    (it holds nothing between calls); NULL with MemoryError set."""
    cdef PyObject** fresh = NULL
    PyMem_Free(old)
    if half <= PY_SSIZE_T_MAX // (2 * <Py_ssize_t>sizeof(PyObject*)):
        fresh = <PyObject**>PyMem_Malloc(2 * half * sizeof(PyObject*))
    if fresh == NULL:
        set_no_memory()
    return fresh
