"""The async readers (aread_chunks, aread_lines, aread_csv), on both twins.

Their reference is their sync twin of the same twin: over the same file
and arguments, ``async for`` gives what ``for`` gives, errors and messages
included, and ``.offset`` after every item; ranges, pickles and faulty
sources as the sync suites test them.  Then what is theirs alone: reads in
a worker thread one buffer at a time (counted), an item at hand handed out
without suspending, cancellation at any point losing nothing, and cleanup
(``run`` of aio_support fails on any task left or anything asyncio reports,
in debug mode; pytest makes warnings errors).
"""

import asyncio
import csv
import errno
import gc
import inspect
import io
import json
import os
import pickle
import random
import threading
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import test_compression
import test_jsonl
import test_sources
from aio_support import run, settle
from cyiter import _select, _source
from test_readers import write  # noqa: F401 (a fixture)

slow = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    max_examples=40,
)

FRAGMENTS = [b"a", b"bc", b"\n", b"\n", b"\r", b"\r\n", b"\xc3\xa9", b"\xe2\x82\xac", b"\xff", b"x" * 37, b"\xef\xbb\xbf"]
FILES = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(b"".join)
CSV_BYTES = st.lists(
    st.sampled_from([b"a", b"b", b",", b'"', b'""', b"\\", b"\r", b"\n", b"\r\n", b" ", b";", b"\xc3\xa9", b"\xff"]),
    max_size=40,
).map(b"".join)


READERS = _select.AIO_FAMILIES["aioreaders"]


def sync_of(impl, name):
    """The sync reader class of the async reader *name*."""
    return getattr(impl, name[1:])


def make(cls, source, options):
    options = dict(options)
    if cls.__name__.endswith("read_chunks"):
        return cls(source, options.pop("size", 5), **options)
    return cls(source, **options)


def sync_trace(reader, max_errors=20):
    """What *reader* gives until it ends: items, errors as (type, message),
    and ``.offset`` after each."""
    out = []
    while True:
        try:
            out.append(next(reader))
        except StopIteration:
            break
        except Exception as exc:
            out.append((type(exc), str(exc)))
            max_errors -= 1
            if max_errors == 0:
                break
        out.append(("offset", reader.offset))
    out.append(("end", reader.offset))
    return out


async def async_trace(reader, max_errors=20):
    """:func:`sync_trace` of an async reader."""
    out = []
    while True:
        try:
            out.append(await anext(reader))
        except StopAsyncIteration:
            break
        except Exception as exc:
            out.append((type(exc), str(exc)))
            max_errors -= 1
            if max_errors == 0:
                break
        out.append(("offset", reader.offset))
    out.append(("end", reader.offset))
    return out


def both(impl, name, source, **options):
    """(what the sync reader gives, what the async one gives) over *source*
    (a path; a callable making a fresh file object for each)."""
    fresh = source if callable(source) else (lambda: source)
    # closed at the end: a trace stopped by too many errors leaves them open
    with make(sync_of(impl, name), fresh(), options) as sync:
        want = sync_trace(sync)

    async def main():
        reader = make(getattr(impl, name), fresh(), options)
        try:
            return await async_trace(reader)
        finally:
            await reader.aclose()

    return want, run(main, collect_garbage=False)


@pytest.fixture
def fifo(tmp_path):
    """(path of a FIFO, a descriptor writing to it, open while the test runs)."""
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs os.mkfifo")
    path = tmp_path / "fifo"
    os.mkfifo(path)
    writer = os.open(path, os.O_RDWR)  # (so that opening for reading does not block)
    yield path, writer
    os.close(writer)


async def waiting_read(reader):
    """*reader*, whose first ``__anext__()`` was cancelled while its read
    waits in the worker (for a FIFO's bytes)."""
    task = asyncio.ensure_future(anext(reader))
    await asyncio.sleep(0.02)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return reader


def files_opened_as(monkeypatch, cls):
    """Have the readers open the paths they are given as *cls* (a FileIO)."""
    monkeypatch.setattr(_source, "open", lambda path, mode, buffering: cls(path, mode), raising=False)


