#!/bin/sh
# Receive-buffer drops: a receiver with a tiny SO_RCVBUF that sleeps while a
# burst arrives. rxlat's books must match the receiver and the kernel's own
# counters: delivered = what it read, dropped (SOCKET_RCVBUFF, at the socket
# stage) = the rest = the namespace's UDP RcvbufErrors.
. "$(dirname "$0")/../lib.sh"
need_root
ns_pair 21 || done_test

PORT=47211 N=300
snmp() { in_ns "$NS_B" cat /proc/net/snmp | awk '/^Udp: [0-9]/ { print $6 }'; }
before=$(snmp)
# The receiver reads only once the burst is in (-W: rxlat's start may take
# seconds in a TCG guest), then gives up 2 s after its last chance.
bg "$WORK/sink" in_ns "$NS_B" "$BIN/udp_sink" -r 4096 -W "$WORK/go" -n $N -t 2 -R "$WORK/ready" \
	"$ADDR_B" $PORT
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
rxlat_start "$WORK/rx" -j -P $PORT || done_test
in_ns "$NS_A" "$BIN/udp_blast" -n $N -s 64 "$ADDR_B" $PORT > /dev/null
: > "$WORK/go"
wait_pid $SINK 20	# times out (status 3) after reading what fitted
rxlat_stop
after=$(snmp)

got=$(sink_count "$WORK/sink")
check "the burst overflowed the buffer" "$got" -lt $N
check "the receiver read some" "$got" -gt 0
check "seen" "$(jq_final "$WORK/rx" packets.seen)" -eq $N
check "delivered = read" "$(jq_final "$WORK/rx" packets.delivered)" -eq "$got"
check "measured = read" "$(jq_final "$WORK/rx" packets.measured)" -eq "$got"
check "dropped = the rest" "$(jq_final "$WORK/rx" packets.dropped)" -eq $((N - got))
check "reason SOCKET_RCVBUFF" "$(jq_final "$WORK/rx" packets.drop_reasons.SOCKET_RCVBUFF)" -eq $((N - got))
check "all at the socket stage" "$(jq_final "$WORK/rx" packets.drop_stages.socket.count)" -eq $((N - got))
check "kernel RcvbufErrors agree" "$((after - before))" -eq $((N - got))
check "nothing in flight" "$(jq_final "$WORK/rx" packets.in_flight)" -eq 0
check "books balance" "$(jq_final "$WORK/rx" packets.balance)" -eq 0
done_test
