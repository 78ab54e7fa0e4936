"""cibuildwheel builds exactly the wheels SPEC section 1 promises, and the
wheel workflow runs it on a native runner for each platform and arch."""

import subprocess
import sys
import tomllib

import pytest
import yaml

from conftest import ROOT, environment, run

PYTHONS = ["cp310", "cp311", "cp312", "cp313", "cp314", "cp314t", "cp315", "cp315t"]
#: platform -> {cibuildwheel arch: the platform tags built for it}
ARCHS = {
    "linux": {
        "x86_64": ["manylinux_x86_64", "musllinux_x86_64"],
        "aarch64": ["manylinux_aarch64", "musllinux_aarch64"],
    },
    "macos": {"x86_64": ["macosx_x86_64"], "arm64": ["macosx_arm64"]},
    "windows": {"AMD64": ["win_amd64"], "ARM64": ["win_arm64"]},
}
WORKFLOWS = ROOT / ".github" / "workflows"


def intended(platform, archs):
    return sorted(f"{py}-{tag}" for arch in archs for tag in ARCHS[platform][arch] for py in PYTHONS)


def identifiers(platform, *archs):
    args = ["--archs", ",".join(archs)] if archs else []
    out = run(sys.executable, "-m", "cibuildwheel", "--print-build-identifiers", "--platform", platform, *args, cwd=ROOT)
    ids = [line for line in out.splitlines() if line.strip()]
    assert len(ids) == len(set(ids)), ids
    return sorted(ids)


@pytest.mark.parametrize("platform", sorted(ARCHS))
def test_configured_archs_build_exactly_the_intended_wheels(platform):
    assert identifiers(platform) == intended(platform, ARCHS[platform])


@pytest.mark.parametrize(
    "platform, arch", [(p, a) for p in sorted(ARCHS) for a in ARCHS[p]]
)
def test_each_native_runner_builds_its_share(platform, arch):
    assert identifiers(platform, arch) == intended(platform, [arch])


def test_every_intended_wheel_is_tested_against_its_extension():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["cibuildwheel"]
    assert config["test-environment"] == {"CYITER_REQUIRE_EXTENSIONS": "1"}
    assert config["environment"] == {"CYITER_REQUIRE_EXTENSIONS": "1"}
    assert "pytest" in config["test-command"] and "tests" in config["test-sources"]
    assert "test-skip" not in config


def test_wheel_workflow_has_one_native_runner_per_platform_and_arch():
    workflow = yaml.safe_load((WORKFLOWS / "wheels.yml").read_text())
    matrix = workflow["jobs"]["wheels"]["strategy"]["matrix"]["include"]
    pairs = sorted((m["platform"], m["arch"]) for m in matrix)
    assert pairs == sorted((p, a) for p in ARCHS for a in ARCHS[p])
    native = {"x86_64": ("ubuntu-24.04", "macos-15-intel"), "aarch64": ("ubuntu-24.04-arm",),
              "arm64": ("macos-15",), "AMD64": ("windows-2025",), "ARM64": ("windows-11-arm",)}
    for m in matrix:
        assert m["runner"] in native[m["arch"]], m
    steps = workflow["jobs"]["wheels"]["steps"]
    (cibw,) = [s for s in steps if s.get("uses", "").startswith("pypa/cibuildwheel@")]
    assert cibw["env"] == {"CIBW_PLATFORM": "${{ matrix.platform }}", "CIBW_ARCHS": "${{ matrix.arch }}"}
    assert {"sdist", "pure-wheel"} <= set(workflow["jobs"])


def test_test_workflow_covers_every_python_and_both_twins():
    workflow = yaml.safe_load((WORKFLOWS / "tests.yml").read_text())
    matrix = workflow["jobs"]["tests"]["strategy"]["matrix"]
    assert matrix["python"] == ["3.10", "3.11", "3.12", "3.13", "3.14", "3.14t", "3.15"]
    assert matrix["session"] == ["tests", "pure"]


def test_workflows_pass_actionlint():
    out = subprocess.run(
        ["actionlint", *sorted(str(p) for p in WORKFLOWS.glob("*.yml"))],
        cwd=ROOT, env=environment(), capture_output=True, text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
