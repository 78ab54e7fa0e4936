"""Cython twin of the delimited family: read_csv.

The pure-Python twin is ``cyiter/_py/delimited.py``; both must behave the
same in every observable way (rows, errors, offsets, repr, pickles).

How it parses: the csv module's state machine, run over the bytes of the
file instead of decoded text.  ``cyiter._dialect`` only accepts encodings and
special characters for which that is the same thing (UTF-8 or a single-byte
encoding, one-byte delimiter/quote/escape).  Bytes are read with
``readinto`` into one reused buffer; the bytes of the field being parsed are
copied into a field buffer (a run of ordinary bytes at a time) and decoded
when the field ends, straight into the row dict.  A record only ever ends at
the end of a line, as with the csv module reading lines from a file opened
with ``newline=""``: a line ends after ``\\n``, ``\\r\\n`` or a lone ``\\r``.

Decoding a field on its own gives what decoding the whole line gives,
because a field is cut from its neighbours at ASCII bytes, which no UTF-8
character contains.  The one exception: a quote or escape character dropped
from the middle of a field (``"\\xc3"\\xa9`` or ``\\xc3\\\\\\xa9``) would join
the bytes around it into one character the text never had; such a field
remembers where bytes were dropped ("cuts") and is decoded piece by piece.

max_field_size counts characters, as the csv module does on the decoded
text: an ASCII field by its bytes; once a field has a non-ASCII byte, by
decoding what it gets as it gets it (what errors= makes of undecodable bytes
counts), so the error comes on the same line as the csv module's.

Undecodable bytes: the csv module parses text, so what the errors handler
put in their place.  "replace", "surrogateescape" and "surrogatepass" put
non-ASCII characters, which the parser treats as it treats the bytes, so
decoding each field afterwards gives the same rows.  "ignore" removes them
before the parser sees them: in the states where that matters (start of a
field or line, after an escape or a closing quote) an undecodable sequence
is skipped.  "backslashreplace" writes ASCII text
("\\xff") that the csv module would parse: refused (ValueError) when the
dialect uses one of its characters.  A handler of one's own: its text is
taken as field data, never parsed.

Errors: a csv.Error (field too long, strict quoting, unexpected end of data)
drops the rest of the line it happened on and the next row starts on the
line after, as with the csv module.  Any other error closes the reader: an
OSError, or a UnicodeDecodeError (errors="strict"), raised for the row that
holds the bytes (the csv module over a text file raises it when its text
layer decodes the chunk that holds them, possibly rows earlier).
"""

cimport cython
from cpython.bytearray cimport PyByteArray_AS_STRING
from cpython.dict cimport PyDict_Copy, PyDict_SetItem
from cpython.list cimport PyList_Append, PyList_GET_ITEM, PyList_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.unicode cimport (
    PyUnicode_Decode,
    PyUnicode_DecodeLatin1,
    PyUnicode_DecodeUTF8,
    PyUnicode_DecodeUTF8Stateful,
)
from libc.string cimport memcpy, memmove

from cyiter._cy._guard cimport Guard, guard_enter, guard_leave

import csv
from types import GenericAlias

from cyiter import _dialect
from cyiter._dialect import NotConverted, converted
from cyiter._source import open_source, reopen
from cyiter._state import restore


cdef extern from "Python.h":
    Py_ssize_t PyUnicode_GET_LENGTH(object)

cdef enum:
    BUFFER_SIZE = 1 << 17
    NL = 10
    CR = 13
    SPACE = 32

cdef enum State:
    START_RECORD
    START_FIELD
    ESCAPED_CHAR
    IN_FIELD
    IN_QUOTED_FIELD
    ESCAPE_IN_QUOTED_FIELD
    QUOTE_IN_QUOTED_FIELD
    EAT_CRNL
    AFTER_ESCAPED_CRNL

cdef enum Outcome:
    ROW = 1       # a record was parsed (a blank line is a record of no field)
    END = 0       # no more records


