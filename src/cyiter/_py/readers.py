"""Pure-Python twin of the readers family: the reader core, read_chunks, read_lines.

This module is the readable specification of cyiter's readers; the Cython
twin (``_cy/readers.pyx``) does the same with C buffers.  Every reader is a
:class:`_Reader`, which owns:

* the source (``cyiter._source``): a path it opens and closes, or a binary
  file object it never closes;
* the buffer: ``_buf[_pos:]`` holds the bytes read but not consumed yet,
  and ``_buf[0]`` is at file offset ``_base``, so ``.offset`` is
  ``_base + _pos``;
* the read layer, :meth:`_Reader._fill`: the one place bytes come from.
  A source that raises, returns None or a bad length makes ``_fill`` raise
  with the reader's state untouched: the item being made stays unconsumed
  and the next call starts it again where the source goes on;
* closing, ``with``, pickling (the path, the offset, what identifies the
  file, and the options) and resuming from a pickle.

A subclass gives the function of ``cyiter._readargs`` that checks its
arguments (``_bind``), takes the options (``_configure``), positions itself
at the start of its byte range (``_begin``) or at a pickled offset
(``_resume``), and makes its items (``__next__``).
"""

from __future__ import annotations

from types import GenericAlias
from typing import Any, Callable

from cyiter import _readargs, _state
from cyiter._py._guard import Guarded, guarded
from cyiter._readargs import Options
from cyiter._source import (
    Source,
    checked_length,
    length_hint,
    open_source,
    pickle_source,
    reopen,
    seek,
)

_BOM = b"\xef\xbb\xbf"
_CHUNK_BUFFER = 262144


