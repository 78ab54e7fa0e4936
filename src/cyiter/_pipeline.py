"""The restartable pipeline: a reader's records filtered, mapped and written
in batches, with checkpoints that let a killed job resume exactly.

Plain Python over whichever twin the reader belongs to.  A job reads its
input in batches of about :data:`BATCH_BYTES` input bytes, each written
whole (and compressed as a member of its own) before the next is read; a
checkpoint records the state at a batch boundary only.  The order of the
writes, why a resumed file is byte-identical, and what identifies a job are
in docs/internals.md, "Pipelines and checkpoints".
"""

from __future__ import annotations

import base64
import concurrent.futures
import csv
import importlib
import io
import multiprocessing
import os
import pickle
import signal
import time
from collections.abc import Iterator, Mapping
from itertools import chain, islice
from multiprocessing.reduction import ForkingPickler
from operator import index as _index
from typing import Any, Callable, NamedTuple, TypeVar

from cyiter import _checkpoint, _compression, _jsonl, _parallel, _progress

#: A batch ends once the reader has gone this many bytes past its start...
BATCH_BYTES = 1 << 20
#: ...checked every this many input records (so the rule costs nothing per record).
BATCH_STEP = 256
#: Checkpoints are written at the first batch boundary this long after the last.
CHECKPOINT_SECONDS = 2.0
#: An uncompressed input file is read in parts of about this many bytes, at
#: most :data:`MAX_PARTS` of them, whatever the number of workers (so that
#: every number of workers cuts the same batches: the same bytes out).
PART_BYTES = 2 << 20
MAX_PARTS = 64

_FORMATS = ("jsonl", "csv", "tsv")

T = TypeVar("T")


class pipeline:
    """pipeline(reader)

    The records of a cyiter *reader* (``read_csv``, ``read_jsonl``,
    ``read_lines``, ...), filtered and transformed by stages, written as
    JSON Lines by :meth:`write_jsonl`, or iterated.  ``filter(pred)`` keeps
    the records for which *pred* is true and ``map(fn)`` replaces each by
    ``fn(record)``; both return a new pipeline over the same reader, with
    the stage added after the others.  Iterating yields the records that
    would be written.  The reader is consumed either way.

    >>> from cyiter import pipeline, read_csv
    >>> import io
    >>> rows = read_csv(io.BytesIO(b"id,qty\\n1,5\\n2,0\\n3,7\\n"))
    >>> p = pipeline(rows).filter(lambda r: r["qty"] != "0").map(lambda r: {"id": int(r["id"])})
    >>> list(p)
    [{'id': 1}, {'id': 3}]
    """

    __slots__ = ("_reader", "_stages")

    def __init__(self, reader: Any) -> None:
        if not _parallel._is_reader(type(reader)):
            raise TypeError(
                "pipeline needs a cyiter reader (read_csv, read_jsonl, read_lines or "
                f"read_chunks), not {type(reader).__name__}"
            )
        self._reader: Any = reader
        self._stages: tuple[tuple[str, Callable[[Any], Any]], ...] = ()

    def filter(self, pred: Callable[[Any], Any]) -> pipeline:
        """A pipeline that also keeps only the records for which *pred* is true."""
        return self._then("filter", pred)

    def map(self, fn: Callable[[Any], Any]) -> pipeline:
        """A pipeline that also replaces each record by ``fn(record)``."""
        return self._then("map", fn)

    def _then(self, kind: str, fn: Any) -> pipeline:
        if not callable(fn):
            raise TypeError(f"pipeline.{kind} needs a callable, not {type(fn).__name__}")
        new = pipeline(self._reader)
        new._stages = (*self._stages, (kind, fn))
        return new

    def __iter__(self) -> Any:
        return _staged(self._stages, self._reader)

    def __repr__(self) -> str:
        stages = "".join(f".{kind}({getattr(fn, '__qualname__', fn)!s})" for kind, fn in self._stages)
        return f"pipeline({self._reader!r}){stages}"

    def write_jsonl(
        self, path: Any, *, checkpoint: Any = None, workers: Any = 1, progress: Any = None
    ) -> int:
        """Write the records to *path* as JSON Lines (as ``write_jsonl`` writes
        them; compressed as the suffix of *path* says) and return how many.

        The file appears at *path* only whole: it is written beside it and
        renamed at the end.  With *checkpoint* (a path), the job records its
        progress there, atomically, at the end of a batch every two seconds;
        run again with the same arguments after being killed, it checks that
        the input and the job are the same (ValueError if not, with nothing
        written), cuts the output back to the last checkpoint and goes on:
        the final file is byte-identical to that of an uninterrupted run.
        The checkpoint is removed at the end.

        *workers* > 1 reads the reader's file in parts in parallel
        (processes, which need stages defined at module level; threads on a
        free-threaded build), each part into a file with a checkpoint of its
        own, joined in order: the same bytes as one worker.  It needs an
        uncompressed file and a reader not read from yet.  *progress*: a bar
        of the input bytes read, on stderr; None shows it when stderr is a
        terminal.
        """
        return _write(self, path, "jsonl", checkpoint, workers, progress).records


