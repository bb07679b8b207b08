#!/bin/sh
# vmtest.sh [KERNEL_ID...]     (`make vmtest`, after `make static`, `make -C tests`)
#
# rxlat's test suite on every kernel of kernels.conf, under qemu (TCG):
#  1. builds a payload: the static rxlat (.output/static/rxlat), the static
#     binaries of .output/bin (unit tests, helpers, traffic tools),
#     tests/run.sh, lib.sh, kernel/*.sh, suite/guest-run and its vmtest.conf,
#     and the host tools some tests use when present (prlimit, bpftool) with
#     their shared libraries;
#  2. runs matrix.sh over the kernels (two qemus at a time, each under a
#     timeout); in each guest, suite/guest-run runs the whole suite with
#     --hooks auto and the subset with each forced family;
#  3. checks every kernel x family: "auto" must report every test run.sh
#     runs on the host, each forced family every test of the subset; a
#     missing result is a failure, as is a kernel that did not report;
#  4. writes RESULTS_DIR/matrix.md (the README table; readme-table.sh puts it
#     into README.md) and RESULTS_DIR/results.tsv, one line per result:
#     kernel <TAB> family <TAB> test <TAB> pass|fail|skip|missing <TAB> reason
# Exits 0 only when every kernel reported and nothing failed or is missing.
#
# Environment (besides what matrix.sh and run-kernel.sh read):
#   RESULTS_DIR      default .output/vmtest
#   RXLAT_BIN        the rxlat for the guests (default .output/static/rxlat)
#   VMTEST_FAMILIES  default "auto fentry kprobe tracepoint"
#   VMTEST_SUBSET    tests of tests/kernel/ run with each forced family
#   VMTEST_TOOLS     host tools bundled when found (default prlimit ethtool; add bpftool
#                    for leftovers.sh, about 2 min more per kernel under TCG)
#   TEST_TIMEOUT     per test in the guest (default 300 s; TCG is slow)
#   RXLAT_VM_JOBS    kernels booted at once (default 2, see matrix.sh)
#   RXLAT_VM_ACCEL   qemu -accel (default tcg,thread=single, see below)
#   RXLAT_VM_TIMEOUT per kernel, whole qemu run (default 840 s)
#   VMTEST_RUN_BROKEN=1  run a family's tests even where rxlat cannot load
#                    at all (by default they fail at once, "not run")
#   VMTEST_CHECK_ONLY=1  redo steps 3-4 on the logs already in RESULTS_DIR
#   VMTEST_PAYLOAD_ONLY=DIR  only build the payload into DIR (to debug with
#                    run-kernel.sh ID DIR LOG, e.g. with an edited guest-run)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$here/../.." && pwd)
RESULTS=${RESULTS_DIR:-$ROOT/.output/vmtest}
RX=${RXLAT_BIN:-$ROOT/.output/static/rxlat}
FAMILIES=${VMTEST_FAMILIES:-auto fentry kprobe tracepoint}
# recv_modes is left out here: 8 rxlat starts, about 60 s per family under
# TCG; it runs with auto on every kernel.
SUBSET=${VMTEST_SUBSET:-udp_loopback veth_ipv6 drops prequeued no_socket}
TOOLS=${VMTEST_TOOLS-prlimit ethtool}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
# Two kernels at once: a TCG guest keeps about one host CPU busy, and CI
# machines have two.
export RXLAT_VM_JOBS=${RXLAT_VM_JOBS:-2}
# Single-threaded TCG: one host thread per guest (so the two lanes share two
# CPUs fairly), and no multi-threaded TCG while the kernel patches code: a
# 6.1 guest died of an int3 oops at udp_recvmsg+0x1 while BPF trampolines
# were attached and detached under thread=multi. Measured: no slower here.
export RXLAT_VM_ACCEL=${RXLAT_VM_ACCEL:-tcg,thread=single}
# Voluntary preemption in the guests. Under TCG a BPF program runs 10-50x
# longer than on hardware, so on a fully preemptible kernel (7.2) a reader
# is preempted inside rxlat's handler that much more often; another reader
# on that CPU then finds the program busy and the kernel skips the run
# (its recursion guard): that read goes unseen and its packet stays in
# flight in the books (7.2 guest: 11 of 600 multicast reads). The README's
# limits say so. Kernels without dynamic preemption ignore the parameter.
export RXLAT_VM_APPEND=${RXLAT_VM_APPEND-preempt=voluntary}
# Bounds a hung guest: with 2 lanes, 4 kernels end within 2 x this. A
# kernel needs about 380-440 s for auto and 45 s per forced family (2026-11).
export RXLAT_VM_TIMEOUT=${RXLAT_VM_TIMEOUT:-840}
CACHE=${RXLAT_VM_CACHE:-/var/cache/rxlat-vm}
BIN=$ROOT/.output/bin