class TestSameAsSync:
    @slow
    @given(
        data=FILES,
        buffer_size=st.integers(1, 70),
        keepends=st.booleans(),
        encoding=st.sampled_from([None, "utf-8", "latin-1", "utf-8-sig", "ascii"]),
        errors=st.sampled_from(["strict", "replace", "surrogateescape"]),
        start=st.integers(0, 300),
        stop=st.none() | st.integers(0, 400),
        limit=st.none() | st.integers(0, 40),
    )
    def test_lines(self, impl, write, data, buffer_size, keepends, encoding, errors, start, stop, limit):
        want, got = both(
            impl, "aread_lines", write(data), buffer_size=buffer_size, keepends=keepends,
            encoding=encoding, errors=errors, start=start, stop=stop, max_line_length=limit,
        )  # fmt: skip
        assert got == want

    @slow
    @given(data=FILES, size=st.integers(1, 70), start=st.integers(0, 450), stop=st.none() | st.integers(0, 450))
    def test_chunks(self, impl, write, data, size, start, stop):
        want, got = both(impl, "aread_chunks", write(data), size=size, start=start, stop=stop)
        assert got == want
        assert b"".join(item for item in got if isinstance(item, bytes)) == data[start:stop]

    @slow
    @given(
        data=CSV_BYTES,
        dialect=st.fixed_dictionaries(
            {},
            optional={
                "delimiter": st.sampled_from([",", ";", "\t"]),
                "quotechar": st.sampled_from(['"', "'"]),
                "escapechar": st.sampled_from([None, "\\"]),
                "doublequote": st.booleans(),
                "skipinitialspace": st.booleans(),
                "strict": st.booleans(),
                "quoting": st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_NONE, csv.QUOTE_NONNUMERIC]),
                "errors": st.sampled_from(["strict", "replace", "ignore"]),
                "encoding": st.sampled_from(["utf-8", "latin-1", "utf-8-sig"]),
                "fieldnames": st.sampled_from([None, ["x", "y"]]),
                "restkey": st.sampled_from([None, "rest"]),
                "restval": st.sampled_from([None, "-"]),
                "max_field_size": st.integers(1, 8),
            },
        ),
        start=st.integers(0, 60),
        stop=st.none() | st.integers(0, 80),
    )
    def test_csv(self, impl, write, data, dialect, start, stop):
        try:
            csv.reader([], **{k: v for k, v in dialect.items() if k in ("delimiter", "quotechar", "escapechar", "doublequote", "skipinitialspace", "strict", "quoting")})
        except (csv.Error, TypeError, ValueError):
            return  # (refusals: test_errors_at_creation)
        want, got = both(impl, "aread_csv", write(data), start=start, stop=stop, **dialect)
        assert got == want

    @pytest.mark.parametrize("name", ["aread_chunks", "aread_lines", "aread_csv"])
    def test_a_file_object(self, impl, name):
        data = b"a,b\r\n1,2\n\xc3\xa9,\"x\ny\"\n" * 300
        want, got = both(impl, name, lambda: io.BytesIO(data))
        assert got == want and len(got) > 600

    @pytest.mark.parametrize("name", ["aread_chunks", "aread_lines", "aread_csv"])
    def test_a_big_file_in_many_buffers(self, impl, write, name):
        data = b"".join(b"%d,line %d\r\n" % (i, i * i) for i in range(30000))
        options = {"buffer_size": 4096} if name == "aread_lines" else {}
        if name == "aread_chunks":
            options = {"size": 1000}
        want, got = both(impl, name, write(data), **options)
        assert got == want


class TestRanges:
    @slow
    @given(data=FILES, buffer_size=st.integers(1, 70), cuts=st.lists(st.integers(0, 450), max_size=4))
    def test_lines_of_ranges_are_every_line_once(self, impl, write, data, buffer_size, cuts):
        path = write(data)
        bounds = [0, *sorted(cuts), None]

        async def main():
            out = []
            for start, stop in zip(bounds, bounds[1:]):
                reader = impl.aread_lines(path, buffer_size=buffer_size, start=start, stop=stop)
                out += [line async for line in reader]
            return out

        assert run(main, collect_garbage=False) == list(sync_of(impl, "aread_lines")(path, buffer_size=buffer_size))

    @slow
    @given(data=CSV_BYTES, cuts=st.lists(st.integers(0, 80), max_size=4))
    def test_rows_of_ranges_are_one_pass(self, impl, write, data, cuts):
        path = write(b"h1,h2\r\n" + data)
        bounds = [0, *sorted(cuts), None]
        want = sync_trace(impl.read_csv(path, errors="replace"), max_errors=1000)
        want = [row for row in want if isinstance(row, dict)]

        async def main():
            out = []
            for start, stop in zip(bounds, bounds[1:]):
                reader = impl.aread_csv(path, errors="replace", start=start, stop=stop)
                trace = await async_trace(reader, max_errors=1000)
                out += [row for row in trace if isinstance(row, dict)]
            return out

        assert run(main, collect_garbage=False) == want

    @pytest.mark.parametrize("name", ["aread_lines", "aread_csv"])
    def test_offset_before_the_first_item_of_a_range(self, impl, write, name):
        path = write(b"head,er\r\n" + b"".join(b'%d,"x\ny"\r\n' % i for i in range(2000)))
        sync = sync_of(impl, name)(path, start=5000)

        async def main():
            reader = getattr(impl, name)(path, start=5000)
            offset = reader.offset  # (found by reading, in this thread)
            first = await anext(reader)
            return offset, first, reader.offset

        offset = sync.offset
        assert run(main) == (offset, next(sync), sync.offset)

    def test_fieldnames_as_the_sync_readers(self, impl, write):
        path = write(b"h1,h2\r\n1,2\r\n3,4,5\r\n")
        sync = impl.read_csv(path)
        assert sync.fieldnames == ["h1", "h2"]
        sync.fieldnames = ["x"]

        async def main():
            reader = impl.aread_csv(path)
            names = reader.fieldnames  # (the header, read in this thread)
            reader.fieldnames = ["x"]
            return names, [row async for row in reader], reader.fieldnames

        assert run(main) == (["h1", "h2"], list(sync), ["x"])
        assert inspect.getdoc(impl.aread_csv.fieldnames) == inspect.getdoc(impl.read_csv.fieldnames)

    def test_fieldnames_of_a_range_come_from_the_header(self, impl, write):
        path = write(b"h1,h2\r\n" + b"1,2\r\n" * 1000)

        async def main():
            reader = impl.aread_csv(path, start=3000)
            names = reader.fieldnames
            rows = [row async for row in reader]
            return names, rows

        names, rows = run(main)
        assert names == ["h1", "h2"] and rows == list(impl.read_csv(path, start=3000))
        assert rows and rows[0] == {"h1": "1", "h2": "2"}


