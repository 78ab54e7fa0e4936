"""Cython twin of the readers family: read_chunks, read_lines.

The pure-Python twin is ``cyiter/_py/readers.py``; both must behave the
same in every observable way (items, offsets, errors, repr, pickles).
Sources (paths, file objects, what closes what) come from
``cyiter._source``; argument checks from ``cyiter._readargs``.

Both read into a buffer the reader owns and reuses, so memory stays
bounded by the buffer (and by the longest line for ``read_lines``),
whatever the size of the file: with read(2) on a file the reader opened
itself, else with the source's ``readinto``.  read_lines finds newlines 64
bytes at a time (SSE2 masks, memchr elsewhere) and turns an ASCII line into
a str by a copy, without decoding.
"""

cimport cython
from cpython.buffer cimport PyBUF_WRITE
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.exc cimport PyErr_CheckSignals, PyErr_SetFromErrno
from cpython.memoryview cimport PyMemoryView_FromMemory
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_Decode, PyUnicode_DecodeUTF8
from cpython.pyport cimport PY_SSIZE_T_MAX
from libc.errno cimport EINTR, errno
from libc.string cimport memchr, memcmp, memcpy, memmove

from cyiter._cy._capi cimport ascii_text_raw, bytes_raw, next_nl, nl_scan, steal, sys_read
from cyiter._cy._guard cimport Guard, guard_enter, guard_leave

import io
import os
from types import GenericAlias

from cyiter import _readargs
from cyiter._source import open_source, reopen
from cyiter._state import restore


# read_chunks reads chunks smaller than DIRECT_CHUNK through a buffer of
# CHUNK_BUFFER bytes (fewer system calls), larger ones straight into the
# bytes object it returns.
cdef enum:
    DIRECT_CHUNK = 65536
    CHUNK_BUFFER = 262144
    # The kernel's copy from the page cache into a buffer can be 5x slower
    # (measured on AMD EPYC: 256 MiB in 0.10 s instead of 0.02 s) when the
    # buffer address minus the file offset is 1 to 31 modulo 64; 0 is fast
    # everywhere.  So ``data`` is 64-byte aligned and ``base`` a multiple of
    # 64 wherever the reader can choose (see _copy_friendly for the rest).
    ALIGN = 64

cdef Py_ssize_t NO_LIMIT = PY_SSIZE_T_MAX


cdef inline bint _copy_friendly(object chunk, long long offset) noexcept:
    """Whether the kernel copies fast from file *offset* into bytes *chunk*."""
    cdef size_t shift = (<size_t>PyBytes_AS_STRING(chunk) - <size_t>offset) % ALIGN
    return shift == 0 or shift >= 32


cdef bint _trusted(file):
    """Whether *file*.readinto surely keeps no reference to its buffer."""
    kind = type(file)
    if kind is io.BufferedReader:
        return type(file.raw) is io.FileIO
    return kind is io.FileIO or kind is io.BytesIO