die() { echo "vmtest: error: $*" >&2; exit 2; }
is_static() { file -L "$1" 2>/dev/null | grep -q 'statically linked'; }

command -v file >/dev/null 2>&1 || die "file(1) not found (tests/vm/install-deps.sh)"
[ -x "$RX" ] || die "no $RX: run make static (or set RXLAT_BIN)"
is_static "$RX" || die "$RX is not statically linked: the guests have no shared libraries (make static)"
for b in nsctl jsonq udp_sink udp_blast; do
	[ -x "$BIN/$b" ] || die "no $BIN/$b: run make -C tests"
done

# Expected results: "auto" = every test run.sh runs on the host (unit tests
# and tests/kernel/*.sh); forced families = the subset.
all=
for u in "$ROOT"/tests/unit/test_*.c; do
	[ -e "$u" ] && all="$all unit/$(basename "$u" .c)"
done
for k in "$ROOT"/tests/kernel/*.sh; do all="$all kernel/$(basename "$k" .sh)"; done
# and the checks run.sh makes itself, named literally in it (hygiene/...)
all="$all $(sed -n 's/.*echo "RESULT \([a-z0-9_]*\/[a-z0-9_]*\) .*/\1/p' "$ROOT/tests/run.sh" | sort -u | tr '\n' ' ')"
subset=
for s in $SUBSET; do
	s=${s#kernel/}
	[ -f "$ROOT/tests/kernel/$s.sh" ] || die "VMTEST_SUBSET: no tests/kernel/$s.sh"
	subset="$subset kernel/$s"
done
all=${all# } subset=${subset# }
if [ "${VMTEST_CHECK_ONLY:-0}" = 1 ]; then
	# Only steps 3 and 4, on the logs of an earlier run in $RESULTS.
	ids=${*:-${RXLAT_VM_KERNELS:-$(awk '$1 !~ /^#/ && NF { print $1 }' "$here/kernels.conf")}}
	[ -s "$RESULTS/matrix.out" ] || die "no earlier run in $RESULTS"
	total=$(awk '$1 == "total" { sub(/s;/, "", $2); print $2 }' "$RESULTS/matrix.out")
	mrc=0
	grep -q '^RESULT [^ ]* fail' "$RESULTS"/*.results 2>/dev/null && mrc=1
else
payload=$(mktemp -d "${TMPDIR:-/tmp}/rxlat-vmtest.XXXXXX")
trap 'rm -rf "$payload"' EXIT
trap 'exit 130' INT TERM
# mktemp makes it 0700; the guest runs rxlat as nobody too (bad_env.sh).
chmod 755 "$payload"
mkdir -p "$payload/.output/bin" "$payload/tests/kernel" "$payload/hosttools"

# --- 1. the payload ------------------------------------------------------
cp "$RX" "$payload/rxlat"
cp "$here/suite/guest-run" "$payload/guest-run"
cp "$ROOT/tests/run.sh" "$ROOT/tests/lib.sh" "$payload/tests/"
cp "$ROOT"/tests/kernel/*.sh "$payload/tests/kernel/"

# Unit tests, helpers and traffic tools, as run.sh and the tests find them
# on the host; the guest has no shared libraries for them.
for f in "$BIN"/*; do
	[ -f "$f" ] && [ -x "$f" ] || continue
	is_static "$f" || die "$f is not statically linked; it cannot run in the guest"
	cp "$f" "$payload/.output/bin/"
done

# Host tools some tests use when present, with their libraries, run through
# the host's dynamic loader. Not setpriv: busybox sh runs its own setpriv
# applet whatever PATH says.
bundle() {
	p=$(command -v "$1" 2>/dev/null) || { echo "vmtest: no $1 on this host; tests skip what needs it" >&2; return 0; }
	file -L "$p" | grep -q ELF || { echo "vmtest: $p is not an ELF binary; not bundled" >&2; return 0; }
	if is_static "$p"; then
		cp -L "$p" "$payload/hosttools/$1"
		return 0
	fi
	mkdir -p "$payload/hosttools/lib" "$payload/hosttools/libexec"
	cp -L "$p" "$payload/hosttools/libexec/$1"
	ld=
	for l in $(ldd "$p" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		cp -L "$l" "$payload/hosttools/lib/"
		case $l in */ld-linux*) ld=$(basename "$l") ;; esac
	done
	[ -n "$ld" ] || die "no dynamic loader found for $p"
	printf '#!/bin/sh\n# %s from the host, with its libraries (vmtest.sh)\nexec /payload/hosttools/lib/%s --library-path /payload/hosttools/lib /payload/hosttools/libexec/%s "$@"\n' \
		"$1" "$ld" "$1" >"$payload/hosttools/$1"
	chmod 755 "$payload/hosttools/$1"
}
for t in $TOOLS; do bundle "$t"; done