def load_in(twin, data, monkeypatch):
    monkeypatch.setattr(_select, "CLASSES", twin.classes)
    return pickle.loads(data)


class TestPickles:
    @slow
    @given(
        name=st.sampled_from(["aread_chunks", "aread_lines", "aread_csv"]),
        data=CSV_BYTES,
        k=st.integers(0, 12),
        start=st.integers(0, 40),
        pure=st.booleans(),
    )
    def test_a_pickle_resumes_where_it_was_in_either_twin(self, impl, other_impl, write, monkeypatch, name, data, k, start, pure):
        path = write(b"h1,h2\r\n" + data * 3)
        options = {"start": start, "errors": "replace"} if name != "aread_chunks" else {"start": start}
        sync = make(sync_of(impl, name), path, options)
        want = sync_trace(sync, max_errors=1000)

        async def main():
            reader = make(getattr(impl, name), path, options)
            head, ended = [], False
            for _ in range(k):
                try:
                    head.append(await anext(reader))
                except StopAsyncIteration:
                    ended = True
                    break
                except Exception as exc:
                    head.append((type(exc), str(exc)))
                head.append(("offset", reader.offset))
            state = pickle.dumps(reader)
            twin = other_impl if pure else impl
            copy = load_in(twin, state, monkeypatch)
            assert type(copy).__name__ == name and type(copy) is getattr(twin, name)
            rest = await async_trace(copy, max_errors=1000)
            mine = await async_trace(reader, max_errors=1000)
            return head, rest, mine, ended

        head, rest, mine, ended = run(main, collect_garbage=False)
        assert head + mine == want
        if not ended:
            assert head + rest == want
        else:  # (an exhausted reader pickles as exhausted: no offset)
            assert rest == [("end", 0)]

    @pytest.mark.parametrize("name", ["aread_chunks", "aread_lines", "aread_csv"])
    def test_the_state_is_the_sync_readers(self, impl, write, name):
        path = write(b"a,b\r\n" + b"1,2\r\n" * 5000)
        sync = make(sync_of(impl, name), path, {"start": 7})
        for _ in range(100):
            next(sync)

        async def main():
            reader = make(getattr(impl, name), path, {"start": 7})
            for _ in range(100):
                await anext(reader)
            return reader.__reduce__()

        function, args, state = run(main)
        assert (function, args) == (sync.__reduce__()[0], (name,))
        assert state == sync.__reduce__()[2]
        # and a sync pickle's state resumes an async reader, and back
        copy = getattr(impl, name).__new__(getattr(impl, name))
        copy.__setstate__(sync.__reduce__()[2])

        async def rest():
            return [item async for item in copy]

        assert run(rest) == list(sync)

    @pytest.mark.parametrize("name", READERS)
    def test_exhausted_and_closed_pickle_as_exhausted(self, impl, write, name):
        path = write(b"1\r\n2\r\n")

        async def main():
            done = make(getattr(impl, name), path, {})
            [x async for x in done]
            closed = make(getattr(impl, name), path, {})
            await closed.aclose()
            return [[x async for x in pickle.loads(pickle.dumps(r))] for r in (done, closed)]

        assert run(main) == [[], []]

    @pytest.mark.parametrize("name", READERS)
    def test_a_file_object_does_not_pickle(self, impl, name):
        sync = make(sync_of(impl, name), io.BytesIO(b"a\n"), {})
        with pytest.raises(TypeError) as theirs:
            pickle.dumps(sync)
        with pytest.raises(TypeError) as ours:
            pickle.dumps(make(getattr(impl, name), io.BytesIO(b"a\n"), {}))
        assert str(ours.value) == str(theirs.value) and "file object" in str(ours.value)

    def test_a_changed_file_does_not_resume(self, impl, write):
        path = write(b"a\nb\n" * 100)

        async def main():
            reader = impl.aread_lines(path)
            await anext(reader)
            state = pickle.dumps(reader)
            await reader.aclose()
            write(b"other\n")
            with pytest.raises(ValueError, match="since the reader was pickled"):
                pickle.loads(state)

        run(main)

    def test_bad_states_are_refused_as_the_sync_readers_refuse_them(self, impl):
        for state in ({}, {"path": "relative", "identity": None, "offset": None, "options": {}, "skip": False}):
            with pytest.raises(TypeError) as theirs:
                impl.read_lines.__new__(impl.read_lines).__setstate__(state)
            with pytest.raises(TypeError) as ours:
                impl.aread_lines.__new__(impl.aread_lines).__setstate__(state)
            assert str(ours.value) == str(theirs.value)


class Faulty(test_sources.Faulty):
    """test_sources' faulty source, noting the threads that read it."""

    def __init__(self, *args):
        super().__init__(*args)
        self.threads = set()

    def readinto(self, buffer):
        self.threads.add(threading.get_ident())
        return super().readinto(buffer)


