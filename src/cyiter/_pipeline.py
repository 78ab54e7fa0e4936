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
import csv
import importlib
import io
import os
import pickle
import sys
import time
from collections.abc import Mapping
from itertools import chain, islice
from operator import index as _index
from typing import Any, Callable, NamedTuple

from cyiter import _checkpoint, _compression, _jsonl, _progress

#: A batch ends once the reader has gone this many bytes past its start...
BATCH_BYTES = 1 << 20
#: ...checked every this many input records (so the rule costs nothing per record).
BATCH_STEP = 256
#: Checkpoints are written at the first batch boundary this long after the last.
CHECKPOINT_SECONDS = 2.0

_FORMATS = ("jsonl", "csv", "tsv")


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
        if not isinstance(reader, _reader_bases()):
            raise TypeError(
                "pipeline needs a cyiter reader (read_csv, read_jsonl, read_lines or "
                f"read_chunks), not {type(reader).__name__}"
            )
        self._reader = reader
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

    def write_jsonl(self, path: Any, *, checkpoint: Any = None, workers: Any = 1, progress: Any = None) -> int:
        """Write the records to *path* as JSON Lines (as ``write_jsonl`` writes
        them; compressed as the suffix of *path* says) and return how many.

        The file appears at *path* only whole: it is written beside it and
        renamed at the end.  With *checkpoint* (a path), the job records its
        progress there, atomically, at the end of a batch every
        :data:`CHECKPOINT_SECONDS`; run again with the same arguments after
        being killed, it checks that the input and the job are the same
        (ValueError if not, with nothing written), cuts the output back to
        the last checkpoint and goes on: the final file is byte-identical to
        that of an uninterrupted run.  The checkpoint is removed at the end.

        *workers* > 1 splits the reader's file into byte ranges read in
        parallel (processes; threads on a free-threaded build), each written
        to a part file with its own checkpoint, joined in order at the end.
        *progress*: a bar of the input bytes read, on stderr; None shows it
        when stderr is a terminal.
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


def _reader_bases() -> tuple[type, ...]:
    from cyiter._py.readers import _Reader

    try:
        from cyiter._cy.readers import _Reader as _CyReader
    except ImportError:  # a pure-Python install
        return (_Reader,)
    return (_Reader, _CyReader)


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

    def __init__(self, fmt: str, header: list[str] | None = None, writes_header: bool = True) -> None:
        self.fmt = fmt
        self.header = header
        self.writes_header = writes_header

    def identity(self) -> dict[str, Any]:
        return {"format": self.fmt}

    def state(self) -> Any:
        return None if self.header is None else list(self.header)

    def write(self, records: Any, count: int, write: Callable[[Any], None]) -> int:
        buffer = io.StringIO()
        rows = csv.writer(buffer, "excel-tab" if self.fmt == "tsv" else "excel")
        header = self.header
        keys = None if header is None else set(header)
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

    def header_line(self, header: list[str]) -> bytes:
        """The header row alone (for a join whose first part has no record)."""
        buffer = io.StringIO()
        csv.writer(buffer, "excel-tab" if self.fmt == "tsv" else "excel").writerow(header)
        return buffer.getvalue().encode("utf-8")


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


def _slices(reader: Any, dry: list[bool]) -> Any:
    """One batch of *reader*'s records, as slices of :data:`BATCH_STEP`
    records, until the reader is :data:`BATCH_BYTES` past where the batch
    began; appends True to *dry* when the reader runs out."""
    offset = reader.offset
    limit = offset + BATCH_BYTES
    while offset < limit:
        yield islice(reader, BATCH_STEP)
        now = reader.offset
        if now == offset:  # (every record takes at least one byte)
            dry.append(True)
            return
        offset = now


class _Saver:
    """The checkpoint of one part: *fields* and the state at the last batch
    boundary, saved at most every :data:`CHECKPOINT_SECONDS`."""

    def __init__(self, path: str, fields: dict[str, Any], output: _Output, boundary: tuple) -> None:
        self.path = path
        self.fields = fields
        self.output = output
        self.boundary = boundary
        self.last = time.monotonic()

    def batch_done(self, reader: Any, count: int, writer: Any, dry: bool) -> None:
        state = None if dry else pickle.dumps(reader.__reduce__()[2])
        # one assignment: an interrupt leaves the old boundary or the new one
        self.boundary = (state, self.output.length(), count, writer.state())
        if dry or time.monotonic() - self.last >= CHECKPOINT_SECONDS:
            self.save(done=dry)

    def save(self, done: bool = False) -> None:
        """Sync the output, then record the boundary (never the other order)."""
        state, length, count, header = self.boundary
        self.output.sync()
        _checkpoint.save(
            self.path,
            {
                **self.fields,
                "reader": None if state is None else base64.b64encode(state).decode("ascii"),
                "length": length,
                "records": count,
                "header": header,
                "done": done,
            },
        )
        self.last = time.monotonic()


class Stopped(Exception):
    """A worker was asked to stop (Ctrl-C, or its parent is gone); its
    checkpoint holds its last batch boundary."""


def _batches(
    reader: Any,
    stages: Any,
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
            records = _staged(stages, chain.from_iterable(_slices(reader, dry)))
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


class _Job:
    """What shapes the output of a pipeline written to *out*: the reader
    (class, file, options, where it starts), the stages, the format and
    compression, the encoder and the batch rule."""

    def __init__(self, pipe: pipeline, out: str, fmt: str, by_path: bool) -> None:
        self.reader = pipe._reader
        self.cls = type(self.reader)
        self.twin = _twin_of(self.cls)
        self.stages = pipe._stages
        self.out = out
        self.fmt = fmt
        self.kind = _compression.from_suffix(out)
        self.state: dict[str, Any] = {}
        try:
            self.state = self.reader.__reduce__()[2]
        except TypeError as exc:
            if by_path:
                raise TypeError(
                    "a checkpointed or parallel pipeline needs a reader that pickles: one "
                    f"over a path, which can be reopened where it stopped ({exc})"
                ) from None
        self.path: str | None = self.state.get("path")
        if by_path and self.path is None:
            raise TypeError(
                "a checkpointed or parallel pipeline needs a reader over a path (this one "
                "is exhausted or closed)"
            )

    def writer(self, part: int = 0) -> Any:
        if self.fmt == "jsonl":
            return _JsonLines(self.twin)
        return _Delimited(self.fmt, writes_header=part == 0)

    def identity(self, parts: list[tuple[int, int]] | None) -> dict[str, Any]:
        state = self.state
        compressor = None
        if self.kind is not None:
            compressor = type(_compression.compressor(self.kind)).__module__
        return {
            "reader": self.cls.__name__,
            "input": self.path,
            "options": _checkpoint.describe(state["options"]),
            "start": _checkpoint.describe(
                {k: v for k, v in state.items() if k not in ("path", "identity", "options")}
            ),
            "stages": [[kind, _checkpoint.describe(fn)] for kind, fn in self.stages],
            "output": self.out,
            **self.writer().identity(),
            "compression": self.kind,
            "compressor": compressor,
            "batch": [BATCH_BYTES, BATCH_STEP],
            "parts": parts,
        }

    def total(self, start: int) -> int | None:
        """The input bytes the job reads from *start*, when known (not for
        compressed input, whose offsets count decompressed bytes)."""
        options = self.state.get("options")
        if self.path is None or options is None or options["compression"] is not None:
            return None
        end = os.stat(self.path).st_size if options["stop"] is None else options["stop"]
        return max(0, end - start)

    def restore(self, data: str) -> Any:
        """A reader of the job's class at the state *data* a checkpoint holds."""
        reader = self.cls.__new__(self.cls)
        reader.__setstate__(pickle.loads(base64.b64decode(data)))
        return reader


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
    job = _Job(pipe, out, fmt, checkpoint is not None or workers > 1)
    try:
        return _run_single(job, checkpoint, progress)
    finally:
        job.reader.close()


