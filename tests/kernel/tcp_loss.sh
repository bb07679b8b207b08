#!/bin/sh
# A TCP stream losing every 50th data segment at the receiver (netfilter,
# in its own namespace): the segments after each loss wait, out of order,
# for the retransmission. That wait is reported as head-of-line time
# (hol), not blamed on the reader; the lost copies are counted as drops;
# every byte the application read is in exactly one measured segment.
. "$(dirname "$0")/../lib.sh"
need_root
IPT=$(command -v iptables-legacy || command -v iptables) || skip "iptables not installed"
ns_pair 35 || done_test

PORT=47381 N=1000 SIZE=1000
in_ns "$NS_B" "$IPT" -A INPUT -p tcp --dport $PORT -m length --length 200:65535 \
	-m statistic --mode nth --every 50 --packet 10 -j DROP ||
	skip "netfilter's statistic match is not available"
bg "$WORK/sink" in_ns "$NS_B" "$BIN/tcp_sink" -q -t 30 -R "$WORK/ready" "$ADDR_B" $PORT
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
rxlat_start "$WORK/rx" -j -e --proto tcp -P $PORT || done_test
in_ns "$NS_A" "$BIN/tcp_send" -n $N -s $SIZE -r 50000 -B 10 -t 30 "$ADDR_B" $PORT > "$WORK/send"
wait_pid $SINK 30
sleep 0.2
rxlat_stop
rx=$WORK/rx
fw=$(in_ns "$NS_B" "$IPT" -L INPUT -v -x -n | awk '$3 == "DROP" { print $1 }')

check "receiver read everything" "$(awk '/^received /{ print $2 }' "$WORK/sink")" -eq $((N * SIZE))
check "netfilter dropped segments" "$fw" -gt 0
check "drops counted = netfilter's" "$(jq_final "$rx" packets.dropped)" -eq "$fw"
check "books balance" "$(jq_final "$rx" packets.balance)" -eq 0
check "nothing in flight" "$(jq_final "$rx" packets.in_flight)" -eq 0
check "bytes in the records = bytes read" \
	"$("$BIN/jsonq" -w type=packet "$rx" pkt_len | awk '{ s += $1 } END { print s + 0 }')" \
	-eq $((N * SIZE))
ooo=$(jq_count -w type=packet -w out_of_order=true "$rx")
check "segments arrived out of order" "$ooo" -gt 0
check "behind_gap = out-of-order records" "$(jq_final "$rx" packets.behind_gap)" -eq "$ooo"
check "out-of-order segments waited (hol > 0)" \
	"$("$BIN/jsonq" -w type=packet -w out_of_order=true "$rx" hol_ns |
	awk '$1 > 0 { n++ } END { print n + 0 }')" -eq "$ooo"
check "in-order segments did not (hol = 0)" \
	"$("$BIN/jsonq" -w type=packet -w out_of_order=false "$rx" hol_ns |
	awk '$1 != 0 { n++ } END { print n + 0 }')" -eq 0
check "hol is inside the socket stage" "$("$BIN/jsonq" -w type=packet "$rx" socket_ns hol_ns \
	queued_ns wakeup_ns return_ns | awk -F'\t' '
	$2 < 0 || $2 > $1 || $2 + $3 + $4 + $5 != $1 { n++ } END { print n + 0 }')" -eq 0
done_test