async def through_faults(reader):
    """test_sources.drain_through_faults of an async reader."""
    got, seen = [], []
    for _ in range(1000):
        try:
            got.append(await anext(reader))
        except StopAsyncIteration:
            return got, seen
        except (OSError, KeyboardInterrupt) as exc:
            seen.append(type(exc))
    raise AssertionError("the reader never ended")


class TestFaults:
    """The fault injection of test_sources, through the async readers: the
    faults come out in order with the sync reader's messages, and nothing
    is lost or invented."""

    @slow
    @given(
        name=st.sampled_from(["aread_chunks", "aread_lines", "aread_csv"]),
        rows=test_sources.CSV_ROWS,
        sizes=st.lists(st.integers(1, 9), max_size=4),
        faults=st.dictionaries(st.integers(1, 30), test_sources.FAULTS, max_size=6),
    )
    def test_a_fault_loses_nothing_and_invents_nothing(self, impl, name, rows, sizes, faults):
        data = test_sources.csv_bytes(rows)
        want = test_sources.drain_through_faults(make(sync_of(impl, name), Faulty(data, sizes, faults), {}))
        source = Faulty(data, sizes, faults)

        async def main():
            return await through_faults(make(getattr(impl, name), source, {}))

        got, seen = run(main, collect_garbage=False)
        assert (got, seen) == want
        assert got == test_sources.reference(name[1:], data)
        assert len(seen) == sum(1 for call in faults if call <= source.calls)
        assert threading.get_ident() not in source.threads  # read in the worker only

    @pytest.mark.parametrize("name", ["aread_chunks", "aread_lines", "aread_csv"])
    def test_none_is_the_sync_readers_error(self, impl, name):
        data = b"a,b\r\n1,2\r\n3,4\r\n"
        sync = make(sync_of(impl, name), Faulty(data, [4], {2: None}), {})
        with pytest.raises(BlockingIOError) as theirs:
            list(sync)

        async def main():
            reader = make(getattr(impl, name), Faulty(data, [4], {2: None}), {})
            with pytest.raises(BlockingIOError) as ours:
                [item async for item in reader]
            return str(ours.value), [item async for item in reader]

        assert run(main) == (str(theirs.value), list(sync))
        assert "returned None" in str(theirs.value)

    @pytest.mark.parametrize("name", ["aread_chunks", "aread_lines", "aread_csv"])
    @pytest.mark.parametrize("length", [-1, 2**40, 1.5, "3"])
    def test_an_impossible_length_is_the_sync_readers_error(self, impl, name, length):
        sync = make(sync_of(impl, name), test_sources.Liar(length), {})
        with pytest.raises((OSError, TypeError)) as theirs:
            next(sync)

        async def main():
            reader = make(getattr(impl, name), test_sources.Liar(length), {})
            with pytest.raises((OSError, TypeError)) as ours:
                await anext(reader)
            return (ours.type, str(ours.value)), [x async for x in reader]

        assert run(main) == ((theirs.type, str(theirs.value)), list(sync))


class TestSources:
    @pytest.mark.parametrize("name", READERS)
    @pytest.mark.parametrize(
        "source, options",
        [
            ("missing", {}),
            ("directory", {}),
            (io.StringIO("a"), {}),
            (b"bytes", {}),
            (42, {}),
            ("file", {"start": -1}),
            ("file", {"stop": "x"}),
            ("file", {"size": 0}),
            ("file", {"encoding": "utf-16"}),
            ("file", {"encoding": "no-such"}),
            ("file", {"buffer_size": 0}),
            ("file", {"delimiter": "ab"}),
            ("file", {"quoting": 99}),
            ("file", {"nothing": 1}),
        ],
    )
    def test_errors_at_creation_are_the_sync_readers(self, impl, tmp_path, name, source, options):
        (tmp_path / "file").write_bytes(b"a\n")
        if isinstance(source, str):
            source = tmp_path if source == "directory" else tmp_path / source
        errors = []
        for cls in (sync_of(impl, name), getattr(impl, name)):
            with pytest.raises(Exception) as caught:
                make(cls, source, options)
            errors.append((caught.type, str(caught.value)))
        assert errors[0] == errors[1]

    @pytest.mark.parametrize("name", READERS)
    def test_a_range_needs_a_seekable_source(self, impl, name):
        read_fd, write_fd = os.pipe()
        try:
            with os.fdopen(read_fd, "rb", buffering=0) as pipe:
                with pytest.raises(io.UnsupportedOperation, match="seekable"):
                    make(getattr(impl, name), pipe, {"start": 1})
        finally:
            os.close(write_fd)

    @pytest.mark.parametrize("name", ["aread_chunks", "aread_lines", "aread_csv"])
    def test_a_pipe_written_while_the_loop_reads(self, impl, name):
        """The reads wait in the worker thread: the writer, a task on the
        same loop, goes on meanwhile."""
        data = b"".join(b"%d,line\r\n" % i for i in range(3000))
        want = make(sync_of(impl, name), io.BytesIO(data), {})
        want = list(want)

        async def main():
            read_fd, write_fd = os.pipe()
            os.set_blocking(write_fd, False)

            async def writer():
                view = memoryview(data)
                while view:
                    try:
                        view = view[os.write(write_fd, view[:1000]) :]
                    except BlockingIOError:
                        pass
                    await asyncio.sleep(0.001)
                os.close(write_fd)

            task = asyncio.get_running_loop().create_task(writer())
            with os.fdopen(read_fd, "rb", buffering=0) as pipe:
                got = [item async for item in make(getattr(impl, name), pipe, {})]
            await task
            return got

        assert run(main) == want

    def test_a_fifo_by_path(self, impl, fifo):
        fifo, writer = fifo

        async def main():
            reader = impl.aread_lines(fifo, encoding="utf-8")
            waiting = asyncio.ensure_future(anext(reader))
            await asyncio.sleep(0.05)
            assert not waiting.done()  # a read waits in the worker, not the loop
            os.write(writer, b"first\nsecond\nthi")
            assert await waiting == "first"
            assert await anext(reader) == "second"
            later = asyncio.ensure_future(anext(reader))
            await asyncio.sleep(0.01)
            os.write(writer, b"rd\n")
            third = await later
            await reader.aclose()  # (no read is in flight: none ahead on a FIFO)
            return third, reader.offset

        assert run(main) == ("third", 19)

    @pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
    @pytest.mark.parametrize("name", ["aread_chunks", "aread_lines", "aread_csv"])
    def test_a_file_object_is_never_closed_and_a_path_is(self, impl, write, name):
        path = write(b"a,b\r\n1,2\r\n" * 100)

        async def main():
            f = open(path, "rb")
            async with make(getattr(impl, name), f, {}) as reader:
                await anext(reader)
            assert not f.closed
            f.close()
            assert opened(path) == 0
            reader = make(getattr(impl, name), path, {})
            await anext(reader)
            assert opened(path) == 1
            await reader.aclose()
            assert opened(path) == 0
            reader = make(getattr(impl, name), path, {})
            [x async for x in reader]
            assert opened(path) == 0  # at the end
            reader = make(getattr(impl, name), path, {"stop": 500})
            [x async for x in reader]
            assert opened(path) == 0  # at the end of a range, a read ahead in flight or not

        run(main)


