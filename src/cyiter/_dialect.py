"""Argument checks shared by both twins of read_csv.

:func:`check` validates every option once, with the csv module's own errors
for the dialect (it builds a ``csv.reader`` with them, so each Python version
reports exactly what its csv module reports), and returns a :class:`Dialect`
holding both the options as given (for repr and pickles) and what the byte
parsers need.

Both twins parse bytes, not decoded text: that equals what the csv module
does on the decoded text when every special character (delimiter, quote,
escape, ``\\r``, ``\\n``, space) is one byte that no other character
contains.  That holds for UTF-8 with ASCII special characters and for
single-byte encodings (latin-1, cp1252, ...); anything else (utf-16,
shift_jis, a non-ASCII delimiter in UTF-8, ...) is a ValueError.

``quoting`` is read as the csv module reads it: ``QUOTE_NONE`` makes the
quote character ordinary, and ``QUOTE_NONNUMERIC``, ``QUOTE_STRINGS`` and
``QUOTE_NOTNULL`` (3.12+) make unquoted fields floats or None when they end
(:func:`converted`).
"""

import codecs
import csv
import sys
from functools import lru_cache
from operator import index as _index
from typing import Any, NamedTuple

__all__ = ["Dialect", "NotConverted", "check", "converted", "field_names", "options", "single_byte"]

#: The options of read_csv as given, in signature order (pickles hold them).
OPTIONS = (
    "delimiter",
    "quotechar",
    "escapechar",
    "doublequote",
    "skipinitialspace",
    "strict",
    "encoding",
    "errors",
    "max_field_size",
    "quoting",
)

class Dialect(NamedTuple):
    """read_csv's options as given, then what the byte parsers need."""

    delimiter: str
    quotechar: str | None
    escapechar: str | None
    doublequote: bool
    skipinitialspace: bool
    strict: bool
    encoding: str
    errors: str
    max_field_size: int
    quoting: int
    delimiter_byte: int
    quote_byte: int  # -1 when nothing is quoted (QUOTE_NONE)
    escape_byte: int  # -1 when escapechar is None
    codec: str  # the codec name fields are decoded with
    utf8: bool  # UTF-8: a character is a lead byte and its continuation
    bom: bool  # skip a UTF-8 byte order mark at offset 0 (utf-8-sig)
    undecodable: bytes  # the byte values a single-byte codec cannot decode
    to_float: bool  # an unquoted field that is not empty becomes a float
    none_if_empty: bool  # an empty unquoted field becomes None
    converts: bool  # to_float or none_if_empty: unquoted fields go through converted()

# How the running csv module's quoting= picks the fields it converts.  3.12
# and later: every field that does not begin with the quote character.
# 3.10 and 3.11: only a field that begins with an ordinary character (not
# one that begins with the escape character, and never an empty one).
_ESCAPED_FIELD_CONVERTS = isinstance(
    next(csv.reader(["\\1"], quoting=csv.QUOTE_NONNUMERIC, escapechar="\\"))[0], float
)
_TO_FLOAT = {csv.QUOTE_NONNUMERIC, getattr(csv, "QUOTE_STRINGS", csv.QUOTE_NONNUMERIC)}
_NONE_IF_EMPTY = {
    getattr(csv, name) for name in ("QUOTE_STRINGS", "QUOTE_NOTNULL") if hasattr(csv, name)
}


class NotConverted(Exception):
    """Raised by :func:`converted` with the ValueError of ``float()``: the
    reader raises that ValueError once it has dropped the rest of the line,
    and reading goes on after it, as with the csv module."""


def converted(d: Dialect, value: str, escaped: bool) -> Any:
    """The unquoted field *value* as the quoting of *d* makes it: None, a
    float or itself.  *escaped*: the field began with the escape character."""
    if not value:
        return None if d.none_if_empty else value
    if d.to_float and (_ESCAPED_FIELD_CONVERTS or not escaped):
        try:
            return float(value)
        except ValueError as exc:
            raise NotConverted(exc) from None
    return value


def field_names(fieldnames: Any, restkey: Any) -> list[Any] | None:
    """None, or *fieldnames* as a list (DictReader iterates them many times).

    The names and *restkey* become dict keys: an unhashable one is a
    TypeError now rather than at the first row.
    """
    hash(restkey)
    if fieldnames is None:
        return None
    names = list(fieldnames)
    for name in names:
        hash(name)
    return names


