"""Compressed files: recognising them, the backends, and a decompressing stream.

Both twins of every reader read a compressed source through
:class:`Decompressed`, which ``cyiter._source`` puts between the file and the
reader, and ``write_jsonl`` compresses through :func:`compressor`.  Nothing
here imports a compression module before a compressed file is met: each
backend is imported when a stream is made, the fastest installed first.

A backend's decompressor takes one gzip member, bz2 stream, xz stream or
zstd frame; :class:`Decompressed` chains them as the standard library's file
classes do (``gzip.GzipFile``, ``bz2.BZ2File``, ``lzma.LZMAFile``), reads the
file itself so that a failing read loses nothing, and never hands out more
than it was asked for (docs/internals.md, "Compressed sources").
"""

from __future__ import annotations

import copy
import importlib
import io
import sys
from typing import Any, Callable

KINDS = ("gzip", "bz2", "xz", "zstd")

#: What ``compression="infer"`` makes of a file name when writing.
SUFFIXES = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}

#: Enough leading bytes to tell every kind apart.
MAGIC_SIZE = 10

_GZIP_MAGIC = b"\x1f\x8b"
# after "BZh" and the block size, a bz2 stream goes on with the magic of its
# first block or, if it is empty, of its end: text never starts like that
_BZ2_BLOCKS = (b"1AY&SY", b"\x17rE8P\x90")
_TRUNCATED = "Compressed file ended before the end-of-stream marker was reached"
# compressed bytes read from the file at a time
_INPUT_SIZE = 1 << 17
# decompressed bytes made at a time, at most: they are still in the CPU's
# cache when the reader scans them (docs/internals.md, "Compressed sources")
_OUTPUT_STEP = 1 << 18
# zstandard's decompressor has no output limit: it is fed this much at a
# time, which zstd expands at most about 32768 times (a 128 MiB worst case)
_ZSTANDARD_PIECE = 4096


def detect(head: bytes) -> str | None:
    """The kind of compressed data that starts with *head*, or None."""
    if head.startswith(_GZIP_MAGIC + b"\x08"):  # (8: deflate, gzip's only method)
        return "gzip"
    if head[:3] == b"BZh" and b"1" <= head[3:4] <= b"9" and head[4:10] in _BZ2_BLOCKS:
        return "bz2"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    # a zstd frame, or a skippable frame (magic 0x184D2A50 to 0x184D2A5F)
    if head.startswith(b"\x28\xb5\x2f\xfd") or (head[1:4] == b"\x2a\x4d\x18" and head[0] & 0xF0 == 0x50):
        return "zstd"
    return None


def check(value: Any) -> str | None:
    """*value* as a compression option: None, "infer" or one of :data:`KINDS`."""
    if not isinstance(value, (str, type(None))):
        raise TypeError(f"compression must be a str or None, not {type(value).__name__}")
    if value is not None and value != "infer" and value not in KINDS:
        raise ValueError(
            "compression must be None, 'infer', 'gzip', 'bz2', 'xz' or 'zstd', "
            f"not {value!r}"
        )
    return value


def from_suffix(path: str) -> str | None:
    """The kind a file name's suffix says (``.gz``, ``.bz2``, ``.xz``, ``.zst``), or None."""
    for suffix, kind in SUFFIXES.items():
        if path.endswith(suffix):
            return kind
    return None


