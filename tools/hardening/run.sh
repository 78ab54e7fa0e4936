#!/usr/bin/env bash
# Run cyiter's whole test suite on one hardening target (needs root).
# Usage: tools/hardening/run.sh TARGET [pytest arguments...]
#
#   refleak       Debian's debug CPython 3.11 (python3.11-dbg), every test
#                 repeated by the refleak plugin, failing on any growth of
#                 sys.gettotalrefcount() or sys.getallocatedblocks()
#   asan          the same debug interpreter, the extension compiled with
#                 -fsanitize=address, libasan preloaded, PYTHONMALLOC=malloc
#                 so that Python objects are ASan allocations too
#   freethreaded  a --disable-gil CPython built from Debian's source package
#                 (see sid.sh); import cyiter must leave the GIL disabled
#   py313 py314 py315  Debian sid's python3.13, python3.14, python3.15
#
# The tree is copied (tracked and untracked files, as git sees them; or the
# commit CYITER_HARDENING_REF names, e.g. HEAD) into the cache, built there
# and tested there: the work tree is never touched.
source "$(dirname "$0")/common.sh"

TARGET=${1:?usage: run.sh refleak|asan|freethreaded|py313|py314|py315 [pytest args]}
shift

ENV=(CI="${CI:-}")
case $TARGET in
    refleak | asan)
        host_packages python3.11-dbg python3.11-venv gcc
        ROOT=""
        PYTHON=/usr/bin/python3.11-dbg
        ;;&
    refleak)
        # hypothesis' releases after 6.155.7 carry a Rust module built for
        # release interpreters only, whose reference counting the debug
        # interpreter's sys.gettotalrefcount() does not see (each exception
        # it raises adds a reference to the total): the last pure-Python
        # release keeps the counts exact.  refleak.py fails the session if
        # any such module gets loaded.
        ENV+=(CYITER_HARDENING_PLUGIN=refleak CYITER_HARDENING_HYPOTHESIS="hypothesis>=6.100,<6.156")
        ;;
    asan)
        ENV+=(
            CYITER_HARDENING_CFLAGS="-fsanitize=address -fno-omit-frame-pointer -g"
            CYITER_HARDENING_LDFLAGS="-fsanitize=address"
            CYITER_HARDENING_PRELOAD="$(gcc -print-file-name=libasan.so)"
            PYTHONMALLOC=malloc
            # CPython itself keeps memory until exit: leaks are refleak's job.
            # An allocation too large to make returns NULL, as the C library's
            # does (the tests ask for 2**47 bytes to see MemoryError), instead
            # of being reported as an error.
            ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:print_summary=1:allocator_may_return_null=1
        )
        ;;
    freethreaded)
        bash "$HERE/sid.sh" nogil
        ROOT=$SID
        PYTHON=/opt/python-nogil/bin/python-nogil
        # the thread stress tests, many times over: real races here
        ENV+=(CYITER_HARDENING_NOGIL=1 CYITER_STRESS_ROUNDS="${CYITER_STRESS_ROUNDS:-30}")
        # the site.py that sid.sh fixed, not the frozen copy (see sid.sh)
        ENV+=(PYTHON_FROZEN_MODULES=off)
        ;;
    py313 | py314 | py315)
        bash "$HERE/sid.sh"
        ROOT=$SID
        PYTHON=/usr/bin/python3.${TARGET#py3}
        ;;
    *)
        echo "unknown target $TARGET" >&2
        exit 2
        ;;
esac

# Paths as seen by the interpreter (inside the chroot for the sid targets).
if [ -n "$ROOT" ]; then
    TREE=/cyiter/$TARGET
    VENV=/opt/venv-$TARGET
else
    TREE=$CACHE/tree-$TARGET
    VENV=$CACHE/venv-$TARGET
fi
rm -rf "$ROOT$TREE"
mkdir -p "$ROOT$TREE"
if [ -n "${CYITER_HARDENING_REF:-}" ]; then
    # a commit, as CI would see it (say HEAD while others edit the tree)
    git -C "$REPO" archive "$CYITER_HARDENING_REF" | tar -C "$ROOT$TREE" -xf -
else
    (cd "$REPO" && git ls-files -z --cached --others --exclude-standard |
        tar --null --files-from=- --ignore-failed-read -cf -) | tar -C "$ROOT$TREE" -xf -
fi

log "$TARGET: $PYTHON, tree $ROOT$TREE"
start=$(date +%s)
rc=0
if [ -n "$ROOT" ]; then
    in_sid env "${ENV[@]}" bash "$TREE/tools/hardening/suite.sh" "$PYTHON" "$VENV" "$@" || rc=$?
else
    env "${ENV[@]}" bash "$TREE/tools/hardening/suite.sh" "$PYTHON" "$VENV" "$@" || rc=$?
fi
log "$TARGET: exit $rc after $(($(date +%s) - start)) s"
exit "$rc"