def _output_path(path: Any) -> str:
    name = os.fspath(path)
    if isinstance(name, bytes):
        name = os.fsdecode(name)
    return os.path.realpath(name)  # (a symbolic link keeps pointing at the file)


def _part_name(out: str, part: int | None) -> str:
    """The file a checkpointed job writes before it is complete (named so
    that a resumed run finds it)."""
    directory, name = os.path.split(out)
    suffix = ".part" if part is None else f".{part}.part"
    return os.path.join(directory, f".{name}{suffix}")


def _run_single(job: _Job, checkpoint: str | None, progress: bool | None) -> Result:
    """The job in this process, as one part."""
    reader = job.reader
    writer = job.writer()
    start = reader.offset
    done = [0]  # input bytes read, for the bar

    def report(offset: int) -> None:
        done[0] = offset - start

    if checkpoint is None:
        output = _Output.fresh(job.out, job.kind)
        try:
            with _progress.shown(progress, job.total(start), lambda: done[0]):
                count = _batches(reader, job.stages, writer, output, 0, None, report)
            output.sync()
            output.close()
            os.replace(output.name, job.out)
            _jsonl._sync_directory(os.path.dirname(job.out))
        except BaseException:
            output.close()
            _checkpoint.remove(output.name)
            raise
        return Result(count, os.stat(job.out).st_size, done[0], False)
    assert job.path is not None
    with _checkpoint.Lock(checkpoint) as lock:
        identity = job.identity(None)
        now = _checkpoint.input_identity(job.path)
        saved = _checkpoint.load(checkpoint)
        name = _part_name(job.out, None)
        count, length = 0, 0
        if saved is not None:
            _checkpoint.check_same(checkpoint, saved, identity, now)
            if saved["done"]:
                _finish(saved["file"], job.out, saved["length"], [checkpoint], lock)
                return Result(saved["records"], saved["length"], 0, True)
            reader.close()
            reader = job.restore(saved["reader"])
            report(reader.offset)
            count, length = saved["records"], saved["length"]
            writer.header = saved["header"]
        first = done[0]
        output = _Output.at(name, length, job.kind, job.out)
        try:
            boundary = (pickle.dumps(reader.__reduce__()[2]), length, count, writer.state())
            saver = _Saver(checkpoint, {"job": identity, "input": now, "file": name}, output, boundary)
            if saved is None:
                saver.save()
            with _progress.shown(progress, job.total(start), lambda: done[0]):
                count = _batches(reader, job.stages, writer, output, count, saver, report)
        finally:
            output.close()
        length = saver.boundary[1]
        _finish(name, job.out, length, [checkpoint], lock)
        return Result(count, length, done[0] - first, saved is not None)


def _finish(name: str, out: str, length: int, checkpoints: list[str], lock: _checkpoint.Lock) -> None:
    """Put the complete output *name* in place at *out* and remove the
    checkpoints: a run killed in between finds the output in place."""
    if os.path.exists(name):
        os.replace(name, out)
        _jsonl._sync_directory(os.path.dirname(out))
    elif not (os.path.exists(out) and os.path.getsize(out) == length):
        raise ValueError(
            f"the checkpoint {checkpoints[0]!r} records a finished job, but neither its output "
            f"{name!r} nor {out!r} of {length} bytes is there; delete the checkpoint to start over"
        )
    _checkpoint.remove(*checkpoints)
    lock.release(remove_file=True)
