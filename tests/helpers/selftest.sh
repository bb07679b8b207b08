#!/bin/sh
# selftest.sh [BINDIR]: checks jsonq on hand-written JSON lines and, as root,
# nsctl on real namespaces (two joined by a veth pair, then a routed chain
# of three). POSIX sh, busybox-friendly. Exits 0 if all passed.
# Namespaces are named rxt-helper-PID-*, and all are deleted at the end.
BIN=${1:-$(cd "$(dirname "$0")/../.." && pwd)/.output/bin}
J=$BIN/jsonq
N=$BIN/nsctl
T=$(mktemp -d "${TMPDIR:-/tmp}/rxlat-helpers.XXXXXX")
NS_PREFIX=rxt-helper-$$
FAILED=0
TAB=$(printf '\t')

cleanup() {
	for n in a b r; do
		"$N" del -f "$NS_PREFIX-$n" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; FAILED=$((FAILED + 1)); }

# expect NAME WANT CMD...: CMD's standard output must be WANT.
expect() {
	_name=$1 _want=$2
	shift 2
	_got=$("$@" 2>"$T/err")
	if [ "$_got" = "$_want" ]; then ok "$_name"; else bad "$_name: got '$_got' want '$_want' ($(cat "$T/err"))"; fi
}

# status NAME WANT CMD...: CMD's exit status must be WANT.
status() {
	_name=$1 _want=$2
	shift 2
	"$@" >"$T/out" 2>"$T/err"
	_st=$?
	if [ "$_st" = "$_want" ]; then ok "$_name"; else bad "$_name: status $_st, want $_want ($(cat "$T/err"))"; fi
}

# ---- jsonq -----------------------------------------------------------------
cat >"$T/s.jsonl" <<'EOF'
{"type":"packet","family":4,"netns":4026531840,"total_ns":18446744073709551615,"neg":-9223372036854775808,"big":123456789012345678901234567890,"f":1.50e3,"len":100}
{"type":"summary","final":false,"packets":{"seen":10,"delivered":9},"stages":{"total":{"p50_ns":1234,"count":9}},"hist":[[0,1],[1,5]]}
this line is not JSON
{"type":"summary","final":true,"packets":{"seen":10,"delivered":10},"stages":{"total":{"p50_ns":1500,"count":10}},"hist":[[0,1],[1,5],[2,7]],"s":"q\"b\\s\/e\u00e9\ud83d\ude00","o":{"x":[1,{"y":null}],"e":{},"a":[]},"dup":1,"dup":2}
  { "type" : "packet" , "family" : 6 , "netns" : 4026531840 , "total_ns" : 5 }  
[1,2]
{"type":"packet","trailing":1,}
EOF
expect "count all objects" 4 "$J" -c "$T/s.jsonl"
expect "count packets" 2 "$J" -c -w type=packet "$T/s.jsonl"
expect "count final summaries" 1 "$J" -c -w type=summary -w final=true "$T/s.jsonl"
expect "nested path" 10 "$J" -w final=true "$T/s.jsonl" packets.delivered
expect "several paths" "1234${TAB}9${TAB}5${TAB}missing" \
	"$J" -w final=false "$T/s.jsonl" stages.total.p50_ns packets.delivered hist.1.1 hist.5
expect "64-bit integers exact" "18446744073709551615${TAB}-9223372036854775808${TAB}123456789012345678901234567890" \
	"$J" -w family=4 "$T/s.jsonl" total_ns neg big
expect "numbers as written" 1.50e3 "$J" -w family=4 "$T/s.jsonl" f
expect "filter on a big integer" 1 "$J" -c -w total_ns=18446744073709551615 "$T/s.jsonl"
expect "filter on a nested value" 1 "$J" -c -w packets.seen=10 -w packets.delivered=9 "$T/s.jsonl"
expect "whitespace around tokens" 6 "$J" -w total_ns=5 "$T/s.jsonl" family
expect "escapes decoded" 'q"b\s/eé😀' "$J" -w final=true "$T/s.jsonl" s
expect "containers as compact JSON" '{"x":[1,{"y":null}],"e":{},"a":[]}' "$J" -w final=true "$T/s.jsonl" o
expect "null inside" null "$J" -w final=true "$T/s.jsonl" o.x.1.y
expect "last duplicate wins" 2 "$J" -w final=true "$T/s.jsonl" dup
expect "filter on missing" 4 "$J" -c -w nothere=missing "$T/s.jsonl"
expect "whole object" '{"type":"packet","family":6,"netns":4026531840,"total_ns":5}' \
	"$J" -w family=6 "$T/s.jsonl"
expect "stdin" 2 sh -c "\"$J\" -c -w type=summary - < \"$T/s.jsonl\""
status "-S stops at line 3" 1 "$J" -S "$T/s.jsonl" type
status "-v rejects the sample" 1 "$J" -v "$T/s.jsonl"
status "usage error" 2 "$J" -c "$T/s.jsonl" type
status "missing file" 1 "$J" -c "$T/nonexistent"

printf '%s\n' '{"a":[1,2,{"b":"c"}],"d":-0.5e-3,"e":"\u0000 \b\f\n\r\t"}' '{}' \
	'{"x":true,"y":false,"z":null}' >"$T/good.jsonl"
status "-v accepts valid lines" 0 "$J" -v "$T/good.jsonl"
# Each of these lines must be rejected by -v.
while IFS= read -r line; do
	printf '%s\n' "$line" >"$T/one"
	status "-v rejects $line" 1 "$J" -v "$T/one"
