"""What both twins of cyiter.aio's readers share: the file their sync
reader reads (:class:`Feed`), its reads in a worker thread, and the
description of an async reader over a sync one (:func:`described`).

An async reader drives a sync reader of its own twin on the event loop's
thread.  That sync reader reads a :class:`Feed`, never the file: the feed
hands out the bytes of the last read done in a worker thread, and when it
has none returns None, which the reader core makes BlockingIOError with
nothing consumed.  The async reader then reads the next buffer in the
event loop's default executor and calls the sync reader again.  So every
reader (its ranges, ``.offset``, pickles, errors) is written once, and a
buffered item costs one call of the sync reader.  docs/internals.md,
"Async readers", tells the rest.
"""

from __future__ import annotations

import inspect
import os
import stat
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from cyiter import _readargs
from cyiter._aio import asyncio_loop
from cyiter._source import Source, checked_length, seek

if TYPE_CHECKING:  # (asyncio is imported only when a loop runs)
    from asyncio import AbstractEventLoop, Future

_T = TypeVar("_T")
_Arg = TypeVar("_Arg")

#: A read that ended: (epoch, file offset it started at, its bytes or error).
_Outcome = tuple[int, int | None, memoryview | BaseException]


class _Positioned(Protocol):
    """A sync reader, as :meth:`Feed.position` sees it."""

    @property
    def offset(self) -> int: ...


class _AsyncReader(Protocol):
    """An async reader, as the properties of :func:`forwarded` see it."""

    def _sync_get(self, name: str) -> Any: ...
    def _sync_set(self, name: str, value: Any) -> None: ...


def _loop(name: str) -> AbstractEventLoop:
    return asyncio_loop(
        f"{name} needs a running asyncio event loop: it reads its file in the "
        "loop's default executor"
    )


_EMPTY = memoryview(b"")


def _regular(file: Any) -> bool:
    """Whether the file object *file* is a regular file's."""
    try:
        return stat.S_ISREG(os.fstat(file.fileno()).st_mode)
    except (AttributeError, OSError, ValueError):
        return False  # (no descriptor: io.BytesIO, a socket's file, ...)