def opened(path):
    """How many of this process's file descriptors are open on *path*."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == str(path)
        except OSError:
            pass  # (closed meanwhile: the listing's own descriptor)
    return count


def count_hops():
    """Count the jobs the running loop's executor is given from now on."""
    loop = asyncio.get_running_loop()
    hops = []
    submit = loop.run_in_executor

    def counting(executor, fn, *args):
        hops.append(fn)
        return submit(executor, fn, *args)

    loop.run_in_executor = counting
    return hops


class TestThreadHops:
    @pytest.mark.parametrize(
        "name, options, buffer",
        [
            ("aread_lines", {"buffer_size": 1 << 16}, 1 << 16),
            ("aread_lines", {"buffer_size": 1 << 16, "encoding": "utf-8", "start": 10}, 1 << 16),
            ("aread_csv", {}, 1 << 17),
            ("aread_chunks", {"size": 100}, 1 << 18),
        ],
    )
    def test_one_read_per_buffer_not_per_item(self, impl, write, name, options, buffer):
        data = b"".join(b"%d,some text\r\n" % i for i in range(100000))
        path = write(data)

        async def main():
            hops = count_hops()
            items = [item async for item in make(getattr(impl, name), path, options)]
            return len(items), len(hops)

        items, hops = run(main)
        assert items > 10000
        # a read per buffer, one that finds the end, and a range's positioning
        assert hops <= len(data) // buffer + 3

    @pytest.mark.parametrize("name", ["aread_chunks", "aread_lines", "aread_csv"])
    def test_an_item_at_hand_is_handed_out_without_suspending(self, impl, write, name):
        path = write(b"".join(b"%d,x\n" % i for i in range(1000)))
        options = {"size": 3} if name == "aread_chunks" else {}
        want = list(make(sync_of(impl, name), path, options))

        async def main():
            reader = make(getattr(impl, name), path, options)
            got = [await anext(reader)]  # (its first buffer is read meanwhile)
            hops = count_hops()
            while len(got) < 100:
                step = reader.__anext__()
                with pytest.raises(StopIteration) as done:
                    step.send(None)  # completes at its first send
                got.append(done.value.value)
            assert not hops
            return got + [item async for item in reader]

        assert run(main) == want


class Slow(io.RawIOBase):
    """*data* in reads of at most *chunk* bytes, each taking up to *delay*
    seconds (random, seeded); seekable when *seekable*."""

    def __init__(self, data, chunk, delay, seed, seekable=False):
        self.file = io.BytesIO(data)
        self.chunk = chunk
        self.delay = delay
        self.rng = random.Random(seed)
        self._seekable = seekable

    def readable(self):
        return True

    def seekable(self):
        return self._seekable

    def seek(self, pos, whence=0):
        if not self._seekable:
            raise io.UnsupportedOperation("seek")
        return self.file.seek(pos, whence)

    def readinto(self, buffer):
        threading.Event().wait(self.rng.random() * self.delay)
        return self.file.readinto(memoryview(buffer)[: self.chunk])


async def cancelled_consumers(reader, rng):
    """Everything *reader* gives to consumers cancelled at random times,
    one after another, until one of them reaches the end."""
    got = []

    async def consume():
        async for item in reader:
            got.append(item)

    loop = asyncio.get_running_loop()
    while True:
        task = loop.create_task(consume())
        for _ in range(rng.randrange(6)):
            await asyncio.sleep(0 if rng.random() < 0.5 else 0.0005)
        task.cancel()
        results = await asyncio.gather(task, return_exceptions=True)
        if not isinstance(results[0], asyncio.CancelledError):
            assert results[0] is None
            return got


