#!/usr/bin/env bash
# Build cyiter's extension for one interpreter and run the whole suite on it.
# Runs where the interpreter is (on the host, or inside the sid chroot), from
# a copy of the source tree that run.sh made; see run.sh for the targets.
# Usage: suite.sh PYTHON VENV [pytest arguments...]
# Environment: CYITER_HARDENING_CFLAGS / _LDFLAGS (extra compiler flags),
# CYITER_HARDENING_PRELOAD (a library preloaded while the tests run),
# CYITER_HARDENING_PLUGIN (a pytest plugin from tools/hardening),
# CYITER_HARDENING_NOGIL=1 (check that the GIL stays disabled),
# CYITER_HARDENING_HYPOTHESIS (the pip requirement for hypothesis).
set -euo pipefail

PYTHON=$1
VENV=$2
shift 2
TREE=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TREE"

PIP_PACKAGES=(pip setuptools wheel "Cython>=3.1" "pytest>=8" "${CYITER_HARDENING_HYPOTHESIS:-hypothesis>=6.100}" "more-itertools>=10.6" "asyncstdlib>=3.13")
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.cyiter-packages" 2>/dev/null)" != "${PIP_PACKAGES[*]}" ]; then
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    # wheels only: a package with no wheel for this interpreter (hypothesis
    # has a Rust part with no free-threaded 3.13 wheel) falls back to an older
    # release that has one, instead of a source build needing a toolchain
    "$VENV/bin/python" -m pip install -q --upgrade --only-binary=:all: "${PIP_PACKAGES[@]}"
    echo "${PIP_PACKAGES[*]}" >"$VENV/.cyiter-packages"
fi
PY=$VENV/bin/python
"$PY" -VV

# The extension is required: a failed compile must fail the run, not fall
# back to pure Python.
export CYITER_REQUIRE_EXTENSIONS=1
# An editable install, as in development: the tests read the metadata too.
CFLAGS="${CFLAGS:-} ${CYITER_HARDENING_CFLAGS:-}" LDFLAGS="${LDFLAGS:-} ${CYITER_HARDENING_LDFLAGS:-}" \
    "$PY" -m pip install -q --no-build-isolation --no-deps --force-reinstall -e .

export PYTHONPATH=$TREE/tools/hardening
LD_PRELOAD=${CYITER_HARDENING_PRELOAD:-} "$PY" - <<'EOF'
import os
import sys

import cyiter
from cyiter import _select

assert cyiter.IMPLEMENTATION == "cython", cyiter.IMPLEMENTATION
_select.load_twin("cython")  # every extension module imports
gil = getattr(sys, "_is_gil_enabled", lambda: True)()
print(f"cyiter {cyiter.__version__} ({cyiter.IMPLEMENTATION}) on {sys.version}; GIL enabled: {gil}")
if os.environ.get("CYITER_HARDENING_NOGIL") == "1":
    assert not gil, "importing cyiter enabled the GIL"
EOF

args=(-p no:cacheprovider)
if [ -n "${CYITER_HARDENING_PLUGIN:-}" ]; then
    args+=(-p "$CYITER_HARDENING_PLUGIN")
    # a plugin that comes with a self-check proves first that it catches
    # what it must (a clean report means nothing from a check that is inert)
    selfcheck=$TREE/tools/hardening/${CYITER_HARDENING_PLUGIN}_selfcheck.py
    if [ -f "$selfcheck" ]; then
        LD_PRELOAD=${CYITER_HARDENING_PRELOAD:-} "$PY" "$selfcheck"
    fi
fi
LD_PRELOAD=${CYITER_HARDENING_PRELOAD:-} "$PY" -m pytest "${args[@]}" "$@"