def check(
    delimiter: Any = ",",
    quotechar: Any = '"',
    escapechar: Any = None,
    doublequote: Any = True,
    skipinitialspace: Any = False,
    strict: Any = False,
    encoding: Any = "utf-8",
    errors: Any = "strict",
    max_field_size: Any = 131072,
    quoting: Any = csv.QUOTE_MINIMAL,
) -> Dialect:
    """Validate read_csv's options; return a :class:`Dialect` or raise."""
    # "excel" as DictReader passes it, overridden by the options given: the
    # csv module's own errors (quotechar=None with quoting, say)
    dialect = csv.reader(
        (),
        "excel",
        delimiter=delimiter,
        quotechar=quotechar,
        escapechar=escapechar,
        doublequote=doublequote,
        skipinitialspace=skipinitialspace,
        strict=strict,
        quoting=quoting,
    ).dialect
    quotes = dialect.quoting != csv.QUOTE_NONE  # else the quote character is ordinary
    if not isinstance(encoding, str):
        raise TypeError(
            f"read_csv() argument 'encoding' must be str, not {type(encoding).__name__}"
        )
    if not isinstance(errors, str):
        raise TypeError(f"read_csv() argument 'errors' must be str, not {type(errors).__name__}")
    codecs.lookup_error(errors)
    name = codecs.lookup(encoding).name
    utf8 = name in ("utf-8", "utf-8-sig")
    if not utf8 and not single_byte(name):
        raise ValueError(
            "read_csv parses bytes, which is only right for UTF-8 and single-byte "
            f"encodings (latin-1, cp1252, ...); {encoding!r} is neither: read such a "
            f"file with csv.DictReader(open(path, newline='', encoding={encoding!r}))"
        )
    codec = "utf-8" if utf8 else name
    as_bytes = {}
    for what in ("delimiter", "quotechar", "escapechar"):
        char = getattr(dialect, what)
        if char is None:
            continue
        try:
            encoded = char.encode(codec)
        except UnicodeEncodeError:
            encoded = b""
        if len(encoded) != 1:
            raise ValueError(
                f"read_csv needs a {what} that is one byte in {encoding!r}, "
                f"not {char!r} (use an ASCII character)"
            )
        as_bytes[what] = encoded[0]
    if errors == "backslashreplace":
        # the csv module parses the text that replaced an undecodable byte
        # ("\\xff"); cyiter decodes fields after parsing, so it can only
        # match when that text holds no special character
        special = {dialect.delimiter, dialect.escapechar}
        if quotes:
            special.add(dialect.quotechar)
        clash = {char for char in special if char is not None} & set(_REPLACEMENT)
        if clash:
            raise ValueError(
                f"read_csv cannot use errors='backslashreplace' with {sorted(clash)[0]!r} "
                "as a delimiter, quotechar or escapechar: the replacement text of an "
                "undecodable byte (such as \\xff) contains it"
            )
    max_field_size = _index(max_field_size)
    if max_field_size < 0:
        raise ValueError(f"max_field_size must be at least zero, not {max_field_size}")
    max_field_size = min(max_field_size, sys.maxsize)  # no field is longer
    return Dialect(
        dialect.delimiter,
        dialect.quotechar,
        dialect.escapechar,
        dialect.doublequote,
        dialect.skipinitialspace,
        dialect.strict,
        encoding,
        errors,
        max_field_size,
        quoting,
        as_bytes["delimiter"],
        as_bytes.get("quotechar", -1) if quotes else -1,
        as_bytes.get("escapechar", -1),
        codec,
        utf8,
        name == "utf-8-sig",
        b"" if utf8 else _undecodable(name),
        dialect.quoting in _TO_FLOAT,
        dialect.quoting in _NONE_IF_EMPTY,
        dialect.quoting in _TO_FLOAT | _NONE_IF_EMPTY,
    )


_REPLACEMENT = "\\x0123456789abcdef"  # what backslashreplace writes for a byte


@lru_cache(maxsize=None)
def single_byte(name: str) -> bool:
    """True when codec *name* decodes every byte on its own, ASCII as itself."""
    for byte in range(256):
        decoder = codecs.getincrementaldecoder(name)("surrogateescape")
        try:
            text = decoder.decode(bytes((byte,)))
        except Exception:  # noqa: BLE001 - any codec may fail in its own way
            return False
        if not isinstance(text, str) or len(text) != 1:
            return False
        if byte < 128 and text != chr(byte):
            return False
    return True


@lru_cache(maxsize=None)
def _undecodable(name: str) -> bytes:
    """The bytes that single-byte codec *name* cannot decode (errors="ignore" drops them)."""
    bad = bytearray()
    for byte in range(256):
        try:
            codecs.decode(bytes((byte,)), name)
        except UnicodeDecodeError:
            bad.append(byte)
    return bytes(bad)


def options(dialect: Dialect) -> dict[str, Any]:
    """The options of *dialect* as given, in signature order, as a dict."""
    return {name: getattr(dialect, name) for name in OPTIONS}
