#!/usr/bin/env bash
# rxlat's benchmark (issue 5): what rxlat costs the traffic it watches, side
# by side with no tracer and with a naive bpftrace equivalent. Not a test:
# it measures, takes medians over REPS repetitions and writes bench/RESULTS.md
# plus raw data under bench/raw/<timestamp>/.
#
#   sudo tools/bench/run.sh                # full run, REPS=5, ~6-9 minutes
#   sudo QUICK=1 tools/bench/run.sh        # smoke run, ~2 minutes
#
# Environment:
#   REPS=N          repetitions per comparison (default 5; QUICK: 2)
#   QUICK=1         short smoke run; its report goes to bench/raw/<ts>/RESULTS.md
#   SECTIONS="1 2 3 5"  which sections to run (4 is derived from 1-3)
#   RESULTS=FILE    where the report goes (default bench/RESULTS.md)
#   QUIET_WAIT=S    before each sample wait up to S seconds (default 8; at most
#                   QUIET_BUDGET seconds in all, default 100, QUICK 20) until no
#                   tracer of another session runs and both CPUs are >= 80% idle
#   DISTURB_PCT=P   a sample during which processes of other sessions used more
#                   than P% of a CPU (default 10) counts as disturbed; it is
#                   repeated up to RETRIES=2 times while RETRY_BUDGET seconds
#                   (default 150, QUICK 20) last; the discarded attempts are kept
#                   in bench/raw/<ts>/discarded.tsv
#   RXLAT=PATH      the binary under test (default ./rxlat; copied at the start,
#                   so a rebuild during the run does not change what is measured)
#   RXLAT_REF=REV   instead build rxlat from git revision REV (git archive into a
#                   temporary directory; the work tree is not touched) and measure that
#
# Sections
#   1  UDP flood (loopback in a namespace, and veth between two namespaces):
#      packets/s received, tracer: none | rxlat | rxlat -e | bpftrace
#   2  UDP ping-pong round trip over veth (sockperf, udp_pingpong): p50, p99
#   3  BPF CPU per packet (kernel.bpf_stats_enabled, saved and restored)
#   4  start-to-attached, RSS, locked BPF memory (from runs of 1-3)
#   5  cost to unrelated syscall-heavy processes (dd, AF_UNIX, UDP elsewhere)
#
# Everything this script starts is tracked by pid and ended at exit; the
# namespaces it creates are named rxb-<pid>-* and removed at exit.
set -u
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tools/bench
BIN=$ROOT/.output/bin
RXLAT=${RXLAT:-$ROOT/rxlat}
QUICK=${QUICK:-0}
if [ "$QUICK" = 1 ]; then
	REPS=${REPS:-2}
	FLOOD_S=${FLOOD_S:-1.5}		# sender runtime per flood
	PP_S=${PP_S:-1}			# sockperf seconds per trial
	PP_N=${PP_N:-5000}		# udp_pingpong measured requests
	CPU_PKTS=${CPU_PKTS:-50000}	# packets per path in section 3
	DD_N=${DD_N:-500000}
	LOOP_N=${LOOP_N:-100000}
else
	REPS=${REPS:-5}
	FLOOD_S=${FLOOD_S:-2.5}
	PP_S=${PP_S:-2}
	PP_N=${PP_N:-20000}
	CPU_PKTS=${CPU_PKTS:-100000}
	DD_N=${DD_N:-2000000}
	LOOP_N=${LOOP_N:-300000}
fi
SECTIONS=${SECTIONS:-"1 2 3 5"}
QUIET_WAIT=${QUIET_WAIT:-8}
DISTURB_PCT=${DISTURB_PCT:-10}
RETRIES=${RETRIES:-2}
if [ "$QUICK" = 1 ]; then
	QUIET_BUDGET=${QUIET_BUDGET:-20}
	RETRY_BUDGET=${RETRY_BUDGET:-20}
else
	QUIET_BUDGET=${QUIET_BUDGET:-100}
	RETRY_BUDGET=${RETRY_BUDGET:-150}
fi
STAMP=$(date +%Y%m%d-%H%M%S)
RAW=$ROOT/bench/raw/$STAMP
if [ "$QUICK" = 1 ]; then
	RESULTS=${RESULTS:-$RAW/RESULTS.md}
else
	RESULTS=${RESULTS:-$ROOT/bench/RESULTS.md}
fi

# Ports: flood, ping-pong (sockperf, udp_pingpong), section 3, section 5.
FLOOD_PORT=47201
SP_PORT=47210 UPP_PORT=47211
CPU_PORT=47220
OTHER_PORT=47230	# section 5: UDP on a port rxlat's -P excludes
# CPUs: the sender (and every client) on SEND_CPU, the receiver on RECV_CPU.
SEND_CPU=0 RECV_CPU=1

