#!/bin/sh
# The socket stage splits into queued + wakeup + return, per packet, and the
# split tells the readers apart: a reader that sleeps between reads makes
# packets queue; a reader blocked in recvmsg or epoll_wait is woken for them.
. "$(dirname "$0")/../lib.sh"
need_root
[ "$RXLAT_HOOKS" = auto ] || [ "$RXLAT_HOOKS" = tracepoint ] || [ "$RXLAT_HOOKS" = fentry ] ||
	[ "$RXLAT_HOOKS" = kprobe ] || skip "unknown hook family"

PORT=47301
run() {	# NAME N RATE SINK-ARGS...
	_name=$1 _n=$2 _rate=$3
	shift 3
	rm -f "$WORK/ready"
	bg "$WORK/sink.$_name" "$BIN/udp_sink" -q -r 4194304 "$@" -n "$_n" -t 30 -R "$WORK/ready" \
		127.0.0.1 $PORT
	SINK=$BG_PID
	wait_for "$WORK/ready" 10 || { fail "$_name: sink not ready"; return 1; }
	rxlat_start "$WORK/rx.$_name" -j -e -P $PORT || return 1
	"$BIN/udp_blast" -n "$_n" -s 64 -r "$_rate" 127.0.0.1 $PORT > /dev/null
	wait_pid $SINK 30
	rxlat_stop
	check "$_name: receiver" "$(sink_count "$WORK/sink.$_name")" -eq "$_n"
	"$BIN/jsonq" -w type=packet "$WORK/rx.$_name" socket_ns queued_ns wakeup_ns return_ns woken \
		> "$WORK/split.$_name"
	check "$_name: records" "$(wc -l < "$WORK/split.$_name")" -eq "$_n"
	check "$_name: queued + wakeup + return = socket, per packet" "$(awk -F'\t' '
		$2 == "null" || $1 != $2 + $3 + $4 || $2 < 0 || $3 < 0 || $4 < 0 { n++ }
		END { print n + 0 }' "$WORK/split.$_name")" -eq 0
}
share() {	# FILE AWK-CONDITION: percent of records meeting it
	awk -F'\t' "$2 { n++ } END { print int(100 * n / NR) }" "$1"
}

# A reader that sleeps 2 ms after each read, fed every 0.5 ms: the queue
# grows, and most of each packet's socket time is queueing.
run slow 200 2000 -s 2000
check "slow reader: queued is most of the socket stage for most packets" \
	"$(share "$WORK/split.slow" '$2 * 2 > $1')" -ge 80
# Each read finds its packet waiting: the call returns at once. A wakeup
# from an earlier call (or a timer firing near a data-ready callback) must
# not stretch 'return' over the reads that follow it.
check "slow reader: return under 1 ms for nearly every packet" \
	"$(share "$WORK/split.slow" '$4 < 1000000')" -ge 95
p50q=$(jq_final "$WORK/rx.slow" stages.queued.p50_ns)
p50s=$(jq_final "$WORK/rx.slow" stages.socket.p50_ns)
check "slow reader: queued p50 dominates the socket p50" "$((p50q * 10))" -ge "$((p50s * 8))"

# A reader blocked in recvmsg, fed every 2 ms: it is woken for each packet.
run blocked 300 500 -m recvmsg
check "blocked reader: woken for most packets" "$(share "$WORK/split.blocked" '$5 == "true"')" -ge 80
check "blocked reader: a wakeup stage is measured" \
	"$(jq_final "$WORK/rx.blocked" stages.wakeup.p50_ns)" -gt 0
check "blocked reader: little queueing" "$(share "$WORK/split.blocked" '$2 * 2 < $1')" -ge 80

# A reader blocked in epoll_wait, then recvmsg: woken through the epoll
# callback, and the split still adds up.
run epoll 300 500 -m epoll
check "epoll reader: woken for most packets" "$(share "$WORK/split.epoll" '$5 == "true"')" -ge 80
check "epoll reader: a wakeup stage is measured" \
	"$(jq_final "$WORK/rx.epoll" stages.wakeup.p50_ns)" -gt 0
done_test
