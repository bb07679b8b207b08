#!/bin/sh
# install-deps.sh: host packages the VM matrix needs (Debian, as root).
# Idempotent: installs only what is missing. Run by `make vmtest`.
set -eu
PKGS="qemu-system-x86 busybox-static cpio gzip xz-utils zstd gcc libc6-dev
debian-archive-keyring file"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "vmtest: missing packages:$missing (run as root)" >&2
	exit 1
fi
echo "vmtest: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || apt-get update
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
