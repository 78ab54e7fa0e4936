"""Checkpoint files of restartable pipelines: saving, loading, comparing jobs.

A checkpoint is a small JSON document replaced atomically: written to a
temporary file beside it, synced, renamed over it, the directory synced.
A job is identified by a JSON description of what shapes its output
(:func:`describe` turns callables and options into one); the
reasons are in docs/internals.md, "Pipelines and checkpoints".
"""

from __future__ import annotations

import errno
import functools
import hashlib
import json
import os
import time
import types
from typing import Any

from cyiter._jsonl import _sync_directory

#: The format of the files this module writes.
VERSION = 1
_MARK = "cyiter checkpoint"

#: How long a run waits for another run of the same job to let go of it
#: (the workers of a killed run stop at their next batch).
LOCK_WAIT_SECONDS = 10.0

try:
    import fcntl
except ImportError:  # Windows: no advisory locks (docs/internals.md)
    fcntl = None  # type: ignore[assignment]


def describe(obj: Any) -> Any:
    """*obj* as JSON data that a later run can compare: plain data as it is,
    a callable as ``module:qualname`` and a digest of its code."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [describe(item) for item in obj]
    if isinstance(obj, dict):
        return {str(key): describe(value) for key, value in obj.items()}
    if isinstance(obj, functools.partial):
        return {
            "partial": describe(obj.func),
            "args": describe(obj.args),
            "keywords": describe(obj.keywords),
        }
    if callable(obj):
        target = getattr(obj, "__func__", obj)  # (a bound method: its function)
        if not hasattr(target, "__qualname__"):
            target = type(obj)  # an instance with __call__: its class
        name = f"{getattr(target, '__module__', None)}:{target.__qualname__}"
        code = getattr(target, "__code__", None)
        return name if code is None else f"{name} [{_code_digest(code)}]"
    return repr(obj)


def _code_digest(code: types.CodeType) -> str:
    """A digest of what a function does: its bytecode, constants and names
    (not its line numbers, so moving it in its file changes nothing)."""
    digest = hashlib.sha256()

    def feed(c: types.CodeType) -> None:
        digest.update(c.co_code)
        digest.update(repr(c.co_names).encode())
        for const in c.co_consts:
            if isinstance(const, types.CodeType):
                feed(const)
            elif isinstance(const, frozenset):  # (set order varies with the hash seed)
                digest.update(repr(sorted(map(repr, const))).encode())
            else:
                digest.update(repr(const).encode())

    feed(code)
    return digest.hexdigest()[:16]


def input_identity(path: str) -> dict[str, int]:
    """What identifies the input file: inode, size and modification time."""
    st = os.stat(path)
    return {"inode": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def load(path: str) -> dict[str, Any] | None:
    """The checkpoint at *path*, or None if there is none."""
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read())
    except FileNotFoundError:
        return None
    except ValueError as exc:
        raise ValueError(f"{path!r} is not a cyiter checkpoint: {exc}") from None
    if not isinstance(data, dict) or data.get(_MARK) != VERSION:
        raise ValueError(f"{path!r} is not a cyiter checkpoint of version {VERSION}")
    return data


def save(path: str, data: dict[str, Any]) -> None:
    """Replace the checkpoint at *path* by *data*, atomically and durably."""
    temp = f"{path}.tmp"
    text = json.dumps({_MARK: VERSION, **data}, indent=1, sort_keys=True).encode()
    with open(temp, "wb") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)
    _sync_directory(os.path.dirname(path))


def remove(*paths: str) -> None:
    """Remove the files *paths* (and their leftover temporary files) if present."""
    for path in paths:
        for name in (path, f"{path}.tmp"):
            try:
                os.unlink(name)
            except FileNotFoundError:
                pass


def check_same(
    checkpoint: str, saved: dict[str, Any], job: dict[str, Any], input_now: dict[str, int]
) -> None:
    """ValueError unless *saved* records the job *job* over the input as it
    is now (*input_now*; checked first: the parts of a job depend on its
    size): nothing is written before this passes."""
    redo = f"rerun the job that wrote it, or delete {checkpoint!r} (and its .N part files) to start over"
    before = saved.get("input")
    if before != input_now:
        changes = ", ".join(
            f"{key} {before.get(key) if isinstance(before, dict) else None} -> {input_now[key]}"
            for key in input_now
            if not isinstance(before, dict) or before.get(key) != input_now[key]
        )
        raise ValueError(
            f"the input {job.get('input')!r} changed since the checkpoint {checkpoint!r} was "
            f"written ({changes}): its output cannot be resumed; {redo}"
        )
    was = saved.get("job")
    if was != _json(job):
        if not isinstance(was, dict):
            raise ValueError(f"{checkpoint!r} records no job; {redo}")
        keys = sorted(set(was) | set(job), key=str)
        diffs = "; ".join(
            f"{key} was {was.get(key)!r}, now {_json(job).get(key)!r}"
            for key in keys
            if was.get(key) != _json(job).get(key)
        )
        raise ValueError(f"the checkpoint {checkpoint!r} belongs to another job ({diffs}); {redo}")


def digest(job: dict[str, Any]) -> str:
    """A short digest of the job *job* (what a part's checkpoint records)."""
    return hashlib.sha256(json.dumps(job, sort_keys=True).encode()).hexdigest()[:32]


def _json(data: Any) -> Any:
    """*data* as it reads back from JSON (tuples become lists)."""
    return json.loads(json.dumps(data))


class Lock:
    """An advisory lock on ``CHECKPOINT.lock``, held while a run uses the
    checkpoint (forked workers inherit it, so a killed run's workers hold it
    until they stop); a no-op where ``fcntl`` is missing."""

    def __init__(self, checkpoint: str) -> None:
        self.path = f"{checkpoint}.lock"
        self.fd: int | None = None

    def __enter__(self) -> Lock:
        if fcntl is None:
            return self
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES) or time.monotonic() > deadline:
                    os.close(fd)
                    raise RuntimeError(
                        f"the checkpoint {self.path[:-5]!r} is in use by another run of the job "
                        f"(it holds {self.path!r}); wait for it to end"
                    ) from exc
                time.sleep(0.05)
        self.fd = fd
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.release(remove_file=False)

    def release(self, remove_file: bool) -> None:
        """Let go of the lock, removing its file first when the job is over."""
        if self.fd is None:
            return
        if remove_file:
            remove(self.path)
        os.close(self.fd)
        self.fd = None


def lock_file(fd: int) -> None:
    """Hold an exclusive lock on the open file *fd* until it is closed,
    waiting for a stopping worker of a killed run that still writes it."""
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
