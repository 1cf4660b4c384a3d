#!/usr/bin/env bash
# Installs the chameleon .deb into a real Debian 12 guest, under QEMU (TCG), with the guest's own
# dpkg and systemd, and reports what happened at each step on the serial console:
#
#   vm/deb-guest.sh DEB OUT_DIR
#
# The guest: a Debian bookworm root built by mmdebstrap (minbase + systemd, udev, kmod, iproute2,
# procps, the distribution's openjdk-17-jre-headless, linux-image-cloud-amd64 and its initramfs,
# tuned (masked), ethtool, grub-pc), cached as a tarball under $CHAMELEON_VM_CACHE/deb-guest/
# (default /var/cache/chameleon-vm), keyed by its package list and recipe number. Each run unpacks
# it, adds the package (and the same package as a newer version, for the upgrade), a test unit and
# its script, makes a disk of it (an MBR, one ext4 partition from 1 MiB written by
# `mkfs.ext4 -E offset= -d`; no loop mount) and boots the guest's own kernel and initramfs from it
# (QEMU's -kernel); the second boot comes up through the GRUB the guest installed on that disk.
# The guest has a virtio NIC on QEMU's user network (restrict=on: nothing reaches the host).
#
# Inside, after multi-user.target, the script runs as root:
#   install (dpkg -i) → the unit is enabled and active, in plan mode; `chameleon status --json`
#   answers over the socket; vm.swappiness untouched → mode: apply in agent.yaml + `systemctl
#   reload` → the agent applies (a site policy among them persists a sysctl and a module's
#   options) → `chameleon plan` → grub-install + update-grub, a kernelCmdline apply (the real
#   update-grub) → reboot (QEMU exits, the host boots the same disk again, through GRUB) → the
#   persisted settings and the kernel argument are there and the agent changes nothing in them →
#   the kernel argument rolled back → `systemctl stop` (nothing undone) → tunedProfile, nic
#   (ethtool) and blockQueue applied with TuneD running, read back, rolled back → upgrade
#   to the newer version (the edited conffile kept, the agent restarted) → `dpkg -r` (state kept,
#   settings left as they are) → `dpkg -P` (state and config gone) → power off.
# Each step prints one line `DEBGUEST <step> key=value ...` or `DEBGUEST-JSON <step> <json>`;
# DebGuestIT asserts on them. OUT_DIR keeps console.log. Exit status: 0 when the guest reached its
# end marker, 1 otherwise (the console's tail is printed).
#
# Needs root (mmdebstrap, device nodes in the image), qemu-system-x86, mmdebstrap, e2fsprogs, fdisk.
# Timing on the 2-core build machine: root build ~65 s (first run only), image ~15 s, guest run
# 4–8 min under TCG (every JVM start in the guest is emulated).
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 DEB OUT_DIR" >&2; exit 2; }
DEB="$(readlink -f "$1")"
OUT="$2"
[[ -f "$DEB" ]] || { echo "deb-guest: no package $1" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "deb-guest: needs root" >&2; exit 2; }
for t in mmdebstrap mkfs.ext4 sfdisk qemu-system-x86_64 dpkg-deb; do
  command -v "$t" >/dev/null || PATH="$PATH:/sbin:/usr/sbin" command -v "$t" >/dev/null \
    || { echo "deb-guest: $t missing (apt-get install mmdebstrap e2fsprogs fdisk qemu-system-x86)" >&2; exit 2; }
done
export PATH="$PATH:/sbin:/usr/sbin"
mkdir -p "$OUT"
OUT="$(readlink -f "$OUT")"
CACHE="${CHAMELEON_VM_CACHE:-/var/cache/chameleon-vm}/deb-guest"
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9

