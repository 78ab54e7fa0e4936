"""Cython twin of the async flattening family: aflatten.

The pure-Python twin is ``cyiter/_py/aioflattening.py``.  An item of a
sync inner iterable is handed out by a ``_Step`` that completes at its
first ``send`` (aio.pyx); the outer iterable and async inner ones are
awaited by the step.
"""

from cpython.object cimport PyObject

from cyiter._cy._capi cimport iteration_stopped, steal, type_slots
from cyiter._cy.aio cimport AsyncIter

from types import GenericAlias


cdef class aflatten(AsyncIter):
    """aflatten(aiterable)
--

    One level of flattening of an async iterable whose items are iterables,
    sync or async (an item with ``__aiter__`` is iterated asynchronously):
    :meth:`itertools.chain.from_iterable`'s rules, so an error from the
    outer iterable, or an item that is not iterable, ends it, and an error
    from an inner one propagates and that inner one is asked again next.

    >>> import asyncio
    >>> from cyiter.aio import aflatten
    >>> async def inner():
    ...     yield 3
    ...     yield 4
    >>> async def outer():
    ...     yield [1, 2]
    ...     yield inner()
    ...     yield "ab"
    >>> async def main():
    ...     return [x async for x in aflatten(outer())]
    >>> asyncio.run(main())
    [1, 2, 3, 4, 'a', 'b']
    """

    cdef object outer           # the async iterable's iterator; None once ended
    cdef object inner           # the current inner iterator, or None
    cdef bint inner_async
    cdef bint pulling_outer     # what the step awaits: the outer or the inner

    def __cinit__(self, *args, **kwargs):
        self.name = "aflatten"

    @classmethod
    def __class_getitem__(cls, item, /):
        """``aflatten[...]`` in annotations, as the stubs allow."""
        return GenericAlias(cls, item)

    def __init__(self, aiterable):
        outer = aiter(aiterable)
        self.enter()
        try:
            self.outer = outer
            self.inner = None
        finally:
            self.leave()

    cdef object _begin(self):
        cdef PyObject* item
        while True:
            inner = self.inner  # held across its next()
            if inner is not None:
                if self.inner_async:
                    self.pulling_outer = False
                    return self.wait(inner, True)
                item = type_slots(inner).tp_iternext(<PyObject*>inner)
                if item != NULL:
                    return steal(item)
                iteration_stopped()  # raises what the inner iterator raised
                self.inner = None
            if self.outer is None:
                raise StopAsyncIteration
            self.pulling_outer = True
            return self.wait(self.outer, True)

    cdef object _got(self, object value):
        if not self.pulling_outer:
            return value
        try:
            if hasattr(type(value), "__aiter__"):
                self.inner, self.inner_async = aiter(value), True
            else:
                self.inner, self.inner_async = iter(value), False
        except BaseException:
            self.outer = None
            raise
        return self._begin()

    cdef object _failed(self, object exc):
        if self.pulling_outer:
            self.outer = None
        elif isinstance(exc, StopAsyncIteration):
            self.inner = None
            return self._begin()
        raise exc

    cdef object _close(self):
        self.outer = None
        self.inner = None
        return None
