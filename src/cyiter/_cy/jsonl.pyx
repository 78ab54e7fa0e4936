# cython: language_level=3
"""Cython twin of the JSON Lines family: read_jsonl, write_jsonl.

The pure-Python twin, ``cyiter/_py/jsonl.py``, is the specification.
read_jsonl is read_lines with each non-blank line parsed: a line whole in
the buffer is found with read_lines' scan and handed to the parser as a
bytes object; every other case goes through read_lines' general path.
write_jsonl's loop copies each encoded record into a block of lines.
"""

cimport cython
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_FromStringAndSize
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.exc cimport PyErr_CheckSignals
from libc.string cimport memchr, memcpy

from cyiter._cy._capi cimport ascii_text_raw, blank, bytes_raw, digit_run, next_nl, steal
from cyiter._cy._guard cimport guard_enter, guard_leave
from cyiter._cy.readers cimport read_lines

from cyiter import _jsonl, _readargs

cdef Py_ssize_t LONG_DIGITS = _jsonl.LONG_DIGITS
cdef Py_ssize_t WRITE_BLOCK = _jsonl.WRITE_BLOCK


cdef class read_jsonl(read_lines):
    """read_jsonl(source, *, loads=None, start=0, stop=None, compression="infer", buffer_size=1048576, max_line_length=None)
--

    One JSON value per non-blank line of *source* (a line of only ASCII
    whitespace is blank), parsed by *loads*: by default ``orjson.loads``
    when orjson is installed, with ``json.loads`` taking the lines orjson
    refuses (NaN, Infinity, lone surrogates) and those with a run of 19
    digits or more (integers beyond 64 bits, which orjson makes floats), so
    that the values are always those of ``json.loads``; else ``json.loads``.
    *loads* is given the line's bytes, without its ``\\n`` or ``\\r\\n``.

    A line that does not parse (the parser raises ValueError) raises
    ValueError naming the line's byte offset, chained to the parser's
    error, and the next call goes on after it.  Another error of *loads*
    propagates; the line is consumed unless it is a MemoryError or a
    KeyboardInterrupt.

    *source*, *start*, *stop*, *compression*, *buffer_size* and
    *max_line_length* are those of :class:`read_lines`: a line belongs to
    the byte range that holds its first byte, ``.offset`` is the file
    offset of the next line, a reader over a path pickles (with its
    *loads*, which must pickle too) and resumes at the same line, and
    compressed data is decompressed on the fly.

    >>> from cyiter import read_jsonl
    >>> import io
    >>> list(read_jsonl(io.BytesIO(b'{"a": 1}\\n\\n[2, "three"]\\r\\n')))
    [{'a': 1}, [2, 'three']]
    """

    cdef object loads
    cdef object fallback    # json.loads behind orjson.loads (see cyiter._jsonl), else None

    def __cinit__(self, *args, **kwargs):
        self._configure(_readargs.read_jsonl(None)[1])  # (a new object is exhausted)

    cdef tuple _bind(self, tuple args, dict kwargs):
        return _readargs.read_jsonl(*args, **kwargs)

    cdef _configure(self, dict options):
        # (read_lines' __cinit__ calls it first, with read_lines' options)
        read_lines._configure(self, {**options, "encoding": None, "errors": "strict", "keepends": False})
        self.options = options
        self.loads, self.fallback = _jsonl.parsers(options.get("loads"))

    def __reduce__(self):
        _jsonl.check_pickle(self.options["loads"])
        return read_lines.__reduce__(self)

    @cython.critical_section
    def __next__(self):
        guard_enter(&self.guard, "read_jsonl")
        try:
            return self._next_value()
        finally:
            guard_leave(&self.guard)

    cdef _next_value(self):
        cdef Py_ssize_t nl, n
        cdef long long offset
        cdef const char* p
        cdef int ascii
        cdef bint long_run
        while True:
            if self.pos < self.stop_at:
                nl = next_nl(&self.scan, self.data, self.pos, self.end, 1, &ascii)
                if nl >= 0 and nl - self.pos <= self.maxlen:
                    # the common case: the line is in the buffer
                    p = self.data + self.pos
                    n = nl - self.pos
                    if n > 0 and p[n - 1] == b"\r":
                        n -= 1
                    offset = self.base + self.pos
                    if blank(p, n):
                        self.pos = nl + 1
                        PyErr_CheckSignals()
                        continue
                    long_run = self.fallback is not None and digit_run(p, n, LONG_DIGITS)
                    # made before the reader moves past it: after a
                    # MemoryError the next call tries the line again.  orjson
                    # takes an ASCII line as str the faster (no UTF-8 check)
                    if ascii and self.fallback is not None and not long_run:
                        line = steal(ascii_text_raw(p, n))
                    else:
                        line = steal(bytes_raw(p, n))
                    self.pos = nl + 1
                    return self._parse(line, long_run, offset)
            if self.src is None:
                raise StopIteration
            if self.skip:
                self._align()
            offset = self.base + self.pos
            line = self._next_general()
            if not blank(PyBytes_AS_STRING(line), PyBytes_GET_SIZE(line)):
                long_run = self.fallback is not None and digit_run(
                    PyBytes_AS_STRING(line), PyBytes_GET_SIZE(line), LONG_DIGITS
                )
                return self._parse(line, long_run, offset)
            PyErr_CheckSignals()

    cdef _parse(self, line, bint long_run, long long offset):
        """The value of the consumed *line*, which starts at file *offset*."""
        loads = self.fallback if long_run else self.loads
        try:
            return loads(line)
        except ValueError as exc:
            if type(line) is str:
                line = line.encode("ascii")  # (the fallback reads bytes, as the pure twin gives them)
            return _jsonl.reparse(line, offset, exc, None if long_run else self.fallback)
        except BaseException as exc:
            # a line that found no memory, or was interrupted, is not consumed
            if isinstance(exc, MemoryError) or not isinstance(exc, Exception):
                self.pos = <Py_ssize_t>(offset - self.base)
            raise


