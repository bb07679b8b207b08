#!/bin/sh
# Every way of reading a datagram is matched to the right packet: recvmsg,
# recvfrom, read, recvmmsg batches, epoll and poll readers, non-blocking
# reads with EAGAIN failures, and MSG_PEEK before each read.
. "$(dirname "$0")/../lib.sh"
need_root

PORT=47141 N=300
for mode in recvmsg recvfrom read recvmmsg epoll poll nonblock peek; do
	args="-m $mode"
	[ $mode = peek ] && args="-m recvmsg -k"
	[ $mode = recvmmsg ] && args="-m recvmmsg -b 16"
	rm -f "$WORK/ready"
	# shellcheck disable=SC2086
	bg "$WORK/sink.$mode" "$BIN/udp_sink" $args -q -r 4194304 -n $N -t 20 -R "$WORK/ready" 127.0.0.1 $PORT
	SINK=$BG_PID
	wait_for "$WORK/ready" 10 || { fail "$mode: sink not ready"; continue; }
	rxlat_start "$WORK/rx.$mode" -j -e -P $PORT || continue
	# bursts of 8 so that recvmmsg really gets batches
	"$BIN/udp_blast" -n $N -s 150 -B 8 -r 20000 127.0.0.1 $PORT > /dev/null
	wait_pid $SINK 20
	rxlat_stop
	check "$mode: receiver" "$(sink_count "$WORK/sink.$mode")" -eq $N
	check "$mode: delivered" "$(jq_final "$WORK/rx.$mode" packets.delivered)" -eq $N
	check "$mode: untracked reads" "$(jq_final "$WORK/rx.$mode" packets.untracked_reads)" -eq 0
	check "$mode: matched records" \
		"$(jq_count -w type=packet -w len=150 -w pkt_len=150 "$WORK/rx.$mode")" -eq $N
done
done_test
