"""The stages of the pipeline tests and a job run as a child process.

Stages live here, at the top level of a module importable by name, so that
worker processes can unpickle them.  ``python pipeline_support.py ...``
runs one job (the twin comes from CYITER_PURE_PYTHON) and, with ``--kill``,
SIGKILLs its whole process group at a chosen moment: the N-th call of the
map stage, of ``os.replace``, ``os.fsync`` or ``os.unlink``.
"""

import argparse
import json
import os
import signal
import sys
import time

SLOW = float(os.environ.get("PIPELINE_SLOW", "0"))


def keep(row):
    """The seed's filter: rows with a positive amount."""
    return float(row["amount"]) > 0


def transform(row):
    """The seed's transform: typed fields, a derived one."""
    return {
        "id": int(row["id"]),
        "name": row["name"].upper(),
        "amount": round(float(row["amount"]) * 1.2, 2),
        "note": row["note"],
    }


def keep_other(row):
    return float(row["amount"]) >= 0


def late(row):
    """Rows after the first 200: the first parts of a job have no record."""
    return int(row["id"]) >= 200


def shuffled_keys(row):
    """transform, its keys in another order from row 300 on (one pass writes
    them in the order of the first record's)."""
    record = transform(row)
    return dict(reversed(record.items())) if record["id"] >= 300 else record


def other_keys_at_700(row):
    """transform, with a key more at row 700."""
    record = transform(row)
    if record["id"] == 700:
        record["extra"] = 1
    return record


FAIL_AT = None


def fail_at(row):
    """transform, raising at the row FAIL_AT names (the same code either way)."""
    if FAIL_AT is not None and int(row["id"]) == FAIL_AT:
        raise RuntimeError(f"failing at row {FAIL_AT}")
    return transform(row)


def unencodable_at_700(row):
    """transform, with a value JSON cannot hold at row 700."""
    record = transform(row)
    if record["id"] == 700:
        record["note"] = {1, 2}
    return record


def first_field(row):
    return {"id": row["id"]}


_calls = {}


def _kill_at(name, n):
    """Count calls named *name*; SIGKILL the process group at the *n*-th."""
    _calls[name] = _calls.get(name, 0) + 1
    if _calls[name] == n:
        os.killpg(os.getpgrp(), signal.SIGKILL)


def _patch(name, n):
    real = getattr(os, name)

    def patched(*args, **kwargs):
        _kill_at(name, n)
        return real(*args, **kwargs)

    setattr(os, name, patched)


def slow_transform(row):
    """transform, with the pauses and the kill a test asked for."""
    kill = os.environ.get("PIPELINE_KILL_RECORD")
    if kill:
        _kill_at("record", int(kill))
    if SLOW:
        time.sleep(SLOW)
    return transform(row)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("src")
    parser.add_argument("dst")
    parser.add_argument("--checkpoint")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--batch-bytes", type=int)
    parser.add_argument("--batch-step", type=int)
    parser.add_argument("--part-bytes", type=int)
    parser.add_argument("--every", type=float, help="seconds between checkpoints")
    parser.add_argument("--kill", help="FUNCTION:N, FUNCTION one of replace, fsync, unlink")
    args = parser.parse_args(argv)
    import pipeline_support  # (the stages by their importable name, not __main__'s)
    from cyiter import _pipeline, pipeline, read_csv

    if args.batch_bytes:
        _pipeline.BATCH_BYTES = args.batch_bytes
    if args.batch_step:
        _pipeline.BATCH_STEP = args.batch_step
    if args.part_bytes:
        _pipeline.PART_BYTES = args.part_bytes
    if args.every is not None:
        _pipeline.CHECKPOINT_SECONDS = args.every
    if args.kill:
        name, n = args.kill.split(":")
        _patch(name, int(n))
    job = pipeline(read_csv(args.src)).filter(pipeline_support.keep).map(pipeline_support.slow_transform)
    count = job.write_jsonl(args.dst, checkpoint=args.checkpoint, workers=args.workers, progress=False)
    json.dump({"records": count}, sys.stdout)


if __name__ == "__main__":
    main()
