"""Byte ranges of a file and running a reader over each of them in parallel.

Plain Python over whichever twin is active: ``byte_ranges`` splits a file,
``process_ranges`` hands the ranges to a pool or any
``concurrent.futures.Executor``, and ``cyiter.dask`` builds bags on the
same pieces.  Every reader yields the items whose first byte lies in its
``[start, stop)``, so the ranges of one split yield each item exactly once.
"""

from __future__ import annotations

import concurrent.futures
import errno
import importlib
import inspect
import io
import os
import stat
import sys
from collections import deque
from functools import partial
from itertools import islice
from multiprocessing.reduction import ForkingPickler
from operator import index as _index
from typing import Any, Callable, Iterator

from cyiter import _compression, _select
from cyiter._source import Source, _head, open_source

#: Ranges per worker that process_ranges cuts by default: a worker slowed
#: by other load takes fewer of them (see docs/internals.md, "Parallel ranges").
PARTS_PER_WORKER = 4


def byte_ranges(
    source: Any, parts: Any = None, *, size: Any = None, compression: Any = "infer"
) -> list[tuple[int, int]]:
    """byte_ranges(source, parts=None, *, size=None, compression="infer")

    The byte ranges ``(start, stop)`` that cover *source* (a path or a
    seekable binary file object) from byte 0 to its end, in order: *parts*
    ranges of equal size, or as few ranges as hold at most *size* bytes
    each (give exactly one of the two).  Sizes differ by one byte at most,
    and no range is empty, so a file smaller than *parts* bytes gets one
    range per byte; an empty file gets the one range ``(0, 0)``.

    Any reader takes them as ``start=``/``stop=`` and yields the lines,
    rows or chunks that begin in its range: together, every item of the
    file exactly once.

    Compressed data has no byte ranges (a stream is read from its start):
    a source whose first bytes are gzip, bz2, xz or zstd (*compression*
    "infer", as the readers look), or any source if *compression* names a
    kind, is a ValueError; None splits the bytes as they are, which
    ``read_chunks`` reads by default.

    >>> from cyiter import byte_ranges, read_lines
    >>> import io
    >>> f = io.BytesIO(b"one\\ntwo\\nthree\\n")
    >>> byte_ranges(f, 3)
    [(0, 4), (4, 9), (9, 14)]
    >>> byte_ranges(f, size=10)
    [(0, 7), (7, 14)]
    >>> [list(read_lines(f, start=a, stop=b)) for a, b in byte_ranges(f, 3)]
    [[b'one'], [b'two', b'three'], []]
    """
    ranges, identity, kind = split(source, parts, size, _compression.check(compression), "byte_ranges")
    if kind is not None:
        raise ValueError(
            f"byte_ranges cannot split {kind}-compressed data: a compressed stream can "
            "only be read from its start, so read it whole (process_ranges and "
            "cyiter.dask give such a file one range), or pass compression=None to "
            "split its raw bytes"
        )
    return ranges


#: The range a compressed file gets from process_ranges and cyiter.dask: all of it.
WHOLE = (0, None)


