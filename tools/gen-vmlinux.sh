#!/bin/sh
# Regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF.
# CO-RE relocations make the committed header valid on other kernels too;
# regenerate only to reach types or fields that a newer kernel added.
set -eu
btf=${1:-/sys/kernel/btf/vmlinux}
arch=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
out=$(dirname "$0")/../vmlinux/$arch/vmlinux.h
command -v bpftool >/dev/null 2>&1 || { echo "gen-vmlinux: bpftool not found (apt-get install bpftool)" >&2; exit 1; }
[ -r "$btf" ] || { echo "gen-vmlinux: $btf not readable: kernel built without CONFIG_DEBUG_INFO_BTF?" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
bpftool btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $out from $btf ($(uname -r))" >&2