class Result(NamedTuple):
    """What a job did: records and bytes in the output, input bytes read
    by this run, and whether it resumed a checkpoint."""

    records: int
    nbytes: int
    read: int
    resumed: bool


def _staged(stages: tuple[tuple[str, Any], ...], records: Any) -> Any:
    for kind, fn in stages:
        records = filter(fn, records) if kind == "filter" else map(fn, records)
    return records


# -- writers -------------------------------------------------------------------


class _JsonLines:
    """Records as JSON Lines, by the reader's twin's write_jsonl loop."""

    def __init__(self, twin: str) -> None:
        self.encode, self.fallback = _jsonl.encoders(None)
        self.loop = importlib.import_module(f"{twin}.jsonl")._encode_records

    def identity(self) -> dict[str, Any]:
        return {"format": "jsonl", "encoder": "json" if self.fallback is None else "orjson"}

    def state(self) -> Any:
        return None

    def write(self, records: Any, count: int, write: Callable[[Any], None]) -> int:
        return self.loop(records, self.encode, self.fallback, write, count)  # type: ignore[no-any-return]


class _Delimited:
    """Records (mappings) as CSV or TSV rows, as ``csv.DictWriter`` writes
    them, under a header of the first record's keys; a record with other
    keys is a ValueError naming it."""

    def __init__(self, fmt: str, header: list[str] | None, writes_header: bool) -> None:
        self.fmt = fmt
        self.header = header
        self.writes_header = writes_header

    def identity(self) -> dict[str, Any]:
        return {"format": self.fmt}

    def state(self) -> Any:
        return [None if self.header is None else list(self.header), self.writes_header]

    def write(self, records: Any, count: int, write: Callable[[Any], None]) -> int:
        buffer = io.StringIO()
        rows = csv.writer(buffer, "excel-tab" if self.fmt == "tsv" else "excel")
        header = self.header
        keys: Any = None if header is None else set(header)
        for record in records:
            if not isinstance(record, Mapping):
                raise TypeError(
                    f"record {count} cannot be written as {self.fmt.upper()}: it is a "
                    f"{type(record).__name__}, not a mapping (dict)"
                )
            if header is None:
                header = self.header = list(record)
                keys = set(header)
                if self.writes_header:
                    rows.writerow(header)
            elif record.keys() != keys:
                raise ValueError(
                    f"record {count} has the keys {list(record)!r}, not those of the "
                    f"{self.fmt.upper()} header {header!r} (the keys of the first record)"
                )
            rows.writerow([record[key] for key in header])
            count += 1
            if buffer.tell() >= _jsonl.WRITE_BLOCK:
                write(buffer.getvalue().encode("utf-8"))
                buffer.seek(0)
                buffer.truncate()
        if buffer.tell():
            write(buffer.getvalue().encode("utf-8"))
        return count



def _twin_of(cls: type) -> str:
    """The package of the twin the reader class *cls* belongs to."""
    return "cyiter._cy" if cls.__module__.startswith("cyiter._cy") else "cyiter._py"


# -- the output ------------------------------------------------------------------


