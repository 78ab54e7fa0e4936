"""Where every reader gets its bytes: a path or a binary file object.

Both twins of every reader (``read_chunks``, ``read_lines``, ``read_csv``)
use this module, so the rules about sources are the same everywhere:

* a path (``str``, ``bytes`` from an ``os.PathLike``, or ``os.PathLike``) is
  opened unbuffered in binary mode by the reader, which owns it and closes
  it (``Source.close``) at exhaustion, on ``close()``, on leaving a ``with``
  block and when the reader is garbage-collected;
* a binary file object is used as it is and never closed by cyiter;
* errors come at creation: a missing file is ``FileNotFoundError`` (as
  ``open`` gives it), a directory ``IsADirectoryError``, a text-mode file or
  anything that is neither a path nor a binary file ``TypeError``, and a
  byte range on a source that cannot seek ``io.UnsupportedOperation`` (a
  ValueError and OSError subclass, what ``seek`` itself raises).

API (all a reader needs)::

    src = open_source(source, "read_lines", ranged=start != 0 or stop is not None)
    src.file        # the binary file object, None once closed
    src.readinto    # bound readinto(buffer) -> int of bytes read, 0 at EOF
    src.path        # absolute path of an owned file, None for a file object
    src.seekable    # True when src.file.seek works
    src.close()     # closes the file if the reader owns it, then drops it
    src.pickle_path()   # the path for a pickle, or TypeError for a file object

    src = reopen(path, "read_lines")    # for __setstate__: open a pickled path
"""

import errno
import io
import os

__all__ = ["Source", "open_source", "reopen"]


class Source:
    """An opened source; see the module docstring."""

    __slots__ = ("file", "readinto", "path", "seekable", "name", "__weakref__")

    def __init__(self, file, path, name):
        self.file = file
        self.path = path
        self.name = name
        self.readinto = _readinto_of(file)
        seekable = getattr(file, "seekable", None)
        self.seekable = bool(seekable()) if seekable is not None else hasattr(file, "seek")

    def close(self):
        """Release the file: close it if the reader opened it, else just drop it."""
        file = self.file
        if file is None:
            return
        self.file = None
        self.readinto = None
        if self.path is not None:
            file.close()

    def pickle_path(self):
        """The absolute path a pickle records; TypeError for a file object."""
        if self.path is None:
            raise TypeError(
                f"cannot pickle a {self.name} reading a file object: it could not be "
                "reopened elsewhere; give the reader a path to make it picklable"
            )
        return self.path

    def __repr__(self):
        return repr(self.path if self.path is not None else self.file)


def open_source(source, name, ranged=False):
    """Open *source* for the reader called *name* (used in error messages).

    *ranged*: the reader will seek (a ``start``/``stop`` byte range), so a
    source that cannot seek, such as a pipe, is refused.
    """
    if isinstance(source, (str, os.PathLike)):
        src = reopen(os.path.abspath(os.fspath(source)), name)
    elif isinstance(source, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"{name} needs a path or a binary file object, not {type(source).__name__} "
            "data (wrap bytes in io.BytesIO to read them)"
        )
    else:
        _check_binary_file(source, name)
        src = Source(source, None, name)
    if ranged and not src.seekable:
        src.close()
        raise io.UnsupportedOperation(
            f"{name} with a start/stop byte range needs a seekable source; "
            f"{source!r} cannot seek (a pipe or socket can only be read from "
            "where it is, without a range)"
        )
    return src


def reopen(path, name):
    """Open the absolute *path* (as a pickle recorded it) for reader *name*."""
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    return Source(open(path, "rb", buffering=0), path, name)


def _check_binary_file(obj, name):
    if isinstance(obj, io.TextIOBase):
        raise TypeError(
            f"{name} needs a binary file object (opened with 'rb'), not the text "
            f"file {obj!r}; it does its own decoding (see encoding=)"
        )
    if not callable(getattr(obj, "read", None)):
        raise TypeError(
            f"{name} needs a path (str or os.PathLike) or a binary file object "
            f"with a read method, not {type(obj).__name__}"
        )
    if not isinstance(obj, io.IOBase) and not isinstance(obj.read(0), (bytes, bytearray)):
        raise TypeError(
            f"{name} needs a binary file object, but {obj!r}.read() does not give bytes"
        )


def _readinto_of(file):
    readinto = getattr(file, "readinto", None)
    if readinto is not None:
        return readinto
    read = file.read

    def readinto_by_read(buffer):
        view = memoryview(buffer).cast("B")
        data = read(len(view))
        view[: len(data)] = data
        return len(data)

    return readinto_by_read