NS_LO=rxb-$$-lo NS_A=rxb-$$-a NS_B=rxb-$$-b
ADDR_A=10.77.0.1 ADDR_B=10.77.0.2
NS_MADE=""
MY_PIDS=""
WORK=""
OLD_BPF_STATS=""
QUIET_SPENT=0
RETRY_SPENT=0
RETRIED=0
FLOOD_TSV=$RAW/flood.tsv
CLK_TCK=$(getconf CLK_TCK)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- cleanup
cleanup() {
	local p i
	trap - EXIT INT TERM
	for p in $MY_PIDS; do
		kill -0 "$p" 2>/dev/null && kill -TERM "$p" 2>/dev/null
	done
	for p in $MY_PIDS; do
		i=0
		while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	for n in $NS_MADE; do
		"$BIN/nsctl" del -f "$n" 2>/dev/null
	done
	if [ -n "$OLD_BPF_STATS" ]; then
		sysctl -q -w kernel.bpf_stats_enabled="$OLD_BPF_STATS" >/dev/null 2>&1 ||
			echo "$OLD_BPF_STATS" > /proc/sys/kernel/bpf_stats_enabled
	fi
	[ -n "$WORK" ] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

track() { MY_PIDS="$MY_PIDS $1"; }
untrack() {
	local p out=""
	for p in $MY_PIDS; do [ "$p" = "$1" ] || out="$out $p"; done
	MY_PIDS=$out
}

# wait_pid PID SECONDS [SIGNAL]: reap a process we started; on timeout send
# it SIGNAL (then SIGKILL after 3 s; default straight SIGKILL).
# Sets WAIT_RC (the exit status, or "timeout").
wait_pid() {
	local i=0 lim
	lim=$(awk -v s="$2" 'BEGIN { printf "%d", s * 20 }')
	while kill -0 "$1" 2>/dev/null && [ $i -lt "$lim" ]; do
		sleep 0.05
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null && [ -n "${3:-}" ]; then
		kill -"$3" "$1" 2>/dev/null
		i=0
		while kill -0 "$1" 2>/dev/null && [ $i -lt 60 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1" 2>/dev/null
			WAIT_RC=timeout
			untrack "$1"
			return 0
		fi
	fi
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		WAIT_RC=timeout
	else
		wait "$1" 2>/dev/null
		WAIT_RC=$?
	fi
	untrack "$1"
}

# stop_pid PID SIGNAL SECONDS
stop_pid() {
	kill -"$2" "$1" 2>/dev/null
	wait_pid "$1" "$3"
}

# wait_file FILE SECONDS PATTERN [PID]: until FILE holds PATTERN (grep -E);
# gives up early when process PID has ended.
wait_file() {
	local i=0 lim
	lim=$(awk -v s="$2" 'BEGIN { printf "%d", s * 50 }')
	while [ $i -lt "$lim" ]; do
		grep -qE "$3" "$1" 2>/dev/null && return 0
		if [ -n "${4:-}" ] && ! kill -0 "$4" 2>/dev/null; then
			sleep 0.1
			grep -qE "$3" "$1" 2>/dev/null && return 0
			return 1
		fi
		sleep 0.02
		i=$((i + 1))
	done
	return 1
}

fsub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.6f", a - b }'; }

# Commands, recorded once per label for the report.
declare -A CMD_SEEN
cmd_note() {
	local label=$1
	shift
	[ -n "${CMD_SEEN[$label]:-}" ] && return 0
	CMD_SEEN[$label]=1
	printf '%s\t%s\n' "$label" "$*" >> "$RAW/commands.tsv"
}

# ----------------------------------------------------------- preparation
[ "$(id -u)" = 0 ] || die "run as root (sudo)"
case $REPS in '' | *[!0-9]* | 0) die "REPS must be a positive integer" ;; esac

APT_UPDATED=0
need() {	# need COMMAND PACKAGE
	command -v "$1" >/dev/null 2>&1 && return 0
	log "installing $2 (for $1)"
	if [ $APT_UPDATED = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 || true
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >&2 ||
		die "cannot install $2"
}
need sockperf sockperf
need bpftrace bpftrace
need ip iproute2
need bpftool bpftool
need jq jq
need taskset util-linux
need cc gcc
need make make

if [ ! -x "$RXLAT" ] || [ ! -x "$BIN/udp_blast" ] || [ ! -x "$BIN/nsctl" ] || [ ! -x "$BIN/jsonq" ]; then
	log "building rxlat and the traffic tools (make rxlat tools)"
	make -C "$ROOT" rxlat tools >&2 || die "build failed"
fi
for t in udp_blast udp_sink udp_pingpong nsctl jsonq; do
	[ -x "$BIN/$t" ] || die "missing $BIN/$t (make tools)"
done
[ "$(nproc)" -ge 2 ] || die "needs at least 2 CPUs (sender and receiver pinned apart)"

mountpoint -q /sys/kernel/tracing 2>/dev/null || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
mountpoint -q /sys/fs/bpf 2>/dev/null || mount -t bpf bpf /sys/fs/bpf 2>/dev/null

mkdir -p "$RAW" || die "cannot create $RAW"
ln -sfn "$STAMP" "$ROOT/bench/raw/latest"
WORK=$(mktemp -d /tmp/rxb.XXXXXX) || die "mktemp"
exec 3>&2
exec 2> >(tee -a "$RAW/run.log" >&3)
OLD_BPF_STATS=$(cat /proc/sys/kernel/bpf_stats_enabled)

cc -O2 -Wall -o "$WORK/sysloop" "$HERE/sysloop.c" || die "cannot build sysloop"
RXLAT_DESC=$RXLAT
if [ -n "${RXLAT_REF:-}" ]; then
	log "building rxlat from git revision $RXLAT_REF"
	REV=$(git -C "$ROOT" rev-parse --short "$RXLAT_REF") || die "no git revision $RXLAT_REF"
	mkdir -p "$WORK/build"
	git -C "$ROOT" archive "$REV" | tar -x -C "$WORK/build" || die "git archive $REV"
	make -C "$WORK/build" rxlat GIT_REV="$REV" > "$RAW/build.log" 2>&1 || die "build of $REV failed (see $RAW/build.log)"
	cp "$WORK/build/rxlat" "$WORK/rxlat"
	RXLAT_DESC="git revision $REV (built from git archive by run.sh)"
else
	cp "$RXLAT" "$WORK/rxlat" || die "cannot copy $RXLAT"
	RXLAT_DESC="$RXLAT (copied at start; sha256 $(sha256sum "$RXLAT" | cut -c1-16))"
fi
RXLAT=$WORK/rxlat
cp "$HERE/naive.bt" "$RAW/naive.bt"

{
	echo "date	$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "nproc	$(nproc)"
	echo "cpu	$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "kernel	$(uname -r)"
	echo "rxlat	$("$RXLAT" --version 2>&1 | head -1)"
	echo "rxlat_binary	$RXLAT_DESC"
	echo "bpftrace	$(bpftrace --version 2>&1 | head -1)"
	echo "sockperf	$(sockperf --version 2>&1 | awk '/version/ { print $3; exit }')"
	echo "bpftool	$(bpftool version 2>&1 | head -1)"
	echo "reps	$REPS"
	echo "quick	$QUICK"
	echo "flood_s	$FLOOD_S"
	echo "pp_s	$PP_S"
	echo "pp_n	$PP_N"
	echo "cpu_pkts	$CPU_PKTS"
	echo "dd_n	$DD_N"
	echo "loop_n	$LOOP_N"
	echo "rmem_max	$(cat /proc/sys/net/core/rmem_max)"
	echo "send_cpu	$SEND_CPU"
	echo "recv_cpu	$RECV_CPU"
	echo "bpf_stats_old	$OLD_BPF_STATS"
	echo "sections	$SECTIONS"
	echo "loadavg_start	$(cut -d' ' -f1-3 /proc/loadavg)"
} > "$RAW/env.tsv"

# ------------------------------------------------------------ namespaces
ns_add() {
	"$BIN/nsctl" add "$1" || die "cannot create namespace $1"
	NS_MADE="$NS_MADE $1"
}
ns_add "$NS_LO"
ns_add "$NS_A"
ns_add "$NS_B"
"$BIN/nsctl" veth "$NS_A" veth0 "$NS_B" veth0 || die "veth"
"$BIN/nsctl" addr "$NS_A" veth0 "$ADDR_A/24" || die "address"
"$BIN/nsctl" addr "$NS_B" veth0 "$ADDR_B/24" || die "address"
# One idle process per namespace: /proc/PID/net/snmp of it reads that
# namespace's UDP counters, whatever the traffic processes are doing.
declare -A NS_HOLDER
for n in "$NS_LO" "$NS_A" "$NS_B"; do
	"$BIN/nsctl" exec "$n" sleep 100000 &
	NS_HOLDER[$n]=$!
	track $!
done
sleep 0.2
cmd_note "namespaces" "nsctl add $NS_LO; nsctl add $NS_A; nsctl add $NS_B;" \
	"nsctl veth $NS_A veth0 $NS_B veth0; nsctl addr $NS_A veth0 $ADDR_A/24;" \
	"nsctl addr $NS_B veth0 $ADDR_B/24"

# ------------------------------------------------- other sessions' activity
MY_SID=$(ps -o sid= -p $$ | tr -d ' ')
# Traffic generators and tracers of other sessions: they share the CPUs
# and, for tracers, attach to the same global hooks (so they slow down even
# our no-tracer baseline). foreign_count counts both, foreign_tracers only
# the tracers.
FOREIGN_RE='^(rxlat|bpftrace|sockperf|udp_blast|udp_sink|udp_pingpong|iperf3|udpgen)$'
foreign_count() {
	ps -eo sid=,comm= | awk -v me="$MY_SID" -v re="${1:-$FOREIGN_RE}" '
		$1 != me && $2 ~ re { n++ }
		END { print n + 0 }'
}
# idle_pct: the lower of the two CPUs' idle share over 0.2 s
idle_pct() {
	local a b
	a=$(awk -v s=$SEND_CPU -v r=$RECV_CPU '$1 == "cpu" s || $1 == "cpu" r { printf "%d %d ", $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
	sleep 0.2
	b=$(awk -v s=$SEND_CPU -v r=$RECV_CPU '$1 == "cpu" s || $1 == "cpu" r { printf "%d %d ", $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
		i1 = (y[2] - x[2]) ? 100 * (y[1] - x[1]) / (y[2] - x[2]) : 100
		i2 = (y[4] - x[4]) ? 100 * (y[3] - x[3]) / (y[4] - x[4]) : 100
		printf "%d", i1 < i2 ? i1 : i2 }'
}
# quiet_wait: before a sample, wait (QUIET_WAIT per call, QUIET_BUDGET in
# all) until no tracer of another session runs and both CPUs are >= 80% idle.
quiet_wait() {
	local t0 nt idle
	t0=$SECONDS
	while :; do
		nt=$(foreign_count '^(rxlat|bpftrace)$')
		idle=$(idle_pct)
		[ "$nt" = 0 ] && [ "$idle" -ge 80 ] && break
		if [ $((SECONDS - t0)) -ge "$QUIET_WAIT" ] || [ $((QUIET_SPENT + SECONDS - t0)) -ge "$QUIET_BUDGET" ]; then
			log "note: machine not quiet ($nt tracers of other sessions, ${idle}% idle); measuring anyway"
			break
		fi
		sleep 0.3
	done
	QUIET_SPENT=$((QUIET_SPENT + SECONDS - t0))
	return 0
}

# CPU used by processes of other sessions (kernel threads excluded), per
# process, so that a process started meanwhile counts from zero; processes
# that both start and end within a sample are missed.
# foreign_snap FILE: "pid ticks" of every such process now.
foreign_snap() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v me="$MY_SID" '{
		pid = $1; s = $0; sub(/^.*\) /, "", s); split(s, f, " ")
		if (f[4] != me && f[4] != 0) print pid, f[12] + f[13] }' > "$1"
}
# foreign_pct FILE T0: their CPU since the snapshot FILE taken at T0
# ($EPOCHREALTIME), in % of one CPU.
foreign_pct() {
	local now=$EPOCHREALTIME
	foreign_snap "$WORK/fsnap.now"
	awk -v t0="$2" -v t1="$now" -v hz="$CLK_TCK" '
		FILENAME == ARGV[1] { a[$1] = $2; next }
		{ d += $2 - (($1 in a) ? a[$1] : 0) }
		END { w = t1 - t0; printf "%d", (w > 0 && d > 0) ? 100 * d / hz / w + 0.5 : 0 }' "$1" "$WORK/fsnap.now"
}

