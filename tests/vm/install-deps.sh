#!/bin/sh
# install-deps.sh: host packages the VM matrix needs (Debian, as root), through
# the project's installer (installs only what is missing). Run by `make vmtest`.
RXLAT_PKGS="qemu-system-x86 busybox-static cpio gzip xz-utils zstd gcc libc6-dev
debian-archive-keyring file" exec "$(dirname "$0")/../../tools/install-deps.sh"
