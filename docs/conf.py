"""Sphinx configuration of cyiter's documentation (``python -m nox -s docs``).

The pages are Markdown (MyST), like README.md and internals.md, which they
include.  The reference is autodoc over the twin that ``import cyiter``
selects; the doctest builder runs every example once per twin (the session
sets ``CYITER_DOCS_TWIN``, and the setup below checks it got that twin).
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import cyiter  # noqa: E402  (after the path: _ext's modules import nothing of it)

project = "cyiter"
author = "cyiter developers"
copyright = "cyiter developers"
release = version = cyiter.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.intersphinx",
    "cyiter_docs",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "_inventories"]
root_doc = "index"

# warnings are errors in the session (-W), and every cross-reference must
# resolve (-n): a name the inventories do not know is a broken link
nitpicky = True
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3

# The inventories ship with the repository, so the build needs no network
# (CI reaches PyPI only): Python's is Debian's python3.14-doc package's,
# more-itertools' is built from its sdist's docs (see _inventories/README.md).
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", str(HERE / "_inventories" / "python.inv")),
    "more-itertools": (
        "https://more-itertools.readthedocs.io/en/stable",
        str(HERE / "_inventories" / "more-itertools.inv"),
    ),
}
# links of the included README.md and RESULTS.md to other files of the
# repository point at them in the repository (pyproject.toml's Source)
repository = "https://github.com/cyiter/cyiter/blob/main"

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # the signatures are the twins' own; the stub has the types
autodoc_default_options = {"members": True, "inherited-members": True, "special-members": "__enter__, __aenter__"}

# Both twins: the session runs the doctest builder with CYITER_DOCS_TWIN set
# to "cython" (and CYITER_REQUIRE_EXTENSIONS) or "python" (CYITER_PURE_PYTHON).
doctest_global_setup = f"""
import cyiter
_twin = {os.environ.get("CYITER_DOCS_TWIN")!r}
assert _twin in (None, cyiter.IMPLEMENTATION), (_twin, cyiter.IMPLEMENTATION)
"""
doctest_default_flags = 0  # no ELLIPSIS or IGNORE_EXCEPTION_DETAIL: outputs are exact

html_theme = "furo"
html_title = f"cyiter {release}"
html_static_path = ["_static"]
html_css_files = ["cyiter.css"]
html_theme_options = {"navigation_with_keys": True}
pygments_style = "friendly"
pygments_dark_style = "monokai"
