"""Run the references' own test suites against cyiter.

    python tools/references/run.py [--work DIR]

cyiter's iterators are drop-in replacements, so the tests their references
ship must pass on them too:

* more-itertools: the sdist of the installed version is fetched from the
  package index (``pip download``) and its tests of the functions cyiter
  replaces (``MORE_ITERTOOLS_TESTS``) run with those names of
  ``more_itertools`` pointing at cyiter's; the few that check its internals
  (``MORE_ITERTOOLS_SKIPS``) are skipped, by name;
* CPython: ``test_itertools`` of the running interpreter (where it ships the
  ``test`` package) and of the newest CPythons Debian packages (3.13 and
  later, from the ``libpython3.X-testsuite`` packages of Debian sid, which
  also carry the tests of ``batched`` with ``strict=``): their tests of
  ``count`` and ``batched``, with those names pointing at cyiter's.  The
  tests that check a documented difference (``DEPARTURES``) are skipped.
* CPython's ``test_csv`` of the same versions: every test that uses
  ``csv.DictReader``, with it pointing at ``read_csv`` (through
  :func:`dict_reader`, which takes DictReader's arguments).  A newer
  version's test_csv that the running Python cannot import is reported and
  skipped.

The twin is the active one (``cyiter.IMPLEMENTATION``): run it once as is
and once with ``CYITER_PURE_PYTHON=1`` for both.  The exit status is 0 only
if every selected test passed, and a selection that finds no test fails.
"""

import argparse
import csv
import importlib.metadata
import importlib.util
import inspect
import io
import lzma
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import unittest
import urllib.request
from pathlib import Path

import cyiter

#: more-itertools' test classes of the functions cyiter replaces.
MORE_ITERTOOLS_TESTS = [
    "tests/test_more.py::ChunkedTests",
    "tests/test_more.py::TestCollapse",
    "tests/test_recipes.py::FlattenTests",
    "tests/test_recipes.py::BatchedTests",
    "tests/test_more.py::WindowedTests",
    "tests/test_recipes.py::SlidingWindowTests",
    "tests/test_recipes.py::UniqueEverseenTests",
    "tests/test_recipes.py::UniqueJustseenTests",
    "tests/test_more.py::InterleaveTests",
    "tests/test_more.py::InterleaveLongestTests",
    "tests/test_recipes.py::RoundrobinTests",
    "tests/test_more.py::ConstrainedBatchesTests",
    "tests/test_more.py::IchunkedTests",
    "tests/test_more.py::PeekableTests",
    "tests/test_more.py::IlenTests",
]
MORE_ITERTOOLS_NAMES = (
    "chunked", "collapse", "flatten", "batched", "windowed", "sliding_window",
    "unique_everseen", "unique_justseen", "interleave", "interleave_longest", "roundrobin",
    "constrained_batches", "ichunked", "peekable", "ilen",
)  # fmt: skip

#: Tests of more-itertools that check its internals, not behaviour, by test
#: id: deselected, with the reason printed.  (tests/test_lookahead.py checks
#: the behaviour test_slicing_error checks through the cache.)
MORE_ITERTOOLS_SKIPS = {
    "tests/test_more.py::PeekableTests::test_slicing_error": (
        "reads peekable's private attribute _cache"
    ),
}

#: The names test_itertools' tests are picked by (and pointed at cyiter).
ITERTOOLS_NAMES = ("count", "batched")

#: Tests of a documented difference from the reference (README, "Deliberate
#: differences"), by test_itertools version and test id: skipped.
DEPARTURES = {
    ("3.13", "TestBasicOps.test_count"): "count pickles without a DeprecationWarning",
    ("3.13", "TestBasicOps.test_count_with_step"): "count pickles without a DeprecationWarning",
}

#: Debian's archive (the CYITER_DEBIAN_MIRROR environment variable overrides it).
MIRROR = os.environ.get("CYITER_DEBIAN_MIRROR", "http://deb.debian.org/debian")


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
    deselect = []
    for test, reason in MORE_ITERTOOLS_SKIPS.items():
        print(f"  skipped: {test} ({reason})", flush=True)
        deselect += ["--deselect", test]
    import pytest

    old = os.getcwd()
    os.chdir(root)
    try:
        return pytest.main(
            ["-q", "-p", "no:cacheprovider", *deselect, *MORE_ITERTOOLS_TESTS],
            plugins=[PointAtCyiter()],
        )
    finally:
        os.chdir(old)


def debian_tests(work: Path, skip: str) -> list:
    """``(version, {module: path})`` of test_itertools.py and test_csv.py of
    every CPython 3.13+ whose ``libpython3.X-testsuite`` package Debian sid
    has, but *skip*, fetched into *work*."""
    with urllib.request.urlopen(f"{MIRROR}/dists/sid/main/binary-all/Packages.xz") as reply:
        index = lzma.decompress(reply.read()).decode()
    packages = dict(  # the last one listed of each version (the index may hold two)
        re.findall(
            r"^Package: libpython(3\.1[3-9])-testsuite\n(?:.+\n)*?Filename: (\S+)$", index, re.M
        )
    )
    found = []
    for version, filename in sorted(packages.items()):
        if version == skip:
            continue
        with urllib.request.urlopen(f"{MIRROR}/{filename}") as reply:
            deb = reply.read()
        paths = {}
        for module in ("test_itertools", "test_csv"):
            text = _deb_member(deb, f"./usr/lib/python{version}/test/{module}.py")
            paths[module] = work / f"{module}_{version.replace('.', '')}.py"
            paths[module].write_bytes(text)
        found.append((version, paths))
    return found


