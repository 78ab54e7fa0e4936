"""Dask bags read by cyiter's readers: one partition per byte range.

``cyiter.dask.read_lines("logs/*.txt")`` is a ``dask.bag.Bag`` whose
partitions are byte ranges of the files (see ``cyiter.byte_ranges``), each
read inside the worker by the cyiter reader of the same name, with the
readers' rule: an item belongs to the range holding its first byte.  The
items are those of one pass of the reader over each file, files in order.

Needs the extra ``cyiter[dask]`` (dask's bag and distributed).
"""

from __future__ import annotations

import errno
import glob
import os
from functools import partial
from typing import Any, Callable

try:
    import dask.bag
    from dask.base import tokenize
    from dask.utils import parse_bytes
except ImportError as exc:
    raise ImportError(
        f"cyiter.dask needs dask's bags ({exc}): pip install 'cyiter[dask]'"
    ) from exc

from cyiter import _parallel, _select

# A reader joins with a line below, its name here and its stub in dask.pyi.
__all__ = ["read_lines", "read_csv", "read_jsonl"]


def _bag_of(name: str, what: str) -> Callable[..., Any]:
    """The public function that makes bags read by cyiter's reader *name*."""

    def function(paths: Any, *, blocksize: Any = "64 MiB", **reader_kwargs: Any) -> Any:
        return _bag(name, paths, blocksize, reader_kwargs)

    function.__name__ = function.__qualname__ = name
    function.__module__ = __name__
    function.__doc__ = f"""{name}(paths, *, blocksize="64 MiB", **reader_kwargs)

    A ``dask.bag.Bag`` of the {what} of *paths*, as ``cyiter.{name}(path,
    **reader_kwargs)`` yields them, file after file.

    *paths* is a path, a glob pattern (``"logs/*.csv"``) or a list of
    them.  Each file is cut into ranges of at most *blocksize* bytes (an
    int, or a string such as ``"64 MiB"`` or ``"128MB"``; None: one range
    per file), and each range is one partition, read lazily by
    ``cyiter.{name}(path, start=..., stop=..., **reader_kwargs)`` inside
    the worker that computes it.  A compressed file (as the reader finds
    it, see its *compression*) is one partition, read from its start.  A
    partition fails with ValueError if its file changed since the bag was
    made.
    """
    return function


read_lines = _bag_of("read_lines", "lines")
read_csv = _bag_of("read_csv", "rows (dicts)")
read_jsonl = _bag_of("read_jsonl", "parsed values")


def _bag(name: str, paths: Any, blocksize: Any, kwargs: dict[str, Any]) -> Any:
    cls = _select.CLASSES[name]
    label = f"cyiter.dask.{name}"
    _parallel.check_kwargs(kwargs, label)
    files = _expand(paths, label)
    size = None if blocksize is None else _blocksize(blocksize)
    tasks = []
    for path in files:
        ranges, identity = _parallel.reader_ranges(
            path, cls, kwargs, 1 if size is None else None, size, label
        )
        tasks += [(path, identity, start, stop) for start, stop in ranges]
    token = tokenize(f"{cls.__module__}.{cls.__qualname__}", tasks, kwargs)
    key = f"cyiter-{name.replace('_', '-')}-{token}"
    # list(...): the form dask.bag's optimizer unwraps when the partition
    # feeds another step, so a filter or count streams through the reader
    graph: dict[Any, Any] = {
        (key, i): (list, (partial(_parallel.open_range, cls, path, identity, start, stop, kwargs),))
        for i, (path, identity, start, stop) in enumerate(tasks)
    }
    return dask.bag.Bag(graph, key, len(graph))


def _expand(paths: Any, name: str) -> list[str]:
    """The absolute paths *paths* names: itself, its glob matches (sorted),
    or those of each item of a list."""
    many = paths if isinstance(paths, (list, tuple)) else [paths]
    files = []
    for path in many:
        path = _parallel.reader_path(path, name)
        if os.path.exists(path):
            files.append(path)
            continue
        matches = sorted(glob.glob(path, recursive=True))
        if not matches:
            raise FileNotFoundError(errno.ENOENT, "no such file, nor files matching it", path)
        files += matches
    if not files:
        raise ValueError(f"{name} needs at least one path")
    return files


def _blocksize(blocksize: Any) -> int:
    """*blocksize* in bytes: an int, or a size as dask writes it ("64 MiB")."""
    return _parallel.at_least_one(
        parse_bytes(blocksize) if isinstance(blocksize, str) else blocksize, "blocksize"
    )
