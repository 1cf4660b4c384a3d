#!/usr/bin/env bash
# Installs the chameleon .deb into a real Debian 12 guest, under QEMU (TCG), with the guest's own
# dpkg, systemd, GRUB, TuneD, ethtool and apt, reboots it, and reports what happened at each step
# on the serial console:
#
#   vm/deb-guest.sh DEB OUT_DIR
#
# The guest: a Debian bookworm root built by mmdebstrap (minbase + systemd, udev, kmod, iproute2,
# procps, dbus, the distribution's openjdk-17-jre-headless, linux-image-cloud-amd64 and its
# initramfs, grub-pc, tuned, ethtool; vm/deb-guest/customize-root.sh adds a local package
# repository and switches TuneD off), cached as a tarball under
# $CHAMELEON_VM_CACHE/debian-root/ (default /var/cache/chameleon-vm), keyed by the package list,
# ROOT_RECIPE and the customize script's hash. Each run unpacks it, adds the package (and the same
# package as a newer version, for the upgrade), the test unit and vm/deb-guest/guest-test.sh, the
# scenario-10 policy and unit, the vm/guest helpers, and makes a partitioned disk image of it (an
# MBR, one ext4 partition at 1 MiB made with `mkfs.ext4 -E offset -d`, no loop mount).
#
# Boot 1 starts the guest's own kernel and initramfs with QEMU's -kernel (root=/dev/vda1); the
# script (vm/deb-guest/guest-test.sh, its header has the steps) puts GRUB on the disk, drives the
# package's life, applies scenario 10's settings and reboots: QEMU exits (-no-reboot). Boot 2
# starts from the disk, SeaBIOS -> GRUB -> the kernel command line update-grub wrote, and the
# script checks what persisted, rolls everything back, removes and purges the package and
# compares the guest with its snapshot from before the install.
# Each step prints one line `DEBGUEST <step> key=value ...` (or -JSON, -DIFF, -APPLIED, -LOG
# lines); DebGuestIT asserts on them. OUT_DIR keeps console-1.log and console-2.log. Exit status:
# 0 when the guest reached its end marker, 1 otherwise (the console's tail is printed).
#
# Needs root (mmdebstrap, device nodes in the image), qemu-system-x86, mmdebstrap, e2fsprogs.
# Timing on the 2-core build machine: docs/vm-tests.md.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 DEB OUT_DIR" >&2; exit 2; }
DEB="$(readlink -f "$1")"
OUT="$2"
[[ -f "$DEB" ]] || { echo "deb-guest: no package $1" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "deb-guest: needs root" >&2; exit 2; }
for t in mmdebstrap mkfs.ext4 qemu-system-x86_64 dpkg-deb; do
  command -v "$t" >/dev/null || PATH="$PATH:/sbin:/usr/sbin" command -v "$t" >/dev/null \
    || { echo "deb-guest: $t missing (apt-get install mmdebstrap e2fsprogs qemu-system-x86)" >&2; exit 2; }
done
export PATH="$PATH:/sbin:/usr/sbin"
mkdir -p "$OUT"
OUT="$(readlink -f "$OUT")"
# (not deb-guest/, which the first version of this script kept one root in and emptied of others)
CACHE="${CHAMELEON_VM_CACHE:-/var/cache/chameleon-vm}/debian-root"
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9

HERE="$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"
DATA="$HERE/deb-guest"
PACKAGES="systemd-sysv,udev,kmod,iproute2,procps,dbus,openjdk-17-jre-headless,linux-image-cloud-amd64,initramfs-tools,grub-pc,tuned,ethtool"
# the root's recipe (bump ROOT_RECIPE when the mmdebstrap call below changes); edits elsewhere in
# this script do not rebuild the root, edits of the customize script do
ROOT_RECIPE=2
KEY="$(printf '%s|%s|%s' "$PACKAGES" "$ROOT_RECIPE" "$(sha256sum "$DATA/customize-root.sh" | cut -c1-64)" | sha256sum | cut -c1-16)"
ROOTFS="$CACHE/rootfs-$KEY.tar"
if [[ ! -f "$ROOTFS" ]]; then
  echo "[deb-guest] building the Debian root (mmdebstrap bookworm minbase + $PACKAGES)" >&2
  rm -f "$CACHE/partial.tar"
  mmdebstrap --variant=minbase --format=tar --include="$PACKAGES" --skip=cleanup/apt/lists \
    --customize-hook="sh '$DATA/customize-root.sh' \"\$1\"" \
    bookworm "$CACHE/partial.tar" http://deb.debian.org/debian >"$CACHE/mmdebstrap.log" 2>&1 \
    || { tail -30 "$CACHE/mmdebstrap.log" >&2; echo "deb-guest: mmdebstrap failed" >&2; exit 1; }
  mv "$CACHE/partial.tar" "$ROOTFS"
  # keep the two newest roots: checkouts of other versions share this cache
  find "$CACHE" -maxdepth 1 -name 'rootfs-*.tar' -printf '%T@ %p\n' | sort -rn | tail -n +3 | cut -d' ' -f2- | xargs -r rm -f
fi
touch "$ROOTFS"   # in use: the newest

WORK="$(mktemp -d -t deb-guest.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
R="$WORK/root"
mkdir -p "$R"
tar -xf "$ROOTFS" -C "$R"

