"""The arguments of every reader, checked once for both twins.

Each reader's ``__init__`` (and ``__setstate__``, with a pickled state)
passes what it was given to the function of the same name here, which binds
it as the public signature says, checks it, and returns ``(source,
options)``: the options normalised, in a dict that pickles record as it is.
Both twins call the same function, so a bad call fails with the same error
and message on both.
"""

from __future__ import annotations

import codecs
import csv
import inspect
import sys
from operator import index as _index
from typing import Any

from cyiter import _compression, _dialect
from cyiter._source import MAX_OFFSET, MAX_SIZE

_ASCII_TEXT = "".join(map(chr, range(128)))
_ASCII_BYTES = _ASCII_TEXT.encode("ascii")

#: Multi-byte codecs without shift states: an ASCII byte is always that
#: character, and no character's bytes contain b"\n".
_STATELESS_MULTIBYTE = frozenset(
    {
        "big5", "big5hkscs", "cp932", "cp949", "cp950", "euc_jis_2004", "euc_jisx0213",
        "euc_jp", "euc_kr", "gb18030", "gb2312", "gbk", "johab", "shift_jis",
        "shift_jis_2004", "shift_jisx0213",
    }
)  # fmt: skip

Options = dict[str, Any]


def read_chunks(
    source: Any, size: Any = 65536, *, start: Any = 0, stop: Any = None, compression: Any = None
) -> tuple[Any, Options]:
    return source, {
        "size": _size(size, "size"),
        **_range(start, stop),
        "compression": _compression.check(compression),
    }


def read_lines(
    source: Any,
    *,
    encoding: Any = None,
    errors: Any = "strict",
    keepends: Any = False,
    start: Any = 0,
    stop: Any = None,
    buffer_size: Any = 1 << 20,
    max_line_length: Any = None,
    compression: Any = "infer",
) -> tuple[Any, Options]:
    codec_name(encoding, errors)
    return source, {
        "encoding": encoding,
        "errors": errors,
        "keepends": bool(keepends),
        **_range(start, stop),
        "buffer_size": _size(buffer_size, "buffer_size"),
        "max_line_length": _limit(max_line_length, "max_line_length"),
        "compression": _compression.check(compression),
    }


def read_csv(
    source: Any,
    *,
    fieldnames: Any = None,
    delimiter: Any = ",",
    quotechar: Any = '"',
    escapechar: Any = None,
    doublequote: Any = True,
    skipinitialspace: Any = False,
    strict: Any = False,
    restkey: Any = None,
    restval: Any = None,
    encoding: Any = "utf-8",
    errors: Any = "strict",
    max_field_size: Any = 131072,
    quoting: Any = csv.QUOTE_MINIMAL,
    start: Any = 0,
    stop: Any = None,
    compression: Any = "infer",
) -> tuple[Any, Options]:
    options = {
        "delimiter": delimiter,
        "quotechar": quotechar,
        "escapechar": escapechar,
        "doublequote": doublequote,
        "skipinitialspace": skipinitialspace,
        "strict": strict,
        "encoding": encoding,
        "errors": errors,
        "max_field_size": max_field_size,
        "quoting": quoting,
    }
    d = _dialect.check(**options)
    return source, {
        "fieldnames": _dialect.field_names(fieldnames, restkey),
        **_dialect.options(d),
        "restkey": restkey,
        "restval": restval,
        **_range(start, stop),
        "compression": _compression.check(compression),
    }


def read_jsonl(
    source: Any,
    *,
    loads: Any = None,
    start: Any = 0,
    stop: Any = None,
    compression: Any = "infer",
    buffer_size: Any = 1 << 20,
    max_line_length: Any = None,
) -> tuple[Any, Options]:
    if loads is not None and not callable(loads):
        raise TypeError(f"loads must be callable or None, not {type(loads).__name__}")
    return source, {
        "loads": loads,
        **_range(start, stop),
        "compression": _compression.check(compression),
        "buffer_size": _size(buffer_size, "buffer_size"),
        "max_line_length": _limit(max_line_length, "max_line_length"),
    }


def signature(name: str) -> inspect.Signature:
    """The public signature of the reader *name*: that of its argument
    checks here, without their annotations."""
    checks = inspect.signature(globals()[name])
    return checks.replace(
        parameters=[p.replace(annotation=p.empty) for p in checks.parameters.values()],
        return_annotation=checks.empty,
    )


def codec_name(encoding: Any, errors: Any) -> str | None:
    """The codec name to decode lines with (None: bytes lines), or an error.

    Lines are split on the byte ``b"\\n"``, which is only right when every
    ASCII character is that same byte and no other character contains one:
    the ASCII-compatible encodings (utf-8, latin-1, cp1252, shift_jis, ...),
    and utf-8-sig (utf-8 whose BOM at the start of the file is dropped).
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


def ascii_as_is(codec: str | None) -> bool:
    """Whether a line of ASCII bytes is that text in *codec*, wherever it is.

    Not so in codecs that give ASCII bytes another meaning (the escape
    sequences of iso2022_jp, raw_unicode_escape's ``\\u``): their lines are
    always decoded.
    """
    if codec is None or codec in ("utf-8", "utf-8-sig", "ascii"):
        return True
    return codec in _STATELESS_MULTIBYTE or _dialect.single_byte(codec)


def _ascii_compatible(info: codecs.CodecInfo) -> bool:
    try:
        encoded = info.encode(_ASCII_TEXT)[0]
        decoded = info.decode(_ASCII_BYTES)[0]
    except (UnicodeError, TypeError):
        return False
    return encoded == _ASCII_BYTES and decoded == _ASCII_TEXT


def _range(start: Any, stop: Any) -> Options:
    start = _offset(start, "start")
    return {"start": start, "stop": None if stop is None else _offset(stop, "stop")}


def _offset(value: Any, what: str) -> int:
    """*value* as a byte offset: an int that is at least zero (past the
    largest file offset is as good as the end of any file)."""
    number = _index(value)
    if number < 0:
        raise ValueError(f"{what} must be at least zero, not {number}")
    return min(number, MAX_OFFSET)


def _limit(value: Any, what: str) -> int | None:
    """None (no limit), or *value* as a length that is at least zero."""
    if value is None:
        return None
    number = _index(value)
    if number < 0:
        raise ValueError(f"{what} must be at least zero, not {number}")
    return min(number, sys.maxsize)


def _size(value: Any, what: str) -> int:
    """*value* as the size of a buffer or chunk: from 1 to MAX_SIZE."""
    number = _index(value)
    if number < 1:
        raise ValueError(f"{what} must be at least 1, not {number}")
    if number > MAX_SIZE:
        raise ValueError(f"{what} must be at most 2**48, not {number}")
    return number
