"""Cython twin of the readers family: the reader core, read_chunks, read_lines.

The pure-Python twin, ``cyiter/_py/readers.py``, is the specification of
every reader; this module does the same over a C buffer the reader owns and
reuses: read(2) straight into it for a file the reader opened, else the
source's ``readinto``.  read_lines finds newlines 64 bytes at a time
(``cyiter_io.h``) and makes an ASCII line a str by a copy, without decoding.
"""

cimport cython
from cpython.buffer cimport PyBUF_WRITE
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize
from cpython.exc cimport PyErr_CheckSignals, PyErr_Clear, PyErr_SetFromErrno
from cpython.long cimport PyLong_CheckExact
from cpython.memoryview cimport PyMemoryView_FromMemory
from cpython.object cimport PyObject
from cpython.pyport cimport PY_SSIZE_T_MAX
from cpython.unicode cimport PyUnicode_Decode, PyUnicode_DecodeUTF8
from libc.errno cimport EINTR, errno
from libc.string cimport memchr, memcmp, memcpy, memmove

from cyiter._cy._capi cimport PyErr_Occurred, ascii_text_raw, bytes_raw, long_as_ssize, next_nl, nl_scan, steal, sys_read, utf8_latin1_raw
from cyiter._cy._guard cimport guard_enter, guard_leave

import io
from types import GenericAlias

from cyiter import _readargs, _state
from cyiter._source import checked_length, length_hint, open_source, pickle_source, reopen, seek

