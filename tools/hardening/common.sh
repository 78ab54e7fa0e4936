# Shared settings and helpers of the hardening scripts (sourced, not run).
#
# Everything obtained or built lives in one cache directory outside the
# repository, created on first use, so a second run only rebuilds cyiter:
#   $CACHE/sid          a Debian sid chroot with python3.13, 3.14, 3.15 and a
#                       free-threaded CPython built from Debian's source
#                       package (see sid.sh)
#   $CACHE/venv-TARGET, $CACHE/tree-TARGET  one virtual environment and
#                       copy of the tree per host target
#   $CACHE/sid/opt/venv-TARGET, $CACHE/sid/cyiter/TARGET  the same, inside
#                       the chroot
#   $CACHE/logs         the log of every step
# All the scripts run as root (debootstrap, chroot and apt-get need it).

set -euo pipefail

CACHE=${CYITER_HARDENING_CACHE:-/var/cache/cyiter-hardening}
SID=$CACHE/sid
MIRROR=${CYITER_DEBIAN_MIRROR:-http://deb.debian.org/debian}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$REPO/tools/hardening

mkdir -p "$CACHE/logs"

log() {
    printf '[hardening %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2
}

# step NAME CMD...: run CMD with its output in $CACHE/logs/NAME.log, showing
# the end of the log if it fails, and how long it took.
step() {
    local name=$1 start rc=0
    shift
    start=$(date +%s)
    log "$name ..."
    "$@" >"$CACHE/logs/$name.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        tail -n 40 "$CACHE/logs/$name.log" >&2
        log "$name FAILED (exit $rc), full log: $CACHE/logs/$name.log"
        return "$rc"
    fi
    log "$name done in $(($(date +%s) - start)) s"
}

apt_install() {
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=600 "$@"
}

# Host packages are installed only when missing, so a cached run asks nothing.
host_packages() {
    local missing=()
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        step "host-apt-update" apt-get update -q
        step "host-apt-install" apt_install "${missing[@]}"
    fi
}

# in_sid CMD...: run CMD inside the chroot, from /.  /proc and /dev are
# mounted in a mount namespace of its own, so they vanish with it: nothing
# stays mounted in the cache, and runs side by side do not unmount each
# other's.
in_sid() {
    cp /etc/resolv.conf "$SID/etc/resolv.conf"
    # The host's trusted certificates (they may include a proxy's CA that
    # the chroot's own bundle lacks), for pip inside.
    mkdir -p "$SID/etc/ssl/certs"
    cp /etc/ssl/certs/ca-certificates.crt "$SID/etc/ssl/certs/host-ca-certificates.crt"
    local certs=/etc/ssl/certs/host-ca-certificates.crt
    unshare --mount --propagation private -- bash -c '
        mount -t proc proc "$1/proc" && mount --bind /dev "$1/dev" && exec chroot "$@"' \
        in_sid "$SID" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root LANG=C.UTF-8 \
        SSL_CERT_FILE=$certs PIP_CERT=$certs REQUESTS_CA_BUNDLE=$certs "$@"
}
