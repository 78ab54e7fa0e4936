"""Fixtures of the packaging checks, run by ``nox -s packaging``.

They build the release artifacts from a clean copy of this tree, exactly as a
user or the wheel workflow would, and install them in fresh virtual
environments: nothing here uses the editable install of the work tree.

* ``dists``: ``python -m build`` -> the sdist, and a wheel built from the
  unpacked sdist with build isolation;
* ``pure_wheel``: the ``CYITER_NO_EXTENSIONS=1`` wheel, built from the sdist
  with a compiler that always fails (it must not need one);
* ``sdist_venv``: a fresh venv where the sdist was installed (compiled), with
  the test and typing tools.
"""

import fcntl
import os
import shutil
import subprocess
import sys
import tarfile
import termios
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: What the suite runs with in these environments: the default hypothesis
#: profile (the `tests` and `pure` sessions already run the CI one), and none
#: of cyiter's switches unless a check sets one.
CLEAN_ENV = {"CI": "0"}
_DROPPED = ("CYITER_", "CIBW_", "PYTHONPATH", "PIP_REQUIRE_VIRTUALENV", "VIRTUAL_ENV")


def environment(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED)}
    env.update(CLEAN_ENV)
    env.update(extra)
    return env


def run(*cmd, cwd=None, **extra_env):
    """Run *cmd*; fail the test with its output unless it succeeds."""
    proc = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=environment(**extra_env),
        capture_output=True,
        text=True,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{cmd} exited with {proc.returncode}:\n{output[-8000:]}"
    return output


def run_in_terminal(*cmd, **extra_env):
    """Run *cmd* with a pseudo-terminal as its controlling terminal.

    That is how a person runs ``pip install``: what reaches the terminal is
    what they see.  Returns (exit code, everything written to the terminal).
    """
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [str(c) for c in cmd],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=environment(TERM="dumb", **extra_env),
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every holder of the terminal has closed it
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return proc.wait(), b"".join(chunks).decode(errors="replace").replace("\r", "")


def tree_files():
    """The files of this tree as a fresh clone would have them (plus new, unignored ones)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    return [name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


class Venv:
    """A fresh virtual environment from the interpreter running the checks."""

    def __init__(self, path):
        run(sys.executable, "-m", "venv", path)
        self.path = path
        self.python = path / ("Scripts" if os.name == "nt" else "bin") / "python"

    def pip(self, *args, **env):
        return run(self.python, "-m", "pip", "--disable-pip-version-check", *args, **env)

    def implementation(self, **env):
        return run(self.python, "-c", "import cyiter; print(cyiter.IMPLEMENTATION)", **env).strip()


@pytest.fixture(scope="session")
def clean_tree(tmp_path_factory):
    tree = tmp_path_factory.mktemp("tree")
    for name in tree_files():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    return tree


@pytest.fixture(scope="session")
def dists(clean_tree, tmp_path_factory):
    """(sdist, wheel) from ``python -m build``: the wheel is built from the sdist."""
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--outdir", out, clean_tree, CYITER_REQUIRE_EXTENSIONS="1")
    (sdist,) = out.glob("cyiter-*.tar.gz")
    (wheel,) = out.glob("cyiter-*.whl")
    return sdist, wheel


@pytest.fixture(scope="session")
def unpacked_sdist(dists, tmp_path_factory):
    """The unpacked sdist: its tests and pyproject.toml (pytest settings) run the suite."""
    dest = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(dists[0]) as tar:
        tar.extractall(dest, filter="data")
    (top,) = dest.iterdir()
    return top


@pytest.fixture(scope="session")
def pure_wheel(dists, tmp_path_factory):
    out = tmp_path_factory.mktemp("pure")
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-w", out, dists[0],
        CYITER_NO_EXTENSIONS="1", CC="false", CXX="false",
    )
    (wheel,) = out.glob("cyiter-*.whl")
    return wheel


@pytest.fixture(scope="session")
def sdist_venv(dists, tmp_path_factory):
    """A venv where ``pip install <sdist>[test]`` compiled cyiter, plus mypy."""
    venv = Venv(tmp_path_factory.mktemp("venv") / "sdist")
    venv.pip("install", "--no-cache-dir", f"{dists[0]}[test]", CYITER_REQUIRE_EXTENSIONS="1")
    venv.pip("install", "mypy")
    return venv