class _Output:
    """A file of the output being written (the whole output or a part),
    open at its end; each batch written through :meth:`write` is
    compressed as a member of its own when the output is compressed."""

    def __init__(self, name: str, file: Any, kind: str | None) -> None:
        self.name = name
        self.file = file
        self.kind = kind
        self.compressor: Any = None

    @classmethod
    def fresh(cls, target: str, kind: str | None) -> _Output:
        """A new hidden file beside *target* with a name of its own."""
        temp, file = _jsonl._new_beside(target)
        return cls(temp, file, kind)

    @classmethod
    def at(cls, name: str, length: int, kind: str | None, target: str) -> _Output:
        """The file *name* (made if missing), cut to *length* bytes, which a
        checkpoint recorded: ValueError if it is shorter."""
        made = not os.path.exists(name)
        fd = os.open(name, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        try:
            _checkpoint.lock_file(fd)
            if made and hasattr(os, "fchmod") and os.path.exists(target):
                os.fchmod(fd, os.stat(target).st_mode & 0o7777)
            size = os.fstat(fd).st_size
            if size < length:
                raise ValueError(
                    f"the output file {name!r} has {size} bytes and its checkpoint records "
                    f"{length}: it was changed; delete the checkpoint to start over"
                )
            os.ftruncate(fd, length)
            file = open(fd, "ab")
        except BaseException:
            os.close(fd)
            raise
        return cls(name, file, kind)

    def write(self, data: Any) -> None:
        if self.kind is not None:
            if self.compressor is None:
                self.compressor = _compression.compressor(self.kind)
            data = self.compressor.compress(data)
        self.file.write(data)

    def end_batch(self) -> None:
        if self.compressor is not None:
            self.file.write(self.compressor.flush())
            self.compressor = None

    def length(self) -> int:
        return self.file.tell()  # type: ignore[no-any-return]

    def sync(self) -> None:
        self.file.flush()
        os.fsync(self.file.fileno())

    def close(self) -> None:
        self.file.close()


# -- batches -------------------------------------------------------------------


def _slices(reader: Any, dry: list[bool], batch: Batch) -> Iterator[Iterator[Any]]:
    """One batch of *reader*'s records, as slices of ``batch.step`` records,
    until the reader is ``batch.nbytes`` past where the batch began;
    appends True to *dry* when the reader runs out."""
    offset = reader.offset
    limit = offset + batch.nbytes
    while offset < limit:
        yield islice(reader, batch.step)
        now = reader.offset
        if now == offset:  # (every record takes at least one byte)
            dry.append(True)
            return
        offset = now


class Batch(NamedTuple):
    """The batch rule and the checkpoint period (the module's constants
    when the job began, carried to its workers)."""

    nbytes: int
    step: int
    every: float

    @classmethod
    def now(cls) -> Batch:
        return cls(BATCH_BYTES, BATCH_STEP, CHECKPOINT_SECONDS)


class _Saver:
    """The checkpoint of a run or of one part: *fields* and the state at
    the last batch boundary, saved at most every ``every`` seconds.

    The state is ``(part, reader, length, records, writer)``: the part
    being read (the next one once a part is done), the reader's pickled
    state in it (None: at its start), the output's length, the records
    written, counted from *base*, and the writer's state."""

    def __init__(
        self,
        path: str,
        fields: dict[str, Any],
        output: _Output,
        boundary: Boundary,
        parts: int,
        every: float,
        base: int = 0,
    ) -> None:
        self.path = path
        self.fields = fields
        self.output = output
        self.boundary = boundary
        self.parts = parts
        self.every = every
        self.base = base
        self.last = time.monotonic()

    def batch_done(self, reader: Any, count: int, writer: Any, dry: bool) -> None:
        part = self.boundary[0] + dry
        state = None if dry else pickle.dumps(reader.__reduce__()[2])
        # one assignment: an interrupt leaves the old boundary or the new one
        self.boundary = (part, state, self.output.length(), count - self.base, writer.state())
        done = part == self.parts
        if done or time.monotonic() - self.last >= self.every:
            self.save(done)

    def save(self, done: bool = False) -> None:
        """Sync the output, then record the boundary (never the other order)."""
        part, state, length, count, writer = self.boundary
        self.output.sync()
        _checkpoint.save(
            self.path,
            {
                **self.fields,
                "part": part,
                "reader": None if state is None else base64.b64encode(state).decode("ascii"),
                "length": length,
                "records": count,
                "writer": writer,
                "done": done,
            },
        )
        self.last = time.monotonic()


Boundary = tuple[int, "bytes | None", int, int, Any]


class Stopped(Exception):
    """A worker was asked to stop (Ctrl-C, or its parent is gone); its
    checkpoint holds its last batch boundary."""


def _batches(
    reader: Any,
    plan: _Plan,
    writer: Any,
    output: _Output,
    count: int,
    saver: _Saver | None,
    report: Callable[[int], None],
    stop: Callable[[], bool] | None = None,
) -> int:
    """Write the pipeline's records in batches until the reader runs out;
    the number of records then.  On an error, the checkpoint is brought to
    the last batch boundary before the error propagates."""
    try:
        while True:
            dry: list[bool] = []
            records = _staged(plan.stages, chain.from_iterable(_slices(reader, dry, plan.batch)))
            count = writer.write(records, count, output.write)
            output.end_batch()
            report(reader.offset)
            if saver is not None:
                saver.batch_done(reader, count, writer, bool(dry))
            if dry:
                return count
            if stop is not None and stop():
                raise Stopped("stopped at a batch boundary")
    except BaseException:
        if saver is not None:
            try:
                saver.save()
            except Exception:
                pass  # (the checkpoint before stands; the error says more)
        raise


# -- jobs ----------------------------------------------------------------------


class _Plan(NamedTuple):
    """What a process needs to run a job's parts (sent to the workers):
    the reader's class, file and options, the stages, the output's format
    and compression, the parts (None: the job reads its reader itself) and
    the batch rule."""

    cls: Any
    path: str | None
    options: dict[str, Any]
    stages: tuple[tuple[str, Callable[[Any], Any]], ...]
    fmt: str
    twin: str
    kind: str | None
    ranges: list[tuple[int, int]] | None
    batch: Batch

    def open(self, part: int) -> Any:
        """A reader of the records whose first byte lies in part *part*."""
        assert self.ranges is not None
        start, stop = self.ranges[part]
        return self.cls(self.path, **{**self.options, "start": start, "stop": stop})

    def restore(self, data: str) -> Any:
        """A reader of the job's class at the state *data* a checkpoint holds."""
        reader = self.cls.__new__(self.cls)
        reader.__setstate__(pickle.loads(base64.b64decode(data)))
        return reader

    def writer(self, state: Any = None) -> Any:
        """The output's writer, at *state* (what its ``state()`` returned)."""
        if self.fmt == "jsonl":
            return _JsonLines(self.twin)
        header, writes_header = state or (None, True)
        return _Delimited(self.fmt, header, writes_header)


class _Job:
    """What shapes the output of a pipeline written to *out* (the reader:
    class, file, options, where it starts; the stages, the format and
    compression, the encoder, the batch rule and parts) and how it runs."""

    def __init__(self, pipe: pipeline, out: str, fmt: str, checkpoint: str | None, workers: int) -> None:
        self.reader: Any = pipe._reader
        self.out = out
        self.workers = workers
        cls = type(self.reader)
        state: dict[str, Any] = {}
        try:
            state = self.reader.__reduce__()[2]
        except TypeError as exc:
            if checkpoint is not None or workers > 1:
                raise TypeError(
                    "a checkpointed or parallel pipeline needs a reader that pickles: one "
                    f"over a path, which can be reopened where it stopped ({exc})"
                ) from None
        self.state = state
        self.path: str | None = state.get("path")
        if (checkpoint is not None or workers > 1) and self.path is None:
            raise TypeError(
                "a checkpointed or parallel pipeline needs a reader over a path (this one "
                "is exhausted or closed)"
            )
        options = state.get("options", {})
        why = self._not_in_parts(cls, options)
        if workers > 1 and why:
            raise ValueError(f"workers > 1 splits the input file into byte ranges, and {why}")
        self.plan = _Plan(
            cls, self.path, options, pipe._stages, fmt, _twin_of(cls),
            _compression.from_suffix(out), None if why else self._ranges(options), Batch.now(),
        )
        if workers > 1 and _parallel._gil_enabled():  # (else threads: nothing pickled)
            for kind, fn in pipe._stages:
                _parallel._check_pickles(fn, f"workers > 1 sends the {kind} stage", "")

    def _not_in_parts(self, cls: type, options: dict[str, Any]) -> str | None:
        """Why the job cannot read its input in parts (None if it can)."""
        if self.path is None:
            return "this reader reads no file by path"
        if options["compression"] is not None:
            return "a compressed file cannot be read from the middle: decompress it first"
        if cls.__name__ == "read_chunks":
            return "read_chunks cuts its chunks from where it starts (use read_lines)"
        if not os.stat(self.path).st_size:  # (empty, or a /proc file whose size says nothing)
            return "the file has no size to split"
        with cls(self.path, **options) as fresh:
            if fresh.__reduce__()[2] != self.state:
                return "this reader has been read from already (give it a new one)"
        return None

    def _ranges(self, options: dict[str, Any]) -> list[tuple[int, int]]:
        """The parts of the input: :data:`PART_BYTES` each, at most
        :data:`MAX_PARTS`, whatever the number of workers."""
        assert self.path is not None
        size = os.stat(self.path).st_size
        begin = min(options["start"], size)
        end = size if options["stop"] is None else max(begin, min(options["stop"], size))
        return _parallel.cut(begin, end, min(MAX_PARTS, -(-(end - begin) // PART_BYTES)))

    def identity(self) -> dict[str, Any]:
        plan = self.plan
        compressor = None
        if plan.kind is not None:
            compressor = type(_compression.compressor(plan.kind)).__module__
        return {
            "reader": plan.cls.__name__,
            "input": self.path,
            "options": _checkpoint.describe(plan.options),
            "start": _checkpoint.describe(
                {k: v for k, v in self.state.items() if k not in ("path", "identity", "options")}
            ),
            "stages": [[kind, _checkpoint.describe(fn)] for kind, fn in plan.stages],
            "output": self.out,
            **plan.writer().identity(),
            "compression": plan.kind,
            "compressor": compressor,
            "batch": [plan.batch.nbytes, plan.batch.step],
            "parts": plan.ranges,
            "workers": self.workers,
        }

    def total(self) -> int | None:
        """The input bytes the job reads, when known (not for compressed
        input, whose offsets count decompressed bytes)."""
        if self.plan.ranges is not None:
            return self.plan.ranges[-1][1] - self.plan.ranges[0][0]
        options = self.plan.options
        if self.path is None or options["compression"] is not None:
            return None
        end: int = os.stat(self.path).st_size if options["stop"] is None else options["stop"]
        return max(0, end - self.begin())

    def begin(self) -> int:
        """The offset where the job's reading begins."""
        begin: int = self.reader.offset if self.plan.ranges is None else self.plan.ranges[0][0]
        return begin


def _write(pipe: pipeline, path: Any, fmt: str, checkpoint: Any, workers: Any, progress: Any) -> Result:
    """Write *pipe* to *path* in *fmt* (one of :data:`_FORMATS`)."""
    out = _output_path(path)
    if checkpoint is not None:
        checkpoint = os.path.abspath(os.fspath(checkpoint))
        if isinstance(checkpoint, bytes):
            checkpoint = os.fsdecode(checkpoint)
    workers = _index(workers)
    if workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if progress is not None and not isinstance(progress, bool):
        raise TypeError(f"progress must be None, True or False, not {type(progress).__name__}")
    try:
        job = _Job(pipe, out, fmt, checkpoint, workers)
        if workers > 1:
            return _run_parallel(job, checkpoint, progress)
        return _run_serial(job, checkpoint, progress)
    finally:
        pipe._reader.close()


def _output_path(path: Any) -> str:
    name: str | bytes = os.fspath(path)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    return os.path.realpath(name)  # (a symbolic link keeps pointing at the file)


def _part_name(out: str, part: int | None) -> str:
    """The file a checkpointed job writes before it is complete (named so
    that a resumed run finds it)."""
    directory, name = os.path.split(out)
    suffix = ".part" if part is None else f".{part}.part"
    return os.path.join(directory, f".{name}{suffix}")


def _parts(
    plan: _Plan,
    reader: Any,
    part: int,
    count: int,
    output: _Output,
    writer: Any,
    saver: _Saver | None,
    report: Callable[[int], None],
    stop: Callable[[], bool] | None = None,
    last: int | None = None,
) -> int:
    """Write the parts from *part* to *last* (default: all) one after the
    other, *reader* reading the first of them (None: a new reader at its
    start), after *count* records; the number of records then."""
    end = 1 if plan.ranges is None else len(plan.ranges)
    for i in range(part, end if last is None else last + 1):
        if reader is None:
            reader = plan.open(i)
        try:
            count = _batches(reader, plan, writer, output, count, saver, report, stop)
        finally:
            reader.close()
        reader = None
    return count


def _run_serial(job: _Job, checkpoint: str | None, progress: bool | None) -> Result:
    """The job in this process, its parts one after the other into one file."""
    plan = job.plan
    reader = job.reader if plan.ranges is None else None
    writer = plan.writer()
    begin = job.begin()
    done = [0]  # input bytes read, for the bar

    def report(offset: int) -> None:
        done[0] = offset - begin

    start: Boundary = (0, None, 0, 0, writer.state())
    if checkpoint is None:

        def write(output: _Output) -> int:
            with _progress.shown(progress, job.total(), lambda: done[0]):
                return _parts(plan, reader, 0, 0, output, writer, None, report)

        count = _written(job.out, plan.kind, write)
        return Result(count, os.stat(job.out).st_size, done[0], False)
    with _checkpoint.Lock(checkpoint) as lock:
        identity, now, saved = _saved(job, checkpoint)
        name = _part_name(job.out, None)
        if saved is not None:
            if saved["done"]:
                _finish(saved["file"], job.out, saved["length"], [checkpoint], lock)
                return Result(saved["records"], saved["length"], 0, True)
            start = (saved["part"], None, saved["length"], saved["records"], saved["writer"])
            writer = plan.writer(saved["writer"])
            if reader is not None:
                reader.close()
                reader = None
            if saved["reader"] is not None:
                reader = plan.restore(saved["reader"])
                report(reader.offset)
            elif plan.ranges is not None and start[0] < len(plan.ranges):
                report(plan.ranges[start[0]][0])
        first = done[0]
        output = _Output.at(name, start[2], plan.kind, job.out)
        try:
            if reader is not None:
                start = (start[0], pickle.dumps(reader.__reduce__()[2]), *start[2:])
            parts = 1 if plan.ranges is None else len(plan.ranges)
            fields = {"job": identity, "input": now, "file": name}
            saver = _Saver(checkpoint, fields, output, start, parts, plan.batch.every)
            if saved is None:
                saver.save()
            with _progress.shown(progress, job.total(), lambda: done[0]):
                count = _parts(plan, reader, start[0], start[3], output, writer, saver, report)
        finally:
            output.close()
        length = saver.boundary[2]
        _finish(name, job.out, length, [checkpoint], lock)
        return Result(count, length, done[0] - first, saved is not None)


def _written(out: str, kind: str | None, write: Callable[[_Output], T]) -> T:
    """What ``write(output)`` returns, *output* a new file beside *out*
    that is then synced and put in place (removed on an error)."""
    output = _Output.fresh(out, kind)
    try:
        result = write(output)
        output.sync()
        output.close()
        os.replace(output.name, out)
        _jsonl._sync_directory(os.path.dirname(out))
    except BaseException:
        output.close()
        _checkpoint.remove(output.name)
        raise
    return result


def _saved(job: _Job, checkpoint: str) -> tuple[dict[str, Any], dict[str, int], dict[str, Any] | None]:
    """The job's identity, its input's, and the checkpoint it resumes (None:
    there is none); ValueError if the checkpoint is another job's."""
    assert job.path is not None
    identity = job.identity()
    now = _checkpoint.input_identity(job.path)
    saved = _checkpoint.load(checkpoint)
    if saved is not None:
        _checkpoint.check_same(checkpoint, saved, identity, now)
    return identity, now, saved


def _finish(
    name: str,
    out: str,
    length: int,
    checkpoints: list[str],
    lock: _checkpoint.Lock,
    parts: tuple[str, ...] = (),
) -> None:
    """Put the complete output *name* in place at *out*, then remove the
    *parts* files and the checkpoints: a run killed in between finds the
    output in place."""
    if os.path.exists(name):
        os.replace(name, out)
        _jsonl._sync_directory(os.path.dirname(out))
    elif not (os.path.exists(out) and os.path.getsize(out) == length):
        raise ValueError(
            f"the checkpoint {checkpoints[0]!r} records a finished job, but neither its output "
            f"{name!r} nor {out!r} of {length} bytes is there; delete the checkpoint to start over"
        )
    _checkpoint.remove(*parts, *checkpoints[1:])
    _checkpoint.remove(checkpoints[0])
    lock.release(remove_file=True)


# -- workers -------------------------------------------------------------------


class _Shared:
    """What a worker shares with the job: per part, the input bytes read
    (for the bar); whether to stop; the job's process id."""

    def __init__(self, parts: int) -> None:
        self.read = multiprocessing.Array("q", parts, lock=False)
        self.stop = multiprocessing.Value("b", 0, lock=False)
        self.parent = os.getpid()

    def stopping(self) -> bool:
        if self.stop.value:
            return True
        if os.getpid() == self.parent:  # a part run in the job's own process
            return False
        # the job's process, by its sentinel: under forkserver (3.14's
        # default) or spawn, a worker's parent process id is not the job's
        job = multiprocessing.parent_process()
        return job is not None and not job.is_alive()


_shared: _Shared | None = None


def _start_worker(shared: _Shared) -> None:
    """A worker process's initializer: it stops at a batch boundary when
    the job says so, not where Ctrl-C finds it (the job then tells it to)."""
    global _shared
    _shared = shared
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class PartDone(NamedTuple):
    """A part written: its records, bytes, writer state and input read."""

    records: int
    nbytes: int
    writer: Any
    read: int


def _run_part(
    plan: _Plan,
    part: int,
    name: str,
    checkpoint: str | None,
    fields: dict[str, Any],
    writer_state: Any,
    base: int = 0,
    again: bool = False,
    shared: _Shared | None = None,
) -> PartDone:
    """Write part *part* of the job to the file *name*, resuming its
    *checkpoint* if it records the same job (*fields*), else from the
    part's start with the writer at *writer_state* (and starting over when
    *again*); records are counted from *base* in error messages.  *shared*
    is the job's (in a worker process: the one its initializer got)."""
    shared = shared or _shared
    assert shared is not None and plan.ranges is not None
    saved = None if checkpoint is None or again else _checkpoint.load(checkpoint)
    if saved is not None and saved.get("job") != fields["job"]:
        saved = None  # (left by another job)
    if saved is not None and saved["done"]:
        return PartDone(saved["records"], saved["length"], saved["writer"], 0)
    begin, end = plan.ranges[part]
    start: Boundary = (part, None, 0, 0, writer_state)
    reader = None
    if saved is not None:
        start = (part, None, saved["length"], saved["records"], saved["writer"])
        if saved["reader"] is not None:
            reader = plan.restore(saved["reader"])
    first = begin if reader is None else reader.offset

    def report(offset: int) -> None:
        shared.read[part] = min(offset, end) - begin  # (the parts' sum: the input's size)

    report(first)
    writer = plan.writer(start[4])
    output = _Output.at(name, start[2], plan.kind, name)
    try:
        saver = None
        if checkpoint is not None:
            if reader is not None:
                start = (part, pickle.dumps(reader.__reduce__()[2]), *start[2:])
            saver = _Saver(checkpoint, fields, output, start, part + 1, plan.batch.every, base)
        count = start[3] + base
        count = _parts(plan, reader, part, count, output, writer, saver, report, shared.stopping, part)
        if saver is not None:
            output.sync()
        return PartDone(count - base, output.length(), writer.state(), begin + shared.read[part] - first)
    finally:
        output.close()


def _run_parallel(job: _Job, checkpoint: str | None, progress: bool | None) -> Result:
    """The job's parts in *workers* processes (threads on a free-threaded
    build), each into a file of its own, appended in order to the output as
    soon as it and those before it are done."""
    plan = job.plan
    assert plan.ranges is not None and job.path is not None
    count = len(plan.ranges)
    if checkpoint is None:
        names: list[str] = []
        try:
            for _ in range(count):
                part = _Output.fresh(job.out, plan.kind)
                part.close()
                names.append(part.name)

            def write(output: _Output) -> _Joined:
                joined = _Joined(plan, output, names, [None] * count, {}, None)
                joined.run(job.workers, progress, job.total())
                return joined

            joined = _written(job.out, None, write)
        finally:
            _checkpoint.remove(*names)
        return Result(joined.records, joined.length, joined.read, False)
    with _checkpoint.Lock(checkpoint) as lock:
        identity, now, saved = _saved(job, checkpoint)
        names = [_part_name(job.out, i) for i in range(count)]
        checkpoints = [f"{checkpoint}.{i}" for i in range(count)]
        name = _part_name(job.out, None)
        fields = {"job": identity, "input": now, "file": name}
        if saved is not None:
            if saved["done"]:
                _finish(name, job.out, saved["length"], [checkpoint, *checkpoints], lock, tuple(names))
                return Result(saved["records"], saved["length"], 0, True)
            state = {key: saved[key] for key in ("joined", "length", "records", "header")}
        else:
            _checkpoint.remove(*names, *checkpoints)
            state = {"joined": 0, "length": 0, "records": 0, "header": None}
            _checkpoint.save(checkpoint, {**fields, **state, "done": False})
        output = _Output.at(name, state["length"], None, job.out)
        try:
            part_fields = {"job": _checkpoint.digest(identity)}
            joined = _Joined(plan, output, names, checkpoints, part_fields, (checkpoint, fields), **state)
            joined.run(job.workers, progress, job.total())
        finally:
            output.close()
        _finish(name, job.out, joined.length, [checkpoint, *checkpoints], lock, tuple(names))
        return Result(joined.records, joined.length, joined.read, saved is not None)


class _Joined:
    """The output of a parallel job: the parts run in a pool, appended to
    *output* in order, from part *joined* on (those before are in it, with
    *records* records, the CSV *header*, *length* bytes).  With *top* (the
    job's checkpoint and its fields) it is recorded every few seconds; a
    part's file and checkpoint are removed once a record says it is joined.
    A part that failed or could not know where the CSV header goes is run
    again here (docs/internals.md, "Pipelines and checkpoints")."""

    def __init__(
        self,
        plan: _Plan,
        output: _Output,
        names: list[str],
        checkpoints: list[str] | list[None],
        part_fields: dict[str, Any],
        top: tuple[str, dict[str, Any]] | None,
        joined: int = 0,
        length: int = 0,
        records: int = 0,
        header: list[str] | None = None,
    ) -> None:
        self.plan = plan
        self.output = output
        self.names = names
        self.checkpoints = checkpoints
        self.part_fields = part_fields
        self.top = top
        self.joined = joined
        self.length = length
        self.records = records
        self.header = header
        self.read = 0  # input bytes read by this run's parts
        self.shared = _Shared(len(names))
        self.unsaved: list[int] = []
        self.last = time.monotonic()

    def run(self, workers: int, progress: bool | None, total: int | None) -> None:
        plan = self.plan
        assert plan.ranges is not None
        count = len(plan.ranges)
        shared = self.shared
        for i in range(self.joined):
            shared.read[i] = plan.ranges[i][1] - plan.ranges[i][0]
        pool: concurrent.futures.Executor
        if _parallel._gil_enabled():
            pool = concurrent.futures.ProcessPoolExecutor(
                min(workers, count), initializer=_start_worker, initargs=(shared,)
            )
            given = None
        else:
            pool = concurrent.futures.ThreadPoolExecutor(min(workers, count))
            given = shared
        guess = None if plan.fmt == "jsonl" else [None, False]
        try:
            # every part submitted (and the processes started) before the bar's thread
            futures = {
                i: pool.submit(
                    _run_part, plan, i, self.names[i], self.checkpoints[i], self.part_fields,
                    guess if i else None, shared=given,
                )
                for i in range(self.joined, count)
            }
            with _progress.shown(progress, total, lambda: sum(shared.read)):
                for i in range(self.joined, count):
                    self.append(i, self.result(i, futures.pop(i)))
            self.save(done=True)
        except BaseException:
            shared.stop.value = 1
            if self.top is not None:
                try:
                    self.save()
                except Exception:
                    pass  # (the checkpoint before stands; the error says more)
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def result(self, i: int, future: concurrent.futures.Future[PartDone]) -> PartDone:
        """Part *i* as one pass writes it."""
        right = None if self.plan.fmt == "jsonl" else [self.header, True]
        again = (self.plan, i, self.names[i], self.checkpoints[i], self.part_fields, right, self.records, True)
        try:
            done = future.result()
        except Stopped:
            raise
        except Exception:  # run again after the parts before: the error names its record
            return _run_part(*again, shared=self.shared)
        return _run_part(*again, shared=self.shared) if _misplaced(self.plan, done, self.header) else done

    def append(self, i: int, done: PartDone) -> None:
        _append(self.output.file, self.names[i])
        self.joined = i + 1
        self.length = self.output.length()
        self.records += done.records
        self.read += done.read
        if done.records and self.header is None and self.plan.fmt != "jsonl":
            self.header = done.writer[0]
        if self.top is None:
            _checkpoint.remove(self.names[i])
            return
        self.unsaved.append(i)
        if time.monotonic() - self.last >= self.plan.batch.every:
            self.save()

    def save(self, done: bool = False) -> None:
        """Sync the output, record it, then remove the parts it holds."""
        if self.top is None:
            return
        path, fields = self.top
        self.output.sync()
        state = {"joined": self.joined, "length": self.length, "records": self.records, "header": self.header}
        _checkpoint.save(path, {**fields, **state, "done": done})
        for i in self.unsaved:
            _checkpoint.remove(self.names[i], str(self.checkpoints[i]))
        self.unsaved.clear()
        self.last = time.monotonic()


def _append(file: Any, name: str) -> None:
    """Copy the file *name* to the end of the open *file*: in the kernel
    where it can (the job's process shares the machine with the workers)."""
    file.flush()
    with open(name, "rb") as part:
        size = os.fstat(part.fileno()).st_size
        try:
            while size > 0:
                copied = os.copy_file_range(part.fileno(), file.fileno(), size)
                if not copied:
                    break
                size -= copied
        except (AttributeError, OSError):  # (not Linux, or another file system)
            import shutil  # (not at import: it imports bz2 and lzma)

            file.seek(0, os.SEEK_END)
            part.seek(os.fstat(part.fileno()).st_size - size)
            shutil.copyfileobj(part, file, _jsonl.WRITE_BLOCK)
        file.seek(0, os.SEEK_END)


def _misplaced(plan: _Plan, done: PartDone, header: list[str] | None) -> bool:
    """Whether a part wrote its CSV rows otherwise than one pass would,
    given the *header* of the parts before (None: they had no record)."""
    if plan.fmt == "jsonl" or not done.records:
        return False
    own, writes_header = done.writer
    if header is None:  # its first record is the output's: one pass writes the header
        return not writes_header
    return bool(own != header)