# the pure twin's docstring, without a signature line (the function has its own)
@cython.embedsignature(False)
def write_jsonl(path, iterable, *, dumps=None, compression="infer", append=False):
    """Write each record of *iterable* as one line of JSON to *path* (UTF-8,
    each line ending in ``\\n``) and return how many records were written.

    *dumps* encodes a record as str or bytes; by default ``orjson.dumps``
    when orjson is installed, with ``json.dumps`` taking the records orjson
    refuses (integers beyond 64 bits, keys that are not str), else
    ``json.dumps(record, separators=(",", ":"), ensure_ascii=False)``.
    orjson's lines are those of ``json.dumps`` except that it writes NaN and
    infinities as ``null`` (``json.dumps`` writes ``NaN`` and ``Infinity``,
    which are not JSON) and small exponents without a leading zero
    (``1e-7``, not ``1e-07``), and that it also encodes dataclasses,
    datetimes, UUIDs and numpy arrays.  A record that cannot be encoded
    raises the encoder's kind of error (TypeError or ValueError) naming its
    index, and nothing is written.

    *compression*: "infer" compresses as the suffix of *path* says
    (``.gz``, ``.bz2``, ``.xz``, ``.zst``), or name "gzip", "bz2", "xz" or
    "zstd", or None.  Without *append* the records go to a hidden file
    beside *path*, renamed to *path* once complete and synced: the file
    appears at *path* only whole, and a crash leaves *path* as it was.
    With *append* they are added to the end of *path* (a compressed file
    gets a new member); if writing fails, the file is cut back to its old
    size.

    >>> from cyiter import write_jsonl, read_jsonl
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "rows.jsonl.gz")
    >>> write_jsonl(path, [{"id": 1, "tags": ["a"]}, {"id": 2, "tags": []}])
    2
    >>> list(read_jsonl(path))
    [{'id': 1, 'tags': ['a']}, {'id': 2, 'tags': []}]
    """
    return _jsonl.write(_encode_records, path, iterable, dumps, compression, append)


def _encode_records(records, encode, fallback, write):
    """Encode *records* into blocks of lines handed to *write*; how many."""
    cdef bytearray block = PyByteArray_FromStringAndSize(NULL, WRITE_BLOCK)
    cdef char* out = PyByteArray_AS_STRING(block)
    cdef Py_ssize_t used = 0
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t n
    for record in records:
        try:
            doc = encode(record)
        except (TypeError, ValueError) as exc:
            doc = _jsonl.encode_again(record, count, exc, fallback)
        if type(doc) is not bytes or memchr(PyBytes_AS_STRING(doc), b"\n", PyBytes_GET_SIZE(doc)) != NULL:
            doc = _jsonl.document(doc, count)
        n = PyBytes_GET_SIZE(doc)
        if used + n + 1 > WRITE_BLOCK:
            if used:
                write(memoryview(block)[:used])
                used = 0
            if n + 1 > WRITE_BLOCK:
                write(doc + b"\n")
                n = -1
        if n >= 0:
            memcpy(out + used, PyBytes_AS_STRING(doc), n)
            out[used + n] = b"\n"
            used += n + 1
        count += 1
        if count % 4096 == 0:
            PyErr_CheckSignals()
    if used:
        write(memoryview(block)[:used])
    return count
