"""The stubs: ``mypy --strict`` on typed usage, ``stubtest`` on both twins,
run against cyiter installed from the sdist (not the work tree)."""

import pytest

from conftest import ROOT, run

HERE = ROOT / "tools" / "packaging"
USAGE = ROOT / "tests" / "typing" / "usage.py"


def test_the_stub_itself_passes_mypy_strict(sdist_venv):
    stubs = [ROOT / "src" / "cyiter" / "__init__.pyi", ROOT / "src" / "cyiter" / "aio" / "__init__.pyi"]
    run(sdist_venv.python, "-m", "mypy", "--strict", "--no-incremental", *stubs)


def test_typed_usage_passes_mypy_strict(sdist_venv, tmp_path):
    out = run(sdist_venv.python, "-m", "mypy", "--strict", "--no-incremental", USAGE, cwd=tmp_path)
    assert "Success: no issues found in 1 source file" in out


@pytest.mark.parametrize("twin, env", [("cython", {}), ("python", {"CYITER_PURE_PYTHON": "1"})])
def test_typed_usage_runs(sdist_venv, tmp_path, twin, env):
    out = run(sdist_venv.python, USAGE, cwd=tmp_path, **env)
    assert f"ran on the {twin} twin" in out


@pytest.mark.parametrize("twin, env, allowlists", [
    ("cython", {}, ["stubtest-allowlist.txt"]),
    ("python", {"CYITER_PURE_PYTHON": "1"}, ["stubtest-allowlist.txt", "stubtest-allowlist-python.txt"]),
])
def test_stubtest(sdist_venv, tmp_path, twin, env, allowlists):
    assert sdist_venv.implementation(**env) == twin
    args = [a for name in allowlists for a in ("--allowlist", HERE / name)]
    # --ignore-disjoint-bases: see the docstring of src/cyiter/__init__.pyi
    out = run(
        sdist_venv.python, "-m", "mypy.stubtest", "--ignore-disjoint-bases",
        "--mypy-config-file", HERE / "stubtest.ini", *args, "cyiter",
        cwd=tmp_path, **env,
    )
    assert "Success: no issues found" in out
