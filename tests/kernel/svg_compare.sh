#!/bin/sh
# --svg and `rxlat compare`: two sessions with interval summaries, each
# writing an SVG. The SVGs must be well-formed, self-contained XML and render
# in headless Chromium to a picture that is not blank (the screenshots stay
# in the work directory: KEEP_WORK=1 keeps it). `rxlat compare A B` must
# report exactly A, B, B-A and (B-A)/A of the fields of the two final JSON
# summaries, as text and with --json, and fail properly on bad input.
# Without xmllint/python3 or Chromium (the VM guests) those checks are
# skipped and said so; the rest still runs.
. "$(dirname "$0")/../lib.sh"
need_root
"$RXLAT" --help 2>/dev/null | grep -q -- '--svg' || skip "rxlat has no --svg option"
"$RXLAT" compare --help > /dev/null 2>&1 || skip "rxlat has no compare subcommand"

PORT=47311 N=600

# session NAME RATE SIZE: N packets at RATE per second, 1 s interval summaries.
session() {
	bg "$WORK/sink.$1" "$BIN/udp_sink" -q -r 4194304 -n $N -t 30 -R "$WORK/ready.$1" 127.0.0.1 $PORT
	_sink=$BG_PID
	wait_for "$WORK/ready.$1" 10 || { fail "$1: sink not ready"; return 1; }
	rxlat_start "$WORK/$1.json" -j -P $PORT --svg "$WORK/$1.svg" 1 || return 1
	"$BIN/udp_blast" -n $N -s "$3" -r "$2" 127.0.0.1 $PORT > /dev/null || fail "$1: blast"
	wait_pid $_sink 20
	sleep 1.2	# one more interval
	rxlat_stop
	check "$1: receiver read everything" "$(sink_count "$WORK/sink.$1")" -eq $N
	check "$1: final count" "$(jq_final "$WORK/$1.json" stages.total.count)" -eq $N
}
session a 300 64 || done_test
session b 200 1200 || done_test

# --- the pictures ---

xml_ok() {
	if command -v xmllint > /dev/null 2>&1; then
		xmllint --noout "$1"
	elif command -v python3 > /dev/null 2>&1; then
		python3 -c 'import sys, xml.dom.minidom; xml.dom.minidom.parse(sys.argv[1])' "$1"
	else
		return 77
	fi
}

# pngstat PNG: "WIDTH HEIGHT PIXELS NOT_LIKE_THE_CORNER DISTINCT_COLOURS(max 256)"
PNGSTAT=""
make_pngstat() {
	command -v cc > /dev/null 2>&1 || return 1
	cat > "$WORK/pngstat.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static unsigned long be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | p[2] << 8 | p[3];
}

static int paeth(int a, int b, int c)
{
	int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);

	return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