done <<'EOF'
[1,2]
{"a":1,}
{"a":[1,]}
{"a":01}
{"a":1.}
{"a":.5}
{"a":+1}
{"a":NaN}
{"a":"\x"}
{"a":"\u12G4"}
{"a":"\ud800"}
{"a":1}{}
{"a":1
{a:1}
{'a':1}

EOF
printf '{"a":"\001"}\n' >"$T/one"
status "-v rejects a raw control character" 1 "$J" -v "$T/one"
printf '{"a":"\377"}\n' >"$T/one"
status "-v rejects invalid UTF-8" 1 "$J" -v "$T/one"
printf '{"a":"\300\200"}\n' >"$T/one"
status "-v rejects overlong UTF-8" 1 "$J" -v "$T/one"
expect "-v names the line" "jsonq: line 2: column 8: trailing comma in object" \
	sh -c "printf '{}\n{\"a\":1,}\n' | \"$J\" -v - 2>&1"

# ---- nsctl -----------------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "skip: nsctl tests need root"
else
	A=$NS_PREFIX-a B=$NS_PREFIX-b R=$NS_PREFIX-r
	if command -v ping >/dev/null; then PING=ping; else PING="busybox ping"; fi
	status "add A" 0 "$N" add "$A"
	status "add B" 0 "$N" add "$B"
	status "add A again fails" 1 "$N" add "$A"
	expect "list" "$A" sh -c "\"$N\" list | grep -x '$A'"
	status "lo is up" 0 "$N" exec "$A" $PING -c1 -W2 127.0.0.1
	expect "inode is net->ns.inum" "net:[$("$N" inode "$A")]" "$N" exec "$A" readlink /proc/self/ns/net
	status "veth" 0 "$N" veth "$A" veth0 "$B" veth0
	status "addr A v4" 0 "$N" addr "$A" veth0 10.77.0.1/24
	status "addr B v4" 0 "$N" addr "$B" veth0 10.77.0.2/24
	status "addr A v6" 0 "$N" addr "$A" veth0 fd77::1/64
	status "addr B v6" 0 "$N" addr "$B" veth0 fd77::2/64
	status "addr again fails" 1 "$N" addr "$A" veth0 10.77.0.1/24
	status "ping v4" 0 "$N" exec "$A" $PING -c1 -W2 10.77.0.2
	status "ping v6" 0 "$N" exec "$A" $PING -6 -c1 -W2 fd77::2
	status "down" 0 "$N" down "$B" veth0
	status "no ping when down" 1 "$N" exec "$A" $PING -c1 -W1 10.77.0.2
	status "up" 0 "$N" up "$B" veth0
	status "ping after up" 0 "$N" exec "$A" $PING -c1 -W2 10.77.0.2
	status "ifindex" 0 "$N" ifindex "$B" veth0
	status "ifindex of no link" 1 "$N" ifindex "$B" nosuch0
	status "del A" 0 "$N" del "$A"
	status "del B" 0 "$N" del "$B"
	status "del missing" 1 "$N" del "$A"
	status "del -f missing" 0 "$N" del -f "$A"

	# A <-> R <-> B, R forwarding.
	for n in "$A" "$R" "$B"; do
		status "add $n" 0 "$N" add "$n"
	done
	# R forwards for others from its link-local address, which stays unusable
	# through DAD (a second or two): no DAD on R's links, so no wait.
	status "no DAD in R" 0 "$N" sysctl "$R" net.ipv6.conf.default.accept_dad 0
	status "veth A-R" 0 "$N" veth "$A" eth0 "$R" eth0
	status "veth R-B" 0 "$N" veth "$R" eth1 "$B" eth0
	status "addrs" 0 sh -c "\"$N\" addr '$A' eth0 10.77.1.1/24 &&
		\"$N\" addr '$R' eth0 10.77.1.254/24 && \"$N\" addr '$R' eth1 10.77.2.254/24 &&
		\"$N\" addr '$B' eth0 10.77.2.1/24 && \"$N\" addr '$A' eth0 fd77:1::1/64 &&
		\"$N\" addr '$R' eth0 fd77:1::fe/64 && \"$N\" addr '$R' eth1 fd77:2::fe/64 &&
		\"$N\" addr '$B' eth0 fd77:2::1/64"
	status "forwarding v4" 0 "$N" sysctl "$R" net.ipv4.ip_forward 1
	status "forwarding v6" 0 "$N" sysctl "$R" net.ipv6.conf.all.forwarding 1
	expect "sysctl stays in R" 1 "$N" exec "$R" cat /proc/sys/net/ipv4/ip_forward
	expect "sysctl not in A" 0 "$N" exec "$A" cat /proc/sys/net/ipv4/ip_forward
	status "route A default" 0 "$N" route "$A" default 10.77.1.254
	status "route B to A's net" 0 "$N" route "$B" 10.77.1.0/24 10.77.2.254
	status "route A v6 default" 0 "$N" route "$A" default fd77:1::fe
	status "route B v6" 0 "$N" route "$B" fd77:1::/64 fd77:2::fe
	status "route with host bits fails" 1 "$N" route "$B" 10.77.1.1/24 10.77.2.254
	status "ping through R v4" 0 "$N" exec "$A" $PING -c1 -W2 10.77.2.1
	status "ping through R v6" 0 "$N" exec "$A" $PING -6 -c1 -W2 fd77:2::1
	for n in "$A" "$R" "$B"; do
		status "del $n" 0 "$N" del "$n"
	done
	expect "none left" "" sh -c "\"$N\" list | grep '^$NS_PREFIX-'"
fi

echo "selftest: $FAILED failed"
[ "$FAILED" -eq 0 ]