cat >"$payload/vmtest.conf" <<EOF
# written by tests/vm/vmtest.sh, read by guest-run
VMTEST_FAMILIES='$FAMILIES'
VMTEST_ALL='$all'
VMTEST_SUBSET='$subset'
TEST_TIMEOUT=$TEST_TIMEOUT
VMTEST_RUN_BROKEN=${VMTEST_RUN_BROKEN:-0}
EOF

if [ -n "${VMTEST_PAYLOAD_ONLY:-}" ]; then
	mkdir -p "$VMTEST_PAYLOAD_ONLY"
	cp -a "$payload/." "$VMTEST_PAYLOAD_ONLY/"
	echo "vmtest: payload in $VMTEST_PAYLOAD_ONLY" >&2
	exit 0
fi

# --- 2. the matrix -------------------------------------------------------
ids=${*:-${RXLAT_VM_KERNELS:-$(awk '$1 !~ /^#/ && NF { print $1 }' "$here/kernels.conf")}}
mkdir -p "$RESULTS"
rm -f "$RESULTS"/*.log "$RESULTS"/*.results "$RESULTS/results.tsv" "$RESULTS/matrix.md"
echo "vmtest: kernels $ids; families $FAMILIES; subset $subset" >&2
t0=$(date +%s)
mrc=0
# shellcheck disable=SC2086
"$here/matrix.sh" "$payload" "$RESULTS" $ids >"$RESULTS/matrix.out" || mrc=$?
total=$(($(date +%s) - t0))
fi
cat "$RESULTS/matrix.out"

# --- 3. check every kernel x family x test --------------------------------
# From the serial log: the first RESULT per name, and for a failure the
# "FAIL:" lines run.sh prints from the test's log (indented) as its reason.
: >"$RESULTS/results.tsv"
for id in $ids; do
	awk -v id="$id" -v fams="$FAMILIES" -v all="$all" -v subset="$subset" '
	/^RESULT [^ ]+ (pass|fail|skip)( |$)/ {
		cur = ""
		if ($2 in st) next
		r = $0
		sub(/^RESULT [^ ]+ [^ ]+ ?/, "", r)
		st[$2] = $3; why[$2] = r; order[++n] = $2
		if ($3 == "fail") { cur = $2; fails[cur] = "" }
		next
	}
	/^VMTEST-/ { next }	# lines of guest-run itself (timings) come between a RESULT and its log tail
	cur != "" && /^    / {
		if ($0 ~ /FAIL: /) {
			l = $0; sub(/^ +/, "", l)
			fails[cur] = fails[cur] (fails[cur] == "" ? "" : "; ") l
		}
		next
	}
	{ cur = "" }
	END {
		nf = split(fams, F, " ")
		for (i = 1; i <= nf; i++) {
			nt = split(F[i] == "auto" ? all : subset, T, " ")
			for (j = 1; j <= nt; j++) {
				k = F[i] "/" T[j]
				if (k in st) {
					r = why[k]
					if (st[k] == "fail" && fails[k] != "") r = fails[k] " " r
					print id "\t" F[i] "\t" T[j] "\t" st[k] "\t" r
					done[k] = 1
				} else
					print id "\t" F[i] "\t" T[j] "\tmissing\tno RESULT line in the serial log"
			}
		}
		# Results nobody expected (say, a new test matched by the subset).
		for (m = 1; m <= n; m++) {
			k = order[m]
			if (k in done) continue
			f = k; sub(/\/.*/, "", f); t = substr(k, length(f) + 2)
			print id "\t" f "\t" t "\t" st[k] "\t" why[k]
		}
	}' "$RESULTS/$id.log" >>"$RESULTS/results.tsv" 2>/dev/null ||
		for f in $FAMILIES; do
			printf '%s\t%s\t*\tmissing\tno serial log\n' "$id" "$f" >>"$RESULTS/results.tsv"
		done