class _Reader(Guarded):
    """What every reader shares: the source, the buffer, ``.offset``, closing and pickling."""

    __slots__ = ("_src", "_path", "_label", "_options", "_buf", "_pos", "_base", "_eof", "_rbuf")

    _src: Source | None  # None once exhausted or closed
    _path: str | None  # the path of a file the reader opened, else None
    _label: str  # what the repr names: the path, or the file object
    _options: Options  # the checked arguments, as pickles record them
    _buf: bytes
    _pos: int
    _base: int
    _eof: bool
    _rbuf: bytearray  # the buffer reads fill (see _reserve)

    # set by the subclass: its argument checks, options, and positioning at
    # the start of its range or at a pickled offset with its extra state
    _bind: Callable[..., tuple[Any, Options]]
    _configure: Callable[[Options], None]
    _begin: Callable[[int], None]
    _resume: Callable[[int, dict[str, Any]], None]
    __next__: Callable[[], Any]  # ... and its items

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_bind" in cls.__dict__:
            # the public signature is that of the argument checks
            # (a fixed signature, in place of Guarded's InitSignature descriptor)
            cls.__signature__ = _readargs.signature(cls.__name__)  # type: ignore[assignment]

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls)
        self._src = None
        self._path = None
        self._label = "nothing"
        self._options = None
        self._buf = b""
        self._pos = 0
        self._base = 0
        self._eof = False
        self._rbuf = bytearray()
        self._configure(cls._bind(None)[1])  # (a new object is exhausted)
        return self

    @guarded
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        source, options = type(self)._bind(*args, **kwargs)
        self._finish()  # called again: the old source goes
        self._configure(options)
        ranged = options["start"] != 0 or options["stop"] is not None
        src = open_source(source, type(self).__name__, ranged, options["compression"])
        self._open(src)
        options["compression"] = src.compression  # (pickles record what was found)
        self._begin(options["start"])

    def _open(self, src: Source) -> None:
        self._src = src
        self._path = src.path
        self._label = repr(src)

    def _seek(self, pos: int) -> None:
        """Read on from file offset *pos*, with nothing in the buffer."""
        src = self._src
        assert src is not None  # (positioning follows _open)
        self._buf = b""
        self._pos = 0
        self._base = pos
        self._eof = False
        if src.seekable:
            seek(src, pos)

    def _reserve(self, size: int) -> None:
        """Have a read buffer of *size* bytes, reused by every read that fits
        (so that a size too large for memory fails now, not at a read)."""
        self._rbuf = bytearray(size)

    def _fill(self, keep_from: int, size: int) -> None:
        """Drop ``_buf[:keep_from]`` and read up to *size* more bytes;
        ``_eof`` says when the source had none.  If the source fails, the
        error propagates and nothing changes."""
        src = self._src
        assert src is not None and src.readinto is not None  # (only an open reader reads)
        try:
            room = self._rbuf if len(self._rbuf) >= size else bytearray(size)
            view = memoryview(room)[:size]
            got = checked_length(src.readinto(view), size)
            kept = b"".join((memoryview(self._buf)[keep_from:], view[:got]))
        except BaseException:
            self._resync()
            raise
        self._base += keep_from
        self._pos -= keep_from
        self._buf = kept
        self._eof = got == 0

    def _resync(self) -> None:
        """After a failed read: a seekable source goes back to where the
        reader is, in case it took bytes before it failed (BytesIO does when
        it cannot make the int it returns)."""
        if self._src is not None and self._src.seekable:
            try:
                self._src.file.seek(self._base + len(self._buf))
            except Exception:
                pass  # (the error being raised says more)

    def _finish(self) -> None:
        """Let the source go (closing a file the reader opened); exhausted from now on."""
        src = self._src
        self._base += self._pos
        self._pos = 0
        self._buf = b""
        self._rbuf = bytearray()
        if src is not None:
            self._src = None
            src.close()

    def __iter__(self) -> _Reader:
        return self

    def __enter__(self) -> _Reader:
        """The reader itself: ``with`` closes it at the end of the block."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close the reader."""
        self.close()

    def __del__(self) -> None:
        self._finish()

    @guarded
    def close(self) -> None:
        """Stop reading; a file the reader opened is closed now."""
        self._finish()

    @property
    def offset(self) -> int:
        """The byte offset in the file of the next item (where the reader
        ended, once exhausted)."""
        return self._offset()

    @guarded
    def _offset(self) -> int:
        return self._base + self._pos

    def __reduce__(self) -> tuple[Any, ...]:
        return (_state.restore, (type(self).__name__,), self._pickle_state())

    @guarded
    def _pickle_state(self) -> dict[str, Any]:
        path, identity = pickle_source(self._src, self._path, type(self).__name__)
        return {
            "path": path,
            "identity": identity,
            "offset": None if self._src is None else self._base + self._pos,
            "options": self._options,
            **self._extra_state(),
        }

    def _extra_state(self) -> dict[str, Any]:
        return {}

    @guarded
    def __setstate__(self, state: object) -> None:
        name = type(self).__name__
        path, identity, offset, options, extra = _state.reader_state(name, state, self._extra_state())
        _, options = type(self)._bind(path, **options)
        self._finish()
        self._configure(options)
        self._path = path
        self._label = repr(path)
        if offset is not None:
            self._open(reopen(path, identity, offset, name, options["compression"]))
            self._resume(offset, extra)

    def __repr__(self) -> str:
        closed = " (closed)" if self._src is None else ""
        return f"<cyiter.{type(self).__name__} {self._label}{closed}>"


