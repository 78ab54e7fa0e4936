"""Compressed sources (``compression=``) on every reader, both twins.

Files are made by the real compressors (gzip, bz2, lzma, zstandard or
compression.zstd); the reference for what a compressed file holds is the
standard library's own file class (``gzip.open(...).read()`` and so on).
"""

import bz2
import csv
import gc
import gzip
import importlib
import io
import lzma
import operator
import os
import pickle
import subprocess
import sys
import threading
import weakref

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_readers import expected, files, load_in, write  # noqa: F401 (write: a fixture)
from test_sources import FAULTS, Faulty, drain_through_faults

from cyiter import _source

with_impl = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)


def _zstd_module():
    for name in ("compression.zstd", "zstandard"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


ZSTD = _zstd_module()


def zstd_compress(data):
    """*data* as one zstd frame with a checksum (so that corruption shows)."""
    if ZSTD is None:
        pytest.skip("no zstd module installed")
    if hasattr(ZSTD, "ZstdDecompressionReader"):  # zstandard
        return ZSTD.ZstdCompressor(write_checksum=True).compress(data)
    return ZSTD.compress(data, options={ZSTD.CompressionParameter.checksum_flag: 1})


class ZstandardFrame:
    """zstandard's decompressor with the interface of bz2.BZ2Decompressor,
    which the standard library's DecompressReader takes."""

    needs_input = True

    def __init__(self):
        self._d = ZSTD.ZstdDecompressor().decompressobj()

    def decompress(self, data, max_length=-1):
        return self._d.decompress(data)

    eof = property(lambda self: self._d.eof)
    unused_data = property(lambda self: self._d.unused_data)


def zstd_decompress(data):
    """What compression.zstd.ZstdFile (3.14) reads from *data*: before 3.14,
    the standard library's DecompressReader over zstandard, as ZstdFile is
    built."""
    if not hasattr(ZSTD, "ZstdDecompressionReader"):
        return ZSTD.ZstdFile(io.BytesIO(data)).read()
    import _compression as stdlib_streams

    reader = stdlib_streams.DecompressReader(io.BytesIO(data), ZstandardFrame)
    return io.BufferedReader(reader).read()


COMPRESS = {
    "gzip": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
    "zstd": zstd_compress,
}
OPEN = {"gzip": gzip.open, "bz2": bz2.open, "xz": lzma.open}
KINDS = tuple(COMPRESS)


def reference(kind, data):
    """What the standard library's file class reads from *data*: bytes, or the error type."""
    try:
        if kind == "zstd":
            return zstd_decompress(data)
        with OPEN[kind](io.BytesIO(data)) as f:
            return f.read()
    except Exception as exc:
        return type(exc)


def members(kind, parts):
    """*parts* compressed one by one and concatenated: a multi-member file."""
    return b"".join(COMPRESS[kind](part) for part in parts)


def block(monkeypatch, *modules):
    """Make *modules* fail to import (as if not installed)."""
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


# the gzip backends, forced one at a time by making the faster ones fail to import
GZIP_BACKENDS = {
    "isal": (),
    "zlib_ng": ("isal", "isal.isal_zlib"),
    "zlib": ("isal", "isal.isal_zlib", "zlib_ng", "zlib_ng.zlib_ng"),
}
BACKEND_MODULE = {"isal": "isal.isal_zlib", "zlib_ng": "zlib_ng.zlib_ng", "zlib": "zlib"}


@pytest.fixture(params=list(GZIP_BACKENDS))
def gzip_backend(request, monkeypatch):
    """Each gzip backend in turn (skipped where not installed); its module."""
    name = request.param
    block(monkeypatch, *GZIP_BACKENDS[name])
    try:
        return importlib.import_module(BACKEND_MODULE[name])
    except ImportError:
        pytest.skip(f"{name} is not installed")


class TestContent:
    @with_impl
    @given(kind=st.sampled_from(KINDS), parts=st.lists(files, min_size=1, max_size=3), buffer_size=st.integers(1, 70))
    def test_lines_are_those_of_the_decompressed_file(self, impl, write, kind, parts, buffer_size):
        data = b"".join(parts)
        path = write(members(kind, parts))
        reader = impl.read_lines(path, buffer_size=buffer_size)
        assert list(reader) == expected(data)
        assert reader.offset == len(data)
        assert list(impl.read_lines(path, keepends=True, compression=kind)) == expected(data, True)

    @pytest.mark.parametrize("kind", KINDS)
    def test_rows_are_those_of_the_decompressed_file(self, impl, write, kind):
        text = "id,name\r\n" + "".join(f'{i},"x\n{i}, é"\r\n' for i in range(300))
        path = write(COMPRESS[kind](text.encode("utf-8")))
        assert list(impl.read_csv(path)) == list(csv.DictReader(io.StringIO(text, newline="")))

    @pytest.mark.parametrize("kind", KINDS)
    def test_chunks_decompress_only_when_asked(self, impl, write, kind):
        data = os.urandom(3000) * 3
        raw = members(kind, [data[:5000], data[5000:]])
        path = write(raw)
        assert b"".join(impl.read_chunks(path, 1000)) == raw
        chunks = list(impl.read_chunks(path, 1000, compression="infer"))
        assert chunks == [data[i : i + 1000] for i in range(0, len(data), 1000)]

    def test_multi_member_gzip_with_names_and_padding(self, impl, write, gzip_backend):
        out = io.BytesIO()
        for i in range(3):
            with gzip.GzipFile(f"part{i}.txt", "wb", fileobj=out, mtime=i) as f:
                f.write(b"member %d\n" % i * 1000)
        out.write(b"\0" * 1000)  # the zero padding gzip allows after a member
        path = write(out.getvalue())
        assert list(impl.read_lines(path)) == expected(reference("gzip", out.getvalue()))

    @pytest.mark.parametrize("kind", KINDS)
    def test_none_reads_the_raw_bytes(self, impl, write, kind):
        raw = COMPRESS[kind](b"a\nb\n" * 100)
        path = write(raw)
        assert b"".join(impl.read_lines(path, keepends=True, compression=None)) == raw
        assert b"".join(impl.read_chunks(path)) == raw

    def test_an_empty_file_with_gzip_named_has_no_line(self, impl, write):
        assert list(impl.read_lines(write(b""), compression="gzip")) == []

    @pytest.mark.parametrize("kind", ["bz2", "xz", "zstd"])
    def test_an_empty_file_named_bz2_xz_or_zstd_is_truncated(self, impl, write, kind):
        if kind == "zstd":
            zstd_compress(b"")
        reader = impl.read_lines(write(b""), compression=kind)
        with pytest.raises(EOFError, match="Compressed file ended"):
            next(reader)

    def test_a_file_that_is_not_compressed_is_read_as_it_is(self, impl, write):
        for data in (b"", b"\x1f", b"BZh", b"plain\ntext\n"):
            assert list(impl.read_lines(write(data), keepends=True)) == expected(data, True)


class TestBackends:
    def test_each_gzip_backend_gives_the_same_lines(self, impl, write, gzip_backend):
        data = b"".join(b"%d\t\xc3\xa9\n" % i for i in range(20000))
        path = write(members("gzip", [data[:70000], data[70000:]]))
        stream = _source.open_source(path, "test", compression="infer")
        try:
            assert type(stream.file._make().d) is type(gzip_backend.decompressobj(31))
        finally:
            stream.close()
        assert list(impl.read_lines(path, keepends=True)) == expected(data, True)

    def test_a_missing_zstd_module_names_what_to_install(self, impl, write, monkeypatch):
        path = write(zstd_compress(b"x\n"))
        block(monkeypatch, "zstandard", "compression.zstd")
        with pytest.raises(ImportError, match=r"pip install zstandard, or cyiter\[fast\]"):
            impl.read_lines(path)
        with pytest.raises(ImportError, match="zstandard"):
            impl.read_lines(io.BytesIO(b"x\n"), compression="zstd")

    def test_a_missing_standard_module_says_so(self, impl, write, monkeypatch):
        path = write(bz2.compress(b"x\n"))
        block(monkeypatch, "bz2")
        with pytest.raises(ImportError, match="Python's bz2 module, which this Python was built without"):
            impl.read_lines(path)

    def test_no_accelerator_is_imported_unless_used(self, tmp_path):
        plain = tmp_path / "plain.txt"
        plain.write_bytes(b"a,b\n1,2\n")
        code = (
            "import sys, cyiter\n"
            f"list(cyiter.read_lines({str(plain)!r})); list(cyiter.read_csv({str(plain)!r}))\n"
            f"list(cyiter.read_chunks({str(plain)!r}))\n"
            "print(sorted(m for m in ('isal', 'zlib_ng', 'zstandard', 'orjson', 'bz2', 'lzma') if m in sys.modules))\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "[]"


class TestBadData:
    @pytest.mark.parametrize("kind", KINDS)
    @with_impl
    @given(data=st.binary(min_size=1, max_size=3000), cut=st.floats(0, 1, exclude_max=True))
    def test_a_truncated_file_raises_and_goes_on_raising(self, impl, write, kind, data, cut):
        raw = COMPRESS[kind](data)
        path = write(raw[: max(2, int(len(raw) * cut))])
        got = []
        # (closed by the with: left to the garbage collector, the file could
        # be finalized, with a ResourceWarning, before the reader)
        with impl.read_lines(path, keepends=True, compression=kind, buffer_size=64) as reader:
            with pytest.raises(EOFError, match="Compressed file ended"):
                for line in reader:
                    got.append(line)
            assert data.startswith(b"".join(got))  # nothing invented before the error
            for _ in range(2):
                with pytest.raises(EOFError):
                    next(reader)

    @pytest.mark.parametrize("kind", KINDS)
    def test_a_broken_stream_is_freed_without_a_garbage_collection(self, impl, write, kind):
        """The error kept to raise again holds no traceback: one would hold
        the stream's frames, and so the reader and its file, in a cycle."""
        raw = COMPRESS[kind](b"line\n" * 1000)
        reader = impl.read_lines(write(raw[: len(raw) // 2]), compression=kind)
        for _ in range(2):
            with pytest.raises(EOFError, match="Compressed file ended"):
                list(reader)
        gone = weakref.ref(reader)
        gc.disable()
        try:
            del reader
            assert gone() is None
        finally:
            gc.enable()

    def test_corrupt_gzip_raises_the_backends_error(self, impl, write, gzip_backend):
        raw = bytearray(gzip.compress(os.urandom(50000)))
        raw[len(raw) // 2] ^= 0xFF
        path = write(bytes(raw))
        reader = impl.read_chunks(path, 1000, compression="gzip")
        with pytest.raises(gzip_backend.error):
            list(reader)
        with pytest.raises(gzip_backend.error):
            next(reader)

    def test_a_bad_checksum_is_an_error(self, impl, write, gzip_backend):
        raw = bytearray(gzip.compress(b"hello\n" * 100))
        raw[-6] ^= 1  # in the CRC-32 of the trailer
        with pytest.raises(gzip_backend.error):
            list(impl.read_lines(write(bytes(raw))))

    @pytest.mark.parametrize(
        ("kind", "error"), [("bz2", OSError), ("xz", lzma.LZMAError), ("zstd", "ZstdError")]
    )
    def test_corrupt_data_raises_the_backends_error(self, impl, write, kind, error):
        raw = bytearray(COMPRESS[kind](bytes(range(256)) * 400))
        raw[len(raw) // 2] ^= 0xFF
        if error == "ZstdError":
            error = ZSTD.ZstdError
        with pytest.raises(error):
            list(impl.read_lines(write(bytes(raw))))

    @pytest.mark.parametrize("kind", KINDS)
    @pytest.mark.parametrize("tail", [b"\0" * 7, b"garbage after the data", b"x"])
    def test_what_follows_the_data_is_treated_as_the_standard_library_does(self, impl, write, kind, tail):
        raw = members(kind, [b"one\n", b"two\n"]) + tail
        want = reference(kind, raw)
        got = b"".join(impl.read_lines(write(raw), keepends=True)) if isinstance(want, bytes) else None
        if isinstance(want, bytes):
            assert got == want
        else:
            with pytest.raises(want):
                list(impl.read_lines(write(raw)))


class TestOffsetsAndPickles:
    @pytest.mark.parametrize("kind", KINDS)
    @with_impl
    @given(data=files, k=st.integers(0, 12), buffer_size=st.integers(1, 40))
    def test_pickle_resumes_at_the_same_line(self, impl, other_impl, write, monkeypatch, kind, data, k, buffer_size):
        path = write(members(kind, [data[:20], data[20:]]))
        reader = impl.read_lines(path, buffer_size=buffer_size)
        head = [next(reader, None) for _ in range(k)]
        state = pickle.dumps(reader)
        assert pickle.loads(state).__reduce__()[2]["options"]["compression"] == kind
        rest = list(reader)
        for twin in (impl, other_impl):
            copy = load_in(twin, state, monkeypatch)
            assert list(copy) == rest
        assert [line for line in head if line is not None] + rest == expected(data)

    @pytest.mark.parametrize("name", ["read_csv", "read_chunks"])
    def test_the_other_readers_resume_too(self, impl, other_impl, write, monkeypatch, name):
        data = "id,text\r\n" + "".join(f'{i},"a\nb {i}"\r\n' for i in range(2000))
        path = write(gzip.compress(data.encode()))
        sizes = (1000,) if name == "read_chunks" else ()
        reader = getattr(impl, name)(path, *sizes, compression="infer")
        head = [next(reader) for _ in range(3)]
        state = pickle.dumps(reader)
        rest = list(reader)
        for twin in (impl, other_impl):
            assert list(load_in(twin, state, monkeypatch)) == rest
        if name == "read_csv":
            assert head + rest == list(csv.DictReader(io.StringIO(data, newline="")))
        else:
            assert b"".join(head + rest) == data.encode()

    @pytest.mark.parametrize("kind", KINDS)
    def test_offset_counts_decompressed_bytes(self, impl, write, kind):
        data = b"".join(b"line %d\n" % i for i in range(1000))
        reader = impl.read_lines(write(COMPRESS[kind](data)), keepends=True)
        for _ in range(10):
            line = next(reader)
        assert reader.offset == data.index(line) + len(line)
        assert reader.offset < len(data)

    def test_a_plain_file_pickles_no_compression(self, impl, write):
        reader = impl.read_lines(write(b"a\nb\n"))
        assert reader.__reduce__()[2]["options"]["compression"] is None

    @pytest.mark.parametrize("name", ["read_lines", "read_csv", "read_chunks"])
    @pytest.mark.parametrize("options", [{"start": 1}, {"stop": 5}, {"start": 3, "stop": 9}])
    def test_a_byte_range_of_compressed_data_is_refused(self, impl, write, name, options):
        path = write(gzip.compress(b"a,b\n1,2\n"))
        with pytest.raises(ValueError, match="cannot read a byte range"):
            getattr(impl, name)(path, compression="infer", **options)
        with pytest.raises(ValueError, match="cannot read a byte range"):
            getattr(impl, name)(io.BytesIO(b""), compression="gzip", **options)
        getattr(impl, name)(path, start=0, stop=None, compression="infer")

    def test_no_length_hint_for_compressed_chunks(self, impl, write):
        reader = impl.read_chunks(write(gzip.compress(b"x" * 10000)), 100, compression="gzip")
        assert operator.length_hint(reader, -1) == -1

    @pytest.mark.parametrize(
        ("value", "error"),
        [("gz", ValueError), ("GZIP", ValueError), (1, TypeError), (b"gzip", TypeError)],
    )
    def test_bad_compression_values(self, impl, write, value, error):
        path = write(b"")
        for name in ("read_lines", "read_csv", "read_chunks"):
            with pytest.raises(error, match="compression must be"):
                getattr(impl, name)(path, compression=value)


class TestFileObjects:
    def test_a_seekable_file_object_is_recognised_and_not_closed(self, impl):
        data = b"".join(b"%d\n" % i for i in range(5000))
        f = io.BytesIO(gzip.compress(data))
        f.seek(17)
        assert list(impl.read_lines(f, keepends=True)) == expected(data, True)
        assert not f.closed

    def test_a_pipe_is_read_as_it_is_unless_the_kind_is_named(self, impl):
        raw = gzip.compress(b"a\nb\n" * 1000)
        for compression, want in (("infer", raw), ("gzip", b"a\nb\n" * 1000)):
            read_fd, write_fd = os.pipe()

            def writer(fd=write_fd):
                with os.fdopen(fd, "wb") as pipe:
                    pipe.write(raw)

            thread = threading.Thread(target=writer)
            thread.start()
            with os.fdopen(read_fd, "rb", buffering=0) as pipe:
                got = b"".join(impl.read_lines(pipe, keepends=True, compression=compression))
            thread.join()
            assert got == want

    @pytest.mark.parametrize("kind", KINDS)
    @with_impl
    @given(
        data=files,
        sizes=st.lists(st.integers(1, 50), max_size=4),
        faults=st.dictionaries(st.integers(1, 30), FAULTS, max_size=6),
    )
    def test_a_failing_source_loses_nothing(self, impl, kind, data, sizes, faults):
        raw = members(kind, [data[:15], data[15:]])
        reader = impl.read_lines(Faulty(raw, sizes, faults), keepends=True, compression=kind, buffer_size=16)
        got, _ = drain_through_faults(reader)
        assert got == expected(data, True)

    def test_a_seekable_source_that_fails_is_moved_back(self, impl):
        # incompressible lines: the compressed file takes several reads
        data = b"".join(os.urandom(300).hex().encode() + b"\n" for i in range(1000))

        class Flaky(io.BytesIO):
            calls = 0

            def readinto(self, buffer):
                Flaky.calls += 1
                n = super().readinto(buffer)
                if Flaky.calls % 3 == 0:
                    raise OSError("lost after reading")  # the bytes were taken
                return n

        reader = impl.read_lines(Flaky(gzip.compress(data)), keepends=True)
        got, seen = [], 0
        while True:
            try:
                got.append(next(reader))
            except StopIteration:
                break
            except OSError:
                seen += 1
        assert seen >= 2 and got == expected(data, True)
