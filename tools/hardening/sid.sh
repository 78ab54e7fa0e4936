#!/usr/bin/env bash
# Make (once) the Debian sid chroot that holds the newer interpreters:
#   python3.13, python3.14, python3.15   Debian's binary packages (+ -dev, -venv)
#   /opt/python-nogil/bin/python-nogil   free-threaded (--disable-gil) CPython
#                                        built from Debian's source package
#                                        (python3.14 if the mirror serves it,
#                                        else 3.15, else 3.13): Debian ships no
#                                        binary package of that build
# Each part leaves a stamp file, so a later run does nothing.
# Usage: tools/hardening/sid.sh [nogil]   (nogil: also build the free-threaded one)
source "$(dirname "$0")/common.sh"

SID_PACKAGES=(
    ca-certificates gcc make
    python3.13 python3.13-dev python3.13-venv
    python3.14 python3.14-dev python3.14-venv
    python3.15 python3.15-dev python3.15-venv
)
# What the free-threaded build needs: the source package's tools, the
# headers of the stdlib modules pip and the suite use, and the wheels
# Debian's ensurepip installs from.
NOGIL_PACKAGES=(
    dpkg-dev xz-utils libssl-dev zlib1g-dev libffi-dev libbz2-dev liblzma-dev
    libzstd-dev libsqlite3-dev libexpat1-dev uuid-dev libreadline-dev
    libncurses-dev python3-pip-whl python3-setuptools-whl
)

make_chroot() {
    rm -rf "$SID.tmp"
    debootstrap --variant=minbase --components=main sid "$SID.tmp" "$MIRROR"
    # The mirror may serve a frozen snapshot whose Release file has expired.
    echo 'Acquire::Check-Valid-Until "false";' >"$SID.tmp/etc/apt/apt.conf.d/99cyiter"
    echo "deb-src $MIRROR sid main" >"$SID.tmp/etc/apt/sources.list.d/cyiter-src.list"
    mv "$SID.tmp" "$SID"
}

install_packages() {
    in_sid apt-get update -q
    in_sid env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@"
}

# The first CPython source package the mirror serves, newest series first:
# the mirror may list a source version whose files are gone (404).
NOGIL_SOURCES=(python3.14 python3.15 python3.13)

build_nogil() {
    in_sid bash -euxc '
        rm -rf /usr/src/nogil && mkdir -p /usr/src/nogil && cd /usr/src/nogil
        for pkg in "$@"; do
            for version in $(apt-cache showsrc "$pkg" | sed -n "s/^Version: //p" | sort -rV); do
                if apt-get source -q "$pkg=$version"; then
                    break 2
                fi
            done
        done
        cd python3.*/
        mkdir build && cd build
        ../configure --prefix=/opt/python-nogil --disable-gil --without-ensurepip
        nice -n 19 make -j2
        make install
        ln -sf "$(ls /opt/python-nogil/bin/python3.*t | head -n 1)" /opt/python-nogil/bin/python-nogil
        /opt/python-nogil/bin/python-nogil -c "import sys; assert not sys._is_gil_enabled()"
        # Debian patches site.py to look for a venv'"'"'s packages in
        # lib/python3.X, not the lib/python3.Xt of a free-threaded build: fix
        # the installed copy (the frozen one in the binary keeps the bug, so
        # run.sh sets PYTHON_FROZEN_MODULES=off)
        perl -0pi -e '"'"'s/"python%d\.%d" % sys\.version_info\[:2\],(\s*"site-packages")/"python%d.%d%s" % (*sys.version_info[:2], abi_thread),$1/'"'"' /opt/python-nogil/lib/python3.*t/site.py
        rm -rf /tmp/venv-check
        /opt/python-nogil/bin/python-nogil -m venv /tmp/venv-check
        PYTHON_FROZEN_MODULES=off /tmp/venv-check/bin/python -c "import pip"
        rm -rf /usr/src/nogil /tmp/venv-check
    ' build_nogil "${NOGIL_SOURCES[@]}"
}

# Nothing to do (the common case): no need to wait for the lock, which a
# long build may hold.
if [ -e "$SID/.cyiter-packages" ] && { [ "${1:-}" != nogil ] || [ -e "$SID/.cyiter-nogil" ]; }; then
    exit 0
fi
exec 9>"$CACHE/sid.lock"
flock 9

if [ ! -e "$SID/.cyiter-chroot" ]; then
    host_packages debootstrap
    step sid-debootstrap make_chroot
    touch "$SID/.cyiter-chroot"
fi
if [ ! -e "$SID/.cyiter-packages" ]; then
    step sid-packages install_packages "${SID_PACKAGES[@]}"
    touch "$SID/.cyiter-packages"
fi
if [ "${1:-}" = nogil ] && [ ! -e "$SID/.cyiter-nogil" ]; then
    step sid-nogil-deps install_packages "${NOGIL_PACKAGES[@]}"
    step sid-nogil-build build_nogil
    touch "$SID/.cyiter-nogil"
fi
