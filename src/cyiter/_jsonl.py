"""JSON Lines: what both twins of read_jsonl and write_jsonl share.

The twins each have their own loop (a line parsed, a record encoded); the
choice of parser and encoder, the slow paths after a failure, the errors
and the output file are here, once.

The default parser is ``orjson.loads`` when orjson is installed, with
``json.loads`` behind it, so that the values are always those of
``json.loads``: a line orjson refuses (NaN, Infinity, a lone surrogate, a
BOM, ...) is parsed again by ``json.loads``, and a line holding a run of
:data:`LONG_DIGITS` digits or more, where orjson would make an integer too
large for 64 bits a float, goes to ``json.loads`` alone.  The default
encoder is ``orjson.dumps`` with ``json.dumps`` behind it for what orjson
refuses (integers beyond 64 bits, keys that are not str).  The reasons and
measurements are in docs/internals.md, "JSON Lines".
"""

from __future__ import annotations

import json
import os
import pickle
import stat
from typing import Any, Callable

from cyiter import _compression

#: Every integer of at most 18 digits fits in 64 bits (orjson keeps it an int).
LONG_DIGITS = 19

_DIGITS_AS_9 = bytes(0x39 if 0x30 <= c <= 0x39 else 0x20 for c in range(256))
_LONG_RUN = b"9" * LONG_DIGITS

#: Encoded records are written in blocks of about this size.
WRITE_BLOCK = 1 << 20


# -- reading -----------------------------------------------------------------


def parsers(loads: Callable[[Any], Any] | None) -> tuple[Callable[[Any], Any], Callable[[Any], Any] | None]:
    """``(loads, fallback)``: the *loads* given and None, else
    ``orjson.loads`` and ``json.loads`` (see the module), else ``json.loads``
    and None."""
    if loads is not None:
        return loads, None
    try:
        import orjson
    except ImportError:
        return json.loads, None
    return orjson.loads, json.loads


def long_digits(line: bytes) -> bool:
    """Whether *line* holds a run of :data:`LONG_DIGITS` digits or more."""
    return _LONG_RUN in line.translate(_DIGITS_AS_9)


def reparse(line: bytes, offset: int, error: ValueError, fallback: Callable[[Any], Any] | None) -> Any:
    """After the parser raised *error* for *line*: ``json.loads``' value
    when orjson refused it, else the ValueError naming the line's *offset*."""
    if fallback is not None:
        try:
            return fallback(line)
        except ValueError as exc:
            error = exc
    raise ValueError(f"the line at byte offset {offset} is not valid JSON: {error}") from error


def check_pickle(loads: Any) -> None:
    """TypeError unless the *loads* a read_jsonl was given pickles."""
    if loads is None:
        return
    try:
        pickle.dumps(loads)
    except Exception as exc:
        raise TypeError(
            f"cannot pickle a read_jsonl whose loads, {loads!r}, does not pickle ({exc}); "
            "give a function defined at the top level of a module"
        ) from exc


# -- writing -----------------------------------------------------------------


