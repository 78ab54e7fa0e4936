"""Cython twin of the async batching family: abatched, achunked.

The pure-Python twin is ``cyiter/_py/aiobatching.py``.  Without a timeout
the source is awaited by the ``_Step`` of each ``__anext__()`` (aio.pyx):
a batch whose items all come without suspending is made and handed out
with no coroutine, task or future.  With a timeout the source is pulled by
a task of its own (``cyiter._aio.Feed``, shared by both twins) while the
consumer waits on a future of its own, so that the timeout never cancels
a pending ``__anext__()`` of the source.
"""

from cpython.list cimport PyList_AsTuple, PyList_GetSlice
from cpython.object cimport PyObject

from cyiter._cy._capi cimport (
    PYGEN_NEXT,
    PYGEN_RETURN,
    PySendResult,
    await_start,
    decref,
    fetch_error_raw,
    incref,
    list_clear,
    list_item,
    list_new_raw,
    list_set_item,
    list_size,
    steal,
    tuple_new_raw,
    tuple_set_item,
)
from cyiter._cy.aio cimport AsyncIter

from types import GenericAlias

from cyiter._aio import TAKE, Feed, timeout_arg
from cyiter._batchargs import batched_args, chunked_args


cdef class _AGrouper(AsyncIter):
    cdef object source          # the async iterator; None once exhausted
    cdef Py_ssize_t n           # batch size; -1: everything in one batch
    cdef bint strict
    cdef bint end_on_error      # any error from the source ends it
    # The batch being built.  Without a timeout: its first ``count`` slots,
    # the others hold None, so that the list's storage serves batch after
    # batch (see _add and _take); with one: the whole list, which the
    # feed's puller appends to.
    cdef list items
    cdef Py_ssize_t count
    cdef object error           # raised by the next __anext__(), after a batch
    cdef object feed            # a cyiter._aio.Feed with a timeout, else None
    # set by the subclass
    cdef bint as_list
    cdef str incomplete         # the strict-mode message

    def __cinit__(self, *args, **kwargs):
        self.n = 1
        self.items = []

    cdef int _set(self, source, Py_ssize_t n, bint strict, timeout, bint end_on_error) except -1:
        self.enter()
        try:
            old = self.feed
            self.source = source
            self.n = n
            self.strict = strict
            self.end_on_error = end_on_error
            self.items = items = []
            self.count = 0
            self.error = None
            self.feed = None
            if timeout is not None and source is not None:
                self.feed = Feed(self.name, source, items, n, timeout)
        finally:
            self.leave()
        del old  # its finaliser may run code: not while entered
        return 0

    cdef object _begin(self):
        error = self.error
        if error is not None:
            self.error = None
            raise error
        if self.source is None:
            raise StopAsyncIteration
        if self.feed is not None:
            return self._timed()
        return self._pull()

    cdef object _got(self, object value):
        if self.feed is not None:  # the wait for the puller is over
            self.feed.unwait()
            return self._timed()
        self._add(value)
        return self._pull()

    cdef object _pull(self):
        """Await the source's items while they come without suspending: a
        full batch, or what its end or error makes of the batch, or the
        source's wait that suspended, for the step to resume."""
        cdef PyObject* it
        cdef PyObject* value
        cdef PySendResult status
        source = self.source  # held across its calls
        while self.count != self.n:
            status = await_start(source, True, &it, &value)
            if status == PYGEN_RETURN:
                self._add(steal(value))
            elif status == PYGEN_NEXT:
                return self.suspended(steal(it), steal(value))
            else:
                return self._settle(steal(fetch_error_raw()))
        return self._take()

    cdef object _failed(self, object exc):
        if self.feed is not None:  # the consumer's wait was cancelled
            self.feed.unwait()
            raise exc
        return self._settle(exc)

    cdef int _interrupted(self) except -1:
        if self.feed is not None:
            self.feed.unwait()
        return 0

    cdef object _timed(self):
        step = self.feed.next_step(self.n)
        if step is TAKE:
            return self._take()
        if isinstance(step, BaseException):
            return self._settle(step)
        return self.wait(step, False)

    cdef object _settle(self, object exc):
        """The source raised ``exc``: StopAsyncIteration ends the iteration
        (the last batch first); an Exception behind a non-empty batch is
        raised by the next call, after the batch; anything else is raised
        at once and the batch so far kept for the next call."""
        items = self.count if self.feed is None else len(self.items)
        if isinstance(exc, StopAsyncIteration):
            batch = self._take() if items else None
            self._exhaust()
            if batch is None:
                raise StopAsyncIteration
            if self.strict:
                raise ValueError(self.incomplete)
            return batch
        if items and not self.strict and isinstance(exc, Exception):
            self.error = exc
            return self._take()
        if self.end_on_error:
            self._exhaust()
        raise exc

    cdef inline int _add(self, object value) except -1:
        """Put ``value`` in the next slot (no timeout).  The slot's None is
        let go last: the list is whole if that runs code (it does not, but
        for a list that code reached through gc.get_referents and filled)."""
        cdef PyObject* old
        cdef Py_ssize_t k = self.count
        items = self.items
        if k < list_size(<PyObject*>items):
            old = list_item(<PyObject*>items, k)
            incref(<PyObject*>value)
            list_set_item(<PyObject*>items, k, <PyObject*>value)
            decref(old)
        else:
            items.append(value)
        self.count = k + 1
        return 0

    cdef object _take(self):
        """The batch built so far, as a new tuple or list."""
        cdef PyObject* batch
        cdef PyObject* item
        cdef Py_ssize_t i, k
        items = self.items
        if self.feed is not None:
            result = PyList_GetSlice(items, 0, len(items)) if self.as_list else PyList_AsTuple(items)
            list_clear(items)
            self.feed.taken()
            return result
        # the items move from their slots into the batch, None back in
        # their place; code that reached the list (gc.get_referents) and
        # shortened it gets the slots that are left
        k = min(self.count, list_size(<PyObject*>items))
        batch = list_new_raw(k) if self.as_list else tuple_new_raw(k)
        if batch == NULL:
            return steal(batch)  # MemoryError; the items stay
        # 0 <= i < k <= len(items) == len(batch); nothing here runs code
        for i in range(k):
            item = list_item(<PyObject*>items, i)
            incref(<PyObject*>None)
            list_set_item(<PyObject*>items, i, <PyObject*>None)
            if self.as_list:
                list_set_item(batch, i, item)
            else:
                tuple_set_item(batch, i, item)
        self.count = 0
        return steal(batch)

    cdef int _exhaust(self) except -1:
        self.source = None
        self.feed = None
        self.count = 0
        list_clear(self.items)
        return 0

    cdef object _close(self):
        feed = self.feed
        self._exhaust()
        self.error = None
        return None if feed is None else feed.close()


