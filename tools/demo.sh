#!/bin/sh
# rxlat's main job on a self-made default: a UDP ping-pong between two
# network namespaces this script creates (and removes again), traced by
# rxlat for DURATION seconds (default 10), with histograms.
#   sudo tools/demo.sh [DURATION] [extra rxlat options...]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=$ROOT/.output/bin
DURATION=${1:-10}
[ $# -gt 0 ] && shift
[ "$(id -u)" = 0 ] || { echo "demo: run as root (sudo)" >&2; exit 1; }

A=rxlat-demo-client-$$ B=rxlat-demo-server-$$ PORT=5001
SERVER="" CLIENT=""
cleanup() {
	for p in $CLIENT $SERVER; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$BIN/nsctl" del -f "$A" 2>/dev/null || true
	"$BIN/nsctl" del -f "$B" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

"$BIN/nsctl" add "$A"
"$BIN/nsctl" add "$B"
"$BIN/nsctl" veth "$A" veth0 "$B" veth0
"$BIN/nsctl" addr "$A" veth0 10.200.0.1/24
"$BIN/nsctl" addr "$B" veth0 10.200.0.2/24

"$BIN/nsctl" exec "$B" "$BIN/udp_pingpong" server -t $((DURATION + 30)) 10.200.0.2 $PORT &
SERVER=$!
sleep 0.3
echo "demo: UDP ping-pong $A -> $B (10.200.0.2:$PORT) for ${DURATION}s, traced by rxlat" >&2
"$BIN/nsctl" exec "$A" "$BIN/udp_pingpong" client -n 1000000 -i 200 -t $((DURATION + 20)) \
	10.200.0.2 $PORT > /dev/null &
CLIENT=$!
# Both directions are traced: the server's reads (port 5001) and the
# client's reads of the echoes; -P keeps the server side only.
"$ROOT/rxlat" -H -P $PORT -d "$DURATION" "$@"
