"""Pure-Python twin of the async readers: aread_chunks, aread_lines, aread_csv, aread_jsonl.

Mirrors ``cyiter/_cy/aioreaders.pyx``: an async reader drives a sync reader
of this twin, which reads a ``cyiter._aioread.Feed`` instead of the file
(docs/internals.md, "Async readers").
"""

from __future__ import annotations

from collections.abc import Awaitable
from types import GenericAlias
from typing import Any

from cyiter._aioread import Feed, described, forwarded
from cyiter._py.aio import AsyncIter
from cyiter._py.delimited import read_csv
from cyiter._py.jsonl import read_jsonl
from cyiter._py.readers import _Reader, read_chunks, read_lines
from cyiter._source import Source
from cyiter._state import restore


def _rehome(reader: _Reader, src: Source) -> None:
    """Move *reader*, which has read nothing yet, onto the Source *src* of
    the same file, where it is (its state as a pickle would resume it)."""
    at = reader._base + reader._pos
    extra = reader._extra_state()
    reader._open(src)
    reader._resume(at, extra)


def _retire(reader: _Reader, feed: Feed | None) -> None:
    """Close a sync reader let go of: now, or once its read in flight ends."""
    if feed is not None and feed.running:
        feed.then = reader.close
    else:
        reader.close()


class _AReader(AsyncIter):
    """The async reader over a sync reader (``_sync``, of the subclass)."""

    __slots__ = ("_reader", "_feed", "_busy", "_positioning", "_closed")
    __class_getitem__: classmethod[Any, [Any], GenericAlias] = classmethod(GenericAlias)
    _sync: type[_Reader]  # the sync reader class, set by the subclass (as in the Cython twin)

    _reader: _Reader
    _feed: Feed | None  # None while the sync reader has no source
    _busy: bool  # a job (a read, the positioning) runs in the worker thread
    _positioning: bool  # a range's first item is still to find
    _closed: bool

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls)
        self._reader = cls._sync.__new__(cls._sync)
        self._feed = None
        self._busy = self._positioning = self._closed = False
        return self

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        sync = type(self)._sync
        reader = sync.__new__(sync)
        self._enter()
        try:
            reader.__init__(*args, **kwargs)
            old = self._swap(reader, reader._options["start"] > 0)
        finally:
            self._leave()
        _retire(*old)

    def _swap(self, reader: _Reader, positioning: bool) -> tuple[_Reader, Feed | None]:
        """Read from now on with *reader*; the reader and feed replaced."""
        old = (self._reader, self._feed)
        feed = None
        if reader._src is not None:
            feed = Feed(reader._src)
            _rehome(reader, feed.source())
        self._reader = reader
        self._feed = feed
        self._busy = False
        self._closed = False
        self._positioning = positioning and feed is not None
        return old

    def _begin(self) -> Any:
        if self._busy or self._positioning or self._closed:
            return self._slow()
        try:
            return next(self._reader)
        except StopIteration:
            pass
        except BlockingIOError:
            return self._stopped()
        return self._ended()

    def _stopped(self) -> None:
        """The sync reader found the feed empty, or the file raised
        BlockingIOError: the next buffer is read in the worker thread."""
        feed = self._feed
        if feed is None or not feed.fetch(self._name):
            raise  # (the file's own)
        self._busy = True
        return self._wait(feed.wait(self._name), False)

    def _ended(self) -> None:
        """The sync reader has ended: so does this one, once the read ahead
        in flight, if any, has (and the file with it)."""
        feed = self._feed
        if feed is not None and feed.running:
            self._busy = True
            return self._wait(feed.wait(self._name), False)
        raise StopAsyncIteration

    def _slow(self) -> Any:
        """Not an item at hand: the end after aclose(), a job to wait for
        or to settle, the positioning to start; then the next item."""
        if self._closed:
            raise StopAsyncIteration
        feed = self._feed
        if self._busy:
            assert feed is not None  # (a job runs on the feed)
            if feed.running:
                return self._wait(feed.wait(self._name), False)
            self._busy = False
            feed.settle()
            self._positioning = False
        if self._positioning:
            assert feed is not None  # (set with a feed only: _swap)
            feed.position(self._name, self._reader)
            self._busy = True
            return self._wait(feed.wait(self._name), False)
        return self._begin()

    # a wait is always for a job on the feed
    def _got(self, value: Any) -> Any:
        feed = self._feed
        assert feed is not None
        feed.unwait()
        return self._slow()

    def _failed(self, exc: BaseException) -> Any:
        # the consumer's wait was cancelled: the job goes on
        feed = self._feed
        assert feed is not None
        feed.unwait()
        try:
            raise exc
        finally:
            del exc  # (this frame, in the traceback, must not hold it: a cycle)

    def _interrupted(self) -> None:
        feed = self._feed
        assert feed is not None
        feed.unwait()

    def _close(self) -> Awaitable[None] | None:
        self._closed = True
        feed = self._feed
        if feed is not None and feed.running:
            feed.then = self._reader.close
            return feed.wait(self._name)
        self._reader.close()
        return None

    @property
    def offset(self) -> int:
        """The byte offset in the file of the next item, as the sync
        reader's ``.offset`` (before the first item of a range, finding it
        reads the file in the calling thread)."""
        offset: int = self._sync_get("offset")
        return offset

    def _sync_get(self, name: str) -> Any:
        """The sync reader's attribute *name*; if that needs a read, the
        read is done in the calling thread (after the read in flight)."""
        reader, feed = self._reader, self._feed
        try:
            return getattr(reader, name)
        except BlockingIOError:
            if feed is None or not feed.wanted:
                raise
            feed.wanted = 0
        return feed.blocking(getattr, reader, name)

    def _sync_set(self, name: str, value: Any) -> None:
        setattr(self._reader, name, value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (restore, (self._name,), self._reader.__reduce__()[2])

    def __setstate__(self, state: object) -> None:
        sync = type(self)._sync
        reader = sync.__new__(sync)
        self._enter()
        try:
            reader.__setstate__(state)
            old = self._swap(reader, True)
        finally:
            self._leave()
        _retire(*old)

    def __repr__(self) -> str:
        return "<cyiter.aio.a" + repr(self._reader)[len("<cyiter.") :]


# The async readers: each a declaration over its sync twin.


class aread_chunks(_AReader):
    __slots__ = ()
    __doc__, __signature__, _sync, _name = described(read_chunks)


class aread_lines(_AReader):
    __slots__ = ()
    __doc__, __signature__, _sync, _name = described(read_lines)


class aread_csv(_AReader):
    __slots__ = ()
    __doc__, __signature__, _sync, _name = described(read_csv)
    fieldnames = forwarded(read_csv, "fieldnames")


class aread_jsonl(_AReader):
    __slots__ = ()
    __doc__, __signature__, _sync, _name = described(read_jsonl)
