#!/bin/sh
# Across a veth pair between two namespaces this test made, IPv4 and IPv6
# at once: each family's packets are counted exactly, and -6 keeps only
# the IPv6 ones.
. "$(dirname "$0")/../lib.sh"
need_root
ns_pair 11 || done_test

P4=47111 P6=47112 N4=300 N6=200
bg "$WORK/sink4" in_ns "$NS_B" "$BIN/udp_sink" -q -r 4194304 -n $N4 -t 20 -R "$WORK/r4" "$ADDR_B" $P4
S4=$BG_PID
bg "$WORK/sink6" in_ns "$NS_B" "$BIN/udp_sink" -q -r 4194304 -n $N6 -t 20 -R "$WORK/r6" "$ADDR6_B" $P6
S6=$BG_PID
wait_for "$WORK/r4" 10 && wait_for "$WORK/r6" 10 || { fail "sinks not ready"; done_test; }

rxlat_start "$WORK/all" -j -e -P $P4-$P6 || done_test
ALL=$RXLAT_PID
rxlat_start "$WORK/v6" -j -6 -P $P4-$P6 || done_test
V6=$RXLAT_PID
in_ns "$NS_A" "$BIN/udp_blast" -n $N4 -s 100 -r 10000 "$ADDR_B" $P4 > /dev/null || fail "blast v4"
in_ns "$NS_A" "$BIN/udp_blast" -n $N6 -s 100 -r 10000 "$ADDR6_B" $P6 > /dev/null || fail "blast v6"
wait_pid $S4 20
wait_pid $S6 20
RXLAT_PID=$ALL rxlat_stop
RXLAT_PID=$V6 rxlat_stop

check "v4 receiver" "$(sink_count "$WORK/sink4")" -eq $N4
check "v6 receiver" "$(sink_count "$WORK/sink6")" -eq $N6
check "all: delivered" "$(jq_final "$WORK/all" packets.delivered)" -eq $((N4 + N6))
check "all: v4 records" "$(jq_count -w type=packet -w family=4 "$WORK/all")" -eq $N4
check "all: v6 records" "$(jq_count -w type=packet -w family=6 "$WORK/all")" -eq $N6
check "-6: seen" "$(jq_final "$WORK/v6" packets.seen)" -eq $N6
check "-6: delivered" "$(jq_final "$WORK/v6" packets.delivered)" -eq $N6
check "-6: total count" "$(jq_final "$WORK/v6" stages.total.count)" -eq $N6
# The records name the receiving namespace.
ino=$("$BIN/nsctl" inode "$NS_B")
check "records carry the receiver's netns" \
	"$(jq_count -w type=packet -w netns="$ino" "$WORK/all")" -eq $((N4 + N6))
bad=$("$BIN/jsonq" -w type=packet "$WORK/all" driver_ns stack_ns socket_ns total_ns len pkt_len |
	awk -F'\t' '$1 == "null" || $1 + $2 + $3 != $4 || $5 != $6 { n++ } END { print n + 0 }')
check "malformed or mismatched packet records" "$bad" -eq 0
done_test
