"""Two things the docs need that Sphinx and MyST do not do.

Every Python example in the docs runs: a Markdown code block of
``>>>`` lines becomes a doctest block (which the doctest builder runs, as it
runs the docstrings' examples), and any other Python code block that is not
a ``{testcode}`` is a warning, an error in the ``docs`` session.

A default that is a builtin (``get_len=len``) is shown by its name, not
its repr (``<built-in function len>``).

A link of an included file (README.md, benchmarks/RESULTS.md) to another
file of the repository is made a link to that file in the repository
(``repository`` in conf.py): the docs have no page for it.
"""

import re
from pathlib import Path

from docutils import nodes
from sphinx.transforms import SphinxTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

PYTHON = {"python", "py", "pycon", "python3"}


class RunEveryExample(SphinxTransform):
    default_priority = 200  # before the doctest builder reads the tree

    def apply(self, **kwargs):
        for block in list(self.document.findall(nodes.literal_block)):
            if block.get("testnodetype") or block.get("language") not in PYTHON:
                continue
            text = block.astext()
            if text.lstrip().startswith(">>>"):
                doctest = nodes.doctest_block(text, text)
                doctest.source, doctest.line = block.source, block.line
                block.replace_self(doctest)
            else:
                logger.warning(
                    "a Python example that no test runs: write it as a doctest (>>>) or a {testcode} block",
                    location=block,
                )


BUILTIN_REPR = re.compile(r"<built-in function (\w+)>")


def builtin_defaults_by_name(app, what, name, obj, options, signature, return_annotation):
    if signature:
        return BUILTIN_REPR.sub(r"\1", signature), return_annotation
    return None


# a Markdown link (not an image) to a relative path, not an anchor or a URL
RELATIVE_LINK = re.compile(r"(?<!!)(\[[^\]]*\])\((?![a-z]+:|#)([^)\s]+)\)")


def link_into_repository(app, relative_path, parent_docname, content):
    root = Path(app.srcdir).parent
    here = (Path(app.srcdir) / relative_path).resolve().parent

    def link(match):
        target = (here / match[2]).resolve().relative_to(root).as_posix()
        return f"{match[1]}({app.config.repository}/{target})"

    content[0] = RELATIVE_LINK.sub(link, content[0])


def setup(app):
    app.add_config_value("repository", "", "env")
    app.add_transform(RunEveryExample)
    app.connect("include-read", link_into_repository)
    app.connect("autodoc-process-signature", builtin_defaults_by_name)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
