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
# wait_ready FILE...: back once every FILE exists (at most 5 s)
wait_ready() {
	i=0
	for f in "$@"; do
		while [ ! -e "$f" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	done
}
# start_tcp_sink ARGS...: tcp_sink in the background, back once it listens.
start_tcp_sink() {
	rm -f "$W/ready"
	"$BIN/tcp_sink" -R "$W/ready" "$@" > "$W/sink" 2> "$W/sink.err" &
	SINK=$!
	wait_ready "$W/ready"
}

for args in "-n x" "-n -1" "-n 99999999999999999999" "-t 0" "-m bogus" "-T -m read" "-b 4" \
	"-U -m read" "-i lo" "-g 10.1.2.3" "-g ff02::1"; do
	# shellcheck disable=SC2086
	"$BIN/udp_sink" $args 127.0.0.1 "$PORT" > /dev/null 2>&1
	expect "udp_sink $args is a usage error" 2 $?
done
"$BIN/udp_sink" 127.1 "$PORT" > /dev/null 2>&1; expect "shorthand address rejected" 2 $?
"$BIN/udp_blast" -s 7 127.0.0.1 "$PORT" > /dev/null 2>&1; expect "blast -s 7 rejected" 2 $?
"$BIN/udp_pingpong" bogus > /dev/null 2>&1; expect "pingpong without role" 2 $?
for args in "-T 1" "-L" "-G 100" "-s 1000 -G 1000" "-s 1005 -G 1000" "-T 256 239.1.2.3"; do
	set -- $args
	case $args in *239.*) ;; *) set -- "$@" 127.0.0.1 ;; esac
	"$BIN/udp_blast" "$@" "$PORT" > /dev/null 2>&1
	expect "udp_blast $args is a usage error" 2 $?
done
# with -g, ADDR must be the group or the wildcard; -i an existing interface
"$BIN/udp_sink" -g 239.1.2.3 127.0.0.1 "$PORT" > /dev/null 2>&1; expect "udp_sink -g with a unicast ADDR" 2 $?
"$BIN/udp_sink" -g 239.1.2.3 -i no-such-if0 0.0.0.0 "$PORT" > /dev/null 2>&1; expect "udp_sink -i unknown" 2 $?
for args in "-b 0" "-m bogus" "-M 64" "-e -M 64 -n 100" "-n x"; do
	# shellcheck disable=SC2086
	"$BIN/tcp_sink" $args 127.0.0.1 "$PORT" > /dev/null 2>&1
	expect "tcp_sink $args is a usage error" 2 $?
done
for args in "-s 0" "-B 4" "-p -r 10 -B 4" "-w 5" "-j" "-n 0"; do
	# shellcheck disable=SC2086
	"$BIN/tcp_send" $args 127.0.0.1 "$PORT" > /dev/null 2>&1
	expect "tcp_send $args is a usage error" 2 $?
done

N=500
for addr in 127.0.0.1 ::1; do
	for mode in recvmsg recvfrom recvmmsg read epoll poll nonblock; do
		for peek in "" -k; do
			# a big buffer: a busy machine must not drop counted datagrams
			start_sink -q -m $mode $peek -r 4000000 -n $N -t 10 $addr "$PORT"
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

# UDP GSO (udp_blast -G) to a UDP_GRO sink (-U): on loopback every send
# arrives as one merged read, counted as the datagrams it carries.
for mode in recvmsg recvmmsg; do
	start_sink -q -U -m $mode -r 4000000 -n 1000 -t 10 127.0.0.1 "$PORT"
	"$BIN/udp_blast" -n 1000 -s 8000 -G 1000 -r 50000 127.0.0.1 "$PORT" > /dev/null
	sink_wait
	expect "GSO -> -U $mode: exit" 0 "$RC"
	expect "GSO -> -U $mode: received" 1000 "$(received)"
	expect "GSO -> -U $mode: merged reads" "125 125 8" "$(awk '/^gro /{print $3, $5, $7}' "$W/sink")"