def split(
    source: Any, parts: Any, size: Any, compression: str | None, name: str
) -> tuple[list[tuple[int, int]], Any, str | None]:
    """``(ranges, identity, kind)`` of *source* for the function *name*: the
    ranges of :func:`byte_ranges`, what identifies the file (its size and
    modification time; None for a file object), and the kind of compressed
    data it holds as a reader with option *compression* would find it."""
    if (parts is None) == (size is None):
        raise TypeError(f"{name}() takes parts or size: exactly one of the two")
    count = at_least_one(parts if size is None else size, "parts" if size is None else "size")
    total, identity, kind = _measure(source, compression, name)
    if size is not None:
        count = -(-total // count)
    return cut(0, total, count), identity, kind


def cut(begin: int, end: int, count: int) -> list[tuple[int, int]]:
    """Bytes *begin* to *end* in *count* ranges whose sizes differ by one
    byte at most: fewer when there are fewer bytes (none is empty), and one
    ``(begin, begin)`` when there are none."""
    count = max(1, min(count, end - begin))
    bounds = [begin + i * (end - begin) // count for i in range(count + 1)]
    return list(zip(bounds, bounds[1:]))


def at_least_one(value: Any, what: str) -> int:
    number = _index(value)
    if number < 1:
        raise ValueError(f"{what} must be at least 1, not {number}")
    return number


def _measure(source: Any, compression: str | None, name: str) -> tuple[int, Any, str | None]:
    """The size in bytes of *source*, its identity and the kind of its
    compressed data (see :func:`split`)."""
    if isinstance(source, (str, os.PathLike)):
        st = os.stat(source)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(source))
        if not stat.S_ISREG(st.st_mode):
            raise io.UnsupportedOperation(
                f"{name} needs a regular file, and {os.fspath(source)!r} is not one "
                "(a pipe or device has no size to split)"
            )
        if compression != "infer":
            return st.st_size, identity_of(st), compression
        src = open_source(source, name)
        try:
            return st.st_size, identity_of(st), _compression.detect(_head(src))
        finally:
            src.close()
    src = open_source(source, name)  # the readers' checks and messages
    if not src.seekable:
        raise io.UnsupportedOperation(
            f"{name} needs a seekable source to measure; {source!r} cannot seek "
            "(a pipe or socket has no size to split)"
        )
    file = src.file
    here = file.tell()
    try:
        kind = _compression.detect(_head(src)) if compression == "infer" else compression
        return file.seek(0, os.SEEK_END), None, kind
    finally:
        file.seek(here)


def reader_compression(cls: Any, kwargs: dict[str, Any]) -> str | None:
    """The compression option a *cls* reader made with *kwargs* reads with."""
    if "compression" in kwargs:
        return _compression.check(kwargs["compression"])
    default: str | None = inspect.signature(cls).parameters["compression"].default
    return default


def reader_ranges(
    path: str, cls: Any, kwargs: dict[str, Any], parts: Any, size: Any, name: str
) -> tuple[list[tuple[int, int | None]], Any]:
    """The ranges and identity of *path* for process_ranges and cyiter.dask
    (*name*): those of :func:`byte_ranges`, or the whole file if the *cls*
    reader made with *kwargs* finds compressed data there.  The reader's
    own checks of *kwargs* run now, in the caller."""
    ranges, identity, kind = split(path, parts, size, reader_compression(cls, kwargs), name)
    if kind is not None:
        cls(path, **kwargs).close()
        return [WHOLE], identity
    cls(path, start=0, stop=0, **kwargs).close()
    return list(ranges), identity


def identity_of(st: os.stat_result) -> tuple[int, int]:
    # size and modification time only: the device and inode numbers of one
    # file may differ between the machines of a cluster sharing it
    return (st.st_size, st.st_mtime_ns)


def open_range(cls: Any, path: str, identity: Any, start: int, stop: int | None, kwargs: dict[str, Any]) -> Any:
    """A *cls* reader over ``[start, stop)`` of *path*, in a worker; ValueError
    when the file is no longer the one that was split."""
    if identity_of(os.stat(path)) != identity:
        raise ValueError(
            f"{path!r} changed (size or modification time) since it was split into "
            "byte ranges: split it again"
        )
    return cls(path, start=start, stop=stop, **kwargs)


def reader_class(reader: Any, name: str) -> Any:
    """The reader class *reader* names (a class of either twin, or a public
    name resolved in the active twin), else TypeError."""
    cls = _select.CLASSES.get(reader) if isinstance(reader, str) else reader
    if not _is_reader(cls):
        readers = ", ".join(n for n, c in _select.CLASSES.items() if _is_reader(c))
        raise TypeError(
            f"{name} needs a cyiter reader class or its name ({readers}), not {reader!r}"
        )
    return cls


def _is_reader(cls: Any) -> bool:
    return isinstance(cls, type) and issubclass(cls, _reader_bases())


def _reader_bases() -> tuple[type, ...]:
    from cyiter._py.readers import _Reader

    try:
        cython_readers = importlib.import_module("cyiter._cy.readers")
    except ImportError:  # a pure-Python install
        return (_Reader,)
    return (_Reader, cython_readers._Reader)


def check_kwargs(kwargs: dict[str, Any], name: str) -> None:
    """TypeError for a start= or stop= among a reader's arguments: *name* sets them."""
    taken = sorted({"start", "stop"} & kwargs.keys())
    if taken:
        raise TypeError(
            f"{name} sets start and stop of each range itself; do not pass {', '.join(taken)}="
        )


def reader_path(source: Any, name: str) -> str:
    """*source* as the absolute path every worker opens, else TypeError."""
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            f"{name} needs a path (str or os.PathLike), which each worker opens "
            f"itself, not {type(source).__name__}"
        )
    return os.path.abspath(source)


