#!/bin/sh
# Packets to a port with no socket are counted as not local (no socket),
# agreeing with the namespace's UDP NoPorts counter; nothing is delivered.
. "$(dirname "$0")/../lib.sh"
need_root
ns_pair 22 || done_test

PORT=47221 N=150
noports() { in_ns "$NS_B" cat /proc/net/snmp | awk '/^Udp: [0-9]/ { print $3 }'; }
before=$(noports)
rxlat_start "$WORK/rx" -j -P $PORT || done_test
in_ns "$NS_A" "$BIN/udp_blast" -n $N -s 64 -r 5000 "$ADDR_B" $PORT > /dev/null
sleep 0.3
rxlat_stop
after=$(noports)

check "kernel NoPorts" "$((after - before))" -eq $N
check "seen" "$(jq_final "$WORK/rx" packets.seen)" -eq $N
check "not local" "$(jq_final "$WORK/rx" packets.not_local)" -eq $N
check "for no socket" "$(jq_final "$WORK/rx" packets.no_socket)" -eq $N
check "delivered" "$(jq_final "$WORK/rx" packets.delivered)" -eq 0
check "dropped" "$(jq_final "$WORK/rx" packets.dropped)" -eq 0
check "books balance" "$(jq_final "$WORK/rx" packets.balance)" -eq 0
done_test
