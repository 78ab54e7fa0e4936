"""Where every reader gets its bytes: a path or a binary file object.

Both twins of every reader use this module, so the rules about sources and
their faults are the same everywhere:

* a path (``str``, ``bytes`` or ``os.PathLike``) is opened unbuffered in
  binary mode by the reader, which owns it and closes it at exhaustion, on
  ``close()``, on leaving a ``with`` block and when the reader is
  garbage-collected;
* a binary file object is used as it is and never closed by cyiter;
* errors come at creation: a missing file is ``FileNotFoundError``, a
  directory ``IsADirectoryError``, a text-mode file or anything that is
  neither a path nor a binary file ``TypeError``, and a byte range on a
  source that cannot seek ``io.UnsupportedOperation``;
* every read goes through :meth:`Source.readinto`, which gives one meaning
  to what a source can do wrong (see :func:`checked_length`);
* a compressed source (``compression=``) is read through
  ``cyiter._compression.Decompressed``: ``readinto`` gives decompressed
  bytes, ``file`` is the decompressing stream and ``raw`` the file itself.
"""

from __future__ import annotations

import errno
import io
import os
import stat
from collections.abc import Callable
from typing import Any

from cyiter._compression import MAGIC_SIZE, Decompressed, detect

#: The largest buffer or chunk size a reader accepts: far beyond any
#: machine's memory, small enough that no size computation can overflow.
MAX_SIZE = 1 << 48

#: The largest file offset (what ``lseek`` takes).
MAX_OFFSET = (1 << 63) - 1


class Source:
    """An open source: ``file``, its ``readinto``, and what a pickle needs."""

    __slots__ = ("file", "readinto", "path", "seekable", "regular", "raw", "compression", "__weakref__")

    file: Any
    readinto: Callable[[Any], Any] | None

    def __init__(self, file: Any, path: str | None) -> None:
        self.file = self.raw = file
        self.compression: str | None = None
        self.path = path
        self.readinto = _readinto_of(file)
        seekable = getattr(file, "seekable", None)
        self.seekable = bool(seekable()) if seekable is not None else hasattr(file, "seek")
        # only a regular file the reader opened can be reopened at an offset
        self.regular = path is not None and _identity(file) is not None

    def decompress(self, kind: str) -> None:
        """Read the file through a decompressing stream from now on (where the
        file is now is where the compressed data starts).  The stream goes
        forward only; ``seek`` to a later offset decompresses up to it."""
        read = self.readinto
        assert read is not None  # (an open source)

        def read_checked(view: Any) -> int:
            return checked_length(read(view), len(view))

        self.file = Decompressed(kind, read_checked, self.raw, self.seekable)
        self.readinto = self.file.readinto
        self.compression = kind
        self.seekable = True

    def close(self) -> None:
        """Release the file: close it if the reader opened it, else just drop it."""
        file = self.raw
        if file is None:
            return
        self.file = self.raw = None
        self.readinto = None
        if self.path is not None:
            file.close()

    def __repr__(self) -> str:
        return repr(self.path if self.path is not None else self.raw)


def open_source(source: Any, name: str, ranged: bool = False, compression: str | None = None) -> Source:
    """Open *source* for the reader called *name* (used in error messages).

    *ranged*: the reader will seek (a ``start``/``stop`` byte range), so a
    source that cannot seek, such as a pipe, is refused.  *compression*: a
    kind of ``cyiter._compression.KINDS`` to decompress, "infer" to look at
    the first bytes of a source that can seek (one that cannot is read as
    it is), or None; ``Source.compression`` says what was chosen.
    """
    if isinstance(source, (str, os.PathLike)):
        src = _open_path(os.path.abspath(os.fspath(source)))
    elif isinstance(source, (bytes, bytearray, memoryview)):
        raise TypeError(
            f"{name} needs a path or a binary file object, not {type(source).__name__} "
            "data (wrap bytes in io.BytesIO to read them)"
        )
    else:
        _check_binary_file(source, name)
        src = Source(source, None)
    _decompress(src, compression, name, ranged)
    if ranged and not src.seekable:
        src.close()
        raise io.UnsupportedOperation(
            f"{name} with a start/stop byte range needs a seekable source; "
            f"{source!r} cannot seek (a pipe or socket can only be read from "
            "where it is, without a range)"
        )
    return src


def reopen(path: Any, identity: Any, offset: int, name: str, compression: str | None = None) -> Source:
    """Open the absolute *path* a pickle recorded, to resume at *offset*
    (decompressed with *compression*, as :func:`open_source` does).

    The file must be the one the pickle was made from: the same inode, size
    and modification time (*identity*), else ValueError.
    """
    src = _open_path(path)
    now = _identity(src.raw)
    change = _change(identity, now)
    if change:
        src.close()
        raise ValueError(
            f"cannot resume {name} at byte {offset} of {path!r}: {change} since the "
            "reader was pickled; start a new reader instead"
        )
    _decompress(src, compression, name)
    return src


