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
from cyiter._source import checked_length, length_hint, open_source, pickle_source, reopen, seek

_BOM = b"\xef\xbb\xbf"
_CHUNK_BUFFER = 262144


class _Reader(Guarded):
    """What every reader shares: the source, the buffer, ``.offset``, closing and pickling."""

    __slots__ = ("_src", "_path", "_label", "_options", "_buf", "_pos", "_base", "_eof", "_rbuf")
    _bind: Callable[..., tuple[Any, dict[str, Any]]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "_bind" in cls.__dict__:
            # the public signature is that of the argument checks
            cls.__signature__ = _readargs.signature(cls.__name__)  # type: ignore[attr-defined]

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
        self._open(open_source(source, type(self).__name__, ranged, options["compression"]))
        options["compression"] = self._src.compression  # (pickles record what was found)
        self._begin(options["start"])

    def _open(self, src):
        self._src = src
        self._path = src.path
        self._label = repr(src)

    def _seek(self, pos):
        """Read on from file offset *pos*, with nothing in the buffer."""
        self._buf = b""
        self._pos = 0
        self._base = pos
        self._eof = False
        if self._src.seekable:
            seek(self._src, pos)

    def _reserve(self, size):
        """Have a read buffer of *size* bytes, reused by every read that fits
        (so that a size too large for memory fails now, not at a read)."""
        self._rbuf = bytearray(size)

    def _fill(self, keep_from, size):
        """Drop ``_buf[:keep_from]`` and read up to *size* more bytes;
        ``_eof`` says when the source had none.  If the source fails, the
        error propagates and nothing changes."""
        try:
            room = self._rbuf if len(self._rbuf) >= size else bytearray(size)
            view = memoryview(room)[:size]
            got = checked_length(self._src.readinto(view), size)
            kept = b"".join((memoryview(self._buf)[keep_from:], view[:got]))
        except BaseException:
            self._resync()
            raise
        self._base += keep_from
        self._pos -= keep_from
        self._buf = kept
        self._eof = got == 0

    def _resync(self):
        """After a failed read: a seekable source goes back to where the
        reader is, in case it took bytes before it failed (BytesIO does when
        it cannot make the int it returns)."""
        if self._src is not None and self._src.seekable:
            try:
                self._src.file.seek(self._base + len(self._buf))
            except Exception:
                pass  # (the error being raised says more)

    def _finish(self):
        """Let the source go (closing a file the reader opened); exhausted from now on."""
        src = self._src
        self._base += self._pos
        self._pos = 0
        self._buf = b""
        self._rbuf = bytearray()
        if src is not None:
            self._src = None
            src.close()

    def __iter__(self):
        return self

    def __enter__(self):
        """The reader itself: ``with`` closes it at the end of the block."""
        return self

    def __exit__(self, *exc_info):
        """Close the reader."""
        self.close()

    def __del__(self):
        self._finish()

    @guarded
    def close(self):
        """Stop reading; a file the reader opened is closed now."""
        self._finish()

    @property
    def offset(self):
        """The byte offset in the file of the next item (where the reader
        ended, once exhausted)."""
        return self._offset()

    @guarded
    def _offset(self):
        return self._base + self._pos

    def __reduce__(self):
        return (_state.restore, (type(self).__name__,), self._pickle_state())

    @guarded
    def _pickle_state(self):
        path, identity = pickle_source(self._src, self._path, type(self).__name__)
        return {
            "path": path,
            "identity": identity,
            "offset": None if self._src is None else self._base + self._pos,
            "options": self._options,
            **self._extra_state(),
        }

    def _extra_state(self):
        return {}

    @guarded
    def __setstate__(self, state):
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

    def __repr__(self):
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

    def _configure(self, options):
        self._options = options
        self._size = options["size"]
        self._stop = options["stop"]

    def _begin(self, start):
        self._resume(start, {})

    def _resume(self, offset, extra):
        self._reserve(_CHUNK_BUFFER)
        self._seek(offset)

    @guarded
    def __next__(self):
        if self._src is None:
            raise StopIteration
        want = self._size
        if self._stop is not None:
            want = min(want, self._stop - self._base - self._pos)
        while len(self._buf) - self._pos < want and not self._eof:
            # small chunks come out of reads of at least _CHUNK_BUFFER bytes
            self._fill(self._pos, max(want - (len(self._buf) - self._pos), _CHUNK_BUFFER))
        chunk = self._buf[self._pos : self._pos + max(want, 0)]
        if not chunk:
            self._finish()
            raise StopIteration
        self._pos += len(chunk)
        return chunk

    @guarded
    def __length_hint__(self):
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
    __class_getitem__ = classmethod(GenericAlias)
    _bind = staticmethod(_readargs.read_lines)

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._skip = False
        return self

    def _configure(self, options):
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

    def _begin(self, start):
        # a line starting at *start* is ours only if the byte before is b"\n"
        self._resume(max(start - 1, 0), {"skip": start > 0})

    def _resume(self, offset, extra):
        if type(extra["skip"]) is not bool:
            raise TypeError(f"read_lines state: bad skip {extra['skip']!r}")
        self._reserve(self._buffer_size)
        self._seek(offset)
        self._skip = extra["skip"]

    def _extra_state(self):
        return {"skip": self._skip}

    def _align(self):
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

    def _find_line(self, start):
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