cdef enum:
    # read_chunks reads chunks of at least DIRECT_CHUNK bytes straight into
    # the bytes object it returns, smaller ones through a buffer of at
    # least CHUNK_BUFFER bytes (fewer system calls)
    DIRECT_CHUNK = 65536
    CHUNK_BUFFER = 262144
    # data is ALIGN-aligned and base a multiple of ALIGN wherever the reader
    # can choose: the kernel copies from the page cache up to 5x slower into
    # a buffer whose address minus the file offset is 1 to 31 modulo 64
    # (docs/internals.md, "Aligned reads")
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
    """What every reader shares: the source, the buffer, ``.offset``, closing and pickling."""

    def __cinit__(self, *args, **kwargs):
        self.name = type(self).__name__
        self.label = "nothing"
        self.fd = -1
        self.buf = PyByteArray_FromStringAndSize(NULL, 0)
        self.data = PyByteArray_AS_STRING(self.buf)

    @cython.critical_section
    def __init__(self, *args, **kwargs):
        source, options = self._bind(args, kwargs)
        guard_enter(&self.guard, self.name)
        try:
            self._finish()  # called again: the old source goes
            self._configure(options)
            ranged = options["start"] != 0 or options["stop"] is not None
            self._open(open_source(source, self.name, ranged, options["compression"]))
            options["compression"] = self.src.compression  # (pickles record what was found)
            self._begin(options["start"])
        finally:
            guard_leave(&self.guard)

    cdef _open(self, src):
        self.src = src
        self.path = src.path
        self.label = repr(src)
        self.trusted = _trusted(src.file)
        # only a file the reader opened: nobody else can close it meanwhile
        self.fd = -1
        if src.path is not None and type(src.file) is io.FileIO:
            self.fd = src.file.fileno()

    cdef tuple _bind(self, tuple args, dict kwargs):
        raise NotImplementedError

    cdef _configure(self, dict options):
        raise NotImplementedError

    cdef _begin(self, long long start):
        raise NotImplementedError

    cdef _resume(self, long long offset, dict extra):
        raise NotImplementedError

    cdef dict _extra_state(self):
        return {}

    cdef _seek(self, long long pos):
        """Read on from file offset *pos*, with nothing in the buffer."""
        self.eof = False
        # the file position is always base + end
        self.base = pos - pos % ALIGN
        self.pos = self.end = pos % ALIGN
        if self.src.seekable:
            seek(self.src, pos)

    cdef Py_ssize_t _fill(self, Py_ssize_t keep_from, Py_ssize_t size) except -1:
        """Drop ``data[:keep_from]``, make room for *size* more bytes and read
        into the room; ``eof`` says when the source had none.  Returns how
        far the kept bytes moved.  If the source fails, the error propagates
        and ``data[pos:end]`` is as it was."""
        cdef Py_ssize_t got
        cdef Py_ssize_t shift = self._compact(keep_from)
        if self.cap - self.end < size:
            self._resize(self.end + size)
        try:
            got = self._readinto(self.data + self.end, self.cap - self.end)
        except BaseException:
            self._resync()
            raise
        self.eof = got == 0
        self.end += got
        return shift

    cdef _resync(self):
        """After a failed read: a seekable source goes back to where the
        reader is (``base + end``), in case it took bytes before it failed
        (BytesIO does when it cannot make the int it returns)."""
        if self.fd < 0 and self.src is not None and self.src.seekable:
            try:
                self.src.file.seek(self.base + self.end)
            except Exception:
                pass  # (the error being raised says more)

    cdef _finish(self):
        """Let the source go (closing a file the reader opened); exhausted from now on."""
        src = self.src
        self.base += self.pos
        self.pos = self.end = 0
        if src is not None:
            self.src = None
            self.fd = -1
            src.close()
            self._resize(0)

    cdef _resize(self, Py_ssize_t size):
        """Make room for *size* bytes, keeping ``data[:end]``.  A new
        bytearray each time (this is rare): an untrusted readinto may still
        hold a view of the old one."""
        cdef bytearray buf = PyByteArray_FromStringAndSize(NULL, size + 2 * ALIGN)
        cdef char* raw = PyByteArray_AS_STRING(buf)
        raw += (ALIGN - <size_t>raw % ALIGN) % ALIGN
        if self.end > 0:
            memcpy(raw, self.data, self.end)
        self.buf = buf
        self.data = raw
        self.cap = size

    cdef Py_ssize_t _readinto(self, char* into, Py_ssize_t size) except -1:
        """Read at most *size* bytes at *into*: in ``buf``, or anywhere if
        trusted.  An untrusted readinto gets a view of ``buf``: should it
        keep the view, that keeps the bytearray alive, no dangling pointer."""
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
            result = self.src.readinto(PyMemoryView_FromMemory(into, size, PyBUF_WRITE))
        else:
            at = into - PyByteArray_AS_STRING(self.buf)
            result = self.src.readinto(memoryview(self.buf)[at : at + size])
        # (checked without allocating: the bytes read must not be lost to a MemoryError)
        if PyLong_CheckExact(result):
            got = long_as_ssize(result)
            if 0 <= got <= size:
                return got
            PyErr_Clear()
        return checked_length(result, size)

    cdef Py_ssize_t _compact(self, Py_ssize_t keep_from):
        """Drop what is before ``data[keep_from]``, keeping ``base`` aligned:
        ``data[keep_from:end]`` moves to ``data[t:]``, *t* the file offset
        of ``data[keep_from]`` modulo ALIGN.  Returns how far it moved."""
        cdef Py_ssize_t t = (self.base + keep_from) % ALIGN
        cdef Py_ssize_t shift = keep_from - t
        if shift <= 0:
            return 0
        if keep_from < self.end:
            memmove(self.data + t, self.data + keep_from, self.end - keep_from)
        self.base += shift
        self.pos -= shift
        self.end -= shift
        return shift

    def __iter__(self):
        return self

    def __enter__(self):
        """The reader itself: ``with`` closes it at the end of the block."""
        return self

    def __exit__(self, *exc_info):
        """Close the reader."""
        self.close()

    def __del__(self):
        # (tp_finalize runs before the collector clears ``src``, so a reader
        # caught in a reference cycle still closes)
        if self.src is not None:
            self.src.close()

    @cython.critical_section
    def close(self):
        """Stop reading; a file the reader opened is closed now."""
        guard_enter(&self.guard, self.name)
        try:
            self._finish()
        finally:
            guard_leave(&self.guard)

    @property
    def offset(self):
        """The byte offset in the file of the next item (where the reader
        ended, once exhausted)."""
        return self._offset()

    @cython.critical_section
    def _offset(self):
        guard_enter(&self.guard, self.name)
        try:
            return self._position()
        finally:
            guard_leave(&self.guard)

    cdef long long _position(self) except -1:
        return self.base + self.pos

    def __reduce__(self):
        return (_state.restore, (self.name,), self._pickle_state())

    @cython.critical_section
    def _pickle_state(self):
        guard_enter(&self.guard, self.name)
        try:
            path, identity = pickle_source(self.src, self.path, self.name)
            return {
                "path": path,
                "identity": identity,
                "offset": None if self.src is None else self.base + self.pos,
                "options": self.options,
                **self._extra_state(),
            }
        finally:
            guard_leave(&self.guard)

    @cython.critical_section
    def __setstate__(self, state):
        name = self.name
        path, identity, offset, options, extra = _state.reader_state(name, state, self._extra_state())
        _, options = self._bind((path,), options)
        guard_enter(&self.guard, name)
        try:
            self._finish()
            self._configure(options)
            self.path = path
            self.label = repr(path)
            if offset is not None:
                self._open(reopen(path, identity, offset, name, options["compression"]))
                self._resume(offset, extra)
        finally:
            guard_leave(&self.guard)

    def __repr__(self):
        closed = " (closed)" if self.src is None else ""
        return f"<cyiter.{self.name} {self.label}{closed}>"


