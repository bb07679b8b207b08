# Shared helpers for rxlat's kernel tests. POSIX sh: the same tests run on
# the host and in busybox guests (make vmtest), so no bash, no python, no jq.
# Sourced by each test script; a test exits 0 (pass), 1 (fail) or 77 (skip).

ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
BIN=${BIN:-$ROOT/.output/bin}
RXLAT=${RXLAT:-$ROOT/rxlat}
# The VM matrix forces a hook family for every rxlat started by a test.
RXLAT_HOOKS=${RXLAT_HOOKS:-auto}
TEST_NAME=${TEST_NAME:-$(basename "$0" .sh)}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/rxlat-test.XXXXXX")
# Namespaces and processes this test made; cleanup removes exactly these.
NS_MADE=""
PIDS_STARTED=""
FAILURES=0

log() { echo "[$TEST_NAME] $*" >&2; }

cleanup() {
	for p in $PIDS_STARTED; do
		kill "$p" 2>/dev/null
	done
	for p in $PIDS_STARTED; do
		wait "$p" 2>/dev/null
	done
	for n in $NS_MADE; do
		"$BIN/nsctl" del -f "$n" 2>/dev/null
	done
	if [ "${KEEP_WORK:-0}" = 1 ] || [ "$FAILURES" -gt 0 ]; then
		log "work files kept in $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
	log "FAIL: $*"
	FAILURES=$((FAILURES + 1))
}

skip() {
	log "SKIP: $*"
	echo "$*" > "$WORK/skip-reason" 2>/dev/null
	SKIP_REASON="$*"
	exit 77
}

# check NAME ACTUAL OP EXPECTED   (OP: -eq -ne -lt -le -gt -ge)
# timing_check: like check, for bounds on absolute times. Those hold on real
# CPUs; a TCG guest (make vmtest sets RXLAT_TCG=1) runs kernel code 10-50x
# slower and the bounds there mean nothing, so the values are only logged.
timing_check() {
	if [ "${RXLAT_TCG:-0}" = 1 ]; then
		log "not judged in a TCG guest: $1 ($2 $3 $4)"
		return 0
	fi
	check "$@"
}

check() {
	if [ -z "$2" ] || [ -z "$4" ]; then
		fail "$1: missing value (got '$2' $3 '$4')"
		return 1
	fi
	if [ "$2" "$3" "$4" ] 2>/dev/null; then
		log "ok: $1 ($2 $3 $4)"
		return 0
	fi
	fail "$1: expected $2 $3 $4"
	return 1
}

done_test() {
	[ "$FAILURES" -eq 0 ] && exit 0
	# The books of every rxlat run the test kept: enough to tell a miscount
	# from a missed hook where the work files are gone (VM guests, CI).
	for _f in "$WORK"/rx*; do
		[ -f "$_f" ] || continue
		_b=$(grep '"final":true' "$_f" 2>/dev/null | tail -n 1 |
			sed -n 's/.*"packets":\({[^}]*}\).*/\1/p')
		[ -n "$_b" ] && echo "[$TEST_NAME] books of $(basename "$_f"): $_b" >&2
	done
	# and what the helpers said
	for _f in "$WORK"/*.err; do
		[ -s "$_f" ] || continue
		tail -n 5 "$_f" | sed "s|^|[$TEST_NAME] $(basename "$_f"): |" >&2
	done
	exit 1
}

# kernel_before MAJOR MINOR: true if the running kernel is older.
kernel_before() {
	_r=$(uname -r)
	_maj=${_r%%.*} _rest=${_r#*.}
	_min=${_rest%%[!0-9]*}
	[ "$_maj" -lt "$1" ] || { [ "$_maj" -eq "$1" ] && [ "$_min" -lt "$2" ]; }
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root"
}

# ns_new VAR SUFFIX: a namespace with a unique name in $VAR, recorded for
# cleanup (not via $(...): a subshell could not record it).
ns_new() {
	_n="rxt-$$-$2"
	"$BIN/nsctl" add "$_n" >&2 || { fail "cannot create namespace $_n"; return 1; }
	NS_MADE="$NS_MADE $_n"
	eval "$1=\$_n"
}

# Two namespaces joined by a veth pair: sets NS_A, NS_B, ADDR_A, ADDR_B,
# ADDR6_A, ADDR6_B. $1 picks a distinct subnet per test.
ns_pair() {
	ns_new NS_A a && ns_new NS_B b || return 1
	"$BIN/nsctl" veth "$NS_A" veth0 "$NS_B" veth0 >&2 || { fail "veth"; return 1; }
	ADDR_A=10.99.$1.1 ADDR_B=10.99.$1.2
	ADDR6_A=fd99:$1::1 ADDR6_B=fd99:$1::2
	"$BIN/nsctl" addr "$NS_A" veth0 "$ADDR_A/24" >&2 &&
	"$BIN/nsctl" addr "$NS_B" veth0 "$ADDR_B/24" >&2 &&
	"$BIN/nsctl" addr "$NS_A" veth0 "$ADDR6_A/64" >&2 &&
	"$BIN/nsctl" addr "$NS_B" veth0 "$ADDR6_B/64" >&2 || { fail "addresses"; return 1; }
}

in_ns() {
	_ns=$1
	shift
	if [ "$_ns" = - ]; then
		"$@"
	else
		"$BIN/nsctl" exec "$_ns" "$@"
	fi
}

# bg OUTFILE CMD...: start in the background, remember the pid in $BG_PID.
bg() {
	_out=$1
	shift
	"$@" > "$_out" 2> "$_out.err" &
	BG_PID=$!
	PIDS_STARTED="$PIDS_STARTED $BG_PID"
}

# wait_for FILE SECONDS [PATTERN]: until FILE exists (and holds PATTERN).
wait_for() {
	_i=0
	while [ "$_i" -lt $(($2 * 20)) ]; do
		if [ -e "$1" ] && { [ -z "${3:-}" ] || grep -q "$3" "$1" 2>/dev/null; }; then
			return 0
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}

# wait_pid PID SECONDS: wait for a process we started; its status in $WAIT_STATUS.
wait_pid() {
	_i=0
	while kill -0 "$1" 2>/dev/null && [ "$_i" -lt $(($2 * 20)) ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		WAIT_STATUS=timeout
		return 1
	fi
	wait "$1"
	WAIT_STATUS=$?
	return 0
}

# rxlat_start OUT ARGS...: rxlat in the background, returns once attached.
rxlat_start() {
	_out=$1
	shift
	bg "$_out" "$RXLAT" --hooks "$RXLAT_HOOKS" "$@"
	RXLAT_PID=$BG_PID
	if ! wait_for "$_out.err" 20 "rxlat: \(running\|Ctrl-C to end\)"; then
		fail "rxlat did not start: $(cat "$_out.err")"
		return 1
	fi
}

# rxlat_stop: SIGINT, wait, require exit 0.
rxlat_stop() {
	kill -INT "$RXLAT_PID" 2>/dev/null
	wait_pid "$RXLAT_PID" 20
	check "rxlat exit status" "$WAIT_STATUS" = 0 || true
}

# JSON helpers over rxlat -j output.
jq_final() { "$BIN/jsonq" -w type=summary -w final=true "$1" "$2"; }
jq_count() { "$BIN/jsonq" -c "$@"; }

# The last field of udp_sink's summary line: received N bytes B
sink_count() { awk '/^received /{print $2}' "$1"; }

# Tests that must not lose packets give receivers a large buffer (-r), so
# that a slow moment of the machine does not drop what the test counts.