# unit_accept ROWS SECTION TAG STARTED: decide on one unit of samples (one
# tracer session). Their last column is foreign_pct. Returns 0 to keep them
# (appended by the caller), 1 to run the unit again (rows set aside in
# discarded.tsv).
UNIT_ATTEMPT=1
unit_accept() {
	local worst
	worst=$(awk -F'\t' '{ if ($NF + 0 > m) m = $NF + 0 } END { print m + 0 }' "$1")
	if [ "$worst" -gt "$DISTURB_PCT" ] && [ "$UNIT_ATTEMPT" -le "$RETRIES" ] &&
		[ "$RETRY_SPENT" -lt "$RETRY_BUDGET" ]; then
		log "$3: other sessions used ${worst}% of a CPU meanwhile; repeating (attempt $((UNIT_ATTEMPT + 1)))"
		awk -v s="$2" -v a="$UNIT_ATTEMPT" '{ print s "\t" a "\t" $0 }' "$1" >> "$RAW/discarded.tsv"
		RETRY_SPENT=$((RETRY_SPENT + SECONDS - $4))
		RETRIED=$((RETRIED + 1))
		UNIT_ATTEMPT=$((UNIT_ATTEMPT + 1))
		return 1
	fi
	UNIT_ATTEMPT=1
	return 0
}

