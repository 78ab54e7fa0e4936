"""Run the references' own test suites against cyiter.

    python tools/references/run.py [--work DIR]

cyiter's iterators are drop-in replacements, so the tests their references
ship must pass on them too:

* more-itertools: the sdist of the installed version is fetched from the
  package index (``pip download``) and its tests of ``chunked``,
  ``collapse``, ``flatten`` and ``batched`` run with those names of
  ``more_itertools`` pointing at cyiter's;
* CPython: the running interpreter's ``test.test_itertools`` (where it ships
  the ``test`` package), its tests of ``count`` and, from 3.12 on,
  ``batched``, with those names pointing at cyiter's.

The twin is the active one (``cyiter.IMPLEMENTATION``): run it once as is
and once with ``CYITER_PURE_PYTHON=1`` for both.  The exit status is 0 only
if every selected test passed, and a selection that finds no test fails.
"""

import argparse
import importlib.metadata
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest
from pathlib import Path

import cyiter

#: more-itertools' test classes of the functions cyiter replaces.
MORE_ITERTOOLS_TESTS = [
    "tests/test_more.py::ChunkedTests",
    "tests/test_more.py::TestCollapse",
    "tests/test_recipes.py::FlattenTests",
    "tests/test_recipes.py::BatchedTests",
]
MORE_ITERTOOLS_NAMES = ("chunked", "collapse", "flatten", "batched")

#: test_itertools' test classes that test count or batched, by test name.
ITERTOOLS_NAMES = ("count", "batched")


class PointAtCyiter:
    """pytest plugin: ``more_itertools.<name>`` is cyiter's, in every module
    of more-itertools that defines it, before any test module imports it."""

    def pytest_configure(self, config):
        import more_itertools
        import more_itertools.more
        import more_itertools.recipes

        for name in MORE_ITERTOOLS_NAMES:
            for module in (more_itertools, more_itertools.more, more_itertools.recipes):
                if hasattr(module, name):
                    setattr(module, name, getattr(cyiter, name))
            assert more_itertools.__dict__[name] is getattr(cyiter, name)


def more_itertools_suite(work: Path) -> int:
    version = importlib.metadata.version("more-itertools")
    subprocess.run(
        [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--no-binary", ":all:", f"more-itertools=={version}", "--dest", str(work),
        ],
        check=True,
    )
    (sdist,) = work.glob("more_itertools-*.tar.gz")
    with tarfile.open(sdist) as archive:
        members = [m for m in archive.getmembers() if "/tests/" in m.name and m.isfile()]
        # the "data" filter (3.11.4+) refuses links and paths out of *work*
        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        archive.extractall(work, members=members, **safe)
    root = next(work.glob("more_itertools-*/"))
    print(f"more-itertools {version}: its tests of {', '.join(MORE_ITERTOOLS_NAMES)}", flush=True)
    import pytest

    old = os.getcwd()
    os.chdir(root)
    try:
        return pytest.main(
            ["-q", "-p", "no:cacheprovider", *MORE_ITERTOOLS_TESTS], plugins=[PointAtCyiter()]
        )
    finally:
        os.chdir(old)


def itertools_suite() -> int:
    try:
        from test import test_itertools
    except ImportError as error:
        print(f"CPython's test.test_itertools: not installed here ({error}); skipped")
        return 0
    names = [name for name in ITERTOOLS_NAMES if hasattr(test_itertools, name)]
    for name in names:
        setattr(test_itertools, name, getattr(cyiter, name))
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for attr in dir(test_itertools):
        case = getattr(test_itertools, attr)
        if isinstance(case, type) and issubclass(case, unittest.TestCase):
            for test in loader.getTestCaseNames(case):
                if any(name in test.lower() for name in names):
                    suite.addTest(case(test))
    print(
        f"CPython {sys.version.split()[0]} test.test_itertools: its {suite.countTestCases()} "
        f"tests of {', '.join(names)}",
        flush=True,
    )
    if not suite.countTestCases():
        return 1
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    return 0 if result.wasSuccessful() else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--work", type=Path, help="where to fetch and unpack (default: a temporary directory)"
    )
    args = parser.parse_args()
    print(f"cyiter twin: {cyiter.IMPLEMENTATION}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        status = more_itertools_suite(work)
    return int(status != 0) | itertools_suite()


if __name__ == "__main__":
    sys.exit(main())
