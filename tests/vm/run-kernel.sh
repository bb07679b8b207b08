#!/bin/sh
# run-kernel.sh KERNEL_ID PAYLOAD_DIR LOGFILE
#
# Boots kernel KERNEL_ID (see kernels.conf) under qemu-system-x86_64 (TCG)
# with an initramfs made by mkinitramfs.sh around PAYLOAD_DIR, which must
# hold an executable guest-run. The guest's serial console goes to LOGFILE.
#
# Exit status:
#   0..124  the status the guest reported (guest-run's own status; 124 is
#           also used by the guest when guest-run hit its timeout)
#   124     also: qemu did not finish within RXLAT_VM_TIMEOUT (no report)
#   125     the guest never reported: qemu ended without the
#           "RXLAT-VM-EXIT" line (kernel panic, qemu error, ...)
#   127     guest-run exited with a status above 124
# A one-line verdict on stderr tells which case it was.
#
# Environment: RXLAT_VM_TIMEOUT (qemu wall-clock limit, default 300 s),
# RXLAT_VM_GUEST_TIMEOUT (guest-run limit, default 4/5 of it),
# RXLAT_VM_APPEND (extra kernel command line), RXLAT_VM_MEM (default 1G),
# RXLAT_VM_SMP (default 2), RXLAT_VM_QEMU_ARGS (extra qemu arguments,
# default "-nic none"), RXLAT_VM_ACCEL (default tcg,thread=multi; vmtest.sh
# uses tcg,thread=single, see there), RXLAT_VM_CACHE.
set -eu

[ $# -eq 3 ] || { echo "usage: $0 KERNEL_ID PAYLOAD_DIR LOGFILE" >&2; exit 2; }
id=$1 payload=$2 logfile=$3

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${RXLAT_VM_CACHE:-/var/cache/rxlat-vm}
T=${RXLAT_VM_TIMEOUT:-300}
GT=${RXLAT_VM_GUEST_TIMEOUT:-$((T * 4 / 5))}

say() { echo "run-kernel: $id: $*" >&2; }

command -v qemu-system-x86_64 >/dev/null 2>&1 ||
	{ say "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"; exit 125; }

# Make sure the kernel is in the cache (no network when it already is).
if ! awk -v id="$id" '$1 == id { f = 1 } END { exit !f }' "$CACHE/kernels.txt" 2>/dev/null; then
	"$here/fetch-kernels.sh" "$id"
fi
set -- $(awk -v id="$id" '$1 == id' "$CACHE/kernels.txt")
version=$2 vmlinuz=$4

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rxlat-vm.XXXXXX")
qpid=
cleanup() {
	# Only the qemu this script started, by pid.
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$here/mkinitramfs.sh" "$tmp/initrd.gz" "$id" "$payload"

mkdir -p "$(dirname "$logfile")"
start=$(date +%s)
# timeout(1) ends qemu after $T s (SIGKILL 10 s later if needed).
timeout -k 10 "$T" qemu-system-x86_64 \
	-accel "${RXLAT_VM_ACCEL:-tcg,thread=multi}" -cpu max -m "${RXLAT_VM_MEM:-1G}" -smp "${RXLAT_VM_SMP:-2}" \
	-nographic -no-reboot \
	-kernel "$vmlinuz" -initrd "$tmp/initrd.gz" \
	-append "console=ttyS0 panic=-1 quiet rxlat.timeout=$GT rxlat.kernel=$id ${RXLAT_VM_APPEND:-}" \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
	${RXLAT_VM_QEMU_ARGS--nic none} \
	</dev/null >"$tmp/serial.log" 2>&1 &
qpid=$!
rc=0
wait "$qpid" || rc=$?
qpid=
secs=$(($(date +%s) - start))
# Drop carriage returns and the firmware's terminal escape sequences.
tr -d '\r' <"$tmp/serial.log" | sed 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' >"$logfile"

marker=$(sed -n 's/^.*RXLAT-VM-EXIT \([0-9][0-9]*\).*$/\1/p' "$logfile" | tail -n 1)
if [ -n "$marker" ]; then
	# isa-debug-exit turns the guest's byte s into qemu status (s<<1)|1;
	# 0 means the guest powered off without it (the marker still counts).
	if [ "$rc" -ne 0 ] && [ $((rc & 1)) -eq 1 ] && [ $((rc >> 1)) -ne "$marker" ]; then
		say "warning: qemu status $rc does not match RXLAT-VM-EXIT $marker"
	fi
	say "kernel $version: guest reported status $marker (${secs}s)"
	exit "$marker"
fi
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	say "kernel $version: guest never reported, qemu timed out after ${T}s"
	exit 124
fi
say "kernel $version: guest never reported, qemu exited with $rc after ${secs}s; log tail:"
tail -n 15 "$logfile" | sed 's/^/    /' >&2
exit 125
