#!/bin/sh
# However rxlat ends - SIGINT, SIGTERM, SIGHUP, -d, a failed start, SIGKILL -
# none of its programs, links or cgroup attachments remains. Its objects
# are identified by the ids behind its file descriptors, so other BPF users
# on the machine (another rxlat, a benchmark) do not matter.
. "$(dirname "$0")/../lib.sh"
need_root
command -v bpftool > /dev/null || skip "bpftool not installed"

# ids of the programs and links an rxlat process holds
ids_of() {
	cat /proc/"$1"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" || $1 == "link_id:" { print $1, $2 }' |
		sort -u
}
# how many of them still exist
alive() {
	n=0
	while read -r kind id; do
		case $kind in
		prog_id:) bpftool prog show id "$id" > /dev/null 2>&1 && n=$((n + 1)) ;;
		link_id:) bpftool link show id "$id" > /dev/null 2>&1 && n=$((n + 1)) ;;
		esac
	done < "$1"
	echo $n
}
cg_attached() {	# how many of the held programs sit on a cgroup
	n=0
	for id in $(awk '$1 == "prog_id:" { print $2 }' "$1"); do
		bpftool cgroup tree 2>/dev/null | awk -v id="$id" '$1 == id' | grep -q . && n=$((n + 1))
	done
	echo $n
}

for how in INT TERM HUP KILL duration; do
	if [ $how = duration ]; then
		"$RXLAT" --hooks "$RXLAT_HOOKS" -d 2 > /dev/null 2>&1 &
		RXLAT_PID=$!
		PIDS_STARTED="$PIDS_STARTED $RXLAT_PID"
		sleep 1
		ids_of "$RXLAT_PID" > "$WORK/ids.$how"
		wait_pid "$RXLAT_PID" 10
		check "-d exits 0" "$WAIT_STATUS" -eq 0
	else
		rxlat_start "$WORK/rx.$how" -j || continue
		ids_of "$RXLAT_PID" > "$WORK/ids.$how"
		kill -$how "$RXLAT_PID"
		wait_pid "$RXLAT_PID" 10
		[ $how = KILL ] || check "SIG$how exits 0" "$WAIT_STATUS" -eq 0
		[ $how = KILL ] || check "SIG$how prints the final summary" \
			"$(jq_count -w type=summary -w final=true "$WORK/rx.$how")" -eq 1
	fi
	check "held programs and links while running ($how)" "$(wc -l < "$WORK/ids.$how")" -gt 5
	# the kernel frees objects asynchronously after the last reference
	i=0
	while [ "$(alive "$WORK/ids.$how")" -gt 0 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	check "nothing left after $how" "$(alive "$WORK/ids.$how")" -eq 0
	check "no cgroup attachment left after $how" "$(cg_attached "$WORK/ids.$how")" -eq 0
done
# A start that fails after loading: nothing may stay behind either.
before=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]')
"$RXLAT" --hooks fentry -d 1 > /dev/null 2>&1
st=$?
if [ $st -ne 0 ]; then
	sleep 0.5
	after=$(bpftool prog show 2>/dev/null | grep -c '^[0-9]')
	check "failed start leaves no programs" "$after" -le "$before"
fi
done_test