class Feed:
    """The file of an async reader's sync reader.

    ``readinto`` hands out the bytes of the last buffer read in the worker
    thread; with none at hand it returns None (the sync reader raises
    BlockingIOError and consumes nothing) and records the size asked, which
    :meth:`fetch` then reads in the worker thread.  When it takes a buffer
    of a regular file, the next one is read meanwhile (one read in flight
    at a time), so that the thread hop overlaps the parsing; not a pipe's,
    whose read could wait for ever for bytes nobody asked for.  A *job* (a
    read, or the sync reader's positioning, see :meth:`position`) runs in
    the worker while the consumer awaits a future of its own
    (:meth:`wait`): cancelling the consumer never loses a read, whose
    bytes, or error, the sync reader takes when it needs them.  ``lock`` is
    held by whoever touches the real file, so that only one thread at a
    time does; the thread that holds it through :meth:`blocking` reads the
    file as it is (the sync reader's ``.offset``, or the first row of a CSV
    range, found by random reads).
    """

    __slots__ = (
        "src", "data", "at", "pos", "outcome", "failure", "wanted", "size", "target",
        "free", "epoch", "ahead", "lock", "owner", "running", "closing", "waiter", "loop",
        "then",
    )  # fmt: skip

    src: Source
    data: memoryview
    at: int
    pos: int | None
    outcome: _Outcome | None
    failure: BaseException | None
    wanted: int
    size: int
    target: int | None
    free: bytearray | None
    epoch: int
    ahead: bool
    lock: threading.RLock
    owner: int | None
    running: bool
    closing: bool
    waiter: Future[None] | None
    loop: AbstractEventLoop | None
    then: Callable[[], object] | None

    def __init__(self, src: Source) -> None:
        self.src = src  # the real source (a cyiter._source.Source)
        self.data = _EMPTY  # the bytes read and not yet handed out: data[at:]
        self.at = 0
        self.pos = None  # the file offset of data[at] (a seekable source)
        self.outcome = None  # (epoch, start, bytes or error) of a read that ended
        self.failure = None  # what the positioning raised, for settle()
        self.wanted = 0  # the size of the readinto that found nothing
        self.size = 0  # the size of the reads
        self.target = None  # where the next read starts, if not where the last ended
        self.free = None  # a buffer that no bytes at hand live in
        self.epoch = 0  # a seek makes the reads before it stale
        self.ahead = src.regular or _regular(src.raw)  # read the next buffer ahead
        self.lock = threading.RLock()
        self.owner = None  # the thread reading the file as it is (blocking)
        self.running = False  # a job is in the worker thread
        self.closing = False
        self.waiter = None  # the consumer's future
        self.loop = None  # the loop of the last job
        self.then = None  # called once the job has ended (closing the reader)

    def source(self) -> Source:
        """The Source the sync reader reads: this feed, as a file of the same path."""
        return Source(self, self.src.path)

    # -- the file, as the sync reader sees it --------------------------------

    def readinto(self, view: memoryview) -> int | None:
        self.wanted = 0
        if self.at == len(self.data):
            mine = self.owner == threading.get_ident()
            if not self._take(not mine):
                if not mine:
                    self.wanted = len(view)
                    return None
                with self.lock:  # (after the read in flight)
                    if not self._take(False):
                        return self._read(view)
            if self.at == len(self.data):
                return 0  # the end of the file
        n = min(len(view), len(self.data) - self.at)
        view[:n] = self.data[self.at : self.at + n]
        self.at += n
        if self.pos is not None:
            self.pos += n
        return n

    def read(self, n: int) -> bytes:
        """(for ``cyiter._csvsync``, which reads a file object's bytes)"""
        buffer = bytearray(n)
        got = self.readinto(memoryview(buffer))
        if got is None:
            checked_length(got, n, "read()")
        return bytes(buffer[:got])

    def seek(self, pos: int, whence: int = 0) -> int:
        """Move to *pos*.  Where the reader is already, nothing changes;
        elsewhere, what was read ahead is forgotten and the file moves
        before the next read (from the start, which is all the readers ask),
        or at once (from elsewhere, when reading the file as it is)."""
        if whence == 0 and pos == self.pos:
            return pos
        self._forget()
        self.outcome = None
        self.epoch += 1
        if whence == 0:
            self.target = self.pos = pos
            return pos
        with self.lock:
            self.target = None
            self.pos = self._file().seek(pos, whence)
            return self.pos

    def seekable(self) -> bool:
        return self.src.seekable

    def readable(self) -> bool:
        return True

    def fileno(self) -> int:
        self._file()
        fileno: int = self.src.raw.fileno()  # (the file's, under a decompressing stream)
        return fileno

    def close(self) -> None:
        """Close the real source now, or as soon as the read in flight ends."""
        self.closing = True
        if self.lock.acquire(False):
            try:
                self.src.close()
                self._forget()
                self.free = None
            finally:
                self.lock.release()

    def __repr__(self) -> str:
        return repr(self.src)

    def _file(self) -> Any:
        file = self.src.file
        if file is None:
            raise ValueError("I/O operation on closed file.")
        return file

    def _forget(self) -> None:
        """Let go of the bytes at hand; their buffer is free."""
        if type(self.data.obj) is bytearray:
            self.free = self.data.obj
        self.data, self.at = _EMPTY, 0

    def _take(self, ahead: bool) -> bool:
        """Take the bytes of a read that has ended (raise its error), and
        with *ahead* start reading the next buffer; False if none has."""
        if self.running or self.outcome is None:
            return False
        (epoch, start, outcome), self.outcome = self.outcome, None
        if epoch != self.epoch:
            return False  # (read before a seek)
        if isinstance(outcome, BaseException):
            self.target = start  # (the next read starts there again, whatever this one took)
            try:
                raise outcome
            finally:
                del outcome  # (this frame, in the traceback, must not hold it: a cycle)
        self._forget()
        self.data = outcome
        if ahead and outcome and self.ahead and not self.closing:
            self._ahead()
        return True

    def _read(self, view: memoryview) -> int | None:
        """A read of the real file, where the reader is."""
        self._file()
        readinto = self.src.readinto
        assert readinto is not None  # (_file() found the source open)
        if self.target is not None:
            seek(self.src, self.target)
            self.target = None
        got: int | None = readinto(view)
        if got and self.pos is not None:
            self.pos += got
        return got

    def _after_job(self) -> None:
        """(in the worker) The job is over: close if asked meanwhile."""
        if self.closing:
            self.close()

    # -- the async side -------------------------------------------------------

    def fetch(self, name: str) -> bool:
        """Have the next buffer read in the worker thread, if the sync
        reader found nothing at hand (a read in flight, or one that has
        just ended, does); False if it did not (its BlockingIOError is then
        the real file's)."""
        size, self.wanted = self.wanted, 0
        if size == 0:
            return False
        # A read that ended since the sync reader looked (its outcome is
        # taken once the consumer wakes) must not be read over.
        if not self.running and self.outcome is None:
            self.size = size
            self._read_next(_loop(name))
        return True

    def position(self, name: str, reader: _Positioned) -> None:
        """Start the sync *reader*'s positioning (``reader.offset``: the
        first line or row of a range, after a resume) in the worker thread,
        reading the file as it is."""
        self._start(_loop(name), self._position, reader)

    def wait(self, name: str) -> Future[None]:
        """The future the consumer awaits until the job has ended (it never
        fails: the job's outcome goes to the sync reader or :meth:`settle`)."""
        loop = _loop(name)
        if loop is not self.loop:
            raise RuntimeError(f"this {name} reader's read belongs to another event loop")
        self.waiter = waiter = loop.create_future()
        return waiter

    def unwait(self) -> None:
        """The consumer stopped waiting (cancelled, or gone)."""
        self.waiter = None

    def settle(self) -> None:
        """The job has ended: raise what the positioning raised, if anything."""
        with self.lock:
            failure, self.failure = self.failure, None
        if failure is not None:
            try:
                raise failure
            finally:
                del failure  # (as in _take)

    def blocking(self, fn: Callable[..., _T], *args: Any) -> _T:
        """``fn(*args)``, the sync reader reading the file as it is (in the
        calling thread; after the read in flight, if there is one)."""
        with self.lock:
            owner, self.owner = self.owner, threading.get_ident()
            try:
                return fn(*args)
            finally:
                self.owner = owner

    def _ahead(self) -> None:
        """Read the next buffer while the one just taken is parsed (on the
        loop of the last read, if it is running in this thread)."""
        try:
            loop: AbstractEventLoop = sys.modules["asyncio"].get_running_loop()
        except RuntimeError:
            return
        if loop is self.loop:
            self._read_next(loop)

    def _read_next(self, loop: AbstractEventLoop) -> None:
        free, self.free = self.free, None
        if free is None or len(free) < self.size:
            free = bytearray(self.size)
        # where the read starts, for a seekable source: after the bytes at hand
        start = None if self.pos is None else self.pos + len(self.data) - self.at
        target, self.target = self.target, None
        self._start(loop, self._fetch, (self.epoch, target, start, free))

    def _start(self, loop: AbstractEventLoop, job: Callable[[_Arg], None], arg: _Arg) -> None:
        self.running = True
        try:
            future = loop.run_in_executor(None, job, arg)
        except BaseException:
            self.running = False
            raise
        self.loop = loop
        future.add_done_callback(self._ended)

    def _ended(self, future: Future[None]) -> None:
        # (on the loop's thread) jobs keep their outcome: the future only
        # fails if closing the file after the job does (nobody to tell)
        if not future.cancelled():
            future.exception()
        if self.running:
            return  # (an earlier job's: the one running now wakes the consumer)
        then, self.then = self.then, None
        if then is not None:
            then()
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fetch(self, job: tuple[int, int | None, int | None, bytearray]) -> None:
        """(in the worker) Read the next buffer, from *target* if not None."""
        epoch, target, start, buffer = job
        with self.lock:
            try:
                self._file()
                readinto = self.src.readinto
                assert readinto is not None  # (_file() found the source open)
                if target is not None:
                    seek(self.src, target)
                view = memoryview(buffer)[: self.size]
                self.outcome = (epoch, start, view[: checked_length(readinto(view), len(view))])
            except BaseException as exc:
                self.outcome = (epoch, start, exc)  # (for the sync reader, which raises it)
            finally:
                self.running = False
        self._after_job()

    def _position(self, reader: _Positioned) -> None:
        with self.lock:
            owner, self.owner = self.owner, threading.get_ident()
            try:
                reader.offset  # noqa: B018 (positions the reader)
            except BaseException as exc:
                self.failure = exc
            finally:
                self.owner = owner
                self.running = False
        self._after_job()