def process_ranges(
    func: Callable[[Any], Any],
    reader: Any,
    source: Any,
    *,
    parts: Any = None,
    workers: Any = None,
    executor: Any = None,
    **reader_kwargs: Any,
) -> Iterator[Any]:
    """process_ranges(func, reader, source, *, parts=None, workers=None, executor=None, **reader_kwargs)

    ``func(reader(source, start=a, stop=b, **reader_kwargs))`` for each
    range ``(a, b)`` of ``byte_ranges(source, parts)``, run in parallel.
    The results are yielded in range order, each as soon as it and those
    before it are done.

    *reader* is a cyiter reader class (``read_lines``, ``read_csv``, ...)
    or its name, read with the caller's twin; *source* is a path, which the
    caller measures and each worker opens.  The reader is closed when
    *func* returns: *func* returns a result (a count, a sum, a list of
    rows), not the reader.

    The ranges run on a pool of *workers* processes (default: one per CPU;
    threads on a free-threaded build) made at the first ``next()`` and shut
    down when the iterator ends, fails or is closed, or on *executor*, any
    ``concurrent.futures.Executor`` (a thread pool, a Dask client's
    ``get_executor()``, ...), which is left running.  *parts* defaults to
    four ranges per worker, so that a worker slowed by other load takes
    fewer.  At most ``2 * workers`` ranges are submitted ahead of the one
    awaited (on *executor*: *workers* if given, else all).

    A compressed file (as the reader finds it: its *compression* "infer"
    recognises gzip, bz2, xz and zstd, or a kind named) is one range, read
    whole by one worker: a compressed stream can only be read from its start.

    For a process pool, *func* and *reader_kwargs* must pickle: a lambda or
    a nested function is a TypeError at once.  An exception raised for a
    range propagates unchanged, with a note naming the range.  Closing the
    iterator early cancels the ranges not started.
    """
    if not callable(func):
        raise TypeError(f"process_ranges needs a callable func, not {type(func).__name__}")
    cls = reader_class(reader, "process_ranges")
    path = reader_path(source, "process_ranges")
    check_kwargs(reader_kwargs, "process_ranges")
    if executor is not None and not isinstance(executor, concurrent.futures.Executor):
        raise TypeError(
            "executor must be a concurrent.futures.Executor (a process or thread pool, "
            f"distributed.Client().get_executor(), ...), not {type(executor).__name__}"
        )
    count = _cpu_count() if workers is None else at_least_one(workers, "workers")
    ranges, identity = reader_ranges(
        path, cls, reader_kwargs, count * PARTS_PER_WORKER if parts is None else parts, None,
        "process_ranges",
    )
    processes = concurrent.futures.ProcessPoolExecutor
    if executor is None:
        pool = processes if _gil_enabled() else concurrent.futures.ThreadPoolExecutor
        ahead = 2 * count
    else:
        pool = None
        ahead = len(ranges) if workers is None else count
    if pool is processes or isinstance(executor, processes):
        _check_pickles(func, "process_ranges sends func")
        for key, value in reader_kwargs.items():
            _check_pickles(value, f"process_ranges sends the reader argument {key}=")
    run = partial(_run_range, func, cls, path, identity, reader_kwargs)
    more = ", ..." if reader_kwargs else ""

    def where(start: int, stop: int | None) -> str:
        return f"{cls.__name__}({path!r}, start={start}, stop={stop}{more})"

    own = None if pool is None else partial(pool, count)
    return _results(run, where, ranges, executor, own, ahead)


def _results(
    run: Callable[[int, int | None], Any],
    where: Callable[[int, int | None], str],
    ranges: list[tuple[int, int | None]],
    executor: concurrent.futures.Executor | None,
    own: Callable[[], concurrent.futures.Executor] | None,
    ahead: int,
) -> Iterator[Any]:
    """The generator behind process_ranges: ``run(start, stop)`` for each
    range, on *executor* or on the pool ``own()`` makes, which it shuts
    down at the end; ``where(start, stop)`` names a range in errors."""
    pending: deque[tuple[int, int, int | None, concurrent.futures.Future[Any]]] = deque()
    todo = iter(enumerate(ranges))

    def submit(count: int) -> None:
        assert executor is not None  # (made before the first submit)
        for i, (start, stop) in islice(todo, count):
            pending.append((i, start, stop, executor.submit(run, start, stop)))

    try:
        if own is not None:
            executor = own()
        submit(ahead)
        while pending:
            i, start, stop, future = pending.popleft()
            try:
                result = future.result()
            except Exception as exc:
                range_of = f"range {i + 1} of {len(ranges)}, {where(start, stop)}"
                _note(exc, f"process_ranges: raised for {range_of}")
                raise
            submit(1)
            yield result
    finally:
        for *_, future in pending:
            future.cancel()
        if own is not None and executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _run_range(
    func: Callable[[Any], Any],
    cls: Any,
    path: str,
    identity: Any,
    kwargs: dict[str, Any],
    start: int,
    stop: int | None,
) -> Any:
    with open_range(cls, path, identity, start, stop, kwargs) as reader:
        return func(reader)


def _note(exc: BaseException, note: str) -> None:
    add_note = getattr(exc, "add_note", None)
    if add_note is not None:
        add_note(note)
    else:  # Python 3.10: kept where 3.11's tracebacks would look for it
        exc.__notes__ = [*getattr(exc, "__notes__", ()), note]  # type: ignore[attr-defined]


def _check_pickles(
    obj: Any, sends: str, instead: str = ", or pass executor=concurrent.futures.ThreadPoolExecutor()"
) -> None:
    """TypeError now for what a process pool could not send to its workers
    (*sends*: who sends what); *instead* ends the message."""
    try:
        ForkingPickler.dumps(obj)
    except Exception as exc:
        raise TypeError(
            f"{sends} to worker processes, which needs pickling, "
            f"and {obj!r} cannot be pickled ({type(exc).__name__}: {exc}); define it at "
            f"module level with def (not a lambda or a function nested in another){instead}"
        ) from exc


def _cpu_count() -> int:
    """The CPUs this process may use (what ProcessPoolExecutor defaults to on 3.13+)."""
    if hasattr(os, "process_cpu_count"):  # 3.13+
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _gil_enabled() -> bool:
    check = getattr(sys, "_is_gil_enabled", None)  # 3.13+
    return True if check is None else bool(check())