def _import(kind: str, module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if kind == "zstd":
            raise ImportError(
                "zstd-compressed data needs the zstandard module on Python before 3.14 "
                "(compression.zstd from 3.14 on): pip install zstandard, or cyiter[fast]"
            ) from exc
        raise ImportError(
            f"{kind}-compressed data needs Python's {module} module, which this "
            "Python was built without"
        ) from exc


def _first(modules: tuple[str, ...]) -> Any:
    """The first of *modules* that imports, or None."""
    for name in modules:
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def _zstd() -> Any:
    """``compression.zstd`` (3.14+) or ``zstandard``: ImportError naming what to install."""
    if sys.version_info >= (3, 14):
        return _import("zstd", "compression.zstd")
    return _import("zstd", "zstandard")


# -- reading -----------------------------------------------------------------


class _Limited:
    """A decompressor that takes an output limit and keeps its own input:
    bz2, lzma, compression.zstd."""

    __slots__ = ("d",)

    def __init__(self, d: Any) -> None:
        self.d = d

    def needs_input(self) -> bool:
        return self.d.needs_input  # type: ignore[no-any-return]

    def decompress(self, data: Any, limit: int) -> tuple[bytes, Any]:
        return self.d.decompress(data, limit), b""

    def rest(self, pending: Any) -> Any:
        return self.d.unused_data


class _Zlib:
    """zlib's decompressobj (and isal's, zlib-ng's): the input it could not
    take under the limit comes back as ``unconsumed_tail``."""

    __slots__ = ("d", "full")

    def __init__(self, d: Any) -> None:
        self.d = d
        self.full = False  # the last call filled its limit: more may be waiting inside

    def needs_input(self) -> bool:
        return not self.full

    def decompress(self, data: Any, limit: int) -> tuple[bytes, Any]:
        out = self.d.decompress(data, limit)
        self.full = len(out) == limit
        return out, self.d.unconsumed_tail

    def rest(self, pending: Any) -> Any:
        return self.d.unused_data


class _Pieces:
    """zstandard's decompressobj, which has no output limit: fed small pieces."""

    __slots__ = ("d",)

    def __init__(self, d: Any) -> None:
        self.d = d

    def needs_input(self) -> bool:
        return True

    def decompress(self, data: Any, limit: int) -> tuple[bytes, Any]:
        piece = memoryview(data)[:_ZSTANDARD_PIECE]
        return self.d.decompress(piece), memoryview(data)[len(piece) :]

    def rest(self, pending: Any) -> Any:
        return self.d.unused_data + bytes(pending)


def _decompressor(kind: str) -> tuple[Callable[[], Any], Any]:
    """``(make, trailing_error)``: *make* gives a new decompressor of one
    member or stream; data after a stream that fails with *trailing_error*
    is ignored, as bz2.BZ2File and lzma.LZMAFile do (None for gzip, where
    gzip.GzipFile refuses it)."""
    if kind == "gzip":
        zlib = _first(("isal.isal_zlib", "zlib_ng.zlib_ng")) or _import(kind, "zlib")
        return (lambda: _Zlib(zlib.decompressobj(31))), None
    if kind == "bz2":
        bz2 = _import(kind, "bz2")
        return (lambda: _Limited(bz2.BZ2Decompressor())), OSError
    if kind == "xz":
        lzma = _import(kind, "lzma")
        return (lambda: _Limited(lzma.LZMADecompressor())), lzma.LZMAError
    zstd = _zstd()
    # (): whatever follows the last frame must be a frame, as for 3.14's
    # compression.zstd.ZstdFile, which ignores no trailing data
    if hasattr(zstd, "ZstdDecompressionReader"):  # zstandard
        return (lambda: _Pieces(zstd.ZstdDecompressor().decompressobj())), ()
    return (lambda: _Limited(zstd.ZstdDecompressor())), ()


class Decompressed:
    """The decompressed bytes of a compressed file, read forward only.

    *read* reads the compressed file into a buffer and returns how many
    bytes it read (checked); *file* is that file, moved back to where the
    compressed bytes read so far end when a read fails (if it can seek), so
    that nothing is lost.  ``position`` counts the decompressed bytes handed
    out.  A failure of the decompressor (corrupt or truncated data) is
    raised again by every later read: the stream cannot go on past it.
    """

    __slots__ = (
        "kind", "position", "_read", "_file", "_seekable", "_make", "_trailing", "_d",
        "_fresh", "_pending", "_out", "_raw", "_raw_pos", "_members", "_done", "_error",
    )  # fmt: skip

    def __init__(self, kind: str, read: Callable[[Any], int], file: Any, seekable: bool) -> None:
        self._make, self._trailing = _decompressor(kind)
        self.kind = kind
        self.position = 0
        self._read = read
        self._file = file
        self._seekable = seekable
        self._d: Any = None  # the decompressor of the member being read
        self._fresh = False  # it has not been given data yet
        self._pending: Any = b""  # compressed bytes read, not given to it yet
        self._out = memoryview(b"")  # decompressed, not handed out yet
        self._raw = bytearray(_INPUT_SIZE)
        self._raw_pos = file.tell() if seekable else 0
        self._members = 0
        self._done = False
        self._error: BaseException | None = None

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        """Go forward to decompressed offset *pos* (what a resumed pickle
        does); going back is not possible."""
        if whence != io.SEEK_SET or pos < self.position:
            raise io.UnsupportedOperation("a compressed stream can only be read forward")
        scratch = memoryview(bytearray(min(pos - self.position, 1 << 16)))
        while self.position < pos and self.readinto(scratch[: pos - self.position]):
            pass
        return self.position

    def readinto(self, buffer: Any) -> int:
        """Decompress into *buffer*; 0 only at the end of the data."""
        if self._error is not None:
            raise _again(self._error)
        view = memoryview(buffer).cast("B")
        size = len(view)
        while not self._out:
            if self._done or size == 0:
                return 0
            if self._d is None:
                self._start()
            else:
                self._step(min(size, _OUTPUT_STEP))
        n = min(size, len(self._out))
        view[:n] = self._out[:n]
        self._out = self._out[n:]
        self.position += n
        return n

    def _step(self, limit: int) -> None:
        """Decompress once, reading the file first if the decompressor needs it."""
        d = self._d
        if not self._pending and d.needs_input() and not self._fill():
            self._fail(EOFError(_TRUNCATED))
        try:
            out, self._pending = d.decompress(self._pending, limit)
        except BaseException as exc:
            if self._fresh and isinstance(exc, self._trailing or ()):
                # what follows the last stream is not a stream: ignored
                self._done = True
                return
            self._fail(exc)
        self._fresh = False
        self._out = memoryview(out)
        if d.d.eof:
            self._pending = d.rest(self._pending)
            self._d = None

    def _start(self) -> None:
        """Between members: start the next one, or end."""
        if self._trailing is None:
            # gzip: zeros may pad a member; anything else must be a member
            while True:
                if self._members:
                    self._pending = self._pending.lstrip(b"\0")
                if len(self._pending) >= 2 or not self._fill():
                    break
            if not self._pending:
                self._done = True
                return
            if self._pending[:2] != _GZIP_MAGIC:
                import gzip

                self._fail(gzip.BadGzipFile(f"Not a gzipped file ({self._pending[:2]!r})"))
        elif self._members and not self._pending and not self._fill():
            self._done = True
            return
        self._d = self._make()
        self._fresh = self._members > 0
        self._members += 1

    def _fill(self) -> bool:
        """Read more compressed bytes after ``_pending``; False at the end of the file."""
        view = memoryview(self._raw)
        try:
            got = self._read(view)
        except BaseException:
            if self._seekable:
                try:
                    self._file.seek(self._raw_pos)
                except Exception:
                    pass  # (the error being raised says more)
            raise
        self._raw_pos += got
        self._pending = bytes(self._pending) + view[:got]
        return got > 0

    def _fail(self, exc: BaseException) -> None:
        """Raise *exc* now and, the stream being broken, at every later read
        (a copy each time: the one kept never gets a traceback, whose frames
        would hold this stream, and its file, in a cycle until a garbage
        collection)."""
        self._error = _again(exc) if isinstance(exc, Exception) else RuntimeError(
            f"reading {self.kind}-compressed data was interrupted ({type(exc).__name__}) "
            "and cannot go on where it stopped; start a new reader"
        )
        try:
            raise exc
        finally:
            del exc  # (this frame, in the traceback, must not hold it: a cycle)


def _again(exc: BaseException) -> BaseException:
    """A new exception like *exc*, without its traceback (*exc* itself,
    its traceback dropped, if it does not copy)."""
    try:
        again = copy.copy(exc)
    except Exception:
        again = exc
    return again.with_traceback(None)


# -- writing -----------------------------------------------------------------


def compressor(kind: str) -> Any:
    """A new compressor of *kind* (``compress(data)``, ``flush()``): gzip
    through isal, zlib-ng or zlib, each at its default level."""
    if kind == "gzip":
        zlib = _first(("isal.isal_zlib", "zlib_ng.zlib_ng")) or _import(kind, "zlib")
        return zlib.compressobj(wbits=31)
    if kind == "bz2":
        return _import(kind, "bz2").BZ2Compressor()
    if kind == "xz":
        lzma = _import(kind, "lzma")
        return lzma.LZMACompressor(lzma.FORMAT_XZ)
    zstd = _zstd()
    # with a checksum, as the zstd command writes it: corruption shows
    if hasattr(zstd, "ZstdDecompressionReader"):  # zstandard
        return zstd.ZstdCompressor(write_checksum=True).compressobj()
    return zstd.ZstdCompressor(options={zstd.CompressionParameter.checksum_flag: 1})
