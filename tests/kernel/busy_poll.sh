#!/bin/sh
# A reader busy polling (SO_BUSY_POLL) over a veth whose receiver runs
# NAPI: it is in its receive call before each packet arrives and never
# sleeps. Its packets are marked busy-polled, with no queued or wakeup
# time and no negative stage; the same traffic to a sleeping reader is not.
. "$(dirname "$0")/../lib.sh"
need_root
command -v ethtool > /dev/null || skip "ethtool not installed"
# before 5.13 veth runs NAPI only with an XDP program attached, so there
# is no veth GRO (or busy polling) to see
kernel_before 5 13 && skip "veth has no NAPI without XDP before Linux 5.13 ($(uname -r))"
ns_pair 34 || done_test
# veth hands packets to the receiver's NAPI (which busy polling drives)
# only with GRO on there and TSO off at the sender
in_ns "$NS_B" ethtool -K veth0 gro on > /dev/null 2>&1 || skip "veth GRO cannot be turned on"
in_ns "$NS_A" ethtool -K veth0 tso off > /dev/null 2>&1 || skip "cannot turn off TSO"

PORT=47361 N=500
for mode in busy sleep; do
	args=""
	[ $mode = busy ] && args="-B 100000"	# spin up to 100 ms per read
	rm -f "$WORK/ready"
	# shellcheck disable=SC2086
	bg "$WORK/sink.$mode" in_ns "$NS_B" "$BIN/udp_sink" -q $args -n $N -t 20 -R "$WORK/ready" \
		"$ADDR_B" $PORT
	SINK=$BG_PID
	wait_for "$WORK/ready" 10 || { fail "$mode: sink not ready"; continue; }
	rxlat_start "$WORK/rx.$mode" -j -e --by busy-poll -P $PORT || continue
	in_ns "$NS_A" "$BIN/udp_blast" -n $N -s 100 -r 2000 "$ADDR_B" $PORT > /dev/null
	wait_pid $SINK 20
	rxlat_stop
	check "$mode: receiver" "$(sink_count "$WORK/sink.$mode")" -eq $N
	check "$mode: delivered" "$(jq_final "$WORK/rx.$mode" packets.delivered)" -eq $N
	check "$mode: records" "$(jq_count -w type=packet "$WORK/rx.$mode")" -eq $N
	check "$mode: busy_polled = marked records" "$(jq_final "$WORK/rx.$mode" packets.busy_polled)" \
		-eq "$(jq_count -w type=packet -w busy_polled=true "$WORK/rx.$mode")"
	check "$mode: stages non-negative and adding up" "$("$BIN/jsonq" -w type=packet "$WORK/rx.$mode" \
		driver_ns stack_ns socket_ns total_ns queued_ns wakeup_ns return_ns | awk -F'\t' '
		$1 < 0 || $2 < 0 || $3 < 0 || $5 < 0 || $6 < 0 || $7 < 0 ||
		$1 + $2 + $3 != $4 || $5 + $6 + $7 != $3 { n++ } END { print n + 0 }')" -eq 0
done
busy=$(jq_final "$WORK/rx.busy" packets.busy_polled)
check "busy: most packets busy-polled" "$busy" -gt $((N / 2))
check "busy: busy-polled packets neither queued nor woken" \
	"$("$BIN/jsonq" -w type=packet -w busy_polled=true "$WORK/rx.busy" woken queued_ns wakeup_ns |
	awk -F'\t' '$1 != "false" || $2 != 0 || $3 != 0 { n++ } END { print n + 0 }')" -eq 0
check "busy: --by busy-poll has the group" \
	"$("$BIN/jsonq" -w type=summary -w final=true "$WORK/rx.busy" groups | grep -c 'busy-polled')" -ge 1
check "sleep: a sleeping reader is rarely marked" \
	"$(jq_final "$WORK/rx.sleep" packets.busy_polled)" -lt $((N / 10))
done_test