# --------------------------------------------------------------- tracers
# Configurations: none | agg (rxlat) | ev (rxlat -e > /dev/null)
#                 | evj (rxlat -j -e > file) | bt (bpftrace naive.bt)
# tracer_start CFG TAG PORTSPEC: sets TR_PID (empty for none), TR_OUT.
TR_PID="" TR_OUT="" TR_CFG=""
stamp_lines() { while IFS= read -r l; do printf '%s %s\n' "$EPOCHREALTIME" "$l"; done; }

tracer_start() {
	local cfg=$1 tag=$2 ports=$3 t0 t1 out err
	TR_PID="" TR_CFG=$cfg
	TR_OUT=$RAW/$tag.$cfg.out
	err=$RAW/$tag.$cfg.err
	# a repeated unit reuses the names: never let a wait see the last run's lines
	rm -f "$TR_OUT" "$err"
	case $cfg in
	none) return 0 ;;
	agg | ev | evj)
		local args=(-d 3600 -P "$ports")
		out=$TR_OUT
		case $cfg in
		agg) args=(-j "${args[@]}") ;;
		ev) args=(-e "${args[@]}") out=/dev/null TR_OUT=/dev/null ;;
		evj) args=(-j -e "${args[@]}") out=$WORK/$tag.evj.json TR_OUT=$out ;;
		esac
		cmd_note "rxlat-$cfg" "rxlat ${args[*]} > $([ "$cfg" = ev ] && echo /dev/null || echo FILE)  (SIGINT to stop)"
		t0=$EPOCHREALTIME
		"$RXLAT" "${args[@]}" > "$out" 2> >(stamp_lines > "$err") &
		TR_PID=$!
		track $TR_PID
		if ! wait_file "$err" 30 'rxlat: running' $TR_PID; then
			log "rxlat ($cfg) did not start: $(tail -c 400 "$err")"
			printf '%s\t%s\t%s\n' "$cfg" "$tag" "$(tail -n 1 "$err" | cut -d' ' -f2- | cut -c1-300)" >> "$RAW/failures.tsv"
			stop_pid $TR_PID KILL 5
			TR_PID=""
			return 1
		fi
		t1=$(awk '/rxlat: running/ { print $1; exit }' "$err")
		[ -n "$t1" ] &&
			printf '%s\t%s\t%s\n' "$cfg" "$tag" "$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.1f", (a - b) * 1000 }')" \
				>> "$RAW/startup.tsv"
		;;
	bt)
		cmd_note "bpftrace" "bpftrace tools/bench/naive.bt > FILE (SIGINT to stop)"
		t0=$EPOCHREALTIME
		bpftrace "$HERE/naive.bt" > "$TR_OUT" 2> "$err" &
		TR_PID=$!
		track $TR_PID
		if ! wait_file "$TR_OUT" 90 '^Attaching' $TR_PID; then
			log "bpftrace did not start: $(tail -c 400 "$err")"
			printf '%s\t%s\t%s\n' "$cfg" "$tag" "$(tail -n 1 "$err" | cut -c1-300)" >> "$RAW/failures.tsv"
			stop_pid $TR_PID KILL 5
			TR_PID=""
			return 1
		fi
		t1=$EPOCHREALTIME
		# "Attaching N probes..." comes before the attach calls.
		sleep 0.5
		printf '%s\t%s\t%s\n' bt "$tag" "$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.1f", (a - b) * 1000 }')" \
			>> "$RAW/startup.tsv"
		;;
	*) die "unknown tracer config $cfg" ;;
	esac
	return 0
}

# Memory of the running tracer: VmHWM, VmRSS (kB), and the memlock of its
# BPF maps and programs (bytes, from /proc/PID/fdinfo).
tracer_mem() {
	local pid=$1 hwm rss ml
	hwm=$(awk '/^VmHWM:/ { print $2 }' /proc/$pid/status 2>/dev/null)
	rss=$(awk '/^VmRSS:/ { print $2 }' /proc/$pid/status 2>/dev/null)
	ml=$(bpf_fdinfo "$pid" | awk '{ m[$1 " " $2] = $5 } END { for (k in m) s += m[k]; print s + 0 }')
	printf '%s\t%s\t%s\n' "${hwm:-NA}" "${rss:-NA}" "${ml:-NA}"
}

