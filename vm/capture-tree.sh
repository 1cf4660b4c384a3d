#!/usr/bin/env bash
# Boots a QEMU guest with the given emulated hardware and captures the /proc and /sys files the
# sensors read into a fixture tree, as the machine has them (regular files copied by value,
# symbolic links kept as links, so class entries still lead into /sys/devices).
#
#   vm/capture-tree.sh NAME [QEMU-ARGS...]
#
# Writes chameleon-sensors/src/test/machines/NAME/{root,commands,SOURCE.txt}
# (replacing an older capture of that name). The guest is the one of the VM tests
# (vm/build-guest.sh; docs/vm-tests.md): Debian's stock kernel, busybox, no udev. The capture
# script loads the storage and network drivers first (nothing else would), mounts securityfs,
# copies with vm/capture-files.sh, and prints a base64 tar between markers on the serial console;
# this script cuts it out.
# @DISK@ in the arguments becomes a 64 MB sparse raw disk. TCG only, about 25 s per capture.
# Environment: CAPTURE_SMP (-smp, default 2), CAPTURE_MEM (-m in MB, default 1024),
# CAPTURE_KERNEL_ARGS (appended to the kernel command line), CAPTURE_NO_CPUID_HELPER=1 (do not
# run virt-what's CPUID helper: a machine without virt-what, where only the kernel's own signals
# tell KVM from emulation), CAPTURE_MODULES (the drivers the guest loads, default: every storage
# and network driver of the VM tests; a real machine loads only its devices'). The kernel log
# (busybox dmesg) is kept as commands/dmesg.
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
[[ $# -ge 1 ]] || { echo "usage: $0 NAME [QEMU-ARGS...]" >&2; exit 2; }
NAME="$1"; shift
[[ "$NAME" =~ ^[a-z0-9_-]+$ ]] || { echo "capture: NAME must match [a-z0-9_-]+" >&2; exit 2; }
JAR="$HERE/chameleon-cli/target/chameleon.jar"
[[ -f "$JAR" ]] || (cd "$HERE" && ./mvnw -q -B -o -DskipTests package)
WORK="$(mktemp -d -t capture.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
GUEST="$HERE/chameleon-cli/target/vm-capture"
CHAMELEON_VM_EXTRA_MODULES="ahci libahci libata ${CHAMELEON_VM_EXTRA_MODULES:-}" \
  "$HERE/vm/build-guest.sh" "$JAR" "$GUEST" > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; exit 1; }

mkdir -p "$WORK/overlay"
cat > "$WORK/overlay/scenario.sh" <<'EOF'
# runs in the guest (busybox sh) as root
for m in $(cat /capture-modules); do modprobe "$m" 2>/dev/null; done
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
sleep 1
sh /capture-files.sh /tmp/cap
# virt-what's CPUID helper (from the build host's virt-what package; the guest has glibc for the
# JRE): its real output, as the sensor runs it on machines that have virt-what
if [ ! -e /no-cpuid-helper ]; then
  /virt-what-cpuid-helper > /tmp/cap/commands/virt-what-cpuid-helper
  rc=$?; [ "$rc" = 0 ] || echo "$rc" > /tmp/cap/commands/virt-what-cpuid-helper.exit
fi
dmesg > /tmp/cap/commands/dmesg
echo "CAPTURE-BEGIN"
tar czf - -C /tmp/cap . | base64
echo "CAPTURE-END"
EOF
cp "$HERE/vm/capture-files.sh" "$WORK/overlay/capture-files.sh"
if [[ "${CAPTURE_NO_CPUID_HELPER:-}" == 1 ]]; then
  : > "$WORK/overlay/virt-what-cpuid-helper" # not run
else
  HELPER=/usr/libexec/virt-what-cpuid-helper
  [[ -x "$HELPER" ]] || HELPER=/usr/lib/virt-what/virt-what-cpuid-helper
  [[ -x "$HELPER" ]] || { echo "capture: virt-what-cpuid-helper not found (apt-get install virt-what)" >&2; exit 1; }
  cp "$HELPER" "$WORK/overlay/virt-what-cpuid-helper"
fi
echo "${CAPTURE_MODULES:-virtio_pci virtio_net virtio_blk virtio_scsi virtio_balloon e1000 e1000e vmxnet3 vmw_pvscsi vmw_balloon nvme ahci ata_piix sd_mod sr_mod}" \
  > "$WORK/overlay/capture-modules"
FILES='scenario.sh\ncapture-files.sh\nvirt-what-cpuid-helper\ncapture-modules\n'
if [[ "${CAPTURE_NO_CPUID_HELPER:-}" == 1 ]]; then touch "$WORK/overlay/no-cpuid-helper"; FILES="${FILES}no-cpuid-helper\n"; fi
(cd "$WORK/overlay" && printf "$FILES" | cpio -o -H newc --quiet | gzip) > "$WORK/overlay.cpio.gz"
cat "$GUEST/initramfs.cpio.gz" "$WORK/overlay.cpio.gz" > "$WORK/initramfs.cpio.gz"
truncate -s 64M "$WORK/disk.img"
ARGS=()
for a in "$@"; do ARGS+=("${a//@DISK@/$WORK/disk.img}"); done
timeout 300 qemu-system-x86_64 -accel tcg -m "${CAPTURE_MEM:-1024}" -smp "${CAPTURE_SMP:-2}" -nodefaults -no-user-config -nographic \
  -serial stdio -monitor none -no-reboot -kernel "$GUEST/vmlinuz" -initrd "$WORK/initramfs.cpio.gz" \
  -append "console=ttyS0 quiet panic=-1 ${CAPTURE_KERNEL_ARGS:-}" "${ARGS[@]}" > "$WORK/console.log" 2>&1 || true
grep -q CAPTURE-END "$WORK/console.log" || { tail -40 "$WORK/console.log" >&2; echo "capture: no capture on the console" >&2; exit 1; }
DEST="$HERE/chameleon-sensors/src/test/machines/$NAME"
rm -rf "$DEST"; mkdir -p "$DEST"
sed -n '/^CAPTURE-BEGIN/,/^CAPTURE-END/p' "$WORK/console.log" | sed '1d;$d' | tr -d '\r' | base64 -d | tar xzf - -C "$DEST"
# git keeps no empty folders (queues/rx-0, mq/0, drivers/virtio_balloon): mark them; SysRoot.list skips .keep
find "$DEST/root" -type d -empty -exec touch {}/.keep \;
{
  echo "Captured by vm/capture-tree.sh on $(date -u +%Y-%m-%d) from a QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}') guest"
  echo "(TCG, -smp ${CAPTURE_SMP:-2}, -m ${CAPTURE_MEM:-1024}, kernel args: ${CAPTURE_KERNEL_ARGS:-none}) running Debian's kernel $(cat "$DEST/root/proc/sys/kernel/osrelease" 2>/dev/null) with busybox."
  if [[ "${CAPTURE_NO_CPUID_HELPER:-}" == 1 ]]; then echo "virt-what's CPUID helper was not run (CAPTURE_NO_CPUID_HELPER=1): a machine without virt-what."; fi
  if [[ -n "${CAPTURE_MODULES:-}" ]]; then echo "Drivers loaded: $CAPTURE_MODULES"; fi
  echo "License: same as this repository (the data describes our own emulated machine)."
  echo
  echo "QEMU arguments:"
  printf '  %s\n' "$@"
  echo
  echo "Real bytes of the files the sensors read; links kept as links. Only what the capture script in"
  echo "vm/capture-tree.sh lists was copied; anything else is absent here even if the guest had it."
  echo "Empty folders hold a .keep file (git keeps no empty folders; SysRoot.list skips it)."
} > "$DEST/SOURCE.txt"
echo "captured: $DEST ($(find "$DEST/root" | wc -l) entries)"
