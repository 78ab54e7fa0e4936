"""Pure-Python twin of the JSON Lines family: read_jsonl, write_jsonl.

read_jsonl is read_lines (bytes lines, the same buffer, ranges, offsets and
pickles) with each non-blank line parsed; write_jsonl's loop encodes the
records into blocks that ``cyiter._jsonl`` writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cyiter import _jsonl, _readargs
from cyiter._py._guard import guarded
from cyiter._py.readers import read_lines
from cyiter._readargs import Options

# read_lines' next line, without the guard read_jsonl already holds (bytes:
# read_jsonl reads without an encoding); functools.wraps keeps it, unknown
# to the type of a guarded method
_next_line: Callable[[read_lines], bytes]
_next_line = read_lines.__next__.__wrapped__  # type: ignore[attr-defined]


class read_jsonl(read_lines):
    """One JSON value per non-blank line of *source* (a line of only ASCII
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

    __slots__ = ("_loads", "_fallback")
    _bind = staticmethod(_readargs.read_jsonl)

    _loads: Callable[[bytes], Any]
    _fallback: Callable[[bytes], Any] | None  # json.loads, for the lines orjson gets wrong

    def _configure(self, options: Options) -> None:
        super()._configure({**options, "encoding": None, "errors": "strict", "keepends": False})
        self._options = options
        self._loads, self._fallback = _jsonl.parsers(options["loads"])

    def __reduce__(self) -> tuple[Any, ...]:
        _jsonl.check_pickle(self._options["loads"])
        return super().__reduce__()

    @guarded
    def __next__(self) -> Any:
        while True:
            if self._skip and self._src is not None:
                self._align()
            offset = self._base + self._pos
            line = _next_line(self)
            if line and not line.isspace():
                break
        try:
            if self._fallback is not None and _jsonl.long_digits(line):
                return self._fallback(line)
            return self._loads(line)
        except ValueError as exc:
            return _jsonl.reparse(line, offset, exc, self._fallback)
        except BaseException as exc:
            # a line that found no memory, or was interrupted, is not consumed
            if isinstance(exc, MemoryError) or not isinstance(exc, Exception):
                self._pos = offset - self._base
            raise


# typed by a comment: its signature stays the Cython twin's, without annotations
def write_jsonl(path, iterable, *, dumps=None, compression="infer", append=False):
    # type: (Any, Iterable[Any], Callable[[Any], str | bytes] | None, Any, bool) -> int
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


def _encode_records(
    records: Iterable[Any],
    encode: Callable[[Any], Any],
    fallback: Callable[[Any], Any] | None,
    write: Callable[[bytearray], None],
) -> int:
    """Encode *records* into blocks of lines handed to *write*; how many."""
    # (each document is copied into the block at once: keeping orjson's
    # bytes objects alive costs ten times their making)
    block = bytearray()
    count = 0
    for record in records:
        try:
            doc = encode(record)
        except (TypeError, ValueError) as exc:
            doc = _jsonl.encode_again(record, count, exc, fallback)
        if type(doc) is not bytes or b"\n" in doc:
            doc = _jsonl.document(doc, count)
        block += doc
        block += b"\n"
        count += 1
        if len(block) >= _jsonl.WRITE_BLOCK:
            write(block)
            block = bytearray()
    if block:
        write(block)
    return count
