#!/bin/sh
# -p, -c and -P keep exactly the target's packets while two receivers run
# side by side (three rxlat instances at once, each with one filter).
. "$(dirname "$0")/../lib.sh"
need_root

P1=47121 P2=47122 N1=250 N2=150
cp "$BIN/udp_sink" "$WORK/rxt_other"	# a second command name for -c
bg "$WORK/s1" "$BIN/udp_sink" -q -r 4194304 -n $N1 -t 20 -R "$WORK/r1" 127.0.0.1 $P1
S1=$BG_PID
bg "$WORK/s2" "$WORK/rxt_other" -q -r 4194304 -n $N2 -t 20 -R "$WORK/r2" 127.0.0.1 $P2
S2=$BG_PID
wait_for "$WORK/r1" 10 && wait_for "$WORK/r2" 10 || { fail "sinks not ready"; done_test; }

rxlat_start "$WORK/bypid" -j -p $S1 || done_test
BYPID=$RXLAT_PID
rxlat_start "$WORK/bycomm" -j -c rxt_other || done_test
BYCOMM=$RXLAT_PID
rxlat_start "$WORK/byport" -j -P $P2 || done_test
BYPORT=$RXLAT_PID
"$BIN/udp_blast" -n $N1 -s 80 -r 10000 127.0.0.1 $P1 > /dev/null &
B1=$!
"$BIN/udp_blast" -n $N2 -s 80 -r 10000 127.0.0.1 $P2 > /dev/null
wait $B1
wait_pid $S1 20
wait_pid $S2 20
for p in $BYPID $BYCOMM $BYPORT; do RXLAT_PID=$p rxlat_stop; done

check "receiver 1" "$(sink_count "$WORK/s1")" -eq $N1
check "receiver 2" "$(sink_count "$WORK/s2")" -eq $N2
check "-p: measured" "$(jq_final "$WORK/bypid" packets.measured)" -eq $N1
check "-p: total count" "$(jq_final "$WORK/bypid" stages.total.count)" -eq $N1
check "-p: the other receiver's packets are filtered" \
	"$(jq_final "$WORK/bypid" packets.filtered)" -ge $N2
check "-c: measured" "$(jq_final "$WORK/bycomm" packets.measured)" -eq $N2
check "-c: total count" "$(jq_final "$WORK/bycomm" stages.total.count)" -eq $N2
check "-P: seen" "$(jq_final "$WORK/byport" packets.seen)" -eq $N2
check "-P: delivered" "$(jq_final "$WORK/byport" packets.delivered)" -eq $N2
check "-P: measured" "$(jq_final "$WORK/byport" packets.measured)" -eq $N2
check "-P: nothing filtered" "$(jq_final "$WORK/byport" packets.filtered)" -eq 0
done_test
