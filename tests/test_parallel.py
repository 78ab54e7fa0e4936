"""byte_ranges, process_ranges and cyiter.dask, on both twins.

The ranges are checked against one pass of each reader (and read_csv's
against csv.DictReader); process_ranges against a sequential run, on a
process pool, a thread pool and a real ``distributed.LocalCluster``; the
Dask bags on the synchronous scheduler, a process pool and the cluster.
One cluster serves the whole module (starting one takes seconds).
"""

import bz2
import concurrent.futures
import csv
import gc
import gzip
import io
import json
import lzma
import multiprocessing
import os
import pickle
import re
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cyiter
from cyiter import _parallel, byte_ranges, process_ranges

try:  # the dask extra, which the hardening interpreters go without
    import distributed

    import cyiter.dask
except ImportError as exc:
    MISSING_DASK = f"the dask extra is not installed ({exc})"
else:
    MISSING_DASK = ""
needs_dask = pytest.mark.skipif(bool(MISSING_DASK), reason=MISSING_DASK)
try:
    import zstandard
except ImportError:
    zstandard = None
from parallel_support import count_items, fail_on_boom, items_of, pid_of, twin_of

FIELD = st.text(alphabet=st.sampled_from(list('ab ,"\r\né')), max_size=6)
LINES = st.lists(
    st.sampled_from([b"", b"a", b"bc", b"\r", b"d\r", b"\xc3\xa9", b"long line " * 5]),
    max_size=30,
).map(lambda parts: b"\n".join(parts)) | st.binary(max_size=200)


# the impl fixture only selects a twin: nothing in it changes between examples
with_impl = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)


def csv_bytes(rows, lineterminator="\r\n"):
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow(["x", "y", "z"])
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def write(tmp_path_factory, data, name="data"):
    path = tmp_path_factory.mktemp("ranges") / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def lines_file(tmp_path_factory):
    lines = [b"line %d %s" % (i, b"x" * (i % 37)) for i in range(3000)]
    return write(tmp_path_factory, b"\n".join(lines) + b"\n", "lines.txt")


@pytest.fixture(scope="module")
def csv_file(tmp_path_factory):
    rows = [[i, f"a\nb {i}" if i % 7 == 0 else f"v{i}", 'q"uote,d' if i % 5 == 0 else ""] for i in range(2000)]
    return write(tmp_path_factory, csv_bytes(rows), "table.csv")


@pytest.fixture(scope="module")
def jsonl_file(tmp_path_factory):
    """Values json.loads gives as they are (orjson would give a float for 2**70)."""
    records = [{"i": i, "big": 2**70 + i, "s": "é\n" * (i % 4)} if i % 9 else [i, None] for i in range(2000)]
    text = "\n".join(json.dumps(r) if i % 50 else "" for i, r in enumerate(records)) + "\n"
    return write(tmp_path_factory, text.encode("utf-8"), "records.jsonl")