def _deb_member(deb: bytes, name: str) -> bytes:
    """File *name* of the data archive of the Debian package *deb* (an ``ar``
    archive: an 8-byte magic, then 60-byte headers each before its member)."""
    at = 8
    while at < len(deb):
        header = deb[at : at + 60]
        member, size = header[:16].decode().strip().rstrip("/"), int(header[48:58])
        body = deb[at + 60 : at + 60 + size]
        if member.startswith("data.tar"):
            with tarfile.open(fileobj=io.BytesIO(body)) as archive:
                return archive.extractfile(name).read()
        at += 60 + size + size % 2
    raise LookupError(f"no data archive in the package holding {name}")


def itertools_suite(version: str, module) -> int:
    """The tests of *module* (a test_itertools of CPython *version*) whose
    names hold one of ``ITERTOOLS_NAMES``, those names pointing at cyiter's."""
    names = [name for name in ITERTOOLS_NAMES if hasattr(cyiter, name)]
    for name in names:
        setattr(module, name, getattr(cyiter, name))
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    skipped = []
    for attr in dir(module):
        case = getattr(module, attr)
        if isinstance(case, type) and issubclass(case, unittest.TestCase):
            for test in loader.getTestCaseNames(case):
                reason = DEPARTURES.get((version, f"{attr}.{test}"))
                if reason:
                    skipped.append(f"{attr}.{test} ({reason})")
                elif any(name in test.lower() for name in names):
                    suite.addTest(case(test))
    print(
        f"CPython {version} test_itertools: its {suite.countTestCases()} tests named after "
        f"{' or '.join(names)}" + (f"; skipped: {', '.join(skipped)}" if skipped else ""),
        flush=True,
    )
    if not suite.countTestCases():
        return 1
    result = unittest.TextTestRunner(verbosity=1).run(suite)
    return 0 if result.wasSuccessful() else 1


def dict_reader(f, fieldnames=None, restkey=None, restval=None, dialect="excel", *args, **kwds):
    """``csv.DictReader(f, ...)`` as ``cyiter.read_csv``: the lines of *f* (a
    text file or any iterable of str, as csv.reader takes them) are read at
    once, a line without a line end is given ``\\n``, and the whole is read
    from memory as UTF-8.  The dialect is resolved by the csv module itself."""
    options = csv.reader([], dialect, *args, **kwds).dialect
    text = "".join(line if line.endswith(("\n", "\r")) else line + "\n" for line in f)
    return cyiter.read_csv(
        io.BytesIO(text.encode("utf-8")),
        fieldnames=fieldnames,
        restkey=restkey,
        restval=restval,
        delimiter=options.delimiter,
        quotechar=options.quotechar,
        escapechar=options.escapechar,
        doublequote=options.doublequote,
        skipinitialspace=options.skipinitialspace,
        strict=options.strict,
        quoting=options.quoting,
    )


def csv_suite(version: str, module) -> int:
    """The tests of *module* (a test_csv of CPython *version*) that use
    ``csv.DictReader``, with it pointing at read_csv."""
    loader = unittest.TestLoader()
    suite = unittest.TestSuite()
    for attr in dir(module):
        case = getattr(module, attr)
        if isinstance(case, type) and issubclass(case, unittest.TestCase):
            for test in loader.getTestCaseNames(case):
                if "DictReader" in inspect.getsource(getattr(case, test)):
                    suite.addTest(case(test))
    print(
        f"CPython {version} test_csv: its {suite.countTestCases()} tests of csv.DictReader, "
        "on read_csv",
        flush=True,
    )
    if not suite.countTestCases():
        return 1
    original = csv.DictReader
    csv.DictReader = dict_reader
    try:
        result = unittest.TextTestRunner(verbosity=1).run(suite)
    finally:
        csv.DictReader = original
    return 0 if result.wasSuccessful() else 1


def cpython_suites(work: Path) -> int:
    status = 0
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    suites = {"test_itertools": itertools_suite, "test_csv": csv_suite}
    for name, run_suite in suites.items():
        try:
            module = importlib.import_module(f"test.{name}")
        except ImportError as error:
            print(f"CPython {running}: no test.{name} here ({error}); skipped")
        else:
            status |= run_suite(running, module)
    for version, paths in debian_tests(work, skip=running):
        for name, run_suite in suites.items():
            spec = importlib.util.spec_from_file_location(paths[name].stem, paths[name])
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
            except ImportError as error:
                # a newer test.support helper, for tests that are not cyiter's
                print(f"CPython {version} {name}: cannot be imported here ({error}); skipped")
                continue
            status |= run_suite(version, module)
    return status


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
        status = int(more_itertools_suite(work) != 0)
        return status | cpython_suites(work)


if __name__ == "__main__":
    sys.exit(main())
