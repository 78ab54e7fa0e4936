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

from cyiter import _select
from cyiter._source import open_source

#: Ranges per worker that process_ranges cuts by default: a worker slowed
#: by other load takes fewer of them (see docs/internals.md, "Parallel ranges").
PARTS_PER_WORKER = 4


def byte_ranges(source: Any, parts: Any = None, *, size: Any = None) -> list[tuple[int, int]]:
    """byte_ranges(source, parts=None, *, size=None)

    The byte ranges ``(start, stop)`` that cover *source* (a path or a
    seekable binary file object) from byte 0 to its end, in order: *parts*
    ranges of equal size, or as few ranges as hold at most *size* bytes
    each (give exactly one of the two).  Sizes differ by one byte at most,
    and no range is empty, so a file smaller than *parts* bytes gets one
    range per byte; an empty file gets the one range ``(0, 0)``.

    Any reader takes them as ``start=``/``stop=`` and yields the lines,
    rows or chunks that begin in its range: together, every item of the
    file exactly once.

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
    return split(source, parts, size, "byte_ranges")[0]


def split(source: Any, parts: Any, size: Any, name: str) -> tuple[list[tuple[int, int]], Any]:
    """``(ranges, identity)`` of *source* for the function *name*: the
    ranges of :func:`byte_ranges` and what identifies the file (its size
    and modification time; None for a file object)."""
    if (parts is None) == (size is None):
        raise TypeError(f"{name}() takes parts or size: exactly one of the two")
    count = at_least_one(parts if size is None else size, "parts" if size is None else "size")
    total, identity = _measure(source, name)
    if size is not None:
        count = -(-total // count)
    count = max(1, min(count, total))
    bounds = [i * total // count for i in range(count + 1)]
    return list(zip(bounds, bounds[1:])), identity


def at_least_one(value: Any, what: str) -> int:
    value = _index(value)
    if value < 1:
        raise ValueError(f"{what} must be at least 1, not {value}")
    return value


def _measure(source: Any, name: str) -> tuple[int, Any]:
    """The size in bytes of *source*, and its identity (see :func:`split`)."""
    if isinstance(source, (str, os.PathLike)):
        st = os.stat(source)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(source))
        if not stat.S_ISREG(st.st_mode):
            raise io.UnsupportedOperation(
                f"{name} needs a regular file, and {os.fspath(source)!r} is not one "
                "(a pipe or device has no size to split)"
            )
        return st.st_size, identity_of(st)
    src = open_source(source, name)  # the readers' checks and messages
    if not src.seekable:
        raise io.UnsupportedOperation(
            f"{name} needs a seekable source to measure; {source!r} cannot seek "
            "(a pipe or socket has no size to split)"
        )
    file = src.file
    here = file.tell()
    try:
        return file.seek(0, os.SEEK_END), None
    finally:
        file.seek(here)


def identity_of(st: os.stat_result) -> tuple[int, int]:
    # size and modification time only: the device and inode numbers of one
    # file may differ between the machines of a cluster sharing it
    return (st.st_size, st.st_mtime_ns)


def open_range(cls: Any, path: str, identity: Any, start: int, stop: int, kwargs: dict) -> Any:
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
    if not (isinstance(cls, type) and issubclass(cls, _reader_bases())):
        readers = ", ".join(n for n, c in _select.CLASSES.items() if issubclass(c, _reader_bases()))
        raise TypeError(
            f"{name} needs a cyiter reader class or its name ({readers}), not {reader!r}"
        )
    return cls


def _reader_bases() -> tuple[type, ...]:
    from cyiter._py.readers import _Reader

    try:
        from cyiter._cy.readers import _Reader as _CyReader
    except ImportError:  # a pure-Python install
        return (_Reader,)
    return (_Reader, _CyReader)


def check_kwargs(kwargs: dict, name: str) -> None:
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
    ranges, identity = split(
        path, count * PARTS_PER_WORKER if parts is None else parts, None, "process_ranges"
    )
    cls(path, start=0, stop=0, **reader_kwargs).close()  # the reader's checks, now
    processes = concurrent.futures.ProcessPoolExecutor
    if executor is None:
        pool = processes if _gil_enabled() else concurrent.futures.ThreadPoolExecutor
        ahead = 2 * count
    else:
        pool = None
        ahead = len(ranges) if workers is None else count
    if pool is processes or isinstance(executor, processes):
        _check_pickles(func, "func")
        for key, value in reader_kwargs.items():
            _check_pickles(value, f"the reader argument {key}=")
    run = partial(_run_range, func, cls, path, identity, reader_kwargs)
    more = ", ..." if reader_kwargs else ""

    def where(start: int, stop: int) -> str:
        return f"{cls.__name__}({path!r}, start={start}, stop={stop}{more})"

    own = None if pool is None else partial(pool, count)
    return _results(run, where, ranges, executor, own, ahead)


def _results(run, where, ranges, executor, own, ahead):
    """The generator behind process_ranges: ``run(start, stop)`` for each
    range, on *executor* or on the pool ``own()`` makes, which it shuts
    down at the end; ``where(start, stop)`` names a range in errors."""
    pending = deque()
    todo = iter(enumerate(ranges))

    def submit(count):
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


def _run_range(func, cls, path, identity, kwargs, start, stop):
    with open_range(cls, path, identity, start, stop, kwargs) as reader:
        return func(reader)


def _note(exc: BaseException, note: str) -> None:
    add_note = getattr(exc, "add_note", None)
    if add_note is not None:
        add_note(note)
    else:  # Python 3.10: kept where 3.11's tracebacks would look for it
        exc.__notes__ = [*getattr(exc, "__notes__", ()), note]  # type: ignore[attr-defined]


def _check_pickles(obj: Any, what: str) -> None:
    """TypeError now for what a process pool could not send to its workers."""
    try:
        ForkingPickler.dumps(obj)
    except Exception as exc:
        raise TypeError(
            f"process_ranges sends {what} to worker processes, which needs pickling, "
            f"and {obj!r} cannot be pickled ({type(exc).__name__}: {exc}); define it at "
            "module level with def (not a lambda or a function nested in another), "
            "or pass executor=concurrent.futures.ThreadPoolExecutor()"
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
