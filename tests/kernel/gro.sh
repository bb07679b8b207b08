#!/bin/sh
# GRO on a veth receiver (its NAPI path turned on with `ethtool -K gro`),
# the sender cutting segments itself (TSO and GSO off): the stack sees
# merged packets. Each merged packet is counted once, carries how many
# segments GRO merged, still accounts for every byte the application
# read, and --by gro keeps the merged apart.
. "$(dirname "$0")/../lib.sh"
need_root
command -v ethtool > /dev/null || skip "ethtool not installed"
# before 5.13 veth runs NAPI only with an XDP program attached, so there
# is no veth GRO (or busy polling) to see
kernel_before 5 13 && skip "veth has no NAPI without XDP before Linux 5.13 ($(uname -r))"
ns_pair 33 || done_test
in_ns "$NS_B" ethtool -K veth0 gro on > /dev/null 2>&1 || skip "veth GRO cannot be turned on"
in_ns "$NS_A" ethtool -K veth0 tso off gso off > /dev/null 2>&1 || skip "cannot turn off TSO/GSO"

PORT=47351 N=2000 SIZE=8000
bg "$WORK/sink" in_ns "$NS_B" "$BIN/tcp_sink" -q -t 30 -R "$WORK/ready" "$ADDR_B" $PORT
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
rxlat_start "$WORK/rx" -j -e --by gro --proto tcp -P $PORT || done_test
in_ns "$NS_A" "$BIN/tcp_send" -n $N -s $SIZE -t 30 "$ADDR_B" $PORT > "$WORK/send"
wait_pid $SINK 30
sleep 0.2
rxlat_stop

check "receiver read everything" "$(awk '/^received /{ print $2 }' "$WORK/sink")" -eq $((N * SIZE))
check "bytes in the records = bytes read" \
	"$("$BIN/jsonq" -w type=packet "$WORK/rx" pkt_len | awk '{ s += $1 } END { print s + 0 }')" \
	-eq $((N * SIZE))
check "books balance" "$(jq_final "$WORK/rx" packets.balance)" -eq 0
gro=$(jq_final "$WORK/rx" packets.gro_packets)
check "GRO merged packets" "$gro" -gt 0
# Every merged packet the reader got has a record with its segment count;
# merged packets the books show dropped (TCP duplicates, a slow TCG guest),
# vanished or still queued have none.
rec=$("$BIN/jsonq" -w type=packet "$WORK/rx" segs | awk '$1 > 1 { n++ } END { print n + 0 }')
recsegs=$("$BIN/jsonq" -w type=packet "$WORK/rx" segs | awk '$1 > 1 { n += $1 } END { print n + 0 }')
gone=$(($(jq_final "$WORK/rx" packets.dropped) + $(jq_final "$WORK/rx" packets.vanished) +
	$(jq_final "$WORK/rx" packets.in_flight)))
if [ "$gone" -eq 0 ]; then
	check "merged records = gro_packets" "$rec" -eq "$gro"
	check "segments in merged records = gro_segments" "$recsegs" -eq \
		"$(jq_final "$WORK/rx" packets.gro_segments)"
else
	log "$gone packets dropped, vanished or in flight: merged records bounded, not equal"
	check "merged records <= gro_packets" "$rec" -le "$gro"
	check "merged records >= gro_packets - not delivered" "$rec" -ge $((gro - gone))
	check "segments in merged records <= gro_segments" "$recsegs" -le \
		"$(jq_final "$WORK/rx" packets.gro_segments)"
fi
# each segment carries at most one MSS (1448 on a 1500-byte MTU)
check "merged records hold more than one MSS" "$("$BIN/jsonq" -w type=packet "$WORK/rx" segs pkt_len |
	awk -F'\t' '$1 > 1 && $2 <= 1448 { n++ } END { print n + 0 }')" -eq 0
check "--by gro has a merged group" \
	"$("$BIN/jsonq" -w type=summary -w final=true "$WORK/rx" groups | grep -c 'gro-merged')" -ge 1
check "stages are non-negative" "$("$BIN/jsonq" -w type=packet "$WORK/rx" driver_ns stack_ns socket_ns |
	awk -F'\t' '$1 < 0 || $2 < 0 || $3 < 0 { n++ } END { print n + 0 }')" -eq 0
done_test
