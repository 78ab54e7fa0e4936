"""The sdist, the binary wheel and the pure wheel: contents, tags, installs."""

import re
import runpy
import sys
import tarfile
import zipfile
from email.parser import Parser

import pytest

from conftest import ROOT, Venv, run, run_in_terminal

#: the single version source, which setuptools reads too
__version__ = runpy.run_path(str(ROOT / "src" / "cyiter" / "_version.py"))["__version__"]

FALLBACK = "WARNING: cyiter's Cython extension could not be compiled"

#: The package's files that are neither code nor stubs: the typing marker,
#: and the pure twin's recorded speed that `cyiter bench` reads
DATA = ("cyiter/py.typed", "cyiter/_bench/baseline.json")


def wheel_names(wheel):
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def package_files(wheel):
    """The files (not directory entries) of the package in *wheel*, sorted."""
    return sorted(
        n for n in wheel_names(wheel)
        if not n.endswith("/") and not n.startswith(f"cyiter-{__version__}.dist-info/")
    )


def cython_modules(sdist):
    with tarfile.open(sdist) as tar:
        return sorted(
            re.search(r"/src/cyiter/_cy/(\w+)\.pyx$", n).group(1)
            for n in tar.getnames()
            if n.endswith(".pyx")
        )


def run_suite(venv, unpacked_sdist, **env):
    """The sdist's own test suite, run from its unpacked copy against *venv*'s cyiter."""
    return run(
        venv.python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests",
        cwd=unpacked_sdist, **env,
    )


def test_sdist_has_every_source_and_no_build_product(dists, clean_tree):
    sdist, _ = dists
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for pattern in ("src/cyiter/**/*.py", "src/cyiter/**/*.pyx", "src/cyiter/**/*.pxd", "tests/**/*.py"):
        expected = {str(p.relative_to(clean_tree)) for p in clean_tree.glob(pattern)}
        assert expected, pattern
        assert expected <= names, sorted(expected - names)
    for name in ("pyproject.toml", "setup.py", "LICENSE", "README.md", "src/cyiter/__init__.pyi", "src/cyiter/py.typed"):
        assert name in names
    assert not [n for n in names if n.endswith((".so", ".pyd", ".c", ".html", ".pyc"))]


def test_wheel_holds_only_the_package_and_every_extension(dists):
    sdist, wheel = dists
    assert re.search(r"-cp3\d+-cp3\d+t?-linux_\w+\.whl$", wheel.name), wheel.name
    files = package_files(wheel)
    assert all(n.startswith("cyiter/") for n in files), files
    odd = [n for n in files if not (n.endswith((".py", ".pyi", ".so")) or n in DATA)]
    assert not odd, odd
    assert {"cyiter/__init__.pyi", *DATA} <= set(files)
    built = sorted(re.match(r"cyiter/_cy/(\w+)\.cpython-.*\.so$", n).group(1) for n in files if n.endswith(".so"))
    assert built == cython_modules(sdist)


def test_wheel_metadata(dists):
    _, wheel = dists
    with zipfile.ZipFile(wheel) as zf:
        meta = Parser().parsestr(zf.read(f"cyiter-{__version__}.dist-info/METADATA").decode())
        assert f"cyiter-{__version__}.dist-info/licenses/LICENSE" in zf.namelist()
    assert meta["Name"] == "cyiter"
    assert meta["Version"] == __version__
    assert meta["Requires-Python"] == ">=3.10"
    assert meta["License-Expression"] == "MIT"
    requires = meta.get_all("Requires-Dist", [])
    assert requires and all("extra ==" in r for r in requires), "no required runtime dependency"
    classifiers = meta.get_all("Classifier")
    for minor in range(10, 16):
        assert f"Programming Language :: Python :: 3.{minor}" in classifiers
    assert "Programming Language :: Python :: Free Threading :: 3 - Stable" in classifiers
    assert "Typing :: Typed" in classifiers
    assert {u.split(",")[0] for u in meta.get_all("Project-URL")} >= {"Homepage", "Source", "Issues", "Changelog"}


def test_auditwheel_repairs_to_a_manylinux_wheel(dists, tmp_path):
    _, wheel = dists
    run(sys.executable, "-m", "auditwheel", "repair", "--strip", "-w", tmp_path, wheel)
    (repaired,) = tmp_path.glob("cyiter-*.whl")
    assert re.search(r"manylinux_2_\d+_x86_64", repaired.name), repaired.name
    shown = run(sys.executable, "-m", "auditwheel", "show", repaired)
    assert re.search(r'consistent with the following platform tag:\s*"manylinux_2_\d+_x86_64"', shown), shown
    assert package_files(repaired) == package_files(wheel)


