"""Record the pure-Python twin's speed, the reference point of its targets.

``python benchmarks/record_baseline.py --quick --runs 3`` (or ``--full``)
from the root of a checkout runs ``cyiter bench`` that many times and
writes, into ``src/cyiter/_bench/baseline.json``, the median over the runs of
the pure twin's speedup over each row's reference (in CPU time of the
thread), for this interpreter and mode (replacing the entry it had).  ``python benchmarks/record_baseline.py
RUN.json ...`` records from runs already made (``cyiter bench --json``).

Record on the commit the targets should hold the twin to, on a machine as
quiet as you can get; cyiter/_bench/baseline.py says what is recorded and why.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from cyiter._bench import baseline, main

HERE = os.path.dirname(os.path.abspath(__file__))
FILE = os.path.join(HERE, os.pardir, "src", "cyiter", "_bench", baseline.FILE)


def _commit():
    """The commit measured, "-dirty" if the tree differs (the record itself aside:
    recording quick and then full mode leaves the first entry in it)."""
    root = os.path.join(HERE, os.pardir)
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", f":(exclude){os.path.relpath(FILE, root)}"],
            cwd=root, capture_output=True, text=True, check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}-dirty" if changed else head


def _runs(mode, count):
    docs = []
    with tempfile.TemporaryDirectory() as directory:
        for i in range(count):
            path = os.path.join(directory, f"run-{i}.json")
            print(f"record_baseline: run {i + 1} of {count} ({mode})", file=sys.stderr)
            if main([f"--{mode}", "--json", path]) != 0:
                sys.exit("record_baseline: the bench failed")
            with open(path, encoding="utf-8") as f:
                docs.append(json.load(f))
    return docs


def record(docs, commit):
    with open(FILE, encoding="utf-8") as f:
        doc = baseline.load(f.read())
    entry = baseline.entry(docs, commit)
    with open(FILE, "w", encoding="utf-8") as f:
        json.dump(baseline.merged(doc, entry), f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(
        f"record_baseline: {len(entry['rows'])} rows for {entry['interpreter']}, "
        f"{entry['mode']} mode, into {os.path.relpath(FILE)}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("runs_json", nargs="*", metavar="RUN.json", help="record from these runs")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", dest="mode", action="store_const", const="quick")
    group.add_argument("--full", dest="mode", action="store_const", const="full")
    parser.add_argument("--runs", type=int, default=3, help="bench runs to take the median of (3)")
    args = parser.parse_args()
    commit = _commit()  # of the code measured, before anything can change the tree
    if args.runs_json:
        if args.mode:
            parser.error("give runs or a mode, not both")
        docs = []
        for path in args.runs_json:
            with open(path, encoding="utf-8") as f:
                docs.append(json.load(f))
    elif args.mode and args.runs >= 1:
        docs = _runs(args.mode, args.runs)
    else:
        parser.error("give --quick or --full (and --runs N >= 1), or RUN.json files")
    try:
        record(docs, commit)
    except ValueError as exc:
        sys.exit(f"record_baseline: {exc}")
