#!/bin/sh
# Install what building and testing rxlat needs (Debian packages), and
# mount the kernel filesystems the tests and bpftool use. Idempotent.
set -eu

# build: the BPF toolchain, libbpf and the loader's libraries (json-c for
# compare, libmicrohttpd for --prometheus); sanitizers and libFuzzer come
# with gcc and libclang-rt-dev. tests: iproute2, ethtool, iptables (a
# lossy link), procps,
# util-linux (unshare, setpriv, prlimit), curl (the exporter), xmllint
# and chromium (the SVG, parsed and rendered), man-db and mandoc (the man
# page). The kernel matrix passes its own list in RXLAT_PKGS
# (tests/vm/install-deps.sh).
PKGS=${RXLAT_PKGS:-"clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev
libjson-c-dev libmicrohttpd-dev libclang-rt-dev make gcc libc6-dev pkg-config
iproute2 ethtool iptables procps util-linux curl libxml2-utils ca-certificates
chromium man-db mandoc bash"}
[ "${RXLAT_EXTRA_PKGS:-}" ] && PKGS="$PKGS $RXLAT_EXTRA_PKGS"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "install-deps: missing packages:$missing (run as root)" >&2
		exit 1
	fi
	echo "install-deps: installing$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null || apt-get update
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

mountpoint -q /sys/kernel/tracing 2>/dev/null || \
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || \
	echo "install-deps: could not mount tracefs at /sys/kernel/tracing" >&2
mountpoint -q /sys/fs/bpf 2>/dev/null || \
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null || \
	echo "install-deps: could not mount bpffs at /sys/fs/bpf" >&2
exit 0