def test_pure_wheel_is_py3_none_any_and_passes_the_suite(pure_wheel, unpacked_sdist, tmp_path):
    assert pure_wheel.name == f"cyiter-{__version__}-py3-none-any.whl"
    files = package_files(pure_wheel)
    assert not [n for n in files if not n.endswith((".py", ".pyi")) and n not in DATA], files
    assert {"cyiter/__init__.pyi", *DATA} <= set(files)
    venv = Venv(tmp_path / "pure")
    venv.pip("install", f"{pure_wheel}[test]")
    assert venv.implementation() == "python"
    run_suite(venv, unpacked_sdist, CYITER_NO_EXTENSIONS="1")


def test_sdist_installs_compiled_and_passes_the_suite(sdist_venv, unpacked_sdist):
    assert sdist_venv.implementation(CYITER_REQUIRE_EXTENSIONS="1") == "cython"
    assert sdist_venv.implementation(CYITER_PURE_PYTHON="1") == "python"
    run_suite(sdist_venv, unpacked_sdist, CYITER_REQUIRE_EXTENSIONS="1")
    # what cibuildwheel runs on each wheel before the suite
    out = run(sdist_venv.python, ROOT / "tools" / "packaging" / "check_wheel.py", cwd=unpacked_sdist)
    assert f"cyiter {__version__}: compiled twin" in out
    # what the README tells users to check
    assert run(sdist_venv.python, "-m", "cyiter", "--version").strip() == f"cyiter {__version__} (cython twin)"


def test_sdist_without_a_compiler_installs_as_pure_python_and_says_so(dists, tmp_path):
    venv = Venv(tmp_path / "nocc")
    # a plain `pip install` in a terminal, as a user runs it: pip hides the
    # build's output when the build succeeds, and the warning must still show
    code, screen = run_in_terminal(
        venv.python, "-m", "pip", "install", "--no-cache-dir", dists[0], CC="false", CXX="false"
    )
    assert code == 0, screen
    assert FALLBACK in screen, screen
    assert "cyiter is installed as pure Python" in screen
    assert "Successfully installed cyiter" in screen
    assert venv.implementation() == "python"
    assert run(venv.python, "-m", "cyiter", "--version").strip() == f"cyiter {__version__} (python twin)"
    # pip built (and would cache) a pure wheel, not one tagged for this interpreter alone
    wheel = run(venv.python, "-c", "import importlib.metadata as m; print(m.distribution('cyiter').read_text('WHEEL'))")
    assert "Root-Is-Purelib: true" in wheel and "Tag: py3-none-any" in wheel, wheel
    # the extension really is absent, and CYITER_REQUIRE_EXTENSIONS says so
    code, screen = run_in_terminal(venv.python, "-c", "import cyiter", CYITER_REQUIRE_EXTENSIONS="1")
    assert code != 0 and "CYITER_REQUIRE_EXTENSIONS is set" in screen, screen


def test_a_failing_compiler_makes_the_same_wheel_as_a_pure_build(dists, pure_wheel, tmp_path):
    """A fallback build is tagged and laid out as the CYITER_NO_EXTENSIONS wheel,
    so that it is never taken for (or cached as) a compiled wheel."""
    run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-w", tmp_path, dists[0],
        CC="false", CXX="false",
    )
    (wheel,) = tmp_path.glob("cyiter-*.whl")
    assert wheel.name == pure_wheel.name == f"cyiter-{__version__}-py3-none-any.whl"
    assert package_files(wheel) == package_files(pure_wheel)
    with zipfile.ZipFile(wheel) as zf:
        assert "Root-Is-Purelib: true" in zf.read(f"cyiter-{__version__}.dist-info/WHEEL").decode()


def test_a_failing_compiler_fails_the_build_when_extensions_are_required(dists, tmp_path):
    """What cibuildwheel sets: a wheel without its extension is an error."""
    code, screen = run_in_terminal(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-w", tmp_path, dists[0],
        CC="false", CXX="false", CYITER_REQUIRE_EXTENSIONS="1",
    )
    assert code != 0, screen
    assert re.search(r"error: Command .*'false'.* returned non-zero exit status", screen), screen
    assert FALLBACK not in screen, screen
    assert not list(tmp_path.glob("*.whl"))


@pytest.mark.parametrize(("cflags", "level"), [("-g", "-O3"), ("-O1 -g", "-O1")])
def test_cflags_from_the_environment_keep_the_extensions_optimised(dists, tmp_path, cflags, level):
    """setuptools uses CFLAGS instead of Python's own flags (-O3 among them):
    without an -O level of the user's, the build adds -O3; with one, it is kept."""
    out = run(
        sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-cache-dir",
        "-w", tmp_path, dists[0], CFLAGS=cflags, CYITER_REQUIRE_EXTENSIONS="1",
    )
    compiles = [line.split() for line in out.splitlines() if re.search(r"\s-c\s\S+\.c\s", line)]
    assert len(compiles) == len(cython_modules(dists[0])), out
    for args in compiles:
        levels = [arg for arg in args if arg.startswith("-O")]
        assert levels == [level], args
