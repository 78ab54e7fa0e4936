"""The built documentation has its pages, and a reference entry, with the
signature and an example, for every public name of every public module.

The names come from the modules' ``__all__``, so a name added later and
not documented fails here.  ``python -m nox -s docs`` builds the site and
runs this test on it; elsewhere it is skipped unless ``CYITER_DOCS_HTML``
names a built site (``docs/_build/html``).
"""

import html
import importlib
import importlib.util
import inspect
import os
import re
from pathlib import Path

import pytest

SITE = os.environ.get("CYITER_DOCS_HTML")
pytestmark = pytest.mark.skipif(
    not SITE,
    reason="checks a built site: python -m nox -s docs builds the docs and runs it "
    "(or set CYITER_DOCS_HTML to a built docs/_build/html)",
)

PAGES = [
    "index",
    "getting-started",
    "behaviour",
    "speed",
    "internals",
    "hardening",
    "changelog",
    "api/index",
    "api/sequences",
    "api/batching",
    "api/flattening",
    "api/dropins",
    "api/readers",
    "api/writers",
    "api/parallel",
    "api/pipeline",
    "api/aio",
    "api/package",
]

#: The public modules whose ``__all__`` the reference covers; a module not
#: in the package yet is left out.
MODULES = [m for m in ("cyiter", "cyiter.aio", "cyiter.dask") if importlib.util.find_spec(m)]


def _site():
    return Path(SITE)


def _api_html():
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((_site() / "api").glob("*.html")))


def _text(fragment):
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def _entry(api, target):
    """The text of the ``<dt>`` with id *target* and the HTML of its ``<dd>``."""
    start = api.find(f'id="{target}"')
    assert start >= 0, f"no reference entry for {target}"
    dt_end = api.index("</dt>", start)
    depth, pos = 0, dt_end
    for tag in re.finditer(r"<dd\b|</dd>", api[dt_end:]):
        depth += 1 if tag[0] == "<dd" else -1
        if depth == 0:
            return _text(api[start : dt_end]), api[dt_end : dt_end + tag.end()]
    raise AssertionError(f"unclosed entry for {target}")


def _signature(obj):
    """The signature the reference must show, without annotations (the
    stubs have the types): the object's own, or for a Cython class that has
    none, the first line of its docstring."""
    try:
        signature = inspect.signature(obj)
    except ValueError:
        first = (obj.__doc__ or "").lstrip().splitlines()[0]
        assert first.startswith(f"{obj.__name__}("), first
        return _normal(first[len(obj.__name__) :])
    plain = [p.replace(annotation=p.empty) for p in signature.parameters.values()]
    return _normal(str(signature.replace(parameters=plain, return_annotation=signature.empty)))


def _normal(signature):
    # a builtin default is shown by its name (get_len=len), as the stub has it;
    # a docstring's signature line may quote strings either way
    signature = re.sub(r"<built-in function (\w+)>", r"\1", signature)
    return re.sub(r"\s+", "", signature).replace('"', "'")


@pytest.mark.parametrize("page", PAGES)
def test_page_is_built(page):
    text = (_site() / f"{page}.html").read_text(encoding="utf-8")
    assert "<h1>" in text


# imported only to check a site: cyiter.dask needs its extra, which a wheel's test run lacks
PUBLIC = [(m, name) for m in MODULES for name in importlib.import_module(m).__all__] if SITE else []


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[f"{m}.{n}" for m, n in PUBLIC])
def test_every_public_name_has_an_entry_with_an_example(module, name):
    obj = getattr(importlib.import_module(module), name)
    dt, dd = _entry(_api_html(), f"{module}.{name}")
    if callable(obj):
        shown = _normal(dt)
        assert f"{name}{_signature(obj)}" in shown, (shown, _signature(obj))
    assert "&gt;&gt;&gt;" in dd, f"{module}.{name} has no example"
