"""Build the Cython twins of cyiter.

Every ``src/cyiter/_cy/*.pyx`` becomes one extension module.  Two ways to get
a pure-Python install instead:

* ``CYITER_NO_EXTENSIONS=1`` at build time: no extension is declared, so the
  wheel is ``py3-none-any`` and no compiler is needed.
* a compiler that fails: the build warns and goes on without the extension,
  so ``pip install`` of the sdist still succeeds (the package then falls back
  to its pure-Python twins at import), and the wheel it makes is tagged
  ``py3-none-any`` like any pure one.  ``CYITER_REQUIRE_EXTENSIONS=1`` turns
  that fallback into a build error (the wheel builds set it).
"""

import os
import platform
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_ext import build_ext

_TRUE = {"1", "true", "yes", "on"}
HERE = Path(__file__).parent
PYX = sorted((HERE / "src" / "cyiter" / "_cy").glob("*.pyx"))

DIRECTIVES = {
    "language_level": 3,
    "binding": True,
    "embedsignature": True,
    # the clinic format: inspect.signature() reads it, and docstrings stay
    # free of signatures (a class writes its own "name(...)\n--\n\n" line)
    "embedsignature.format": "clinic",
    "freethreading_compatible": True,
    "auto_pickle": False,
    "boundscheck": True,
    # No .pyx indexes a typed sequence with a negative number (a negative
    # index would not wrap around): write len(x) - 1, never -1.
    "wraparound": False,
    "initializedcheck": False,
    "cdivision": True,
}

FALLBACK_WARNING = """
*********************************************************************
WARNING: cyiter's Cython extension could not be compiled:
    {error}
cyiter is installed as pure Python: it works the same, only slower
(`python -m cyiter --version` says "python twin").
To get the compiled version, install a C compiler and the Python headers,
then reinstall without pip's cached build of this fallback:
    pip install --force-reinstall --no-cache-dir cyiter
*********************************************************************
"""


def _flag(name):
    return os.environ.get(name, "").strip().lower() in _TRUE


def _tell_user(message):
    """Write *message* where the person installing cyiter will see it.

    pip and other frontends capture a build's output and show it only when the
    build fails (or with ``-v``), so a fallback build that succeeds would be
    silent: when stderr is not a terminal, the message also goes straight to
    the controlling terminal, if there is one.
    """
    sys.stderr.write(message)
    sys.stderr.flush()
    if sys.stderr.isatty():
        return
    try:
        with open("CON" if os.name == "nt" else "/dev/tty", "w") as terminal:
            terminal.write(message)
    except OSError:  # no terminal (CI, a service): stderr is all there is
        pass


def _optimise(compiler):
    """Add ``-O3`` to the C compiler's command line when it has no ``-O`` level.

    setuptools takes the CFLAGS of the environment *instead of* the flags
    Python was built with (its ``-O3`` among them), so that ``CFLAGS=-g`` or
    ``CFLAGS=-march=native`` would build unoptimised extensions, several
    times slower.  -O3 is what CPython builds itself with; a level the user
    gave is kept.  MSVC never reads CFLAGS (and has no ``compiler_so``).
    """
    command = getattr(compiler, "compiler_so", None)
    if command and not any(arg.startswith("-O") for arg in command):
        compiler.compiler_so = [*command, "-O3"]


class OptionalBuildExt(build_ext):
    """build_ext that degrades to pure Python instead of failing the install.

    An extension that fails to compile is dropped from the distribution, so
    that nothing after the build (the wheel's tag, where ``install`` puts the
    files) takes the package for a binary one.
    """

    def run(self):
        self._failures = []
        self._failed = set()
        try:
            super().run()
        except Exception as exc:  # the compiler may be missing altogether
            self._fail(exc)
            self._failed.update(ext.name for ext in self.extensions or ())
        if self._failures:
            errors = "\n    ".join(self._failures)
            _tell_user(FALLBACK_WARNING.format(error=errors))
        if self._failed:
            # in place: the distribution holds the same list, and so does get_outputs()
            self.extensions[:] = [ext for ext in self.extensions if ext.name not in self._failed]

    def build_extensions(self):
        _optimise(self.compiler)  # once, on the compiler every extension is built with
        super().build_extensions()

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._fail(exc, ext.name)
            self._failed.add(ext.name)

    def _fail(self, exc, where="build_ext"):
        if _flag("CYITER_REQUIRE_EXTENSIONS"):
            raise exc
        self._failures.append(f"{where}: {type(exc).__name__}: {exc}")


class TaggedBdistWheel(bdist_wheel):
    """bdist_wheel whose tag follows what the build made, not what it planned.

    bdist_wheel decides between a binary tag and ``py3-none-any`` in
    finalize_options, before anything is compiled; after a compiler failure
    (see OptionalBuildExt) the wheel holds no extension and must be pure.
    """

    def run_command(self, command):
        super().run_command(command)
        if command == "build":
            dist = self.distribution
            self.root_is_pure = not (dist.has_ext_modules() or dist.has_c_libraries())


def extensions():
    if _flag("CYITER_NO_EXTENSIONS"):
        return []
    if platform.python_implementation() != "CPython":
        return []
    if not PYX:
        # e.g. an sdist that lost its .pyx files: never pass that off as a
        # successful pure-Python build
        raise RuntimeError(f"no Cython sources in {HERE / 'src' / 'cyiter' / '_cy'}")
    from Cython.Build import cythonize
    from setuptools import Extension

    exts = [
        Extension(
            f"cyiter._cy.{pyx.stem}",
            [str(pyx.relative_to(HERE))],
            # the C helpers (cyiter_*.h) live beside the .pyx files
            include_dirs=[str(pyx.parent.relative_to(HERE))],
            depends=[str(h.relative_to(HERE)) for h in pyx.parent.glob("*.h")],
        )
        for pyx in PYX
    ]
    return cythonize(
        exts,
        compiler_directives=DIRECTIVES,
        build_dir="build/cython",
        quiet=True,
    )


setup(
    ext_modules=extensions(),
    cmdclass={"build_ext": OptionalBuildExt, "bdist_wheel": TaggedBdistWheel},
)
