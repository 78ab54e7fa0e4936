"""Argument checks shared by both twins of read_chunks and read_lines.

Each function returns the checked value (normalised where said) or raises
the error the constructor reports, so both twins fail the same way.
"""

import codecs
from operator import index as _index

_ASCII_TEXT = "".join(map(chr, range(128)))
_ASCII_BYTES = _ASCII_TEXT.encode("ascii")


def offset(value, what):
    """*value* as a byte offset: an int that is at least zero."""
    value = _index(value)
    if value < 0:
        raise ValueError(f"{what} must be at least zero, not {value}")
    return value


def optional_offset(value, what):
    """None, or *value* as a byte offset."""
    return None if value is None else offset(value, what)


def positive(value, what):
    """*value* as an int that is at least one."""
    value = _index(value)
    if value < 1:
        raise ValueError(f"{what} must be at least 1, not {value}")
    return value


def codec_name(encoding, errors):
    """The codec name to decode lines with (None: bytes lines), or an error.

    Lines are split on the byte ``b"\\n"``, which is only right when every
    ASCII character is that same byte and no other character contains one:
    the ASCII-compatible encodings (utf-8, latin-1, cp1252, ascii, ...), and
    utf-8-sig (utf-8 whose BOM at the start of the file is dropped).
    Others (utf-16, utf-32, utf-7, ...) are refused with ValueError.
    """
    if not isinstance(errors, str):
        raise TypeError(f"errors must be a str, not {type(errors).__name__}")
    codecs.lookup_error(errors)
    if encoding is None:
        return None
    if not isinstance(encoding, str):
        raise TypeError(f"encoding must be a str or None, not {type(encoding).__name__}")
    info = codecs.lookup(encoding)
    if info.name != "utf-8-sig" and not _ascii_compatible(info):
        raise ValueError(
            "read_lines splits lines on the byte b'\\n', which is only right for an "
            f"ASCII-compatible encoding (utf-8, latin-1, cp1252, ...); {encoding!r} is "
            f"not one: read such a file with open(path, encoding={encoding!r})"
        )
    return info.name


def _ascii_compatible(info):
    try:
        encoded = info.encode(_ASCII_TEXT)[0]
        decoded = info.decode(_ASCII_BYTES)[0]
    except (UnicodeError, TypeError):
        return False
    return encoded == _ASCII_BYTES and decoded == _ASCII_TEXT