# tuned, ethtool and grub-pc: scenario 10 runs the tunedProfile, nic and kernelCmdline kinds through
# the real tuned-adm/TuneD, ethtool and update-grub/grub-install
PACKAGES="systemd-sysv,udev,kmod,iproute2,procps,openjdk-17-jre-headless,linux-image-cloud-amd64,initramfs-tools,tuned,ethtool,grub-pc"
# the root's recipe (bump ROOT_RECIPE when the mmdebstrap call below changes); edits elsewhere in
# this script do not rebuild the root
ROOT_RECIPE=2
KEY="$(printf '%s|%s' "$PACKAGES" "$ROOT_RECIPE" | sha256sum | cut -c1-16)"
ROOTFS="$CACHE/rootfs-$KEY.tar"
if [[ ! -f "$ROOTFS" ]]; then
  echo "[deb-guest] building the Debian root (mmdebstrap bookworm minbase + $PACKAGES)" >&2
  rm -rf "$CACHE"/rootfs-*.tar "$CACHE/partial.tar"
  # TuneD is masked in the root: started, it would apply its recommended profile at every boot
  # and own the sysctls the .deb's steps assert on (and MigrationGuestIT's, which boots this root
  # too); the guest test unmasks it for its tunedProfile step only. grub-pc is installed but not
  # set up (no install device in the chroot): the guest runs grub-install itself.
  mmdebstrap --variant=minbase --format=tar --include="$PACKAGES" \
    --customize-hook='chroot "$1" update-initramfs -u -k all >/dev/null 2>&1 || true' \
    --customize-hook='chroot "$1" systemctl mask tuned.service' \
    bookworm "$CACHE/partial.tar" http://deb.debian.org/debian >"$CACHE/mmdebstrap.log" 2>&1 \
    || { tail -30 "$CACHE/mmdebstrap.log" >&2; echo "deb-guest: mmdebstrap failed" >&2; exit 1; }
  mv "$CACHE/partial.tar" "$ROOTFS"
fi

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
# one MBR partition from 1 MiB (the gap before it holds GRUB's core image once the guest runs
# grub-install)
printf '/dev/vda1 / ext4 rw,relatime 0 1\n' >"$R/etc/fstab"
# Test-only drop-in: the unit's CPUQuota=20% is meant for a real CPU; under TCG emulation (10-50x
# slower) it stretches the agent's first pass past the sensors' 20 s timeouts. Everything else in
# the unit (memory limits, hardening, restart policy) stays as shipped.
mkdir -p "$R/etc/systemd/system/chameleon.service.d"
printf '[Service]\nCPUQuota=\n' >"$R/etc/systemd/system/chameleon.service.d/tcg-test.conf"
# no login prompt on the console the report is read from
ln -sf /dev/null "$R/etc/systemd/system/serial-getty@ttyS0.service"
ln -sf /dev/null "$R/etc/systemd/system/getty@tty1.service"

