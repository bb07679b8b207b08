#!/bin/sh
# install-deps.sh: host packages the VM matrix needs (Debian, as root).
set -eu
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	qemu-system-x86 busybox-static cpio gzip xz-utils zstd gcc libc6-dev \
	debian-archive-keyring file