int main(int argc, char **argv)
{
	unsigned char *buf = NULL, *idat = NULL, *raw, *prev, *cur, colours[256][4];
	unsigned long n = 0, cap = 0, nidat = 0, pos = 8, w = 0, h = 0, stride, nonbg = 0;
	int depth = 0, ctype = -1, inter = 0, ch, ndistinct = 0;
	uLongf rawlen;
	size_t got;
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "rb")))
		return 2;
	do {
		if (n == cap && !(buf = realloc(buf, cap = cap ? 2 * cap : 65536)))
			return 2;
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	if (n < 8 || memcmp(buf, "\x89PNG\r\n\x1a\n", 8))
		return fprintf(stderr, "not a PNG\n"), 1;
	while (pos + 12 <= n) {
		unsigned long len = be32(buf + pos);
		const unsigned char *type = buf + pos + 4, *data = buf + pos + 8;

		if (len > n - pos - 12)
			return fprintf(stderr, "truncated chunk\n"), 1;
		if (!memcmp(type, "IHDR", 4) && len >= 13) {
			w = be32(data), h = be32(data + 4);
			depth = data[8], ctype = data[9], inter = data[12];
		} else if (!memcmp(type, "IDAT", 4)) {
			if (!(idat = realloc(idat, nidat + len)))
				return 2;
			memcpy(idat + nidat, data, len);
			nidat += len;
		} else if (!memcmp(type, "IEND", 4)) {
			break;
		}
		pos += 12 + len;
	}
	ch = ctype == 0 || ctype == 3 ? 1 : ctype == 4 ? 2 : ctype == 2 ? 3 : ctype == 6 ? 4 : 0;
	if (depth != 8 || inter || !ch || !w || !h || w > 20000 || h > 20000)
		return fprintf(stderr, "unsupported PNG (depth %d, type %d)\n", depth, ctype), 1;
	stride = w * ch;
	rawlen = (uLongf)(h * (stride + 1));
	raw = malloc(rawlen);
	prev = calloc(stride, 1);
	if (!raw || !prev || uncompress(raw, &rawlen, idat, nidat) != Z_OK ||
	    rawlen != h * (stride + 1))
		return fprintf(stderr, "bad image data\n"), 1;
	for (unsigned long y = 0; y < h; y++) {
		int ft = raw[y * (stride + 1)];

		cur = raw + y * (stride + 1) + 1;
		for (unsigned long x = 0; x < stride; x++) {
			int a = x >= (unsigned long)ch ? cur[x - ch] : 0, b = prev[x];
			int c = x >= (unsigned long)ch ? prev[x - ch] : 0;

			switch (ft) {
			case 0: break;
			case 1: cur[x] += a; break;
			case 2: cur[x] += b; break;
			case 3: cur[x] += (a + b) / 2; break;
			case 4: cur[x] += paeth(a, b, c); break;
			default: return fprintf(stderr, "bad filter %d\n", ft), 1;
			}
		}
		for (unsigned long x = 0; x < w; x++) {
			const unsigned char *px = cur + x * ch;
			int k;

			if (memcmp(px, raw + 1, ch))
				nonbg++;
			for (k = 0; k < ndistinct && memcmp(colours[k], px, ch); k++)
				;
			if (k == ndistinct && ndistinct < 256)
				memcpy(colours[ndistinct++], px, ch);
		}
		prev = cur;
	}
	printf("%lu %lu %lu %lu %d\n", w, h, w * h, nonbg, ndistinct);
	return 0;
}
EOF
	cc -O2 -o "$WORK/pngstat" "$WORK/pngstat.c" -lz 2> "$WORK/pngstat.err" || return 1
	PNGSTAT=$WORK/pngstat
}

CHROME=""
for c in chromium chromium-browser google-chrome chrome headless_shell; do
	if command -v $c > /dev/null 2>&1; then
		CHROME=$(command -v $c)
		break
	fi
done
[ -n "$CHROME" ] && { make_pngstat || log "no C compiler with zlib: PNG checks skipped"; }

for s in a b; do
	svg=$WORK/$s.svg
	check "$s: SVG written" "$([ -s "$svg" ] && echo 1 || echo 0)" -eq 1 || continue
	check "$s: XML declaration and <svg> root" \
		"$(head -n 2 "$svg" | grep -c '^<?xml version="1.0" encoding="UTF-8"?>$\|^<svg xmlns="http://www.w3.org/2000/svg"')" -eq 2
	check "$s: no scripts, links or external references" \
		"$(grep -ci '<script\|href=\|url(\|@import\|<foreignObject\|<image' "$svg")" -eq 0
	check "$s: percentiles drawn for the total stage" \
		"$(grep -c '<title>total p99: ' "$svg")" -eq 1
	check "$s: the over-time plot is there" "$(grep -c 'Per interval' "$svg")" -eq 1
	xml_ok "$svg"
	case $? in
	0) check "$s: well-formed XML" 1 -eq 1 ;;
	77) log "$s: neither xmllint nor python3: XML check skipped" ;;
	*) fail "$s: not well-formed XML" ;;
	esac
	if [ -z "$CHROME" ]; then
		log "$s: no Chromium: rendering skipped"
		continue
	fi
	height=$(sed -n 's/^<svg [^>]* height="\([0-9]*\)".*/\1/p' "$svg" | head -n 1)
	HOME=$WORK timeout 60 "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars \
		--no-first-run --user-data-dir="$WORK/chrome" --window-size="960,${height:-800}" \
		--screenshot="$WORK/$s.png" "file://$svg" > "$WORK/chrome.$s.log" 2>&1
	check "$s: Chromium rendered a screenshot" "$([ -s "$WORK/$s.png" ] && echo 1 || echo 0)" \
		-eq 1 || continue
	[ -n "$PNGSTAT" ] || continue
	# shellcheck disable=SC2046
	set -- $("$PNGSTAT" "$WORK/$s.png")
	log "$s: screenshot ${1}x$2, $4 of $3 pixels unlike the corner, ${5} colours (max 256)"
	check "$s: screenshot size" "${1:-0}" -eq 960
	check "$s: screenshot is not one colour" "${5:-0}" -ge 8
	check "$s: screenshot has ink on 0.5 % of it" "$((${4:-0} * 200))" -ge "${3:-1}"