cat >"$R/usr/local/sbin/chameleon-guest-test" <<'EOF'
#!/bin/sh
# Runs at every boot of the Debian guest (chameleon-guest-test.service), reports on the serial
# console. Scenario 9's reboot: /var/lib/chameleon-guest-test/stage says which half this boot is.
# The first boot installs and applies, records what it saw and reboots (QEMU runs with
# -no-reboot, so it exits; the host boots the same disk again); the second checks the persisted
# settings and goes on with stop, upgrade, remove and purge.
exec >/dev/ttyS0 2>&1
say() { echo "DEBGUEST $*"; }
echo
json() { printf 'DEBGUEST-JSON %s ' "$1"; tr -d '\n' <"$2"; echo; }
# matching lines in a file, 0 when none or no file
count() { n=$(grep -c "$@" 2>/dev/null); echo "${n:-0}"; }
# GRUB's normal (not recovery: 'single') kernel entries; GRUB_CMDLINE_LINUX_DEFAULT, where the
# agent's drop-in adds its arguments, is for these only
kernels() { grep -E '^[[:space:]]*linux[[:space:]]' /boot/grub/grub.cfg 2>/dev/null | grep -Ev '[[:space:]]single([[:space:]]|$)' | grep -c "${1:-.}"; }
swappiness() { cat /proc/sys/vm/swappiness; }
# until the agent answers over its socket with at least $1 passes (and mode $2 when given)
wait_agent() {
  i=0
  while [ $i -lt 150 ]; do
    if chameleon status --json >/tmp/status.json 2>/tmp/status.err; then
      passes=$(tr -d '\n ' </tmp/status.json | sed -n 's/.*"passes":\([0-9]*\).*/\1/p')
      mode=$(tr -d '\n ' </tmp/status.json | sed -n 's/.*"mode":"\([a-z]*\)".*/\1/p')
      if [ "${passes:-0}" -ge "$1" ] && { [ -z "${2:-}" ] || [ "$mode" = "$2" ]; }; then return 0; fi
    fi
    i=$((i + 1)); sleep 2
  done
  cat /tmp/status.err
  return 1
}
STAGE_DIR=/var/lib/chameleon-guest-test
mkdir -p "$STAGE_DIR"
# the persisted settings of the site policy below: the live value and the files that keep them
persisted() {
  echo "ratio=$(cat /proc/sys/vm/dirty_background_ratio)" \
    "sysctl_d=$(grep -v '^#' /etc/sysctl.d/90-chameleon-vm.dirty_background_ratio.conf 2>/dev/null | tr -d ' \n' | tr = :)" \
    "modprobe_d=$(grep '^options' /etc/modprobe.d/chameleon-loop-options.conf 2>/dev/null | tr -d '\n' | tr ' ' '_')"
}
# change sets in the agent's journal that wrote the persisted sysctl
journalled() { grep -l 'dirty_background_ratio' /var/lib/chameleon/journal/* 2>/dev/null | wc -l; }

first_boot() {
say booted kernel=$(uname -r) systemd=$(systemctl --version | awk 'NR==1 {print $2}') java=$(java -version 2>&1 | awk -F'"' 'NR==1 {print $2}') swappiness=$(swappiness) ratio=$(cat /proc/sys/vm/dirty_background_ratio)

# the kernel's CPUID device (not loaded by default on Debian): the agent, as root, reads the
# hypervisor signature from /dev/cpu/0/cpuid, which tells this TCG guest from a KVM one
modprobe cpuid; say cpuid rc=$? device=$(test -c /dev/cpu/0/cpuid && echo present || echo absent)
dpkg -i /root/chameleon-1.deb >/tmp/dpkg.log 2>&1; rc=$?
say install rc=$rc version=$(dpkg-query -W -f='${Version}' chameleon) active=$(systemctl is-active chameleon) enabled=$(systemctl is-enabled chameleon)
[ $rc = 0 ] || cat /tmp/dpkg.log
wait_agent 1; rc=$?
say status-plan rc=$rc swappiness=$(swappiness) mainpid=$(systemctl show -p MainPID --value chameleon) memorymax=$(systemctl show -p MemoryMax --value chameleon)
json status-plan /tmp/status.json

# an operator's site policy whose settings persist across a reboot: a sysctl.d drop-in and a
# module's options in modprobe.d (kernelCmdline needs a boot loader, and this guest boots its
# kernel directly: docs/vm-tests.md)
cat >/etc/chameleon/policies.d/site-persist.yaml <<'POLICY'
apiVersion: chameleon/v1
kind: Policy
metadata: {name: site-persist, description: settings that must survive a reboot}
spec:
  priority: 60
  when: "true"
  settings:
    - sysctl: {key: vm.dirty_background_ratio, value: 7, persist: true}
    - kernelModule: {name: loop, options: "max_loop=16"}
POLICY
sed -i 's/^mode: plan/mode: apply/' /etc/chameleon/agent.yaml
systemctl reload chameleon; rc=$?
before=$(tr -d '\n ' </tmp/status.json | sed -n 's/.*"passes":\([0-9]*\).*/\1/p')
wait_agent $((before + 1)) apply; rc2=$?
say reload-apply rc=$rc wait=$rc2 swappiness=$(swappiness) active=$(systemctl is-active chameleon) restarts=$(systemctl show -p NRestarts --value chameleon)
json reload-apply /tmp/status.json
chameleon history >/tmp/history.txt 2>&1; say history rc=$? lines=$(wc -l </tmp/history.txt)
chameleon plan --exit-code >/tmp/plan.txt 2>&1; rc=$?
say plan-after-apply rc=$rc summary="$(grep '^Plan:' /tmp/plan.txt | tr ' ' '_')"

# scenario 10, the kernel command line through the real GRUB: make the disk bootable by GRUB (this
# first boot came in through QEMU's -kernel), then the agent's kernelCmdline actuator writes its
# drop-in and runs the real update-grub; the reboot below comes up through SeaBIOS and GRUB. A
# CLI apply with its own state folder and only this policy: the daemon (apply mode) has no
# kernelCmdline setting, and its journal (counted above) stays as it is.
grub-install --target=i386-pc /dev/vda >/tmp/grub.log 2>&1; grc=$?
# no menu delay; GRUB and the kernel on the serial port (the guest has no display adapter: with
# Debian's default gfxterm GRUB stopped at its cleared screen and never loaded the kernel)
printf '%s\n' 'GRUB_TIMEOUT=0' 'GRUB_TERMINAL=serial' 'GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"' \
  'GRUB_CMDLINE_LINUX="console=ttyS0 panic=-1 systemd.show_status=0"' >>/etc/default/grub
update-grub >>/tmp/grub.log 2>&1; urc=$?
say grub-install rc=$grc update_grub=$urc kernels=$(kernels) watchdog=$(cat /proc/sys/kernel/watchdog) arg_running=$(grep -qw nowatchdog /proc/cmdline && echo present || echo absent)
[ $grc = 0 ] && [ $urc = 0 ] || sed 's/^/DEBGUEST-LOG grub: /' /tmp/grub.log
cat >/root/cmdline.yaml <<'POLICY'
apiVersion: chameleon/v1
kind: Policy
metadata: {name: real-cmdline, description: a kernel argument through GRUB}
spec:
  priority: 60
  when: "true"
  settings:
    - kernelCmdline: {arg: nowatchdog, state: present}
POLICY
CMDLINE_CLI="--no-default-policies --no-system-policies --policies /root/cmdline.yaml --state-dir /var/lib/chameleon-cmdline"
chameleon apply --yes $CMDLINE_CLI >/tmp/cmdline-apply.txt 2>&1; rc=$?
sed 's/^/DEBGUEST-LOG cmdline apply: /' /tmp/cmdline-apply.txt
chameleon plan --standalone $CMDLINE_CLI >/tmp/cmdline-plan.txt 2>&1
sed 's/^/DEBGUEST-LOG cmdline plan: /' /tmp/cmdline-plan.txt
say cmdline-apply rc=$rc dropin=$(count nowatchdog /etc/default/grub.d/chameleon.cfg) grub_cfg=$(kernels nowatchdog) reboot_record=$(count '^kernelCmdline:nowatchdog' /run/chameleon/reboot-required) plan_pending=$(count 'pending-reboot' /tmp/cmdline-plan.txt)
say before-reboot $(persisted) journalled=$(journalled)
journalled >"$STAGE_DIR/journalled"
echo rebooted >"$STAGE_DIR/stage"
sync
systemctl reboot --no-block
}

