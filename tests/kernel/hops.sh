#!/bin/sh
# A packet routed client -> router -> server over two veth pairs takes two
# receive passes: rxlat follows the same packet across them, times the
# forwarding and the crossing, and --netns keeps one namespace's view.
. "$(dirname "$0")/../lib.sh"
need_root

ns_new NS_C c && ns_new NS_R r && ns_new NS_S s || done_test
"$BIN/nsctl" sysctl "$NS_R" net.ipv6.conf.default.accept_dad 0 2>/dev/null
"$BIN/nsctl" veth "$NS_C" veth0 "$NS_R" veth-c >&2 &&
"$BIN/nsctl" veth "$NS_R" veth-s "$NS_S" veth0 >&2 &&
"$BIN/nsctl" addr "$NS_C" veth0 10.98.1.1/24 >&2 &&
"$BIN/nsctl" addr "$NS_R" veth-c 10.98.1.2/24 >&2 &&
"$BIN/nsctl" addr "$NS_R" veth-s 10.98.2.1/24 >&2 &&
"$BIN/nsctl" addr "$NS_S" veth0 10.98.2.2/24 >&2 &&
"$BIN/nsctl" route "$NS_C" 10.98.2.0/24 10.98.1.2 >&2 &&
"$BIN/nsctl" route "$NS_S" 10.98.1.0/24 10.98.2.1 >&2 &&
"$BIN/nsctl" sysctl "$NS_R" net.ipv4.ip_forward 1 >&2 || { fail "topology"; done_test; }
INO_R=$("$BIN/nsctl" inode "$NS_R")
INO_S=$("$BIN/nsctl" inode "$NS_S")

PORT=47311 N=300
bg "$WORK/sink" in_ns "$NS_S" "$BIN/udp_sink" -q -r 4194304 -n $N -t 30 -R "$WORK/ready" \
	10.98.2.2 $PORT
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
rxlat_start "$WORK/all" -j -e -P $PORT || done_test
ALL=$RXLAT_PID
rxlat_start "$WORK/server" -j -e -P $PORT --netns "$INO_S" || done_test
SRV=$RXLAT_PID
rxlat_start "$WORK/router" -j -P $PORT --netns "$INO_R" || done_test
RTR=$RXLAT_PID
in_ns "$NS_C" "$BIN/udp_blast" -n $N -s 200 -r 5000 10.98.2.2 $PORT > /dev/null
wait_pid $SINK 30
for p in $ALL $SRV $RTR; do RXLAT_PID=$p rxlat_stop; done

check "server got everything" "$(sink_count "$WORK/sink")" -eq $N
# The whole path: one packet, two passes, seen once.
check "all: seen once each" "$(jq_final "$WORK/all" packets.seen)" -eq $N
check "all: measured" "$(jq_final "$WORK/all" packets.measured)" -eq $N
check "all: two passes each" "$(jq_count -w type=packet -w passes=2 "$WORK/all")" -eq $N
check "all: first pass in the router's namespace" \
	"$(jq_count -w type=packet -w netns_first="$INO_R" "$WORK/all")" -eq $N
check "all: read in the server's namespace" \
	"$(jq_count -w type=packet -w netns="$INO_S" "$WORK/all")" -eq $N
check "all: nothing counted as forwarded" "$(jq_final "$WORK/all" packets.forwarded)" -eq 0
check "all: forward stage" "$(jq_final "$WORK/all" stages.forward.count)" -eq $N
check "all: crossing stage" "$(jq_final "$WORK/all" stages.crossing.count)" -eq $N
bad=$("$BIN/jsonq" -w type=packet "$WORK/all" driver_ns stack_ns socket_ns total_ns forward_ns \
	crossing_ns | awk -F'\t' '$1 + $2 + $3 != $4 || $5 + $6 > $2 || $5 <= 0 || $6 <= 0 { n++ }
	END { print n + 0 }')
check "all: stages add up, and forwarding plus crossing lie within stack" "$bad" -eq 0
# The server's namespace alone: the packets start there.
check "server ns: seen" "$(jq_final "$WORK/server" packets.seen)" -eq $N
check "server ns: one pass each" "$(jq_count -w type=packet -w passes=1 "$WORK/server")" -eq $N
# The router's namespace alone: every packet goes on, none is read there.
check "router ns: seen" "$(jq_final "$WORK/router" packets.seen)" -eq $N
check "router ns: forwarded" "$(jq_final "$WORK/router" packets.forwarded)" -eq $N
check "router ns: delivered" "$(jq_final "$WORK/router" packets.delivered)" -eq 0
check "router ns: books balance" "$(jq_final "$WORK/router" packets.balance)" -eq 0
done_test