cdef class _Reader:
    """What both readers share: the source, closing, context manager."""

    cdef object src        # cyiter._source.Source; None once exhausted/closed
    cdef object readinto   # src.readinto
    cdef object path       # absolute path; None for a file object
    cdef object label      # repr of the source
    cdef bytearray buf     # the reused buffer, 2 * ALIGN bytes more than cap
    cdef char* data        # ALIGN-aligned in buf; data[pos:end] is unread
    cdef Py_ssize_t cap
    cdef Py_ssize_t pos
    cdef Py_ssize_t end
    cdef long long base    # file offset of data[0]
    cdef bint eof
    cdef bint trusted      # readinto may be given memory that is not buf
    cdef int fd            # descriptor of a FileIO the reader opened, else -1
    cdef object __weakref__
    cdef Guard guard

    def __cinit__(self, *args, **kwargs):
        self.label = "nothing"
        self.fd = -1
        self.buf = PyByteArray_FromStringAndSize(NULL, 0)
        self.data = PyByteArray_AS_STRING(self.buf)
        self.cap = 0

    def __del__(self):
        # __del__ (tp_finalize) runs before the garbage collector clears
        # ``src``, so a reader caught in a reference cycle still closes
        if self.src is not None:
            self.src.close()

    cdef _open(self, source, bint ranged, str name):
        self._finish()  # __init__ called again: let the old source go
        self.src = open_source(source, name, ranged)
        self.readinto = self.src.readinto
        self.trusted = _trusted(self.src.file)
        self.path = self.src.path
        self._own_fd()
        self.label = repr(self.src)

    cdef _reopen(self, path, str name):
        self.src = reopen(path, name)
        self.readinto = self.src.readinto
        self.trusted = _trusted(self.src.file)
        self.path = path
        self.label = repr(path)
        self._own_fd()

    cdef _own_fd(self):
        # only a file the reader opened: nobody else can close it meanwhile
        if self.path is not None and type(self.src.file) is io.FileIO:
            self.fd = self.src.file.fileno()

    cdef _seek(self, long long pos):
        self.eof = False
        # the file position is always base + end
        self.base = pos - pos % ALIGN
        self.pos = self.end = pos % ALIGN
        if self.src.seekable:
            self.src.file.seek(pos)

    cdef _finish(self):
        src = self.src
        self.base += self.pos
        self.pos = self.end = 0
        if src is not None:
            self.src = None
            self.readinto = None
            self.fd = -1
            src.close()
            self._resize(0)

    cdef _resize(self, Py_ssize_t size):
        """Make room for *size* bytes, keeping ``data[:end]``.

        A new bytearray each time (this is rare: creation, long lines, the
        end): an untrusted readinto may still hold a view of the old one.
        """
        cdef bytearray buf = PyByteArray_FromStringAndSize(NULL, size + 2 * ALIGN)
        cdef char* raw = PyByteArray_AS_STRING(buf)
        raw += (ALIGN - <size_t>raw % ALIGN) % ALIGN
        if self.end > 0:
            memcpy(raw, self.data, self.end)
        self.buf = buf
        self.data = raw
        self.cap = size

    cdef Py_ssize_t _readinto(self, char* into, Py_ssize_t size) except -1:
        """Read at most *size* bytes at *into*: in ``buf``, or anywhere if trusted.

        An untrusted readinto gets a view of ``buf``: should it keep the
        view, that keeps the bytearray alive, no dangling pointer.
        """
        cdef Py_ssize_t got
        cdef Py_ssize_t at
        if self.fd >= 0:
            while True:
                with nogil:
                    got = sys_read(self.fd, into, size)
                if got >= 0:
                    return got
                if errno != EINTR:
                    PyErr_SetFromErrno(OSError)
                PyErr_CheckSignals()
        if self.trusted:
            got = self.readinto(PyMemoryView_FromMemory(into, size, PyBUF_WRITE))
        else:
            at = into - PyByteArray_AS_STRING(self.buf)
            got = self.readinto(memoryview(self.buf)[at : at + size])
        if got < 0 or got > size:
            raise OSError(f"readinto() returned {got}, outside 0..{size}")
        return got

    cdef _compact(self, Py_ssize_t keep_from):
        """Drop what is before ``data[keep_from]``, but keep ``base`` aligned.

        ``data[keep_from:end]`` moves to ``data[t:]`` with *t* the file
        offset of ``data[keep_from]`` modulo ALIGN.
        """
        cdef Py_ssize_t t = (self.base + keep_from) % ALIGN
        if keep_from == self.end:
            self.base += keep_from - t
            self.pos = self.end = t
            return
        if keep_from <= t:
            return
        memmove(self.data + t, self.data + keep_from, self.end - keep_from)
        self.base += keep_from - t
        self.pos -= keep_from - t
        self.end -= keep_from - t

    cdef _read_more(self, Py_ssize_t least):
        """Read into ``data[end:]``, first making room for *least* bytes."""
        cdef Py_ssize_t got
        if self.cap - self.end < least:
            self._resize(self.end + least)
        got = self._readinto(self.data + self.end, self.cap - self.end)
        self.eof = got == 0
        self.end += got

    def __iter__(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @cython.critical_section
    def close(self):
        """Stop reading; a file the reader opened is closed now."""
        guard_enter(&self.guard, type(self).__name__)
        try:
            self._finish()
        finally:
            guard_leave(&self.guard)

    cdef _check_picklable(self):
        if self.path is None and self.label != "nothing":
            raise TypeError(
                f"cannot pickle a {type(self).__name__} reading a file object: it could "
                "not be reopened elsewhere; give the reader a path to make it picklable"
            )

    def __repr__(self):
        closed = " (closed)" if self.src is None else ""
        return f"<cyiter.{type(self).__name__} {self.label}{closed}>"


@cython.final
cdef class read_chunks(_Reader):
    """read_chunks(source, size=65536, *, start=0, stop=None)

    ``bytes`` chunks of exactly *size* bytes (the last may be shorter) from
    byte offset *start* up to *stop* (None: the end of the file).

    *source* is a path, which the reader opens and closes (at exhaustion,
    ``close()``, the end of a ``with`` block or garbage collection), or a
    binary file object, never closed by cyiter; a seekable one is first
    moved to *start*.  A pipe can be read only without a range.  ``.offset``
    is the file offset of the next chunk.  A reader over a path pickles and
    resumes at the same chunk.

    >>> from cyiter import read_chunks
    >>> import io
    >>> list(read_chunks(io.BytesIO(b"abcdefg"), 3))
    [b'abc', b'def', b'g']
    """

    cdef Py_ssize_t size
    cdef long long stop   # -1: none
    cdef bint direct      # read straight into the returned bytes

    def __init__(self, source, size=65536, *, start=0, stop=None):
        size = _readargs.positive(size, "size")
        start = _readargs.offset(start, "start")
        stop = _readargs.optional_offset(stop, "stop")
        self._open(source, start != 0 or stop is not None, "read_chunks")
        self._set(size, start, stop)

    cdef _set(self, Py_ssize_t size, long long pos, stop):
        self.size = size
        self.stop = -1 if stop is None else stop
        # FileIO.readinto keeps no reference to the memory it is given, so
        # reading into the bytes object that is then returned is safe.
        self.direct = size >= DIRECT_CHUNK and type(self.src.file) is io.FileIO
        self._resize(0 if self.direct else max(size, CHUNK_BUFFER))
        self._seek(pos)

    @property
    def offset(self):
        """The byte offset of the next chunk."""
        return self.base + self.pos

    @cython.critical_section
    def __next__(self):
        cdef Py_ssize_t want = self.size
        cdef Py_ssize_t avail = self.end - self.pos
        if self.stop >= 0 and self.stop - (self.base + self.pos) < want:
            want = self.stop - (self.base + self.pos)
        # while the guard is taken (a callback of this very reader, or
        # another thread's read), only the guarded path may run
        if avail >= want > 0 and not self.guard.running:
            chunk = PyBytes_FromStringAndSize(self.data + self.pos, want)
            self.pos += want
            return chunk
        guard_enter(&self.guard, "read_chunks")
        try:
            return self._next_slow(want)
        finally:
            guard_leave(&self.guard)

    cdef _next_slow(self, Py_ssize_t want):
        cdef Py_ssize_t got = 0
        cdef Py_ssize_t n
        if self.src is None or want <= 0:
            self._finish()
            raise StopIteration
        if self.direct and self.pos == self.end:
            chunk = PyBytes_FromStringAndSize(NULL, want)
            if _copy_friendly(chunk, self.base + self.pos):
                while got < want:
                    n = self._readinto(PyBytes_AS_STRING(chunk) + got, want - got)
                    if n == 0:
                        break
                    got += n
                if got == 0:
                    self._finish()
                    raise StopIteration
                self.base += got
                return chunk if got == want else chunk[:got]
            # a slow copy for the kernel: read into the buffer, then copy
            chunk = None
        while self.end - self.pos < want and not self.eof:
            self._compact(self.pos)
            self._read_more(want - (self.end - self.pos))
        got = min(want, self.end - self.pos)
        if got == 0:
            self._finish()
            raise StopIteration
        chunk = PyBytes_FromStringAndSize(self.data + self.pos, got)
        self.pos += got
        return chunk

    @cython.critical_section
    def __length_hint__(self):
        guard_enter(&self.guard, "read_chunks")
        try:
            if self.src is None:
                return 0
            if self.path is None:
                return NotImplemented
            end = os.fstat(self.src.file.fileno()).st_size
            if self.stop >= 0:
                end = min(end, self.stop)
            return max(0, -((self.base + self.pos - end) // self.size))
        finally:
            guard_leave(&self.guard)

    @cython.critical_section
    def __reduce__(self):
        self._check_picklable()
        pos = None if self.src is None else self.base + self.pos
        stop = None if self.stop < 0 else self.stop
        return (restore, ("read_chunks",), (self.path, pos, self.size, stop))

    @cython.critical_section
    def __setstate__(self, state):
        path, pos, size, stop = state
        guard_enter(&self.guard, "read_chunks")
        try:
            self._finish()
            self.path = path
            self.label = repr(path)
            self.size = size
            self.stop = -1 if stop is None else stop
            if pos is not None:
                self._reopen(path, "read_chunks")
                self._set(size, pos, stop)
        finally:
            guard_leave(&self.guard)


@cython.final
cdef class read_lines(_Reader):
    """read_lines(source, *, encoding=None, errors="strict", keepends=False, start=0, stop=None, buffer_size=1 << 20, max_line_length=None)

    The lines of *source* split on ``b"\\n"``: ``bytes`` when *encoding* is
    None, else ``str`` decoded with *encoding* and *errors* (an
    ASCII-compatible encoding: utf-8, latin-1, cp1252, ..., or utf-8-sig;
    others such as utf-16 raise ValueError).  Without *keepends* the ``\\n`` and a ``\\r``
    just before it are removed.  A last line without ``\\n`` is a line too.

    *source* is a path, which the reader opens and closes (at exhaustion,
    ``close()``, the end of a ``with`` block or garbage collection), or a
    binary file object, never closed by cyiter; a seekable one is first
    moved to *start*.  A pipe can be read only without a range.

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

    cdef object encoding
    cdef object errors
    cdef object codec       # normalised codec name, None for bytes lines
    cdef bytes codec_b
    cdef bytes errors_b
    cdef bint utf8
    cdef bint sig            # utf-8-sig: drop a BOM at the start of the file
    cdef bint keepends
    cdef bint skip           # discard through the next b"\n" first
    cdef long long stop      # -1: none
    # the fast path of __next__ runs while pos < stop_at: stop - base, so
    # that no line starting at stop or after is ours; -1 while skip is set
    cdef Py_ssize_t stop_at
    cdef Py_ssize_t buffer_size
    cdef Py_ssize_t maxlen   # NO_LIMIT: none
    cdef nl_scan scan

    def __cinit__(self, *args, **kwargs):
        self.errors = "strict"
        self.stop = -1
        self.stop_at = -1
        self.maxlen = NO_LIMIT
        self.buffer_size = 1 << 20
        self.scan.block = -1

    @classmethod
    def __class_getitem__(cls, item, /):
        """``read_lines[...]`` in annotations, as the stubs allow."""
        return GenericAlias(cls, item)

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
        self._open(source, start != 0 or stop is not None, "read_lines")
        self._options(encoding, errors, codec, keepends, stop, buffer_size, max_line_length)
        # a line starting at *start* is ours only if the byte before is b"\n"
        if start > 0:
            self._restart(start - 1, True)
        else:
            self._restart(0, False)

    cdef _options(self, encoding, errors, codec, keepends, stop, buffer_size, max_line_length):
        self.encoding = encoding
        self.errors = errors
        self.codec = codec
        self.codec_b = None if codec is None else codec.encode("ascii")
        self.errors_b = errors.encode("utf-8")
        self.utf8 = codec == "utf-8" or codec == "utf-8-sig"
        self.sig = codec == "utf-8-sig"
        self.keepends = bool(keepends)
        self.stop = -1 if stop is None else stop
        self.buffer_size = buffer_size
        self.maxlen = NO_LIMIT if max_line_length is None else max_line_length

    cdef _restart(self, long long pos, bint skip):
        self._resize(self.buffer_size)
        self._seek(pos)
        self.scan.block = -1
        self.skip = skip
        self._set_stop_at()

    cdef inline void _set_stop_at(self) noexcept:
        if self.src is None or self.skip:
            self.stop_at = -1
        elif self.stop < 0 or self.stop - self.base >= <long long>NO_LIMIT:
            self.stop_at = NO_LIMIT
        else:
            self.stop_at = <Py_ssize_t>(self.stop - self.base)

    cdef _fill(self, Py_ssize_t keep_from):
        """Keep ``data[keep_from:]`` (the line so far) and read more."""
        cdef Py_ssize_t least = 1
        self.scan.block = -1
        self._compact(keep_from)
        if self.end * 2 > self.cap:
            # a line that fills most of the buffer: double it, but never past
            # the room a line of max_line_length bytes and its b"\n" need
            least = self.cap
            if self.maxlen != NO_LIMIT:
                least = max(1, min(least, self.pos + self.maxlen + 1 - self.end))
        elif self.cap > self.buffer_size and self.end * 2 <= self.buffer_size:
            # a long line is over: give its memory back
            self._resize(self.buffer_size)
        self._read_more(least)
        self.scan.block = -1
        self._set_stop_at()

    cdef _finish(self):
        _Reader._finish(self)
        self.scan.block = -1
        self.stop_at = -1

    cdef _align(self):
        """Skip the rest of the line that holds the byte before *start*."""
        cdef char* nl
        while True:
            nl = <char*>memchr(self.data + self.pos, b"\n", self.end - self.pos)
            if nl != NULL:
                self.pos = nl - self.data + 1
                self.skip = False
                self._set_stop_at()
                return
            self.pos = self.end
            if self.eof:
                self.skip = False
                self._set_stop_at()
                return
            self._fill(self.pos)

    @property
    def offset(self):
        """The byte offset of the next line (where the reader ended, once exhausted)."""
        return self._offset()

    @cython.critical_section
    def _offset(self):
        if self.skip and self.src is not None:
            guard_enter(&self.guard, "read_lines")
            try:
                self._align()
            finally:
                guard_leave(&self.guard)
        return self.base + self.pos

    @cython.critical_section
    def __next__(self):
        cdef char* p
        cdef PyObject* line
        cdef Py_ssize_t nl, n
        cdef int ascii
        # while the guard is taken (a callback of this very reader, or
        # another thread's read), only the guarded path may run
        if self.pos < self.stop_at and not self.guard.running:
            if self.codec is None:
                nl = next_nl(&self.scan, self.data, self.pos, self.end, 0, &ascii)
            else:
                nl = next_nl(&self.scan, self.data, self.pos, self.end, 1, &ascii)
            if nl >= 0:
                p = self.data + self.pos
                n = nl - self.pos
                if n <= self.maxlen:
                    if self.keepends:
                        n += 1
                    elif n > 0 and p[n - 1] == b"\r":
                        n -= 1
                    # made before the reader moves past it: after a
                    # MemoryError the next call tries the line again
                    if self.codec is not None:
                        return self._text(p, n, ascii, nl + 1)
                    line = bytes_raw(p, n)
                    if line != NULL:
                        self.pos = nl + 1
                    return steal(line)
        return self._next_guarded()

    cdef _text(self, const char* p, Py_ssize_t n, bint ascii, Py_ssize_t after):
        """The line ``p[:n]`` as str, the reader moved on to ``after`` (see
        ``_decoded``)."""
        cdef PyObject* line
        if ascii:
            line = ascii_text_raw(p, n)
            if line != NULL:
                self.pos = after
            return steal(line)
        # an error handler or codec may call back into Python
        guard_enter(&self.guard, "read_lines")
        try:
            return self._decoded(p, n, after)
        finally:
            guard_leave(&self.guard)

    cdef _decoded(self, const char* p, Py_ssize_t n, Py_ssize_t after):
        """The line ``p[:n]``, which starts at ``pos``, decoded, and the
        reader moved on to ``after``.  A line that does not decode is
        consumed (the next call goes on after it); after a MemoryError the
        next call tries it again.  The guard is held."""
        cdef Py_ssize_t at = self.pos
        self.pos = after
        try:
            return self._decode(p, n)
        except MemoryError:
            self.pos = at
            raise

    cdef _next_guarded(self):
        guard_enter(&self.guard, "read_lines")
        try:
            return self._next_slow()
        finally:
            guard_leave(&self.guard)

    cdef _next_slow(self):
        cdef char* nl = NULL
        cdef Py_ssize_t start, scan, n, after
        if self.src is None:
            raise StopIteration
        if self.skip:
            self._align()
        start = self.pos
        if start >= self.stop_at:
            self._finish()
            raise StopIteration
        scan = start
        while True:
            nl = <char*>memchr(self.data + scan, b"\n", self.end - scan)
            if nl != NULL:
                n = nl - (self.data + start)
                break
            if self.end - start > self.maxlen:
                n = self.end - start
                break
            scan = self.end - start  # relative to the line, while data moves
            if not self.eof:
                self._fill(start)
                start = self.pos
                scan += start
                continue
            if start == self.end:
                self._finish()
                raise StopIteration
            n = self.end - start
            break
        if n > self.maxlen:
            self.pos = start
            self._finish()
            raise ValueError(
                f"line at byte offset {self.base} is longer than "
                f"max_line_length={self.maxlen} bytes"
            )
        if nl == NULL:
            after = start + n
        else:
            after = start + n + 1
            if self.keepends:
                n += 1
            elif n > 0 and (nl - 1)[0] == b"\r":
                n -= 1
        # pos is still start: the line is made before the reader moves on
        if self.codec is None:
            line = PyBytes_FromStringAndSize(self.data + start, n)
            self.pos = after
            return line
        return self._decoded(self.data + start, n, after)

    cdef inline _decode(self, const char* p, Py_ssize_t n):
        if self.utf8:
            if self.sig and self.base + (p - self.data) == 0 and n >= 3 and memcmp(p, b"\xef\xbb\xbf", 3) == 0:
                p += 3
                n -= 3
            return PyUnicode_DecodeUTF8(p, n, self.errors_b)
        return PyUnicode_Decode(p, n, self.codec_b, self.errors_b)

    @cython.critical_section
    def __reduce__(self):
        self._check_picklable()
        pos = None if self.src is None else self.base + self.pos
        return (
            restore,
            ("read_lines",),
            (
                self.path,
                pos,
                self.skip,
                None if self.stop < 0 else self.stop,
                self.encoding,
                self.errors,
                self.keepends,
                self.buffer_size,
                None if self.maxlen == NO_LIMIT else self.maxlen,
            ),
        )

    @cython.critical_section
    def __setstate__(self, state):
        path, pos, skip, stop, encoding, errors, keepends, buffer_size, max_length = state
        guard_enter(&self.guard, "read_lines")
        try:
            self._finish()
            self.path = path
            self.label = repr(path)
            codec = _readargs.codec_name(encoding, errors)
            self._options(encoding, errors, codec, keepends, stop, buffer_size, max_length)
            if pos is not None:
                self._reopen(path, "read_lines")
                self._restart(pos, skip)
        finally:
            guard_leave(&self.guard)
