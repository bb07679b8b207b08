#!/bin/sh
# smoke.sh [RESULTS_DIR] [KERNEL_ID...]
#
# Runs the smoke payload (smoke/guest-run) on the kernel matrix, with a
# snapshot of the rxlat binary (../../rxlat, or $RXLAT_BIN) copied into the
# payload when it exists. RESULTS_DIR defaults to $TMPDIR/rxlat-vm-results.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
results=${1:-${TMPDIR:-/tmp}/rxlat-vm-results}
[ $# -gt 0 ] && shift
bin=${RXLAT_BIN:-$here/../../rxlat}

payload=$(mktemp -d "${TMPDIR:-/tmp}/rxlat-smoke.XXXXXX")
trap 'rm -rf "$payload"' EXIT
trap 'exit 130' INT TERM
cp "$here/smoke/guest-run" "$payload/"
if [ -x "$bin" ]; then
	cp "$bin" "$payload/rxlat"
else
	echo "smoke: no rxlat binary at $bin; its tests will be skipped" >&2
fi
"$here/matrix.sh" "$payload" "$results" "$@"
