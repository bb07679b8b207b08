#!/bin/sh
# Soak benchmark (not a test): rxlat for SOAK_SECONDS (default 600) under a
# steady UDP load between two namespaces, with receive-buffer drops and the
# receiver restarted every RESTART seconds. Every 10 s it records rxlat's
# resident memory, the packets its tables hold and the books, and writes
# bench/SOAK.md (+ bench/raw/soak.tsv). Memory and occupancy must stay flat
# and the books must balance.
#   sudo tools/soak.sh            SOAK_SECONDS=60 for a short run
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/.output/bin
RXLAT=${RXLAT:-$ROOT/rxlat}
SECONDS_TOTAL=${SOAK_SECONDS:-600}
RESTART=${RESTART:-60}
RATE=${RATE:-20000}
OUT=$ROOT/bench/SOAK.md
RAW=$ROOT/bench/raw
mkdir -p "$RAW"
[ "$(id -u)" = 0 ] || { echo "soak: run as root" >&2; exit 1; }
[ -x "$RXLAT" ] && [ -x "$BIN/udp_blast" ] || { echo "soak: run make rxlat tools first" >&2; exit 1; }

A=rxs-$$-a B=rxs-$$-b PORT=47901
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$BIN/nsctl" del -f "$A" 2>/dev/null || true
	"$BIN/nsctl" del -f "$B" 2>/dev/null || true
}
trap cleanup EXIT INT TERM
"$BIN/nsctl" add "$A"
"$BIN/nsctl" add "$B"
"$BIN/nsctl" veth "$A" veth0 "$B" veth0
"$BIN/nsctl" addr "$A" veth0 10.97.0.1/24
"$BIN/nsctl" addr "$B" veth0 10.97.0.2/24

"$RXLAT" -j -P $PORT 10 > "$RAW/soak.json" 2> "$RAW/soak.err" &
RX=$!
PIDS="$PIDS $RX"
sleep 2
# Steady load for the whole run, in bounded pieces.
( end=$(($(date +%s) + SECONDS_TOTAL)); while [ "$(date +%s)" -lt "$end" ]; do
	"$BIN/nsctl" exec "$A" "$BIN/udp_blast" -n $((RATE * 10)) -s 200 -r $RATE -t 15 \
		10.97.0.2 $PORT > /dev/null 2>&1 || true
  done ) &
PIDS="$PIDS $!"
# A receiver that reads slowly into a small buffer (drops), restarted often.
( end=$(($(date +%s) + SECONDS_TOTAL)); while [ "$(date +%s)" -lt "$end" ]; do
	"$BIN/nsctl" exec "$B" "$BIN/udp_sink" -q -r 65536 -s 80 -t "$RESTART" 10.97.0.2 $PORT \
		> /dev/null 2>&1 || true
  done ) &
PIDS="$PIDS $!"

printf 't_s\trss_kib\tin_flight\tseen\tdelivered\tdropped\tevicted\tbalance\n' > "$RAW/soak.tsv"
t=0
while [ $t -lt "$SECONDS_TOTAL" ]; do
	sleep 10
	t=$((t + 10))
	rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$RX/status 2>/dev/null || echo 0)
	last=$(grep '"final":false' "$RAW/soak.json" | tail -n 1)
	[ -n "$last" ] || continue
	echo "$last" > "$RAW/soak.last"
	vals=$("$BIN/jsonq" "$RAW/soak.last" packets.in_flight packets.seen packets.delivered \
		packets.dropped packets.evicted packets.balance)
	printf '%s\t%s\t%s\n' "$t" "$rss" "$vals" >> "$RAW/soak.tsv"
done
kill -INT $RX
wait $RX || true
final=$(grep '"final":true' "$RAW/soak.json" | tail -n 1)
echo "$final" > "$RAW/soak.final"

{
	echo "# Soak: rxlat for $SECONDS_TOTAL s under load"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs, $("$RXLAT" --version)."
	echo "Load: udp_blast at $RATE packets/s (200-byte payload) over a veth pair; the receiver"
	echo "reads with a 64 KiB buffer and 80 µs of work per read (so some packets drop) and is"
	echo "restarted every $RESTART s. Each row is an interval summary of \`rxlat -j 10\`; memory"
	echo "is rxlat's VmRSS. \`in_flight\` is how many packets rxlat's tables hold; \`balance\` is"
	echo "seen + copies - (delivered + dropped + not_local + evicted + in_flight), read while"
	echo "packets move (the final summary is read with the programs stopped)."
	echo
	echo '| t (s) | RSS (KiB) | in flight | seen | delivered | dropped | evicted | balance |'
	echo '|---:|---:|---:|---:|---:|---:|---:|---:|'
	tail -n +2 "$RAW/soak.tsv" | awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
	echo
	echo "Final summary: seen $("$BIN/jsonq" "$RAW/soak.final" packets.seen), delivered"\
		"$("$BIN/jsonq" "$RAW/soak.final" packets.delivered), dropped"\
		"$("$BIN/jsonq" "$RAW/soak.final" packets.dropped), in flight"\
		"$("$BIN/jsonq" "$RAW/soak.final" packets.in_flight), balance"\
		"**$("$BIN/jsonq" "$RAW/soak.final" packets.balance)**, lost events"\
		"$("$BIN/jsonq" "$RAW/soak.final" packets.lost_events)."
	awk -F'\t' 'NR > 2 { if (min == "" || $2 < min) min = $2; if ($2 > max) max = $2;
		if (fmin == "" || $3 < fmin) fmin = $3; if ($3 > fmax) fmax = $3 }
		END { printf "\nRSS stayed within %d-%d KiB; tables held %d-%d packets.\n", min, max, fmin, fmax }' \
		"$RAW/soak.tsv"
} > "$OUT"
echo "soak: wrote $OUT" >&2
