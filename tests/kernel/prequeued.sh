#!/bin/sh
# A receiver started before rxlat, with packets already queued: rxlat must
# not attribute those reads to the packets it saw, and must match every
# packet that arrived after it started.
. "$(dirname "$0")/../lib.sh"
need_root

PORT=47131 K=40 M=60
# The receiver reads only once both batches are sent (-W), so the first K
# are queued before rxlat starts, however long its start takes.
bg "$WORK/sink" "$BIN/udp_sink" -q -r 4194304 -W "$WORK/go" -n $((K + M)) -t 20 -R "$WORK/ready" 127.0.0.1 $PORT
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
"$BIN/udp_blast" -n $K -s 111 127.0.0.1 $PORT > /dev/null
rxlat_start "$WORK/rx" -j -e -P $PORT || done_test
"$BIN/udp_blast" -n $M -s 222 127.0.0.1 $PORT > /dev/null
: > "$WORK/go"
wait_pid $SINK 20
rxlat_stop

check "receiver read both batches" "$(sink_count "$WORK/sink")" -eq $((K + M))
check "seen: only packets after start" "$(jq_final "$WORK/rx" packets.seen)" -eq $M
check "delivered" "$(jq_final "$WORK/rx" packets.delivered)" -eq $M
check "reads of packets queued before tracing" \
	"$(jq_final "$WORK/rx" packets.untracked_reads)" -eq $K
check "records are the second batch, read as such" \
	"$(jq_count -w type=packet -w pkt_len=222 -w len=222 "$WORK/rx")" -eq $M
done_test
