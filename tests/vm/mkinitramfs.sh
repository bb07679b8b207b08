#!/bin/sh
# mkinitramfs.sh OUT.cpio.gz KERNEL_ID PAYLOAD_DIR
#
# Builds a gzip'ed newc initramfs for kernel KERNEL_ID (from
# $CACHE/kernels.txt, see fetch-kernels.sh) holding:
#   /bin/busybox (busybox-static; applet links are made at boot)
#   /bin/udpgen and the other helpers of build-helpers.sh
#   /lib/modules/rxlat/*.ko + load-order   (veth, tun and dependencies)
#   /payload/                              (a copy of PAYLOAD_DIR)
#   /init                                  (below)
# /init mounts the usual file systems, loads the modules, runs
# /payload/guest-run under a timeout with its output on the serial console,
# prints "RXLAT-VM-EXIT <status>" and powers off through qemu's
# isa-debug-exit device (port 0xf4), which carries the status out.
set -eu

[ $# -eq 3 ] || { echo "usage: $0 OUT.cpio.gz KERNEL_ID PAYLOAD_DIR" >&2; exit 2; }
out=$1 id=$2 payload=$3

here=$(cd "$(dirname "$0")" && pwd)
CACHE=${RXLAT_VM_CACHE:-/var/cache/rxlat-vm}
BUSYBOX=${RXLAT_VM_BUSYBOX:-/bin/busybox}

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }

[ -x "$payload/guest-run" ] || die "$payload/guest-run is missing or not executable"
file -L "$BUSYBOX" 2>/dev/null | grep -q 'statically linked' ||
	die "$BUSYBOX is not a static busybox (apt-get install busybox-static)"
line=$(awk -v id="$id" '$1 == id' "$CACHE/kernels.txt" 2>/dev/null || true)
[ -n "$line" ] || die "kernel $id not in $CACHE/kernels.txt (run fetch-kernels.sh)"
set -- $line
krel=$3 moddir=$5
[ -s "$moddir/load-order" ] || die "no modules gathered in $moddir"
helpers=$("$here/build-helpers.sh")

stage=$(mktemp -d "${TMPDIR:-/tmp}/rxlat-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
trap 'exit 130' INT TERM

mkdir -p "$stage/bin" "$stage/sbin" "$stage/usr/bin" "$stage/usr/sbin" \
	"$stage/dev" "$stage/proc" "$stage/sys" "$stage/run" "$stage/tmp" \
	"$stage/root" "$stage/etc" "$stage/lib/modules/rxlat" "$stage/payload"
cp "$BUSYBOX" "$stage/bin/busybox"
cp "$helpers"/* "$stage/bin/"
cp "$moddir"/*.ko "$moddir/load-order" "$stage/lib/modules/rxlat/"
cp -a "$payload/." "$stage/payload/"
# The kernel opens /dev/console for init before devtmpfs is mounted.
mknod -m 600 "$stage/dev/console" c 5 1
mknod -m 666 "$stage/dev/null" c 1 3
echo "root:x:0:0:root:/root:/bin/sh" >"$stage/etc/passwd"
echo "root:x:0:" >"$stage/etc/group"
echo "$id $krel" >"$stage/etc/rxlat-vm"

cat >"$stage/init" <<'EOF'
#!/bin/busybox sh
# Guest init of the rxlat VM matrix (tests/vm/mkinitramfs.sh).
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
exec </dev/console >/dev/console 2>&1

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing || echo "init: no tracefs"
mount -t bpf bpf /sys/fs/bpf || echo "init: no bpffs"
mount -t cgroup2 cgroup2 /sys/fs/cgroup || echo "init: no cgroup2"
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
# Keep kernel messages off the console (they would split RESULT lines);
# warnings are printed from dmesg at the end instead.
dmesg -n 1
hostname rxlat-vm
ip link set lo up

set -- $(cat /proc/cmdline)
timeout=240 kid=
for a; do
	case $a in
	rxlat.timeout=*) timeout=${a#*=} ;;
	rxlat.kernel=*) kid=${a#*=} ;;
	esac
done

for m in $(cat /lib/modules/rxlat/load-order); do
	insmod /lib/modules/rxlat/$m.ko || echo "init: insmod $m failed"
done

echo "RXLAT-VM-START kernel=$(uname -r) id=$kid timeout=${timeout}s"
cd /payload
export RXLAT_VM=1 RXLAT_VM_KERNEL=$kid
timeout "$timeout" /payload/guest-run </dev/null
st=$?
if [ "$st" = 143 ]; then
	echo "init: guest-run timed out after ${timeout}s"
	st=124
elif [ "$st" -gt 124 ]; then
	echo "init: guest-run exited with $st"
	st=127
fi

echo "---- kernel warnings (dmesg) ----"
dmesg -r 2>/dev/null | grep '^<[0-4]>' | tail -n 50
echo "RXLAT-VM-EXIT $st"
sync
# Let the UART drain before qemu goes away.
sleep 1
# isa-debug-exit: writing byte s to port 0xf4 makes qemu exit with (s<<1)|1.
printf "\\$(printf %03o "$st")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
poweroff -f
sleep 5
EOF
chmod 755 "$stage/init"

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
