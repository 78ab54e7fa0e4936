"""Build the Cython twins of cyiter.

Every ``src/cyiter/_cy/*.pyx`` becomes one extension module.  Two ways to get
a pure-Python install instead:

* ``CYITER_NO_EXTENSIONS=1`` at build time: no extension is declared, so the
  wheel is ``py3-none-any`` and no compiler is needed.
* a compiler that fails: the build warns and goes on without the extension,
  so ``pip install`` of the sdist still succeeds (the package then falls back
  to its pure-Python twins at import).
"""

import os
import platform
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_ext import build_ext

_TRUE = {"1", "true", "yes", "on"}
HERE = Path(__file__).parent
PYX = sorted((HERE / "src" / "cyiter" / "_cy").glob("*.pyx"))

DIRECTIVES = {
    "language_level": 3,
    "binding": True,
    "embedsignature": True,
    "freethreading_compatible": True,
    "auto_pickle": False,
    "boundscheck": True,
    "wraparound": False,
    "initializedcheck": False,
    "cdivision": True,
}

FALLBACK_WARNING = """
*********************************************************************
WARNING: cyiter's Cython extension could not be compiled:
    {error}
cyiter is installed as pure Python: it works the same, only slower.
Install a C compiler and the Python headers, then reinstall to get the
compiled version.
*********************************************************************
"""


class OptionalBuildExt(build_ext):
    """build_ext that degrades to pure Python instead of failing the install."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # the compiler may be missing altogether
            self._fallback(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._fallback(exc)

    def _fallback(self, exc):
        if os.environ.get("CYITER_REQUIRE_EXTENSIONS", "").strip().lower() in _TRUE:
            raise exc
        message = FALLBACK_WARNING.format(error=f"{type(exc).__name__}: {exc}")
        sys.stderr.write(message)
        import warnings

        warnings.warn(message, RuntimeWarning, stacklevel=1)


def extensions():
    if os.environ.get("CYITER_NO_EXTENSIONS", "").strip().lower() in _TRUE:
        return []
    if platform.python_implementation() != "CPython":
        return []
    from Cython.Build import cythonize
    from setuptools import Extension

    exts = [
        Extension(
            f"cyiter._cy.{pyx.stem}",
            [str(pyx.relative_to(HERE))],
        )
        for pyx in PYX
    ]
    return cythonize(
        exts,
        compiler_directives=DIRECTIVES,
        build_dir="build/cython",
        quiet=True,
    )


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})
