#!/usr/bin/env bash
# Migration readiness for real (issue 18): a Debian 12 guest set up on VMware-like hardware is
# found not ready for KVM, the agent rebuilds its initramfs, and the same disk boots on virtio.
#
#   vm/migrate-guest.sh DEB OUT_DIR
#
# The guest is the Debian root vm/deb-guest.sh builds and caches (DebGuestIT runs first); this
# script does not build it and fails when it is missing.
#
# Boot 1, VMware-like: SMBIOS "VMware, Inc." / "VMware Virtual Platform", the disk on a pvscsi
#   controller (scsi-hd, root=/dev/sda), a vmxnet3 NIC on a restricted user network, fstab naming
#   /dev/sda. The host passes the root's stock initramfs (MODULES=most: every driver). Inside:
#   dpkg -i; MODULES=dep + update-initramfs -u (the guest's own image now holds only what this
#   hardware needs: vmw_pvscsi, no virtio); echo kvm > /etc/chameleon/migration-target;
#   `chameleon readiness --target kvm` (not ready, with its reasons); a policy naming the pack's
#   migration-to-kvm profile + `chameleon apply --yes --only 'initramfs:*'` (the agent runs
#   update-initramfs with the virtio drivers; --only because the whole pack's apply fails here on
#   the vmware-balloon policy: QEMU's VMware look-alike has no balloon device, docs/vm-tests.md); then the OPERATOR's step, not the agent's: fstab rewritten to LABEL= (the pack
#   has no fstab fix: docs/hardware.md); readiness again; power off.
# Host: the guest's rebuilt /boot/initrd.img-KVER is read out of the disk image with debugfs (no
#   mount).
# Boot 2, KVM-like: no VMware SMBIOS, the disk on virtio-blk (root=/dev/vda), a virtio-net NIC,
#   booted with THAT initramfs (so the boot itself proves the agent-built image); inside: the root
#   device, lsmod, readiness --target kvm again; power off.
# Each step prints `MIG <step> key=value ...` or `MIG-JSON <step> <json>`; MigrationGuestIT asserts
# on them. Exit status 0 when the guest printed its end marker in boot 2.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 DEB OUT_DIR" >&2; exit 2; }
DEB="$(readlink -f "$1")"
OUT="$2"
[[ -f "$DEB" ]] || { echo "migrate-guest: no package $1" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "migrate-guest: needs root" >&2; exit 2; }
export PATH="$PATH:/sbin:/usr/sbin"
for t in mkfs.ext4 debugfs qemu-system-x86_64; do
  command -v "$t" >/dev/null || { echo "migrate-guest: $t missing (apt-get install e2fsprogs qemu-system-x86)" >&2; exit 2; }
done
mkdir -p "$OUT"
OUT="$(readlink -f "$OUT")"
CACHE="${CHAMELEON_VM_CACHE:-/var/cache/chameleon-vm}/deb-guest"
ROOTFS="$(ls "$CACHE"/rootfs-*.tar 2>/dev/null | head -1 || true)"
[[ -n "$ROOTFS" ]] || { echo "migrate-guest: no Debian root in $CACHE: run vm/deb-guest.sh (DebGuestIT) once first" >&2; exit 2; }

WORK="$(mktemp -d -t migrate-guest.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
R="$WORK/root"
mkdir -p "$R"
exec 9>"$CACHE/.lock"   # vm/deb-guest.sh holds it while it (re)builds the root
flock -s 9
tar -xf "$ROOTFS" -C "$R"
flock -u 9
cp "$DEB" "$R/root/chameleon.deb"
echo chameleon-migrate-guest >"$R/etc/hostname"
# set up on VMware: the root by the kernel's device name
printf '/dev/sda / ext4 rw,relatime 0 1\n' >"$R/etc/fstab"
ln -sf /dev/null "$R/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$R/etc/systemd/system/getty@tty1.service"

cat >"$R/usr/local/sbin/chameleon-migrate-test" <<'EOF'
#!/bin/sh
exec >/dev/ttyS0 2>&1
echo
say() { echo "MIG $*"; }
json() { printf 'MIG-JSON %s ' "$1"; tr -d '\n' <"$2"; echo; }
KVER=$(uname -r)
IMG=/boot/initrd.img-$KVER
has() { lsinitramfs "$IMG" | grep -c "/$1\.ko"; }
drivers() { echo "virtio_blk=$(has virtio_blk) virtio_scsi=$(has virtio_scsi) virtio_net=$(has virtio_net) virtio_pci=$(has virtio_pci) vmw_pvscsi=$(has vmw_pvscsi)"; }
rootdev() { findmnt -n -o SOURCE /; }
STAGE=/var/lib/chameleon-migrate-test/stage
mkdir -p "${STAGE%/*}"

