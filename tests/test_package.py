"""The package surface: the twin selector and its environment switches."""

import os
import subprocess
import sys

import pytest

import cyiter
from cyiter import _select
from cyiter._env import env_flag


def _implementation(**env):
    """cyiter.IMPLEMENTATION in a fresh interpreter with *env* added."""
    full = {**os.environ, **env}
    for key in ("CYITER_PURE_PYTHON", "CYITER_REQUIRE_EXTENSIONS"):
        full.setdefault(key, "")
    out = subprocess.run(
        [sys.executable, "-c", "import cyiter; print(cyiter.IMPLEMENTATION)"],
        env=full,
        capture_output=True,
        text=True,
    )
    return out.returncode, out.stdout.strip(), out.stderr


def _extension_built():
    try:
        _select.load_twin("cython")
    except ImportError:
        return False
    return True


def test_public_names_come_from_the_active_twin():
    for name in _select.NAMES:
        assert name in cyiter.__all__
        assert getattr(cyiter, name) is _select.CLASSES[name]
    assert cyiter.IMPLEMENTATION in ("cython", "python")


def test_no_extensions_install_is_pure_python():
    if env_flag("CYITER_NO_EXTENSIONS"):
        assert not _extension_built()
        assert _implementation() == (0, "python", "")
    else:
        assert _extension_built()
        assert _implementation()[:2] == (0, "cython")


@pytest.mark.parametrize("value", ["1", "true", "YES", "on", " On "])
def test_pure_python_switch_on(value):
    assert _implementation(CYITER_PURE_PYTHON=value)[:2] == (0, "python")


@pytest.mark.parametrize("value", ["0", "false", "no", "OFF", ""])
def test_pure_python_switch_off(value):
    expected = "cython" if _extension_built() else "python"
    assert _implementation(CYITER_PURE_PYTHON=value)[:2] == (0, expected)


def test_unknown_switch_value_warns_and_counts_as_unset():
    code, out, err = _implementation(CYITER_PURE_PYTHON="maybe")
    assert code == 0
    assert out == ("cython" if _extension_built() else "python")
    assert "ignoring CYITER_PURE_PYTHON='maybe'" in err


def test_require_extensions():
    code, out, err = _implementation(CYITER_REQUIRE_EXTENSIONS="1")
    if _extension_built():
        assert (code, out) == (0, "cython")
    else:
        assert code != 0
        assert "ImportError: CYITER_REQUIRE_EXTENSIONS is set" in err


def test_version():
    from importlib.metadata import version

    assert cyiter.__version__ == version("cyiter")
