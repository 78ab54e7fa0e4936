"""Check the refleak plugin itself, before trusting a clean report from it.

Runs pytest with the plugin on a few tests whose growth is known, on the
debug interpreter running this script, and checks what the plugin measured
(through ``CYITER_REFLEAK_LOG``):

* a test that leaks one reference a run, and one that leaks 2 objects a
  run, are reported, with exactly that growth;
* a test that does nothing, one that prints, and a parametrized @given test
  (which hypothesis' pytest plugin wraps anew on every run) are not;
* @given tests draw the same examples in every run, at most
  ``CYITER_REFLEAK_EXAMPLES``, although their conftest loads a profile of
  100 random examples with a database when the module is imported (as the
  project's does).

Usage: python refleak_selfcheck.py (exit 0 when the plugin behaves).
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

CONFTEST = """
from hypothesis import settings
settings.register_profile("project", max_examples=100)
settings.load_profile("project")
"""

TESTS = '''
import ctypes
import os

import pytest
from hypothesis import given, strategies as st

KEPT = []
DRAWS = os.environ["SELFCHECK_DRAWS"]


def test_clean():
    assert sum([1, 2, 3]) == 6


def test_prints():
    print("some output " * 20)


def test_leaks_one_reference():
    ctypes.pythonapi.Py_IncRef(ctypes.py_object(KEPT))


def test_keeps_objects():
    for _ in range(2):  # two objects nothing refers to, never freed
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(object()))


@pytest.fixture
def run_marker(request):
    with open(DRAWS, "a") as f:
        f.write(f"run {request.node.name}\\n")


@pytest.mark.parametrize("p", [1, 2])
@given(x=st.integers() | st.fractions())
def test_parametrized_given(run_marker, p, x):
    with open(DRAWS, "a") as f:
        f.write(f"{x!r}\\n")
'''

EXPECTED = {
    "test_clean": "clean",
    "test_prints": "clean",
    "test_leaks_one_reference": ([1, 1, 1], None),
    "test_keeps_objects": ([2, 2, 2], [2, 2, 2]),
    "test_parametrized_given[1]": "clean",
    "test_parametrized_given[2]": "clean",
}


def main():
    problems = []
    with tempfile.TemporaryDirectory(prefix="cyiter-refleak-selfcheck-") as tmp:
        tmp = Path(tmp)
        (tmp / "conftest.py").write_text(CONFTEST)
        (tmp / "test_cases.py").write_text(TESTS)
        log, draws = tmp / "deltas.tsv", tmp / "draws.txt"
        env = dict(
            os.environ,
            PYTHONPATH=os.pathsep.join(filter(None, [str(HERE), os.environ.get("PYTHONPATH")])),
            CYITER_REFLEAK_LOG=str(log),
            CYITER_REFLEAK_WARMUPS="3",
            CYITER_REFLEAK_RUNS="3",
            SELFCHECK_DRAWS=str(draws),
        )
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-p", "refleak", "-p", "no:cacheprovider", "-q", str(tmp)],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
        )
        measured = {}
        for line in log.read_text().splitlines() if log.exists() else []:
            nodeid, refs, blocks = line.split("\t")
            measured[nodeid.split("::")[-1]] = (eval(refs), eval(blocks))
        for name, expected in EXPECTED.items():
            if name not in measured:
                problems.append(f"{name}: not measured")
                continue
            refs, blocks = measured[name]
            if expected == "clean":
                # the plugin's own rule: growth in every measured run
                if all(r >= 1 for r in refs) or all(b >= 2 for b in blocks):
                    problems.append(f"{name}: should not grow, grew {refs} references, {blocks} blocks")
            else:
                want_refs, want_blocks = expected
                if refs != want_refs or (want_blocks is not None and blocks != want_blocks):
                    problems.append(f"{name}: expected {expected}, measured {(refs, blocks)}")
        reported = {name for name in EXPECTED if f"{name} leaked" in result.stdout}
        wanted = {name for name, expected in EXPECTED.items() if expected != "clean"}
        if reported != wanted:
            problems.append(f"reported as leaking: {sorted(reported)}, expected {sorted(wanted)}")
        # the examples of each run of each parametrized test
        runs, current = {}, None
        for line in draws.read_text().splitlines() if draws.exists() else []:
            if line.startswith("run "):
                current = []
                runs.setdefault(line[4:], []).append(current)
            else:
                current.append(line)
        examples = int(os.environ.get("CYITER_REFLEAK_EXAMPLES", "25"))
        for name in ("test_parametrized_given[1]", "test_parametrized_given[2]"):
            seen = runs.get(name, [])
            if len(seen) != 6:
                problems.append(f"{name}: {len(seen)} runs recorded, expected 6")
            elif any(run != seen[0] for run in seen) or not 0 < len(seen[0]) <= examples:
                problems.append(
                    f"{name}: runs drew {[len(run) for run in seen]} examples, "
                    f"not the same {examples} or fewer each time"
                )
    if problems:
        print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
        print("refleak plugin self-check FAILED:", *problems, sep="\n  ")
        return 1
    print(f"refleak plugin self-check passed ({len(EXPECTED)} known cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