cdef class abatched(_AGrouper):
    """abatched(aiterable, n, *, strict=False, timeout=None)
--

    :func:`itertools.batched` over an async iterable: tuples of *n* items,
    the last one shorter, or ValueError for a short last batch when
    *strict* is true.  With *timeout* (seconds), a batch is also handed
    out *timeout* seconds after its first item, however short; the
    source's pending ``__anext__()`` is never cancelled by it, and its item
    opens the next batch.  An exception from the source behind a partial
    batch is raised by the next ``__anext__()``, after that batch.

    >>> import asyncio
    >>> from cyiter.aio import abatched
    >>> async def letters():
    ...     for c in "ABCDEFG":
    ...         yield c
    >>> async def main():
    ...     return [batch async for batch in abatched(letters(), 3)]
    >>> asyncio.run(main())
    [('A', 'B', 'C'), ('D', 'E', 'F'), ('G',)]
    """

    def __cinit__(self, *args, **kwargs):
        self.name = "abatched"
        self.incomplete = "batched(): incomplete batch"

    @classmethod
    def __class_getitem__(cls, item, /):
        """``abatched[...]`` in annotations, as the stubs allow."""
        return GenericAlias(cls, item)

    def __init__(self, aiterable, Py_ssize_t n, *, strict=False, timeout=None):
        source, _, n, strict = batched_args(aiterable, n, strict, aiter)
        self._set(source, n, strict, timeout_arg(timeout), False)


cdef class achunked(_AGrouper):
    """achunked(aiterable, n, strict=False, *, timeout=None)
--

    :func:`more_itertools.chunked` over an async iterable: lists of *n*
    items, the last one shorter; ``n=None`` gives one list of everything;
    with *strict*, a short last list raises ValueError instead.  *timeout*
    as for :class:`abatched`.

    >>> import asyncio
    >>> from cyiter.aio import achunked
    >>> async def numbers():
    ...     for i in range(1, 9):
    ...         yield i
    >>> async def main():
    ...     return [chunk async for chunk in achunked(numbers(), 3)]
    >>> asyncio.run(main())
    [[1, 2, 3], [4, 5, 6], [7, 8]]
    """

    def __cinit__(self, *args, **kwargs):
        self.name = "achunked"
        self.incomplete = "iterable is not divisible by n."
        self.as_list = True

    @classmethod
    def __class_getitem__(cls, item, /):
        """``achunked[...]`` in annotations, as the stubs allow."""
        return GenericAlias(cls, item)

    def __init__(self, aiterable, n, strict=False, *, timeout=None):
        source, _, n, strict = chunked_args(aiterable, n, strict, aiter)
        # a generator in more-itertools when strict: any error ends it
        self._set(source, n, strict, timeout_arg(timeout), strict)