class TestCancellation:
    @pytest.mark.parametrize("name", ["aread_chunks", "aread_lines", "aread_csv"])
    def test_consumers_cancelled_at_random_points_lose_nothing(self, impl, name):
        data = b"h1,h2\r\n" + b"".join(b'%d,"a\r\nb"\r\n' % i for i in range(150))

        async def main():
            for seed in range(25):
                rng = random.Random(seed)
                start = rng.choice([0, 0, 7, 500])
                options = {"start": start}
                seekable = start > 0 or rng.random() < 0.5
                source = Slow(data, rng.randrange(1, 200), 0.001, seed, seekable)
                want = list(make(sync_of(impl, name), io.BytesIO(data), options))
                reader = make(getattr(impl, name), source, options)
                got = await cancelled_consumers(reader, rng)
                assert got == want, seed
                await settle()
                assert not (asyncio.all_tasks() - {asyncio.current_task()})

        run(main, debug=False)

    @pytest.mark.parametrize("name", ["aread_chunks", "aread_lines", "aread_csv"])
    def test_on_a_regular_file_read_ahead(self, impl, write, monkeypatch, name):
        """The same with the file's next buffer read while the last is
        parsed (regular files only), each read taking a random while."""
        path = write(b"h1,h2\r\n" + b"".join(b'%d,"a\r\nb"\r\n' % i for i in range(300)))
        rng = random.Random(0)

        class SlowFile(io.FileIO):
            def readinto(self, buffer):
                time.sleep(rng.random() * 0.001)
                return super().readinto(memoryview(buffer)[: rng.randrange(1, 300)])

        files_opened_as(monkeypatch, SlowFile)

        async def main():
            for seed in range(25):
                options = {"start": random.Random(seed).choice([0, 0, 7, 500, 3000])}
                want = list(make(sync_of(impl, name), path, options))
                got = await cancelled_consumers(make(getattr(impl, name), path, options), random.Random(seed))
                assert got == want, seed
                await settle()
                assert opened(path) == 0 and not (asyncio.all_tasks() - {asyncio.current_task()})

        run(main, debug=False)

    def test_wait_for_timing_out_loses_nothing(self, impl):
        data = b"".join(b"line %d\n" % i for i in range(300))

        async def main():
            reader = impl.aread_lines(Slow(data, 50, 0.002, 1))
            got = []
            while True:
                try:
                    got.append(await asyncio.wait_for(anext(reader), 0.0005))
                except asyncio.TimeoutError:
                    continue
                except StopAsyncIteration:
                    return got

        assert run(main) == list(impl.read_lines(io.BytesIO(data)))

    def test_a_read_in_flight_when_the_reader_is_dropped(self, impl, write):
        """The worker's read ends by itself; the file the reader opened is
        closed then; its result, an error here, is reported nowhere."""
        path = write(b"a\n" * 100)
        release = threading.Event()

        async def main():
            reader = impl.aread_lines(path)
            await anext(reader)
            [line async for line in reader]
            reader = impl.aread_lines(Gated(release, OSError(errno.EIO, "late failure")))
            task = asyncio.ensure_future(anext(reader))
            await asyncio.sleep(0.01)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            del reader, task
            gc.collect()
            release.set()
            await asyncio.sleep(0.05)  # (the read ends, unobserved)
            gc.collect()

        run(main)

    def test_the_file_opened_is_closed_after_a_read_in_flight(self, impl, fifo):
        fifo, writer = fifo

        async def main():
            mine = opened(fifo)  # (the writer's)
            reader = await waiting_read(impl.aread_lines(fifo))
            assert opened(fifo) == mine + 1
            closing = asyncio.ensure_future(reader.aclose())
            await asyncio.sleep(0.02)
            assert not closing.done() and opened(fifo) == mine + 1  # the read still waits
            os.write(writer, b"x\n")
            await closing
            assert opened(fifo) == mine
            assert [line async for line in reader] == []

        run(main)


class Gated(io.RawIOBase):
    """A source whose first read waits for *release*, then gives *outcome*
    (raised if an exception, else bytes)."""

    def __init__(self, release, outcome):
        self.release = release
        self.outcome = outcome

    def readable(self):
        return True

    def readinto(self, buffer):
        assert self.release.wait(10)
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        n = len(self.outcome)
        buffer[:n] = self.outcome
        self.outcome = b""
        return n