# The package, and the same package as a newer version for the upgrade step.
cp "$DEB" "$R/root/chameleon-1.deb"
dpkg-deb -R "$DEB" "$WORK/v2"
V1="$(dpkg-deb -f "$DEB" Version)"
sed -i "s/^Version: .*/Version: ${V1}+upgrade1/" "$WORK/v2/DEBIAN/control"
dpkg-deb --root-owner-group -b "$WORK/v2" "$R/root/chameleon-2.deb" >/dev/null

echo chameleon-deb-guest >"$R/etc/hostname"
printf '/dev/vda1 / ext4 rw,relatime 0 1\n' >"$R/etc/fstab"
# Test-only drop-in: the unit's CPUQuota=20% is meant for a real CPU; under TCG emulation (10-50x
# slower) it stretches the agent's first pass past the sensors' 20 s timeouts. Everything else in
# the unit (memory limits, hardening, restart policy) stays as shipped.
mkdir -p "$R/etc/systemd/system/chameleon.service.d"
printf '[Service]\nCPUQuota=\n' >"$R/etc/systemd/system/chameleon.service.d/tcg-test.conf"
# no login prompt on the console the report is read from
ln -sf /dev/null "$R/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$R/etc/systemd/system/getty@tty1.service"

install -m 755 "$DATA/guest-test.sh" "$R/usr/local/sbin/chameleon-guest-test"
install -m 755 "$HERE"/guest/vm-* "$R/usr/local/bin/"
install -m 644 "$DATA/vmtest-echo.service" "$R/etc/systemd/system/vmtest-echo.service"
install -d "$R/root/vmtest"
install -m 644 "$DATA/real-programs.yaml" "$R/root/vmtest/real-programs.yaml"
cat >"$R/etc/systemd/system/chameleon-guest-test.service" <<'EOF'
[Unit]
Description=Chameleon .deb test in a Debian guest
# after the agent's unit, so that at boot 2 the agent is already starting
After=multi-user.target chameleon.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/chameleon-guest-test
TimeoutStartSec=0
[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$R/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/chameleon-guest-test.service "$R/etc/systemd/system/multi-user.target.wants/"

KVER="$(ls "$R/boot" | sed -n 's/^vmlinuz-//p' | sort -V | tail -n1)"
[[ -n "$KVER" && -f "$R/boot/initrd.img-$KVER" ]] || { echo "deb-guest: no kernel/initramfs in the root" >&2; exit 1; }
cp "$R/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
cp "$R/boot/initrd.img-$KVER" "$WORK/initrd.img"
# The disk: an MBR with one bootable Linux partition from sector 2048 (1 MiB, room for GRUB's
# core image behind the MBR) to the end; the ext4 file system made straight into it.
DISK="$WORK/disk.img"
DISK_MB=3072
truncate -s "${DISK_MB}M" "$DISK"
mkfs.ext4 -q -F -L chameleon-root -E offset=1048576 -d "$R" "$DISK" "$(( (DISK_MB - 1) * 1024 ))k"
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
{ printf '\x80\xfe\xff\xff\x83\xfe\xff\xff'; printf "$(le32 2048)$(le32 $(( (DISK_MB - 1) * 2048 )))"; } \
  | dd of="$DISK" bs=1 seek=446 conv=notrunc status=none
printf '\x55\xaa' | dd of="$DISK" bs=1 seek=510 conv=notrunc status=none
printf 'CHMN' | dd of="$DISK" bs=1 seek=440 conv=notrunc status=none   # the disk identifier
rm -rf "$R"

TIMEOUT="${CHAMELEON_DEB_GUEST_TIMEOUT:-1800}"   # per boot
QEMU=(qemu-system-x86_64 -accel tcg -m 1536 -smp 2 -nodefaults -no-user-config -nographic -monitor none -no-reboot
      -drive "file=$DISK,format=raw,if=virtio,cache=unsafe"
      -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,addr=04,rx_queue_size=1024,romfile=)
echo "[deb-guest] boot 1: Debian ($KVER) under TCG, from QEMU's -kernel" >&2
timeout "$TIMEOUT" "${QEMU[@]}" -serial "file:$OUT/console-1.log" \
  -kernel "$WORK/vmlinuz" -initrd "$WORK/initrd.img" \
  -append "root=/dev/vda1 rw console=ttyS0 quiet systemd.show_status=0 panic=-1" >"$OUT/qemu-1.log" 2>&1 || true
if grep -aq '^DEBGUEST rebooting' "$OUT/console-1.log"; then
  echo "[deb-guest] boot 2: from the disk (SeaBIOS, the guest's GRUB)" >&2
  timeout "$TIMEOUT" "${QEMU[@]}" -serial "file:$OUT/console-2.log" -boot c >"$OUT/qemu-2.log" 2>&1 || true
fi
touch "$OUT/console-2.log"
cat "$OUT/console-1.log" "$OUT/console-2.log" >"$OUT/console.log"
if grep -aq '^DEBGUEST end' "$OUT/console.log"; then
  # (the firmware's terminal escapes may precede the first line on the console)
  grep -a -o 'DEBGUEST.*' "$OUT/console.log" | tr -d '\r'
  exit 0
fi
tail -n 60 "$OUT/console.log" >&2
cat "$OUT/qemu-1.log" "$OUT/qemu-2.log" 2>/dev/null >&2
echo "deb-guest: the guest did not reach its end marker (consoles: $OUT/console-1.log, $OUT/console-2.log)" >&2
exit 1
