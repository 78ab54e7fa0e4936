# cython: language_level=3
"""The base class of every cyiter.aio iterator, for the families to cimport.

The protocol is told in aio.pyx (``AsyncIter``) and in docs/internals.md,
"Async iterators".
"""


cdef class AsyncIter:
    # a _Step is running one of the hooks, or is suspended in a wait it
    # asked for; only its holder touches the state
    cdef bint running
    cdef object awaiting      # what the running step awaits next, or None
    cdef bint awaiting_anext  # ... await awaiting.__anext__() instead
    cdef object resume        # or a wait a hook began, which suspended
    cdef object yielded       # ... yielding this
    cdef str name             # the public name, set by the subclass
    cdef object __weakref__

    cdef int enter(self) except -1
    cdef void leave(self) noexcept
    cdef object wait(self, object obj, bint anext)
    cdef object suspended(self, object it, object yielded)
    cdef object _begin(self)
    cdef object _got(self, object value)
    cdef object _failed(self, object exc)
    cdef int _interrupted(self) except -1
    cdef object _close(self)
