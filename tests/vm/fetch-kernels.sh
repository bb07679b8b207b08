#!/bin/sh
# fetch-kernels.sh [--update] [ID...]
#
# Downloads and unpacks the Debian kernels listed in kernels.conf into the
# cache ${RXLAT_VM_CACHE:-/var/cache/rxlat-vm}, and gathers the modules the
# guests need (${RXLAT_VM_MODULES:-veth tun} plus their dependencies,
# decompressed, with a load order). Writes $CACHE/kernels.txt:
#
#   ID VERSION KERNELRELEASE VMLINUZ MODULES-DIR
#
# apt runs on a private sources list and private state/cache directories, so
# /etc/apt is never touched. A kernel already in the cache is reused without
# any network access; --update refreshes the package lists and moves every
# kernel to the newest version of its series.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${RXLAT_VM_CACHE:-/var/cache/rxlat-vm}
MODULES=${RXLAT_VM_MODULES:-veth tun}
CONF=$here/kernels.conf

update=0
if [ "${1-}" = --update ]; then update=1; shift; fi
want="$*"

log() { printf 'fetch-kernels: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for t in apt-get apt-cache dpkg-deb xz zstd; do
	command -v "$t" >/dev/null 2>&1 || die "$t not found (apt-get install xz-utils zstd)"
done

mkdir -p "$CACHE/apt/empty.d" "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" "$CACHE/debs" "$CACHE/k"
cp "$here/sources.list" "$CACHE/apt/sources.list"

# apt-get / apt-cache on the private configuration only: no sources.list.d,
# no preferences (pins), no dpkg status, amd64 only.
papt() {
	tool=$1; shift
	"$tool" -q \
		-o Dir::Etc::sourcelist="$CACHE/apt/sources.list" \
		-o Dir::Etc::sourceparts="$CACHE/apt/empty.d" \
		-o Dir::Etc::preferences=/dev/null \
		-o Dir::Etc::preferencesparts="$CACHE/apt/empty.d" \
		-o Dir::State::Lists="$CACHE/apt/lists" \
		-o Dir::State::status=/dev/null \
		-o Dir::Cache="$CACHE/apt/cache" \
		-o APT::Architectures=amd64 \
		-o Acquire::Languages=none \
		-o APT::Sandbox::User=root \
		"$@"
}

lists_ready=0
refresh_lists() {
	[ "$lists_ready" = 1 ] && return 0
	log "updating the private package lists"
	papt apt-get update >"$CACHE/apt/update.log" 2>&1 ||
		{ cat "$CACHE/apt/update.log" >&2; die "apt-get update failed"; }
	lists_ready=1
}

# Newest package PREFIX<abi>SUFFIX with <abi> matching ABI-REGEX, that has a
# version in the lists. Prints the package name.
rquote() { printf %s "$1" | sed 's/[.+]/\\&/g'; }

newest_pkg() {
	papt apt-cache pkgnames "$1" | grep -E "^$(rquote "$1")$2$(rquote "$3")\$" |
		sort -V -r | while read -r p; do
			if [ -n "$(papt apt-cache madison "$p" 2>/dev/null)" ]; then
				echo "$p"
				break
			fi
		done
}

candidate() { papt apt-cache policy "$1" | awk '/Candidate:/ { print $2 }'; }

# Download PKG (candidate version) into $CACHE/debs unless there; print the path.
download() {
	pkg=$1 ver=$2
	fver=$(printf %s "$ver" | sed 's/:/%3a/')
	f=$CACHE/debs/${pkg}_${fver}_amd64.deb
	if [ ! -s "$f" ]; then
		log "downloading $pkg $ver"
		(cd "$CACHE/debs" && papt apt-get download "$pkg=$ver" >/dev/null) || die "download of $pkg failed"
	fi
	[ -s "$f" ] || die "expected $f after download"
	echo "$f"
}

# The modules directory (lib/modules/KREL) inside an unpacked tree.
moddir_of() {
	for d in "$1"/lib/modules/* "$1"/usr/lib/modules/*; do
		[ -d "$d" ] && { echo "$d"; return 0; }
	done
	return 1
}

# Gather modules $MODULES and their dependencies from tree $1 into $2, as
# plain .ko files plus "load-order" (dependencies first). Dependencies come
# from each module's own .modinfo "depends=" field; modules that are built in
# (modules.builtin) are skipped.
gather_modules() {
	mtree=$1 out=$2
	rm -rf "$out.tmp"
	mkdir -p "$out.tmp"
	find "$mtree" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' >"$out.tmp/.index"
	: >"$out.tmp/load-order"
	: >"$out.tmp/builtin"
	seen=" "
	for m in $MODULES; do visit "$mtree" "$out.tmp" "$m"; done
	rm -f "$out.tmp/.index"
	echo "$MODULES" >"$out.tmp/requested"
	rm -rf "$out"
	mv "$out.tmp" "$out"
}

visit() {
	vm=$(printf %s "$3" | tr - _)
	case $seen in *" $vm "*) return 0 ;; esac
	seen="$seen$vm "
	pat=$(printf %s "$vm" | sed 's/_/[-_]/g')
	src=$(grep -E "/$pat\\.ko(\\.xz|\\.zst|\\.gz)?\$" "$2/.index" | head -n 1 || true)
	if [ -z "$src" ]; then
		if grep -Eq "/$pat\\.ko\$" "$1/modules.builtin" 2>/dev/null; then
			echo "$vm" >>"$2/builtin"
			return 0
		fi
		die "module $vm not found in $1"
	fi
	ko=$2/$vm.ko
	case $src in
	*.xz) xz -dc "$src" >"$ko" ;;
	*.zst) zstd -q -dc "$src" >"$ko" ;;
	*.gz) gzip -dc "$src" >"$ko" ;;
	*) cp "$src" "$ko" ;;
	esac
	deps=$(tr '\0' '\n' <"$ko" | sed -n 's/^depends=//p' | head -n 1 | tr , ' ')
	# Positional parameters are the only function-local variables in POSIX
	# sh: keep the module name in the list, after its dependencies.
	set -- "$1" "$2" $deps "@@$vm"
	_t=$1 _o=$2
	shift 2
	for d; do
		case $d in
		@@*) echo "${d#@@}" >>"$_o/load-order" ;;
		*) visit "$_t" "$_o" "$d" ;;
		esac
	done
}

# Fetch/unpack one kernel; writes $CACHE/k/ID/info.
fetch_one() {
	id=$1 prefix=$2 abire=$3 suffix=$4
	shift 4
	kdir=$CACHE/k/$id
	if [ "$update" = 0 ] && [ -s "$kdir/info" ]; then
		read -r _ cver crel cvmlinuz _ <"$kdir/info"
		if [ -s "$cvmlinuz" ] && [ -d "$kdir/root" ]; then
			log "$id: cached $cver ($crel)"
			ensure_modules "$id" "$kdir"
			return 0
		fi
	fi
	refresh_lists
	pkg=$(newest_pkg "$prefix" "$abire" "$suffix")
	[ -n "$pkg" ] || die "$id: no package ${prefix}<$abire>${suffix} in the lists"
	abi=${pkg#"$prefix"}
	abi=${abi%"$suffix"}
	ver=$(candidate "$pkg")
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || die "$id: no candidate version for $pkg"
	pkgs=$pkg
	for e; do pkgs="$pkgs ${e%%@ABI@*}$abi${e#*@ABI@}"; done

	stamp="$pkgs $ver"
	if [ -s "$kdir/stamp" ] && [ "$(cat "$kdir/stamp")" = "$stamp" ] && [ -d "$kdir/root" ] &&
		[ -s "$kdir/info" ] && [ -s "$(awk '{ print $4 }' "$kdir/info")" ]; then
		log "$id: up to date, $pkg $ver"
		ensure_modules "$id" "$kdir"
		return 0
	fi

	debs=
	for p in $pkgs; do
		pv=$(candidate "$p")
		[ -n "$pv" ] && [ "$pv" != "(none)" ] || die "$id: no candidate version for $p"
		debs="$debs $(download "$p" "$pv")"
	done

	log "$id: unpacking $pkgs"
	rm -rf "$kdir.new"
	mkdir -p "$kdir.new/root"
	for d in $debs; do dpkg-deb -x "$d" "$kdir.new/root"; done
	mtree=$(moddir_of "$kdir.new/root") || die "$id: no lib/modules in the packages"
	krel=$(basename "$mtree")
	vmlinuz=$(find "$kdir.new/root" -type f -name 'vmlinuz*' | head -n 1)
	[ -n "$vmlinuz" ] || die "$id: no vmlinuz in the packages"
	rm -rf "$kdir"
	mv "$kdir.new" "$kdir"
	vmlinuz=$kdir${vmlinuz#"$kdir.new"}
	echo "$stamp" >"$kdir/stamp"
	echo "$id $ver $krel $vmlinuz $kdir/modules" >"$kdir/info"
	# Drop older packages of this series from the cache.
	res="^$(rquote "$prefix")$abire$(rquote "$suffix")_"
	for e; do res="$res|^$(rquote "${e%%@ABI@*}")$abire$(rquote "${e#*@ABI@}")_"; done
	for f in "$CACHE"/debs/*.deb; do
		case " $debs " in *" $f "*) continue ;; esac
		if basename "$f" | grep -Eq "$res"; then rm -f "$f"; fi
	done
	ensure_modules "$id" "$kdir"
	log "$id: $pkg $ver, kernel $krel"
}

ensure_modules() {
	kd=$2
	if [ -s "$kd/modules/load-order" ] && [ "$(cat "$kd/modules/requested" 2>/dev/null)" = "$MODULES" ]; then
		return 0
	fi
	mt=$(moddir_of "$kd/root") || die "$1: no modules tree"
	gather_modules "$mt" "$kd/modules"
	log "$1: modules $(tr '\n' ' ' <"$kd/modules/load-order")"
}

ids=
while read -r id prefix abire suffix extra; do
	case $id in '' | '#'*) continue ;; esac
	if [ -n "$want" ]; then
		case " $want " in *" $id "*) ;; *) continue ;; esac
	fi
	# shellcheck disable=SC2086
	fetch_one "$id" "$prefix" "$abire" "$suffix" $extra
	ids="$ids $id"
done <"$CONF"
[ -n "$ids" ] || die "no kernel matched '$want' in $CONF"

# kernels.txt lists every kernel in the cache, in kernels.conf order.
{
	echo "# id version kernelrelease vmlinuz modules-dir"
	while read -r id _; do
		case $id in '' | '#'*) continue ;; esac
		[ -s "$CACHE/k/$id/info" ] && cat "$CACHE/k/$id/info"
	done <"$CONF"
} >"$CACHE/kernels.txt.tmp"
mv "$CACHE/kernels.txt.tmp" "$CACHE/kernels.txt"
