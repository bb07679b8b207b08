#!/bin/sh
# One multicast packet, two receiving sockets: seen once, delivered twice,
# each copy measured with its own socket stage.
. "$(dirname "$0")/../lib.sh"
need_root
ns_pair 33 || done_test

GROUP=239.1.2.3 PORT=47351 N=300
for i in 1 2; do
	bg "$WORK/sink$i" in_ns "$NS_B" "$BIN/udp_sink" -q -g $GROUP -i veth0 -n $N -t 30 \
		-R "$WORK/ready$i" 0.0.0.0 $PORT
	eval S$i=\$BG_PID
	wait_for "$WORK/ready$i" 10 || { fail "sink $i not ready"; done_test; }
done
rxlat_start "$WORK/rx" -j -e -P $PORT || done_test
in_ns "$NS_A" "$BIN/udp_blast" -n $N -s 100 -r 5000 -i veth0 -T 1 $GROUP $PORT > /dev/null
wait_pid $S1 30
wait_pid $S2 30
rxlat_stop

check "sink 1" "$(sink_count "$WORK/sink1")" -eq $N
check "sink 2" "$(sink_count "$WORK/sink2")" -eq $N
check "seen once each" "$(jq_final "$WORK/rx" packets.seen)" -eq $N
check "a copy for the second socket" "$(jq_final "$WORK/rx" packets.copies)" -eq $N
check "delivered twice" "$(jq_final "$WORK/rx" packets.delivered)" -eq $((2 * N))
check "measured twice" "$(jq_final "$WORK/rx" packets.measured)" -eq $((2 * N))
check "records marked as copies" "$(jq_count -w type=packet -w copy=true "$WORK/rx")" -eq $N
check "copies keep the driver stage" \
	"$("$BIN/jsonq" -w type=packet -w copy=true "$WORK/rx" driver_ns | grep -c null)" -eq 0
check "books balance" "$(jq_final "$WORK/rx" packets.balance)" -eq 0
done_test
