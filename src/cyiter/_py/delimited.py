"""Pure-Python twin of the delimited family: read_csv.

Mirrors ``cyiter/_cy/delimited.pyx`` exactly (the same byte-level state
machine, the same decoding, errors and offsets); see the docstrings there.
"""

import codecs
import csv
import re
from types import GenericAlias

from cyiter import _dialect
from cyiter._py._guard import Guarded, guarded
from cyiter._source import open_source, reopen
from cyiter._state import restore


_BUFFER_SIZE = 1 << 17
_BOM = b"\xef\xbb\xbf"
_NL = 10
_CR = 13
_SPACE = 32
_LINE_END = re.compile(b"[\r\n]")

# the states of the csv module's parser
(
    START_RECORD,
    START_FIELD,
    ESCAPED_CHAR,
    IN_FIELD,
    IN_QUOTED_FIELD,
    ESCAPE_IN_QUOTED_FIELD,
    QUOTE_IN_QUOTED_FIELD,
    EAT_CRNL,
    AFTER_ESCAPED_CRNL,
) = range(9)


def _utf8_undecodable(buf, pos):
    """The length of the undecodable UTF-8 sequence at *pos* (the maximal
    subpart the decoder reports and errors="ignore" drops), 0 for a character."""
    lead = buf[pos]
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
        if pos + i >= len(buf) or not low <= buf[pos + i] <= high:
            return i
        low, high = 0x80, 0xBF
    return 0


def _simple_field(d):
    """A regex matching one field that the state machine takes in the
    simplest way, with what ends it: a quoted field with only doubled quotes
    inside (group 1) or an unquoted one with no quote (group 2), then the
    delimiter or the end of the line (group 3; a lone \\r must be seen
    followed by something).  None for dialects that need more (escapechar,
    doublequote=False, skipinitialspace, special characters that clash)."""
    quote, delimiter = d.quote_byte, d.delimiter_byte
    if d.escape_byte >= 0 or not d.doublequote or d.skipinitialspace or quote < 0:
        return None
    if len({quote, delimiter, _NL, _CR}) < 4:
        return None
    q = re.escape(bytes((quote,)))
    sep = re.escape(bytes((delimiter,)))
    return re.compile(
        b"(?:" + q + b"([^" + q + b"]*(?:" + q + q + b"[^" + q + b"]*)*)" + q
        + b"|([^" + q + sep + b"\r\n]*))"
        + b"(" + sep + b"|\r\n|\n|\r(?=[^\n]))"
    )


def _one_run(quoted, quote):
    """Whether the Cython twin takes the *quoted* field in one run."""
    return quote not in quoted and b"\r" not in quoted and b"\n" not in quoted


def _plain_line(d):
    """A regex matching a whole line with no quote (group 1: all but its
    end), for the dialects that have a _simple_field."""
    q = re.escape(bytes((d.quote_byte,)))
    return re.compile(b"([^" + q + b"\r\n]*)(?:\r\n|\n|\r(?=[^\n]))")


def _byte_class(*values):
    """A regex matching any of the byte *values* (-1 is no byte)."""
    return re.compile(b"[" + b"".join(re.escape(bytes((v,))) for v in values if v >= 0) + b"]")