class TestWhileARead:
    def test_a_second_anext_or_aclose_is_refused(self, impl):
        release = threading.Event()

        async def main():
            reader = impl.aread_lines(Gated(release, b"a\nb\n"))
            waiting = asyncio.ensure_future(anext(reader))
            await asyncio.sleep(0.01)
            with pytest.raises(RuntimeError, match="already running"):
                await anext(reader)
            with pytest.raises(RuntimeError, match="already running"):
                await reader.aclose()
            release.set()
            return await waiting, [line async for line in reader]

        assert run(main) == (b"a", [b"b"])

    def test_offset_and_pickles_answer_at_once(self, impl, write):
        """A read in flight holds up nothing the sync reader knows."""
        path = write(b"".join(b"line %d\n" % i for i in range(40000)))
        release = threading.Event()

        async def main():
            reader = impl.aread_lines(path, buffer_size=4096)
            lines = [await anext(reader) for _ in range(10)]
            # the next read waits in the worker until released
            loop = asyncio.get_running_loop()
            submit = loop.run_in_executor
            loop.run_in_executor = lambda ex, fn, *a: submit(ex, lambda: (release.wait(10), fn(*a))[1])
            while True:
                waiting = asyncio.ensure_future(anext(reader))
                await asyncio.sleep(0)
                if not waiting.done():
                    break
                lines.append(waiting.result())
            offset, state = reader.offset, pickle.dumps(reader)
            release.set()
            nxt = await waiting
            return offset, state, nxt

        offset, state, nxt = run(main)
        sync = impl.read_lines(path)
        while sync.offset != offset:
            next(sync)
        assert next(sync) == nxt

        async def resumed():
            return await anext(pickle.loads(state))

        assert run(resumed) == nxt

    def test_reinit_while_a_read_waits(self, impl, fifo):
        fifo, writer = fifo

        async def main():
            mine = opened(fifo)  # (the writer's)
            reader = await waiting_read(impl.aread_lines(fifo))
            reader.__init__(io.BytesIO(b"new\n"))
            assert [line async for line in reader] == [b"new"]
            assert opened(fifo) == mine + 1  # (until the old read ends)
            os.write(writer, b"x\n")
            for _ in range(100):
                await asyncio.sleep(0.01)
                if opened(fifo) == mine:
                    break
            assert opened(fifo) == mine

        run(main)


class TestCleanup:
    @pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files in /proc")
    def test_the_end_of_a_range_waits_for_the_read_ahead(self, impl, write, monkeypatch):
        """The next buffer of a regular file is read while the last is
        parsed; at the end of a range, the iteration ends once that read
        has, and with it the file."""
        path = write(b"line\n" * 10000)
        reads = []

        class SlowFile(io.FileIO):
            def readinto(self, buffer):
                time.sleep(0.02)
                reads.append(len(buffer))
                return super().readinto(buffer)

        files_opened_as(monkeypatch, SlowFile)

        async def main():
            reader = impl.aread_lines(path, buffer_size=1024, stop=2000, compression=None)
            lines = [line async for line in reader]
            return len(lines), opened(path)

        assert run(main) == (400, 0)
        # two buffers, and the one read ahead (unless the file was closed
        # before its turn came)
        assert reads in ([1024, 1024], [1024, 1024, 1024])

    @pytest.mark.parametrize("name", ["aread_chunks", "aread_lines", "aread_csv"])
    def test_aclose_twice_and_async_with(self, impl, write, name):
        path = write(b"a,b\r\n1,2\r\n" * 1000)

        async def main():
            reader = make(getattr(impl, name), path, {})
            first = await anext(reader)
            await reader.aclose()
            await reader.aclose()
            assert await anext(reader, "end") == "end"
            assert opened(path) == 0
            async with make(getattr(impl, name), path, {}) as reader:
                assert await anext(reader) == first
            assert opened(path) == 0
            with pytest.raises(KeyError):
                async with make(getattr(impl, name), path, {}) as reader:
                    await anext(reader)
                    raise KeyError
            assert opened(path) == 0
            return first

        run(main)

    def test_break_out_of_async_for_then_drop(self, impl, write):
        path = write(b"a\n" * 100000)

        async def main():
            async for _ in impl.aread_lines(path, buffer_size=1024):
                break
            gc.collect()
            await settle()
            assert opened(path) == 0
            assert not (asyncio.all_tasks() - {asyncio.current_task()})

        run(main)

    def test_new_without_init_is_empty(self, impl):
        async def main():
            reader = impl.aread_csv.__new__(impl.aread_csv)
            return [row async for row in reader], reader.offset, repr(reader)

        assert run(main) == ([], 0, "<cyiter.aio.aread_csv nothing (closed)>")


def test_under_trio_is_a_clear_error(impl):
    trio = pytest.importorskip("trio")

    async def main():
        reader = impl.aread_lines(io.BytesIO(b"a\n"))
        with pytest.raises(RuntimeError, match="needs a running asyncio event loop"):
            await anext(reader)

    trio.run(main)


def held_read_ahead(write, monkeypatch):
    """``(path, release)``: a file of ``bytes(range(256)) * 64`` whose
    second read (the feed's first read ahead) waits for the event
    *release*."""
    path = write(bytes(range(256)) * 64)
    release = threading.Event()
    reads = 0

    class Held(io.FileIO):
        def readinto(self, view):
            nonlocal reads
            reads += 1
            if reads == 2:
                assert release.wait(10)
            return super().readinto(view)

    files_opened_as(monkeypatch, Held)
    return path, release