_DOC = """{name}{signature}

The items of :class:`cyiter.{sync}` for ``async for``: the same arguments,
values, errors (its own, word for word), byte ranges, ``.offset`` and
pickles.  The file is read in the event loop's default executor, one
buffer at a time (the buffer {sync} reads), and an item already read is
handed out without suspending; a range's first item is found in the
executor too.  Cancelling the consumer never loses a read: the next
``__anext__()`` takes what it read.

``aclose()``, ``async with`` and the end of the file close a file the
reader opened (after the read in flight, if any), never a file object
passed in.  The file is opened at creation, in the calling thread (and
with ``compression="infer"`` its first bytes are read there).
"""

_EXAMPLE = """
>>> import asyncio, io
>>> from cyiter.aio import {name}
>>> async def main():
...     async with {name}({args}) as items:
...         return [item async for item in items]
>>> asyncio.run(main())
{result}
"""

#: The docstring example of each async reader: its arguments and result.
_EXAMPLES = {
    "read_chunks": ('io.BytesIO(b"abcdefg"), 3', "[b'abc', b'def', b'g']"),
    "read_lines": ('io.BytesIO(b"one\\r\\ntwo\\nthree"), encoding="utf-8"', "['one', 'two', 'three']"),
    "read_csv": ('io.BytesIO(b"name,qty\\r\\nbolt,3\\r\\n")', "[{'name': 'bolt', 'qty': '3'}]"),
    "read_jsonl": ("io.BytesIO(b'{\"a\": 1}\\n[2]\\n')", "[{'a': 1}, [2]]"),
}


def _doc(name: str, signature: inspect.Signature, sync: str) -> str:
    doc = _DOC.format(name=name, signature=signature, sync=sync)
    if sync in _EXAMPLES:
        args, result = _EXAMPLES[sync]
        doc += _EXAMPLE.format(name=name, args=args, result=result)
    return doc


def described(sync: type[_T]) -> tuple[str, inspect.Signature, type[_T], str]:
    """``(__doc__, __signature__, _sync, _name)`` of the async reader over
    the sync reader class *sync*: its name is ``"a" + sync.__name__``, its
    signature that of *sync*'s argument checks."""
    name = "a" + sync.__name__
    signature = _readargs.signature(sync.__name__)
    return _doc(name, signature, sync.__name__), signature, sync, name


def forwarded(sync: type, name: str) -> property:
    """A property of an async reader that gives its sync reader's *name*
    (at once; reading the file in the calling thread if it must)."""

    def get(self: _AsyncReader) -> Any:
        return self._sync_get(name)

    def put(self: _AsyncReader, value: Any) -> None:
        self._sync_set(name, value)

    return property(get, put, None, inspect.getdoc(getattr(sync, name)))
