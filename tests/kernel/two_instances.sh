#!/bin/sh
# Two rxlat instances at once see the same packets, identically, and do not
# disturb each other or the receiver.
. "$(dirname "$0")/../lib.sh"
need_root

PORT=47231 N=500
bg "$WORK/sink" "$BIN/udp_sink" -q -r 4194304 -n $N -t 20 -R "$WORK/ready" 127.0.0.1 $PORT
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
rxlat_start "$WORK/one" -j -P $PORT || done_test
ONE=$RXLAT_PID
rxlat_start "$WORK/two" -j -P $PORT || done_test
TWO=$RXLAT_PID
"$BIN/udp_blast" -n $N -s 64 -r 10000 127.0.0.1 $PORT > /dev/null
wait_pid $SINK 20
RXLAT_PID=$ONE rxlat_stop
RXLAT_PID=$TWO rxlat_stop

check "receiver" "$(sink_count "$WORK/sink")" -eq $N
for f in one two; do
	check "$f: seen" "$(jq_final "$WORK/$f" packets.seen)" -eq $N
	check "$f: measured" "$(jq_final "$WORK/$f" packets.measured)" -eq $N
	check "$f: total count" "$(jq_final "$WORK/$f" stages.total.count)" -eq $N
done
done_test
