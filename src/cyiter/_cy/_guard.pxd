# cython: language_level=3
"""The reentrancy and thread guard of every Cython ``__next__``.

Contract (the same as ``cyiter._py._guard``):

* the thread that is running ``__next__`` and calls it again (through its
  source or a callback) gets RuntimeError at once;
* another thread waits until the running call is over, so no item is lost
  or duplicated.

Methods that use it also run inside a critical section on ``self`` (the
``@cython.critical_section`` decorator, or a ``with
cython.critical_section(self)`` block in ``__next__``): on a free-threaded
build that makes the check-and-set below atomic.  A critical section is
suspended while its thread runs Python code that blocks, and on a GIL build
the GIL is released inside Python callbacks, so a second thread can observe
``running``; it then sleeps (releasing the GIL or its critical section)
until the owner is done.

A fast path may skip the guard only if it runs no Python code and
allocates nothing a garbage collection could start from (or re-reads the
state after allocating), and it must step aside while ``running`` is set.
"""

from cyiter._cy._capi cimport thread_tag


cdef struct Guard:
    # 0 while no call holds the guard, else the tag of the thread holding it
    # (a thread tag is never 0: an address, or a thread ident, for which
    # CPython's own locks use 0 as "no owner" too)
    unsigned long running


cdef inline int guard_enter(Guard* g, object owner) except -1:
    """Take the guard of *owner*: a str naming it in the error, or the
    iterator itself, named by its type (which costs nothing uncontended)."""
    if g.running:
        _contended(g, owner)
    g.running = thread_tag()
    return 0


cdef inline void guard_leave(Guard* g) noexcept:
    g.running = 0


cdef inline int _contended(Guard* g, object owner) except -1:
    """``running`` is set: re-entry raises, another thread waits its turn."""
    if g.running == thread_tag():
        from cyiter._state import reentered
        raise reentered(owner if isinstance(owner, str) else type(owner).__name__)
    from time import sleep
    cdef double delay = 0.0
    while g.running:
        sleep(delay)
        delay = min(delay * 2.0 + 1e-6, 1e-3)
    return 0
