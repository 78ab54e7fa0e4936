"""What every reader does when its source misbehaves, on both twins.

A source may raise (OSError, BlockingIOError, InterruptedError, Ctrl-C), give
fewer bytes than asked, return None (a non-blocking source with no data yet),
claim a length it cannot have, call back into the reader, or be replaced
from another thread while a read is in flight.  Whatever it does, the error
propagates, nothing already read is lost, nothing is invented, and the next
call goes on where the source goes on.
"""

import csv
import errno
import io
import operator
import os
import pickle
import sys
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyiter import _select

READERS = ("read_chunks", "read_lines", "read_csv", "read_jsonl")
with_impl = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)


def make(impl, name, source, **options):
    if name == "read_chunks":
        return impl.read_chunks(source, options.pop("size", 5), **options)
    if name == "read_jsonl":
        # its "parser" gives the line's bytes: the data need not be JSON
        options.setdefault("loads", bytes)
    return getattr(impl, name)(source, **options)


def reinit(reader, source):
    """``reader.__init__(source)`` with the options :func:`make` gives."""
    if type(reader).__name__ == "read_chunks":
        reader.__init__(source, 5)
    elif type(reader).__name__ == "read_jsonl":
        reader.__init__(source, loads=bytes)
    else:
        reader.__init__(source)


def reference(name, data, size=5):
    """What the reader gives over a well-behaved source of *data*."""
    if name == "read_chunks":
        return [data[i : i + size] for i in range(0, len(data), size)]
    if name in ("read_lines", "read_jsonl"):
        lines = data.split(b"\n")
        if lines[-1] == b"":
            lines.pop()
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines]
        return lines if name == "read_lines" else [line for line in lines if line.strip()]
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


class Faulty(io.RawIOBase):
    """Gives *data* in reads of the given sizes; where *faults* says so, a
    read fails instead (an exception to raise, or None to return)."""

    def __init__(self, data, sizes, faults):
        self.data = data
        self.sizes = list(sizes) or [7]
        self.faults = dict(faults)
        self.calls = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        self.calls += 1
        if self.calls in self.faults:
            fault = self.faults[self.calls]
            if fault is None:
                return None
            # the instances are shared by every example: a raise adds to the
            # traceback an exception already has, which would keep the
            # frames of every earlier example alive
            raise fault.with_traceback(None)
        n = min(len(buffer), self.sizes[self.calls % len(self.sizes)], len(self.data))
        buffer[:n] = self.data[:n]
        self.data = self.data[n:]
        return n


class Liar(io.RawIOBase):
    """Claims *length* at its first read, then gives ``a,b\\n1\\n``."""

    def __init__(self, length):
        self.length = length
        self.data = b"a,b\n1\n"

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.length is not None:
            length, self.length = self.length, None
            return length
        n = len(self.data)
        buffer[:n] = self.data
        self.data = b""
        return n


FAULTS = st.sampled_from(
    [
        None,
        OSError(errno.EIO, "disk on fire"),
        BlockingIOError(errno.EAGAIN, "try again"),
        InterruptedError(errno.EINTR, "interrupted"),
        KeyboardInterrupt(),
    ]
)
CSV_ROWS = st.lists(
    st.lists(st.text(st.sampled_from('ab,"\n\r é'), max_size=6), min_size=2, max_size=2),
    max_size=8,
)