boot1() {
say booted stage=vmware kernel=$KVER root=$(rootdev) vendor="$(tr ' ,' '__' </sys/class/dmi/id/sys_vendor)" nic=$(basename "$(readlink -f /sys/class/net/*/device/driver | head -1)") storage=$(lsmod | awk '$1=="vmw_pvscsi"{print $1}')
dpkg -i /root/chameleon.deb >/tmp/dpkg.log 2>&1; rc=$?
# the daemon (plan mode) is not needed here and would compete for the emulated CPU
systemctl disable --now chameleon >/dev/null 2>&1
say install rc=$rc
[ $rc = 0 ] || cat /tmp/dpkg.log
# as a guest installed on VMware ends up: an initramfs with the drivers of this hardware only
sed -i 's/^MODULES=.*/MODULES=dep/' /etc/initramfs-tools/initramfs.conf
update-initramfs -u -k "$KVER" >/tmp/build.log 2>&1; rc=$?
say vmware-initramfs rc=$rc $(drivers)
[ $rc = 0 ] || tail -20 /tmp/build.log
echo kvm >/etc/chameleon/migration-target
chameleon readiness --target kvm -o json --exit-code >/tmp/r1.json 2>/tmp/r1.err; rc=$?
say readiness-before rc=$rc
json readiness-before /tmp/r1.json
cat /tmp/r1.err
chameleon readiness --target kvm 2>&1 | sed 's/^/MIG-LOG readiness-before: /'
cat >/etc/chameleon/policies.d/migrate.yaml <<'POLICY'
apiVersion: chameleon/v1
kind: Policy
metadata: {name: migrate-to-kvm}
spec: {priority: 60, profiles: [migration-to-kvm]}
POLICY
chameleon apply --yes --only 'initramfs:*' >/tmp/apply.txt 2>&1; rc=$?
say apply rc=$rc $(drivers) listed=$(grep -c '^virtio_blk$' /etc/initramfs-tools/modules)
grep -i 'initramfs' /tmp/apply.txt | sed 's/^/MIG-LOG apply: /'
[ $rc = 0 ] || tail -30 /tmp/apply.txt | sed 's/^/MIG-LOG apply: /'
# the operator's step (the pack does not rewrite fstab): the root by its label
sed -i 's|^/dev/sda |LABEL=chameleon-root |' /etc/fstab
say operator-fstab fstab="$(head -1 /etc/fstab | tr ' ' '_')"
chameleon readiness --target kvm -o json --exit-code >/tmp/r2.json 2>/dev/null; rc=$?
say readiness-after-apply rc=$rc
json readiness-after-apply /tmp/r2.json
echo kvm-next >"$STAGE"
sync
say poweroff-1
systemctl poweroff --no-block
}

boot2() {
say booted stage=kvm kernel=$KVER root=$(rootdev) vendor="$(tr ' ,' '__' </sys/class/dmi/id/sys_vendor)" nic=$(basename "$(readlink -f /sys/class/net/*/device/driver | head -1)") virtio_blk=$(lsmod | awk '$1=="virtio_blk"{print "loaded"}') cmdline_initrd_sha=$(sha256sum "$IMG" | cut -c1-16)
chameleon readiness --target kvm -o json --exit-code >/tmp/r3.json 2>/tmp/r3.err; rc=$?
say readiness-on-kvm rc=$rc $(drivers)
json readiness-on-kvm /tmp/r3.json
cat /tmp/r3.err
chameleon readiness --target kvm 2>&1 | sed 's/^/MIG-LOG readiness-on-kvm: /'
echo done >"$STAGE"
say end
sync
systemctl poweroff --no-block
}

case "$(cat "$STAGE" 2>/dev/null)" in
  '') boot1 ;;
  kvm-next) boot2 ;;
  *) say stage-unexpected "$(cat "$STAGE")"; systemctl poweroff --no-block ;;
esac
EOF
chmod 755 "$R/usr/local/sbin/chameleon-migrate-test"
cat >"$R/etc/systemd/system/chameleon-migrate-test.service" <<'EOF'
[Unit]
Description=Chameleon migration readiness test in a Debian guest
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/chameleon-migrate-test
TimeoutStartSec=0
[Install]
WantedBy=multi-user.target
EOF
mkdir -p "$R/etc/systemd/system/multi-user.target.wants"
ln -sf /etc/systemd/system/chameleon-migrate-test.service "$R/etc/systemd/system/multi-user.target.wants/"