class read_csv(Guarded):
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

    __slots__ = (
        "_src",
        "_path",
        "_label",
        "_d",
        "_fieldnames",
        "_restkey",
        "_restval",
        "_buf",
        "_pos",
        "_base",
        "_cr",
        "_inline",
        "_field",
        "_cuts",
        "_chars",
        "_high",
        "_counted",
        "_ccut",
        "_unquoted",
        "_quoted",
        "_starting",
        "_ignore",
        "_simple",
        "_plain",
        "_fquoted",
        "_fescaped",
    )
    __class_getitem__ = classmethod(GenericAlias)

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self._src = None
        self._path = None
        self._label = "nothing"
        self._d = _dialect.check()
        self._fieldnames = None
        self._restkey = None
        self._restval = None
        self._buf = b""
        self._pos = 0
        self._base = 0
        self._cr = False
        self._inline = False
        self._field = bytearray()
        self._cuts = []
        self._chars = 0
        self._high = False
        self._counted = 0
        self._ccut = 0
        self._fquoted = False
        self._fescaped = False
        return self

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
        self._src = open_source(source, "read_csv")
        self._path = self._src.path
        self._label = repr(self._src)
        self._setup(d, fieldnames, restkey, restval, 0)

    def _setup(self, d, fieldnames, restkey, restval, pos):
        self._d = d
        self._fieldnames = fieldnames
        self._restkey = restkey
        self._restval = restval
        self._unquoted = _byte_class(_NL, _CR, d.delimiter_byte, d.escape_byte)
        self._quoted = _byte_class(_NL, _CR, d.quote_byte, d.escape_byte)
        self._starting = {_NL, _CR, d.delimiter_byte, d.escape_byte, d.quote_byte}
        if d.skipinitialspace:
            self._starting.add(_SPACE)
        self._ignore = d.errors == "ignore"
        # (the shortcuts do not track how a field began, which quoting= needs)
        self._simple = None if d.converts else _simple_field(d)
        self._plain = None if self._simple is None else _plain_line(d)
        self._start(pos)

    def _start(self, pos):
        """Parse from file offset *pos* of the open source."""
        self._buf = b""
        self._pos = 0
        self._base = pos
        self._cr = False
        self._inline = False
        if self._src.seekable:
            self._src.file.seek(pos)
        if pos == 0 and self._d.bom:
            self._skip_bom()

    def _skip_bom(self):
        data = b""
        while len(data) < 3:
            more = self._read(3 - len(data))
            if not more:
                break
            data += more
        self._buf = data
        if data == _BOM:
            self._pos = 3

    def _fail_at(self, start):
        """See the Cython twin."""
        if self._src is not None:
            self._base = start
            self._buf = b""
            self._pos = 0
            self._finish()

    def _back_to(self, start, names):
        """See the Cython twin."""
        if self._src is not None and self._src.seekable:
            try:
                self._start(start)
            except Exception:  # (another MemoryError): give up as _fail_at does
                pass
            else:
                self._fieldnames = names
                return
        self._fail_at(start)

    def _finish(self):
        src = self._src
        if src is not None:
            self._src = None
            self._base += self._pos
            self._buf = b""
            self._pos = 0
            src.close()

    def __del__(self):
        self._finish()

    def __iter__(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    @guarded
    def close(self):
        """Stop reading; a file the reader opened is closed now."""
        self._finish()

    @property
    def offset(self):
        """The byte offset of the next row (where parsing goes on)."""
        return self._offset()

    @guarded
    def _offset(self):
        return self._base + self._pos

    @property
    def fieldnames(self):
        """The field names, as ``csv.DictReader.fieldnames`` gives them: the
        *fieldnames* given, or the first row, read now if it was not yet
        (None for a file without rows).  A copy: assign to change them."""
        return self._names()

    @fieldnames.setter
    def fieldnames(self, value):
        self._set_names(_dialect.field_names(value, self._restkey))

    @guarded
    def _names(self):
        if self._fieldnames is None and self._src is not None:
            start = self._base + self._pos
            names = self._fieldnames
            try:
                self._header()
            except csv.Error:
                raise
            except _dialect.NotConverted as failed:
                raise failed.args[0] from None
            except MemoryError:
                self._back_to(start, names)
                raise
            except BaseException:
                self._fail_at(start)
                raise
        return None if self._fieldnames is None else list(self._fieldnames)

    @guarded
    def _set_names(self, names):
        self._fieldnames = names

    def _header(self):
        """Read the header row into _fieldnames; False (and closed) at the end."""
        header = self._record()
        if header is None:
            self._finish()
            return False
        self._fieldnames = header
        return True

    @guarded
    def __next__(self):
        if self._src is None:
            raise StopIteration
        start = self._base + self._pos
        names = self._fieldnames
        try:
            if self._fieldnames is None and not self._header():
                raise StopIteration
            row = self._record()
            while row == []:
                row = self._record()
        except csv.Error:
            raise
        except _dialect.NotConverted as failed:
            raise failed.args[0] from None
        except MemoryError:
            self._back_to(start, names)
            raise
        except BaseException:
            self._fail_at(start)
            raise
        if row is None:
            self._finish()
            raise StopIteration
        names = self._fieldnames
        result = dict(zip(names, row))
        if len(row) > len(names):
            result[self._restkey] = row[len(names) :]
        else:
            for key in names[len(row) :]:
                result[key] = self._restval
        return result

    # -- reading ----------------------------------------------------------

    def _fill(self):
        """Replace the consumed buffer by the next bytes; False at the end of the file."""
        self._base += len(self._buf)
        self._buf = self._read(_BUFFER_SIZE)
        self._pos = 0
        return len(self._buf) > 0

    def _read(self, size):
        """Up to *size* bytes, b"" at the end (readinto, as the Cython twin reads)."""
        buffer = bytearray(size)
        n = self._src.readinto(buffer)
        if n is None:
            return b""
        if not 0 <= n <= size:
            raise OSError(
                f"raw readinto() returned invalid length {n} "
                f"(should have been between 0 and {size})"
            )
        return bytes(buffer[:n])

    def _ensure(self, n):
        """Make ``_buf[_pos:_pos + n]`` hold *n* bytes, if the file has them."""
        if len(self._buf) - self._pos >= n:
            return
        self._base += self._pos
        self._buf = self._buf[self._pos :]
        self._pos = 0
        while len(self._buf) < n:
            more = self._read(_BUFFER_SIZE)
            if not more:
                return
            self._buf += more

    def _dropped(self):
        """With errors="ignore": how many bytes from ``_pos`` the decoder drops."""
        if not self._d.utf8:
            return 1 if self._buf[self._pos] in self._d.undecodable else 0
        self._ensure(4)
        return _utf8_undecodable(self._buf, self._pos)

    def _peek(self):
        """The next byte without consuming it, or -1 at the end of the file."""
        if self._pos >= len(self._buf) and not self._fill():
            return -1
        return self._buf[self._pos]

    def _skip_line(self, last):
        """After an error at byte *last*: drop the rest of its line (-1: none left)."""
        self._cr = False
        self._inline = False
        if last == _CR:
            if self._peek() == _NL:
                self._pos += 1
            return
        if last == _NL or last < 0:
            return
        while True:
            match = _LINE_END.search(self._buf, self._pos)
            if match is not None:
                self._pos = match.end()
                self._skip_line(match.group()[0])
                return
            self._pos = len(self._buf)
            if not self._fill():
                return

    def _fail(self, message, last):
        self._skip_line(last)
        raise csv.Error(message)

    def _too_long(self, last):
        self._fail(f"field larger than field limit ({self._d.max_field_size})", last)

    # -- one field ----------------------------------------------------------

    def _clear_field(self):
        self._field = bytearray()
        self._cuts = []
        self._chars = 0
        self._high = False
        self._counted = 0
        self._ccut = 0
        self._fquoted = False  # it began with the quote character
        self._fescaped = False  # ... with the escape character

    def _add(self, data, final=False):
        """Append *data* to the field; True when it makes the field too long
        (*final*: see the Cython twin)."""
        if not self._high and not data.isascii():
            # see the Cython twin: from here on, count by decoding
            self._high = True
            self._counted = len(self._field)
            self._ccut = len(self._cuts)
        self._field += data
        if self._high:
            self._count(final)
        else:
            self._chars += len(data)
        return self._chars > self._d.max_field_size

    def _count(self, final):
        d = self._d
        field = self._field
        if not d.utf8:
            self._chars += len(field[self._counted :].decode(d.codec, d.errors))
            self._counted = len(field)
            return
        while self._ccut < len(self._cuts):
            cut = self._cuts[self._ccut]
            self._chars += len(field[self._counted : cut].decode("utf-8", d.errors))
            self._counted = cut
            self._ccut += 1
        text, consumed = codecs.utf_8_decode(field[self._counted :], d.errors, final)
        self._chars += len(text)
        self._counted += consumed

    def _cut(self):
        """A structural byte was dropped here (see the Cython twin)."""
        if self._field:
            self._cuts.append(len(self._field))

    def _decode(self):
        field = self._field
        if not self._high:
            return field.decode("ascii")
        if not self._d.utf8:
            return field.decode(self._d.codec, self._d.errors)
        bounds = [0, *self._cuts, len(field)]  # pieces between cuts, see the Cython twin
        errors = self._d.errors
        return "".join(field[a:b].decode("utf-8", errors) for a, b in zip(bounds, bounds[1:]))

    def _save(self, fields, last):
        value = self._decode()
        if len(value) > self._d.max_field_size:
            self._too_long(last)
        if self._d.converts and not self._fquoted:
            try:
                value = _dialect.converted(self._d, value, self._fescaped)
            except _dialect.NotConverted:
                self._skip_line(last)
                raise
        fields.append(value)
        self._clear_field()

    # -- one record ---------------------------------------------------------

    def _record(self):
        """The next record: a list of str ([] for a blank line), None at the end."""
        if self._simple is not None:
            fields = self._simple_record()
            if fields is not None:
                return fields
        fields = []
        state = START_RECORD
        self._clear_field()
        while True:
            if self._pos >= len(self._buf) and not self._fill():
                return self._at_end(state, fields)
            c = self._buf[self._pos]
            if self._cr:
                self._cr = False
                if c != _NL:
                    state = self._eol(state, fields)
                    if state == START_RECORD:
                        return fields
            if c >= 0x80 and self._ignore and state not in (IN_FIELD, IN_QUOTED_FIELD, AFTER_ESCAPED_CRNL):
                # the csv module never sees what errors="ignore" drops: a
                # field or line made of it is empty, an escape or quote
                # applies to the character after it (in the other states,
                # adding such bytes to the field keeps the state, as
                # dropping them would, and decoding drops them)
                dropped = self._dropped()
                if dropped:
                    self._pos += dropped
                    self._inline = True
                    continue
            buf = self._buf
            pos = self._pos
            # as the Cython twin: an ordinary byte starts a field's first run
            if state == START_RECORD and c != _NL and c != _CR:
                state = START_FIELD
            if state == START_FIELD and c not in self._starting:
                state = IN_FIELD
            if state == IN_FIELD or state == IN_QUOTED_FIELD:
                special = self._unquoted if state == IN_FIELD else self._quoted
                match = special.search(buf, pos)
                stop = len(buf) if match is None else match.start()
                if stop > pos:
                    self._inline = True
                    self._pos = stop
                    if self._add(buf[pos:stop], stop < len(buf)):
                        self._too_long(0)
                    continue
            self._pos = pos + 1
            state = self._byte(state, c, fields)
            if c == _NL:
                state = self._eol(state, fields)
                if state == START_RECORD:
                    return fields
            elif c == _CR:
                self._cr = True
            else:
                self._inline = True

    def _simple_record(self):
        """A shortcut for a record of simple fields (see _simple_field) all in
        the buffer: the same record as the state machine's, or None to let
        it do the work from the start of the record."""
        d = self._d
        buf = self._buf
        pos = self._pos
        delimiter = bytes((d.delimiter_byte,))
        quote = bytes((d.quote_byte,))
        match = self._plain.match(buf, pos)
        if match is not None and (match.group(1).isascii() or not self._ignore):
            line = match.group(1)
            if not line:
                fields = []  # a blank line
            elif line.isascii():
                fields = line.decode("ascii").split(d.delimiter)
                if max(map(len, fields)) > d.max_field_size:
                    return None  # too long: the state machine knows where to fail
            else:
                fields = []
                for part in line.split(delimiter):  # in order, as errors come
                    if len(part) > d.max_field_size:
                        return None  # maybe too long: the state machine decides
                    fields.append(part.decode(d.codec, d.errors))
                    if len(fields[-1]) > d.max_field_size:
                        return None
            self._pos = match.end()
            return fields
        fields = []
        while True:
            match = self._simple.match(buf, pos)
            if match is None:
                return None
            quoted, plain, end = match.groups()
            if quoted is None:
                if not plain and not fields and end != delimiter:
                    self._pos = match.end()
                    return []  # a blank line
                raw = plain
            else:
                raw = quoted.replace(quote + quote, quote)
            if len(raw) > d.max_field_size:
                return None  # maybe too long: the state machine knows where to fail
            if raw.isascii():
                value = raw.decode("ascii")
            elif self._ignore or (quoted is not None and not _one_run(quoted, quote)):
                # the state machine drops undecodable bytes its own way, and
                # decodes a field of several runs run by run (the Cython
                # twin's pieces, which an error message reports positions in)
                return None
            else:
                value = raw.decode(d.codec, d.errors)
                if len(value) > d.max_field_size:
                    return None
            fields.append(value)
            pos = match.end()
            if end != delimiter:
                self._pos = pos
                return fields

    def _at_end(self, state, fields):
        if self._high and self._counted < len(self._field):
            # what the decoder flushes at the end of the file counts too
            self._count(True)
            if self._chars > self._d.max_field_size:
                self._too_long(-1)
        if self._cr or self._inline:
            self._cr = False
            state = self._eol(state, fields)
            if state == START_RECORD:
                return fields
        if self._field or state == IN_QUOTED_FIELD:
            if self._d.strict:
                self._fail("unexpected end of data", -1)
            self._save(fields, -1)
            return fields
        return None

    def _eol(self, state, fields):
        """The end of a line (after its \\n, \\r\\n or \\r, or at the end of the file)."""
        self._inline = False
        if state == START_FIELD or state == IN_FIELD or state == QUOTE_IN_QUOTED_FIELD:
            self._save(fields, -1)
            return START_RECORD
        if state == ESCAPED_CHAR:
            if self._add(b"\n", True):
                self._too_long(-1)
            return IN_FIELD
        if state == ESCAPE_IN_QUOTED_FIELD:
            if self._add(b"\n", True):
                self._too_long(-1)
            return IN_QUOTED_FIELD
        if state == EAT_CRNL:
            return START_RECORD
        return state  # START_RECORD, IN_QUOTED_FIELD, AFTER_ESCAPED_CRNL

    def _byte(self, state, c, fields):
        d = self._d
        newline = c == _NL or c == _CR
        if state == START_RECORD:
            if newline:
                return EAT_CRNL
            state = START_FIELD
        if state == START_FIELD:
            if newline:
                self._save(fields, c)
                return EAT_CRNL
            if c == d.quote_byte:
                self._fquoted = True
                return IN_QUOTED_FIELD
            if c == d.escape_byte:
                self._fescaped = True
                return ESCAPED_CHAR
            if c == _SPACE and d.skipinitialspace:
                return START_FIELD
            if c == d.delimiter_byte:
                self._save(fields, c)
                return START_FIELD
            if self._add(bytes((c,))):
                self._too_long(c)
            return IN_FIELD
        if state == ESCAPED_CHAR:
            if self._add(bytes((c,))):
                self._too_long(c)
            return AFTER_ESCAPED_CRNL if newline else IN_FIELD
        if state == IN_FIELD or state == AFTER_ESCAPED_CRNL:
            if newline:
                self._save(fields, c)
                return EAT_CRNL
            if c == d.escape_byte:
                self._cut()
                return ESCAPED_CHAR
            if c == d.delimiter_byte:
                self._save(fields, c)
                return START_FIELD
            if self._add(bytes((c,))):
                self._too_long(c)
            return state  # the csv module stays AFTER_ESCAPED_CRNL: an end of line then ends nothing
        if state == IN_QUOTED_FIELD:
            if c == d.escape_byte:
                self._cut()
                return ESCAPE_IN_QUOTED_FIELD
            if c == d.quote_byte:
                if d.doublequote:
                    return QUOTE_IN_QUOTED_FIELD
                self._cut()
                return IN_FIELD
            if self._add(bytes((c,))):
                self._too_long(c)
            return IN_QUOTED_FIELD
        if state == ESCAPE_IN_QUOTED_FIELD:
            if self._add(bytes((c,))):
                self._too_long(c)
            return IN_QUOTED_FIELD
        if state == QUOTE_IN_QUOTED_FIELD:
            if c == d.quote_byte:
                if self._add(bytes((c,))):
                    self._too_long(c)
                return IN_QUOTED_FIELD
            if c == d.delimiter_byte:
                self._save(fields, c)
                return START_FIELD
            if newline:
                self._save(fields, c)
                return EAT_CRNL
            if d.strict:
                self._fail(f"'{d.delimiter}' expected after '{d.quotechar}'", c)
            self._cut()
            if self._add(bytes((c,))):
                self._too_long(c)
            return IN_FIELD
        return EAT_CRNL  # EAT_CRNL only ever sees \r or \n: lines end there

    # -- pickling, repr ------------------------------------------------------

    def __reduce__(self):
        if self._path is None and self._label != "nothing":
            raise TypeError(
                "cannot pickle a read_csv reading a file object: it could not be "
                "reopened elsewhere; give the reader a path to make it picklable"
            )
        return (restore, ("read_csv",), self._state())

    @guarded
    def _state(self):
        # (guarded: another thread's next() may be between two rows)
        pos = None if self._src is None else self._base + self._pos
        options = tuple(_dialect.options(self._d).values())
        return (self._path, pos, self._fieldnames, self._restkey, self._restval, options)

    def __setstate__(self, state):
        path, pos, fieldnames, restkey, restval, options = state
        d = _dialect.check(*options)
        self._finish()
        self._path = path
        self._label = repr(path)
        self._d = d
        self._fieldnames = fieldnames
        self._restkey = restkey
        self._restval = restval
        self._base = 0 if pos is None else pos
        if pos is None:
            return
        self._src = reopen(path, "read_csv")
        self._setup(d, fieldnames, restkey, restval, pos)

    def __repr__(self):
        closed = " (closed)" if self._src is None else ""
        return f"<cyiter.read_csv {self._label}{closed}>"
