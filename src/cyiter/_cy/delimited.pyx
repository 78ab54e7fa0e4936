"""Cython twin of the delimited family: read_csv.

The pure-Python twin, ``cyiter/_py/delimited.py``, says how it parses, what
it does with undecodable bytes and after each kind of error; this module
does the same over the reader core's C buffer, gathering a field's bytes in
a field buffer of its own (a run of ordinary bytes at a time) and decoding
them when the field ends, straight into the row dict.
"""

cimport cython
from cpython.dict cimport PyDict_Copy, PyDict_SetItem
from cpython.list cimport PyList_Append, PyList_GET_ITEM, PyList_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.unicode cimport (
    PyUnicode_Decode,
    PyUnicode_DecodeLatin1,
    PyUnicode_DecodeUTF8,
    PyUnicode_DecodeUTF8Stateful,
)
from libc.string cimport memcmp, memcpy

from cyiter._cy._guard cimport guard_enter, guard_leave
from cyiter._cy.readers cimport _Reader

import csv
from types import GenericAlias

from cyiter import _csvsync, _dialect, _readargs
from cyiter._dialect import NotConverted, converted

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


@cython.final
cdef class read_csv(_Reader):
    """read_csv(source, *, fieldnames=None, delimiter=",", quotechar='"', escapechar=None, doublequote=True, skipinitialspace=False, strict=False, restkey=None, restval=None, encoding="utf-8", errors="strict", max_field_size=131072, quoting=0, start=0, stop=None, compression="infer")
--

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
    object (read from its start when it can seek; never closed).  A row
    belongs to the byte range ``[start, stop)`` that holds its first byte,
    so ranges ``[0, a)``, ``[a, b)``, ``[b, None)`` yield every row exactly
    once; a range after the first takes its field names from the file's
    first row unless *fieldnames* is given.  ``offset`` is the byte offset
    of the next row; a reader over a path pickles and resumes at that row.

    *compression* decompresses gzip, bz2, xz or zstd data on the fly:
    "infer" recognises it by its first bytes (in a path or a file object
    that can seek; one that cannot is read as it is), None reads the bytes
    as they are, and "gzip", "bz2", "xz" or "zstd" name the kind.  Offsets
    then count decompressed bytes, and a byte range raises ValueError.

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

    cdef object d              # the _dialect.Dialect
    cdef object names          # the field names: a list, None until the header is read
    cdef dict template         # dict.fromkeys(names): each row starts as a copy
    cdef object restkey
    cdef object restval
    cdef long long stop        # -1: none
    cdef long long align_to    # rows before this offset are the ranges' before
    cdef bint empty            # stop <= start: no row
    # the dialect, in C
    cdef int delim
    cdef int quote             # -1: none
    cdef int escape            # -1: none
    cdef bint doublequote
    cdef bint skipspace
    cdef bint strict
    cdef bint utf8
    cdef bint ignore           # errors="ignore"
    cdef bint converts         # quoting= turns unquoted fields into floats or None
    cdef unsigned char undecodable[256]  # single-byte codecs: bytes it cannot decode
    cdef Py_ssize_t limit
    cdef bytes codec
    cdef bytes errors
    cdef unsigned char unquoted[256]   # bytes that end a run in an unquoted field
    cdef unsigned char quoted[256]     # ... in a quoted field
    cdef unsigned char starting[256]   # bytes that do not simply start an unquoted field
    cdef bint quoted_shortcut  # a quote then a delimiter or newline surely ends a quoted field
    # parsing: the file offset where the record began (kept by every fill)
    cdef long long rec
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
    cdef bint fquoted          # the field began with the quote character
    cdef bint fescaped         # ... with the escape character
    # the record being parsed: a list (the header) or a dict
    cdef object row
    cdef list rest
    cdef Py_ssize_t nsaved
    cdef bint header

    def __cinit__(self, *args, **kwargs):
        self.cuts = []
        self._configure(_readargs.read_csv(None)[1])  # (a new object is exhausted)

    def __dealloc__(self):
        PyMem_Free(self.field)

    @classmethod
    def __class_getitem__(cls, item, /):
        """``read_csv[...]`` in annotations, as the stubs allow."""
        return GenericAlias(cls, item)

    cdef tuple _bind(self, tuple args, dict kwargs):
        return _readargs.read_csv(*args, **kwargs)

    cdef _configure(self, dict options):
        cdef int i
        d = _dialect.check(**{key: options[key] for key in _dialect.OPTIONS})
        self.options = options
        self.d = d
        self.names = options["fieldnames"]
        self.template = None
        self.restkey = options["restkey"]
        self.restval = options["restval"]
        self.stop = -1 if options["stop"] is None else options["stop"]
        self.empty = self.stop >= 0 and self.stop <= options["start"]
        self.align_to = 0
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

    cdef _begin(self, long long start):
        self._resume(0, {"fieldnames": self.names, "align_to": start})

    cdef _resume(self, long long offset, dict extra):
        names, align_to = extra["fieldnames"], extra["align_to"]
        if names is not None and type(names) is not list:
            raise TypeError(f"read_csv state: bad fieldnames {names!r}")
        if type(align_to) is not int or align_to < 0:
            raise TypeError(f"read_csv state: bad align_to {align_to!r}")
        self._resize(BUFFER_SIZE)
        self._seek(offset)
        self.names = names
        self.template = None
        self.align_to = align_to
        self.rec = offset
        self.cr = False
        self.inline = False

    cdef dict _extra_state(self):
        return {"fieldnames": self.names, "align_to": self.align_to}

    cdef long long _position(self) except -1:
        if self.src is not None and self.align_to:
            self._parse(0)  # (a range's first row, found after the header)
        return self.base + self.pos

    @cython.critical_section
    def __next__(self):
        guard_enter(&self.guard, "read_csv")
        try:
            # (checked once the guard is ours: a thread that waited for it may
            # find the reader exhausted by the one it waited for)
            row = None if self.src is None else self._parse(1)
            if row is None:
                self._finish()
                raise StopIteration
            return row
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
    def _fieldnames(self):
        guard_enter(&self.guard, "read_csv")
        try:
            if self.names is None and self.src is not None:
                self._parse(2)
            return None if self.names is None else list(self.names)
        finally:
            guard_leave(&self.guard)

    @cython.critical_section
    def _set_fieldnames(self, names):
        guard_enter(&self.guard, "read_csv")
        try:
            self.names = names
            self.template = None
        finally:
            guard_leave(&self.guard)

    cdef object _parse(self, int step):
        """Run *step* (0: get to the first row of the range, 1: the next
        row, 2: the header) from the start of a record; if it fails with an
        error that is not about the data (the source's, MemoryError,
        Ctrl-C), go back there, so that the next call reads it again."""
        self.rec = self.base + self.pos
        try:
            if step == 0:
                self._ready()
                return None
            if step == 1:
                return self._row()
            self._header()
            return None
        except (csv.Error, UnicodeError):
            raise
        except NotConverted as failed:
            raise failed.args[0] from None
        except BaseException:
            self.pos = self.rec - self.base
            self.cr = False
            self.inline = False
            self.row = None
            self.rest = None
            raise

    cdef bint _header(self) except -1:
        """Read the header row into ``names``; False at the end (closed)."""
        self.header = True
        self.row = []
        try:
            if not self._record():
                self._finish()
                return False
            self.names = self.row
            self.template = None
            self.rec = self.base + self.pos  # (the header is done: a failure goes back to after it)
        finally:
            self.row = None
            self.header = False
        return True

    cdef bint _ready(self) except -1:
        """Read the header if it is due and get to the range's first row;
        False at the end (see the pure twin)."""
        if self.empty:
            return False
        if not self.align_to:
            return self.names is not None or self._header()
        while self.names is None:
            try:
                if not self._header():
                    return False
            except (csv.Error, UnicodeError, NotConverted):
                pass
        self._align()
        return True

    cdef _align(self):
        """Move to the first record that starts at ``align_to`` or after
        (and after the header): the records before it are the ranges'
        before (see the pure twin)."""
        if self.ignore and (self.utf8 or self.d.undecodable):
            target = self._align_by_parsing()
        else:
            target = _csvsync.first_record(self.src, self.d, self.align_to)
        self._resume(max(target, self.base + self.pos), {"fieldnames": self.names, "align_to": 0})

    cdef long long _align_by_parsing(self) except -1:
        """The first record at ``align_to`` or after, found by parsing."""
        self.header = True  # (parsed into a list, then dropped)
        try:
            while self.base + self.pos < self.align_to:
                self.row = []
                try:
                    if not self._record():
                        break
                except (csv.Error, UnicodeError, NotConverted):
                    pass  # (an error of a row before the range: the range before reports it)
        finally:
            self.row = None
            self.header = False
        return self.base + self.pos

    cdef object _row(self):
        """The next row that is not blank and starts before ``stop``, as a
        dict; None at the end."""
        cdef Py_ssize_t lf, i
        if not self._ready():
            return None
        if self.template is None:
            self.template = dict.fromkeys(self.names)
        while True:
            if self.stop >= 0 and self.base + self.pos >= self.stop:
                return None
            # a copy of a dict with the right keys takes their order and size
            # at once; setting the fields then only replaces values (dict(zip())
            # and DictReader's restval loop give the same keys in that order)
            self.row = PyDict_Copy(self.template)
            self.rest = None
            if not self._record():
                self.row = None
                return None
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

    cdef bint _more(self) except -1:
        """Read more, keeping the record being parsed; False at the end of the file."""
        if self.eof:
            return False
        cdef Py_ssize_t keep = self.rec - self.base
        self._fill(keep, max(<Py_ssize_t>BUFFER_SIZE, self.end - keep))
        return not self.eof

    cdef int _ensure(self, Py_ssize_t n) except -1:
        """Make data[pos:pos + n] hold *n* bytes, if the file has them."""
        while self.end - self.pos < n and self._more():
            pass
        return 0

    cdef Py_ssize_t _dropped(self) except -1:
        """With errors="ignore": how many bytes from pos the decoder drops
        (the maximal undecodable subpart; 0 when a character starts there)."""
        cdef unsigned char lead, low, high
        cdef int need, i
        if not self.utf8:
            return self.undecodable[(<unsigned char*>self.data)[self.pos]]
        self._ensure(4)
        lead = (<unsigned char*>self.data)[self.pos]
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
            if self.pos + i >= self.end or not low <= (<unsigned char*>self.data)[self.pos + i] <= high:
                return i
            low, high = 0x80, 0xBF
        return 0


    cdef int _peek(self) except -2:
        """The next byte without consuming it, or -1 at the end of the file."""
        if self.pos >= self.end and not self._more():
            return -1
        return <unsigned char>self.data[self.pos]

    cdef int _skip_line(self, int last) except -1:
        """After an error at byte *last*: drop the rest of its line (-1: none left)."""
        cdef unsigned char c
        self.cr = False
        self.inline = False
        while last != CR and last != NL and last >= 0:
            if self.pos >= self.end and not self._more():
                return 0
            c = self.data[self.pos]
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
        character whose next bytes are still to come unless *final*.  A
        field that does not decode is not counted: decoding it when it ends
        raises the error, in the same place whatever path parsed it."""
        try:
            return self._count_decoded(final)
        except UnicodeError:
            self.counted = self.flen
            self.ccut = self.ncuts
            return 0

    cdef int _count_decoded(self, bint final) except -1:
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
        """The field ends at byte *last*: it joins the record.  If it does not
        decode, the rest of its line is dropped first, as after a csv.Error."""
        try:
            value = self._decode()
        except UnicodeError:
            self._skip_line(last)
            raise
        return self._store(value, last)

    cdef int _save_run(self, const unsigned char* data, Py_ssize_t n, int last) except -1:
        """The field that is just ``data[:n]``, not all ASCII, ends at byte
        *last* (see _save)."""
        try:
            value = self._decode_bytes(data, n, True)
        except UnicodeError:
            self._skip_line(last)
            raise
        return self._store(value, last)

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

    cdef bint _record(self) except -1:
        """Parse the next record into self.row (no field: a blank line);
        False at the end of the file."""
        cdef State state = START_RECORD
        cdef unsigned char c
        cdef const unsigned char* table
        cdef const unsigned char* buf
        cdef unsigned char high
        cdef Py_ssize_t p, run, end, stop, dropped
        self.rec = self.base + self.pos
        if self.rec == 0 and self.d.bom:
            self._ensure(3)
            if self.end - self.pos >= 3 and memcmp(self.data + self.pos, b"\xef\xbb\xbf", 3) == 0:
                self.pos += 3
                self.rec = 3
        self._clear_field()
        self.nsaved = 0
        while True:
            if self.pos >= self.end and not self._more():
                return self._at_end(state)
            c = (<unsigned char*>self.data)[self.pos]
            if self.cr:
                self.cr = False
                if c != NL:
                    state = self._eol(state)
                    if state == START_RECORD:
                        return True
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
                c = (<unsigned char*>self.data)[self.pos]
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
                buf = <unsigned char*>self.data
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
                    elif buf[p] == self.quote and self.quoted_shortcut:
                        stop = p + 1
                    else:
                        stop = end
                    if (
                        stop < end and self.flen == 0 and p - run <= self.limit
                        and (
                            buf[stop] == NL or buf[stop] == CR
                            or (buf[stop] == self.delim and self.delim != self.escape)
                        )
                    ):
                        c = buf[stop]
                        self.pos = stop + 1
                        if high & 0x80:
                            self._save_run(buf + run, p - run, c)
                        else:  # ASCII decodes as Latin-1, which cannot fail
                            self._store(PyUnicode_DecodeLatin1(<const char*>buf + run, p - run, NULL), c)
                        if c == CR:  # (a newline before the delimiter, as in _byte)
                            self.cr = True
                            state = EAT_CRNL
                            continue
                        if c == NL:
                            self.inline = False
                            return True
                        state = START_FIELD
                        continue
                    self.pos = p
                    self._add(buf + run, p - run, high, 0, p < end)
                    continue
            self.pos += 1
            state = self._byte(state, c)
            if c == NL:
                state = self._eol(state)
                if state == START_RECORD:
                    return True
            elif c == CR:
                self.cr = True
            else:
                self.inline = True

    cdef bint _at_end(self, State state) except -1:
        if self.counted < self.flen and self.fhigh:
            # what the decoder flushes at the end of the file counts too
            self._count(True)
            if self.fchars > self.limit:
                self._too_long(-1)
        if self.cr or self.inline:
            self.cr = False
            state = self._eol(state)
            if state == START_RECORD:
                return True
        if self.flen or state == IN_QUOTED_FIELD:
            if self.strict:
                self._fail("unexpected end of data", -1)
            self._save(-1)
            return True
        return False

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