cdef class read_csv:
    """read_csv(source, *, fieldnames=None, delimiter=",", quotechar='"', escapechar=None, doublequote=True, skipinitialspace=False, strict=False, restkey=None, restval=None, encoding="utf-8", errors="strict", max_field_size=131072, quoting=csv.QUOTE_MINIMAL)

    Rows of a CSV file as dicts, exactly as ``csv.DictReader`` gives them
    over ``open(source, newline="", encoding=encoding, errors=errors)`` with
    the same dialect options: the first row names the fields unless
    *fieldnames* is given, blank lines are skipped, a short row gets
    *restval* for its missing fields, a long row a list of the extra values
    under *restkey*.  A field longer than *max_field_size* characters raises
    csv.Error.  *quoting* converts unquoted fields as the csv module does
    (floats or None; float()'s ValueError for a field that is not a number,
    then reading goes on at the next line).  Only UTF-8 and single-byte
    encodings are supported (ValueError otherwise).

    *source* is a path (opened and closed by the reader) or a binary file
    object (read from its start when it can seek; never closed).  ``offset``
    is the byte offset of the next row; a reader over a path pickles and
    resumes at that row.

    >>> import io
    >>> from cyiter import read_csv
    >>> rows = read_csv(io.BytesIO(b'name,qty\\r\\nbolt,"1,5"\\r\\nnut\\r\\n'))
    >>> next(rows)
    {'name': 'bolt', 'qty': '1,5'}
    >>> rows.offset
    22
    >>> list(rows)
    [{'name': 'nut', 'qty': None}]
    """

    cdef object src            # the Source, None once exhausted or closed
    cdef object path
    cdef object label
    cdef object d              # the _dialect.Dialect
    cdef object names          # the field names: a list, None until the header is read
    cdef dict template         # dict.fromkeys(names): each row starts as a copy
    cdef object restkey
    cdef object restval
    # the dialect, in C
    cdef int delim
    cdef int quote             # -1: none
    cdef int escape            # -1: none
    cdef bint doublequote
    cdef bint skipspace
    cdef bint strict
    cdef bint utf8
    cdef bint ignore           # errors="ignore"
    cdef unsigned char undecodable[256]  # single-byte codecs: bytes it cannot decode
    cdef Py_ssize_t limit
    cdef bytes codec
    cdef bytes errors
    cdef unsigned char unquoted[256]   # bytes that end a run in an unquoted field
    cdef unsigned char quoted[256]     # ... in a quoted field
    cdef unsigned char starting[256]   # bytes that do not simply start an unquoted field
    cdef bint quoted_shortcut  # a quote then a delimiter or newline surely ends a quoted field
    # the read buffer: buf[pos:end] is unparsed, buf[0] is at file offset base
    cdef bytearray bufobj
    cdef object view
    cdef unsigned char* buf
    cdef Py_ssize_t pos
    cdef Py_ssize_t end
    cdef long long base
    cdef bint cr               # the last byte was \r: the line ends unless \n follows
    cdef bint inline           # bytes were read since the last end of line
    # the field being parsed
    cdef unsigned char* field
    cdef Py_ssize_t flen
    cdef Py_ssize_t fcap
    cdef Py_ssize_t fchars     # its length in characters, as the csv module counts
    cdef bint fhigh            # it has a non-ASCII byte
    cdef Py_ssize_t counted    # with fhigh: field[:counted] is counted in fchars ...
    cdef Py_ssize_t ccut       # ... and so are the pieces before cuts[ccut]
    cdef list cuts
    cdef Py_ssize_t ncuts
    # the record being parsed: a list (the header) or a dict
    cdef object row
    cdef list rest
    cdef Py_ssize_t nsaved
    cdef bint header
    cdef bint converts         # quoting= turns unquoted fields into floats or None
    cdef bint fquoted          # the field began with the quote character
    cdef bint fescaped         # ... with the escape character
    cdef object __weakref__
    cdef Guard guard

    def __cinit__(self, *args, **kwargs):
        self.label = "nothing"
        self.bufobj = bytearray(BUFFER_SIZE)
        self.view = memoryview(self.bufobj)
        self.buf = <unsigned char*>PyByteArray_AS_STRING(self.bufobj)
        self.cuts = []
        self._configure(_dialect.check(), None, None, None)

    def __dealloc__(self):
        PyMem_Free(self.field)

    @classmethod
    def __class_getitem__(cls, item, /):
        """``read_csv[...]`` in annotations, as the stubs allow."""
        return GenericAlias(cls, item)

    def __init__(
        self,
        source,
        *,
        fieldnames=None,
        delimiter=",",
        quotechar='"',
        escapechar=None,
        doublequote=True,
        skipinitialspace=False,
        strict=False,
        restkey=None,
        restval=None,
        encoding="utf-8",
        errors="strict",
        max_field_size=131072,
        quoting=csv.QUOTE_MINIMAL,
    ):
        d = _dialect.check(
            delimiter,
            quotechar,
            escapechar,
            doublequote,
            skipinitialspace,
            strict,
            encoding,
            errors,
            max_field_size,
            quoting,
        )
        fieldnames = _dialect.field_names(fieldnames, restkey)
        self._finish()
        self.src = open_source(source, "read_csv")
        self.path = self.src.path
        self.label = repr(self.src)
        self._configure(d, fieldnames, restkey, restval)
        self._start(0)

    cdef _configure(self, d, fieldnames, restkey, restval):
        cdef int i
        self.d = d
        self.names = fieldnames
        self.template = None
        self.restkey = restkey
        self.restval = restval
        self.delim = d.delimiter_byte
        self.quote = d.quote_byte
        self.escape = d.escape_byte
        self.doublequote = d.doublequote
        self.skipspace = d.skipinitialspace
        self.strict = d.strict
        self.converts = d.converts
        self.utf8 = d.utf8
        self.ignore = d.errors == "ignore"
        self.limit = d.max_field_size
        self.codec = d.codec.encode("ascii")
        self.errors = d.errors.encode("ascii")
        self.quoted_shortcut = self.quote >= 0 and self.quote != self.escape and self.quote not in (
            self.delim, NL, CR
        ) and self.delim not in (NL, CR)
        for i in range(256):
            self.unquoted[i] = i == NL or i == CR or i == self.delim or i == self.escape
            self.quoted[i] = i == NL or i == CR or i == self.quote or i == self.escape
            self.starting[i] = self.unquoted[i] or i == self.quote or (
                i == SPACE and self.skipspace
            )
            self.undecodable[i] = i in d.undecodable

    cdef _start(self, long long pos):
        """Parse from file offset *pos* of the open source."""
        self.pos = 0
        self.end = 0
        self.base = pos
        self.cr = False
        self.inline = False
        if self.src.seekable:
            self.src.file.seek(pos)
        if pos == 0 and self.d.bom:
            while self.end < 3:
                n = self._read(self.end, 3)
                if not n:
                    break
                self.end += n
            if self.end == 3 and self.buf[0] == 0xEF and self.buf[1] == 0xBB and self.buf[2] == 0xBF:
                self.pos = 3

    cdef _fail_at(self, long long start):
        """Close after an error other than csv.Error; the offset stays where
        the failed call started (the row that could not be read)."""
        if self.src is not None:
            self.base = start
            self.pos = self.end = 0
            self._finish()

    cdef _back_to(self, long long start, names):
        """After a MemoryError: parse again from *start*, where the failed
        call started (between rows, so with no \\r pending and no bytes of a
        line read: as _start leaves it), with the field *names* as they were
        then, so that the next call makes the row that could not be made; a
        source that cannot seek back there is closed as by _fail_at."""
        if self.src is not None and self.src.seekable:
            try:
                self._start(start)
            except Exception:  # (another MemoryError): give up as _fail_at does
                pass
            else:
                if self.names is not names:  # the header was read by the failed call
                    self.names = names
                    self.template = None
                return
        self._fail_at(start)

    cdef _finish(self):
        src = self.src
        if src is not None:
            self.src = None
            self.base += self.pos
            self.pos = self.end = 0
            src.close()

    def __del__(self):
        self._finish()

    def __iter__(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @cython.critical_section
    def close(self):
        """Stop reading; a file the reader opened is closed now."""
        guard_enter(&self.guard, "read_csv")
        try:
            self._finish()
        finally:
            guard_leave(&self.guard)

    @property
    def offset(self):
        """The byte offset of the next row (where parsing goes on)."""
        return self._offset()

    @cython.critical_section
    cdef long long _offset(self) except -1:
        # (guarded: another thread's next() may be between two rows)
        guard_enter(&self.guard, "read_csv")
        try:
            return self.base + self.pos
        finally:
            guard_leave(&self.guard)

    @cython.critical_section
    def __next__(self):
        cdef long long start
        guard_enter(&self.guard, "read_csv")
        start = self.base + self.pos
        names = self.names
        try:
            # (checked once the guard is ours: a thread that waited for it may
            # find the reader exhausted by the one it waited for)
            if self.src is None:
                raise StopIteration
            return self._next()
        except csv.Error:
            raise
        except NotConverted as failed:
            raise failed.args[0] from None
        except MemoryError:
            self._back_to(start, names)
            raise
        except BaseException:
            self._fail_at(start)
            raise
        finally:
            guard_leave(&self.guard)

    @property
    def fieldnames(self):
        """The field names, as ``csv.DictReader.fieldnames`` gives them: the
        *fieldnames* given, or the first row, read now if it was not yet
        (None for a file without rows).  A copy: assign to change them."""
        return self._fieldnames()

    @fieldnames.setter
    def fieldnames(self, value):
        self._set_fieldnames(_dialect.field_names(value, self.restkey))

    @cython.critical_section
    cdef object _fieldnames(self):
        cdef long long start
        guard_enter(&self.guard, "read_csv")
        start = self.base + self.pos
        names = self.names
        try:
            if self.names is None and self.src is not None:
                self._header()
            return None if self.names is None else list(self.names)
        except csv.Error:
            raise
        except NotConverted as failed:
            raise failed.args[0] from None
        except MemoryError:
            self._back_to(start, names)
            raise
        except BaseException:
            self._fail_at(start)
            raise
        finally:
            guard_leave(&self.guard)

    @cython.critical_section
    cdef _set_fieldnames(self, names):
        guard_enter(&self.guard, "read_csv")
        try:
            self.names = names
            self.template = None
        finally:
            guard_leave(&self.guard)

    cdef bint _header(self) except -1:
        """Read the header row into self.names; False (and closed) at the end."""
        self.header = True
        self.row = []
        if self._record() == END:
            self.row = None
            self._finish()
            return False
        self.names = self.row
        self.row = None
        return True

    cdef object _next(self):
        cdef Py_ssize_t lf, i
        if self.names is None and not self._header():
            raise StopIteration
        if self.template is None:
            self.template = dict.fromkeys(self.names)
        self.header = False
        while True:
            # a copy of a dict with the right keys takes their order and size
            # at once; setting the fields then only replaces values (dict(zip())
            # and DictReader's restval loop give the same keys in that order)
            self.row = PyDict_Copy(self.template)
            self.rest = None
            if self._record() == END:
                self.row = None
                self._finish()
                raise StopIteration
            if self.nsaved:
                break
        row = self.row
        self.row = None
        lf = PyList_GET_SIZE(self.names)
        if self.nsaved > lf:
            PyDict_SetItem(row, self.restkey, self.rest)
            self.rest = None
        else:
            for i in range(self.nsaved, lf):
                PyDict_SetItem(row, <object>PyList_GET_ITEM(self.names, i), self.restval)
        return row

    # -- reading ----------------------------------------------------------

    cdef bint _fill(self) except -1:
        """Replace the consumed buffer by the next bytes; False at the end of the file."""
        self.base += self.end
        self.pos = self.end = 0
        self.end = self._read(0, BUFFER_SIZE)
        return self.end > 0

    cdef Py_ssize_t _read(self, Py_ssize_t start, Py_ssize_t stop) except -1:
        """Read into buf[start:stop]; the number of bytes read (0 at the end)."""
        n = self.src.readinto(self.view[start:stop])
        if n is None:
            return 0
        if not 0 <= n <= stop - start:  # a length past the buffer: refuse to read past it
            raise OSError(
                f"raw readinto() returned invalid length {n} "
                f"(should have been between 0 and {stop - start})"
            )
        return n

    cdef int _ensure(self, Py_ssize_t n) except -1:
        """Make buf[pos:pos + n] hold *n* bytes, if the file has them."""
        cdef Py_ssize_t have = self.end - self.pos
        if have >= n:
            return 0
        memmove(self.buf, self.buf + self.pos, have)
        self.base += self.pos
        self.pos = 0
        self.end = have
        while self.end < n:
            got = self._read(self.end, BUFFER_SIZE)
            if not got:
                break
            self.end += got
        return 0

    cdef Py_ssize_t _dropped(self) except -1:
        """With errors="ignore": how many bytes from pos the decoder drops
        (the maximal undecodable subpart; 0 when a character starts there)."""
        cdef unsigned char lead, low, high
        cdef int need, i
        if not self.utf8:
            return self.undecodable[self.buf[self.pos]]
        self._ensure(4)
        lead = self.buf[self.pos]
        if 0xC2 <= lead <= 0xDF:
            need, low, high = 1, 0x80, 0xBF
        elif lead == 0xE0:
            need, low, high = 2, 0xA0, 0xBF
        elif lead == 0xED:
            need, low, high = 2, 0x80, 0x9F
        elif 0xE1 <= lead <= 0xEF:
            need, low, high = 2, 0x80, 0xBF
        elif lead == 0xF0:
            need, low, high = 3, 0x90, 0xBF
        elif lead == 0xF4:
            need, low, high = 3, 0x80, 0x8F
        elif 0xF1 <= lead <= 0xF3:
            need, low, high = 3, 0x80, 0xBF
        else:
            return 1
        for i in range(1, need + 1):
            if self.pos + i >= self.end or not low <= self.buf[self.pos + i] <= high:
                return i
            low, high = 0x80, 0xBF
        return 0

    cdef int _peek(self) except -2:
        """The next byte without consuming it, or -1 at the end of the file."""
        if self.pos >= self.end and not self._fill():
            return -1
        return self.buf[self.pos]

    cdef int _skip_line(self, int last) except -1:
        """After an error at byte *last*: drop the rest of its line (-1: none left)."""
        cdef unsigned char c
        self.cr = False
        self.inline = False
        while last != CR and last != NL and last >= 0:
            if self.pos >= self.end and not self._fill():
                return 0
            c = self.buf[self.pos]
            self.pos += 1
            last = c
        if last == CR and self._peek() == NL:
            self.pos += 1
        return 0

    cdef int _fail(self, message, int last) except -1:
        self._skip_line(last)
        raise csv.Error(message)

    cdef int _too_long(self, int last) except -1:
        return self._fail(f"field larger than field limit ({self.limit})", last)

    # -- one field ----------------------------------------------------------

    cdef inline int _clear_field(self) except -1:
        self.flen = 0
        self.fchars = 0
        self.fhigh = False
        self.fquoted = False
        self.fescaped = False
        self.counted = 0
        self.ccut = 0
        if self.ncuts:
            del self.cuts[:]
            self.ncuts = 0
        return 0

    cdef int _add(
        self, const unsigned char* data, Py_ssize_t n, unsigned char high, int last, bint final
    ) except -1:
        """Append *n* bytes to the field; *high* is all of them or-ed together,
        *last* the byte they end with (for the line an error drops), *final*
        whether an ASCII byte surely follows them (a character cut short at
        their end is then undecodable, not waiting for its next bytes)."""
        cdef Py_ssize_t need = self.flen + n
        cdef unsigned char* grown
        if need > self.fcap:
            need = max(need, 2 * self.fcap, 256)
            grown = <unsigned char*>PyMem_Realloc(self.field, need)
            if grown == NULL:
                raise MemoryError()
            self.field = grown
            self.fcap = need
        if high & 0x80 and not self.fhigh:
            # the ASCII bytes so far are as many characters; from here on
            # count by decoding, as what errors= makes of bad bytes counts
            self.fhigh = True
            self.counted = self.flen
            self.ccut = self.ncuts
        memcpy(self.field + self.flen, data, n)
        self.flen += n
        if self.fhigh:
            self._count(final)
        else:
            self.fchars += n
        if self.fchars > self.limit:
            return self._too_long(last)
        return 0

    cdef int _count(self, bint final) except -1:
        """Count the characters of the bytes added since the last count:
        decoded piece by piece between cuts, the last piece leaving out a
        character whose next bytes are still to come unless *final*."""
        cdef Py_ssize_t cut, consumed = 0
        if not self.utf8:
            self.fchars += PyUnicode_GET_LENGTH(PyUnicode_Decode(
                <char*>self.field + self.counted, self.flen - self.counted, self.codec, self.errors))
            self.counted = self.flen
            return 0
        while self.ccut < self.ncuts:
            cut = self.cuts[self.ccut]
            self.fchars += PyUnicode_GET_LENGTH(PyUnicode_DecodeUTF8(
                <char*>self.field + self.counted, cut - self.counted, self.errors))
            self.counted = cut
            self.ccut += 1
        self.fchars += PyUnicode_GET_LENGTH(PyUnicode_DecodeUTF8Stateful(
            <char*>self.field + self.counted, self.flen - self.counted, self.errors,
            NULL if final else &consumed))
        self.counted = self.flen if final else self.counted + consumed
        return 0

    cdef inline int _add_byte(self, unsigned char c) except -1:
        return self._add(&c, 1, c, c, False)

    cdef inline int _cut(self) except -1:
        """A quote or escape byte was dropped here, inside the field."""
        if self.flen:
            self.cuts.append(self.flen)
            self.ncuts += 1
        return 0

    cdef object _decode(self):
        """The field as str (a UTF-8 one with cuts piece by piece between them)."""
        cdef Py_ssize_t a = 0, b
        if not (self.utf8 and self.fhigh and self.ncuts):
            return self._decode_bytes(self.field, self.flen, self.fhigh)
        parts = []
        for cut in self.cuts:
            b = cut
            parts.append(PyUnicode_DecodeUTF8(<char*>self.field + a, b - a, self.errors))
            a = b
        parts.append(PyUnicode_DecodeUTF8(<char*>self.field + a, self.flen - a, self.errors))
        return "".join(parts)

    cdef inline object _decode_bytes(self, const unsigned char* data, Py_ssize_t n, bint high):
        if not high:
            return PyUnicode_DecodeLatin1(<const char*>data, n, NULL)
        if self.utf8:
            return PyUnicode_DecodeUTF8(<const char*>data, n, self.errors)
        return PyUnicode_Decode(<const char*>data, n, self.codec, self.errors)

    cdef int _save(self, int last) except -1:
        return self._store(self._decode(), last)

    cdef int _store(self, value, int last) except -1:
        """The field ends: its decoded *value* joins the record."""
        if PyUnicode_GET_LENGTH(value) > self.limit:
            self._too_long(last)
        if self.converts and not self.fquoted:
            return self._put(self._converted(value, last))
        return self._put(value)

    cdef object _converted(self, value, int last):
        """*value* (unquoted) as quoting= makes it; NotConverted once the rest
        of the line is dropped."""
        try:
            return converted(self.d, value, self.fescaped)
        except NotConverted:
            self._skip_line(last)
            raise

    cdef inline int _put(self, value) except -1:
        """*value* joins the record; the next field begins."""
        if self.header:
            PyList_Append(self.row, value)
        elif self.nsaved < PyList_GET_SIZE(self.names):
            PyDict_SetItem(self.row, <object>PyList_GET_ITEM(self.names, self.nsaved), value)
        else:
            if self.rest is None:
                self.rest = []
            PyList_Append(self.rest, value)
        self.nsaved += 1
        self._clear_field()
        return 0

    # -- one record ---------------------------------------------------------

    cdef Outcome _record(self) except <Outcome>-1:
        """Parse the next record into self.row (no field: a blank line)."""
        cdef State state = START_RECORD
        cdef unsigned char c
        cdef const unsigned char* table
        cdef const unsigned char* buf
        cdef unsigned char high
        cdef Py_ssize_t p, run, end, stop, dropped
        self._clear_field()
        self.nsaved = 0
        while True:
            if self.pos >= self.end and not self._fill():
                return self._at_end(state)
            c = self.buf[self.pos]
            if self.cr:
                self.cr = False
                if c != NL:
                    state = self._eol(state)
                    if state == START_RECORD:
                        return ROW
            if c >= 0x80 and self.ignore and state not in (IN_FIELD, IN_QUOTED_FIELD, AFTER_ESCAPED_CRNL):
                # the csv module never sees what errors="ignore" drops: a
                # field or line made of it is empty, an escape or quote
                # applies to the character after it (in the other states,
                # adding such bytes to the field keeps the state, as
                # dropping them would, and decoding drops them)
                dropped = self._dropped()
                if dropped:
                    self.pos += dropped
                    self.inline = True
                    continue
                c = self.buf[self.pos]
            # shortcuts for the common bytes; the same as _byte would do
            if state == START_RECORD and c != NL and c != CR:
                state = START_FIELD
            if state == START_FIELD:
                if not self.starting[c]:
                    state = IN_FIELD
                elif c == self.quote and c != NL and c != CR:
                    self.pos += 1
                    self.inline = True
                    self.fquoted = True
                    state = IN_QUOTED_FIELD
                    continue
            if state == IN_FIELD or state == IN_QUOTED_FIELD:
                if state == IN_FIELD:
                    table = self.unquoted
                else:
                    table = self.quoted
                p = run = self.pos
                buf = self.buf
                end = self.end
                high = 0
                while p < end and not table[buf[p]]:
                    high |= buf[p]
                    p += 1
                if p > run:
                    self.inline = True
                    # a whole field in the buffer, unquoted and ended by a
                    # delimiter or newline, or quoted and ended by a quote then
                    # one of those: decode it from there (not longer than the
                    # limit in bytes, so only its decoded length can make it
                    # too long); every other case goes the long way
                    if state == IN_FIELD:
                        stop = p
                    elif self.buf[p] == self.quote and self.quoted_shortcut:
                        stop = p + 1
                    else:
                        stop = end
                    if (
                        stop < end and self.flen == 0 and p - run <= self.limit
                        and (
                            self.buf[stop] == NL or self.buf[stop] == CR
                            or (self.buf[stop] == self.delim and self.delim != self.escape)
                        )
                    ):
                        c = self.buf[stop]
                        self.pos = stop + 1
                        self._store(self._decode_bytes(self.buf + run, p - run, high & 0x80), c)
                        if c == CR:  # (a newline before the delimiter, as in _byte)
                            self.cr = True
                            state = EAT_CRNL
                            continue
                        if c == NL:
                            self.inline = False
                            return ROW
                        state = START_FIELD
                        continue
                    self.pos = p
                    self._add(self.buf + run, p - run, high, 0, p < end)
                    continue
            self.pos += 1
            state = self._byte(state, c)
            if c == NL:
                state = self._eol(state)
                if state == START_RECORD:
                    return ROW
            elif c == CR:
                self.cr = True
            else:
                self.inline = True

    cdef Outcome _at_end(self, State state) except <Outcome>-1:
        if self.counted < self.flen and self.fhigh:
            # what the decoder flushes at the end of the file counts too
            self._count(True)
            if self.fchars > self.limit:
                self._too_long(-1)
        if self.cr or self.inline:
            self.cr = False
            state = self._eol(state)
            if state == START_RECORD:
                return ROW
        if self.flen or state == IN_QUOTED_FIELD:
            if self.strict:
                self._fail("unexpected end of data", -1)
            self._save(-1)
            return ROW
        return END

    cdef State _eol(self, State state) except <State>-1:
        """The end of a line (after its \\n, \\r\\n or \\r, or at the end of the file)."""
        self.inline = False
        if state == START_FIELD or state == IN_FIELD or state == QUOTE_IN_QUOTED_FIELD:
            self._save(-1)
            return START_RECORD
        if state == ESCAPED_CHAR:
            self._add(<const unsigned char*>b"\n", 1, NL, -1, True)
            return IN_FIELD
        if state == ESCAPE_IN_QUOTED_FIELD:
            self._add(<const unsigned char*>b"\n", 1, NL, -1, True)
            return IN_QUOTED_FIELD
        if state == EAT_CRNL:
            return START_RECORD
        return state  # START_RECORD, IN_QUOTED_FIELD, AFTER_ESCAPED_CRNL

    cdef State _byte(self, State state, unsigned char c) except <State>-1:
        cdef bint newline = c == NL or c == CR
        if state == START_RECORD:
            if newline:
                return EAT_CRNL
            state = START_FIELD
        if state == START_FIELD:
            if newline:
                self._save(c)
                return EAT_CRNL
            if c == self.quote:
                self.fquoted = True
                return IN_QUOTED_FIELD
            if c == self.escape:
                self.fescaped = True
                return ESCAPED_CHAR
            if c == SPACE and self.skipspace:
                return START_FIELD
            if c == self.delim:
                self._save(c)
                return START_FIELD
            self._add_byte(c)
            return IN_FIELD
        if state == ESCAPED_CHAR:
            self._add_byte(c)
            return AFTER_ESCAPED_CRNL if newline else IN_FIELD
        if state == IN_FIELD or state == AFTER_ESCAPED_CRNL:
            if newline:
                self._save(c)
                return EAT_CRNL
            if c == self.escape:
                self._cut()
                return ESCAPED_CHAR
            if c == self.delim:
                self._save(c)
                return START_FIELD
            self._add_byte(c)
            return state  # the csv module stays AFTER_ESCAPED_CRNL: an end of line then ends nothing
        if state == IN_QUOTED_FIELD:
            if c == self.escape:
                self._cut()
                return ESCAPE_IN_QUOTED_FIELD
            if c == self.quote:
                if self.doublequote:
                    return QUOTE_IN_QUOTED_FIELD
                self._cut()
                return IN_FIELD
            self._add_byte(c)
            return IN_QUOTED_FIELD
        if state == ESCAPE_IN_QUOTED_FIELD:
            self._add_byte(c)
            return IN_QUOTED_FIELD
        if state == QUOTE_IN_QUOTED_FIELD:
            if c == self.quote:
                self._add_byte(c)
                return IN_QUOTED_FIELD
            if c == self.delim:
                self._save(c)
                return START_FIELD
            if newline:
                self._save(c)
                return EAT_CRNL
            if self.strict:
                self._fail(f"'{self.d.delimiter}' expected after '{self.d.quotechar}'", c)
            self._cut()
            self._add_byte(c)
            return IN_FIELD
        return EAT_CRNL  # EAT_CRNL only ever sees \r or \n: lines end there

    # -- pickling, repr ------------------------------------------------------

    @cython.critical_section
    def __reduce__(self):
        if self.path is None and self.label != "nothing":
            raise TypeError(
                "cannot pickle a read_csv reading a file object: it could not be "
                "reopened elsewhere; give the reader a path to make it picklable"
            )
        # (guarded: another thread's next() may be between two rows)
        guard_enter(&self.guard, "read_csv")
        try:
            pos = None if self.src is None else self.base + self.pos
            state = (self.path, pos, self.names, self.restkey, self.restval)
        finally:
            guard_leave(&self.guard)
        options = tuple(_dialect.options(self.d).values())
        return (restore, ("read_csv",), state + (options,))

    @cython.critical_section
    def __setstate__(self, state):
        path, pos, fieldnames, restkey, restval, options = state
        d = _dialect.check(*options)
        guard_enter(&self.guard, "read_csv")
        try:
            self._finish()
            self.path = path
            self.label = repr(path)
            self._configure(d, fieldnames, restkey, restval)
            self.base = 0 if pos is None else pos
            if pos is not None:
                self.src = reopen(path, "read_csv")
                self._start(pos)
        finally:
            guard_leave(&self.guard)

    def __repr__(self):
        closed = " (closed)" if self.src is None else ""
        return f"<cyiter.read_csv {self.label}{closed}>"
