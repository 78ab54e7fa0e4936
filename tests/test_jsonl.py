"""read_jsonl and write_jsonl (both twins).

The reference for reading is ``[json.loads(line) for line in lines if
line.strip()]`` over the file's bytes lines, on files hypothesis makes of
nested values, unicode, escapes, ``\\r\\n``, blank and bad lines and numbers
of every size; for writing, ``json.dumps(record, separators=(",", ":"),
ensure_ascii=False)`` and reading the file back.
"""

import bz2
import gzip
import io
import json
import lzma
import os
import pickle
import signal
import stat
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import roundtrip
from test_compression import COMPRESS, KINDS, block, zstd_decompress
from test_readers import lines_with_starts, load_in, strip, write  # noqa: F401 (write: a fixture)

with_impl = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(-(2**200), 2**200)
    | st.floats()
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=8)
    | st.sampled_from(["", "\\", '"', "\n", "\u2028", "é", "😀", "\x00", "12345678901234567890"])
)


def containers(inner):
    """Lists and dicts of what *inner* gives (for st.recursive)."""
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)


VALUES = st.recursive(SCALARS, containers, max_leaves=10)
# lines that are not JSON, or that only json.loads reads
ODD_LINES = st.sampled_from(
    [
        b"{bad", b"[1,", b"nul", b'"\xff"', b"\x0c", b"\x0b 1", b'"\\ud800"', b"\xef\xbb\xbf{}",
        b"NaN", b"-Infinity", b"[1e400]", b"1 2", b"\x00\x00\x001", b"{'a': 1}", b"01",
        b"123456789012345678901234567890", b"-9223372036854775809", b"18446744073709551615",
        b'{"id": "1234567890123456789012", "n": 5}', b" \t ", b"", b"\r",
    ]
)  # fmt: skip


@st.composite
def jsonl_files(draw, odd=True):
    """The bytes of a JSON Lines file: values written in several styles,
    blank lines, ``\\r\\n``, and (with *odd*) lines from :data:`ODD_LINES`."""
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        if odd and draw(st.integers(0, 4)) == 0:
            lines.append(draw(ODD_LINES))
            continue
        value = draw(VALUES)
        separators = draw(st.sampled_from([(",", ":"), (", ", ": ")]))
        text = json.dumps(value, ensure_ascii=draw(st.booleans()), separators=separators)
        lines.append(draw(st.sampled_from([b"", b" ", b"\t"])) + text.encode("utf-8", "surrogatepass"))
    ends = [draw(st.sampled_from([b"\n", b"\r\n"])) for _ in lines]
    data = b"".join(line + end for line, end in zip(lines, ends))
    if lines and draw(st.booleans()):
        data = data[: -len(ends[-1])]  # a last line without its end
    return data


def reference(data):
    """``(offset, ("value", repr(v)) or ("error", message))`` for each
non-blank line, given to json.loads without its ``\n`` or ``\r\n``."""
    out = []
    for pos, line in lines_with_starts(data):
        line = strip(line)
        if not line.strip():
            continue
        try:
            out.append((pos, ("value", repr(json.loads(line)))))
        except ValueError as exc:
            out.append((pos, ("error", str(exc))))
    return out


def drain(reader):
    """What *reader* gives, as :func:`reference` says it; a bad line's
    offset is taken from its error, which must chain the parser's."""
    out = []
    while True:
        start = reader.offset
        try:
            value = next(reader)
        except StopIteration:
            return out
        except ValueError as exc:
            assert isinstance(exc.__cause__, ValueError)
            prefix = "the line at byte offset "
            assert str(exc).startswith(prefix)
            offset = int(str(exc)[len(prefix) :].split(" ", 1)[0])
            assert str(exc).endswith(f"is not valid JSON: {exc.__cause__}")
            out.append((offset, ("error", str(exc.__cause__))))
            continue
        out.append((None, ("value", repr(value))))
        assert reader.offset > start


def values_of(data):
    return [item for _, item in reference(data)]


