#!/bin/sh
# Builds the shared Debian bookworm root filesystem that the test harness's rootfs nodes overlay.
# Built once per machine (CI runs it before the tests; test/support/rootfs.ts runs it when the cache is
# missing); concurrent callers wait on a lock and the tree appears under its final name only when complete.
#
# Usage: scripts/test-rootfs.sh [--from DIR]
#   --from DIR   adopt DIR (a finished `debootstrap` of bookworm) instead of running debootstrap; DIR is moved.
# Environment: FORKLIFT_TEST_CACHE (default /var/cache/forklift-test), FORKLIFT_DEBIAN_MIRROR.
# Prints the path of the finished root filesystem.
set -eu

CACHE=${FORKLIFT_TEST_CACHE:-/var/cache/forklift-test}
FINAL=$CACHE/rootfs-bookworm
# Bump when the contents below change: older caches are rebuilt.
VERSION=1
STAMP=etc/forklift-test-rootfs
PACKAGES="openssh-server iproute2 procps sudo systemd systemd-sysv dbus"

ready() { [ "$(cat "$FINAL/$STAMP" 2>/dev/null)" = "$VERSION" ]; }

FROM=
if [ "${1:-}" = "--from" ]; then
  FROM=${2:?--from needs a directory}
fi

if ready; then
  echo "$FINAL"
  exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/rootfs-bookworm.lock"
flock -w 1800 9
if ready; then
  echo "$FINAL"
  exit 0
fi

# The mirror the machine already uses: deb822 sources first, then the one-line format.
mirror() {
  if [ -n "${FORKLIFT_DEBIAN_MIRROR:-}" ]; then
    echo "$FORKLIFT_DEBIAN_MIRROR"
    return
  fi
  m=$(sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -v security | head -n 1 || true)
  if [ -z "$m" ]; then
    m=$(sed -n 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\).*/\2/p' \
      /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | grep -v security | head -n 1 || true)
  fi
  echo "${m:-http://deb.debian.org/debian}"
}

TMP=$CACHE/rootfs-bookworm.tmp
rm -rf "$TMP"
if [ -n "$FROM" ]; then
  mv "$FROM" "$TMP"
else
  LOG=$CACHE/debootstrap.log
  include=$(echo "$PACKAGES" | tr ' ' ',')
  if ! debootstrap --variant=minbase --include="$include" bookworm "$TMP" "$(mirror)" >"$LOG" 2>&1; then
    tail -n 20 "$LOG" >&2
    echo "test-rootfs: debootstrap failed (full log: $LOG)" >&2
    rm -rf "$TMP"
    exit 1
  fi
fi

for p in $PACKAGES; do
  chroot "$TMP" dpkg -s "$p" >/dev/null 2>&1 || {
    echo "test-rootfs: package $p is missing in $TMP" >&2
    exit 1
  }
done

# A sudo login, no shared host keys (each node gets its own), no package caches.
chroot "$TMP" /bin/sh -ec '
  id deploy >/dev/null 2>&1 || useradd -m -s /bin/bash deploy
  usermod -p "*" deploy
  echo "deploy ALL=(ALL) NOPASSWD:ALL" > /etc/sudoers.d/deploy
  chmod 0440 /etc/sudoers.d/deploy
  rm -f /etc/ssh/ssh_host_*
  apt-get clean
'
echo "$VERSION" >"$TMP/$STAMP"

rm -rf "$FINAL"
mv "$TMP" "$FINAL"
echo "$FINAL"