second_boot() {
# before the agent's first pass could have written anything: what the boot itself restored
# (systemd-sysctl runs before multi-user.target; the agent may already be running by now, so
# the journal count below is what shows it did not write the setting again)
say rebooted $(persisted) journalled_before=$(cat "$STAGE_DIR/journalled") boot_id_changed=$(test "$(cat "$STAGE_DIR/boot_id" 2>/dev/null)" != "$(cat /proc/sys/kernel/random/boot_id)" && echo yes || echo no)
wait_agent 1 apply; rc=$?
chameleon plan --exit-code >/tmp/plan.txt 2>&1; prc=$?
say reboot-agent rc=$rc journalled_after=$(journalled) $(persisted)
# the persisted settings' rows in the plan: each must be already in place
say plan-after-reboot rc=$prc summary="$(grep '^Plan:' /tmp/plan.txt | tr ' ' '_')" already=$(grep -cE '^ *= (sysctl:vm.dirty_background_ratio|sysctl:persist/vm.dirty_background_ratio|kernelModule:loop/options):' /tmp/plan.txt) to_change=$(grep -cE '^ *~ .*(dirty_background_ratio|loop/options)' /tmp/plan.txt)
grep -E 'dirty_background_ratio|loop/options' /tmp/plan.txt | sed 's/^/DEBGUEST-LOG plan: /'

# scenario 10: this boot came through GRUB (BOOT_IMAGE= is GRUB's) with the argument the agent
# added; /run (the pending-reboot record) is empty again; the agent finds the argument in place.
# Then its rollback: the drop-in goes, the real update-grub runs again, and until the next boot the
# record says the running kernel still has it. (No third boot to see it gone from /proc/cmdline:
# grub.cfg is what that boot would read.)
CMDLINE_CLI="--no-default-policies --no-system-policies --policies /root/cmdline.yaml --state-dir /var/lib/chameleon-cmdline"
say cmdline-rebooted booted_by=$(grep -q 'BOOT_IMAGE=' /proc/cmdline && echo grub || echo direct) arg_running=$(grep -qw nowatchdog /proc/cmdline && echo present || echo absent) watchdog=$(cat /proc/sys/kernel/watchdog) reboot_record=$(count '^kernelCmdline:nowatchdog' /run/chameleon/reboot-required)
tr -d '\r' </proc/cmdline | sed 's/^/DEBGUEST-LOG cmdline: /'
chameleon plan --standalone $CMDLINE_CLI >/tmp/cmdline-plan.txt 2>&1; prc=$?
sed 's/^/DEBGUEST-LOG cmdline plan: /' /tmp/cmdline-plan.txt
say cmdline-plan-after-reboot rc=$prc already=$(count -E '^ *= kernelCmdline:nowatchdog' /tmp/cmdline-plan.txt) plan_pending=$(count 'pending-reboot' /tmp/cmdline-plan.txt)
chameleon rollback --last --state-dir /var/lib/chameleon-cmdline >/tmp/cmdline-rollback.txt 2>&1; rc=$?
sed 's/^/DEBGUEST-LOG cmdline rollback: /' /tmp/cmdline-rollback.txt
say cmdline-rollback rc=$rc dropin=$(test -e /etc/default/grub.d/chameleon.cfg && echo present || echo gone) grub_cfg=$(kernels nowatchdog) kernels=$(kernels) reboot_record=$(count '^kernelCmdline:nowatchdog' /run/chameleon/reboot-required)

echo done >"$STAGE_DIR/stage"
rm -f /etc/chameleon/policies.d/site-persist.yaml

applied=$(swappiness)
systemctl stop chameleon
say stop active=$(systemctl is-active chameleon) swappiness=$(swappiness) applied=$applied

# scenario 10, the kinds that run programs at run time, with the agent stopped (nothing else
# changes these settings meanwhile): TuneD (masked in the root, see the recipe) started with the
# 'balanced' profile as the operator's choice, then one apply of a policy naming a TuneD profile,
# an offload of the virtio NIC and the disk's scheduler, each read back through the real program,
# and its rollback. TuneD is stopped and masked again after: it would own the sysctls the steps
# below assert on.
systemctl unmask tuned >/dev/null 2>&1
mkdir -p /etc/tuned; echo balanced >/etc/tuned/active_profile; echo manual >/etc/tuned/profile_mode
systemctl start tuned; trc=$?
NIC=$(ls /sys/class/net | grep -v '^lo$' | head -n1)
gro() { ethtool -k "$NIC" | sed -n 's/^generic-receive-offload: \([a-z]*\).*/\1/p'; }
sched() { sed -n 's/.*\[\(.*\)\].*/\1/p' /sys/block/vda/queue/scheduler; }
profile() { tuned-adm active 2>&1 | sed -n 's/^Current active profile: //p'; }
real() { echo "profile=$(profile) dirty_ratio=$(cat /proc/sys/vm/dirty_ratio) swappiness=$(swappiness) nic=$NIC gro=$(gro) scheduler=$(sched)"; }
say real-before tuned=$trc $(real) schedulers=$(tr ' ' ',' </sys/block/vda/queue/scheduler | tr -d '[]\n')
want_gro=off; [ "$(gro)" = off ] && want_gro=on
want_sched=mq-deadline; [ "$(sched)" = mq-deadline ] && want_sched=none
cat >/root/real.yaml <<POLICY
apiVersion: chameleon/v1
kind: Policy
metadata: {name: real-programs, description: settings written by tuned-adm and ethtool and in the disk queue}
spec:
  priority: 60
  when: "true"
  settings:
    - tunedProfile: {profile: throughput-performance}
    - nic: {name: $NIC, offload: {gro: $want_gro}}
    - blockQueue: {select: 'disk.name == "vda"', scheduler: $want_sched}
POLICY
REAL_CLI="--no-default-policies --no-system-policies --policies /root/real.yaml --state-dir /var/lib/chameleon-real"
chameleon apply --yes $REAL_CLI >/tmp/real-apply.txt 2>&1; rc=$?
sed 's/^/DEBGUEST-LOG real apply: /' /tmp/real-apply.txt
say real-apply rc=$rc want_gro=$want_gro want_scheduler=$want_sched $(real)
chameleon rollback --last --state-dir /var/lib/chameleon-real >/tmp/real-rollback.txt 2>&1; rc=$?
sed 's/^/DEBGUEST-LOG real rollback: /' /tmp/real-rollback.txt
say real-rollback rc=$rc $(real)
systemctl stop tuned; systemctl mask tuned >/dev/null 2>&1
say real-tuned-stopped active=$(systemctl is-active tuned) swappiness=$(swappiness) dirty_ratio=$(cat /proc/sys/vm/dirty_ratio)

dpkg -i /root/chameleon-2.deb >/tmp/dpkg.log 2>&1; rc=$?
say upgrade rc=$rc version=$(dpkg-query -W -f='${Version}' chameleon) active=$(systemctl is-active chameleon) mode=$(sed -n 's/^mode: *\([a-z]*\).*/\1/p' /etc/chameleon/agent.yaml)
[ $rc = 0 ] || cat /tmp/dpkg.log
wait_agent 1 apply; say status-upgraded rc=$?

dpkg -r chameleon >/tmp/dpkg.log 2>&1; rc=$?
say remove rc=$rc active=$(systemctl is-active chameleon) unit=$(test -e /lib/systemd/system/chameleon.service && echo present || echo gone) state=$(test -d /var/lib/chameleon && echo kept || echo gone) config=$(test -f /etc/chameleon/agent.yaml && echo kept || echo gone) swappiness=$(swappiness)
dpkg -P chameleon >/tmp/dpkg.log 2>&1; rc=$?
say purge rc=$rc state=$(test -d /var/lib/chameleon && echo kept || echo gone) config=$(test -e /etc/chameleon && echo kept || echo gone) status=$(dpkg-query -W -f='${Status}' chameleon 2>/dev/null | tr ' ' '_')
journalctl -u chameleon --no-pager -p warning -q | tail -n 20 | sed 's/^/DEBGUEST-LOG /'
say end
sync
systemctl poweroff --no-block
}

