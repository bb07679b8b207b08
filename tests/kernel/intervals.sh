#!/bin/sh
# INTERVAL COUNT: exactly COUNT interval summaries, then the final one, then
# exit 0 on its own; interval histograms add up to the session's.
. "$(dirname "$0")/../lib.sh"
need_root

PORT=47161 N=400
bg "$WORK/sink" "$BIN/udp_sink" -q -r 4194304 -n $N -t 20 -R "$WORK/ready" 127.0.0.1 $PORT
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
rxlat_start "$WORK/rx" -j -P $PORT 1 3 || done_test
"$BIN/udp_blast" -n $N -s 64 -r 2000 127.0.0.1 $PORT > /dev/null
wait_pid $SINK 20
wait_pid $RXLAT_PID 10
check "rxlat ended by itself with status 0" "$WAIT_STATUS" = 0
check "interval summaries" "$(jq_count -w type=summary -w final=false "$WORK/rx")" -eq 3
check "final summaries" "$(jq_count -w type=summary -w final=true "$WORK/rx")" -eq 1
sum=$("$BIN/jsonq" -w type=summary -w final=false "$WORK/rx" stages.total.count |
	awk '{ s += $1 } END { print s + 0 }')
check "interval counts add up to the final count" "$sum" -eq \
	"$(jq_final "$WORK/rx" stages.total.count)"
check "final count" "$(jq_final "$WORK/rx" stages.total.count)" -eq $N
done_test