# bpf_fdinfo PID: one line per BPF map/prog fd: KIND ID RUN_TIME_NS RUN_CNT MEMLOCK
bpf_fdinfo() {
	local fd kind id rt rc ml k v _
	for fd in /proc/$1/fdinfo/*; do
		kind="" id="" rt=0 rc=0 ml=0
		while read -r k v _; do
			case $k in
			map_id:) kind=map id=$v ;;
			prog_id:) kind=prog id=$v ;;
			run_time_ns:) rt=$v ;;
			run_cnt:) rc=$v ;;
			memlock:) ml=$v ;;
			link_id:) kind="" ; break ;;
			esac
		done < "$fd" 2>/dev/null
		[ -n "$kind" ] && [ -n "$id" ] && echo "$kind $id $rt $rc $ml"
	done
}

tracer_stop() {
	[ -z "$TR_PID" ] && return 0
	stop_pid "$TR_PID" INT 30
	[ "$WAIT_RC" != 0 ] && log "note: $TR_CFG tracer exit status $WAIT_RC"
	TR_PID=""
	return 0
}

# Final rxlat summary value at PATH (agg/evj outputs).
summary_val() { "$BIN/jsonq" -w type=summary -w final=true "$1" "$2" 2>/dev/null | tail -1; }

# ---------------------------------------------------------- /proc readers
read_udp() {	# FILE: sets U_IN U_OUT U_RCVBUF from a /proc/.../net/snmp
	local tag a b c d e rest hdr=0
	U_IN=0 U_OUT=0 U_RCVBUF=0
	while read -r tag a b c d e rest; do
		[ "$tag" = "Udp:" ] || continue
		if [ "$a" = InDatagrams ]; then hdr=1; continue; fi
		[ $hdr = 1 ] && { U_IN=$a; U_OUT=$d; U_RCVBUF=$e; return 0; }
	done < "$1"
	return 1
}
read_cpu() {	# sets C_<cpu>="busy total softirq" for cpu0 and cpu1 (jiffies)
	local cpu u n s i w irq sirq st rest
	while read -r cpu u n s i w irq sirq st rest; do
		case $cpu in
		cpu$SEND_CPU) C_S="$((u + n + s + irq + sirq + st)) $((u + n + s + i + w + irq + sirq + st)) $sirq" ;;
		cpu$RECV_CPU) C_R="$((u + n + s + irq + sirq + st)) $((u + n + s + i + w + irq + sirq + st)) $sirq" ;;
		esac
	done < /proc/stat
}
read_ticks() {	# PID: user+system clock ticks of a process (0 if none)
	local f
	[ -n "$1" ] && [ -r /proc/$1/stat ] || { echo 0; return; }
	f=$(< /proc/$1/stat)
	f=${f##*) }
	set -- $f
	echo $((${12} + ${13}))
}
read_netrx() {
	local name rest
	while read -r name rest; do
		[ "$name" = NET_RX: ] && { read -r -a NETRX <<< "$rest"; return 0; }
	done < /proc/softirqs
}

# ================================================== section 1: UDP flood
# flood_once PATH(lo|veth) CFG REP FOREIGN
flood_once() {
	local path=$1 cfg=$2 rep=$3 foreign=$4 rxns txns addr tag sink blast
	local c1 r1 t1 cs1 cr1 n1 c2 r2 t2 cs2 cr2 n2 i sent recv warm mid a1 a2 b1 b2 o1 o2 k1 k2 fp
	case $path in
	lo) rxns=$NS_LO txns=$NS_LO addr=127.0.0.1 ;;
	veth) rxns=$NS_B txns=$NS_A addr=$ADDR_B ;;
	esac
	tag=flood.$path.$cfg.r$rep
	rm -f "$WORK/ready"
	taskset -c $RECV_CPU "$BIN/nsctl" exec "$rxns" "$BIN/udp_sink" -q -r 33554432 \
		-t "$(awk -v d="$FLOOD_S" 'BEGIN { print int(d) + 20 }')" -R "$WORK/ready" \
		"$addr" $FLOOD_PORT > "$RAW/$tag.sink" 2>&1 &
	sink=$!
	track $sink
	cmd_note "flood-sink-$path" "taskset -c $RECV_CPU nsctl exec $rxns udp_sink -q -r 33554432 -t N -R READYFILE $addr $FLOOD_PORT"
	if ! wait_file "$WORK/ready" 10 ready; then
		log "flood: sink did not start"
		stop_pid $sink KILL 5
		return 1
	fi
	taskset -c $SEND_CPU "$BIN/nsctl" exec "$txns" "$BIN/udp_blast" -n 2000000000 -s 64 \
		-t "$FLOOD_S" "$addr" $FLOOD_PORT > "$RAW/$tag.blast" 2>&1 &
	blast=$!
	track $blast
	# its counters are read from its namespace: wait until nsctl has
	# entered it and exec'd the sender
	i=0
	while [ "$(cat /proc/$blast/comm 2>/dev/null)" != udp_blast ] && [ $i -lt 100 ]; do
		sleep 0.02
		i=$((i + 1))
	done
	cmd_note "flood-blast-$path" "taskset -c $SEND_CPU nsctl exec $txns udp_blast -n 2000000000 -s 64 -t $FLOOD_S $addr $FLOOD_PORT"
	# Steady-state window: skip the first 0.5 s and the last 0.3 s.
	warm=0.5
	mid=$(awk -v d="$FLOOD_S" 'BEGIN { printf "%.2f", d - 0.8 }')
	sleep $warm
	read_udp /proc/${NS_HOLDER[$txns]}/net/snmp; o1=$U_OUT
	read_udp /proc/${NS_HOLDER[$rxns]}/net/snmp; c1=$U_IN r1=$U_RCVBUF; read_cpu; cs1=$C_S cr1=$C_R; read_netrx; n1=("${NETRX[@]}")
	k1=$(read_ticks "$TR_PID")
	t1=$EPOCHREALTIME
	foreign_snap "$WORK/fsnap.flood"
	sleep "$mid"
	read_udp /proc/${NS_HOLDER[$txns]}/net/snmp; o2=$U_OUT
	read_udp /proc/${NS_HOLDER[$rxns]}/net/snmp; c2=$U_IN r2=$U_RCVBUF; read_cpu; cs2=$C_S cr2=$C_R; read_netrx; n2=("${NETRX[@]}")
	k2=$(read_ticks "$TR_PID")
	t2=$EPOCHREALTIME
	fp=$(foreign_pct "$WORK/fsnap.flood" "$t1")
	wait_pid $blast $((${FLOOD_S%.*} + 15))
	sleep 0.3
	stop_pid $sink INT 10
	sent=$(awk '/^sent/ { print $2 }' "$RAW/$tag.blast")
	recv=$(awk '/^received/ { print $2 }' "$RAW/$tag.sink")
	read -r -a a1 <<< "$cs1"; read -r -a a2 <<< "$cs2"
	read -r -a b1 <<< "$cr1"; read -r -a b2 <<< "$cr2"
	# rep path cfg window_s recv_in_window rcvbuf_errs_in_window sent_total flood_s
	#   send_cpu_busy send_cpu_total send_cpu_softirq recv_cpu_busy recv_cpu_total
	#   recv_cpu_softirq (jiffies) net_rx_softirqs_send_cpu net_rx_softirqs_recv_cpu
	#   sink_received_total sent_in_window tracer_cpu_ticks_in_window clk_tck
	#   foreign_processes foreign_cpu_pct
	printf '%s\t' "$rep" "$path" "$cfg" "$(fsub "$t2" "$t1")" "$((c2 - c1))" "$((r2 - r1))" \
		"${sent:-0}" "$FLOOD_S" \
		"$((a2[0] - a1[0]))" "$((a2[1] - a1[1]))" "$((a2[2] - a1[2]))" \
		"$((b2[0] - b1[0]))" "$((b2[1] - b1[1]))" "$((b2[2] - b1[2]))" \
		"$((n2[SEND_CPU] - n1[SEND_CPU]))" "$((n2[RECV_CPU] - n1[RECV_CPU]))" "${recv:-0}" \
		"$((o2 - o1))" "$((k2 - k1))" "$CLK_TCK" >> "$FLOOD_TSV"
	printf '%s\t%s\n' "$((foreign + $(foreign_count)))" "$fp" >> "$FLOOD_TSV"
	log "flood $path $cfg rep $rep: $(awk -v n=$((c2 - c1)) -v t="$(fsub "$t2" "$t1")" 'BEGIN { printf "%.0f", n / t }') pkt/s received (other sessions: ${fp}% CPU)"
}

section_flood() {
	local rep cfg order i foreign started
	log "section 1: UDP flood (loopback and veth), $REPS repetitions, ${FLOOD_S}s each"
	for rep in $(seq 1 "$REPS"); do
		# Rotate the order so that no configuration always runs first.
		order=(none agg ev bt)
		for i in $(seq 1 $(((rep - 1) % 4))); do order=("${order[@]:1}" "${order[0]}"); done
		for cfg in "${order[@]}"; do
			UNIT_ATTEMPT=1
			while :; do
				quiet_wait
				started=$SECONDS
				foreign=$(foreign_count)
				tracer_start "$cfg" "flood.r$rep" $FLOOD_PORT || continue 2
				: > "$WORK/rows"
				FLOOD_TSV=$WORK/rows
				flood_once lo "$cfg" "$rep" "$foreign"
				flood_once veth "$cfg" "$rep" "$foreign"
				FLOOD_TSV=$RAW/flood.tsv
				[ -n "$TR_PID" ] &&
					printf '%s\t%s\t%s\n' "$cfg" "$rep" "$(tracer_mem "$TR_PID")" >> "$RAW/mem.tsv"
				tracer_stop
				unit_accept "$WORK/rows" flood "flood $cfg rep $rep" "$started" && break
			done
			cat "$WORK/rows" >> "$RAW/flood.tsv"
			if [ "$cfg" = agg ]; then
				# rxlat's own books over both floods
				printf '%s\t' "$rep" >> "$RAW/flood_books.tsv"
				"$BIN/jsonq" -w type=summary -w final=true "$RAW/flood.r$rep.agg.out" \
					packets.seen packets.delivered packets.dropped packets.measured \
					packets.lost_events packets.evicted packets.untracked_reads packets.balance \
					packets.lost.table_full packets.unmeasured >> "$RAW/flood_books.tsv"
			fi
		done
	done
}

# ============================================== section 2: UDP ping-pong
section_pingpong() {
	local rep cfg order i foreign sps ups tag f started t0 fp
	log "section 2: UDP ping-pong over veth (sockperf ${PP_S}s, udp_pingpong $PP_N requests), $REPS repetitions"
	taskset -c $RECV_CPU "$BIN/nsctl" exec "$NS_B" sockperf sr -i "$ADDR_B" -p $SP_PORT \
		> "$RAW/pp.sockperf-server.log" 2>&1 &
	sps=$!
	track $sps
	rm -f "$WORK/ready"
	taskset -c $RECV_CPU "$BIN/nsctl" exec "$NS_B" "$BIN/udp_pingpong" server -t 3600 -R "$WORK/ready" \
		"$ADDR_B" $UPP_PORT > "$RAW/pp.udp_pingpong-server.log" 2>&1 &
	ups=$!
	track $ups
	cmd_note "pp-sockperf-server" "taskset -c $RECV_CPU nsctl exec $NS_B sockperf sr -i $ADDR_B -p $SP_PORT"
	cmd_note "pp-udp_pingpong-server" "taskset -c $RECV_CPU nsctl exec $NS_B udp_pingpong server -t 3600 $ADDR_B $UPP_PORT"
	wait_file "$WORK/ready" 10 ready || log "udp_pingpong server not ready"
	sleep 0.5
	for rep in $(seq 1 "$REPS"); do
		order=(none agg ev)
		for i in $(seq 1 $(((rep - 1) % 3))); do order=("${order[@]:1}" "${order[0]}"); done
		for cfg in "${order[@]}"; do
		UNIT_ATTEMPT=1
		while :; do
			quiet_wait
			started=$SECONDS
			foreign=$(foreign_count)
			tag=pp.r$rep
			tracer_start "$cfg" "$tag" "$SP_PORT-$UPP_PORT" || continue 2
			: > "$WORK/rows"
			f=$RAW/$tag.$cfg.sockperf
			foreign_snap "$WORK/fsnap.pp"
			t0=$EPOCHREALTIME
			taskset -c $SEND_CPU "$BIN/nsctl" exec "$NS_A" timeout $((${PP_S%.*} + 30)) \
				sockperf pp -i "$ADDR_B" -p $SP_PORT -t "$PP_S" -m 64 --full-rtt > "$f" 2>&1
			cmd_note "pp-sockperf-client" "taskset -c $SEND_CPU nsctl exec $NS_A sockperf pp -i $ADDR_B -p $SP_PORT -t $PP_S -m 64 --full-rtt"
			fp=$(foreign_pct "$WORK/fsnap.pp" "$t0")
			printf '%s\tsockperf\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$cfg" \
				"$(sed 's/\x1b\[[0-9;]*m//g' "$f" | awk '/percentile 50.000 =/ { print $NF }')" \
				"$(sed 's/\x1b\[[0-9;]*m//g' "$f" | awk '/percentile 99.000 =/ { print $NF }')" \
				"$foreign" "$fp" >> "$WORK/rows"
			foreign=$((foreign + $(foreign_count)))
			f=$RAW/$tag.$cfg.udp_pingpong
			foreign_snap "$WORK/fsnap.pp"
			t0=$EPOCHREALTIME
			taskset -c $SEND_CPU "$BIN/nsctl" exec "$NS_A" "$BIN/udp_pingpong" client -n "$PP_N" -w 200 -j \
				-t 60 "$ADDR_B" $UPP_PORT > "$f" 2>&1
			cmd_note "pp-udp_pingpong-client" "taskset -c $SEND_CPU nsctl exec $NS_A udp_pingpong client -n $PP_N -w 200 -j -t 60 $ADDR_B $UPP_PORT"
			fp=$(foreign_pct "$WORK/fsnap.pp" "$t0")
			printf '%s\tudp_pingpong\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$cfg" \
				"$("$BIN/jsonq" "$f" p50 2>/dev/null | head -1)" "$("$BIN/jsonq" "$f" p99 2>/dev/null | head -1)" \
				"$foreign" "$fp" >> "$WORK/rows"
			tracer_stop
			log "ping-pong $cfg rep $rep: $(awk -F'\t' '{ printf "%s p50 %s p99 %s (others %s%% CPU); ", $2, $4, $5, $7 }' "$WORK/rows")"
			unit_accept "$WORK/rows" pingpong "ping-pong $cfg rep $rep" "$started" && break
		done
			cat "$WORK/rows" >> "$RAW/pp.tsv"
			if [ "$cfg" = agg ]; then
				printf '%s\t' "$rep" >> "$RAW/pp_books.tsv"
				"$BIN/jsonq" -w type=summary -w final=true "$RAW/$tag.agg.out" \
					packets.measured packets.lost_events stages.driver.p50_ns stages.stack.p50_ns \
					stages.socket.p50_ns stages.total.p50_ns stages.total.p99_ns >> "$RAW/pp_books.tsv"
			fi
		done
	done
	stop_pid $sps TERM 5
	stop_pid $ups TERM 5
}

# ============================================= section 3: BPF CPU/packet
# cpu_path PATH TAG: CPU_PKTS packets at 100k/s (no drops); CPU_RECV = the
# number the sink received.
cpu_path() {
	local path=$1 tag=$2 rxns txns addr sink
	case $path in
	lo) rxns=$NS_LO txns=$NS_LO addr=127.0.0.1 ;;
	veth) rxns=$NS_B txns=$NS_A addr=$ADDR_B ;;
	esac
	rm -f "$WORK/ready"
	taskset -c $RECV_CPU "$BIN/nsctl" exec "$rxns" "$BIN/udp_sink" -q -r 33554432 -n "$CPU_PKTS" -t 60 \
		-R "$WORK/ready" "$addr" $CPU_PORT > "$RAW/$tag.sink" 2>&1 &
	sink=$!
	track $sink
	wait_file "$WORK/ready" 10 ready || log "cpu: sink not ready"
	taskset -c $SEND_CPU "$BIN/nsctl" exec "$txns" "$BIN/udp_blast" -n "$CPU_PKTS" -s 64 -r 100000 -B 16 \
		-t 60 "$addr" $CPU_PORT > "$RAW/$tag.blast" 2>&1
	cmd_note "cpu-sink-$path" "taskset -c $RECV_CPU nsctl exec $rxns udp_sink -q -r 33554432 -n $CPU_PKTS -t 60 $addr $CPU_PORT"
	cmd_note "cpu-blast-$path" "taskset -c $SEND_CPU nsctl exec $txns udp_blast -n $CPU_PKTS -s 64 -r 100000 -B 16 -t 60 $addr $CPU_PORT"
	# Normally the sink has its COUNT by now; if the machine dropped some
	# (RcvbufErrors under a foreign load), end it and take what it got.
	wait_pid $sink 3 INT
	if [ "$WAIT_RC" = timeout ]; then
		log "cpu: sink $tag short of $CPU_PKTS packets (drops?)"
	fi
	CPU_RECV=$(awk '/^received/ { print $2 }' "$RAW/$tag.sink")
}

section_cpu() {
	local rep cfg order i tag s0 s1 s2 p_lo p_veth measured lost ev path a b t0 fp
	log "section 3: BPF CPU per packet ($CPU_PKTS packets per path at 100k/s), $REPS repetitions"
	echo 1 > /proc/sys/kernel/bpf_stats_enabled
	for rep in $(seq 1 "$REPS"); do
		order=(agg evj bt)
		for i in $(seq 1 $(((rep - 1) % 3))); do order=("${order[@]:1}" "${order[0]}"); done
		for cfg in "${order[@]}"; do
			quiet_wait
			tag=cpu.r$rep
			tracer_start "$cfg" "$tag" $CPU_PORT || continue
			foreign_snap "$WORK/fsnap.cpu"
			t0=$EPOCHREALTIME
			bpftool prog show -j 2>/dev/null | jq -r '.[] | "\(.id) \(.name // "?") \(.type)"' > "$WORK/names"
			s0=$WORK/s0 s1=$WORK/s1 s2=$WORK/s2
			bpf_fdinfo "$TR_PID" > "$s0"
			cpu_path lo "$tag.$cfg.lo"
			p_lo=$CPU_RECV
			bpf_fdinfo "$TR_PID" > "$s1"
			cpu_path veth "$tag.$cfg.veth"
			p_veth=$CPU_RECV
			bpf_fdinfo "$TR_PID" > "$s2"
			printf '%s\t%s\t%s\n' "$cfg" "$rep" "$(tracer_mem "$TR_PID")" >> "$RAW/mem.tsv"
			fp=$(foreign_pct "$WORK/fsnap.cpu" "$t0")
			tracer_stop
			measured="" lost="" ev=""
			case $cfg in
			agg) measured=$(summary_val "$TR_OUT" packets.measured) lost=$(summary_val "$TR_OUT" packets.lost_events) ;;
			evj)
				measured=$(summary_val "$TR_OUT" packets.measured)
				lost=$(summary_val "$TR_OUT" packets.lost_events)
				ev=$("$BIN/jsonq" -c -w type=packet "$TR_OUT" 2>/dev/null)
				rm -f "$TR_OUT"
				;;
			esac
			# rep cfg path prog_id name type run_time_ns run_cnt
			for path in lo veth; do
				if [ $path = lo ]; then a=$s0 b=$s1; else a=$s1 b=$s2; fi
				awk -v rep="$rep" -v cfg="$cfg" -v path="$path" '
					FILENAME == ARGV[1] { name[$1] = $2; type[$1] = $3; next }
					FILENAME == ARGV[2] { if ($1 == "prog") { rt[$2] = $3; rc[$2] = $4 } next }
					$1 == "prog" { printf "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", rep, cfg, path, $2,
						($2 in name) ? name[$2] : "?", ($2 in type) ? type[$2] : "?",
						$3 - rt[$2], $4 - rc[$2] }' "$WORK/names" "$a" "$b" >> "$RAW/cpu_progs.tsv"
			done
			# rep cfg sink_lo sink_veth measured lost_events event_lines
			# ... foreign_cpu_pct
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$cfg" "${p_lo:-0}" "${p_veth:-0}" \
				"${measured:-NA}" "${lost:-NA}" "${ev:-NA}" "$fp" >> "$RAW/cpu_pkts.tsv"
			log "bpf cpu $cfg rep $rep: $(awk -v r="$rep" -v c="$cfg" '$1 == r && $2 == c { t += $7 } END { printf "%.0f", t }' "$RAW/cpu_progs.tsv") ns for $(( ${p_lo:-0} + ${p_veth:-0} )) packets"
		done
	done
	echo "$OLD_BPF_STATS" > /proc/sys/kernel/bpf_stats_enabled
	# One flood with every event written out (rxlat -j -e > file): are
	# events lost at full speed?
	quiet_wait
	if tracer_start evj evflood $FLOOD_PORT; then
		FLOOD_TSV=$RAW/evflood_run.tsv
		flood_once lo evj 1 "$(foreign_count)"
		FLOOD_TSV=$RAW/flood.tsv
		tracer_stop
		# measured lost_events event_lines seen
		printf '%s\t%s\t%s\t%s\n' \
			"$(summary_val "$TR_OUT" packets.measured)" "$(summary_val "$TR_OUT" packets.lost_events)" \
			"$("$BIN/jsonq" -c -w type=packet "$TR_OUT" 2>/dev/null)" \
			"$(summary_val "$TR_OUT" packets.seen)" > "$RAW/evflood.tsv"
		rm -f "$TR_OUT"
	fi
}

# ========================================= section 5: unrelated processes
section_sys() {
	local rep cfg order i foreign s e v started
	log "section 5: unrelated syscall loops (dd $DD_N, AF_UNIX and UDP:$OTHER_PORT $LOOP_N), $REPS repetitions"
	cmd_note "sys-dd" "taskset -c $SEND_CPU dd if=/dev/zero of=/dev/null bs=1 count=$DD_N"
	cmd_note "sys-unix" "taskset -c $SEND_CPU sysloop unix $LOOP_N   (tools/bench/sysloop.c)"
	cmd_note "sys-udp" "taskset -c $SEND_CPU nsctl exec $NS_LO sysloop udp $LOOP_N $OTHER_PORT   (rxlat -P $FLOOD_PORT)"
	for rep in $(seq 1 "$REPS"); do
		order=(none agg ev bt)
		for i in $(seq 1 $(((rep - 1) % 4))); do order=("${order[@]:1}" "${order[0]}"); done
		for cfg in "${order[@]}"; do
		UNIT_ATTEMPT=1
		while :; do
			quiet_wait
			started=$SECONDS
			foreign=$(foreign_count)
			tracer_start "$cfg" "sys.r$rep" $FLOOD_PORT || continue 2
			: > "$WORK/rows"
			foreign_snap "$WORK/fsnap.sys"
			s=$EPOCHREALTIME
			taskset -c $SEND_CPU dd if=/dev/zero of=/dev/null bs=1 count="$DD_N" 2>/dev/null
			e=$EPOCHREALTIME
			v=$(awk -v a="$e" -v b="$s" -v n="$DD_N" 'BEGIN { printf "%.1f", (a - b) * 1e9 / n }')
			printf '%s\tdd\t%s\t%s\t%s\t%s\n' "$rep" "$cfg" "$v" "$foreign" "$(foreign_pct "$WORK/fsnap.sys" "$s")" >> "$WORK/rows"
			foreign_snap "$WORK/fsnap.sys"
			s=$EPOCHREALTIME
			v=$(taskset -c $SEND_CPU "$WORK/sysloop" unix "$LOOP_N" | awk '{ print $2 }')
			printf '%s\tunix\t%s\t%s\t%s\t%s\n' "$rep" "$cfg" "$v" "$foreign" "$(foreign_pct "$WORK/fsnap.sys" "$s")" >> "$WORK/rows"
			foreign_snap "$WORK/fsnap.sys"
			s=$EPOCHREALTIME
			v=$(taskset -c $SEND_CPU "$BIN/nsctl" exec "$NS_LO" "$WORK/sysloop" udp "$LOOP_N" $OTHER_PORT | awk '{ print $2 }')
			printf '%s\tudp\t%s\t%s\t%s\t%s\n' "$rep" "$cfg" "$v" "$foreign" "$(foreign_pct "$WORK/fsnap.sys" "$s")" >> "$WORK/rows"
			tracer_stop
			log "syscalls $cfg rep $rep: $(awk -F'\t' '{ printf "%s %s ns (others %s%%); ", $2, $4, $6 }' "$WORK/rows")"
			unit_accept "$WORK/rows" sys "syscalls $cfg rep $rep" "$started" && break
		done
			cat "$WORK/rows" >> "$RAW/sys.tsv"
		done
	done
}

# ------------------------------------------------------------------ main
T_START=$SECONDS
log "raw data in $RAW"
for sec in $SECTIONS; do
	case $sec in
	1) section_flood ;;
	2) section_pingpong ;;
	3) section_cpu ;;
	5) section_sys ;;
	4) ;;	# derived from the other sections
	*) log "unknown section $sec" ;;
	esac
done
echo "loadavg_end	$(cut -d' ' -f1-3 /proc/loadavg)" >> "$RAW/env.tsv"
echo "runtime_s	$((SECONDS - T_START))" >> "$RAW/env.tsv"
echo "quiet_wait_s	$QUIET_SPENT" >> "$RAW/env.tsv"
echo "retried_units	$RETRIED" >> "$RAW/env.tsv"
echo "retry_s	$RETRY_SPENT" >> "$RAW/env.tsv"
echo "disturb_pct	$DISTURB_PCT" >> "$RAW/env.tsv"
"$HERE/report.sh" "$RAW" > "$RESULTS.tmp" && mv "$RESULTS.tmp" "$RESULTS" ||
	die "report failed (raw data kept in $RAW)"
log "done in $((SECONDS - T_START)) s: $RESULTS"