case "$(cat "$STAGE_DIR/stage" 2>/dev/null)" in
  '') cat /proc/sys/kernel/random/boot_id >"$STAGE_DIR/boot_id"; first_boot ;;
  rebooted) second_boot ;;
  *) say stage-unexpected "$(cat "$STAGE_DIR/stage")"; systemctl poweroff --no-block ;;
esac
EOF
chmod 755 "$R/usr/local/sbin/chameleon-guest-test"
cat >"$R/etc/systemd/system/chameleon-guest-test.service" <<'EOF'
[Unit]
Description=Chameleon .deb test in a Debian guest
After=multi-user.target
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
# the disk: an MBR with one Linux partition at 1 MiB holding the ext4 root (mkfs.ext4 writes it
# at that offset; no loop device, no mount)
truncate -s 3073M "$WORK/disk.img"
printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$WORK/disk.img" >/dev/null
mkfs.ext4 -q -F -L chameleon-root -E offset=1048576 -d "$R" "$WORK/disk.img" 3G
rm -rf "$R"

# boot_guest MARKER LOG: boots the disk once; a guest that does not print MARKER (its test
# service started) within BOOT_LIMIT seconds is stopped and booted again, once: under TCG on a
# loaded 2-core host the guest kernel has soft-locked in early boot (udev workers stuck for 748 s
# in one CI run) before any of the package's code ran. The first boot retries from an untouched
# copy of the image. A guest that boots and then fails its steps is not retried.
BOOT_LIMIT="${CHAMELEON_DEB_GUEST_BOOT_LIMIT:-600}"
# BOOT: direct (QEMU loads the kernel and initramfs) or grub (SeaBIOS runs GRUB from the disk)
boot_guest() {
  local marker="$1" log="$2" attempt qemu t0 boot
  if [ "${BOOT:-direct}" = grub ]; then
    boot=()
  else
    boot=(-kernel "$WORK/vmlinuz" -initrd "$WORK/initrd.img"
          -append "root=/dev/vda1 rw console=ttyS0 quiet systemd.show_status=0 panic=-1")
  fi
  for attempt in 1 2; do
    echo "[deb-guest] booting Debian ($KVER) under TCG, waiting for '$marker' (attempt $attempt)" >&2
    if [ "$attempt" = 2 ] && [ -f "$WORK/disk.pristine" ]; then cp --sparse=always "$WORK/disk.pristine" "$WORK/disk.img"; fi
    : >"$log"
    timeout "${CHAMELEON_DEB_GUEST_TIMEOUT:-1500}" qemu-system-x86_64 -accel tcg -m 1536 -smp 2 -nodefaults -no-user-config \
      -nographic -serial "file:$log" -monitor none -no-reboot \
      "${boot[@]}" \
      -drive "file=$WORK/disk.img,format=raw,if=virtio,cache=unsafe" \
      -netdev user,id=net0,restrict=on -device virtio-net-pci,netdev=net0 >>"$OUT/qemu.log" 2>&1 &
    qemu=$!
    t0=$SECONDS
    while kill -0 "$qemu" 2>/dev/null && ! grep -q "DEBGUEST $marker" "$log"; do
      if (( SECONDS - t0 > BOOT_LIMIT )); then
        echo "[deb-guest] attempt $attempt: no '$marker' report after $BOOT_LIMIT s; the console's tail:" >&2
        tail -n 15 "$log" | tr -d '\r' | sed 's/^/  /' >&2
        kill "$qemu" 2>/dev/null
        break
      fi
      sleep 2
    done
    wait "$qemu" || true
    grep -q "DEBGUEST $marker" "$log" && return 0
    cp "$log" "${log%.log}-attempt$attempt.log"
  done
  return 1
}
: >"$OUT/qemu.log"
cp --sparse=always "$WORK/disk.img" "$WORK/disk.pristine"
boot_guest booted "$OUT/console-boot1.log" || true
rm -f "$WORK/disk.pristine"
cp "$OUT/console-boot1.log" "$OUT/console.log"
# scenario 9: the guest rebooted itself after the apply (QEMU exits at a reboot: -no-reboot);
# boot the same disk again
if grep -q '^DEBGUEST before-reboot' "$OUT/console-boot1.log" && ! grep -q '^DEBGUEST end' "$OUT/console-boot1.log"; then
  # through GRUB when the guest installed it (scenario 10's kernel command line), else directly
  # (DebGuestIT then fails on the grub-install line)
  BOOT=direct
  grep -q '^DEBGUEST grub-install rc=0 update_grub=0' "$OUT/console-boot1.log" && BOOT=grub
  echo "[deb-guest] second boot: $BOOT" >&2
  boot_guest rebooted "$OUT/console-boot2.log" || true
  cat "$OUT/console-boot2.log" >>"$OUT/console.log"
fi
if grep -q '^DEBGUEST end' "$OUT/console.log"; then
  # (the firmware's terminal escapes may precede the first line on the console)
  grep -o 'DEBGUEST.*' "$OUT/console.log" | tr -d '\r'
  exit 0
fi
tail -n 60 "$OUT/console.log" >&2
cat "$OUT/qemu.log" >&2
echo "deb-guest: the guest did not reach its end marker (console: $OUT/console.log)" >&2
exit 1
