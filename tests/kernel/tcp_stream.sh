#!/bin/sh
# A TCP stream between two namespaces, read in small pieces (each segment
# takes several reads): every byte the receiver read is in exactly one
# measured segment, and every segment's stages add up.
. "$(dirname "$0")/../lib.sh"
need_root
ns_pair 31 || done_test

PORT=47331 N=1000 SIZE=1000
bg "$WORK/sink" in_ns "$NS_B" "$BIN/tcp_sink" -q -b 100 -t 30 -R "$WORK/ready" "$ADDR_B" $PORT
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
rxlat_start "$WORK/rx" -j -e --proto tcp -P $PORT || done_test
in_ns "$NS_A" "$BIN/tcp_send" -n $N -s $SIZE -r 20000 -t 30 "$ADDR_B" $PORT > "$WORK/send"
wait_pid $SINK 30
sleep 0.2
rxlat_stop

bytes=$(awk '/^received /{ print $2 }' "$WORK/sink")
check "receiver read everything" "$bytes" -eq $((N * SIZE))
check "it took many reads" "$(awk '/^received /{ print $5 }' "$WORK/sink")" -gt $((N * 5))
records=$(jq_count -w type=packet -w proto=tcp "$WORK/rx")
check "segment records" "$records" -gt 0
check "measured = records" "$(jq_final "$WORK/rx" packets.measured)" -eq "$records"
check "TCP segments counted" "$(jq_final "$WORK/rx" packets.tcp_segments)" -eq "$records"
recbytes=$("$BIN/jsonq" -w type=packet "$WORK/rx" pkt_len | awk '{ s += $1 } END { print s + 0 }')
check "books balance" "$(jq_final "$WORK/rx" packets.balance)" -eq 0
dropped=$(jq_final "$WORK/rx" packets.dropped) inflight=$(jq_final "$WORK/rx" packets.in_flight)
if [ "$dropped" = 0 ]; then
	check "bytes in the records = bytes read" "$recbytes" -eq $((N * SIZE))
	check "nothing in flight" "$inflight" -eq 0
else
	# A retransmission (slow TCG guests) shares its byte key with the
	# original; when TCP drops one copy, rxlat may settle the drop on the
	# other, whose record is then missing and whose slot stays in flight
	# (a known limit, in the closing notes). Bounded, never silent.
	log "$dropped segments dropped by TCP (duplicates): $inflight left in flight"
	check "in flight at most the duplicates dropped" "$inflight" -le "$dropped"
	check "bytes in the records at most bytes read" "$recbytes" -le $((N * SIZE))
	check "bytes in the records short by at most the segments in flight" \
		"$recbytes" -ge $((N * SIZE - inflight * 65536))
fi
bad=$("$BIN/jsonq" -w type=packet "$WORK/rx" driver_ns stack_ns socket_ns total_ns hol_ns queued_ns \
	wakeup_ns return_ns | awk -F'\t' '
	$1 == "null" || $1 + $2 + $3 != $4 || $5 + $6 + $7 + $8 != $3 || $1 < 0 || $5 < 0 { n++ }
	END { print n + 0 }')
check "stages add up per segment" "$bad" -eq 0
done_test
