#!/bin/sh
# Imports the shared test root filesystem (scripts/test-rootfs.sh) as the podman image that the
# vagrant docker-provider tests run: its command makes host keys, authorizes the key given in
# FORKLIFT_AUTHORIZED_KEY for root and runs sshd. Imported once per machine: the image carries a label
# naming the root filesystem build it came from, and is imported again only when that changes.
#
# Usage: scripts/test-podman-image.sh ROOTFS
# Environment: FORKLIFT_TEST_CACHE (default /var/cache/forklift-test), CONTAINERS_CONF.
# Prints the image name.
set -eu

ROOTFS=${1:?usage: test-podman-image.sh ROOTFS}
IMAGE=localhost/forklift-node:test
# Bump when the entry script below changes.
VERSION=1
CACHE=${FORKLIFT_TEST_CACHE:-/var/cache/forklift-test}
KEY="$VERSION-$(stat -c '%i-%Y' "$ROOTFS/etc/forklift-test-rootfs")"

ready() {
  [ "$(podman image inspect --format '{{index .Labels "forklift.rootfs"}}' "$IMAGE" 2>/dev/null)" = "$KEY" ]
}

if ready; then
  echo "$IMAGE"
  exit 0
fi

mkdir -p "$CACHE"
exec 9>"$CACHE/podman-image.lock"
flock -w 600 9
if ready; then
  echo "$IMAGE"
  exit 0
fi

OLD=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
EXTRA=$(mktemp -d)
trap 'rm -rf "$EXTRA"' EXIT
mkdir -p "$EXTRA/usr/local/sbin"
cat >"$EXTRA/usr/local/sbin/forklift-node-start" <<'START'
#!/bin/sh
# Entry of the forklift test container: a host key, the authorized key from the environment, sshd.
set -e
mkdir -p /run/sshd
[ -f /etc/ssh/ssh_host_ed25519_key ] || ssh-keygen -q -t ed25519 -N '' -f /etc/ssh/ssh_host_ed25519_key
if [ -n "${FORKLIFT_AUTHORIZED_KEY:-}" ]; then
  mkdir -p -m 700 /root/.ssh
  printf '%s\n' "$FORKLIFT_AUTHORIZED_KEY" >/root/.ssh/authorized_keys
fi
exec /usr/sbin/sshd -D -e
START
chmod 755 "$EXTRA/usr/local/sbin/forklift-node-start"

# Only the file itself comes from EXTRA: no folder entries that would override the root filesystem's.
tar -c -C "$ROOTFS" . -C "$EXTRA" usr/local/sbin/forklift-node-start |
  podman import \
    --change 'CMD ["/usr/local/sbin/forklift-node-start"]' \
    --change "LABEL forklift.rootfs=$KEY" \
    - "$IMAGE" >/dev/null
ready || {
  echo "test-podman-image: $IMAGE was imported but does not carry label forklift.rootfs=$KEY" >&2
  exit 1
}
# The image this one replaces, unless a container still uses it.
[ -z "$OLD" ] || podman rmi "$OLD" >/dev/null 2>&1 || true
echo "$IMAGE"
