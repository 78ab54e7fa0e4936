"""Cython twin of the async readers: aread_chunks, aread_lines, aread_csv, aread_jsonl.

The pure-Python twin is ``cyiter/_py/aioreaders.py``.  An async reader
drives a sync reader of this twin, which reads a ``cyiter._aioread.Feed``
instead of the file: ``__anext__()`` returns a ``_Step`` (aio.pyx) that
completes at its first ``send`` with the sync reader's next item when its
bytes are in memory, and otherwise awaits the read of the next buffer in a
worker thread (docs/internals.md, "Async readers").
"""

cimport cython
from cpython.object cimport PyObject

from cyiter._cy._capi cimport (
    PyErr_ExceptionMatches,
    fetch_error_raw,
    iteration_stopped,
    steal,
    type_slots,
)
from cyiter._cy.aio cimport AsyncIter
from cyiter._cy.readers cimport _Reader

from types import GenericAlias

from cyiter._aioread import Feed, described, forwarded
from cyiter._cy.delimited import read_csv
from cyiter._cy.jsonl import read_jsonl
from cyiter._cy.readers import read_chunks, read_lines
from cyiter._state import restore


cdef _rehome(_Reader reader, src):
    """Move *reader*, which has read nothing yet, onto the Source *src* of
    the same file, where it is (its state as a pickle would resume it)."""
    cdef long long at = reader.base + reader.pos
    extra = reader._extra_state()
    reader._open(src)
    reader._resume(at, extra)


cdef _retire(reader, feed):
    """Close a sync reader let go of: now, or once its read in flight ends."""
    if feed is not None and feed.running:
        feed.then = reader.close
    else:
        reader.close()


cdef class _AReader(AsyncIter):
    """The async reader over a sync reader (``_sync``, of the subclass)."""

    cdef object reader       # the sync reader, driven on the event loop's thread
    cdef object feed         # what it reads (a Feed); None for an empty reader
    cdef bint busy           # a job of the feed was started and is not settled
    cdef bint positioning    # the reader must find its range's first item first
    cdef bint closed         # by aclose(): later __anext__() calls end at once

    def __cinit__(self, *args, **kwargs):
        cls = type(self)
        self.name = cls._name
        self.reader = cls._sync.__new__(cls._sync)

    def __init__(self, *args, **kwargs):
        sync = type(self)._sync
        cdef _Reader reader = sync.__new__(sync)
        self.enter()
        try:
            reader.__init__(*args, **kwargs)
            old = self._swap(reader, reader.options["start"] > 0)
        finally:
            self.leave()
        _retire(old[0], old[1])

    @classmethod
    def __class_getitem__(cls, item, /):
        """``aread_lines[...]`` in annotations, as the stubs allow."""
        return GenericAlias(cls, item)

    cdef tuple _swap(self, _Reader reader, bint positioning):
        """Read from now on with *reader*; the reader and feed replaced."""
        old = (self.reader, self.feed)
        feed = None
        if reader.src is not None:
            feed = Feed(reader.src)
            _rehome(reader, feed.source())
        # (read outside __anext__() by _parts, in a critical section)
        with cython.critical_section(self):
            self.reader = reader
            self.feed = feed
        self.busy = False
        self.closed = False
        self.positioning = positioning and feed is not None
        return old

    cdef object _begin(self):
        cdef PyObject* item
        if self.busy or self.positioning or self.closed:
            return self._slow()
        reader = self.reader  # held across its next()
        item = type_slots(reader).tp_iternext(<PyObject*>reader)
        if item != NULL:
            return steal(item)
        return self._stopped()

    cdef object _stopped(self):
        """The sync reader gave nothing: it has ended, failed, or found the
        feed empty, and the next buffer is read in the worker thread."""
        feed = self.feed
        if PyErr_ExceptionMatches(<PyObject*>BlockingIOError) and feed is not None:
            exc = steal(fetch_error_raw())
            if not feed.fetch(self.name):
                raise exc  # (the file's own)
            self.busy = True
            return self.wait(feed.wait(self.name), False)
        iteration_stopped()  # (raises what the reader raised)
        return self._ended()

    cdef object _ended(self):
        """The sync reader has ended: so does this one, once the read ahead
        in flight, if any, has (and the file with it)."""
        feed = self.feed
        if feed is not None and feed.running:
            self.busy = True
            return self.wait(feed.wait(self.name), False)
        raise StopAsyncIteration

    cdef object _slow(self):
        """Not an item at hand: the end after aclose(), a job to wait for
        or to settle, the positioning to start; then the next item."""
        if self.closed:
            raise StopAsyncIteration
        feed = self.feed
        if self.busy:
            if feed.running:
                return self.wait(feed.wait(self.name), False)
            self.busy = False
            feed.settle()
            self.positioning = False
        if self.positioning:
            feed.position(self.name, self.reader)
            self.busy = True
            return self.wait(feed.wait(self.name), False)
        return self._begin()

    cdef object _got(self, object value):
        self.feed.unwait()
        return self._slow()

    cdef object _failed(self, object exc):
        # the consumer's wait was cancelled: the job goes on
        self.feed.unwait()
        raise exc

    cdef int _interrupted(self) except -1:
        self.feed.unwait()
        return 0

    cdef object _close(self):
        self.closed = True
        feed = self.feed
        if feed is not None and feed.running:
            feed.then = self.reader.close
            return feed.wait(self.name)
        self.reader.close()
        return None

    @property
    def offset(self):
        """The byte offset in the file of the next item, as the sync
        reader's ``.offset`` (before the first item of a range, finding it
        reads the file in the calling thread)."""
        return self._sync_get("offset")

    cdef tuple _parts(self):
        """``(reader, feed)``, for the methods that do not enter (they may
        run while an ``__anext__()`` waits): held, and read together."""
        with cython.critical_section(self):
            return (self.reader, self.feed)

    def _sync_get(self, name):
        """The sync reader's attribute *name*; if that needs a read, the
        read is done in the calling thread (after the read in flight)."""
        reader, feed = self._parts()
        try:
            return getattr(reader, name)
        except BlockingIOError:
            if feed is None or not feed.wanted:
                raise
            feed.wanted = 0
        return feed.blocking(getattr, reader, name)

    def _sync_set(self, name, value):
        setattr(self._parts()[0], name, value)

    def __reduce__(self):
        return (restore, (self.name,), self._parts()[0].__reduce__()[2])

    def __setstate__(self, state):
        sync = type(self)._sync
        cdef _Reader reader = sync.__new__(sync)
        self.enter()
        try:
            reader.__setstate__(state)
            old = self._swap(reader, True)
        finally:
            self.leave()
        _retire(old[0], old[1])

    def __repr__(self):
        return "<cyiter.aio.a" + repr(self._parts()[0])[len("<cyiter."):]


# The async readers: each a declaration over its sync twin.

@cython.final
cdef class aread_chunks(_AReader):
    __doc__, __signature__, _sync, _name = described(read_chunks)


@cython.final
cdef class aread_lines(_AReader):
    __doc__, __signature__, _sync, _name = described(read_lines)


@cython.final
cdef class aread_csv(_AReader):
    __doc__, __signature__, _sync, _name = described(read_csv)
    fieldnames = forwarded(read_csv, "fieldnames")


@cython.final
cdef class aread_jsonl(_AReader):
    __doc__, __signature__, _sync, _name = described(read_jsonl)