done
# without -U the stack hands over the datagrams one by one, numbered in order
start_sink -r 4000000 -n 1000 -t 10 ::1 "$PORT"
"$BIN/udp_blast" -n 1000 -s 7000 -G 1000 -r 50000 ::1 "$PORT" > /dev/null
sink_wait
expect "GSO -> plain sink" ok "$(awk '/^seq /{ if ($2 != n || $4 != 1000) b++; n++ } END { print (n == 1000 && !b) ? "ok" : "bad" }' "$W/sink")"

# Multicast on lo: two sinks share group and port, each gets every datagram.
rm -f "$W/r1" "$W/r2"
"$BIN/udp_sink" -q -g 239.7.7.7 -i lo -n 300 -t 10 -R "$W/r1" 0.0.0.0 "$PORT" > "$W/m1" 2>&1 &
M1=$!
"$BIN/udp_sink" -q -g 239.7.7.7 -i lo -n 300 -t 10 -R "$W/r2" 239.7.7.7 "$PORT" > "$W/m2" 2>&1 &
M2=$!
wait_ready "$W/r1" "$W/r2"
"$BIN/udp_blast" -n 300 -r 20000 -i lo -T 0 -L 239.7.7.7 "$PORT" > /dev/null
wait $M1; expect "multicast sink 1: exit" 0 $?
wait $M2; expect "multicast sink 2: exit" 0 $?
expect "multicast: each sink got all" "300 300" \
	"$(awk '/^received /{print $2}' "$W/m1") $(awk '/^received /{print $2}' "$W/m2")"

# TCP: 1 MB in 100-byte reads is counted exactly, by every read syscall.
for addr in 127.0.0.1 ::1; do
	for mode in recv read recvmsg; do
		start_tcp_sink -q -b 100 -m $mode -t 10 $addr "$PORT"
		"$BIN/tcp_send" -n 1000 -s 1000 -t 10 $addr "$PORT" > "$W/cli"
		expect "tcp $addr $mode: sender" "0 1000000" "$? $(awk '/^sent /{print $2}' "$W/cli")"
		sink_wait
		expect "tcp $addr $mode: exit" 0 "$RC"
		expect "tcp $addr $mode: partial reads" "1000000 ok" \
			"$(awk '/^received /{print $2, ($5 >= 10000 ? "ok" : $5)}' "$W/sink")"
	done
done
# -n BYTES stops exactly there; the sender sees the reset of unread data
start_tcp_sink -q -n 5000 -t 10 127.0.0.1 "$PORT"
"$BIN/tcp_send" -t 10 127.0.0.1 "$PORT" > /dev/null 2>&1
expect "tcp -n: sender fails" 1 $?
sink_wait
expect "tcp -n: stops at BYTES" "0 5000" "$RC $(awk '/^received /{print $2}' "$W/sink")"
# ping-pong against the echoing sink
for addr in 127.0.0.1 ::1; do
	start_tcp_sink -q -e -M 100 -t 10 $addr "$PORT"
	"$BIN/tcp_send" -p -n 200 -s 100 -t 10 $addr "$PORT" > "$W/cli"
	expect "tcp pingpong $addr: client exit" 0 $?
	sink_wait
	expect "tcp pingpong $addr: sink" "0 200" "$RC $(awk '/^echoed /{print $2}' "$W/sink")"
	expect "tcp pingpong $addr: measured" 200 "$(awk '/^rtt_us /{print $3}' "$W/cli")"
	echo "   $(cat "$W/cli")"
done
# nobody connects: exit 3, promptly
start=$(date +%s)
"$BIN/tcp_sink" -t 1 127.0.0.1 "$PORT" > "$W/sink" 2> /dev/null
expect "tcp accept timeout" "3 0" "$? $(awk '/^received /{print $2}' "$W/sink")"
if [ $(($(date +%s) - start)) -le 3 ]; then ok "tcp timeout is prompt"; else bad "tcp timeout took too long"; fi

[ $FAILS -eq 0 ] && { echo "all passed"; exit 0; }
echo "$FAILS failed"
exit 1