def _decompress(src: Source, compression: str | None, name: str, ranged: bool = False) -> None:
    """Put the decompressing stream *compression* asks for between *src*
    and its reader (closing *src* if that fails)."""
    try:
        if compression == "infer":
            compression = detect(_head(src)) if src.seekable else None
        if compression is None:
            return
        if ranged:
            raise ValueError(
                f"{name} cannot read a byte range (start/stop) of {compression}-compressed "
                "data: a compressed stream can only be read from its start"
            )
        src.decompress(compression)
    except BaseException:
        src.close()
        raise


def _head(src: Source) -> bytes:
    """The first bytes of a seekable source, which is left at its start."""
    head = bytearray(MAGIC_SIZE)
    view = memoryview(head)
    got = 0
    readinto = src.readinto
    assert readinto is not None  # (an open source)
    src.file.seek(0)
    while got < MAGIC_SIZE:
        n = checked_length(readinto(view[got:]), MAGIC_SIZE - got)
        if n == 0:
            break
        got += n
    src.file.seek(0)
    return bytes(head[:got])


def _change(was: tuple[int, ...], now: tuple[int, ...] | None) -> str:
    """How the file *now* differs from what a pickle recorded (*was*), or ""."""
    if now is None:
        return "it is no longer a regular file"
    if now[1] != was[1]:
        return "another file is at that path"
    if now[2] != was[2]:
        return f"its size changed from {was[2]} to {now[2]} bytes"
    if now[3] != was[3]:
        return "it was modified"
    return ""


def pickle_source(src: Source | None, path: str | None, name: str) -> tuple[Any, Any]:
    """``(path, identity)`` for a pickle of a reader: the path to reopen and
    (device, inode, size, modification time) of the file now, or None while
    the reader is exhausted; TypeError for what cannot be reopened."""
    if path is None and src is not None:
        raise TypeError(
            f"cannot pickle a {name} reading a file object: it could not be "
            "reopened elsewhere; give the reader a path to make it picklable"
        )
    if src is None:
        return path, None
    if not src.regular:
        raise TypeError(
            f"cannot pickle a {name} reading {path!r}, which is not a regular file "
            "(a pipe, socket or device cannot be reopened at an offset)"
        )
    return path, _identity(src.raw)


def seek(src: Source, pos: int) -> None:
    """Move a seekable source to *pos*; past the largest offset the file
    system takes, to the end (nothing is read there either way)."""
    try:
        src.file.seek(pos)
    except OSError as exc:
        if exc.errno != errno.EINVAL or pos <= 0:
            raise
        src.file.seek(0, os.SEEK_END)


def length_hint(src: Source | None, position: int, stop: int | None, size: int) -> Any:
    """How many chunks of *size* bytes are left from *position* (to *stop*)
    of a reader's source: exact for a regular file, NotImplemented when
    unknown (a pipe; a /proc file, which says 0 and has bytes)."""
    if src is None:
        return 0
    end = os.fstat(src.raw.fileno()).st_size if src.regular and src.compression is None else 0
    if end == 0:
        return NotImplemented
    if stop is not None:
        end = min(end, stop)
    return max(0, -((position - end) // size))


def checked_length(got: Any, size: int, what: str = "readinto()") -> int:
    """What a source's read returned, as a length in ``0..size``.

    None (a non-blocking source with no data yet) is BlockingIOError and a
    length outside ``0..size`` is OSError, with the messages of the ``io``
    module; the reader has consumed nothing, so the next call goes on.
    """
    if got is None:
        raise BlockingIOError(
            errno.EAGAIN,
            f"{what} returned None: the source has no data yet (non-blocking); "
            "nothing was read, call again when it has",
        )
    if not isinstance(got, int):
        raise TypeError(f"{what} should return an int, not {type(got).__name__!r}")
    if not 0 <= got <= size:
        raise OSError(
            f"raw {what} returned invalid length {got} (should have been between 0 and {size})"
        )
    return got


def _open_path(path: str) -> Source:
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    return Source(open(path, "rb", buffering=0), path)


def _identity(file: Any) -> tuple[int, int, int, int] | None:
    st = os.fstat(file.fileno())
    if not stat.S_ISREG(st.st_mode):
        return None
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _check_binary_file(obj: Any, name: str) -> None:
    if isinstance(obj, io.TextIOBase):
        raise TypeError(
            f"{name} needs a binary file object (opened with 'rb'), not the text "
            f"file {obj!r}; open the file with 'rb'"
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


def _readinto_of(file: Any) -> Callable[[Any], Any]:
    readinto = getattr(file, "readinto", None)
    if readinto is not None:
        return readinto  # type: ignore[no-any-return]
    read = file.read

    def readinto_by_read(buffer: Any) -> int | None:
        view = memoryview(buffer).cast("B")
        data = read(len(view))
        if data is None:
            return None
        n = len(data)
        if n > len(view):
            checked_length(n, len(view), "read()")
        view[:n] = data
        return n

    return readinto_by_read
