#!/bin/sh
# Run rxlat's test suite: unit tests, then kernel tests with real traffic.
# Prints one RESULT line per test and a closing "N passed, N failed" line;
# exits non-zero if anything failed. POSIX sh (runs in busybox guests too).
#   tests/run.sh [NAME...]      only tests whose name contains NAME
# Environment: RXLAT_HOOKS=auto|fentry|kprobe|tracepoint, TEST_TIMEOUT=s
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
export ROOT
BIN=${BIN:-$ROOT/.output/bin}
export BIN
TEST_TIMEOUT=${TEST_TIMEOUT:-120}
LOGDIR=${LOGDIR:-${TMPDIR:-/tmp}/rxlat-tests}
mkdir -p "$LOGDIR"

passed=0 failed=0 skipped=0
failed_names=""

selected() {
	[ $# -eq 0 ] && return 0
	for pat in $SELECT; do
		case "$1" in *"$pat"*) return 0 ;; esac
	done
	return 1
}
SELECT="$*"
# Namespaces already there (another user's) are none of the suite's business.
NS_BEFORE=$(ls /run/netns 2>/dev/null | grep '^rxt-' | sort | tr '\n' ' ')

# record NAME STATUS LOG
record() {
	case $2 in
	0) passed=$((passed + 1)); echo "RESULT $1 pass" ;;
	77) skipped=$((skipped + 1))
	    echo "RESULT $1 skip $(grep 'SKIP:' "$3" | tail -n 1 | sed 's/.*SKIP: //')" ;;
	*) failed=$((failed + 1)); failed_names="$failed_names $1"
	   echo "RESULT $1 fail (status $2; log $3)"
	   sed 's/^/    /' "$3" | tail -n 40 ;;
	esac
}

for t in "$BIN"/test_*; do
	[ -x "$t" ] || continue
	name=unit/$(basename "$t")
	[ -n "$SELECT" ] && ! selected "$name" $SELECT && continue
	log=$LOGDIR/$(basename "$t").log
	timeout "$TEST_TIMEOUT" "$t" > "$log" 2>&1
	record "$name" $? "$log"
done

for t in "$ROOT"/tests/kernel/*.sh; do
	name=kernel/$(basename "$t" .sh)
	[ -n "$SELECT" ] && ! selected "$name" $SELECT && continue
	log=$LOGDIR/$(basename "$t" .sh).log
	TEST_NAME=$(basename "$t" .sh) timeout "$TEST_TIMEOUT" sh "$t" > "$log" 2>&1
	record "$name" $? "$log"
done

# The suite must leave no namespaces of its own behind.
if [ -z "$SELECT" ]; then
	left=0
	for n in $(ls /run/netns 2>/dev/null | grep '^rxt-'); do
		case " $NS_BEFORE " in *" $n "*) ;; *) left=$((left + 1)) ;; esac
	done
	if [ "$left" -eq 0 ]; then
		passed=$((passed + 1)); echo "RESULT hygiene/namespaces pass"
	else
		failed=$((failed + 1)); echo "RESULT hygiene/namespaces fail ($left rxt-* namespaces left)"
	fi
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