KVER="$(ls "$R/boot" | sed -n 's/^vmlinuz-//p' | sort -V | tail -n1)"
[[ -n "$KVER" && -f "$R/boot/initrd.img-$KVER" ]] || { echo "migrate-guest: no kernel/initramfs in the root" >&2; exit 1; }
cp "$R/boot/vmlinuz-$KVER" "$WORK/vmlinuz"
cp "$R/boot/initrd.img-$KVER" "$WORK/initrd-stock.img"
mkfs.ext4 -q -F -L chameleon-root -d "$R" "$WORK/disk.img" 3G
rm -rf "$R"

# run_guest MARKER LOG INITRD ARGS...: one boot; stops a guest that has not printed MARKER within
# BOOT_LIMIT s (a TCG guest soft-locked in early boot) and waits for QEMU to exit (the guest
# powers off; -no-reboot)
BOOT_LIMIT="${CHAMELEON_DEB_GUEST_BOOT_LIMIT:-600}"
run_guest() {
  local marker="$1" log="$2" initrd="$3" qemu t0; shift 3
  : >"$log"
  timeout "${CHAMELEON_MIGRATE_GUEST_TIMEOUT:-900}" qemu-system-x86_64 -accel tcg -m 1536 -smp 2 -nodefaults -no-user-config \
    -nographic -serial "file:$log" -monitor none -no-reboot -kernel "$WORK/vmlinuz" -initrd "$initrd" "$@" >>"$OUT/qemu.log" 2>&1 &
  qemu=$!
  t0=$SECONDS
  while kill -0 "$qemu" 2>/dev/null && ! grep -q "MIG $marker" "$log"; do
    if (( SECONDS - t0 > BOOT_LIMIT )); then
      echo "[migrate-guest] no '$marker' after $BOOT_LIMIT s; the console's tail:" >&2
      tail -n 15 "$log" | tr -d '\r' | sed 's/^/  /' >&2
      kill "$qemu" 2>/dev/null
      break
    fi
    sleep 2
  done
  wait "$qemu" || true
}
: >"$OUT/qemu.log"
APPEND="rw console=ttyS0 quiet systemd.show_status=0 panic=-1"
echo "[migrate-guest] boot 1: VMware-like (pvscsi, vmxnet3, VMware SMBIOS), the stock initramfs" >&2
run_guest booted "$OUT/console-vmware.log" "$WORK/initrd-stock.img" \
  -smbios 'type=1,manufacturer=VMware,, Inc.,product=VMware Virtual Platform' \
  -device pvscsi,id=pvscsi0 -drive "file=$WORK/disk.img,format=raw,if=none,id=d0,cache=unsafe" \
  -device scsi-hd,drive=d0,bus=pvscsi0.0 \
  -netdev user,id=n0,restrict=on -device vmxnet3,netdev=n0 \
  -append "root=/dev/sda $APPEND"
cp "$OUT/console-vmware.log" "$OUT/console.log"
if grep -q 'MIG poweroff-1' "$OUT/console-vmware.log"; then
  # the initramfs the agent built in the guest, read from the disk without mounting it
  debugfs -R "dump /boot/initrd.img-$KVER $WORK/initrd-guest.img" "$WORK/disk.img" >>"$OUT/qemu.log" 2>&1
  echo "MIG extracted sha=$(sha256sum "$WORK/initrd-guest.img" | cut -c1-16) stock_sha=$(sha256sum "$WORK/initrd-stock.img" | cut -c1-16)"
  echo "[migrate-guest] boot 2: virtio (virtio-blk, virtio-net), the guest-built initramfs" >&2
  run_guest booted "$OUT/console-kvm.log" "$WORK/initrd-guest.img" \
    -drive "file=$WORK/disk.img,format=raw,if=virtio,cache=unsafe" \
    -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0 \
    -append "root=/dev/vda $APPEND"
  cat "$OUT/console-kvm.log" >>"$OUT/console.log"
fi
grep -o 'MIG.*' "$OUT/console.log" | tr -d '\r'
grep -o 'MIG.*' "$OUT/console.log" | grep -q '^MIG end' && exit 0
tail -n 60 "$OUT/console.log" >&2
cat "$OUT/qemu.log" >&2
echo "migrate-guest: the guest did not reach its end marker (console: $OUT/console.log)" >&2
exit 1
