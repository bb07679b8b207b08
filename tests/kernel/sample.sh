#!/bin/sh
# --sample N: per-packet records for 1 in N packets, the statistics for
# all of them; the aggregate mode (no -e) gives the same counts and the
# same percentiles, within the histogram's bound, on the same traffic as
# the event mode (two instances side by side).
. "$(dirname "$0")/../lib.sh"
need_root

PORT=47391 N=2000 S=10
bg "$WORK/sink" "$BIN/udp_sink" -q -r 4194304 -n $N -t 30 -R "$WORK/ready" 127.0.0.1 $PORT
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
rxlat_start "$WORK/agg" -j -P $PORT || done_test
AGG=$RXLAT_PID
rxlat_start "$WORK/ev" -j -e --sample $S -P $PORT || done_test
EV=$RXLAT_PID
"$BIN/udp_blast" -n $N -s 100 -r 4000 127.0.0.1 $PORT > /dev/null
wait_pid $SINK 30
sleep 0.2
RXLAT_PID=$EV rxlat_stop
RXLAT_PID=$AGG rxlat_stop

check "receiver" "$(sink_count "$WORK/sink")" -eq $N
for f in agg ev; do
	check "$f: measured" "$(jq_final "$WORK/$f" packets.measured)" -eq $N
	check "$f: total count" "$(jq_final "$WORK/$f" stages.total.count)" -eq $N
done
rec=$(jq_count -w type=packet "$WORK/ev")
# every S-th packet each CPU delivers: each CPU's remainder goes unsampled
ncpu=$(grep -c '^processor' /proc/cpuinfo)
check "records for 1 in $S (at most N/S)" "$rec" -le $((N / S))
check "records for 1 in $S (at least N/S - CPUs)" "$rec" -ge $((N / S - ncpu))
check "sampled_out + records = measured" "$(($(jq_final "$WORK/ev" packets.sampled_out) + rec))" -eq $N
check "no records without -e" "$(jq_count -w type=packet "$WORK/agg")" -eq 0
# Both instances time the same packets through the same hooks: their
# percentiles differ only by the other instance's own programs. Judge the
# stages the reader does not dominate within 25 %: a wrong histogram or a
# lost half of the packets would be far off.
for st in driver stack; do
	for p in p50 p90; do
		a=$(jq_final "$WORK/agg" stages.$st.${p}_ns) e=$(jq_final "$WORK/ev" stages.$st.${p}_ns)
		# 25 % plus 0.5 µs: these stages are 0.5-2 µs, and each
		# instance's programs run inside the other's stages
		timing_check "$st $p: aggregate $a ns vs events $e ns within 25 % + 0.5 µs" \
			"$(awk -v a="$a" -v e="$e" 'BEGIN { d = a - e; if (d < 0) d = -d; print (d * 4 <= (a > e ? a : e) + 2000) ? 1 : 0 }')" -eq 1
	done
done
done_test
