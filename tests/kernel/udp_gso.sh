#!/bin/sh
# UDP GSO over loopback: every send() carries 8 datagrams in one packet.
#  - a UDP_GRO socket reads each packet whole: one record per packet, with
#    its 8 segments and all their bytes;
#  - a plain socket gets the packet cut into its datagrams at the socket,
#    read one at a time and by recvmmsg in batches of 64: one record per
#    datagram, each with the packet's driver and stack stamps, the extra
#    datagrams counted as splits.
. "$(dirname "$0")/../lib.sh"
need_root

PORT=47371 SENDS=100 SEGS=8 SEG=1000
N=$((SENDS * SEGS))
for mode in udp_gro recvmsg recvmmsg; do
	case $mode in
	udp_gro) args="-U" ;;
	recvmsg) args="-m recvmsg" ;;
	recvmmsg) args="-m recvmmsg -b 64" ;;
	esac
	rm -f "$WORK/ready"
	# shellcheck disable=SC2086
	bg "$WORK/sink.$mode" "$BIN/udp_sink" $args -q -r 8388608 -n $N -t 20 -R "$WORK/ready" \
		127.0.0.1 $PORT
	SINK=$BG_PID
	wait_for "$WORK/ready" 10 || { fail "$mode: sink not ready"; continue; }
	rxlat_start "$WORK/rx.$mode" -j -e -P $PORT || continue
	# each send() is a burst of 8 datagrams
	"$BIN/udp_blast" -n $N -s $((SEG * SEGS)) -G $SEG -r 2000 127.0.0.1 $PORT > /dev/null
	wait_pid $SINK 20
	rxlat_stop
	rx=$WORK/rx.$mode
	check "$mode: receiver" "$(sink_count "$WORK/sink.$mode")" -eq $N
	# Before 5.11 loopback has no UDP GSO offload: the kernel cuts each send
	# into its datagrams before transmitting, and they arrive one by one.
	seen=$(jq_final "$rx" packets.seen)
	if [ "$seen" = $N ] && [ $mode = udp_gro ]; then
		log "the kernel cut the GSO sends before loopback (no UDP GSO offload): $N packets arrive"
		whole=0
	elif [ "$seen" = $N ] && [ "${whole:-1}" = 0 ]; then
		:
	else
		check "$mode: seen = sends" "$seen" -eq $SENDS
		whole=1
	fi
	check "$mode: books balance" "$(jq_final "$rx" packets.balance)" -eq 0
	check "$mode: nothing in flight" "$(jq_final "$rx" packets.in_flight)" -eq 0
	check "$mode: no untracked reads" "$(jq_final "$rx" packets.untracked_reads)" -eq 0
	check "$mode: bytes in the records" \
		"$("$BIN/jsonq" -w type=packet "$rx" pkt_len | awk '{ s += $1 } END { print s + 0 }')" \
		-eq $((N * SEG))
	check "$mode: every record has driver and stack stages" \
		"$("$BIN/jsonq" -w type=packet "$rx" driver_ns stack_ns | awk -F'\t' '
		$1 == "null" || $2 == "null" || $1 < 0 || $2 < 0 { n++ } END { print n + 0 }')" -eq 0
	if [ "$whole" = 0 ]; then
		check "$mode: one record per datagram" \
			"$(jq_count -w type=packet -w segs=1 -w pkt_len=$SEG "$rx")" -eq $N
		check "$mode: no splits" "$(jq_final "$rx" packets.splits)" -eq 0
		check "$mode: delivered" "$(jq_final "$rx" packets.delivered)" -eq $N
	elif [ $mode = udp_gro ]; then
		check "$mode: one record per send" "$(jq_count -w type=packet "$rx")" -eq $SENDS
		check "$mode: each with its segments" \
			"$(jq_count -w type=packet -w segs=$SEGS -w pkt_len=$((SEG * SEGS)) "$rx")" -eq $SENDS
		check "$mode: no splits" "$(jq_final "$rx" packets.splits)" -eq 0
	else
		check "$mode: one record per datagram" \
			"$(jq_count -w type=packet -w segs=1 -w pkt_len=$SEG "$rx")" -eq $N
		check "$mode: splits" "$(jq_final "$rx" packets.splits)" -eq $((N - SENDS))
		check "$mode: delivered" "$(jq_final "$rx" packets.delivered)" -eq $N
	fi
done
done_test
