"""``cyiter convert SRC DST``: CSV, TSV or JSON Lines in, JSON Lines, CSV or TSV out.

The formats come from the suffixes (after a compression suffix: ``.gz``,
``.bz2``, ``.xz``, ``.zst``); a compressed input is recognised by its first
bytes, a compressed output is made as DST's suffix says.  The job is a
:class:`cyiter.pipeline`, so ``--checkpoint`` makes it resumable.  Exit
status: 0 done, 1 an error (its message on stderr), 2 bad arguments, 130
interrupted (Ctrl-C), with the checkpoint in place.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from cyiter._compression import SUFFIXES

_FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("src", metavar="SRC", help="a .csv, .tsv or .jsonl file, compressed or not")
    parser.add_argument(
        "dst", metavar="DST", help="a .jsonl, .csv or .tsv file, compressed as its suffix says (.gz, ...)"
    )
    parser.add_argument(
        "--workers", type=int, default=1, metavar="N",
        help="read the input in N processes (the same output as one)",
    )
    parser.add_argument(
        "--checkpoint", metavar="PATH", help="record progress in PATH: the same command resumes after a kill"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")


def format_of(path: str, role: str) -> str:
    """The format *path*'s suffix names (a compression suffix aside)."""
    stem = path
    for suffix in SUFFIXES:
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    ext = os.path.splitext(stem)[1].lower()
    if ext not in _FORMATS:
        raise ValueError(
            f"cannot tell the format of the {role} {path!r} from its suffix: "
            f"give it one of {', '.join(_FORMATS)} (and .gz, .bz2, .xz or .zst if compressed)"
        )
    return _FORMATS[ext]


def _reader(src: str) -> Any:
    from cyiter._select import CLASSES

    fmt = format_of(src, "input")
    if fmt == "jsonl":
        return CLASSES["read_jsonl"](src)
    return CLASSES["read_csv"](src, delimiter="\t" if fmt == "tsv" else ",")


def run(args: argparse.Namespace, command: str) -> int:
    """Run the conversion *args* describe; *command* is how to run it again."""
    from cyiter import _pipeline

    began = time.perf_counter()
    try:
        fmt = format_of(args.dst, "output")
        job = _pipeline.pipeline(_reader(args.src))
        progress = False if args.no_progress else None
        result = _pipeline._write(job, args.dst, fmt, args.checkpoint, args.workers, progress)
    except KeyboardInterrupt:
        if args.checkpoint:
            print(
                f"\ncyiter convert: interrupted; the work done is recorded in {args.checkpoint}. "
                f"Resume with the same command:\n  {command}",
                file=sys.stderr,
            )
        else:
            print(
                f"\ncyiter convert: interrupted; nothing was written to {args.dst} "
                "(with --checkpoint PATH, running the command again resumes the work)",
                file=sys.stderr,
            )
        return 130
    except Exception as exc:
        print(f"cyiter convert: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - began
    size = os.path.getsize(args.src)
    resumed = ", resumed from its checkpoint" if result.resumed else ""
    print(
        f"cyiter convert: {result.records:,} records, {size:,} bytes in, {result.nbytes:,} bytes out, "
        f"{seconds:.2f} s, {result.read / 1e6 / max(seconds, 1e-9):,.1f} MB/s{resumed}"
    )
    return 0