@cython.final
cdef class read_chunks(_Reader):
    """read_chunks(source, size=65536, *, start=0, stop=None, compression=None)
--

    ``bytes`` chunks of exactly *size* bytes (the last may be shorter) from
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

    cdef Py_ssize_t size
    cdef long long stop   # -1: none
    cdef bint direct      # read straight into the returned bytes

    def __cinit__(self, *args, **kwargs):
        self._configure(_readargs.read_chunks(None)[1])  # (a new object is exhausted)

    cdef tuple _bind(self, tuple args, dict kwargs):
        return _readargs.read_chunks(*args, **kwargs)

    cdef _configure(self, dict options):
        self.options = options
        self.size = options["size"]
        self.stop = -1 if options["stop"] is None else options["stop"]

    cdef _begin(self, long long start):
        self._resume(start, None)

    cdef _resume(self, long long offset, dict extra):
        # FileIO.readinto keeps no reference to the memory it is given, so
        # reading into the bytes object that is then returned is safe
        self.direct = self.size >= DIRECT_CHUNK and type(self.src.file) is io.FileIO
        self._resize(0 if self.direct else max(self.size, CHUNK_BUFFER))
        self._seek(offset)

    @cython.critical_section
    def __next__(self):
        cdef Py_ssize_t want = self.size
        if self.stop >= 0 and self.stop - (self.base + self.pos) < want:
            want = self.stop - (self.base + self.pos)
        # while the guard is taken (a callback of this very reader, or
        # another thread's read), only the guarded path may run
        if self.end - self.pos >= want > 0 and not self.guard.running:
            chunk = PyBytes_FromStringAndSize(self.data + self.pos, want)
            self.pos += want
            return chunk
        guard_enter(&self.guard, "read_chunks")
        try:
            return self._next_general()
        finally:
            guard_leave(&self.guard)

    cdef _next_general(self):
        cdef Py_ssize_t want = self.size
        cdef Py_ssize_t got
        if self.src is None:
            raise StopIteration
        if self.stop >= 0 and self.stop - (self.base + self.pos) < want:
            want = self.stop - (self.base + self.pos)
        if want > 0 and self.direct and self.pos == self.end:
            chunk = PyBytes_FromStringAndSize(NULL, want)
            if _copy_friendly(chunk, self.base + self.pos):
                return self._read_direct(chunk, want)
            chunk = None  # a slow copy for the kernel: through the buffer
        while self.end - self.pos < want and not self.eof:
            self._fill(self.pos, want - (self.end - self.pos))
        got = min(want, self.end - self.pos)
        if got <= 0:
            self._finish()
            raise StopIteration
        chunk = PyBytes_FromStringAndSize(self.data + self.pos, got)
        self.pos += got
        return chunk

    cdef _read_direct(self, bytes chunk, Py_ssize_t want):
        """The next chunk read straight into *chunk*; if a read after the
        first fails, what came goes into the buffer for the next call."""
        cdef Py_ssize_t got = 0
        cdef Py_ssize_t n
        try:
            while got < want:
                n = self._readinto(PyBytes_AS_STRING(chunk) + got, want - got)
                if n == 0:
                    break
                got += n
        except BaseException:
            if got:
                self._resize(got)
                memcpy(self.data + self.pos, PyBytes_AS_STRING(chunk), got)
                self.end = self.pos + got
            self._resync()
            raise
        if got == 0:
            self._finish()
            raise StopIteration
        self.base += got
        return chunk if got == want else chunk[:got]

    @cython.critical_section
    def __length_hint__(self):
        guard_enter(&self.guard, "read_chunks")
        try:
            return length_hint(self.src, self.base + self.pos, None if self.stop < 0 else self.stop, self.size)
        finally:
            guard_leave(&self.guard)


cdef class read_lines(_Reader):
    """read_lines(source, *, encoding=None, errors="strict", keepends=False, start=0, stop=None, buffer_size=1048576, max_line_length=None, compression="infer")