done

# --- 4. the table ----------------------------------------------------------
# The awk below reads results.tsv: per kernel x family, counts by status and
# the distinct skip reasons; a family skipped whole for one reason is shown as
# "skip: reason", other skips are listed under the table.
cell() {	# ID FAMILY
	awk -F'\t' -v id="$1" -v f="$2" '
	$1 == id && $2 == f {
		n[$4]++; t++
		if ($4 == "skip" && !($5 in r)) { r[$5] = 1; nr++; why = $5 }
	}
	END {
		if (t == 0) { print "MISSING"; exit }
		gsub(/\|/, "\\|", why)	# inside a table cell
		if (n["skip"] == t && nr == 1) { print "skip: " why; exit }
		s = ""
		if (n["fail"]) s = s ", **FAIL " n["fail"] "**"
		if (n["missing"]) s = s ", **MISSING " n["missing"] "**"
		if (n["pass"]) s = s ", pass " n["pass"]
		if (n["skip"]) s = s ", skip " n["skip"] " (below)"
		print substr(s, 3)
	}' "$RESULTS/results.tsv"
}
rev=$("$ROOT/rxlat" --version 2>/dev/null | head -n 1)
bad=0
{
	echo "Produced by \`make vmtest\` (tests/vm/vmtest.sh) on $(date -u +%Y-%m-%d), $rev:"
	echo "Debian kernels under qemu (TCG, ${RXLAT_VM_SMP:-2} vCPUs), busybox userland."
	echo "\`auto\` runs the whole suite ($(echo "$all" | wc -w) tests); each forced"
	echo "\`--hooks\` family runs $(echo "$subset" | sed 's/kernel\///g; s/ /, /g')."
	echo "rxlat refuses kernels older than 5.10, the oldest one listed here."
	echo
	printf '| kernel | Debian version |'
	for f in $FAMILIES; do printf ' %s |' "$f"; done
	printf ' time |\n|%s|%s|' --- ---
	for f in $FAMILIES; do printf '%s|' ---; done
	printf '%s|\n' ---:
	for id in $ids; do
		v=$(awk -v id="$id" '$1 == id { print $2 }' "$CACHE/kernels.txt" 2>/dev/null)
		secs=$(awk -v id="$id" '$1 == id { print $NF }' "$RESULTS/matrix.out")
		g=$(sed -n 's/^.*RXLAT-VM-EXIT \([0-9][0-9]*\).*$/\1/p' "$RESULTS/$id.log" 2>/dev/null | tail -n 1)
		note=
		[ -n "$g" ] || note=" (**guest did not report**)"
		printf '| %s | %s%s |' "$id" "${v:-?}" "$note"
		for f in $FAMILIES; do printf ' %s |' "$(cell "$id" "$f")"; done
		printf ' %s |\n' "${secs:-?}"
	done
	awk -F'\t' '
	{ k = $1 " " $2; t[k]++ }
	$4 == "skip" {
		k = $1 " " $2; s[k]++
		if (!((k, $5) in r)) { r[k, $5] = 1; nr[k]++; ord[++n] = k SUBSEP $5 }
		tests[k, $5] = tests[k, $5] (tests[k, $5] == "" ? "" : ", ") $3
	}
	END {
		for (i = 1; i <= n; i++) {
			split(ord[i], a, SUBSEP)
			if (s[a[1]] == t[a[1]] && nr[a[1]] == 1) continue	# in the table
			if (!head++) print "\nSkipped tests:\n"
			print "- " a[1] " " tests[ord[i]] ": " a[2]
		}
	}' "$RESULTS/results.tsv"
} >"$RESULTS/matrix.md.tmp"
mv "$RESULTS/matrix.md.tmp" "$RESULTS/matrix.md"

echo
cat "$RESULTS/matrix.md"
echo
echo "vmtest: total ${total}s; results in $RESULTS (matrix.md, results.tsv, <kernel>.log)"
if grep -qE '	(fail|missing)	' "$RESULTS/results.tsv"; then
	echo "vmtest: failed or missing:"
	awk -F'\t' '$4 == "fail" || $4 == "missing" {
		r = length($5) > 300 ? substr($5, 1, 300) "..." : $5
		print "  " $1 " " $2 "/" $3 " " $4 ": " r
	}' "$RESULTS/results.tsv"
	bad=1
fi
[ "$mrc" -eq 0 ] || { echo "vmtest: matrix.sh exited $mrc"; bad=1; }
exit "$bad"
