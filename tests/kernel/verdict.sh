#!/bin/sh
# --verdict: every number a finding cites is the stage percentile of the
# same summary it claims to be.
. "$(dirname "$0")/../lib.sh"
need_root

PORT=47321 N=400
bg "$WORK/sink" "$BIN/udp_sink" -q -r 4194304 -n $N -t 30 -R "$WORK/ready" 127.0.0.1 $PORT
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
rxlat_start "$WORK/rx" -j --verdict -P $PORT || done_test
"$BIN/udp_blast" -n $N -s 64 -r 1000 127.0.0.1 $PORT > /dev/null
wait_pid $SINK 30
rxlat_stop
"$RXLAT" --hooks "$RXLAT_HOOKS" --verdict -P $PORT -d 1 > "$WORK/text" 2>/dev/null
check "text output has a verdict section" "$(grep -c '^verdict:' "$WORK/text")" -eq 1

check "findings" "$(jq_final "$WORK/rx" verdict.findings.0.id)" != missing
n=0 checked=0
while [ $n -lt 8 ]; do
	cites=$(jq_final "$WORK/rx" verdict.findings.$n.cites)
	[ "$cites" = missing ] && break
	# {"bypass.p50":123,...} -> lines "bypass p50 123"
	for kv in $(echo "$cites" | tr -d '{}"' | tr ',' ' '); do
		key=${kv%%:*} val=${kv#*:}
		case $key in
		*.p50|*.p90|*.p99|*.p999)
			stage=${key%.*} pct=${key#*.}
			check "finding $n cites $key" "$val" -eq \
				"$(jq_final "$WORK/rx" stages.$stage.${pct}_ns)"
			checked=$((checked + 1)) ;;
		esac
	done
	n=$((n + 1))
done
check "cited percentiles checked" "$checked" -ge 2
done_test