done

# --- compare ---

"$RXLAT" compare "$WORK/a.json" "$WORK/b.json" > "$WORK/cmp.txt" 2> "$WORK/cmp.err"
check "compare: exit status" $? -eq 0
check "compare: nothing on stderr" "$(wc -c < "$WORK/cmp.err")" -eq 0
"$RXLAT" compare "$WORK/a.json" "$WORK/b.json" --json > "$WORK/cmp.json" 2> "$WORK/cmpj.err"
check "compare --json: exit status" $? -eq 0
check "compare --json: one valid JSON line" "$("$BIN/jsonq" -c "$WORK/cmp.json")" -eq 1

# text: the B-A column in usecs ("+1.234"), exactly, and (B-A)/A in % to 2 decimals
usecs() { awk -v d="$1" 'BEGIN { s = d < 0 ? "-" : "+"; a = d < 0 ? -d : d
	printf "%s%d.%03d\n", s, int(a / 1000), a % 1000 }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%+.2f%%\n", 100 * (b - a) / a }'; }
row() { awk -v st="$1" -v f="$2" -v col="$3" '$1 == st && $2 == f { print $col }' "$WORK/cmp.txt"; }

for st in total driver socket; do
	for f in count p50_ns p99_ns max_ns; do
		a=$(jq_final "$WORK/a.json" stages.$st.$f)
		b=$(jq_final "$WORK/b.json" stages.$st.$f)
		check "compare --json $st.$f: a" "$("$BIN/jsonq" "$WORK/cmp.json" stages.$st.$f.a)" -eq "$a"
		check "compare --json $st.$f: b" "$("$BIN/jsonq" "$WORK/cmp.json" stages.$st.$f.b)" -eq "$b"
		check "compare --json $st.$f: diff = b - a" \
			"$("$BIN/jsonq" "$WORK/cmp.json" stages.$st.$f.diff)" -eq $((b - a))
		label=${f%_ns}
		if [ "$f" = count ]; then
			want=$(printf '%+d' $((b - a)))
		else
			want=$(usecs $((b - a)))
		fi
		check "compare text $st $label: B-A" "$(row $st $label 5)" = "$want"
		[ "$a" -gt 0 ] && check "compare text $st $label: B-A %" "$(row $st $label 6)" = "$(pct "$a" "$b")"
	done
done
a=$(jq_final "$WORK/a.json" packets.delivered)
b=$(jq_final "$WORK/b.json" packets.delivered)
check "compare --json packets.delivered diff" \
	"$("$BIN/jsonq" "$WORK/cmp.json" packets.delivered.diff)" -eq $((b - a))
check "compare text packets delivered" \
	"$(awk '$1 == "delivered" { print $2 "/" $3 }' "$WORK/cmp.txt")" = "$a/$b"

# bad input: one line on stderr; 1 for files, 2 for usage
bad() {
	want=$1
	shift
	"$RXLAT" compare "$@" > "$WORK/bad.out" 2> "$WORK/bad.err"
	st=$?
	check "compare $*: exit status" "$st" -eq "$want"
	check "compare $*: one line on stderr" "$(wc -l < "$WORK/bad.err")" -eq 1
	check "compare $*: nothing on stdout" "$(wc -c < "$WORK/bad.out")" -eq 0
}
bad 1 "$WORK/a.json" "$WORK/missing.json"
bad 1 "$WORK/sink.a" "$WORK/b.json"
bad 1 "$WORK" "$WORK/b.json"
bad 2 "$WORK/a.json"
bad 2 "$WORK/a.json" "$WORK/b.json" "$WORK/b.json"
bad 2 --bogus "$WORK/a.json" "$WORK/b.json"
done_test
