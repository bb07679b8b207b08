#!/bin/sh
# Loopback UDP: every packet the sender sent and the receiver read is
# counted once, each per-packet record adds up (driver + stack + socket =
# total) and matches the datagram the read returned (length check).
. "$(dirname "$0")/../lib.sh"
need_root

PORT=47101
N=600	# three sizes x 200
bg "$WORK/sink" "$BIN/udp_sink" -q -r 4194304 -n $N -t 20 -R "$WORK/ready" 127.0.0.1 $PORT
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
rxlat_start "$WORK/rx" -j -e -P $PORT || done_test
for size in 64 300 1200; do
	"$BIN/udp_blast" -n 200 -s $size -r 20000 127.0.0.1 $PORT > /dev/null || fail "blast $size"
done
wait_pid $SINK 20
rxlat_stop

got=$(sink_count "$WORK/sink")
check "receiver read everything" "$got" -eq $N
check "seen" "$(jq_final "$WORK/rx" packets.seen)" -eq $N
check "delivered" "$(jq_final "$WORK/rx" packets.delivered)" -eq $N
check "measured" "$(jq_final "$WORK/rx" packets.measured)" -eq $N
check "in flight" "$(jq_final "$WORK/rx" packets.in_flight)" -eq 0
check "books balance" "$(jq_final "$WORK/rx" packets.balance)" -eq 0
check "dropped" "$(jq_final "$WORK/rx" packets.dropped)" -eq 0
check "untracked reads" "$(jq_final "$WORK/rx" packets.untracked_reads)" -eq 0
check "lost events" "$(jq_final "$WORK/rx" packets.lost_events)" -eq 0
for st in driver stack socket total; do
	check "$st count" "$(jq_final "$WORK/rx" stages.$st.count)" -eq $N
done
check "packet records" "$(jq_count -w type=packet "$WORK/rx")" -eq $N

# Per packet: all stages present and non-negative, sum = total, and the
# read returned the datagram rxlat matched (same length).
"$BIN/jsonq" -w type=packet "$WORK/rx" driver_ns stack_ns socket_ns total_ns len pkt_len dport \
	> "$WORK/pk.tsv"
bad=$(awk -F'\t' -v port=$PORT '
	$1 == "null" || $2 == "null" || $3 == "null" || $4 == "null" { n++; next }
	$1 < 0 || $2 < 0 || $3 < 0 || $1 + $2 + $3 != $4 { n++; next }
	$5 != $6 || $7 != port { n++ }
	END { print n + 0 }' "$WORK/pk.tsv")
check "malformed or mismatched packet records" "$bad" -eq 0
done_test
