#!/bin/sh
# Environments rxlat cannot work in get one clear line and a non-zero exit;
# environments it does not need (tracefs, bpffs, a low memlock limit on
# memcg-accounted kernels) do not stop it. Mount changes happen in private
# mount namespaces, never on the host.
. "$(dirname "$0")/../lib.sh"
need_root

one_line_fail() {	# NAME PATTERN CMD...
	_name=$1 _pat=$2
	shift 2
	"$@" > "$WORK/out" 2> "$WORK/err"
	_st=$?
	check "$_name: exit status non-zero" "$_st" -ne 0
	check "$_name: one line on stderr" "$(wc -l < "$WORK/err")" -eq 1
	check "$_name: says why ($_pat)" "$(grep -ciE "$_pat" "$WORK/err")" -eq 1
	check "$_name: nothing on stdout" "$(wc -c < "$WORK/out")" -eq 0
}

# util-linux setpriv; a busybox guest's applet lacks some of these options,
# so each form is tried on true(1) first.
if setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
	one_line_fail "unprivileged user" "CAP_BPF" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$RXLAT" -d 1
else
	log "setpriv cannot drop to uid 65534 here: unprivileged-user case not run"
fi
if setpriv --inh-caps=-all --bounding-set=-all true 2>/dev/null; then
	one_line_fail "root without capabilities" "CAP_PERFMON" \
		setpriv --inh-caps=-all --bounding-set=-all "$RXLAT" -d 1
else
	log "setpriv cannot clear the bounding set here: no-capabilities case not run"
fi

# Forced hook families this kernel refuses (the host: no kprobes, no fentry).
if [ "$RXLAT_HOOKS" = auto ]; then
	for fam in fentry kprobe; do
		"$RXLAT" --hooks $fam -d 1 > /dev/null 2> "$WORK/err.$fam"
		st=$?
		if [ $st -ne 0 ]; then
			check "--hooks $fam refused: one line" "$(wc -l < "$WORK/err.$fam")" -eq 1
			check "--hooks $fam refused: names the family" \
				"$(grep -c -- "--hooks $fam" "$WORK/err.$fam")" -eq 1
		fi
	done
fi

if command -v unshare > /dev/null; then
	# No BTF: hide it under an empty tmpfs.
	one_line_fail "no BTF" "BTF" unshare -m sh -c \
		"mount -t tmpfs none /sys/kernel/btf && exec '$RXLAT' -d 1"
	# rxlat needs neither tracefs nor bpffs.
	unshare -m sh -c "umount /sys/kernel/tracing 2>/dev/null; umount /sys/fs/bpf 2>/dev/null;
		umount /sys/kernel/debug/tracing 2>/dev/null; exec '$RXLAT' --hooks '$RXLAT_HOOKS' -d 1" \
		> /dev/null 2> "$WORK/err.fs"
	check "runs without tracefs and bpffs" $? -eq 0
	# Without cgroup v2, the tracepoint family cannot hook the enqueue.
	cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	if [ -n "$cg2" ]; then
		one_line_fail "no cgroup v2" "cgroup v2" unshare -m sh -c \
			"umount -l '$cg2' && exec '$RXLAT' --hooks tracepoint -d 1"
	fi
fi

# A locked-memory limit of zero: fine where BPF memory is charged to the
# memory cgroup (5.11+), otherwise a clear error.
if command -v prlimit > /dev/null; then
	prlimit --memlock=0:0 "$RXLAT" --hooks "$RXLAT_HOOKS" -d 1 > /dev/null 2> "$WORK/err.ml"
	st=$?
	if [ $st -ne 0 ]; then
		check "memlock: one line" "$(wc -l < "$WORK/err.ml")" -eq 1
		check "memlock: says so" "$(grep -ci 'locked-memory' "$WORK/err.ml")" -eq 1
	else
		log "ok: runs with memlock 0 (memcg-accounted kernel)"
	fi
fi

# A pid that exits between parsing and attaching: an error or a clean end,
# never a hang.
sleep 0.3 &
short=$!
"$RXLAT" -p $short -d 20 > /dev/null 2> "$WORK/err.pid" &
rp=$!
PIDS_STARTED="$PIDS_STARTED $rp"
wait_pid $rp 10
check "exiting -p process: rxlat ends by itself" "$WAIT_STATUS" -le 1
wait $short 2>/dev/null
done_test
