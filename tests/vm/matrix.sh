#!/bin/sh
# matrix.sh PAYLOAD_DIR RESULTS_DIR [KERNEL_ID...]
#
# Runs PAYLOAD_DIR/guest-run (see mkinitramfs.sh) on every kernel of
# kernels.conf (or the KERNEL_IDs given, or $RXLAT_VM_KERNELS), one after
# the other, through run-kernel.sh. For each kernel it writes to RESULTS_DIR:
#   <id>.log       the serial console
#   <id>.results   the "RESULT <test> <pass|fail|skip> [reason...]" lines
# and then RESULTS_DIR/summary.md (markdown table) and prints a summary.
# A kernel fails when its guest never printed "RXLAT-VM-EXIT" or reported a
# non-zero status. Exits 1 if any kernel failed or any result is "fail".
#
# RXLAT_VM_JOBS=N (default 1) boots N kernels at once, in N lanes that take
# every N-th kernel: a TCG guest mostly keeps one host CPU busy, so on a
# 2-CPU machine 2 lanes take about half the time.
set -eu

[ $# -ge 2 ] || { echo "usage: $0 PAYLOAD_DIR RESULTS_DIR [KERNEL_ID...]" >&2; exit 2; }
payload=$1 results=$2
shift 2

[ -x "$payload/guest-run" ] || { echo "matrix: $payload/guest-run is missing or not executable" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
CACHE=${RXLAT_VM_CACHE:-/var/cache/rxlat-vm}

ids=${*:-${RXLAT_VM_KERNELS:-$(awk '$1 !~ /^#/ && NF { print $1 }' "$here/kernels.conf")}}
mkdir -p "$results"
# shellcheck disable=SC2086
"$here/fetch-kernels.sh" $ids

JOBS=${RXLAT_VM_JOBS:-1}

# run_one ID: boots one kernel; writes <id>.log, <id>.results and a summary
# row in .row.<id> (lanes are subshells: no shared variables).
run_one() {
	id=$1
	log=$results/$id.log
	t0=$(date +%s)
	rc=0
	if [ "$JOBS" -gt 1 ]; then
		# In the background, so that this lane's TERM trap runs at once
		# and passes the signal on (run-kernel.sh then stops its qemu).
		"$here/run-kernel.sh" "$id" "$payload" "$log" &
		rk=$!
		wait "$rk" || rc=$?
		rk=
	else
		"$here/run-kernel.sh" "$id" "$payload" "$log" || rc=$?
	fi
	secs=$(($(date +%s) - t0))

	grep -E '^RESULT [^ ]+ (pass|fail|skip)( |$)' "$log" >"$results/$id.results" 2>/dev/null || true
	np=$(grep -c '^RESULT [^ ]* pass' "$results/$id.results" || true)
	nf=$(grep -c '^RESULT [^ ]* fail' "$results/$id.results" || true)
	ns=$(grep -c '^RESULT [^ ]* skip' "$results/$id.results" || true)

	kbad=0
	if ! grep -q 'RXLAT-VM-EXIT [0-9]' "$log" 2>/dev/null; then
		if [ "$rc" = 124 ]; then guest="no report (timeout)"; else guest="no report (exit $rc)"; fi
		kbad=1
	elif [ "$rc" = 0 ]; then
		guest=ok
	else
		guest="exit $rc"
		kbad=1
	fi
	[ "$nf" -eq 0 ] || kbad=1
	version=$(awk -v id="$id" '$1 == id { print $2 }' "$CACHE/kernels.txt")
	echo "$id|$version|$np|$nf|$ns|$guest|${secs}s|$kbad" >"$results/.row.$id"
}

for id in $ids; do rm -f "$results/.row.$id"; done
t_all=$(date +%s)
if [ "$JOBS" -gt 1 ]; then
	lanes=
	lane=0
	while [ "$lane" -lt "$JOBS" ]; do
		(
			rk=
			trap '[ -n "$rk" ] && kill "$rk" 2>/dev/null; exit 130' TERM
			i=0
			for id in $ids; do
				if [ $((i % JOBS)) -eq "$lane" ]; then run_one "$id"; fi
				i=$((i + 1))
			done
		) &
		lanes="$lanes $!"
		lane=$((lane + 1))
	done
	# Background lanes ignore SIGINT (POSIX): pass INT and TERM on as TERM.
	trap 'kill $lanes 2>/dev/null; wait; exit 130' INT TERM
	wait
	trap - INT TERM
else
	for id in $ids; do run_one "$id"; done
fi

bad=0
rows=
for id in $ids; do
	row=$(cat "$results/.row.$id" 2>/dev/null || echo "$id|?|0|0|0|not run|0s|1")
	rm -f "$results/.row.$id"
	[ "${row##*|}" = 0 ] || bad=1
	rows="$rows${row%|*}
"
done
t_all=$(($(date +%s) - t_all))

# Summary on stdout, and as markdown for the README.
{
	printf '%-6s %-22s %6s %6s %7s  %-22s %s\n' kernel version passed failed skipped guest time
	printf '%s' "$rows" | while IFS='|' read -r id v p f s g t; do
		printf '%-6s %-22s %6s %6s %7s  %-22s %s\n' "$id" "$v" "$p" "$f" "$s" "$g" "$t"
	done
	echo "total ${t_all}s; results in $results"
} >&1
{
	echo "| kernel | Debian version | passed | failed | skipped | guest |"
	echo "|---|---|---:|---:|---:|---|"
	printf '%s' "$rows" | while IFS='|' read -r id v p f s g t; do
		echo "| $id | $v | $p | $f | $s | $g |"
	done
} >"$results/summary.md"

if [ "$bad" -ne 0 ]; then
	# List what failed, with reasons.
	for id in $ids; do
		grep '^RESULT [^ ]* fail' "$results/$id.results" 2>/dev/null | sed "s/^/$id: /"
	done
	exit 1
fi
