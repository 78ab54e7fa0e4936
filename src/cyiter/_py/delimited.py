"""Pure-Python twin of the delimited family: read_csv.

How it parses: the csv module's state machine, run over the bytes of the
file instead of decoded text.  ``cyiter._dialect`` only accepts encodings and
special characters for which that is the same thing (UTF-8 or a single-byte
encoding, one-byte delimiter, quote and escape).  The bytes of a field are
gathered (a run of ordinary bytes at a time) and decoded when the field
ends.  A record only ever ends at the end of a line, as with the csv module
reading a file opened with ``newline=""``: after ``\n``, ``\r\n`` or a
lone ``\r``.

Decoding a field on its own gives what decoding the whole line gives,
because fields are cut from their neighbours at ASCII bytes, which no UTF-8
character contains.  The exception: a quote or escape character dropped
from the middle of a field (``"\xc3"\xa9``) would join the bytes around
it into a character the text never had, so such a field remembers where
bytes were dropped ("cuts") and is decoded piece by piece.

max_field_size counts characters, as the csv module does on decoded text:
an ASCII field by its bytes; once a field has a non-ASCII byte, by decoding
what it has so far, so the error comes on the same line as the csv module's.

Undecodable bytes: the csv module parses the text the errors handler made.
"replace", "surrogateescape" and "surrogatepass" make non-ASCII characters,
which the parser treats as it treats the bytes.  "ignore" removes them
before the parser sees them: where that matters (the start of a field or
line, after an escape or a closing quote) an undecodable sequence is
skipped.  "backslashreplace" writes ASCII text the csv module would parse:
refused when the dialect uses one of its characters.  A handler of one's
own: its text is field data, never parsed.

Errors: a csv.Error (field too long, strict quoting, unexpected end of
data), the ValueError of a field quoting= cannot convert, and a
UnicodeDecodeError drop the rest of the line they happened on, and the next
row starts on the line after, as the csv module does with its own errors.
An error of the source, a MemoryError or a KeyboardInterrupt leaves the
reader at the start of the record it was reading: the next call reads that
record again, from the bytes already read and then where the source goes on.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable
from types import GenericAlias
from typing import Any, NoReturn, TypeVar

from cyiter import _csvsync, _dialect, _readargs
from cyiter._csvsync import (  # the parser's states, which the ranges' search runs too
    AFTER_ESCAPED_CRNL,
    EAT_CRNL,
    ESCAPE_IN_QUOTED_FIELD,
    ESCAPED_CHAR,
    IN_FIELD,
    IN_QUOTED_FIELD,
    QUOTE_IN_QUOTED_FIELD,
    START_FIELD,
    START_RECORD,
)
from cyiter._py._guard import guarded
from cyiter._py.readers import _Reader

_T = TypeVar("_T")


_BUFFER_SIZE = 1 << 17
_BOM = b"\xef\xbb\xbf"
_NL = 10
_CR = 13
_SPACE = 32
_LINE_END = re.compile(b"[\r\n]")



def _utf8_undecodable(buf: bytes, pos: int) -> int:
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


def _simple_field(d: _dialect.Dialect) -> re.Pattern[bytes] | None:
    """A regex matching a field the state machine can take in one step at
    START_FIELD, with what ends it: a quoted field with only doubled quotes
    inside (group 1) or an unquoted one with no quote (group 2), then the
    delimiter or the end of the line (group 3; a lone \\r must be seen
    followed by something).  None for dialects that need more (escapechar,
    doublequote=False, skipinitialspace, quoting= conversions, special
    characters that clash)."""
    quote, delimiter = d.quote_byte, d.delimiter_byte
    if d.escape_byte >= 0 or not d.doublequote or d.skipinitialspace or quote < 0 or d.converts:
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


def _one_run(quoted: bytes, quote: int) -> bool:
    """Whether *quoted* (a quoted field's bytes) is one run of the state
    machine: no quote (a doubled one is a cut), and no line end."""
    return bytes((quote,)) not in quoted and b"\r" not in quoted and b"\n" not in quoted


def _byte_class(*values: int) -> re.Pattern[bytes]:
    """A regex matching any of the byte *values* (-1 is no byte)."""
    return re.compile(b"[" + b"".join(re.escape(bytes((v,))) for v in values if v >= 0) + b"]")




def _plain_line(d: _dialect.Dialect) -> re.Pattern[bytes] | None:
    """A regex matching a whole line that holds no quote, escape or ``\\r``
    (group 1: the line without its end), or None where a plain line is not
    simply its fields split at the delimiter (skipinitialspace, quoting=
    conversions, clashing special characters).  A lone ``\\r`` must be seen
    followed by something, as the state machine sees it."""
    if d.escape_byte >= 0 or d.skipinitialspace or d.converts:
        return None
    special = {d.delimiter_byte, _NL, _CR}
    if d.quote_byte >= 0:
        special.add(d.quote_byte)
    if len(special) < (4 if d.quote_byte >= 0 else 3):
        return None
    other = re.escape(bytes((d.quote_byte,))) if d.quote_byte >= 0 else b""
    return re.compile(b"([^" + other + b"\r\n]*)(?:\r\n|\n|\r(?=[^\n]))")


class read_csv(_Reader):
    """Rows of a CSV file as dicts, exactly as ``csv.DictReader`` gives them
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

    __slots__ = (
        "_d",
        "_names",
        "_restkey",
        "_restval",
        "_stop",
        "_empty",
        "_align_to",
        "_rec",
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
        "_plain",
        "_simple",
        "_quoted_shortcut",
        "_fquoted",
        "_fescaped",
    )
    __class_getitem__: classmethod[Any, [Any], GenericAlias] = classmethod(GenericAlias)
    _bind = staticmethod(_readargs.read_csv)

    # the options
    _d: _dialect.Dialect
    _names: list[Any] | None  # the field names, None until the header is read
    _restkey: Any
    _restval: Any
    _stop: int | None
    _empty: bool  # the byte range is empty
    _align_to: int  # a range's start, until its first record is found; then 0
    # the record being parsed
    _rec: int  # its file offset
    _cr: bool  # a \r was just read: a \n after it is the same line end
    _inline: bool  # the record has bytes on its line
    # the field being parsed (see _clear_field)
    _field: bytearray  # its bytes so far
    _cuts: list[int]  # where bytes were dropped from it
    _chars: int  # its length in characters, counted up to _counted
    _high: bool  # it has a non-ASCII byte
    _counted: int
    _ccut: int
    _fquoted: bool
    _fescaped: bool
    # what the dialect makes of the bytes: the shortcuts
    _unquoted: re.Pattern[bytes]  # the bytes that end a run in an unquoted field
    _quoted: re.Pattern[bytes]  # ... in a quoted field
    _starting: set[int]  # the bytes that do not start an unquoted field's run
    _ignore: bool  # errors="ignore"
    _plain: re.Pattern[bytes] | None  # see _plain_line
    _simple: re.Pattern[bytes] | None  # see _simple_field
    _quoted_shortcut: bool

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        self = super().__new__(cls)
        self._rec = 0
        self._cr = False
        self._inline = False
        self._field = bytearray()
        self._cuts = []
        self._chars = self._counted = self._ccut = 0
        self._high = False
        self._clear_field()
        return self

    def _configure(self, options: dict[str, Any]) -> None:
        d = _dialect.check(**{key: options[key] for key in _dialect.OPTIONS})
        self._options = options
        self._d = d
        self._names = options["fieldnames"]
        self._restkey = options["restkey"]
        self._restval = options["restval"]
        self._stop = options["stop"]
        self._empty = self._stop is not None and self._stop <= options["start"]
        self._align_to = 0
        self._unquoted = _byte_class(_NL, _CR, d.delimiter_byte, d.escape_byte)
        self._quoted = _byte_class(_NL, _CR, d.quote_byte, d.escape_byte)
        self._starting = {_NL, _CR, d.delimiter_byte, d.escape_byte, d.quote_byte}
        if d.skipinitialspace:
            self._starting.add(_SPACE)
        self._ignore = d.errors == "ignore"
        self._plain = _plain_line(d)
        self._simple = _simple_field(d)
        # a quote then a delimiter or newline surely ends a quoted field
        self._quoted_shortcut = (
            d.quote_byte >= 0
            and d.quote_byte != d.escape_byte
            and d.quote_byte not in (d.delimiter_byte, _NL, _CR)
            and d.delimiter_byte not in (_NL, _CR)
        )

    def _begin(self, start: int) -> None:
        self._resume(0, {"fieldnames": self._names, "align_to": start})

    def _resume(self, offset: int, extra: dict[str, Any]) -> None:
        names, align_to = extra["fieldnames"], extra["align_to"]
        if names is not None and type(names) is not list:
            raise TypeError(f"read_csv state: bad fieldnames {names!r}")
        if type(align_to) is not int or align_to < 0:
            raise TypeError(f"read_csv state: bad align_to {align_to!r}")
        self._reserve(_BUFFER_SIZE)
        self._seek(offset)
        self._names = names
        self._align_to = align_to
        self._rec = offset
        self._cr = False
        self._inline = False

    def _extra_state(self) -> dict[str, Any]:
        return {"fieldnames": self._names, "align_to": self._align_to}

    @guarded
    def _offset(self) -> int:
        if self._src is not None and self._align_to:
            self._parse(self._ready)  # (a range's first row, found after the header)
        return self._base + self._pos

    @property
    def fieldnames(self) -> list[Any] | None:
        """The field names, as ``csv.DictReader.fieldnames`` gives them: the
        *fieldnames* given, or the first row, read now if it was not yet
        (None for a file without rows).  A copy: assign to change them."""
        return self._fieldnames()

    @fieldnames.setter
    def fieldnames(self, value: Any) -> None:
        self._set_fieldnames(_dialect.field_names(value, self._restkey))

    @guarded
    def _fieldnames(self) -> list[Any] | None:
        if self._names is None and self._src is not None:
            self._parse(self._header)
        return None if self._names is None else list(self._names)

    @guarded
    def _set_fieldnames(self, names: list[Any] | None) -> None:
        self._names = names

    @guarded
    def __next__(self) -> dict[Any, Any]:
        row = None if self._src is None else self._parse(self._row)
        if row is None:
            self._finish()
            raise StopIteration
        # (a row is read after the names: _row gets them first)
        names: list[Any] = self._names  # type: ignore[assignment]
        result = dict(zip(names, row))
        if len(row) > len(names):
            result[self._restkey] = row[len(names) :]
        else:
            for key in names[len(row) :]:
                result[key] = self._restval
        return result

    def _parse(self, step: Callable[[], _T]) -> _T:
        """``step()``, from the start of a record; if it fails with an error
        that is not about the data (the source's, MemoryError, Ctrl-C), the
        reader goes back there, so that the next call reads it again."""
        self._rec = self._base + self._pos
        try:
            return step()
        except (csv.Error, UnicodeError):
            raise
        except _dialect.NotConverted as failed:
            raise failed.args[0] from None
        except BaseException:
            self._pos = self._rec - self._base
            self._cr = False
            self._inline = False
            raise

    def _header(self) -> bool:
        """Read the header row into ``_names``; False at the end (closed)."""
        header = self._record()
        if header is None:
            self._finish()
            return False
        self._names = header
        self._rec = self._base + self._pos  # (the header is done: a failure goes back to after it)
        return True

    def _ready(self) -> bool:
        """Read the header if it is due and get to the range's first row;
        False at the end (an empty range has none)."""
        if self._empty:
            return False
        if not self._align_to:
            return self._names is not None or self._header()
        # a range after the first reads the header quietly: its errors are
        # the first range's, and the names are those of the first row
        # without one, as csv.DictReader takes them
        while self._names is None:
            try:
                if not self._header():
                    return False
            except (csv.Error, UnicodeError, _dialect.NotConverted):
                pass
        self._align()
        return True

    def _row(self) -> list[Any] | None:
        """The fields of the next row that is not blank and starts before
        ``stop``, or None at the end."""
        if (self._names is None or self._align_to or self._empty) and not self._ready():
            return None
        while True:
            if self._stop is not None and self._base + self._pos >= self._stop:
                return None
            row = self._record()
            if row != []:
                return row

    def _align(self) -> None:
        """Move to the first record that starts at ``_align_to`` or after
        (and after the header): the records before it are the ranges'
        before.  Found by ``_csvsync`` without parsing what comes before,
        except with errors="ignore", where undecodable bytes the csv module
        never sees can change how records are cut."""
        if self._ignore and (self._d.utf8 or self._d.undecodable):
            target = self._align_by_parsing()
        else:
            target = _csvsync.first_record(self._src, self._d, self._align_to)
        self._resume(max(target, self._base + self._pos), {"fieldnames": self._names, "align_to": 0})

    def _align_by_parsing(self) -> int:
        """The first record at ``_align_to`` or after, found by parsing."""
        while self._base + self._pos < self._align_to:
            try:
                if self._record() is None:
                    break
            except (csv.Error, UnicodeError, _dialect.NotConverted):
                pass  # (an error of a row before the range: the range before reports it)
        return self._base + self._pos

    # -- reading ----------------------------------------------------------

    def _more(self) -> bool:
        """Read more, keeping the record being parsed; False at the end of the file."""
        if self._eof:
            return False
        self._fill(self._rec - self._base, _BUFFER_SIZE)
        return not self._eof

    def _ensure(self, n: int) -> None:
        """Make ``_buf[_pos:_pos + n]`` hold *n* bytes, if the file has them."""
        while len(self._buf) - self._pos < n and self._more():
            pass

    def _dropped(self) -> int:
        """With errors="ignore": how many bytes from ``_pos`` the decoder drops."""
        if not self._d.utf8:
            return 1 if self._buf[self._pos] in self._d.undecodable else 0
        self._ensure(4)
        return _utf8_undecodable(self._buf, self._pos)

    def _peek(self) -> int:
        """The next byte without consuming it, or -1 at the end of the file."""
        if self._pos >= len(self._buf) and not self._more():
            return -1
        return self._buf[self._pos]

    def _skip_line(self, last: int) -> None:
        """After an error at byte *last*: drop the rest of its line (-1: none left)."""
        self._cr = False
        self._inline = False
        while last != _CR and last != _NL and last >= 0:
            match = _LINE_END.search(self._buf, self._pos)
            if match is None:
                self._pos = len(self._buf)
                if not self._more():
                    return
                continue
            self._pos = match.end()
            last = match.group()[0]
        if last == _CR and self._peek() == _NL:
            self._pos += 1

    def _fail(self, message: str, last: int) -> NoReturn:
        self._skip_line(last)
        raise csv.Error(message)

    def _too_long(self, last: int) -> NoReturn:
        self._fail(f"field larger than field limit ({self._d.max_field_size})", last)

    # -- one field ----------------------------------------------------------

    def _clear_field(self) -> None:
        if self._field:
            self._field = bytearray()
            self._cuts = []
            self._chars = 0
            self._high = False
            self._counted = 0
            self._ccut = 0
        self._fquoted = False  # it began with the quote character
        self._fescaped = False  # ... with the escape character

    def _add(self, data: bytes, last: int, final: bool = False) -> None:
        """Append *data* to the field; *last* is the byte it ends with (for
        the line an error drops), *final* whether an ASCII byte surely
        follows (a character cut short at its end is then undecodable, not
        waiting for its next bytes)."""
        if not self._high and not data.isascii():
            # the ASCII bytes so far are as many characters; from here on
            # count by decoding, as what errors= makes of bad bytes counts
            self._high = True
            self._counted = len(self._field)
            self._ccut = len(self._cuts)
        self._field += data
        if self._high:
            self._count(final)
        else:
            self._chars += len(data)
        if self._chars > self._d.max_field_size:
            self._too_long(last)

    def _count(self, final: bool) -> None:
        """Count the characters of the bytes added since the last count:
        decoded piece by piece between cuts, the last piece leaving out a
        character whose next bytes are still to come unless *final*.  A
        field that does not decode is not counted: decoding it when it ends
        raises the error, in the same place whatever path parsed it."""
        try:
            self._count_decoded(final)
        except UnicodeError:
            self._counted = len(self._field)
            self._ccut = len(self._cuts)

    def _count_decoded(self, final: bool) -> None:
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

    def _cut(self) -> None:
        """A quote or escape byte was dropped here, inside the field."""
        if self._field:
            self._cuts.append(len(self._field))

    def _decode(self) -> str:
        """The field as str (a UTF-8 one with cuts piece by piece between them)."""
        field = self._field
        if not self._high:
            return field.decode("ascii")
        if not self._d.utf8:
            return field.decode(self._d.codec, self._d.errors)
        bounds = [0, *self._cuts, len(field)]
        errors = self._d.errors
        return "".join(field[a:b].decode("utf-8", errors) for a, b in zip(bounds, bounds[1:]))

    def _save(self, fields: list[Any], last: int) -> None:
        """The field ends at byte *last*: its value joins *fields*.  If it
        does not decode, the rest of its line is dropped first, as after a
        csv.Error."""
        try:
            value = self._decode()
        except UnicodeError:
            self._skip_line(last)
            raise
        self._store(value, fields, last)

    def _save_run(self, data: bytes, fields: list[Any], last: int) -> None:
        """The field that is just *data* ends at byte *last* (see _save)."""
        try:
            value = data.decode("ascii") if data.isascii() else data.decode(self._d.codec, self._d.errors)
        except UnicodeError:
            self._skip_line(last)
            raise
        self._store(value, fields, last)

    def _store(self, value: str, fields: list[Any], last: int) -> None:
        """The field ends: its decoded *value* joins *fields*."""
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

    def _record(self) -> list[Any] | None:
        """The next record: a list of str ([] for a blank line), None at the end."""
        self._rec = self._base + self._pos
        if self._rec == 0 and self._d.bom:
            self._ensure(3)
            if self._buf.startswith(_BOM, self._pos):
                self._pos += 3
                self._rec = 3
        plain, simple = self._plain, self._simple
        if plain is not None:
            fields = self._plain_record(plain)
            if fields is not None:
                return fields
        d = self._d
        fields = []
        state = START_RECORD
        self._clear_field()
        while True:
            if self._pos >= len(self._buf) and not self._more():
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
                # adding such bytes keeps the state, as dropping them would,
                # and decoding drops them)
                dropped = self._dropped()
                if dropped:
                    self._pos += dropped
                    self._inline = True
                    continue
            buf = self._buf
            pos = self._pos
            # an ordinary byte starts a field's first run
            if state == START_RECORD and c != _NL and c != _CR:
                state = START_FIELD
            if state == START_FIELD and simple is not None:
                after = self._simple_step(simple, fields)
                if after == START_RECORD:
                    return fields
                if after == START_FIELD:
                    continue
            if state == START_FIELD and c not in self._starting:
                state = IN_FIELD
            if state == IN_FIELD or state == IN_QUOTED_FIELD:
                special = self._unquoted if state == IN_FIELD else self._quoted
                match = special.search(buf, pos)
                run = len(buf) if match is None else match.start()
                if run > pos:
                    self._inline = True
                    # a whole field in the buffer, unquoted and ended by a
                    # delimiter or newline, or quoted and ended by a quote
                    # then one of those: decode it from there (every other
                    # case goes the long way)
                    stop = run
                    if state == IN_QUOTED_FIELD:
                        stop = run + 1 if match is not None and buf[run] == d.quote_byte and self._quoted_shortcut else len(buf)
                    if stop < len(buf) and not self._field and run - pos <= d.max_field_size:
                        c = buf[stop]
                        if c == _NL or c == _CR or (c == d.delimiter_byte and c != d.escape_byte):
                            self._pos = stop + 1
                            self._save_run(buf[pos:run], fields, c)
                            if c == _CR:  # (a newline before the delimiter, as in _byte)
                                self._cr = True
                                state = EAT_CRNL
                                continue
                            if c == _NL:
                                self._inline = False
                                return fields
                            state = START_FIELD
                            continue
                    self._pos = run
                    self._add(buf[pos:run], 0, run < len(buf))
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

    def _simple_step(self, simple: re.Pattern[bytes], fields: list[Any]) -> int | None:
        """At START_FIELD: a simple field (*simple*, see _simple_field) whose
        end is in the buffer, taken in one step as the state machine would
        take it byte by byte; the state after it, or None if it does not
        apply (None: nothing is consumed)."""
        d = self._d
        buf = self._buf
        match = simple.match(buf, self._pos)
        if match is None:
            return None
        quoted, plain, end = match.groups()
        if quoted is None:
            raw = plain
        else:
            quote = bytes((d.quote_byte,))
            raw = quoted.replace(quote + quote, quote)
        if len(raw) > d.max_field_size:
            return None  # maybe too long: byte by byte finds where to fail
        if raw.isascii():
            value = raw.decode("ascii")
        elif self._ignore or (quoted is not None and not _one_run(quoted, d.quote_byte)):
            # errors="ignore" drops bytes its own way, and a field of several
            # runs is decoded run by run
            return None
        else:
            try:
                value = raw.decode(d.codec, d.errors)
            except UnicodeError:
                return None  # byte by byte raises it where it should
            if len(value) > d.max_field_size:
                return None
        fields.append(value)
        self._pos = match.end()
        if end[0] == d.delimiter_byte:
            self._inline = True
            return START_FIELD
        self._inline = False
        return START_RECORD

    def _plain_record(self, plain: re.Pattern[bytes]) -> list[Any] | None:
        """The shortcut for a whole line in the buffer with no quote, escape
        or ``\\r`` (*plain*, see _plain_line): its fields split at the
        delimiter, the same as the state machine's; None to let the state
        machine do it."""
        match = plain.match(self._buf, self._pos)
        if match is None:
            return None
        d = self._d
        line = match.group(1)
        fields: list[str]
        if not line:
            fields = []  # a blank line
        elif line.isascii():
            fields = line.decode("ascii").split(d.delimiter)
            if max(map(len, fields)) > d.max_field_size:
                return None  # too long: the state machine knows where to fail
        elif self._ignore:
            return None
        else:
            fields = []
            for part in line.split(bytes((d.delimiter_byte,))):  # in order, as errors come
                if len(part) > d.max_field_size:
                    return None  # maybe too long: the state machine decides
                try:
                    fields.append(part.decode(d.codec, d.errors))
                except UnicodeError:
                    return None  # the state machine raises it where it should
                if len(fields[-1]) > d.max_field_size:
                    return None
        self._pos = match.end()
        return fields

    def _at_end(self, state: int, fields: list[Any]) -> list[Any] | None:
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

    def _eol(self, state: int, fields: list[Any]) -> int:
        """The end of a line (after its \\n, \\r\\n or \\r, or at the end of the file)."""
        self._inline = False
        if state == START_FIELD or state == IN_FIELD or state == QUOTE_IN_QUOTED_FIELD:
            self._save(fields, -1)
            return START_RECORD
        if state == ESCAPED_CHAR:
            self._add(b"\n", -1, True)
            return IN_FIELD
        if state == ESCAPE_IN_QUOTED_FIELD:
            self._add(b"\n", -1, True)
            return IN_QUOTED_FIELD
        if state == EAT_CRNL:
            return START_RECORD
        return state  # START_RECORD, IN_QUOTED_FIELD, AFTER_ESCAPED_CRNL

    def _byte(self, state: int, c: int, fields: list[Any]) -> int:
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
            self._add(bytes((c,)), c)
            return IN_FIELD
        if state == ESCAPED_CHAR:
            self._add(bytes((c,)), c)
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
            self._add(bytes((c,)), c)
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
            self._add(bytes((c,)), c)
            return IN_QUOTED_FIELD
        if state == ESCAPE_IN_QUOTED_FIELD:
            self._add(bytes((c,)), c)
            return IN_QUOTED_FIELD
        if state == QUOTE_IN_QUOTED_FIELD:
            if c == d.quote_byte:
                self._add(bytes((c,)), c)
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
            self._add(bytes((c,)), c)
            return IN_FIELD
        return EAT_CRNL  # EAT_CRNL only ever sees \r or \n: lines end there