@pytest.fixture(scope="module")
def cluster():
    if MISSING_DASK:
        pytest.skip(MISSING_DASK)
    """A real cluster of two worker processes, and its client."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as local, distributed.Client(local) as client:
        yield client


@pytest.fixture(scope="module")
def process_pool():
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        yield pool


@pytest.fixture
def no_children_left():
    """A check that no child process started since the test began is left
    (the module's own pool, made earlier, stays)."""
    before = set(multiprocessing.active_children())
    return lambda: set(multiprocessing.active_children()) <= before


# -- byte_ranges -----------------------------------------------------------


def _check_cover(ranges, total):
    assert ranges[0][0] == 0 and ranges[-1][1] == total
    assert all(a == prev_b for (a, _), (_, prev_b) in zip(ranges[1:], ranges))
    lengths = [b - a for a, b in ranges]
    if total == 0:
        assert ranges == [(0, 0)]
    else:
        assert min(lengths) >= 1
    assert max(lengths) - min(lengths) <= 1
    assert all(type(a) is int and type(b) is int for a, b in ranges)


# A free-threaded build runs the ranges on threads by default (the choice
# _parallel makes): no child processes, and any function will do.
processes_only = pytest.mark.skipif(
    not _parallel._gil_enabled(),
    reason="a free-threaded build runs the ranges on threads, not processes",
)

class TestByteRanges:
    @given(total=st.integers(0, 3000), parts=st.integers(1, 100))
    def test_parts_cover_the_file_exactly(self, total, parts):
        ranges = byte_ranges(io.BytesIO(bytes(total)), parts)
        _check_cover(ranges, total)
        assert len(ranges) == max(1, min(parts, total))

    @given(total=st.integers(0, 3000), size=st.integers(1, 4000))
    def test_size_covers_the_file_exactly(self, total, size):
        ranges = byte_ranges(io.BytesIO(bytes(total)), size=size)
        _check_cover(ranges, total)
        assert len(ranges) == max(1, -(-total // size))
        assert all(b - a <= size for a, b in ranges)

    def test_path_and_file_object_agree(self, tmp_path):
        path = tmp_path / "f"
        path.write_bytes(b"x" * 1001)
        with open(path, "rb") as f:
            f.seek(17)
            assert byte_ranges(f, 7) == byte_ranges(path, 7) == byte_ranges(str(path), 7)
            assert f.tell() == 17  # the position is left as it was
        assert byte_ranges(path, size=100)[-1] == (910, 1001)

    def test_empty_file(self, tmp_path):
        path = tmp_path / "empty"
        path.write_bytes(b"")
        assert byte_ranges(path, 4) == byte_ranges(path, size=10) == [(0, 0)]

    @with_impl
    @given(data=LINES, parts=st.integers(1, 40), keepends=st.booleans())
    def test_read_lines_over_the_ranges_is_one_pass(self, impl, data, parts, keepends):
        # arbitrary bytes are read as they are (hypothesis finds compressed data's magic)
        whole = list(impl.read_lines(io.BytesIO(data), keepends=keepends, compression=None))
        f = io.BytesIO(data)
        got = [
            line
            for a, b in byte_ranges(f, parts, compression=None)
            for line in impl.read_lines(f, keepends=keepends, start=a, stop=b, compression=None)
        ]
        assert got == whole

    @with_impl
    @given(data=st.binary(max_size=300), parts=st.integers(1, 40), size=st.integers(1, 50))
    def test_read_chunks_over_the_ranges_is_the_file(self, impl, data, parts, size):
        f = io.BytesIO(data)
        ranges = byte_ranges(f, parts, compression=None)
        chunks = [c for a, b in ranges for c in impl.read_chunks(f, size, start=a, stop=b)]
        assert b"".join(chunks) == data

    @with_impl
    @given(
        rows=st.lists(st.lists(FIELD, min_size=1, max_size=4), max_size=12),
        lineterminator=st.sampled_from(["\r\n", "\n"]),
        parts=st.integers(1, 60),
    )
    def test_read_csv_over_the_ranges_is_dict_reader(self, impl, tmp_path_factory, rows, lineterminator, parts):
        """Quoted fields holding newlines, delimiters and quotes: a range
        boundary inside one never tears a row."""
        path = write(tmp_path_factory, csv_bytes(rows, lineterminator))
        with open(path, newline="", encoding="utf-8") as f:
            expected = list(csv.DictReader(f))
        got = [row for a, b in byte_ranges(path, parts) for row in impl.read_csv(path, start=a, stop=b)]
        assert got == expected

    @pytest.mark.parametrize(
        "args, kwargs, exc, message",
        [
            ((), {}, TypeError, "byte_ranges() takes parts or size: exactly one of the two"),
            ((2,), {"size": 3}, TypeError, "byte_ranges() takes parts or size: exactly one of the two"),
            ((0,), {}, ValueError, "parts must be at least 1, not 0"),
            ((), {"size": -1}, ValueError, "size must be at least 1, not -1"),
            (("2",), {}, TypeError, "'str' object cannot be interpreted as an integer"),
            ((2.0,), {}, TypeError, "'float' object cannot be interpreted as an integer"),
        ],
    )
    def test_bad_parts_or_size(self, lines_file, args, kwargs, exc, message):
        with pytest.raises(exc) as info:
            byte_ranges(lines_file, *args, **kwargs)
        assert str(info.value) == message

    def test_bad_sources(self, tmp_path):
        with pytest.raises(FileNotFoundError):
            byte_ranges(tmp_path / "missing", 2)
        with pytest.raises(IsADirectoryError):
            byte_ranges(tmp_path, 2)
        with pytest.raises(TypeError, match="not bytes data"):
            byte_ranges(b"abc", 2)
        (tmp_path / "t").write_text("abc")
        with open(tmp_path / "t", encoding="utf-8") as text, pytest.raises(TypeError, match="binary file"):
            byte_ranges(text, 2)
        r, w = os.pipe()
        with open(r, "rb") as pipe, open(w, "wb"):
            with pytest.raises(io.UnsupportedOperation, match="cannot seek"):
                byte_ranges(pipe, 2)
        if hasattr(os, "mkfifo"):  # (not on Windows)
            os.mkfifo(tmp_path / "fifo")
            with pytest.raises(io.UnsupportedOperation, match="needs a regular file"):
                byte_ranges(tmp_path / "fifo", 2)


# -- process_ranges --------------------------------------------------------


def sequential(func, cls, path, parts, **kwargs):
    return [func(cls(path, start=a, stop=b, **kwargs)) for a, b in byte_ranges(path, parts)]


class TestProcessRanges:
    @pytest.mark.parametrize("pool", ["default", "threads", "processes"])
    def test_equals_a_sequential_run(self, impl, pool, process_pool, lines_file, csv_file, no_children_left):
        executor = {"default": None, "threads": concurrent.futures.ThreadPoolExecutor(3), "processes": process_pool}[pool]
        try:
            for cls, path, kwargs in [
                (impl.read_lines, lines_file, {"encoding": "utf-8"}),
                (impl.read_csv, csv_file, {}),
                (impl.read_chunks, lines_file, {"size": 100}),
            ]:
                for parts in (1, 5, 16):
                    got = list(process_ranges(items_of, cls, path, parts=parts, workers=2, executor=executor, **kwargs))
                    assert got == sequential(items_of, cls, path, parts, **kwargs)
                    items = [x for part in got for x in part]
                    if cls is impl.read_chunks:  # (each range has its own last, short chunk)
                        assert b"".join(items) == path.read_bytes()
                    else:
                        assert items == list(cls(path, **kwargs))
        finally:
            if pool == "threads":
                executor.shutdown()
        if pool != "processes":  # (the module's pool starts its processes when used)
            assert no_children_left()

    def test_reader_by_name_is_the_active_twin(self, impl, lines_file):
        """The caller's twin (as ``_select.CLASSES`` gives it) reads in the workers."""
        module = type(impl.read_lines(lines_file)).__module__
        for reader in ("read_lines", impl.read_lines):
            got = list(process_ranges(twin_of, reader, lines_file, parts=2, workers=2))
            assert [m for m, _ in got] == [module, module]

    def test_spawned_workers_inherit_the_twin_switch(self, lines_file, monkeypatch):
        """A fresh worker process inherits CYITER_PURE_PYTHON, so its own
        ``import cyiter`` picks the twin the caller's environment says."""
        monkeypatch.setenv("CYITER_PURE_PYTHON", "1")
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
            got = list(process_ranges(twin_of, "read_lines", lines_file, parts=2, executor=pool))
        assert {implementation for _, implementation in got} == {"python"}

    def test_default_parts_are_four_per_worker(self, lines_file):
        assert len(list(process_ranges(count_items, "read_lines", lines_file, workers=2))) == 8
        results = list(process_ranges(count_items, "read_lines", lines_file, workers=1))
        assert len(results) == 4 and sum(results) == 3000

    @pytest.mark.parametrize("pool", ["default", "threads"])
    def test_an_error_names_its_range(self, impl, tmp_path, pool, no_children_left):
        path = tmp_path / "boom.txt"
        path.write_bytes(b"a\n" * 500 + b"boom\n" + b"b\n" * 500)
        ranges = byte_ranges(path, 4)
        executor = concurrent.futures.ThreadPoolExecutor(2) if pool == "threads" else None
        with pytest.raises(ValueError) as info:
            list(process_ranges(fail_on_boom, impl.read_lines, path, parts=4, workers=2, executor=executor))
        assert info.value.args == ("found a boom",)
        a, b = ranges[1]
        assert a <= 1000 < b  # the boom line starts in the second range
        assert info.value.__notes__ == [
            f"process_ranges: raised for range 2 of 4, read_lines({str(path)!r}, start={a}, stop={b})"
        ]
        if executor is not None:
            executor.shutdown()
        assert no_children_left()

    @processes_only
    def test_unpicklable_func_or_argument_fails_at_once(self, lines_file, no_children_left):
        def local(reader):
            return 0

        for func in (lambda reader: 0, local):
            with pytest.raises(TypeError, match="define it at module level") as info:
                process_ranges(func, "read_lines", lines_file)
            assert "sends func to worker processes" in str(info.value)
        with pytest.raises(TypeError, match="the reader argument restval="):
            process_ranges(count_items, "read_csv", lines_file, restval=threading.Lock())
        pool = concurrent.futures.ProcessPoolExecutor(1)
        with pytest.raises(TypeError, match="define it at module level"):
            process_ranges(local, "read_lines", lines_file, executor=pool)
        pool.shutdown()
        # threads need no pickling
        with concurrent.futures.ThreadPoolExecutor(2) as threads:
            assert list(process_ranges(lambda r: 1, "read_lines", lines_file, parts=3, executor=threads)) == [1] * 3
        assert no_children_left()

    @processes_only
    def test_stopping_early_shuts_the_pool_down(self, lines_file, no_children_left):
        it = process_ranges(pid_of, "read_lines", lines_file, parts=50, workers=2)
        pids = {next(it), next(it)}
        assert not no_children_left()
        it.close()
        assert no_children_left()
        assert all(not os.path.exists(f"/proc/{pid}") for pid in pids)
        it = process_ranges(pid_of, "read_lines", lines_file, parts=50, workers=2)
        next(it)
        del it
        gc.collect()
        assert no_children_left()

    def test_stopping_early_cancels_the_ranges_not_started(self, lines_file):
        started = []
        gate = threading.Event()

        def record(reader):
            started.append(reader)
            gate.wait(10)
            return len(started)

        with concurrent.futures.ThreadPoolExecutor(1) as threads:
            it = process_ranges(record, "read_lines", lines_file, parts=20, workers=2, executor=threads)
            gate.set()
            next(it)
            it.close()
        assert 1 <= len(started) < 20

    def test_results_come_in_range_order_as_soon_as_ready(self, lines_file):
        """The first result is yielded while a later range is still running."""
        last = threading.Event()

        def slow_last(reader):
            first_line = next(reader)
            if first_line.startswith(b"line 0 "):
                return "first"
            assert last.wait(10)
            return "later"

        with concurrent.futures.ThreadPoolExecutor(4) as threads:
            it = process_ranges(slow_last, "read_lines", lines_file, parts=4, executor=threads)
            assert next(it) == "first"
            last.set()
            assert list(it) == ["later"] * 3

    def test_not_started_until_iterated(self, lines_file, no_children_left):
        it = process_ranges(pid_of, "read_lines", lines_file, workers=2)
        assert no_children_left()
        it.close()
        assert no_children_left()

    @pytest.mark.parametrize(
        "call, exc, message",
        [
            (lambda p: process_ranges(1, "read_lines", p), TypeError, "process_ranges needs a callable func, not int"),
            (lambda p: process_ranges(len, "nope", p), TypeError, "process_ranges needs a cyiter reader class or its name"),
            (lambda p: process_ranges(len, cyiter.batched, p), TypeError, "process_ranges needs a cyiter reader class"),
            (lambda p: process_ranges(len, "read_lines", io.BytesIO()), TypeError, "process_ranges needs a path"),
            (lambda p: process_ranges(len, "read_lines", p, workers=0), ValueError, "workers must be at least 1, not 0"),
            (lambda p: process_ranges(len, "read_lines", p, parts=0), ValueError, "parts must be at least 1, not 0"),
            (lambda p: process_ranges(len, "read_lines", p, executor=4), TypeError, "executor must be a concurrent.futures.Executor"),
            (lambda p: process_ranges(len, "read_lines", p, start=3), TypeError, "process_ranges sets start and stop"),
            (lambda p: process_ranges(len, "read_lines", p, encoding="utf-16"), ValueError, "ASCII-compatible"),
            (lambda p: process_ranges(len, "read_lines", p, bogus=1), TypeError, "bogus"),
            (lambda p: process_ranges(len, "read_lines", p.parent / "missing"), FileNotFoundError, ""),
        ],
    )
    def test_bad_arguments_fail_at_once(self, lines_file, call, exc, message, no_children_left):
        with pytest.raises(exc) as info:
            call(lines_file)
        assert message in str(info.value)
        assert no_children_left()

    def test_a_file_changed_since_the_split(self, tmp_path):
        path = tmp_path / "grows.txt"
        path.write_bytes(b"a\n" * 100)

        def grow_then_count(reader):
            # the first range grows the file before its one thread opens
            # the second (growing it from the test raced with that)
            if reader.offset == 0:
                with open(path, "ab") as f:
                    f.write(b"b\n")
            return count_items(reader)

        with concurrent.futures.ThreadPoolExecutor(1) as threads:
            it = process_ranges(grow_then_count, "read_lines", path, parts=2, executor=threads, workers=1)
            assert next(it) == 50
            with pytest.raises(ValueError, match="changed .* since it was split"):
                list(it)


@needs_dask
class TestOnACluster:
    """One distributed.LocalCluster (two worker processes) for every test here."""

    def test_process_ranges_with_the_client_executor(self, impl, cluster, lines_file, csv_file):
        executor = cluster.get_executor()
        for cls, path in [(impl.read_lines, lines_file), (impl.read_csv, csv_file)]:
            got = list(process_ranges(items_of, cls, path, parts=5, executor=executor))
            assert got == sequential(items_of, cls, path, 5)
        module = type(impl.read_lines(lines_file)).__module__
        assert {m for m, _ in process_ranges(twin_of, impl.read_lines, lines_file, parts=3, executor=executor)} == {module}

    def test_an_error_on_the_cluster_names_its_range(self, cluster, tmp_path):
        path = tmp_path / "boom.txt"
        path.write_bytes(b"a\n" * 10 + b"boom\n")
        with pytest.raises(ValueError, match="found a boom") as info:
            list(process_ranges(fail_on_boom, "read_lines", path, parts=2, executor=cluster.get_executor()))
        assert "range 2 of 2" in info.value.__notes__[0]

    @pytest.mark.parametrize("reader", ["read_lines", "read_csv", "read_jsonl"])
    def test_dask_bags_on_the_cluster(self, impl, cluster, reader, several_files):
        paths, kwargs = several_files[reader]
        bag = getattr(cyiter.dask, reader)(paths, blocksize=20_000, **kwargs)
        assert bag.npartitions > len(paths)
        expected = [x for p in paths for x in getattr(impl, reader)(p, **kwargs)]
        assert bag.compute(scheduler=cluster) == expected
        assert bag.count().compute(scheduler=cluster) == len(expected)


# -- cyiter.dask -----------------------------------------------------------


@pytest.fixture(scope="module")
def several_files(tmp_path_factory, lines_file, csv_file, jsonl_file):
    """Per reader: a few files (one empty, one without a final newline) and
    reader arguments."""
    d = tmp_path_factory.mktemp("several")
    (d / "a.txt").write_bytes(b"\n".join(b"a%d" % i for i in range(500)))
    (d / "b.txt").write_bytes(b"")
    (d / "c.csv").write_bytes(csv_bytes([[1, "x\ny", 2]], "\n"))
    (d / "d.jsonl").write_bytes(b'\n\n{"a": [1, 2]}\r\n  \n"x"')
    return {
        "read_lines": ([str(lines_file), str(d / "a.txt"), str(d / "b.txt")], {"keepends": True}),
        "read_csv": ([str(csv_file), str(d / "c.csv"), str(csv_file)], {}),
        "read_jsonl": ([str(jsonl_file), str(d / "d.jsonl"), str(d / "b.txt")], {}),
    }


def test_docstring_examples(impl, monkeypatch):
    """The examples in the docstrings of the functions written once over both twins."""
    import doctest

    for name, cls in impl.classes.items():
        if name in cyiter.__all__:  # (the async twins live in cyiter.aio)
            monkeypatch.setattr(cyiter, name, cls)
    attempted = 0
    for name in ("byte_ranges", "process_ranges"):
        for test in doctest.DocTestFinder().find(getattr(cyiter, name), name, globs={}):
            result = doctest.DocTestRunner().run(test)
            assert result.failed == 0, name
            attempted += result.attempted
    assert attempted > 0


@needs_dask
class TestDask:
    @pytest.mark.parametrize("scheduler", ["sync", "processes"])
    @pytest.mark.parametrize("reader", ["read_lines", "read_csv", "read_jsonl"])
    def test_bags_equal_one_pass(self, impl, reader, scheduler, several_files, process_pool):
        paths, kwargs = several_files[reader]
        options = {"pool": process_pool} if scheduler == "processes" else {}
        bag = getattr(cyiter.dask, reader)(paths, blocksize="1 KiB", **kwargs)
        assert bag.npartitions == sum(len(byte_ranges(p, size=1024)) for p in paths)
        expected = [x for p in paths for x in getattr(impl, reader)(p, **kwargs)]
        assert bag.compute(scheduler=scheduler, **options) == expected
        assert bag.count().compute(scheduler=scheduler, **options) == len(expected)

    def test_the_graph_holds_ranges_and_the_callers_twin(self, impl, other_impl, lines_file):
        """What goes to the workers is the ranges (no data) and the class of
        the caller's twin, by name."""
        graph = pickle.dumps(dict(cyiter.dask.read_lines(lines_file, blocksize=4096).dask))
        assert len(graph) < os.path.getsize(lines_file) / 4
        assert type(impl.read_lines(lines_file)).__module__.encode() in graph
        assert type(other_impl.read_lines(lines_file)).__module__.encode() not in graph

    @pytest.mark.parametrize(
        "blocksize, parts", [(None, 1), (10_000, 9), ("10kB", 9), ("10 KiB", 9), ("20 KiB", 5), ("1MiB", 1)]
    )
    def test_blocksize(self, lines_file, blocksize, parts):
        assert os.path.getsize(lines_file) == 85839
        bag = cyiter.dask.read_csv(lines_file, blocksize=blocksize)
        assert bag.npartitions == parts

    def test_globs_and_lists(self, tmp_path):
        for name in ("b", "a", "c"):
            (tmp_path / f"{name}.txt").write_bytes(name.encode() * 3 + b"\n")
        (tmp_path / "d.log").write_bytes(b"no\n")
        pattern = str(tmp_path / "*.txt")
        assert cyiter.dask.read_lines(pattern).compute(scheduler="sync") == [b"aaa", b"bbb", b"ccc"]
        paths = [tmp_path / "c.txt", str(tmp_path / "*.log")]
        assert cyiter.dask.read_lines(paths, encoding="ascii").compute(scheduler="sync") == ["ccc", "no"]

    @pytest.mark.parametrize(
        "call, exc, message",
        [
            (lambda d: cyiter.dask.read_lines(d / "missing.txt"), FileNotFoundError, "missing.txt"),
            (lambda d: cyiter.dask.read_lines(str(d / "*.none")), FileNotFoundError, "*.none"),
            (lambda d: cyiter.dask.read_lines([]), ValueError, "needs at least one path"),
            (lambda d: cyiter.dask.read_lines(io.BytesIO()), TypeError, "needs a path"),
            (lambda d: cyiter.dask.read_lines(d / "f", blocksize=0), ValueError, "blocksize must be at least 1, not 0"),
            (lambda d: cyiter.dask.read_lines(d / "f", blocksize="lots"), ValueError, "lots"),
            (lambda d: cyiter.dask.read_lines(d / "f", blocksize=1.5), TypeError, "float"),
            (lambda d: cyiter.dask.read_lines(d / "f", stop=3), TypeError, "sets start and stop"),
            (lambda d: cyiter.dask.read_csv(d / "f", delimiter="ab"), TypeError, "1-character string"),
            (lambda d: cyiter.dask.read_csv(d / "f", nope=1), TypeError, "nope"),
        ],
    )
    def test_bad_arguments_fail_at_once(self, tmp_path, call, exc, message):
        (tmp_path / "f").write_bytes(b"a\n")
        with pytest.raises(exc) as info:
            call(tmp_path)
        assert message in str(info.value)

    def test_a_file_changed_since_the_bag_was_made(self, tmp_path):
        path = tmp_path / "f.txt"
        path.write_bytes(b"a\n" * 10)
        bag = cyiter.dask.read_lines(path, blocksize=8)
        path.write_bytes(b"b\n" * 11)
        with pytest.raises(ValueError, match="changed .* since it was split"):
            bag.compute(scheduler="sync")

    def test_public_names(self):
        assert cyiter.dask.__all__ == ["read_lines", "read_csv", "read_jsonl"]
        for name in cyiter.dask.__all__:
            function = getattr(cyiter.dask, name)
            assert function.__name__ == name and function.__module__ == "cyiter.dask"
            assert f"cyiter.{name}(path" in function.__doc__

    def test_without_dask_the_import_error_names_the_extra(self):
        code = "import sys; sys.modules['dask'] = None; import cyiter.dask"
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert out.returncode == 1
        assert "ImportError: cyiter.dask needs dask's bags" in out.stderr
        assert "pip install 'cyiter[dask]'" in out.stderr


# -- compressed files --------------------------------------------------------

#: The real compressors, by the kind the readers name.
COMPRESSORS = {
    "gzip": gzip.compress,
    "bz2": bz2.compress,
    "xz": lzma.compress,
}
if zstandard is not None:
    COMPRESSORS["zstd"] = zstandard.ZstdCompressor().compress


@pytest.fixture(scope="module")
def compressed(tmp_path_factory, lines_file, jsonl_file):
    """Per kind: the lines file and the JSON Lines file compressed by it, each
    bigger than the range sizes the tests ask for."""
    d = tmp_path_factory.mktemp("compressed")
    files = {}
    for kind, compress in COMPRESSORS.items():
        files[kind] = []
        for plain in (lines_file, jsonl_file):
            path = d / f"{plain.name}.{kind}"
            path.write_bytes(compress(plain.read_bytes()))
            assert os.path.getsize(path) > 1000
            files[kind].append(path)
    return files


class TestCompressed:
    """A compressed stream can only be read from its start: byte_ranges
    refuses to split one, process_ranges and cyiter.dask give it one range,
    whatever parts or blocksize ask, as the reader would find it
    (compression="infer", or named)."""

    @pytest.mark.parametrize("kind", COMPRESSORS)
    def test_byte_ranges_refuses_compressed_data(self, kind, compressed, lines_file):
        # (byte_ranges is one function over both twins: no impl here)
        path = compressed[kind][0]
        message = f"byte_ranges cannot split {kind}-compressed data: a compressed stream"
        with pytest.raises(ValueError, match=message):
            byte_ranges(path, 4)
        with open(path, "rb") as f, pytest.raises(ValueError, match=message):
            f.seek(5)
            try:
                byte_ranges(f, size=100)
            finally:
                assert f.tell() == 5  # (the position is left as it was)
        # the bytes as they are, as read_chunks reads them by default
        total = os.path.getsize(path)
        _check_cover(byte_ranges(path, 4, compression=None), total)
        # a kind named is believed, as by the readers
        with pytest.raises(ValueError, match=f"cannot split {kind}-compressed"):
            byte_ranges(lines_file, 2, compression=kind)
        with pytest.raises(ValueError, match="compression must be None, 'infer'"):
            byte_ranges(lines_file, 2, compression="zip")

    @pytest.mark.parametrize("kind", COMPRESSORS)
    @pytest.mark.parametrize("pool", ["threads", "processes"])
    def test_process_ranges_reads_a_compressed_file_whole(self, impl, kind, pool, compressed, lines_file, jsonl_file, process_pool):
        lines_path, jsonl_path = compressed[kind]
        executor = concurrent.futures.ThreadPoolExecutor(2) if pool == "threads" else process_pool
        try:
            for cls, path, plain in [(impl.read_lines, lines_path, lines_file), (impl.read_jsonl, jsonl_path, jsonl_file)]:
                got = list(process_ranges(items_of, cls, path, parts=4, executor=executor))
                assert got == [list(cls(plain))]
            got = list(process_ranges(items_of, impl.read_csv, lines_path, parts=3, executor=executor, compression=kind))
            assert got == [list(impl.read_csv(lines_file))]
            # read_chunks reads the bytes as they are unless told otherwise
            raw = list(process_ranges(items_of, impl.read_chunks, lines_path, parts=3, executor=executor))
            assert len(raw) == 3 and b"".join(b"".join(part) for part in raw) == lines_path.read_bytes()
            whole = list(process_ranges(items_of, impl.read_chunks, lines_path, parts=3, executor=executor, compression="infer"))
            assert len(whole) == 1 and b"".join(whole[0]) == lines_file.read_bytes()
        finally:
            if pool == "threads":
                executor.shutdown()

    def test_an_error_in_a_compressed_range_names_it_whole(self, impl, tmp_path):
        path = tmp_path / "boom.txt.gz"
        path.write_bytes(gzip.compress(b"a\n" * 10 + b"boom\n"))
        with concurrent.futures.ThreadPoolExecutor(1) as threads, pytest.raises(ValueError) as info:
            list(process_ranges(fail_on_boom, impl.read_lines, path, parts=4, executor=threads))
        assert info.value.__notes__ == [
            f"process_ranges: raised for range 1 of 1, read_lines({str(path)!r}, start=0, stop=None)"
        ]

    @needs_dask
    @pytest.mark.parametrize("scheduler", ["sync", "processes"])
    def test_dask_gives_a_compressed_file_one_partition(self, impl, scheduler, compressed, lines_file, jsonl_file, process_pool):
        options = {"pool": process_pool} if scheduler == "processes" else {}
        lines = [lines_file, *(files[0] for files in compressed.values())]
        bag = cyiter.dask.read_lines(lines, blocksize=10_000, encoding="utf-8")
        assert bag.npartitions == len(byte_ranges(lines_file, size=10_000)) + len(COMPRESSORS)
        assert bag.compute(scheduler=scheduler, **options) == list(
            impl.read_lines(lines_file, encoding="utf-8")
        ) * (1 + len(COMPRESSORS))
        records = [files[1] for files in compressed.values()]
        bag = cyiter.dask.read_jsonl(records, blocksize=1000)
        assert bag.npartitions == len(COMPRESSORS)
        assert bag.compute(scheduler=scheduler, **options) == list(impl.read_jsonl(jsonl_file)) * len(COMPRESSORS)
        # a compressed file read as it is is split like any other
        bag = cyiter.dask.read_lines(lines[1], blocksize=1000, compression=None)
        assert bag.npartitions == len(byte_ranges(lines[1], size=1000, compression=None)) > 1
        assert b"".join(bag.compute(scheduler=scheduler, **options)) == b"".join(
            impl.read_lines(lines[1], compression=None)
        )

    @needs_dask
    def test_dask_on_the_cluster(self, impl, cluster, compressed, csv_file, tmp_path):
        path = tmp_path / "table.csv.xz"
        path.write_bytes(COMPRESSORS["xz"](csv_file.read_bytes()))
        bag = cyiter.dask.read_csv([csv_file, path, str(compressed["bz2"][1])], blocksize=20_000, compression="infer")
        assert bag.npartitions == len(byte_ranges(csv_file, size=20_000)) + 2
        expected = [*impl.read_csv(csv_file), *impl.read_csv(path), *impl.read_csv(compressed["bz2"][1])]
        assert bag.compute(scheduler=cluster) == expected

    @needs_dask
    def test_a_reader_refuses_what_cannot_be_read_whole_either(self, compressed):
        """The reader's own checks run at creation on a compressed file too."""
        path = compressed["gzip"][0]
        with pytest.raises(TypeError, match="1-character string"):
            process_ranges(count_items, "read_csv", path, delimiter="ab")
        with pytest.raises(TypeError, match="1-character string"):
            cyiter.dask.read_csv(path, delimiter="ab")


# -- the README's examples -------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_scripts():
    """The Python scripts of the README's section on many cores."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Many cores and many machines\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    return [block for block in blocks if not block.startswith(">>>")]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    """The files the README's examples read."""
    d = tmp_path_factory.mktemp("readme")
    big = [b"ERROR %d" % i if i % 7 == 0 else b"ok %d" % i for i in range(5000)]
    (d / "big.log").write_bytes(b"\n".join(big) + b"\n")
    cities = ["Oslo"] * 50 + ["Lima\nnorth"] * 30 + ["Pune, west"] * 20 + ["Rome"] * 5
    (d / "table.csv").write_bytes(csv_bytes([[i, c, i] for i, c in enumerate(cities * 20)]).replace(b"x,y,z", b"id,city,n", 1))
    (d / "logs").mkdir()
    (d / "logs" / "a.log").write_bytes(b"ERROR\nok\nERROR\n")
    (d / "logs" / "b.log").write_bytes(b"ok\nERROR")
    return d


@pytest.mark.skipif(not README.exists(), reason="README.md is not shipped with an installed package")
# The examples run in a child process: this one runs only open(), csv and
# subprocess, no cyiter code to check.  (After the whole module, the last of
# them grew this process by 30 references a run; run alone, by none.)
@pytest.mark.no_refleak_check
class TestReadme:
    """Each example runs as a script, in a directory holding the files it
    names, and prints what one pass of the plain csv module or file
    iteration gives."""

    def expected(self, workdir):
        with open(workdir / "big.log", "rb") as f:
            errors = sum(1 for line in f if b"ERROR" in line)
        with open(workdir / "table.csv", newline="", encoding="utf-8") as f:
            by_city = Counter(row["city"] for row in csv.DictReader(f))
        return errors, by_city.most_common(3)

    def run(self, workdir, script):
        (workdir / "example.py").write_text(script, encoding="utf-8")
        out = subprocess.run([sys.executable, "example.py"], cwd=workdir, capture_output=True, text=True)
        assert out.returncode == 0, out.stderr
        return out.stdout

    def test_there_are_three_examples(self):
        assert len(readme_scripts()) == 3

    def test_processes(self, workdir):
        errors, top = self.expected(workdir)
        assert errors == 715 and top[0] == ("Oslo", 1000)
        assert self.run(workdir, readme_scripts()[0]) == f"{errors}\n{top}\n"

    @needs_dask
    def test_a_dask_cluster(self, workdir):
        errors, _ = self.expected(workdir)
        assert self.run(workdir, readme_scripts()[1]) == f"{errors}\n3\n"

    def test_threads(self, workdir):
        errors, _ = self.expected(workdir)
        assert self.run(workdir, readme_scripts()[2]) == f"{errors}\n"