def csv_bytes(rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["h1", "h2"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def drain_through_faults(reader):
    """Everything *reader* yields, calling again after every fault; the
    faults seen, as (type, message or None)."""
    got, seen = [], []
    for _ in range(1000):
        try:
            got.append(next(reader))
        except StopIteration:
            return got, seen
        except (OSError, KeyboardInterrupt) as exc:
            seen.append(type(exc))
    raise AssertionError("the reader never ended")


class TestFaults:
    @with_impl
    @given(
        name=st.sampled_from(READERS),
        rows=CSV_ROWS,
        sizes=st.lists(st.integers(1, 9), max_size=4),
        faults=st.dictionaries(st.integers(1, 30), FAULTS, max_size=6),
    )
    def test_a_fault_loses_nothing_and_invents_nothing(self, impl, name, rows, sizes, faults):
        data = csv_bytes(rows)
        source = Faulty(data, sizes, faults)
        got, seen = drain_through_faults(make(impl, name, source))
        assert got == reference(name, data)
        assert len(seen) == sum(1 for call in faults if call <= source.calls)

    @pytest.mark.parametrize("name", READERS)
    def test_none_is_a_clear_error_and_loses_nothing(self, impl, name):
        data = b"a,b\r\n1,2\r\n3,4\r\n"
        reader = make(impl, name, Faulty(data, [4], {2: None, 3: None}))
        got = []
        errors = []
        while True:
            try:
                got.append(next(reader))
            except BlockingIOError as exc:
                errors.append(str(exc))
            except StopIteration:
                break
        assert got == reference(name, data)
        assert errors and all("returned None" in message for message in errors)

    def test_a_chunk_keeps_what_came_before_a_failed_read(self, impl):
        source = Faulty(b"abcdefgh", [3, 5], {2: InterruptedError(errno.EINTR, "EINTR")})
        source.sizes = [5, 3]  # call 1 gives 3 bytes ("abc"), call 3 gives 5 ("defgh")
        reader = impl.read_chunks(source, 4)
        with pytest.raises(InterruptedError):
            next(reader)
        assert list(reader) == [b"abcd", b"efgh"]

    @pytest.mark.parametrize("name", READERS)
    @pytest.mark.parametrize("length", [-1, 2**40, 2**70, 1.5, "3"])
    def test_an_impossible_length_is_refused_and_loses_nothing(self, impl, other_impl, name, length):
        outcomes = []
        for twin in (impl, other_impl):
            reader = make(twin, name, Liar(length))
            with pytest.raises((OSError, TypeError)) as caught:
                next(reader)
            outcomes.append((caught.type, str(caught.value)))
            assert list(reader) == reference(name, b"a,b\n1\n")
        assert outcomes[0] == outcomes[1]

    @pytest.mark.parametrize("name", READERS)
    def test_a_read_returning_more_than_asked_is_refused(self, impl, other_impl, name):
        class Greedy:
            def read(self, n=-1):
                return b"x" * (n + 1)

        outcomes = []
        for twin in (impl, other_impl):
            with pytest.raises(OSError) as caught:
                next(make(twin, name, Greedy()))
            outcomes.append(str(caught.value))
        assert outcomes[0] == outcomes[1]
        assert "read() returned invalid length" in outcomes[0]


class TestReentrancy:
    """A reader's methods called from inside its own read (from the source's
    readinto) are refused; from another thread, they wait their turn."""

    CALLS = {
        "__init__": lambda r: reinit(r, io.BytesIO(b"")),
        "close": lambda r: r.close(),
        "__setstate__": lambda r: r.__setstate__(r.__reduce__()[2]),
        "offset": lambda r: r.offset,
        "__reduce__": lambda r: r.__reduce__(),
        "next": lambda r: next(r),
    }

    @pytest.mark.parametrize("name", READERS)
    @pytest.mark.parametrize("call", sorted(CALLS))
    def test_a_call_from_inside_a_read_is_refused(self, impl, name, call):
        box = []

        class Calling(io.RawIOBase):
            done = False

            def readable(self):
                return True

            def readinto(self, buffer):
                if not self.done:
                    self.done = True
                    try:
                        self.CALLS[call](box[0])
                    except RuntimeError as exc:
                        box.append(exc)
                    except TypeError:
                        box.append("pickle refused")  # (a file object does not pickle)
                n = min(len(buffer), len(self.data))
                buffer[:n] = self.data[:n]
                self.data = self.data[n:]
                return n

        Calling.CALLS = self.CALLS
        source = Calling()
        source.data = b"a,b\n1,2\n" * 100
        reader = make(impl, name, source)
        box.append(reader)
        got = list(reader)
        assert len(box) == 2
        if box[1] != "pickle refused":
            assert "cannot re-enter" in str(box[1])
        assert got == reference(name, b"a,b\n1,2\n" * 100)

    @pytest.mark.parametrize("name", READERS)
    def test_init_from_another_thread_waits_for_the_read_in_flight(self, impl, name):
        entered, release = threading.Event(), threading.Event()

        class Blocking(io.RawIOBase):
            def readable(self):
                return True

            def readinto(self, buffer):
                entered.set()
                release.wait(10)
                buffer[:8] = b"a,b\n1,2\n"
                return 8

        reader = make(impl, name, Blocking())
        results = {}
        reading = threading.Thread(target=lambda: results.setdefault("first", next(reader)))
        reading.start()
        assert entered.wait(10)
        replacing = threading.Thread(target=lambda: reinit(reader, io.BytesIO(b"c,d\n3,4\n")))
        replacing.start()
        replacing.join(0.2)
        assert replacing.is_alive(), "__init__ did not wait for the read in flight"
        release.set()
        reading.join(10)
        replacing.join(10)
        assert not reading.is_alive() and not replacing.is_alive()
        assert results["first"] == reference(name, b"a,b\n1,2\n")[0]
        assert list(reader) == reference(name, b"c,d\n3,4\n")

    @pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
    @pytest.mark.parametrize("name", READERS)
    def test_init_while_blocked_in_a_raw_read_of_a_fifo(self, impl, name, tmp_path):
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        writer = os.open(fifo, os.O_RDWR)  # (so that opening for reading does not block)
        other = tmp_path / "other.csv"
        other.write_bytes(b"c,d\n3,4\n")
        try:
            reader = make(impl, name, fifo)
            results = {}
            reading = threading.Thread(target=lambda: results.setdefault("first", next(reader)))
            reading.start()
            reading.join(0.1)
            assert reading.is_alive()  # blocked in read(2)
            replacing = threading.Thread(target=lambda: reinit(reader, other))
            replacing.start()
            replacing.join(0.2)
            assert replacing.is_alive()
            os.write(writer, b"a,b\n1,2\n" * 3)
            reading.join(10)
            replacing.join(10)
            assert not reading.is_alive() and not replacing.is_alive()
            assert list(reader) == reference(name, b"c,d\n3,4\n")
        finally:
            os.close(writer)


class TestSizes:
    @pytest.mark.parametrize("value", [sys.maxsize, 10**18, 2**48 + 1, 2**64])
    def test_huge_sizes_are_a_clear_value_error_at_creation(self, impl, other_impl, tmp_path, value):
        path = tmp_path / "f"
        path.write_bytes(b"a\n")
        for make_reader in (
            lambda twin: twin.read_lines(path, buffer_size=value),
            lambda twin: twin.read_chunks(path, value),
        ):
            messages = []
            for twin in (impl, other_impl):
                with pytest.raises(ValueError) as caught:
                    make_reader(twin)
                messages.append(str(caught.value))
            assert messages[0] == messages[1]
            assert "at most 2**48" in messages[0]

    def test_a_buffer_larger_than_memory_is_a_memory_error_at_creation(self, impl, tmp_path):
        path = tmp_path / "f"
        path.write_bytes(b"a\n")
        with pytest.raises(MemoryError):
            impl.read_lines(path, buffer_size=2**47)

    @pytest.mark.parametrize("option", ["stop", "start", "max_line_length"])
    def test_offsets_past_2_63_are_as_good_as_no_limit(self, impl, tmp_path, option):
        path = tmp_path / "f"
        path.write_bytes(b"a\nb\n")
        got = list(impl.read_lines(path, **{option: 2**70}))
        assert got == ([] if option == "start" else [b"a", b"b"])

    def test_max_field_size_past_2_63(self, impl, tmp_path):
        path = tmp_path / "f.csv"
        path.write_bytes(b"a\n1\n")
        assert list(impl.read_csv(path, max_field_size=2**70)) == [{"a": "1"}]


class TestText:
    @pytest.mark.parametrize(
        "encoding, text",
        [
            ("iso2022_jp", "first\n日本語\nlast\n"),
            ("iso2022_jp_2", "a\nÅ日本\n\nb"),
            ("raw_unicode_escape", "x\n\u65e5 and \\u0041\n"),
            ("shift_jis", "表示\nascii\n半角ｶﾅ\n"),
            ("euc_jp", "いろは\nx\n"),
            ("cp1252", "caf\xe9 \u20ac\n"),
        ],
    )
    def test_lines_decode_as_open_decodes_them(self, impl, tmp_path, encoding, text):
        path = tmp_path / "t"
        path.write_bytes(text.encode(encoding))
        with open(path, encoding=encoding, newline="\n") as f:
            want = list(f)
        for keepends in (True, False):
            got = list(impl.read_lines(path, encoding=encoding, keepends=keepends))
            assert got == (want if keepends else [line.rstrip("\n") for line in want])

    @settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
    @given(
        text=st.text(st.sampled_from("ab \r\n\x80\xa0\xbf\xc0\xe9\xffß€Ωд日😀"), max_size=60),
        junk=st.sampled_from([b"", b"\xc3", b"\xc2\x41", b"\x80", b"\xc3\xc3\xa9", b"\xc4\x80", b"\xed\xa0\x80"]),
        at=st.integers(0, 200),
        errors=st.sampled_from(["strict", "replace", "surrogateescape"]),
    )
    def test_utf8_lines_decode_as_each_line_decodes(self, impl, tmp_path, text, junk, at, errors):
        data = text.encode("utf-8")
        at = min(at, len(data))
        data = data[:at] + junk + data[at:]
        path = tmp_path / "t"
        path.write_bytes(data)
        want = []
        lines = data.split(b"\n")
        last = lines.pop()  # (no b"\n" after it: its b"\r" stays)
        lines = [line[:-1] if line.endswith(b"\r") else line for line in lines] + ([last] if last else [])
        for line in lines:
            try:
                want.append(line.decode("utf-8", errors))
            except UnicodeDecodeError as exc:
                want.append((type(exc), str(exc)))
        reader = impl.read_lines(path, encoding="utf-8", errors=errors, keepends=False)
        got = []
        while True:
            try:
                got.append(next(reader))
            except StopIteration:
                break
            except UnicodeDecodeError as exc:
                got.append((type(exc), str(exc)))
        assert got == want
        assert all(type(g) is str for g in got if not isinstance(g, tuple))

    def test_a_file_that_is_only_a_bom_has_no_line(self, impl, tmp_path):
        path = tmp_path / "t"
        path.write_bytes(b"\xef\xbb\xbf")
        with open(path, encoding="utf-8-sig") as f:
            assert list(f) == []
        assert list(impl.read_lines(path, encoding="utf-8-sig")) == []
        assert list(impl.read_lines(path, encoding="utf-8-sig", keepends=True)) == []
        assert list(impl.read_lines(path)) == [b"\xef\xbb\xbf"]

    def test_read_chunks_of_a_text_file_says_what_to_do(self, impl, tmp_path):
        path = tmp_path / "t"
        path.write_bytes(b"a")
        with open(path, encoding="utf-8") as text:
            with pytest.raises(TypeError) as caught:
                impl.read_chunks(text)
        assert "see encoding=" not in str(caught.value) and "'rb'" in str(caught.value)


class TestPickles:
    @pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
    @pytest.mark.parametrize("name", READERS)
    def test_a_fifo_does_not_pickle(self, impl, name, tmp_path):
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        writer = os.open(fifo, os.O_RDWR)
        try:
            reader = make(impl, name, fifo)
            with pytest.raises(TypeError, match="not a regular file"):
                pickle.dumps(reader)
            reader.close()
        finally:
            os.close(writer)

    @pytest.mark.parametrize("name", READERS)
    @pytest.mark.parametrize("change", ["shorter", "replaced", "modified", "appended"])
    def test_a_changed_file_is_a_clear_error_on_resume(self, impl, name, tmp_path, change):
        path = tmp_path / "data"
        path.write_bytes(b"a,b\n" + b"1,2\n" * 50)
        reader = make(impl, name, path)
        next(reader), next(reader)
        state = pickle.dumps(reader)
        reader.close()
        if change == "shorter":
            path.write_bytes(b"a,b\n")
        elif change == "replaced":
            (tmp_path / "new").write_bytes(b"a,b\n" + b"1,2\n" * 50)
            os.replace(tmp_path / "new", path)
        elif change == "modified":
            os.utime(path, ns=(0, 12345))
        else:
            with open(path, "ab") as f:
                f.write(b"3,4\n")
        with pytest.raises(ValueError, match="cannot resume .* since the reader was pickled"):
            pickle.loads(state)

    @pytest.mark.parametrize("name", READERS)
    def test_an_unchanged_file_resumes(self, impl, other_impl, name, tmp_path, monkeypatch):
        path = tmp_path / "data"
        path.write_bytes(b"a,b\n" + b"".join(b"%d,2\n" % i for i in range(50)))
        reader = make(impl, name, path)
        head = [next(reader) for _ in range(3)]
        state = pickle.dumps(reader)
        rest = list(reader)
        monkeypatch.setattr(_select, "CLASSES", other_impl.classes)
        assert list(pickle.loads(state)) == rest
        assert head + rest == list(make(impl, name, path))

    @pytest.mark.parametrize("name", READERS)
    @pytest.mark.parametrize(
        "edit",
        [
            lambda s: {**s, "offset": -1},
            lambda s: {**s, "offset": "3"},
            lambda s: {**s, "path": "relative"},
            lambda s: {**s, "identity": (1, 2)},
            lambda s: {**s, "options": {**s["options"], "start": -5}},
            lambda s: {**s, "options": {**s["options"], "nonsense": 1}},
            lambda s: {k: v for k, v in s.items() if k != "offset"},
            lambda s: [s],
            lambda s: {**s, "options": {**s["options"], "buffer_size": 0}}
            if "buffer_size" in s["options"]
            else {**s, "options": {**s["options"], "size": 0}}
            if "size" in s["options"]
            else {**s, "options": {**s["options"], "max_field_size": -1}},
        ],
    )
    def test_a_crafted_state_is_refused_the_same_by_both_twins(self, impl, other_impl, name, tmp_path, edit):
        path = tmp_path / "data"
        path.write_bytes(b"a,b\n1,2\n3,4\n")
        reader = make(impl, name, path)
        next(reader)
        state = edit(reader.__reduce__()[2])
        outcomes = []
        for twin in (impl, other_impl):
            fresh = getattr(twin, name).__new__(getattr(twin, name))
            with pytest.raises((TypeError, ValueError)) as caught:
                fresh.__setstate__(state)
            outcomes.append((caught.type, str(caught.value)))
            assert list(fresh) == []
        assert outcomes[0] == outcomes[1]

    def test_length_hint_is_unknown_for_what_st_size_cannot_tell(self, impl, tmp_path):
        if os.path.exists("/proc/self/status"):
            reader = impl.read_chunks("/proc/self/status", 16)
            assert operator.length_hint(reader, -1) == -1
            assert list(reader)
        path = tmp_path / "f"
        path.write_bytes(b"x" * 100)
        assert operator.length_hint(impl.read_chunks(path, 16)) == 7


class TestTwinsAgreeOnOddArguments:
    CALLS = [
        ("read_lines", (), {}),
        ("read_lines", ("P", "extra"), {}),
        ("read_lines", ("P",), {"nonsense": 1}),
        ("read_lines", ("P",), {"stop": 2**64}),
        ("read_lines", ("P",), {"max_line_length": 2**64}),
        ("read_lines", ("P",), {"buffer_size": 10**18}),
        ("read_lines", ("P",), {"buffer_size": 0}),
        ("read_lines", ("P",), {"buffer_size": 1.5}),
        ("read_lines", ("P",), {"start": -1}),
        ("read_lines", ("P",), {"encoding": 5}),
        ("read_lines", ("P",), {"encoding": "utf-16"}),
        ("read_lines", ("P",), {"encoding": "no-such-codec"}),
        ("read_lines", ("P",), {"errors": "no-such-handler", "encoding": "utf-8"}),
        ("read_lines", ("P",), {"keepends": object()}),
        ("read_chunks", (), {}),
        ("read_chunks", ("P", 0), {}),
        ("read_chunks", ("P", "3"), {}),
        ("read_chunks", ("P", 3, 4), {}),
        ("read_chunks", ("P",), {"size": 10**18}),
        ("read_chunks", ("P",), {"stop": -2}),
        ("read_csv", (), {}),
        ("read_csv", ("P", ","), {}),
        ("read_csv", ("P",), {"delimiter": ""}),
        ("read_csv", ("P",), {"delimiter": "ab"}),
        ("read_csv", ("P",), {"quotechar": None}),
        ("read_csv", ("P",), {"max_field_size": 2**64}),
        ("read_csv", ("P",), {"max_field_size": -1}),
        ("read_csv", ("P",), {"encoding": "utf-16"}),
        ("read_csv", ("P",), {"fieldnames": [[]]}),
        ("read_csv", ("P",), {"start": 2**64, "stop": 2**65}),
        ("read_csv", (b"data",), {}),
        ("read_csv", (42,), {}),
        ("read_jsonl", (), {}),
        ("read_jsonl", ("P",), {"loads": 5}),
        ("read_jsonl", ("P",), {"encoding": "utf-8"}),
        ("read_jsonl", ("P",), {"start": 1, "compression": "gzip"}),
        ("read_jsonl", ("P",), {"compression": "lz4"}),
        ("read_jsonl", ("P",), {"buffer_size": 0}),
        ("read_lines", ("P",), {"compression": 1}),
        ("read_chunks", ("P",), {"compression": "zip"}),
    ]

    @pytest.mark.parametrize("name, args, kwargs", CALLS)
    def test_same_outcome(self, impl, other_impl, tmp_path, name, args, kwargs):
        path = tmp_path / "f"
        path.write_bytes(b"a,b\n1,2\n")
        args = tuple(path if arg == "P" else arg for arg in args)

        def outcome(twin):
            try:
                reader = getattr(twin, name)(*args, **kwargs)
            except Exception as exc:
                return type(exc), str(exc)
            try:
                return list(reader)
            except Exception as exc:
                return "later", type(exc), str(exc)

        assert outcome(impl) == outcome(other_impl)