class TestReadJsonl:
    @with_impl
    @given(data=jsonl_files(), buffer_size=st.integers(1, 64))
    @example(data=b'{"a": 1}\n\n[1e400]\r\n{bad\n123456789012345678901234567890', buffer_size=7)
    def test_values_are_those_of_json_loads(self, impl, write, data, buffer_size):
        expected = reference(data)
        got = drain(impl.read_jsonl(write(data), buffer_size=buffer_size))
        assert [item for _, item in got] == [item for _, item in expected]
        # a bad line's error names the offset of its first byte
        assert [pos for pos, (kind, _) in got if kind == "error"] == [
            pos for pos, (kind, _) in expected if kind == "error"
        ]

    @with_impl
    @given(data=jsonl_files())
    def test_without_orjson_the_values_are_the_same(self, impl, write, monkeypatch, data):
        path = write(data)
        with monkeypatch.context() as patch:
            block(patch, "orjson")
            without = drain(impl.read_jsonl(path))
        assert [item for _, item in without] == values_of(data)

    @with_impl
    @given(data=jsonl_files(odd=False))
    def test_a_given_loads_gets_each_line_as_bytes(self, impl, write, data):
        lines = [strip(line) for _, line in lines_with_starts(data) if line.strip()]
        assert list(impl.read_jsonl(write(data), loads=bytes)) == lines
        assert [("value", repr(v)) for v in impl.read_jsonl(write(data), loads=json.loads)] == values_of(data)

    def test_integers_beyond_64_bits_stay_exact(self, impl, write):
        data = b'[123456789012345678901234567890, -9223372036854775809, 18446744073709551616, "12345678901234567890123"]\n'
        assert list(impl.read_jsonl(write(data))) == [json.loads(data)]

    @with_impl
    @given(data=jsonl_files(odd=False), cuts=st.lists(st.integers(0, 400), min_size=2, max_size=2))
    def test_ranges_partition_the_values(self, impl, write, data, cuts):
        path = write(data)
        a, b = sorted(min(cut, len(data)) for cut in cuts)
        parts = [
            [repr(v) for v in impl.read_jsonl(path, start=start, stop=stop)]
            for start, stop in ((0, a), (a, b), (b, None))
        ]
        assert [("value", v) for v in sum(parts, [])] == values_of(data)

    @with_impl
    @given(data=jsonl_files(odd=False), k=st.integers(0, 10), buffer_size=st.integers(1, 40))
    def test_pickle_resumes_at_the_same_value(self, impl, other_impl, write, monkeypatch, data, k, buffer_size):
        reader = impl.read_jsonl(write(data), buffer_size=buffer_size)
        head = [repr(value) for _, value in zip(range(k), reader)]
        state = pickle.dumps(reader)
        rest = [repr(v) for v in reader]
        for twin in (impl, other_impl):
            assert [repr(v) for v in load_in(twin, state, monkeypatch)] == rest
        assert [("value", v) for v in head + rest] == values_of(data)

    def test_offset_is_that_of_the_next_line(self, impl, write):
        data = b'{"a": 1}\n\n[2]\r\n"three"'
        reader = impl.read_jsonl(write(data))
        assert (reader.offset, next(reader), reader.offset) == (0, {"a": 1}, 9)
        assert (next(reader), reader.offset) == ([2], 15)
        assert (next(reader), reader.offset) == ("three", len(data))

    def test_a_loads_that_pickles_is_pickled_with_the_reader(self, impl, write, monkeypatch):
        path = write(b"[1]\n[2]\n")
        reader = impl.read_jsonl(path, loads=json.loads)
        next(reader)
        copy = roundtrip(reader)
        assert copy.__reduce__()[2]["options"]["loads"] is json.loads
        assert list(copy) == [[2]]

    def test_a_loads_that_does_not_pickle_is_a_clear_type_error(self, impl, write):
        reader = impl.read_jsonl(write(b"[1]\n"), loads=lambda line: line)
        with pytest.raises(TypeError, match="loads, <function .*<lambda>.*, does not pickle"):
            pickle.dumps(reader)

    # (a fresh instance per raise: a shared one would grow its traceback)
    @pytest.mark.parametrize("exc", [MemoryError, KeyboardInterrupt])
    def test_a_line_that_found_no_memory_is_tried_again(self, impl, write, exc):
        calls = []

        def loads(line):
            calls.append(line)
            if len(calls) == 2:
                raise exc()
            return json.loads(line)

        # (closed by the with: the traceback holds the reader in a cycle,
        # which the garbage collector may finalize file first, with a
        # ResourceWarning)
        with impl.read_jsonl(write(b"[1]\n[2]\n[3]\n"), loads=loads) as reader:
            assert next(reader) == [1]
            with pytest.raises(exc):
                next(reader)
            assert reader.offset == 4
            assert list(reader) == [[2], [3]]

    def test_another_error_of_loads_consumes_the_line(self, impl, write):
        def loads(line):
            if line == b"[2]":
                raise TypeError("no")
            return json.loads(line)

        reader = impl.read_jsonl(write(b"[1]\n[2]\n[3]\n"), loads=loads)
        assert next(reader) == [1]
        with pytest.raises(TypeError, match="no"):
            next(reader)
        assert list(reader) == [[3]]

    def test_a_loads_calling_the_reader_is_refused(self, impl, write):
        box = []

        def loads(line):
            return next(box[0])

        # (closed by the with: box makes a cycle, which the garbage
        # collector may finalize file first, with a ResourceWarning)
        with impl.read_jsonl(write(b"[1]\n[2]\n"), loads=loads) as reader:
            box.append(reader)
            with pytest.raises(RuntimeError, match="cannot re-enter the read_jsonl"):
                next(reader)

    def test_max_line_length(self, impl, write):
        reader = impl.read_jsonl(write(b"[1]\n[22222]\n[3]\n"), max_line_length=4)
        assert next(reader) == [1]
        with pytest.raises(ValueError, match="line at byte offset 4 is longer than max_line_length=4"):
            next(reader)
        assert list(reader) == []

    def test_with_closes_a_path_and_leaves_a_file_object_open(self, impl, write):
        with impl.read_jsonl(write(b"[1]\n[2]\n")) as reader:
            assert next(reader) == [1]
        assert repr(reader).endswith("(closed)>")
        assert list(reader) == []
        f = io.BytesIO(b'{"x": null}\n')
        assert list(impl.read_jsonl(f)) == [{"x": None}]
        assert not f.closed

    @pytest.mark.parametrize("kind", KINDS)
    def test_compressed_files(self, impl, write, kind):
        data = b"".join(json.dumps({"i": i, "s": "é" * (i % 5)}).encode() + b"\n" for i in range(2000))
        assert list(impl.read_jsonl(write(COMPRESS[kind](data)))) == [json.loads(line) for line in data.splitlines()]

    @pytest.mark.parametrize(
        ("options", "error"),
        [({"loads": 5}, TypeError), ({"encoding": "utf-8"}, TypeError), ({"start": -1}, ValueError)],
    )
    def test_bad_options(self, impl, write, options, error):
        with pytest.raises(error):
            impl.read_jsonl(write(b""), **options)

    def test_repr_and_class(self, impl, other_impl, write):
        path = write(b"[1]\n")
        assert repr(impl.read_jsonl(path)) == repr(other_impl.read_jsonl(path)) == f"<cyiter.read_jsonl {str(path)!r}>"
        assert issubclass(impl.read_jsonl, impl.read_lines)


