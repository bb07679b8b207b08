#!/bin/sh
# Accuracy: the classic SO_TIMESTAMPNS receiver (kernel stamp vs. clock after
# recvmsg) measures nearly the same span as rxlat's total (first sighting to
# the read's return). The reference starts a few instructions after rxlat's
# first sighting and ends after the syscall's way back to user space and a
# clock read, which rxlat's span does not include: per packet, the reference
# is longer by that way back, never shorter by more than noise. The bound
# is the issue's: medians within 1 µs (measured 0.7-0.9 µs on an idle
# 2-vCPU machine; other work on the machine stretches the way back). A
# mismatched pairing would be off by the 500 µs between packets. The
# differences are logged for the README.
. "$(dirname "$0")/../lib.sh"
need_root
ns_pair 15 || done_test

PORT=47151 N=1000
bg "$WORK/sink" in_ns "$NS_B" "$BIN/udp_sink" -T -n $N -t 30 -R "$WORK/ready" "$ADDR_B" $PORT
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
rxlat_start "$WORK/rx" -j -e -P $PORT || done_test
in_ns "$NS_A" "$BIN/udp_blast" -n $N -s 64 -r 2000 "$ADDR_B" $PORT > /dev/null
wait_pid $SINK 30
rxlat_stop

check "receiver" "$(sink_count "$WORK/sink")" -eq $N
check "records" "$(jq_count -w type=packet "$WORK/rx")" -eq $N
awk '/^ts_lat_ns /{print $2}' "$WORK/sink" > "$WORK/ref"
"$BIN/jsonq" -w type=packet "$WORK/rx" total_ns > "$WORK/ours"
check "reference samples" "$(wc -l < "$WORK/ref")" -eq $N
# Pair the i-th read with the i-th record (one socket, one reader: same order).
paste "$WORK/ref" "$WORK/ours" | awk '{ print $1 - $2 }' | sort -n > "$WORK/diff"
sort -n "$WORK/ref" > "$WORK/ref.s"
sort -n "$WORK/ours" > "$WORK/ours.s"
med() { awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }' "$1"; }
mref=$(med "$WORK/ref.s") mours=$(med "$WORK/ours.s") mdiff=$(med "$WORK/diff")
p10=$(awk '{ v[NR] = $1 } END { print v[int(NR * 0.1) + 1] }' "$WORK/diff")
p90=$(awk '{ v[NR] = $1 } END { print v[int(NR * 0.9)] }' "$WORK/diff")
log "median SO_TIMESTAMPNS latency ${mref} ns, rxlat total ${mours} ns;" \
	"per-packet (reference - rxlat) p10 ${p10} p50 ${mdiff} p90 ${p90} ns"
echo "ACCURACY ref_p50_ns=$mref rxlat_p50_ns=$mours diff_p10_ns=$p10 diff_p50_ns=$mdiff diff_p90_ns=$p90"
# The agreement is judged per packet (the same packets, paired); the two
# medians are logged too, but a bimodal distribution (same-CPU vs cross-CPU
# wakeups) can put them on different modes.
timing_check "per-packet median difference at most 1 µs" "$mdiff" -le 1000
timing_check "reference not shorter (p10 of the difference > -0.5 µs)" "$p10" -gt -500
done_test