class TestFeed:
    """The file the sync reader reads (cyiter._aioread.Feed), on its own."""

    def test_a_seek_elsewhere_forgets_the_read_ahead(self, write, monkeypatch):
        from cyiter._aioread import Feed

        path, release = held_read_ahead(write, monkeypatch)
        buffer = bytearray(100)

        async def main():
            feed = Feed(_source.open_source(path, "test"))
            assert feed.seek(0) == 0
            assert feed.readinto(memoryview(buffer)) is None  # (nothing at hand)
            assert feed.fetch("test")
            await feed.wait("test")
            assert feed.readinto(memoryview(buffer)) == 100 and buffer == bytes(range(100))
            assert feed.running  # the next buffer is being read ahead
            assert feed.seek(100) == 100  # (where the reader is: nothing changes)
            assert feed.seek(1000) == 1000
            release.set()
            await feed.wait("test")  # (the read ahead ends: it is stale)
            assert feed.readinto(memoryview(buffer)) is None
            assert feed.fetch("test")
            await feed.wait("test")
            assert feed.readinto(memoryview(buffer)) == 100
            assert buffer == (bytes(range(256)) * 2)[1000 % 256 :][:100]
            feed.close()

        run(main)


    def test_a_read_ahead_that_ends_before_fetch_is_not_read_over(self, write, monkeypatch):
        """The read ahead is in flight when the sync reader looks, and has
        ended by the time the async reader asks for a read (a free-threaded
        build hits this): its bytes come next, no second read is made."""
        from cyiter._aioread import Feed

        path, release = held_read_ahead(write, monkeypatch)
        buffer = bytearray(100)

        async def main():
            feed = Feed(_source.open_source(path, "test"))
            try:
                assert feed.readinto(memoryview(buffer)) is None
                assert feed.fetch("test")
                await feed.wait("test")
                assert feed.readinto(memoryview(buffer)) == 100 and buffer == bytes(range(100))
                assert feed.readinto(memoryview(buffer)) is None  # (the read ahead is in flight)
                release.set()
                deadline = time.monotonic() + 10
                while feed.running:  # (it ends; the loop has not heard of it yet)
                    assert time.monotonic() < deadline
                    time.sleep(0.001)
                assert feed.fetch("test")
                await feed.wait("test")
                assert feed.readinto(memoryview(buffer)) == 100 and buffer == bytes(range(100, 200))
                while feed.readinto(memoryview(buffer)) is None:  # (the next read ahead)
                    assert feed.fetch("test")
                    await feed.wait("test")
                assert buffer == bytes(range(200, 256)) + bytes(range(44))
            finally:
                feed.close()  # (a failure must not leave the file to the next test)

        run(main)


class TestJsonLines:
    @slow
    @given(
        data=test_jsonl.jsonl_files(),
        loads=st.sampled_from([None, json.loads]),
        buffer_size=st.integers(1, 70),
        start=st.integers(0, 200),
        stop=st.none() | st.integers(0, 300),
    )
    def test_values_errors_and_offsets_are_the_sync_readers(self, impl, write, data, loads, buffer_size, start, stop):
        want, got = both(
            impl, "aread_jsonl", write(data), loads=loads, buffer_size=buffer_size, start=start, stop=stop,
        )  # fmt: skip
        assert repr(got) == repr(want)  # (NaN is not equal to itself)

    def test_a_pickle_keeps_its_loads(self, impl, other_impl, write, monkeypatch):
        path = write(b"".join(b'{"n": %d}\n' % i for i in range(1000)))

        async def main():
            reader = impl.aread_jsonl(path, loads=json.loads, buffer_size=100)
            head = [await anext(reader) for _ in range(10)]
            copy = load_in(other_impl, pickle.dumps(reader), monkeypatch)
            return head + [value async for value in copy]

        assert run(main) == [{"n": i} for i in range(1000)]
        unpicklable = lambda line: line  # noqa: E731
        with pytest.raises(TypeError) as theirs:
            pickle.dumps(impl.read_jsonl(path, loads=unpicklable))
        with pytest.raises(TypeError) as ours:
            pickle.dumps(impl.aread_jsonl(path, loads=unpicklable))
        assert str(ours.value) == str(theirs.value)


class TestCompressed:
    @slow
    @given(
        name=st.sampled_from(["aread_chunks", "aread_lines", "aread_csv", "aread_jsonl"]),
        kind=st.sampled_from(test_compression.KINDS),
        data=CSV_BYTES,
        cut=st.none() | st.integers(0, 100),
    )
    def test_same_as_sync(self, impl, write, name, kind, data, cut):
        """Whole or cut short (the decompressor's error, again at every call)."""
        packed = test_compression.COMPRESS[kind](b"h1,h2\n" + data * 20)
        path = write(packed if cut is None else packed[:cut])
        want, got = both(impl, name, path, compression="infer")
        assert repr(got) == repr(want)

    @pytest.mark.parametrize("kind", test_compression.KINDS)
    def test_a_pickle_resumes_by_decompressing_up_to_its_offset(self, impl, other_impl, write, monkeypatch, kind):
        data = b"".join(b"line %d\n" % i for i in range(20000))
        path = write(test_compression.COMPRESS[kind](data))

        async def main():
            reader = impl.aread_lines(path, buffer_size=4096)
            head = [await anext(reader) for _ in range(5000)]
            copy = load_in(other_impl, pickle.dumps(reader), monkeypatch)
            return head + [line async for line in copy], copy.offset

        assert run(main) == (data.splitlines(), len(data))

    def test_a_range_of_compressed_data_is_the_sync_readers_error(self, impl, write):
        path = write(test_compression.COMPRESS["gzip"](b"a\n"))
        with pytest.raises(ValueError) as theirs:
            impl.read_lines(path, start=1)
        with pytest.raises(ValueError) as ours:
            impl.aread_lines(path, start=1)
        assert str(ours.value) == str(theirs.value)
