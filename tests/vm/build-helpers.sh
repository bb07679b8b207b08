#!/bin/sh
# build-helpers.sh: compiles the guest's static helper programs (udpgen.c)
# into ${RXLAT_VM_CACHE:-/var/cache/rxlat-vm}/helpers, if their source is
# newer than the binary. Prints the helpers directory.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${RXLAT_VM_CACHE:-/var/cache/rxlat-vm}
out=$CACHE/helpers
CC=${CC:-cc}

mkdir -p "$out"
for src in "$here"/udpgen.c; do
	bin=$out/$(basename "$src" .c)
	if [ ! -x "$bin" ] || [ -n "$(find "$src" -newer "$bin")" ]; then
		echo "build-helpers: $CC -static $(basename "$src")" >&2
		# a private name: two matrix lanes may build at the same time
		$CC -O2 -Wall -Wextra -static -o "$bin.tmp.$$" "$src"
		mv -f "$bin.tmp.$$" "$bin"
	fi
done
echo "$out"
