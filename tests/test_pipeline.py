"""pipeline: its output against the plain generator pipeline, checkpoints,
resuming after errors and after SIGKILL, on both twins.

The reference is the seed's ETL written with generators: csv.DictReader,
a filter, a transform, batches, ``json.dumps(record, separators=(",", ":"),
ensure_ascii=False)`` per line (what write_jsonl writes for str, int and
short floats).
"""

import csv
import gzip
import io
import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import tracemalloc
from itertools import islice
from pathlib import Path

import pipeline_support
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pipeline_support import keep, transform
from test_compression import ZSTD

import cyiter
from cyiter import _checkpoint, _parallel, _pipeline

with_impl = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
SUPPORT = Path(pipeline_support.__file__)


def write_csv(path, rows, header=("id", "name", "amount", "note")):
    with open(path, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(header)
        out.writerows(rows)
    return str(path)


def generator_pipeline(src, dst, pred=keep, fn=transform, size=100):
    """The seed's ETL: read, keep some rows, transform them, batch them, write."""
    with open(src, newline="", encoding="utf-8") as f, open(dst, "w", encoding="utf-8", newline="") as out:
        records = map(fn, filter(pred, csv.DictReader(f)))
        while batch := list(islice(records, size)):
            out.write("".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n" for r in batch))
    return Path(dst).read_bytes()


def sample_rows(n, seed=1):
    rng = random.Random(seed)
    notes = ["plain", "a, b", 'he said "hi"', "two\nlines", "naïve café", ""]
    return [
        [i, rng.choice(["ann", "bob", "cy", "dé"]), f"{rng.uniform(-50, 100):.2f}", rng.choice(notes)]
        for i in range(n)
    ]


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
ROWS = st.lists(
    st.tuples(st.integers(0, 10**6), TEXT, st.integers(-10**6, 10**6).map(lambda c: f"{c / 100:.2f}"), TEXT),
    max_size=60,
)


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of a few records, so that small files make many of them."""
    monkeypatch.setattr(_pipeline, "BATCH_BYTES", 200)
    monkeypatch.setattr(_pipeline, "BATCH_STEP", 3)
    monkeypatch.setattr(_pipeline, "PART_BYTES", 1500)
    monkeypatch.setattr(_pipeline, "CHECKPOINT_SECONDS", 0.0)


class TestOutput:
    @with_impl
    @given(rows=ROWS, batch_bytes=st.integers(1, 3000), step=st.integers(1, 20), part_bytes=st.integers(1, 5000))
    def test_equals_the_generator_pipeline(self, impl, tmp_path, monkeypatch, rows, batch_bytes, step, part_bytes):
        monkeypatch.setattr(_pipeline, "BATCH_BYTES", batch_bytes)
        monkeypatch.setattr(_pipeline, "BATCH_STEP", step)
        monkeypatch.setattr(_pipeline, "PART_BYTES", part_bytes)
        src = write_csv(tmp_path / "in.csv", rows)
        expected = generator_pipeline(src, tmp_path / "ref.jsonl")
        p = cyiter.pipeline(impl.read_csv(src)).filter(keep).map(transform)
        count = p.write_jsonl(tmp_path / "out.jsonl")
        assert (tmp_path / "out.jsonl").read_bytes() == expected
        assert count == expected.count(b"\n")
        assert list(cyiter.pipeline(impl.read_csv(src)).filter(keep).map(transform)) == [
            json.loads(line) for line in expected.splitlines()
        ]

    @with_impl
    @given(rows=ROWS, batch_bytes=st.integers(1, 3000), part_bytes=st.integers(1, 5000))
    def test_checkpointed_and_compressed_output_is_the_same(self, impl, tmp_path, monkeypatch, rows, batch_bytes, part_bytes):
        monkeypatch.setattr(_pipeline, "BATCH_BYTES", batch_bytes)
        monkeypatch.setattr(_pipeline, "PART_BYTES", part_bytes)
        src = write_csv(tmp_path / "in.csv", rows)
        expected = generator_pipeline(src, tmp_path / "ref.jsonl")
        p = cyiter.pipeline(impl.read_csv(src)).filter(keep).map(transform)
        p.write_jsonl(tmp_path / "plain.jsonl.gz")
        p = cyiter.pipeline(impl.read_csv(src)).filter(keep).map(transform)
        p.write_jsonl(tmp_path / "out.jsonl.gz", checkpoint=tmp_path / "ck")
        compressed = (tmp_path / "out.jsonl.gz").read_bytes()
        assert gzip.decompress(compressed) == expected
        # one gzip member per batch, cut by the same rule with or without checkpoints
        assert compressed == (tmp_path / "plain.jsonl.gz").read_bytes()
        assert sorted(os.listdir(tmp_path)) == ["in.csv", "out.jsonl.gz", "plain.jsonl.gz", "ref.jsonl"]

    def test_stages_run_in_order_and_chain_without_changing_the_original(self, impl, tmp_path):
        src = write_csv(tmp_path / "in.csv", sample_rows(20))
        base = cyiter.pipeline(impl.read_csv(src))
        doubled = base.map(lambda r: int(r["id"]) * 2)
        assert list(doubled.filter(lambda n: n % 3 == 0)) == [n * 2 for n in range(20) if n * 2 % 3 == 0]
        assert base._stages == ()

    def test_every_reader_can_feed_it(self, impl, tmp_path):
        (tmp_path / "in.jsonl").write_bytes(b'{"a": 1}\n\n{"a": 2}\n')
        p = cyiter.pipeline(impl.read_jsonl(str(tmp_path / "in.jsonl"))).map(lambda r: r["a"])
        assert p.write_jsonl(tmp_path / "out.jsonl") == 2
        assert (tmp_path / "out.jsonl").read_bytes() == b"1\n2\n"
        lines = cyiter.pipeline(impl.read_lines(io.BytesIO(b"x\ny\n"), encoding="utf-8"))
        assert lines.write_jsonl(tmp_path / "lines.jsonl") == 2
        assert (tmp_path / "lines.jsonl").read_bytes() == b'"x"\n"y"\n'

    @pytest.mark.skipif(not os.path.exists("/proc/self/cmdline"), reason="no /proc")
    def test_a_file_without_a_size_is_read_whole(self, impl, tmp_path):
        """A /proc file says it has no bytes: read as it is, not split."""
        p = cyiter.pipeline(impl.read_lines("/proc/self/mounts", encoding="utf-8"))
        assert p.write_jsonl(tmp_path / "out.jsonl") > 0
        with pytest.raises(ValueError, match="and the file has no size to split"):
            cyiter.pipeline(impl.read_lines("/proc/self/mounts")).write_jsonl(tmp_path / "out.jsonl", workers=2)

    def test_bad_arguments_fail_at_once(self, impl, tmp_path):
        with pytest.raises(TypeError, match="needs a cyiter reader"):
            cyiter.pipeline([1, 2])
        p = cyiter.pipeline(impl.read_lines(io.BytesIO(b"x\n")))
        with pytest.raises(TypeError, match="pipeline.map needs a callable, not int"):
            p.map(1)
        with pytest.raises(TypeError, match="pipeline.filter needs a callable"):
            p.filter("x")
        with pytest.raises(ValueError, match="workers must be at least 1, not 0"):
            p.write_jsonl(tmp_path / "o.jsonl", workers=0)
        with pytest.raises(TypeError, match="progress must be None, True or False"):
            p.write_jsonl(tmp_path / "o.jsonl", progress="yes")
        assert os.listdir(tmp_path) == []

    def test_a_failing_record_leaves_no_file_without_checkpoint(self, impl, tmp_path):
        src = write_csv(tmp_path / "in.csv", sample_rows(50))
        p = cyiter.pipeline(impl.read_csv(src)).map(lambda r: {"bad": {1, 2}} if r["id"] == "40" else r)
        with pytest.raises(TypeError, match="record 40 cannot be written as JSON"):
            p.write_jsonl(tmp_path / "out.jsonl")
        assert os.listdir(tmp_path) == ["in.csv"]

    def test_repr(self, impl, tmp_path):
        src = write_csv(tmp_path / "in.csv", [])
        p = cyiter.pipeline(impl.read_csv(src)).filter(keep).map(transform)
        assert repr(p) == f"pipeline(<cyiter.read_csv {src!r}>).filter(keep).map(transform)"


def test_memory_is_bounded_by_the_batch(impl, tmp_path, monkeypatch):
    """Six times the input, the same peak of traced memory: the buffers
    of a batch's input and output, not the file."""
    monkeypatch.setattr(_pipeline, "BATCH_BYTES", 32 << 10)
    peaks = []
    for rows in (10_000, 60_000):
        src = write_csv(tmp_path / f"in{rows}.csv", sample_rows(rows))
        tracemalloc.start()
        try:
            p = cyiter.pipeline(impl.read_csv(src)).filter(keep).map(transform)
            p.write_jsonl(tmp_path / "out.jsonl.gz", checkpoint=tmp_path / "ck")
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert os.path.getsize(src) > 1_400_000
    assert peaks[1] < 3 << 20 and peaks[1] < 1.25 * peaks[0], peaks


class TestCsvOutput:
    def test_equals_dictwriter(self, impl, tmp_path):
        src = write_csv(tmp_path / "in.csv", sample_rows(300))
        records = list(cyiter.pipeline(impl.read_csv(src)).map(transform))
        for fmt, dialect in (("csv", "excel"), ("tsv", "excel-tab")):
            expected = io.StringIO()
            w = csv.DictWriter(expected, fieldnames=list(records[0]), dialect=dialect)
            w.writeheader()
            w.writerows(records)
            p = cyiter.pipeline(impl.read_csv(src)).map(transform)
            dst = tmp_path / f"out.{fmt}"
            assert _pipeline._write(p, dst, fmt, None, 1, False).records == 300
            assert dst.read_bytes() == expected.getvalue().encode("utf-8")

    def test_a_record_with_other_keys_is_named(self, impl, tmp_path):
        src = write_csv(tmp_path / "in.csv", sample_rows(30))

        def odd(row):
            return {"id": row["id"], "extra": 1} if row["id"] == "17" else {"id": row["id"]}

        p = cyiter.pipeline(impl.read_csv(src)).map(odd)
        with pytest.raises(ValueError, match=r"record 17 has the keys \['id', 'extra'\], not those of the CSV header \['id'\]"):
            _pipeline._write(p, tmp_path / "out.csv", "csv", None, 1, False)
        p = cyiter.pipeline(impl.read_csv(src)).map(lambda r: [r["id"]])
        with pytest.raises(TypeError, match="record 0 cannot be written as CSV: it is a list, not a mapping"):
            _pipeline._write(p, tmp_path / "out.csv", "csv", None, 1, False)

    def test_the_header_survives_a_resume(self, impl, tmp_path, small_batches):
        src = write_csv(tmp_path / "in.csv", sample_rows(100))
        expected_p = cyiter.pipeline(impl.read_csv(src)).map(transform)
        _pipeline._write(expected_p, tmp_path / "ref.csv", "csv", None, 1, False)
        fail = Failing(at=60)
        p = cyiter.pipeline(impl.read_csv(src)).map(fail)
        with pytest.raises(RuntimeError, match="failing at 60"):
            _pipeline._write(p, tmp_path / "out.csv", "csv", tmp_path / "ck", 1, False)
        fail.at = None
        p = cyiter.pipeline(impl.read_csv(src)).map(fail)
        assert _pipeline._write(p, tmp_path / "out.csv", "csv", tmp_path / "ck", 1, False).resumed
        assert (tmp_path / "out.csv").read_bytes() == (tmp_path / "ref.csv").read_bytes()


class Failing:
    """transform, raising at its *at*-th call (the same code either way,
    so a rerun is the same job)."""

    def __init__(self, at):
        self.at = at
        self.calls = 0

    def __call__(self, row):
        self.calls += 1
        if self.calls == self.at:
            raise RuntimeError(f"failing at {self.at}")
        return transform(row)


class TestCheckpoints:
    def start_failing(self, impl, tmp_path, at=150, dst="out.jsonl"):
        """A checkpointed job stopped by an error at record *at*."""
        src = write_csv(tmp_path / "in.csv", sample_rows(400))
        fail = Failing(at)
        p = cyiter.pipeline(impl.read_csv(src)).filter(keep).map(fail)
        with pytest.raises(RuntimeError, match=f"failing at {at}"):
            p.write_jsonl(tmp_path / dst, checkpoint=tmp_path / "ck")
        return src, fail

    def test_an_error_keeps_the_last_batch_and_a_rerun_resumes(self, impl, tmp_path, small_batches):
        src, fail = self.start_failing(impl, tmp_path)
        saved = _checkpoint.load(str(tmp_path / "ck"))
        assert not saved["done"] and 0 < saved["length"] <= os.path.getsize(saved["file"])
        assert not (tmp_path / "out.jsonl").exists()
        fail.at = None
        p = cyiter.pipeline(impl.read_csv(src)).filter(keep).map(fail)
        count = p.write_jsonl(tmp_path / "out.jsonl", checkpoint=tmp_path / "ck")
        expected = generator_pipeline(src, tmp_path / "ref.jsonl")
        assert (tmp_path / "out.jsonl").read_bytes() == expected
        assert count == expected.count(b"\n")
        assert sorted(os.listdir(tmp_path)) == ["in.csv", "out.jsonl", "ref.jsonl"]

    def test_a_resumed_compressed_output_is_byte_identical(self, impl, tmp_path, small_batches):
        src, fail = self.start_failing(impl, tmp_path, dst="out.jsonl.gz")
        fail.at = None
        cyiter.pipeline(impl.read_csv(src)).filter(keep).map(fail).write_jsonl(tmp_path / "out.jsonl.gz", checkpoint=tmp_path / "ck")
        cyiter.pipeline(impl.read_csv(src)).filter(keep).map(transform).write_jsonl(tmp_path / "ref.jsonl.gz")
        assert (tmp_path / "out.jsonl.gz").read_bytes() == (tmp_path / "ref.jsonl.gz").read_bytes()

    def test_a_compressed_input_resumes(self, impl, tmp_path, small_batches):
        src = write_csv(tmp_path / "in.csv", sample_rows(400))
        with open(src, "rb") as f:
            (tmp_path / "in.csv.gz").write_bytes(gzip.compress(f.read()))
        fail = Failing(100)
        p = cyiter.pipeline(impl.read_csv(str(tmp_path / "in.csv.gz"))).filter(keep).map(fail)
        with pytest.raises(RuntimeError):
            p.write_jsonl(tmp_path / "out.jsonl", checkpoint=tmp_path / "ck")
        fail.at = None
        p = cyiter.pipeline(impl.read_csv(str(tmp_path / "in.csv.gz"))).filter(keep).map(fail)
        p.write_jsonl(tmp_path / "out.jsonl", checkpoint=tmp_path / "ck")
        assert (tmp_path / "out.jsonl").read_bytes() == generator_pipeline(src, tmp_path / "ref.jsonl")

    def snapshot(self, tmp_path):
        return {name: (tmp_path / name).read_bytes() for name in os.listdir(tmp_path) if not name.endswith(".lock")}

    def test_other_job_arguments_are_refused_and_nothing_is_written(self, impl, tmp_path, small_batches):
        src, fail = self.start_failing(impl, tmp_path)
        before = self.snapshot(tmp_path)
        others = {
            "stages": cyiter.pipeline(impl.read_csv(src)).filter(pipeline_support.keep_other).map(fail),
            "options": cyiter.pipeline(impl.read_csv(src, restval="")).filter(keep).map(fail),
            "start": cyiter.pipeline(impl.read_csv(src, start=5)).filter(keep).map(fail),
            "reader": cyiter.pipeline(impl.read_lines(src)).filter(keep).map(fail),
        }
        for key, p in others.items():
            with pytest.raises(ValueError, match=f"belongs to another job .*{key} was"):
                p.write_jsonl(tmp_path / "out.jsonl", checkpoint=tmp_path / "ck")
            assert self.snapshot(tmp_path) == before
        p = cyiter.pipeline(impl.read_csv(src)).filter(keep).map(fail)
        with pytest.raises(ValueError, match="belongs to another job .*output was"):
            p.write_jsonl(tmp_path / "other.jsonl", checkpoint=tmp_path / "ck")
        with pytest.raises(ValueError, match="belongs to another job .*compression was None, now 'gzip'"):
            p.write_jsonl(tmp_path / "out.jsonl.gz", checkpoint=tmp_path / "ck")
        assert self.snapshot(tmp_path) == before

    def test_a_changed_function_is_another_job(self, impl, tmp_path, small_batches):
        src, fail = self.start_failing(impl, tmp_path)
        before = self.snapshot(tmp_path)
        p = cyiter.pipeline(impl.read_csv(src)).filter(keep).map(lambda row: fail(row))
        with pytest.raises(ValueError, match=r"stages was \[\['filter', 'pipeline_support:keep \["):
            p.write_jsonl(tmp_path / "out.jsonl", checkpoint=tmp_path / "ck")
        assert self.snapshot(tmp_path) == before

    def test_a_changed_input_is_refused_and_nothing_is_written(self, impl, tmp_path, small_batches):
        src, fail = self.start_failing(impl, tmp_path)
        with open(src, "a", encoding="utf-8") as f:
            f.write("999,zed,1.00,late\n")
        before = self.snapshot(tmp_path)
        p = cyiter.pipeline(impl.read_csv(src)).filter(keep).map(fail)
        with pytest.raises(ValueError, match=r"the input .* changed since the checkpoint .* \(size \d+ -> \d+, mtime_ns"):
            p.write_jsonl(tmp_path / "out.jsonl", checkpoint=tmp_path / "ck")
        assert self.snapshot(tmp_path) == before

    def test_a_shortened_part_file_is_refused(self, impl, tmp_path, small_batches):
        src, fail = self.start_failing(impl, tmp_path)
        part = _checkpoint.load(str(tmp_path / "ck"))["file"]
        os.truncate(part, 10)
        p = cyiter.pipeline(impl.read_csv(src)).filter(keep).map(fail)
        with pytest.raises(ValueError, match="has 10 bytes and its checkpoint records"):
            p.write_jsonl(tmp_path / "out.jsonl", checkpoint=tmp_path / "ck")

    def test_not_a_checkpoint(self, impl, tmp_path):
        src = write_csv(tmp_path / "in.csv", sample_rows(3))
        (tmp_path / "ck").write_text("[1]")
        p = cyiter.pipeline(impl.read_csv(src))
        with pytest.raises(ValueError, match="is not a cyiter checkpoint"):
            p.write_jsonl(tmp_path / "out.jsonl", checkpoint=tmp_path / "ck")

    def test_a_file_object_reader_cannot_be_checkpointed(self, impl, tmp_path):
        p = cyiter.pipeline(impl.read_lines(io.BytesIO(b"a\n")))
        with pytest.raises(TypeError, match="needs a reader that pickles: one over a path"):
            p.write_jsonl(tmp_path / "out.jsonl", checkpoint=tmp_path / "ck")
        assert os.listdir(tmp_path) == []

    def test_a_finished_job_killed_before_cleaning_up_completes(self, impl, tmp_path, small_batches, monkeypatch):
        src = write_csv(tmp_path / "in.csv", sample_rows(100))
        real = _checkpoint.remove

        def interrupted(*paths):
            raise KeyboardInterrupt

        monkeypatch.setattr(_checkpoint, "remove", interrupted)
        with pytest.raises(KeyboardInterrupt):
            cyiter.pipeline(impl.read_csv(src)).filter(keep).map(transform).write_jsonl(tmp_path / "out.jsonl", checkpoint=tmp_path / "ck")
        monkeypatch.setattr(_checkpoint, "remove", real)
        assert _checkpoint.load(str(tmp_path / "ck"))["done"]
        count = cyiter.pipeline(impl.read_csv(src)).filter(keep).map(transform).write_jsonl(tmp_path / "out.jsonl", checkpoint=tmp_path / "ck")
        expected = generator_pipeline(src, tmp_path / "ref.jsonl")
        assert count == expected.count(b"\n")
        assert (tmp_path / "out.jsonl").read_bytes() == expected
        assert sorted(os.listdir(tmp_path)) == ["in.csv", "out.jsonl", "ref.jsonl"]


# -- SIGKILL ---------------------------------------------------------------------

KILL_ROWS = 1200


def child(args, kind, slow=0.0, kill_record=None):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "PIPELINE_SLOW": str(slow)}
    env.pop("CYITER_PURE_PYTHON", None)
    if kind == "python":
        env["CYITER_PURE_PYTHON"] = "1"
    if kill_record:
        env["PIPELINE_KILL_RECORD"] = str(kill_record)
    return subprocess.Popen(
        [sys.executable, str(SUPPORT), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # (a process group of its own, workers included)
    )


def finish(proc, timeout=60):
    """The exit status of *proc* and its stderr."""
    _, err = proc.communicate(timeout=timeout)
    return proc.returncode, err.decode()


def moments(seed, workers):
    """20 kill moments: timed ones in a slowed job, and at chosen calls of
    a job checkpointing every batch (inside a batch at a record, while
    writing a checkpoint or the output at an fsync, between a checkpoint's
    writing and its rename, while finishing).  Calls are counted in each
    process: with two workers, each maps some 400 of the 800 records."""
    rng = random.Random(seed)
    plan = [("time", rng.uniform(0.1, 0.8)) for _ in range(6)]
    plan += [("record", rng.randrange(1, 800 if workers == 1 else 250)) for _ in range(5)]
    plan += [("replace", rng.randrange(1, 22)) for _ in range(4)]
    plan += [("fsync", rng.randrange(1, 64)) for _ in range(5)]
    return plan


@pytest.mark.parametrize("workers", [1, 2])
def test_sigkill_at_20_moments_then_resume(tmp_path, workers):
    """Each kill is followed by a rerun to completion, on the twins in
    turn, to plain and gzip output in turn: the output is byte-identical
    to an uninterrupted run's (with one worker) every time, and nothing is
    left behind."""
    src = write_csv(tmp_path / "in.csv", sample_rows(KILL_ROWS))
    batch = ["--batch-bytes", "1500", "--batch-step", "4", "--part-bytes", "6000"]
    expected = {}
    for suffix in (".jsonl", ".jsonl.gz"):  # (one worker, without checkpoints)
        ref = tmp_path / f"ref{suffix}"
        code, err = finish(child([src, str(ref), *batch], "cython"))
        assert code == 0, err
        expected[suffix] = ref.read_bytes()
    assert gzip.decompress(expected[".jsonl.gz"]) == expected[".jsonl"] == generator_pipeline(src, tmp_path / "gen.jsonl")
    killed = 0
    outcomes = []
    for i, (how, when) in enumerate(moments(20261204 + workers, workers)):
        kind = ("cython", "python")[i % 2]
        suffix = (".jsonl", ".jsonl.gz")[i // 2 % 2]
        dst, ck = tmp_path / f"out{suffix}", tmp_path / "ck"
        args = [src, str(dst), "--checkpoint", str(ck), *batch, "--workers", str(workers)]
        if how == "time":
            proc = child([*args, "--every", "0.05"], kind, slow=0.0005)
            try:
                proc.wait(when)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        elif how == "record":
            proc = child([*args, "--every", "0"], kind, kill_record=when)
        else:
            proc = child([*args, "--every", "0", "--kill", f"{how}:{when}"], kind)
        code, err = finish(proc)
        killed += code == -signal.SIGKILL
        outcomes.append((how, when, code))
        assert code in (0, -signal.SIGKILL), err
        code, err = finish(child(args, kind))
        assert code == 0, (how, when, err)
        assert dst.read_bytes() == expected[suffix], (how, when, kind)
        assert sorted(os.listdir(tmp_path)) == sorted(["in.csv", "gen.jsonl", "ref.jsonl", "ref.jsonl.gz", dst.name])
        dst.unlink()
    # with one worker every hooked kill kills (the calls are counted in one
    # process); a timed one may come after the end on a fast machine, and
    # with two workers a call count may not be reached by either, but most
    # moments must kill
    hooked = [(how, when, code) for how, when, code in outcomes if how != "time"]
    if workers == 1:
        assert all(code == -signal.SIGKILL for _, _, code in hooked), hooked
    assert killed >= 10, outcomes


# -- workers ---------------------------------------------------------------------


@pytest.fixture
def parts(monkeypatch):
    """Batches of some records and parts of some batches, so that a small
    file makes many of both."""
    monkeypatch.setattr(_pipeline, "BATCH_BYTES", 1500)
    monkeypatch.setattr(_pipeline, "BATCH_STEP", 4)
    monkeypatch.setattr(_pipeline, "PART_BYTES", 3000)
    monkeypatch.setattr(_pipeline, "CHECKPOINT_SECONDS", 0.0)


def run(impl, src, dst, stage=transform, fmt=None, checkpoint=None, workers=1, pred=keep):
    p = cyiter.pipeline(impl.read_csv(src)).filter(pred).map(stage)
    fmt = fmt or ("csv" if ".csv" in str(dst) else "jsonl")
    return _pipeline._write(p, dst, fmt, checkpoint, workers, False)


NO_ZSTD = pytest.mark.skipif(ZSTD is None, reason="no zstd module installed")


class TestWorkers:
    @pytest.mark.parametrize(
        "suffix", [".jsonl", ".jsonl.gz", ".csv", pytest.param(".csv.zst", marks=NO_ZSTD)]
    )
    def test_the_same_bytes_as_one_worker(self, impl, tmp_path, parts, suffix):
        src = write_csv(tmp_path / "in.csv", sample_rows(1000))
        one = run(impl, src, tmp_path / f"one{suffix}")
        assert len(_pipeline._Job(cyiter.pipeline(impl.read_csv(src)), str(tmp_path / "x"), "jsonl", None, 2).plan.ranges) == 9
        for workers in (2, 3):
            for checkpoint in (None, tmp_path / "ck"):
                out = tmp_path / f"out{suffix}"
                result = run(impl, src, out, workers=workers, checkpoint=checkpoint)
                assert out.read_bytes() == (tmp_path / f"one{suffix}").read_bytes()
                assert result == one
                assert sorted(os.listdir(tmp_path)) == ["in.csv", f"one{suffix}", f"out{suffix}"]
        if suffix == ".jsonl":
            assert (tmp_path / "out.jsonl").read_bytes() == generator_pipeline(src, tmp_path / "ref.jsonl")

    def test_threads_where_the_gil_is_off(self, impl, tmp_path, parts, monkeypatch):
        """A free-threaded build runs the parts in threads: the same bytes,
        and stages that do not pickle are fine."""
        monkeypatch.setattr(_parallel, "_gil_enabled", lambda: False)
        src = write_csv(tmp_path / "in.csv", sample_rows(1000))
        run(impl, src, tmp_path / "one.csv.gz", pipeline_support.shuffled_keys)
        run(impl, src, tmp_path / "two.csv.gz", pipeline_support.shuffled_keys, workers=2, checkpoint=tmp_path / "ck")
        assert (tmp_path / "two.csv.gz").read_bytes() == (tmp_path / "one.csv.gz").read_bytes()
        with pytest.raises(TypeError, match="cannot be written as JSON"):
            run(impl, src, tmp_path / "out.jsonl", pipeline_support.unencodable_at_700, workers=2)
        run(impl, src, tmp_path / "lambda.csv.gz", lambda row: pipeline_support.shuffled_keys(row), workers=2)
        assert (tmp_path / "lambda.csv.gz").read_bytes() == (tmp_path / "one.csv.gz").read_bytes()  # (nothing pickled)

    @settings(max_examples=8, deadline=None)
    @given(rows=ROWS, part_bytes=st.integers(1, 2000), batch_bytes=st.integers(1, 1000))
    def test_generated_data(self, tmp_path_factory, rows, part_bytes, batch_bytes):
        tmp_path = tmp_path_factory.mktemp("workers")
        src = write_csv(tmp_path / "in.csv", rows)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(_pipeline, "PART_BYTES", part_bytes)
            mp.setattr(_pipeline, "BATCH_BYTES", batch_bytes)
            run(cyiter, src, tmp_path / "one.jsonl.gz")
            run(cyiter, src, tmp_path / "two.jsonl.gz", workers=2)
        assert (tmp_path / "two.jsonl.gz").read_bytes() == (tmp_path / "one.jsonl.gz").read_bytes()
        assert gzip.decompress((tmp_path / "two.jsonl.gz").read_bytes()) == generator_pipeline(src, tmp_path / "ref.jsonl")

    @pytest.mark.parametrize("stage,pred", [(transform, pipeline_support.late), (pipeline_support.shuffled_keys, keep)])
    def test_csv_header_placed_as_one_pass_does(self, impl, tmp_path, parts, stage, pred):
        """The first parts without a record, or a part whose first record
        has the keys in another order: its part is written again."""
        src = write_csv(tmp_path / "in.csv", sample_rows(1000))
        run(impl, src, tmp_path / "one.csv.gz", stage, pred=pred)
        run(impl, src, tmp_path / "two.csv.gz", stage, pred=pred, workers=2, checkpoint=tmp_path / "ck")
        assert (tmp_path / "two.csv.gz").read_bytes() == (tmp_path / "one.csv.gz").read_bytes()
        rows = list(csv.DictReader(io.StringIO(gzip.decompress((tmp_path / "two.csv.gz").read_bytes()).decode())))
        assert rows[0].keys() == transform({"id": "0", "name": "", "amount": "1", "note": ""}).keys()

    @pytest.mark.parametrize(
        "suffix,stage,error",
        [
            (".csv", pipeline_support.other_keys_at_700, (ValueError, "has the keys")),
            (".jsonl", pipeline_support.unencodable_at_700, (TypeError, "cannot be written as JSON")),
        ],
    )
    def test_errors_name_the_record_as_one_pass_does(self, impl, tmp_path, parts, suffix, stage, error):
        src = write_csv(tmp_path / "in.csv", sample_rows(1000))
        with pytest.raises(error[0], match=error[1]) as one:
            run(impl, src, tmp_path / f"out{suffix}", stage)
        for checkpoint in (None, tmp_path / "ck"):
            with pytest.raises(error[0]) as two:
                run(impl, src, tmp_path / f"out{suffix}", stage, workers=2, checkpoint=checkpoint)
            assert str(two.value) == str(one.value)
        assert not (tmp_path / f"out{suffix}").exists()

    @pytest.mark.skipif(
        multiprocessing.get_start_method() != "fork",
        reason="the failure is set in a module global, which only forked workers inherit",
    )
    def test_resumes_after_an_error(self, impl, tmp_path, parts, monkeypatch):
        src = write_csv(tmp_path / "in.csv", sample_rows(1000))
        ref = run(impl, src, tmp_path / "ref.jsonl.gz")
        monkeypatch.setattr(pipeline_support, "FAIL_AT", 700)  # (inherited by forked workers)
        with pytest.raises(RuntimeError, match="failing at row 700"):
            run(impl, src, tmp_path / "out.jsonl.gz", pipeline_support.fail_at, workers=2, checkpoint=tmp_path / "ck")
        assert not (tmp_path / "out.jsonl.gz").exists()
        saved = _checkpoint.load(str(tmp_path / "ck"))
        ranges = saved["job"]["parts"]
        failing = next(i for i, (a, b) in enumerate(ranges) if a <= len(write_csv_bytes(sample_rows(701))) - 1 < b)
        # the parts before the failing one are in the output, their files gone
        assert saved["joined"] == failing and not saved["done"]
        assert not any(os.path.exists(f"{tmp_path / 'ck'}.{i}") for i in range(failing))
        assert not _checkpoint.load(f"{tmp_path / 'ck'}.{failing}")["done"]
        with pytest.raises(ValueError, match=r"belongs to another job \(workers was 2, now 1\)"):
            run(impl, src, tmp_path / "out.jsonl.gz", pipeline_support.fail_at, checkpoint=tmp_path / "ck")
        monkeypatch.setattr(pipeline_support, "FAIL_AT", None)
        result = run(impl, src, tmp_path / "out.jsonl.gz", pipeline_support.fail_at, workers=2, checkpoint=tmp_path / "ck")
        assert (tmp_path / "out.jsonl.gz").read_bytes() == (tmp_path / "ref.jsonl.gz").read_bytes()
        assert result.resumed and result.records == ref.records and result.read <= ref.read - ranges[failing][0]
        assert sorted(os.listdir(tmp_path)) == ["in.csv", "out.jsonl.gz", "ref.jsonl.gz"]

    @pytest.mark.skipif(
        not _parallel._gil_enabled(), reason="a free-threaded build runs the workers on threads, which take any stage"
    )
    def test_a_stage_that_does_not_pickle_is_refused_at_once(self, impl, tmp_path):
        src = write_csv(tmp_path / "in.csv", sample_rows(10))
        p = cyiter.pipeline(impl.read_csv(src)).map(lambda r: r)
        with pytest.raises(TypeError, match=r"workers > 1 sends the map stage to worker processes, which needs pickling, and <function .*<lambda>.* cannot be pickled .*define it at module level with def"):
            p.write_jsonl(tmp_path / "out.jsonl", workers=2)
        assert not (tmp_path / "out.jsonl").exists()

    def test_what_cannot_be_split_is_refused_at_once(self, impl, tmp_path):
        src = write_csv(tmp_path / "in.csv", sample_rows(10))
        (tmp_path / "in.csv.gz").write_bytes(gzip.compress((tmp_path / "in.csv").read_bytes()))
        refused = {
            "a compressed file cannot be read from the middle": impl.read_csv(str(tmp_path / "in.csv.gz")),
            "read_chunks cuts its chunks from where it starts": impl.read_chunks(src),
            "this reader has been read from already": impl.read_csv(src),
        }
        next(refused["this reader has been read from already"])
        for message, reader in refused.items():
            with pytest.raises(ValueError, match=f"workers > 1 splits the input file into byte ranges, and {message}"):
                cyiter.pipeline(reader).write_jsonl(tmp_path / "out.jsonl", workers=2)
        with pytest.raises(TypeError, match="needs a reader that pickles"):
            cyiter.pipeline(impl.read_lines(io.BytesIO(b"a\n"))).write_jsonl(tmp_path / "out.jsonl", workers=2)
        assert sorted(os.listdir(tmp_path)) == ["in.csv", "in.csv.gz"]


def write_csv_bytes(rows, header=("id", "name", "amount", "note")):
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(header)
    w.writerows(rows)
    return out.getvalue().encode("utf-8")
