"""The ``impl`` fixture: every test that takes it runs on both twins.

``impl`` is a namespace of the public iterator classes of one twin, plus
``impl.kind`` ("cython" or "python").  While a test runs, that twin is also
the one that restores pickles, so a round trip stays on the twin under test;
``other_impl`` is the other twin, for cross-twin pickle tests.

The Cython twin must import, except when the suite runs against a
``CYITER_NO_EXTENSIONS=1`` install, where its tests are skipped.
"""

import types

import pytest
from hypothesis import HealthCheck, settings

from cyiter import _select
from cyiter._env import env_flag

settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if env_flag("CI") else "default")

KINDS = ("cython", "python")
_TWINS = {}


def twin(kind):
    """The namespace of twin *kind*, or skip if it is legitimately absent."""
    if kind not in _TWINS:
        try:
            classes = _select.load_twin(kind)
        except ImportError as exc:
            if kind == "cython" and env_flag("CYITER_NO_EXTENSIONS"):
                pytest.skip(f"pure-Python install (CYITER_NO_EXTENSIONS): {exc}")
            raise
        _TWINS[kind] = types.SimpleNamespace(kind=kind, classes=classes, **classes)
    return _TWINS[kind]


@pytest.fixture(params=KINDS)
def impl(request, monkeypatch):
    ns = twin(request.param)
    monkeypatch.setattr(_select, "CLASSES", ns.classes)
    return ns


@pytest.fixture
def other_impl(impl):
    return twin("python" if impl.kind == "cython" else "cython")
