"""The examples in README.md and in the docstrings run, on both twins."""

import doctest
import importlib
from pathlib import Path

import pytest

import cyiter
import cyiter.aio
from cyiter import _select

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def as_public(impl, monkeypatch):
    """``from cyiter import X`` (``from cyiter.aio import X``) gives the twin under test."""
    for name, cls in impl.classes.items():
        monkeypatch.setattr(cyiter.aio if name in _select.AIO_NAMES else cyiter, name, cls)
    return impl


def _run(test):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    return runner.summarize(verbose=False)


@pytest.mark.skipif(not README.exists(), reason="README.md is not shipped with an installed package")
def test_readme_examples(as_public):
    text = README.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(README), 0)
    assert test.examples, "README.md has no examples"
    result = _run(test)
    assert result.failed == 0 and result.attempted > 0


FAMILIES = {**_select.FAMILIES, **_select.AIO_FAMILIES}


@pytest.mark.parametrize("family", FAMILIES)
def test_docstring_examples(as_public, family):
    package = "cyiter._cy" if as_public.kind == "cython" else "cyiter._py"
    module = importlib.import_module(f"{package}.{family}")
    attempted = 0
    for name in FAMILIES[family]:
        for test in doctest.DocTestFinder().find(getattr(module, name), name, module=False, globs={}):
            result = _run(test)
            assert result.failed == 0, name
            attempted += result.attempted
    assert attempted > 0 or family in ("readers", "delimited")
