"""What the reentrancy/thread guard costs on a GIL build.

Builds the Cython twin twice from copies of this tree: as it is, and with
``_guard.pxd``'s guard_enter/guard_leave turned into no-ops (on a GIL build
``@cython.critical_section`` compiles to nothing, so that is the whole cost).
Then times tight loops in both builds, interleaved round by round, and
prints the minimum of each and the ratio.  Run with the interpreter to
measure (a release build):

    python tools/hardening/guard_cost.py [--rounds 15] [--callgrind] [--ref HEAD] [--keep DIR]

On a loaded machine the times are noisy; ``--callgrind`` also counts the
instructions per item under valgrind, which do not depend on the load.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

NO_GUARD = '''# cython: language_level=3
# guard_cost.py's variant: the same API, doing nothing.
cdef struct Guard:
    unsigned long owner
    bint running


cdef inline int guard_enter(Guard* g, str name) except -1:
    return 0


cdef inline void guard_leave(Guard* g) noexcept:
    pass
'''

# name: (setup, statement consuming the iterator, items per run).  Each one
# runs the path of the iterator that takes the guard, unless noted.
CASES = {
    "count(), C fast path (no guard)": ("it = count()", "consume(islice(it, N))", 1),
    "count(0.5), Python numbers": ("it = count(0.5)", "consume(islice(it, N))", 1),
    "fibonacci(2000), 93 terms < 2**64": ("", "for _ in range(N // 2000): consume(fibonacci(2000))", 1),
    "batched(iterator, 2)": ("it = batched(iter(DATA), 2)", "consume(it)", 2),
    "chunked(iterator, 2)": ("it = chunked(iter(DATA), 2)", "consume(it)", 2),
    "batched(list, 2), sliced (no guard)": ("it = batched(DATA, 2)", "consume(it)", 2),
    "flatten(iterator of generators)": ("it = flatten(GENS())", "consume(it)", 1),
    "collapse(pairs)": ("it = collapse(PAIRS)", "consume(it)", 1),
}

CHILD = r'''
import json, sys, time
from collections import deque
from functools import partial
from itertools import islice
sys.path.insert(0, sys.argv[1])
from cyiter._cy.sequences import count, fibonacci
from cyiter._cy.batching import batched, chunked
from cyiter._cy.flattening import flatten, collapse
N = int(sys.argv[3])
DATA = list(range(N))
PAIRS = [[i, [i]] for i in range(N // 2)]
def GENS():
    for i in range(0, N, 8):
        yield iter(DATA[i:i + 8])
consume = partial(deque, maxlen=0)
repeat = int(sys.argv[4])
out = {}
for name, (setup, stmt, _) in json.loads(sys.argv[2]).items():
    best = float("inf")
    for _ in range(repeat):
        ns = dict(globals())
        exec(setup, ns)
        t = time.perf_counter()
        exec(stmt, ns)
        best = min(best, time.perf_counter() - t)
    out[name] = best
print(json.dumps(out))
'''


def build(tree, python):
    env = {**os.environ, "CYITER_REQUIRE_EXTENSIONS": "1"}
    subprocess.run(
        [python, "setup.py", "-q", "build_ext", "--inplace"],
        cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def copy_tree(dest, ref):
    """The files of commit *ref* (not the work tree, which others edit)."""
    dest.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref], cwd=REPO, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive.stdout, check=True)


def child(tree, cases, n, repeat, prefix=()):
    # a fixed hash seed: the same dict and set work in every run
    return subprocess.run(
        [*prefix, sys.executable, "-c", CHILD, str(tree / "src"), json.dumps(cases), str(n), str(repeat)],
        check=True, capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"},
    )


def seconds(trees, rounds):
    """ns per item: the minimum over interleaved rounds of 3 runs each."""
    best = {label: {} for label in trees}
    for _ in range(rounds):
        for label, tree in trees.items():
            for name, t in json.loads(child(tree, CASES, N, 3).stdout).items():
                best[label][name] = min(best[label].get(name, t), t)
    return {
        label: {name: t / (N / CASES[name][2]) * 1e9 for name, t in times.items()}
        for label, times in best.items()
    }


def instructions(trees):
    """Instructions per item under callgrind: the difference between 5 runs
    of the loop and 1, so start-up and building the data cancel out."""
    counts = {label: {} for label in trees}
    for label, tree in trees.items():
        for name, case in CASES.items():
            total = []
            for repeat in (1, 5):
                err = child(
                    tree, {name: case}, N_CALLGRIND, repeat,
                    prefix=("valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"),
                ).stderr
                total.append(int(re.search(r"Collected : (\d+)", err).group(1)))
            counts[label][name] = (total[1] - total[0]) / (4 * N_CALLGRIND / case[2])
    return counts


N = 200_000
N_CALLGRIND = 20_000


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="timed rounds (0: none)")
    parser.add_argument("--callgrind", action="store_true", help="also count instructions")
    parser.add_argument("--keep", type=Path, help="build in this directory and keep it")
    parser.add_argument("--ref", default="HEAD", help="the commit to measure (default HEAD)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="cyiter-guard-cost-"))
    trees = {"guarded": work / "guarded", "no guard": work / "noguard"}
    try:
        for label, tree in trees.items():
            if not (tree / "setup.py").exists():
                copy_tree(tree, args.ref)
            if label == "no guard":
                (tree / "src/cyiter/_cy/_guard.pxd").write_text(NO_GUARD)
            build(tree, sys.executable)
        tables = []
        if args.rounds:
            tables.append((f"ns/item, min of {args.rounds} interleaved rounds x 3 runs", seconds(trees, args.rounds)))
        if args.callgrind:
            tables.append(("instructions/item (callgrind)", instructions(trees)))
        print(f"CPython {sys.version.split()[0]}, {args.ref}")
        for title, table in tables:
            print(f"\n| loop | guarded {title} | no guard | cost |\n| --- | ---: | ---: | ---: |")
            for name in CASES:
                guarded, bare = table["guarded"][name], table["no guard"][name]
                print(f"| {name} | {guarded:.1f} | {bare:.1f} | {guarded / bare - 1:+.1%} |")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