def json_dumps(obj: Any) -> str:
    """``json.dumps`` as JSON Lines need it: compact, UTF-8 text as it is."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def encoders(dumps: Callable[[Any], Any] | None) -> tuple[Callable[[Any], Any], Callable[[Any], Any] | None]:
    """``(encode, fallback)``, as :func:`parsers` for writing."""
    if dumps is not None:
        if not callable(dumps):
            raise TypeError(f"dumps must be callable or None, not {type(dumps).__name__}")
        return dumps, None
    try:
        import orjson
    except ImportError:
        return json_dumps, None
    return orjson.dumps, json_dumps


def encode_again(record: Any, index: int, error: Exception, fallback: Callable[[Any], Any] | None) -> bytes:
    """After the encoder raised *error* for record *index*: the fallback's
    document, else *error*'s kind of error (TypeError or ValueError) naming
    the record."""
    if fallback is not None:
        try:
            doc = fallback(record)
        except (TypeError, ValueError) as exc:
            error = exc
        else:
            return document(doc, index)
    kind = TypeError if isinstance(error, TypeError) else ValueError
    raise kind(f"record {index} cannot be written as JSON: {error}") from error


def document(doc: Any, index: int) -> bytes:
    """What an encoder returned for record *index*, as the bytes of one line."""
    if isinstance(doc, str):
        try:
            data = doc.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"record {index} cannot be written as UTF-8: {exc}") from exc
    elif isinstance(doc, (bytes, bytearray, memoryview)):
        data = bytes(doc)
    else:
        raise TypeError(f"dumps must return str or bytes, not {type(doc).__name__} (record {index})")
    if b"\n" in data:
        raise ValueError(f"dumps returned a document with a line break for record {index}")
    return data


class Output:
    """The file write_jsonl writes, compressed as asked.

    Without *append* the records go to a new file beside *path*, which
    :meth:`commit` flushes, syncs and renames to *path*: a crash leaves the
    final name untouched (and at most a hidden ``.NAME.*.tmp`` file).  With
    *append* they go to the end of *path*, and :meth:`abort` cuts the file
    back to its old size.
    """

    def __init__(self, path: Any, compression: Any, append: bool) -> None:
        name = os.fspath(path)
        if isinstance(name, bytes):
            name = os.fsdecode(name)
        kind = _compression.check(compression)
        if kind == "infer":
            kind = _compression.from_suffix(name)
        self._compressor = None if kind is None else _compression.compressor(kind)
        self.path = os.path.realpath(name)  # (a symbolic link keeps pointing at the file)
        self._append = append
        if append:
            self._file = open(self.path, "ab")
            self._temp = None
            self._size = self._file.tell()
        else:
            self._temp, self._file = _new_beside(self.path)

    def write(self, data: Any) -> None:
        if self._compressor is not None:
            data = self._compressor.compress(data)
        self._file.write(data)

    def commit(self) -> None:
        """Finish the file and put it in place."""
        if self._compressor is not None:
            self._file.write(self._compressor.flush())
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        if self._temp is not None:
            os.replace(self._temp, self.path)
            _sync_directory(os.path.dirname(self.path))

    def abort(self) -> None:
        """Leave no trace: the new file removed, or the old one as it was."""
        try:
            if self._append:
                self._file.flush()
                self._file.truncate(self._size)
            self._file.close()
        finally:
            if self._temp is not None:
                try:
                    os.unlink(self._temp)
                except FileNotFoundError:
                    pass


def _new_beside(path: str) -> tuple[str, Any]:
    """A new file in *path*'s directory, with the mode a new *path* would
    have (or the one *path* has)."""
    directory, name = os.path.split(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    while True:
        temp = os.path.join(directory, f".{name}.{os.urandom(6).hex()}.tmp")
        try:
            fd = os.open(temp, flags, 0o666)
            break
        except FileExistsError:
            continue
    try:
        if hasattr(os, "fchmod") and os.path.exists(path):
            os.fchmod(fd, stat.S_IMODE(os.stat(path).st_mode))
        return temp, open(fd, "wb")
    except BaseException:
        os.close(fd)
        os.unlink(temp)
        raise


def _sync_directory(directory: str) -> None:
    """Make a rename in *directory* durable (where directories can be opened)."""
    if os.name != "posix":
        return
    fd = os.open(directory or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write(
    loop: Callable[[Any, Callable[[Any], Any], Any, Callable[[Any], None]], int],
    path: Any,
    iterable: Any,
    dumps: Any,
    compression: Any,
    append: Any,
) -> int:
    """write_jsonl of either twin: *loop* ``(records, encode, fallback,
    write)`` encodes the records and returns how many it wrote."""
    encode, fallback = encoders(dumps)
    records = iter(iterable)
    out = Output(path, compression, bool(append))
    try:
        count = loop(records, encode, fallback, out.write)
        out.commit()
    except BaseException:
        out.abort()
        raise
    return count
