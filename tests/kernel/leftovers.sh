#!/bin/sh
# However rxlat ends - SIGINT, SIGTERM, SIGHUP, -d, a failed start, SIGKILL -
# no program, link or cgroup attachment of it remains.
. "$(dirname "$0")/../lib.sh"
need_root
command -v bpftool > /dev/null || skip "bpftool not installed"

# rxlat's programs by name (bpftool shows the first 15 characters)
ours='tp_netif_rx_ent|tp_netif_receiv|tp_sock_recv_le|cg_ingress|tp_kfree_skb|fentry_udp_enqu|kprobe_udp_enqu'
count_ours() { bpftool prog show 2>/dev/null | grep -cE "name ($ours)"; }
cg_ours() { bpftool cgroup tree 2>/dev/null | grep -cE "cg_ingress"; }
base=$(count_ours)
cgbase=$(cg_ours)

for how in INT TERM HUP KILL duration; do
	if [ $how = duration ]; then
		"$RXLAT" --hooks "$RXLAT_HOOKS" -d 1 > /dev/null 2>&1
		check "-d exits 0" $? -eq 0
	else
		rxlat_start "$WORK/rx.$how" -j || continue
		check "programs attached while running ($how)" "$(count_ours)" -gt "$base"
		kill -$how "$RXLAT_PID"
		wait_pid "$RXLAT_PID" 10
		[ $how = KILL ] || check "SIG$how exits 0" "$WAIT_STATUS" -eq 0
		[ $how = KILL ] || check "SIG$how prints the final summary" \
			"$(jq_count -w type=summary -w final=true "$WORK/rx.$how")" -eq 1
	fi
	# the kernel releases programs asynchronously after the last reference
	i=0
	while [ "$(count_ours)" -gt "$base" ] && [ $i -lt 40 ]; do sleep 0.1; i=$((i + 1)); done
	check "no programs left after $how" "$(count_ours)" -eq "$base"
	check "no cgroup attachments left after $how" "$(cg_ours)" -eq "$cgbase"
done
# a start that fails after loading some programs
"$RXLAT" --hooks fentry -d 1 > /dev/null 2>&1
check "failed start leaves nothing" "$(count_ours)" -eq "$base"
done_test
