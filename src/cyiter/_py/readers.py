"""Pure-Python twin of the readers family: read_chunks, read_lines.

Mirrors ``cyiter/_cy/readers.pyx`` exactly; see the docstrings there.
"""

import os
from operator import index as _index
from types import GenericAlias

from cyiter import _readargs
from cyiter._py._guard import Guarded, guarded
from cyiter._source import open_source, reopen
from cyiter._state import restore



def _read(src, size):
    """At most *size* bytes through ``src.readinto``, checked as the Cython twin does."""
    buffer = bytearray(size)
    got = _index(src.readinto(buffer))
    if got < 0 or got > size:
        raise OSError(f"readinto() returned {got}, outside 0..{size}")
    del buffer[got:]
    return bytes(buffer)


class _Reader(Guarded):
    """What both readers share: the source, closing, context manager."""

    __slots__ = ("_src", "_path", "_label")

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._src = None
        self._path = None
        self._label = "nothing"
        return self

    def _open(self, source, ranged):
        self._finish()  # __init__ called again: let the old source go
        self._src = open_source(source, self._name, ranged)
        self._path = self._src.path
        self._label = repr(self._src)

    def _reopen(self, path):
        self._src = reopen(path, self._name)
        self._path = path
        self._label = repr(path)

    def _finish(self):
        src = self._src
        if src is not None:
            self._src = None
            src.close()

    def __iter__(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __del__(self):
        self._finish()

    def _check_picklable(self):
        if self._path is None and self._label != "nothing":
            raise TypeError(
                f"cannot pickle a {self._name} reading a file object: it could not be "
                "reopened elsewhere; give the reader a path to make it picklable"
            )

    def __repr__(self):
        closed = " (closed)" if self._src is None else ""
        return f"<cyiter.{self._name} {self._label}{closed}>"


class read_chunks(_Reader):
    """read_chunks(source, size=65536, *, start=0, stop=None)

    ``bytes`` chunks of exactly *size* bytes (the last may be shorter) from
    byte offset *start* (a seekable file object is first moved there) up to
    *stop* (None: the end of the file).
    """

    _name = "read_chunks"
    __slots__ = ("_size", "_pos", "_stop")

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._size = 1
        self._pos = 0
        self._stop = None
        return self

    def __init__(self, source, size=65536, *, start=0, stop=None):
        size = _readargs.positive(size, "size")
        start = _readargs.offset(start, "start")
        stop = _readargs.optional_offset(stop, "stop")
        self._open(source, start != 0 or stop is not None)
        self._set(size, start, stop)

    def _set(self, size, pos, stop):
        self._size = size
        self._pos = pos
        self._stop = stop
        if self._src.seekable:
            self._src.file.seek(pos)

    @property
    def offset(self):
        """The byte offset of the next chunk."""
        return self._pos

    @guarded
    def __next__(self):
        src = self._src
        if src is None:
            raise StopIteration
        want = self._size
        if self._stop is not None:
            want = min(want, self._stop - self._pos)
        parts = []
        while want > 0:
            data = _read(src, want)
            if not data:
                break
            parts.append(data)
            want -= len(data)
        chunk = b"".join(parts)
        if not chunk:
            self._finish()
            raise StopIteration
        self._pos += len(chunk)
        return chunk

    @guarded
    def close(self):
        """Stop reading; a file the reader opened is closed now."""
        self._finish()

    @guarded
    def __length_hint__(self):
        if self._src is None:
            return 0
        if self._path is None:
            return NotImplemented
        end = os.fstat(self._src.file.fileno()).st_size
        if self._stop is not None:
            end = min(end, self._stop)
        return max(0, -((self._pos - end) // self._size))

    def __reduce__(self):
        self._check_picklable()
        pos = None if self._src is None else self._pos
        return (restore, ("read_chunks",), (self._path, pos, self._size, self._stop))

    def __setstate__(self, state):
        path, pos, size, stop = state
        self._finish()
        self._path = path
        self._label = repr(path)
        self._size = size
        self._stop = stop
        if pos is None:
            return
        self._reopen(path)
        self._set(size, pos, stop)


class read_lines(_Reader):
    """read_lines(source, *, encoding=None, errors="strict", keepends=False, start=0, stop=None, buffer_size=1 << 20, max_line_length=None)

    The lines of *source*, split on ``b"\\n"``; see the Cython twin.
    """

    _name = "read_lines"
    __slots__ = (
        "_encoding",
        "_codec",
        "_errors",
        "_keepends",
        "_stop",
        "_buffer_size",
        "_max",
        "_buf",
        "_pos",
        "_base",
        "_skip",
        "_eof",
    )
    __class_getitem__ = classmethod(GenericAlias)

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._encoding = self._codec = None
        self._errors = "strict"
        self._keepends = False
        self._stop = None
        self._buffer_size = 1 << 20
        self._max = None
        self._buf = b""
        self._pos = self._base = 0
        self._skip = self._eof = False
        return self

    def __init__(
        self,
        source,
        *,
        encoding=None,
        errors="strict",
        keepends=False,
        start=0,
        stop=None,
        buffer_size=1 << 20,
        max_line_length=None,
    ):
        codec = _readargs.codec_name(encoding, errors)
        start = _readargs.offset(start, "start")
        stop = _readargs.optional_offset(stop, "stop")
        buffer_size = _readargs.positive(buffer_size, "buffer_size")
        if max_line_length is not None:
            max_line_length = _readargs.offset(max_line_length, "max_line_length")
        self._open(source, start != 0 or stop is not None)
        self._encoding = encoding
        self._codec = codec
        self._errors = errors
        self._keepends = bool(keepends)
        self._buffer_size = buffer_size
        self._max = max_line_length
        self._stop = stop
        # a line starting at *start* is ours only if the byte before is b"\n"
        if start > 0:
            self._seek(start - 1, True)
        else:
            self._seek(0, False)

    def _seek(self, pos, skip):
        self._buf = b""
        self._pos = 0
        self._base = pos
        self._skip = skip
        self._eof = False
        if self._src.seekable:
            self._src.file.seek(pos)

    def _fill(self, keep_from):
        """Drop ``_buf[:keep_from]``, read more; ``_eof`` says when there is no more."""
        pending = self._buf[keep_from:]
        data = _read(self._src, max(self._buffer_size, len(pending)))
        self._base += keep_from
        self._pos -= keep_from
        self._eof = not data
        self._buf = pending + data

    def _align(self):
        """Skip the rest of the line that holds the byte before *start*."""
        while True:
            nl = self._buf.find(b"\n", self._pos)
            if nl >= 0:
                self._pos = nl + 1
                self._skip = False
                return
            self._pos = len(self._buf)
            if self._eof:
                self._skip = False
                return
            self._fill(self._pos)

    @property
    def offset(self):
        """The byte offset of the next line (where the reader ended, once exhausted)."""
        return self._offset()

    @guarded
    def _offset(self):
        if self._skip and self._src is not None:
            self._align()
        return self._base + self._pos

    @guarded
    def __next__(self):
        if self._src is None:
            raise StopIteration
        if self._skip:
            self._align()
        start = self._pos
        if self._stop is not None and self._base + start >= self._stop:
            self._finish()
            raise StopIteration
        scan = start
        while True:
            buf = self._buf
            nl = buf.find(b"\n", scan)
            if nl >= 0:
                end = nl + 1
                length = nl - start
                break
            if self._max is not None and len(buf) - start > self._max:
                length = len(buf) - start
                break
            scan = len(buf) - start
            if not self._eof:
                self._fill(start)
                start = 0
                continue
            if start == len(buf):
                self._finish()
                raise StopIteration
            end = len(buf)
            length = end - start
            break
        if self._max is not None and length > self._max:
            self._pos = start
            self._finish()
            raise ValueError(
                f"line at byte offset {self._base} is longer than "
                f"max_line_length={self._max} bytes"
            )
        # the line is made before the reader moves past it: after a
        # MemoryError the next call tries it again
        if self._keepends or nl < 0:
            line = buf[start:end]
        elif length > 0 and buf[nl - 1] == 13:
            line = buf[start : nl - 1]
        else:
            line = buf[start:nl]
        codec = self._codec
        if codec == "utf-8-sig" and self._base + start > 0:
            codec = "utf-8"  # a BOM only starts the file
        self._pos = end
        if codec is None:
            return line
        try:
            return line.decode(codec, self._errors)  # if it fails, the line is consumed
        except MemoryError:
            self._pos = start  # but not for want of memory
            raise

    @guarded
    def close(self):
        """Stop reading; a file the reader opened is closed now."""
        self._finish()

    def _finish(self):
        super()._finish()
        self._base += self._pos
        self._pos = 0
        self._buf = b""

    def __reduce__(self):
        self._check_picklable()
        pos = None if self._src is None else self._base + self._pos
        return (
            restore,
            ("read_lines",),
            (
                self._path,
                pos,
                self._skip,
                self._stop,
                self._encoding,
                self._errors,
                self._keepends,
                self._buffer_size,
                self._max,
            ),
        )

    def __setstate__(self, state):
        path, pos, skip, stop, encoding, errors, keepends, buffer_size, max_length = state
        self._finish()
        self._path = path
        self._label = repr(path)
        self._encoding = encoding
        self._codec = _readargs.codec_name(encoding, errors)
        self._errors = errors
        self._keepends = keepends
        self._stop = stop
        self._buffer_size = buffer_size
        self._max = max_length
        if pos is None:
            return
        self._reopen(path)
        self._seek(pos, skip)
