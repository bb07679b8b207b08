#!/bin/sh
# build-libmicrohttpd.sh OUTDIR
#
# A static libmicrohttpd without TLS for rxlat's static binary (--prometheus),
# in OUTDIR/include/microhttpd.h and OUTDIR/lib/libmicrohttpd.a; it needs
# nothing but libc and -lpthread.
#
# Why not Debian's libmicrohttpd.a: it is built with HTTPS support, so a
# static link needs GnuTLS and, through it, p11-kit, which Debian ships
# without a static archive (libp11-kit-dev has only the .so).
#
# The source is Debian's own source package, the version of the installed
# libmicrohttpd-dev if there is one (same header, Debian's patches applied),
# fetched with `apt-get source` on a private sources list and private state
# and cache directories: /etc/apt is never touched. Set MHD_SOURCE_DIR to an
# unpacked libmicrohttpd source tree to build offline instead.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
WORK=$OUT/build
log() { printf 'build-libmicrohttpd: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for t in cc make tar; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found"
done

fetch_source() {
	for t in apt-get dpkg-source; do
		command -v "$t" >/dev/null 2>&1 || die "$t not found (apt-get install dpkg-dev)"
	done
	. /etc/os-release
	case ${ID:-} in
	debian)
		uri=http://deb.debian.org/debian comps=main
		keyring=/usr/share/keyrings/debian-archive-keyring.gpg ;;
	ubuntu)
		uri=http://archive.ubuntu.com/ubuntu comps="main universe"
		keyring=/usr/share/keyrings/ubuntu-archive-keyring.gpg ;;
	*)
		die "not Debian or Ubuntu: set MHD_SOURCE_DIR to a libmicrohttpd source tree" ;;
	esac
	[ -n "${VERSION_CODENAME:-}" ] || die "no VERSION_CODENAME in /etc/os-release"
	apt=$WORK/apt
	mkdir -p "$apt/empty.d" "$apt/lists/partial" "$apt/cache/archives/partial"
	echo "deb-src [signed-by=$keyring] $uri $VERSION_CODENAME $comps" > "$apt/sources.list"
	papt() {
		"$@" -q \
			-o Dir::Etc::sourcelist="$apt/sources.list" \
			-o Dir::Etc::sourceparts="$apt/empty.d" \
			-o Dir::Etc::preferences=/dev/null \
			-o Dir::Etc::preferencesparts="$apt/empty.d" \
			-o Dir::State::Lists="$apt/lists" \
			-o Dir::State::status=/dev/null \
			-o Dir::Cache="$apt/cache" \
			-o Acquire::Languages=none \
			-o APT::Sandbox::User=root
	}
	log "fetching the libmicrohttpd source package ($ID $VERSION_CODENAME)"
	papt apt-get update > "$WORK/apt-update.log" 2>&1 ||
		{ cat "$WORK/apt-update.log" >&2; die "apt-get update failed"; }
	want=libmicrohttpd
	ver=$(dpkg-query -W -f='${source:Version}' libmicrohttpd-dev 2>/dev/null || true)
	[ -n "$ver" ] && want="libmicrohttpd=$ver"
	rm -rf "$WORK/src"
	mkdir -p "$WORK/src"
	(cd "$WORK/src" && papt apt-get source "$want") > "$WORK/apt-source.log" 2>&1 ||
		{ cat "$WORK/apt-source.log" >&2; die "apt-get source $want failed"; }
	SRC=$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d -name 'libmicrohttpd-*' | head -n 1)
	[ -n "$SRC" ] || die "apt-get source did not unpack a libmicrohttpd-* directory"
}

mkdir -p "$WORK"
if [ -n "${MHD_SOURCE_DIR:-}" ]; then
	SRC=$(cd "$MHD_SOURCE_DIR" && pwd)
else
	fetch_source
fi
[ -x "$SRC/configure" ] || die "$SRC has no configure script"

# Out of tree, so that MHD_SOURCE_DIR stays clean.
B=$WORK/obj
rm -rf "$B"
mkdir -p "$B"
log "configuring $(basename "$SRC") without TLS"
(cd "$B" && "$SRC/configure" --disable-shared --enable-static \
	--disable-https --without-gnutls --disable-curl --disable-doc --disable-examples \
	--disable-postprocessor --disable-dauth --disable-httpupgrade \
	CFLAGS="${MHD_CFLAGS:--O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2}") \
	> "$WORK/configure.log" 2>&1 ||
	{ tail -n 30 "$WORK/configure.log" >&2; die "configure failed (log: $WORK/configure.log)"; }
log "building"
make -C "$B/src/microhttpd" -j"$(nproc 2>/dev/null || echo 2)" > "$WORK/make.log" 2>&1 ||
	{ tail -n 30 "$WORK/make.log" >&2; die "make failed (log: $WORK/make.log)"; }

lib=$B/src/microhttpd/.libs/libmicrohttpd.a
[ -f "$lib" ] || die "no $lib after the build"
if nm "$lib" 2>/dev/null | grep -q ' U gnutls_'; then
	die "$lib still refers to GnuTLS"
fi
mkdir -p "$OUT/include" "$OUT/lib"
cp "$SRC/src/include/microhttpd.h" "$OUT/include/microhttpd.h.tmp"
mv "$OUT/include/microhttpd.h.tmp" "$OUT/include/microhttpd.h"
cp "$lib" "$OUT/lib/libmicrohttpd.a.tmp"
mv "$OUT/lib/libmicrohttpd.a.tmp" "$OUT/lib/libmicrohttpd.a"
log "done: $OUT/lib/libmicrohttpd.a (link with -lpthread)"