class read_chunks(_Reader):
    """``bytes`` chunks of exactly *size* bytes (the last may be shorter) from
    byte offset *start* up to *stop* (None: the end of the file).

    *source* is a path, which the reader opens and closes (at exhaustion,
    ``close()``, the end of a ``with`` block or garbage collection), or a
    binary file object, never closed by cyiter; a seekable one is first
    moved to *start*.  A pipe can be read only without a range.  ``.offset``
    is the file offset of the next chunk.  A reader over a path pickles and
    resumes at the same chunk.

    *compression* decompresses gzip, bz2, xz or zstd data on the fly:
    "infer" (not the default here) recognises it by its first bytes (in a path or a file object
    that can seek; one that cannot is read as it is), None reads the bytes
    as they are, and "gzip", "bz2", "xz" or "zstd" name the kind.  Offsets
    then count decompressed bytes, and a byte range raises ValueError.

    >>> from cyiter import read_chunks
    >>> import io
    >>> list(read_chunks(io.BytesIO(b"abcdefg"), 3))
    [b'abc', b'def', b'g']
    """

    __slots__ = ("_size", "_stop")
    _bind = staticmethod(_readargs.read_chunks)

    _size: int
    _stop: int | None

    def _configure(self, options: Options) -> None:
        self._options = options
        self._size = options["size"]
        self._stop = options["stop"]

    def _begin(self, start: int) -> None:
        self._resume(start, {})

    def _resume(self, offset: int, extra: dict[str, Any]) -> None:
        self._reserve(_CHUNK_BUFFER)
        self._seek(offset)

    @guarded
    def __next__(self) -> bytes:
        if self._src is None:
            raise StopIteration
        want = self._size
        if self._stop is not None:
            want = min(want, self._stop - self._base - self._pos)
        while len(self._buf) - self._pos < want and not self._eof:
            # small chunks come out of reads of _CHUNK_BUFFER bytes; a large
            # one is read alone, to be returned without another copy
            need = want - (len(self._buf) - self._pos)
            self._fill(self._pos, need if want >= _CHUNK_BUFFER // 4 else max(need, _CHUNK_BUFFER))
        chunk = self._buf[self._pos : self._pos + max(want, 0)]
        if not chunk:
            self._finish()
            raise StopIteration
        self._pos += len(chunk)
        return chunk

    @guarded
    def __length_hint__(self) -> Any:  # (an int, or NotImplemented: a source of unknown size)
        return length_hint(self._src, self._base + self._pos, self._stop, self._size)


class read_lines(_Reader):
    """The lines of *source* split on ``b"\\n"``: ``bytes`` when *encoding* is
    None, else ``str`` decoded with *encoding* and *errors* (an
    ASCII-compatible encoding: utf-8, latin-1, cp1252, shift_jis, ..., or
    utf-8-sig; others such as utf-16 raise ValueError).  Without *keepends*
    the ``\\n`` and a ``\\r`` just before it are removed.  A last line
    without ``\\n`` is a line too.  A line that does not decode raises
    UnicodeDecodeError and the next call goes on after it.

    *source* is a path, which the reader opens and closes (at exhaustion,
    ``close()``, the end of a ``with`` block or garbage collection), or a
    binary file object, never closed by cyiter; a seekable one is first
    moved to *start*.  A pipe can be read only without a range.

    *compression* decompresses gzip, bz2, xz or zstd data on the fly:
    "infer" recognises it by its first bytes (in a path or a file object
    that can seek; one that cannot is read as it is), None reads the bytes
    as they are, and "gzip", "bz2", "xz" or "zstd" name the kind.  Offsets
    then count decompressed bytes, and a byte range raises ValueError.

    A line belongs to the byte range ``[start, stop)`` that holds its first
    byte, so ranges ``[0, a)``, ``[a, b)``, ``[b, None)`` yield every line
    exactly once.  ``.offset`` is the file offset of the next line.  A line
    longer than *max_line_length* bytes (not counting its ``\\n``) raises
    ValueError and ends the reader.  A reader over a path pickles and
    resumes at the same line.

    >>> from cyiter import read_lines
    >>> import io
    >>> list(read_lines(io.BytesIO(b"one\\r\\ntwo\\nthree"), encoding="utf-8"))
    ['one', 'two', 'three']
    """

    __slots__ = ("_codec", "_sig", "_errors", "_keepends", "_stop", "_buffer_size", "_maxlen", "_skip")
    __class_getitem__: classmethod[Any, [Any], GenericAlias] = classmethod(GenericAlias)
    # (the base's type: read_jsonl, a read_lines, binds other arguments)
    _bind: Callable[..., tuple[Any, Options]] = staticmethod(_readargs.read_lines)

    _codec: str | None  # None: bytes lines
    _sig: bool
    _errors: str
    _keepends: bool
    _stop: int | None
    _buffer_size: int
    _maxlen: int | None
    _skip: bool  # the line that holds the byte before the range's start is still to skip

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls)
        self._skip = False
        return self

    def _configure(self, options: Options) -> None:
        self._options = options
        codec = _readargs.codec_name(options["encoding"], options["errors"])
        # utf-8-sig: utf-8 with a BOM dropped at the start of the file only
        self._sig = codec == "utf-8-sig"
        self._codec = "utf-8" if self._sig else codec
        self._errors = options["errors"]
        self._keepends = options["keepends"]
        self._stop = options["stop"]
        self._buffer_size = options["buffer_size"]
        self._maxlen = options["max_line_length"]

    def _begin(self, start: int) -> None:
        # a line starting at *start* is ours only if the byte before is b"\n"
        self._resume(max(start - 1, 0), {"skip": start > 0})

    def _resume(self, offset: int, extra: dict[str, Any]) -> None:
        if type(extra["skip"]) is not bool:
            raise TypeError(f"read_lines state: bad skip {extra['skip']!r}")
        self._reserve(self._buffer_size)
        self._seek(offset)
        self._skip = extra["skip"]

    def _extra_state(self) -> dict[str, Any]:
        return {"skip": self._skip}

    def _align(self) -> None:
        """Skip the rest of the line that holds the byte before *start*."""
        while True:
            nl = self._buf.find(b"\n", self._pos)
            if nl >= 0:
                self._pos = nl + 1
                break
            self._pos = len(self._buf)
            if self._eof:
                break
            self._fill(self._pos, self._buffer_size)
        self._skip = False

    @guarded
    def _offset(self) -> int:
        if self._skip and self._src is not None:
            self._align()
        return self._base + self._pos

    @guarded
    def __next__(self) -> bytes | str:
        if self._src is None:
            raise StopIteration
        if self._skip:
            self._align()
        start = self._pos
        if self._stop is not None and self._base + start >= self._stop:
            self._finish()
            raise StopIteration
        buf = self._buf
        nl = buf.find(b"\n", start)
        if nl >= 0 and (self._maxlen is None or nl - start <= self._maxlen):
            end = nl + 1  # the common case: the line is in the buffer
        else:
            nl, end = self._find_line(start)
            if end < 0:
                self._finish()
                raise StopIteration
            start = self._pos
            buf = self._buf
        if self._keepends or nl < 0:
            line = buf[start:end]
        elif nl > start and buf[nl - 1] == 13:
            line = buf[start : nl - 1]
        else:
            line = buf[start:nl]
        codec = self._codec
        if codec is None:
            self._pos = end
            return line
        if self._sig and self._base + start == 0 and line.startswith(_BOM):
            line = line[3:]
            if not line and nl < 0:  # a file that is only a BOM has no line
                self._finish()
                raise StopIteration
        # a line that does not decode is consumed; one that finds no memory
        # (or is interrupted) is not
        try:
            text = line.decode(codec, self._errors)
        except MemoryError:
            raise
        except Exception:
            self._pos = end
            raise
        self._pos = end
        return text

    def _find_line(self, start: int) -> tuple[int, int]:
        """``(index of its b"\\n" or -1, index after it)`` for the line at
        ``_buf[start:]``, reading until it is whole; end -1: no more lines.
        Raises ValueError for a line longer than max_line_length."""
        scan = start
        maxlen = self._maxlen
        while True:
            buf = self._buf
            nl = buf.find(b"\n", scan)
            if nl >= 0:
                length, end = nl - start, nl + 1
                break
            if maxlen is not None and len(buf) - start > maxlen:
                length, end = len(buf) - start, -1
                break
            if self._eof:
                if start == len(buf):
                    return -1, -1
                length, end = len(buf) - start, len(buf)
                break
            scan = len(buf)
            self._fill(start, max(self._buffer_size, len(buf) - start))
            scan -= start
            start = 0
        if maxlen is not None and length > maxlen:
            self._pos = start
            offset = self._base + start
            self._finish()
            raise ValueError(
                f"line at byte offset {offset} is longer than max_line_length={maxlen} bytes"
            )
        self._pos = start
        return nl, end
