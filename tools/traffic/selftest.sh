#!/bin/sh
# Loopback self-test of the traffic tools (no root, no namespaces; POSIX sh,
# so it also runs in the busybox guests):
#   sh tools/traffic/selftest.sh [BINDIR]     (default: .output/bin)
# Every wait is bounded; exits 0 if all checks pass, 1 otherwise.
BIN=${1:-$(cd "$(dirname "$0")/../.." && pwd)/.output/bin}
W=$(mktemp -d "${TMPDIR:-/tmp}/traffic-selftest.XXXXXX")
PORT=${PORT:-48100}
FAILS=0
trap 'rm -rf "$W"' EXIT

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
# expect NAME WANT GOT
expect() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: want '$2', got '$3'"; fi; }

# start_sink ARGS...: udp_sink in the background, back once it is ready.
start_sink() {
	rm -f "$W/ready"
	"$BIN/udp_sink" -R "$W/ready" "$@" > "$W/sink" 2> "$W/sink.err" &
	SINK=$!
	i=0
	while [ ! -e "$W/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
}
sink_wait() { wait "$SINK"; RC=$?; }	# not in $(...): a subshell cannot wait
received() { awk '/^received /{print $2}' "$W/sink"; }

for args in "-n x" "-n -1" "-n 99999999999999999999" "-t 0" "-m bogus" "-T -m read" "-b 4"; do
	# shellcheck disable=SC2086
	"$BIN/udp_sink" $args 127.0.0.1 "$PORT" > /dev/null 2>&1
	expect "udp_sink $args is a usage error" 2 $?
done
"$BIN/udp_sink" 127.1 "$PORT" > /dev/null 2>&1; expect "shorthand address rejected" 2 $?
"$BIN/udp_blast" -s 7 127.0.0.1 "$PORT" > /dev/null 2>&1; expect "blast -s 7 rejected" 2 $?
"$BIN/udp_pingpong" bogus > /dev/null 2>&1; expect "pingpong without role" 2 $?

N=500
for addr in 127.0.0.1 ::1; do
	for mode in recvmsg recvfrom recvmmsg read epoll poll nonblock; do
		for peek in "" -k; do
			start_sink -q -m $mode $peek -n $N -t 10 $addr "$PORT"
			"$BIN/udp_blast" -n $N -s 100 -r 50000 -B 8 $addr "$PORT" > /dev/null
			sink_wait
			expect "$addr $mode $peek: exit" 0 "$RC"
			expect "$addr $mode $peek: received" "$N" "$(received)"
		done
	done
done

# Datagrams carry their sequence numbers, in order.
start_sink -n 100 -t 10 127.0.0.1 "$PORT"
"$BIN/udp_blast" -n 100 -s 8 -r 10000 127.0.0.1 "$PORT" > /dev/null
sink_wait
expect "sequence numbers" ok "$(awk '/^seq /{ if ($2 != n || $4 != 8) b++; n++ } END { print (n == 100 && !b) ? "ok" : "bad" }' "$W/sink")"

# A tiny buffer and a late reader must lose datagrams.
start_sink -q -S 200000 -r 4096 -t 2 127.0.0.1 "$PORT"
"$BIN/udp_blast" -n 2000 127.0.0.1 "$PORT" > /dev/null
sink_wait
got=$(received)
if [ -n "$got" ] && [ "$got" -gt 0 ] && [ "$got" -lt 2000 ]; then ok "drops ($got of 2000)"; else bad "drops: received '$got'"; fi

# SO_TIMESTAMPNS latencies: one per datagram, all below 100 ms.
for mode in recvmsg recvmmsg; do
	start_sink -T -m $mode -n 200 -t 10 127.0.0.1 "$PORT"
	"$BIN/udp_blast" -n 200 -r 5000 127.0.0.1 "$PORT" > /dev/null
	sink_wait
	expect "-T $mode: plausible stamps" 200 \
		"$(awk '/^ts_lat_ns /{ if ($2 >= 0 && $2 < 100000000) n++ } END { print n + 0 }' "$W/sink")"
done

# A timeout before COUNT exits 3, promptly, with the summary.
start=$(date +%s)
"$BIN/udp_sink" -n 5 -t 1 127.0.0.1 "$PORT" > "$W/sink" 2> /dev/null
expect "timeout exit" 3 $?
expect "timeout summary" 0 "$(received)"
if [ $(($(date +%s) - start)) -le 3 ]; then ok "timeout is prompt"; else bad "timeout took too long"; fi

# Ping-pong over both families.
for addr in 127.0.0.1 ::1; do
	rm -f "$W/ready"
	"$BIN/udp_pingpong" server -n 210 -t 20 -R "$W/ready" $addr "$PORT" > "$W/srv" 2>&1 &
	SRV=$!
	i=0
	while [ ! -e "$W/ready" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	"$BIN/udp_pingpong" client -n 200 -w 10 $addr "$PORT" > "$W/cli"
	expect "pingpong $addr: client exit" 0 $?
	wait $SRV
	expect "pingpong $addr: server exit" 0 $?
	expect "pingpong $addr: answered" "200 0" "$(awk '{print $3, $5}' "$W/cli")"
	echo "   $(cat "$W/cli")"
done

[ $FAILS -eq 0 ] && { echo "all passed"; exit 0; }
echo "$FAILS failed"
exit 1
