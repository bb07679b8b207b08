#!/bin/sh
# Attaching to traffic already flowing: a UDP ping-pong runs before rxlat
# starts, the server blocked in recvfrom. Each request arrives 2 ms after
# the previous echo, so a read paired with the packet before its own shows
# a socket stage of at least 2 ms; the right pairing is microseconds (tens
# of them in a TCG guest). Checked over several attaches, since whether a
# request is in flight at the moment of attaching is up to the timing.
. "$(dirname "$0")/../lib.sh"
need_root
ns_pair 36 || done_test

PORT=47381
bg "$WORK/server" in_ns "$NS_B" "$BIN/udp_pingpong" server -t 60 "$ADDR_B" $PORT
sleep 0.3
bg "$WORK/client" in_ns "$NS_A" "$BIN/udp_pingpong" client -n 100000 -i 2000 -t 50 "$ADDR_B" $PORT
sleep 0.5
for i in 1 2 3 4 5; do
	rxlat_start "$WORK/rx.$i" -j -P $PORT || break
	sleep 1
	rxlat_stop
	n=$(jq_final "$WORK/rx.$i" stages.socket.count)
	check "attach $i: reads measured" "$n" -gt 100
	# half the pause: far above any right pairing, far below a wrong one
	check "attach $i: socket p50 under 1 ms" "$(jq_final "$WORK/rx.$i" stages.socket.p50_ns)" -lt 1000000
	check "attach $i: socket p90 under 1 ms" "$(jq_final "$WORK/rx.$i" stages.socket.p90_ns)" -lt 1000000
	check "attach $i: books balance" "$(jq_final "$WORK/rx.$i" packets.balance)" -eq 0
done
done_test