--

    The lines of *source* split on ``b"\\n"``: ``bytes`` when *encoding* is
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

    def __cinit__(self, *args, **kwargs):
        self._configure(_readargs.read_lines(None)[1])  # (a new object is exhausted)
        self.stop_at = -1
        self.scan.block = -1

    @classmethod
    def __class_getitem__(cls, item, /):
        """``read_lines[...]`` in annotations, as the stubs allow."""
        return GenericAlias(cls, item)

    cdef tuple _bind(self, tuple args, dict kwargs):
        return _readargs.read_lines(*args, **kwargs)

    cdef _configure(self, dict options):
        self.options = options
        self.codec = _readargs.codec_name(options["encoding"], options["errors"])
        self.codec_b = None if self.codec is None else self.codec.encode("ascii")
        self.errors_b = options["errors"].encode("utf-8")
        self.utf8 = self.codec == "utf-8" or self.codec == "utf-8-sig"
        self.sig = self.codec == "utf-8-sig"
        self.as_is = _readargs.ascii_as_is(self.codec)
        self.keepends = options["keepends"]
        self.stop = -1 if options["stop"] is None else options["stop"]
        self.buffer_size = options["buffer_size"]
        limit = options["max_line_length"]
        self.maxlen = NO_LIMIT if limit is None else limit

    cdef _begin(self, long long start):
        # a line starting at *start* is ours only if the byte before is b"\n"
        self._resume(max(start - 1, 0), {"skip": start > 0})

    cdef _resume(self, long long offset, dict extra):
        if type(extra["skip"]) is not bool:
            raise TypeError(f"read_lines state: bad skip {extra['skip']!r}")
        self._resize(self.buffer_size)
        self._seek(offset)
        self.scan.block = -1
        self.skip = extra["skip"]
        self._set_stop_at()

    cdef dict _extra_state(self):
        return {"skip": self.skip}

    cdef void _set_stop_at(self) noexcept:
        if self.src is None or self.skip:
            self.stop_at = -1
        elif self.stop < 0 or self.stop - self.base >= <long long>NO_LIMIT:
            self.stop_at = NO_LIMIT
        else:
            self.stop_at = <Py_ssize_t>(self.stop - self.base)

    cdef Py_ssize_t _more(self, Py_ssize_t keep_from) except -1:
        """Keep ``data[keep_from:]`` (the line so far) and read more; the
        buffer doubles for a line that fills most of it, never past what a
        line of max_line_length needs, and shrinks back once it is over."""
        cdef Py_ssize_t least = 1
        cdef Py_ssize_t shift = self._compact(keep_from)
        keep_from -= shift
        self.scan.block = -1
        if (self.end - keep_from) * 2 > self.cap:
            least = self.cap
            if self.maxlen != NO_LIMIT:
                least = max(1, min(least, keep_from + self.maxlen + 1 - self.end))
        elif self.cap > self.buffer_size and self.end * 2 <= self.buffer_size:
            self._resize(self.buffer_size)
        try:
            shift += self._fill(keep_from, least)
        finally:
            self.scan.block = -1
            self._set_stop_at()
        return shift

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
                break
            self.pos = self.end
            if self.eof:
                break
            self._more(self.pos)
        self.skip = False
        self._set_stop_at()

    cdef long long _position(self) except -1:
        if self.skip and self.src is not None:
            self._align()
        return self.base + self.pos

    @cython.critical_section
    def __next__(self):
        cdef char* p
        cdef PyObject* line
        cdef Py_ssize_t nl, n
        cdef int ascii = 0
        # while the guard is taken (a callback of this very reader, or
        # another thread's read), only the general path may run
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
                    if self.codec is None:
                        line = bytes_raw(p, n)
                    elif ascii and self.as_is:
                        line = ascii_text_raw(p, n)
                    else:
                        line = NULL
                        if not self.utf8 or n == 0:
                            pass
                        elif self.latin_skip:
                            self.latin_skip -= 1
                        else:
                            line = utf8_latin1_raw(p, n)
                            if line == NULL:
                                # text of wider characters: try again only
                                # now and then (see "Decoding UTF-8 lines")
                                self.latin_skip = 15
                        if line == NULL and PyErr_Occurred() == NULL:
                            # a codec or error handler may call back into Python
                            guard_enter(&self.guard, "read_lines")
                            try:
                                return self._decoded(p, n, False, nl + 1)
                            finally:
                                guard_leave(&self.guard)
                    if line != NULL:
                        self.pos = nl + 1
                    return steal(line)
        guard_enter(&self.guard, "read_lines")
        try:
            return self._next_general()
        finally:
            guard_leave(&self.guard)

    cdef _next_general(self):
        cdef Py_ssize_t start, n, nl, end
        if self.src is None:
            raise StopIteration
        if self.skip:
            self._align()
        if self.pos >= self.stop_at:
            self._finish()
            raise StopIteration
        nl, end = self._find_line()
        if end < 0:
            self._finish()
            raise StopIteration
        start = self.pos
        n = (end if self.keepends or nl < 0 else nl) - start
        if not self.keepends and nl >= 0 and n > 0 and self.data[nl - 1] == b"\r":
            n -= 1
        # the line is made before the reader moves on
        if self.codec is None:
            line = PyBytes_FromStringAndSize(self.data + start, n)
            self.pos = end
            return line
        return self._decoded(self.data + start, n, nl < 0, end)

    cdef tuple _find_line(self):
        """``(index of its b"\\n" or -1, index after it)`` for the line at
        ``data[pos:]``, reading until it is whole; end -1: no more lines.
        Raises ValueError for a line longer than max_line_length."""
        cdef char* found
        cdef Py_ssize_t scan = self.pos
        cdef Py_ssize_t nl = -1
        cdef Py_ssize_t end
        cdef long long offset
        while True:
            found = <char*>memchr(self.data + scan, b"\n", self.end - scan)
            if found != NULL:
                nl = found - self.data
                end = nl + 1
                break
            if self.end - self.pos > self.maxlen:
                end = -1
                break
            if self.eof:
                if self.pos == self.end:
                    return -1, -1
                end = self.end
                break
            scan = self.end
            scan -= self._more(self.pos)
        if (nl if nl >= 0 else self.end) - self.pos > self.maxlen:
            offset = self.base + self.pos
            self._finish()
            raise ValueError(
                f"line at byte offset {offset} is longer than "
                f"max_line_length={self.maxlen} bytes"
            )
        return nl, end

    cdef _decoded(self, const char* p, Py_ssize_t n, bint last, Py_ssize_t end):
        """The line ``p[:n]``, which starts at ``pos`` and ends at ``end``,
        decoded, and the reader moved on.  A line that does not decode is
        consumed; one that finds no memory, or is interrupted, is not."""
        if self.sig and self.base + self.pos == 0 and n >= 3 and memcmp(p, b"\xef\xbb\xbf", 3) == 0:
            p += 3
            n -= 3
            if n == 0 and last:  # a file that is only a BOM has no line
                self._finish()
                raise StopIteration
        try:
            if self.utf8:
                line = PyUnicode_DecodeUTF8(p, n, self.errors_b)
            else:
                line = PyUnicode_Decode(p, n, self.codec_b, self.errors_b)
        except MemoryError:
            raise
        except Exception:
            self.pos = end
            raise
        self.pos = end
        return line
