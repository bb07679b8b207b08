#!/bin/sh
# TCP request/response (a ping-pong of 64-byte messages): each request the
# server read is one measured segment, with its bytes.
. "$(dirname "$0")/../lib.sh"
need_root
ns_pair 32 || done_test

PORT=47341 N=500
bg "$WORK/srv" in_ns "$NS_B" "$BIN/tcp_sink" -q -e -M 64 -t 30 -R "$WORK/ready" "$ADDR_B" $PORT
SRV=$BG_PID
wait_for "$WORK/ready" 10 || { fail "server not ready"; done_test; }
rxlat_start "$WORK/rx" -j -e --proto tcp -P $PORT || done_test
in_ns "$NS_A" "$BIN/tcp_send" -p -n $N -s 64 -t 30 "$ADDR_B" $PORT > "$WORK/cli"
wait_pid $SRV 30
sleep 0.2
rxlat_stop

check "client got every answer" "$(awk '/^rtt_us/{ print $3 }' "$WORK/cli")" -eq $N
check "requests measured" "$(jq_final "$WORK/rx" packets.measured)" -eq $N
check "request bytes" \
	"$("$BIN/jsonq" -w type=packet "$WORK/rx" pkt_len | awk '{ s += $1 } END { print s + 0 }')" \
	-eq $((N * 64))
check "books balance" "$(jq_final "$WORK/rx" packets.balance)" -eq 0
# How many requests find the server asleep depends on the machine's load;
# that some do, and that exactly those carry a wakeup, does not.
check "the server was woken for some requests" \
	"$("$BIN/jsonq" -w type=packet -w woken=true "$WORK/rx" pkt_len | wc -l)" -gt 0
check "a wakeup stage exactly where woken" \
	"$("$BIN/jsonq" -w type=packet "$WORK/rx" woken wakeup_ns | awk -F'\t' '
		($1 == "true") != ($2 > 0) { n++ } END { print n + 0 }')" -eq 0
done_test
