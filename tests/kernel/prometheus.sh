#!/bin/sh
# --prometheus: a real Prometheus (the Debian package's binary) scrapes rxlat
# every second while N packets go to a receiver. Through Prometheus's own
# query API, the delivered counter must be N and histogram_quantile() of the
# total stage must land where rxlat's own final p99 is (see the tolerance
# below). Skips where Prometheus cannot be had (no apt, no network: the VM
# guests).
. "$(dirname "$0")/../lib.sh"
need_root
"$RXLAT" --help 2>/dev/null | grep -q -- '--prometheus' || skip "rxlat has no --prometheus option"

UDP=47301 MPORT=47302 PPORT=47303 N=500
PROM_URL=http://127.0.0.1:$PPORT

# Debian's prometheus binary: installed, cached, or unpacked from the archive
# (apt-get download + dpkg-deb -x, so no service is installed or started).
prom_bin() {
	command -v prometheus 2>/dev/null && return 0
	_c=${RXLAT_TEST_CACHE:-/var/cache/rxlat-test}/prometheus
	_b=$_c/root/usr/bin/prometheus
	[ -x "$_b" ] && { echo "$_b"; return 0; }
	command -v apt-get > /dev/null 2>&1 && command -v dpkg-deb > /dev/null 2>&1 || return 1
	mkdir -p "$_c/debs" || return 1
	_dl() { (cd "$_c/debs" && apt-get -q -o APT::Sandbox::User=root download prometheus); }
	if ! _dl > "$WORK/apt.log" 2>&1; then
		# a fresh machine may have no package lists yet
		ls /var/lib/apt/lists/*_Packages > /dev/null 2>&1 && return 1
		apt-get -q update >> "$WORK/apt.log" 2>&1 && _dl >> "$WORK/apt.log" 2>&1 || return 1
	fi
	_deb=$(ls -t "$_c"/debs/prometheus_*.deb 2>/dev/null | head -n 1)
	[ -n "$_deb" ] && dpkg-deb -x "$_deb" "$_c/root" && [ -x "$_b" ] && echo "$_b"
}

# http_get URL FILE: curl or busybox wget; fails on HTTP errors.
http_get() {
	if command -v curl > /dev/null 2>&1; then
		curl -fsS -m 5 -o "$2" "$1"
	else
		wget -q -T 5 -O "$2" "$1"
	fi
}

# The query's URL encoding, in awk (no jq, no python in the guests).
urlencode() {
	printf '%s' "$1" | awk 'BEGIN { for (i = 0; i < 256; i++) ord[sprintf("%c", i)] = i }
	{
		if (NR > 1) printf "%%0A"
		for (i = 1; i <= length($0); i++) {
			c = substr($0, i, 1)
			if (c ~ /[A-Za-z0-9_.~-]/) printf "%s", c
			else printf "%%%02X", ord[c]
		}
	}'
}

# query EXPR: the value of the first sample of an instant query ("" if none).
query() {
	http_get "$PROM_URL/api/v1/query?query=$(urlencode "$1")" "$WORK/q.json" || return 1
	[ "$("$BIN/jsonq" "$WORK/q.json" status)" = success ] || return 1
	_v=$("$BIN/jsonq" "$WORK/q.json" data.result.0.value.1)
	[ "$_v" = missing ] && _v=""
	echo "$_v"
}

command -v curl > /dev/null 2>&1 || command -v wget > /dev/null 2>&1 || skip "neither curl nor wget"
PROM=$(prom_bin) || skip "Prometheus not installable (package prometheus; see $WORK/apt.log)"
log "prometheus: $PROM"

bg "$WORK/sink" "$BIN/udp_sink" -q -r 4194304 -n $N -t 30 -R "$WORK/ready" 127.0.0.1 $UDP
SINK=$BG_PID
wait_for "$WORK/ready" 10 || { fail "sink not ready"; done_test; }
rxlat_start "$WORK/rx" -j -P $UDP --prometheus 127.0.0.1:$MPORT || done_test

cat > "$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
scrape_configs:
  - job_name: rxlat
    static_configs:
      - targets: ['127.0.0.1:$MPORT']
EOF
bg "$WORK/prom" "$PROM" --config.file="$WORK/prometheus.yml" \
	--storage.tsdb.path="$WORK/tsdb" --web.listen-address=127.0.0.1:$PPORT --log.level=warn
PROM_PID=$BG_PID
i=0
until http_get "$PROM_URL/-/ready" "$WORK/ready.txt" 2> /dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ] || ! kill -0 $PROM_PID 2> /dev/null; then
		fail "prometheus did not start: $(tail -n 3 "$WORK/prom.err")"
		done_test
	fi
	sleep 0.2
done

"$BIN/udp_blast" -n $N -s 64 -r 5000 127.0.0.1 $UDP > /dev/null || fail "blast"
wait_pid $SINK 20
check "receiver read everything" "$(sink_count "$WORK/sink")" -eq $N

# Until a scrape shows every packet, then two more scrapes (1 s apart).
i=0
while [ "$(query 'rxlat_packets_total{outcome="delivered"}')" != $N ] && [ $i -lt 60 ]; do
	sleep 0.5
	i=$((i + 1))
done
sleep 2.5
check "scrapes so far" "$(query 'count_over_time(up{job="rxlat"}[5m])')" -ge 2
check "target up" "$(query 'up{job="rxlat"}')" -eq 1
DELIVERED=$(query 'rxlat_packets_total{outcome="delivered"}')
SEEN=$(query 'rxlat_packets_seen_total')
COUNT=$(query 'rxlat_stage_seconds_count{stage="total"}')
INF=$(query 'rxlat_stage_seconds_bucket{stage="total",le="+Inf"}')
P99=$(query 'histogram_quantile(0.99, rxlat_stage_seconds_bucket{stage="total"})')
http_get "http://127.0.0.1:$MPORT/metrics" "$WORK/metrics.txt" || fail "GET /metrics"
http_get "http://127.0.0.1:$MPORT/nothing" "$WORK/404.txt" 2> /dev/null &&
	fail "GET /nothing did not fail (404 expected)"
rxlat_stop

check "delivered in Prometheus" "$DELIVERED" -eq $N
check "seen in Prometheus" "$SEEN" -eq $N
check "delivered in rxlat's JSON" "$(jq_final "$WORK/rx" packets.delivered)" -eq $N
check "total count in Prometheus = JSON" "$COUNT" -eq "$(jq_final "$WORK/rx" stages.total.count)"
check "+Inf bucket = count" "$INF" -eq "$COUNT"
check "/metrics has a TYPE line per family" \
	"$(grep -c '^# TYPE rxlat_' "$WORK/metrics.txt")" -ge 7

# rxlat's p99 against Prometheus's. Both take rank r = ceil(0.99 n)
# (Prometheus searches rank 0.99 n, and cumulative counts are integers).
# rxlat reports the midpoint of the log-linear bucket k holding rank r.
# The exported bucket le=L counts every log-linear bucket that lies wholly
# at or below L, so Prometheus interpolates inside the le bucket (L', L] with
# L the first bound at or above bucket k's top: L' < its answer <= L, and
# rxlat's p99 <= L. Its p99 is above L' too, unless bucket k straddles L';
# then it may lie below L' by less than that bucket's width, at most L'/64.
# So: L'(1 - 1/64) < rxlat's p99 <= L, for the (L', L] Prometheus chose.
MINE=$(jq_final "$WORK/rx" stages.total.p99_ns)
log "p99: rxlat $MINE ns, Prometheus $P99 s"
verdict=$(awk -v q="$P99" -v v="$MINE" 'BEGIN {
	n = split("1e3 2e3 5e3 1e4 2e4 5e4 1e5 2e5 5e5 1e6 2e6 5e6 1e7 2e7 5e7 1e8 2e8 5e8 1e9", le, " ")
	if (q == "" || v == "") { print "missing"; exit }
	qn = q * 1e9
	lo = 0
	for (i = 1; i <= n; i++) {
		if (qn <= le[i] * (1 + 1e-9)) break
		lo = le[i]
	}
	if (i > n) { print "above 1 s"; exit }
	hi = le[i]
	if (qn <= lo) { print "Prometheus answered on a bucket edge " qn; exit }
	if (v + 0 > hi) { print "rxlat p99 " v " above the bucket (" lo ", " hi "]"; exit }
	if (v * 64 <= lo * 63) { print "rxlat p99 " v " below the bucket (" lo ", " hi "]"; exit }
	print "ok"
}')
check "p99 within Prometheus's bucket (tolerance: one log-linear bucket)" \
	"$([ "$verdict" = ok ] && echo 1 || { log "$verdict"; echo 0; })" -eq 1
kill $PROM_PID 2> /dev/null
done_test