# -- writing ---------------------------------------------------------------------

RECORDS = st.lists(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(st.characters(exclude_categories=("Cs",))),
        containers,
        max_leaves=8,
    ),
    max_size=20,
)


def compact(record):
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def listing(tmp_path):
    return sorted(p.name for p in tmp_path.iterdir())


class TestWriteJsonl:
    @with_impl
    @given(records=RECORDS)
    def test_lines_are_those_of_json_dumps(self, impl, tmp_path, records):
        path = tmp_path / "out.jsonl"
        assert impl.write_jsonl(path, iter(records)) == len(records)
        assert path.read_bytes() == "".join(compact(r) + "\n" for r in records).encode("utf-8")
        assert list(impl.read_jsonl(path)) == records
        assert [json.loads(line) for line in path.read_bytes().splitlines()] == records

    @with_impl
    @given(records=st.lists(st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**100), 2**100), max_size=20))
    def test_numbers_read_back_exactly(self, impl, tmp_path, records):
        path = tmp_path / "out.jsonl"
        impl.write_jsonl(path, records)
        assert list(impl.read_jsonl(path)) == [json.loads(line) for line in path.read_bytes().splitlines()] == records

    def test_without_orjson_the_lines_are_json_dumps(self, impl, tmp_path, monkeypatch):
        records = [{"a": [1.5e-7, float("nan"), 2**70]}, {1: "é"}]
        block(monkeypatch, "orjson")
        impl.write_jsonl(tmp_path / "out.jsonl", records)
        assert (tmp_path / "out.jsonl").read_text("utf-8") == "".join(compact(r) + "\n" for r in records)

    def test_where_orjson_differs_from_json_dumps(self, impl, tmp_path):
        pytest.importorskip("orjson")
        impl.write_jsonl(tmp_path / "out.jsonl", [[float("nan"), float("inf"), 1.5e-7], {1: 2}, 2**64])
        assert (tmp_path / "out.jsonl").read_bytes() == b'[null,null,1.5e-7]\n{"1":2}\n18446744073709551616\n'

    @pytest.mark.parametrize("record", [object(), {"a": {1, 2}}, {(1, 2): 3}])
    def test_an_unserialisable_record_names_its_index_and_leaves_nothing(self, impl, tmp_path, record):
        with pytest.raises(TypeError, match="record 2 cannot be written as JSON") as caught:
            impl.write_jsonl(tmp_path / "out.jsonl", [1, 2, record, 4])
        assert isinstance(caught.value.__cause__, TypeError)
        assert listing(tmp_path) == []

    def test_a_lone_surrogate_is_a_value_error(self, impl, tmp_path):
        with pytest.raises(ValueError, match="record 1 cannot be written as UTF-8"):
            impl.write_jsonl(tmp_path / "out.jsonl", ["a", "\ud800"])
        assert listing(tmp_path) == []

    def test_a_failing_iterable_leaves_nothing(self, impl, tmp_path):
        def records():
            yield from range(100000)
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            impl.write_jsonl(tmp_path / "out.jsonl.gz", records())
        assert listing(tmp_path) == []

    @pytest.mark.parametrize(
        ("dumps", "error", "match"),
        [
            (lambda r: 5, TypeError, "dumps must return str or bytes, not int"),
            (lambda r: "[1,\n2]", ValueError, "line break for record 0"),
            (lambda r: b"1\n", ValueError, "line break for record 0"),
        ],
    )
    def test_what_dumps_returns_is_checked(self, impl, tmp_path, dumps, error, match):
        with pytest.raises(error, match=match):
            impl.write_jsonl(tmp_path / "out.jsonl", [1], dumps=dumps)
        assert listing(tmp_path) == []

    def test_a_given_dumps_may_return_str_or_bytes(self, impl, tmp_path):
        impl.write_jsonl(tmp_path / "a", [1, "é"], dumps=lambda r: json.dumps(r, ensure_ascii=False))
        impl.write_jsonl(tmp_path / "b", [1, "é"], dumps=lambda r: bytearray(json.dumps(r).encode()))
        assert (tmp_path / "a").read_bytes() == '1\n"é"\n'.encode()
        assert (tmp_path / "b").read_bytes() == b'1\n"\\u00e9"\n'

    @pytest.mark.parametrize("kind", KINDS)
    def test_compression_from_the_suffix(self, impl, tmp_path, kind):
        if kind == "zstd":
            COMPRESS["zstd"](b"")  # (skips without a zstd module)
        suffix = {"gzip": ".gz", "bz2": ".bz2", "xz": ".xz", "zstd": ".zst"}[kind]
        records = [{"i": i, "s": "x" * (i % 7)} for i in range(5000)]
        path = tmp_path / f"out.jsonl{suffix}"
        impl.write_jsonl(path, records)
        raw = path.read_bytes()
        text = zstd_decompress(raw) if kind == "zstd" else {"gzip": gzip, "bz2": bz2, "xz": lzma}[kind].decompress(raw)
        assert text == "".join(compact(r) + "\n" for r in records).encode()
        assert list(impl.read_jsonl(path)) == records
        impl.write_jsonl(tmp_path / "plain.gz", records, compression=None)
        assert (tmp_path / "plain.gz").read_bytes() == text
        impl.write_jsonl(tmp_path / "named", records, compression=kind)
        assert list(impl.read_jsonl(tmp_path / "named")) == records

    @pytest.mark.parametrize("name", ["out.jsonl", "out.jsonl.gz"])
    def test_append(self, impl, tmp_path, name):
        path = tmp_path / name
        assert impl.write_jsonl(path, [1, 2], append=True) == 2
        assert impl.write_jsonl(path, [{"three": 3}], append=True) == 1
        assert list(impl.read_jsonl(path)) == [1, 2, {"three": 3}]
        before = path.read_bytes()
        with pytest.raises(TypeError, match="record 20000 "):  # (after blocks were written)
            impl.write_jsonl(path, [{"pad": "x" * 100}] * 20000 + [object()], append=True)
        assert path.read_bytes() == before
        assert listing(tmp_path) == [name]

    def test_a_file_is_replaced_whole_keeping_its_mode_and_links(self, impl, tmp_path):
        target = tmp_path / "target.jsonl"
        target.write_bytes(b"old\n")
        target.chmod(0o640)
        link = tmp_path / "link.jsonl"
        link.symlink_to(target)
        impl.write_jsonl(link, [{"new": True}])
        assert link.is_symlink()
        assert target.read_bytes() == b'{"new":true}\n'
        assert stat.S_IMODE(target.stat().st_mode) == 0o640
        assert listing(tmp_path) == ["link.jsonl", "target.jsonl"]

    def test_a_new_file_has_the_mode_open_gives(self, impl, tmp_path):
        impl.write_jsonl(tmp_path / "new", [1])
        (tmp_path / "reference").write_bytes(b"")
        assert (tmp_path / "new").stat().st_mode == (tmp_path / "reference").stat().st_mode

    def test_bad_arguments(self, impl, tmp_path):
        with pytest.raises(TypeError, match="dumps must be callable"):
            impl.write_jsonl(tmp_path / "x", [1], dumps=5)
        with pytest.raises(ValueError, match="compression must be"):
            impl.write_jsonl(tmp_path / "x", [1], compression="zip")
        with pytest.raises(TypeError):
            impl.write_jsonl(tmp_path / "x", 5)
        with pytest.raises(TypeError):
            impl.write_jsonl(tmp_path / "x", [1], None)
        assert listing(tmp_path) == []

    @pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
    def test_a_process_killed_while_writing_leaves_no_file(self, impl, tmp_path):
        path = tmp_path / "out.jsonl"
        child = textwrap.dedent(
            f"""
            import sys, time
            from cyiter import _select
            write_jsonl = _select.load_twin({impl.kind!r})["write_jsonl"]

            def records():
                for i in range(10**9):
                    if i == 60000:
                        print("writing", flush=True)
                        time.sleep(60)
                    yield {{"i": i, "pad": "x" * 100}}

            write_jsonl({str(path)!r}, records())
            """
        )
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
        process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, env=env)
        try:
            assert process.stdout.readline() == b"writing\n"
            temp = [p for p in tmp_path.iterdir()]
            assert len(temp) == 1 and temp[0].name.startswith(".out.jsonl.")
            assert temp[0].stat().st_size > 1 << 20  # blocks were written
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()
            process.stdout.close()
        assert not path.exists()
