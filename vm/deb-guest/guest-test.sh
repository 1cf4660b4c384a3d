#!/bin/sh
# Runs at every boot of the Debian guest of vm/deb-guest.sh (chameleon-guest-test.service) and
# reports on the serial console: one line "DEBGUEST <step> key=value ..." per step,
# "DEBGUEST-JSON <step> <json>" for documents, "DEBGUEST-DIFF <line>" for differences.
# DebGuestIT asserts on them.
#
# Boot 1 (QEMU's -kernel, root on /dev/vda1): GRUB put on the disk as an installer would, a
#   snapshot of the pristine guest (vm-state), then the .deb's life: install (plan mode) → status →
#   mode: apply + reload → plan → stop → upgrade; then scenario 10 of issue 15: the policies of
#   /root/vmtest/real-programs.yaml dropped into /etc/chameleon/policies.d, applied by the running
#   agent with the real programs, each value read back with the same programs; then the reboot
#   (QEMU exits; deb-guest.sh boots the disk again, through its GRUB).
# Boot 2 (SeaBIOS → GRUB → the kernel command line update-grub wrote): scenario 9: what the
#   policies persisted is there (sysctl.d, modules-load.d, the kernel command line, enabled units,
#   TuneD's profile, the package) and the agent, started by systemd, finds nothing to change; then
#   "rollback --all", remove, purge, and the guest must be the pristine snapshot again.
exec >/dev/ttyS0 2>&1
say() { echo "DEBGUEST $*"; }
echo
json() { printf 'DEBGUEST-JSON %s ' "$1"; tr -d '\n' <"$2"; echo; }
swappiness() { cat /proc/sys/vm/swappiness; }
word() { echo "$*" | tr -s ' \t' '__'; }
# until the agent answers over its socket with at least $1 passes (and mode $2 when given, and
# with $3 = platform: a pass that reported the platform; under TCG on a busy host the first pass
# can run past the sensors' timeouts, and the next one, an interval later, reports it)
wait_agent() {
  i=0
  while [ $i -lt 150 ]; do
    if chameleon status --json >/tmp/status.json 2>/tmp/status.err; then
      passes=$(tr -d '\n ' </tmp/status.json | sed -n 's/.*"passes":\([0-9]*\).*/\1/p')
      mode=$(tr -d '\n ' </tmp/status.json | sed -n 's/.*"mode":"\([a-z]*\)".*/\1/p')
      if [ "${passes:-0}" -ge "$1" ] && { [ -z "${2:-}" ] || [ "$mode" = "$2" ]; } \
         && { [ "${3:-}" != platform ] || tr -d '\n ' </tmp/status.json | grep -q '"platform":{"'; }; then return 0; fi
    fi
    i=$((i + 1)); sleep 2
  done
  cat /tmp/status.err
  return 1
}
# the values scenario 10 sets, read with the programs an operator would use
values() {
  echo "unit=$(systemctl is-active vmtest-echo.service)/$(systemctl is-enabled vmtest-echo.service)" \
    "cpuweight=$(systemctl show -p CPUWeight --value vmtest-echo.service)" \
    "tuned=$(systemctl is-active tuned.service)/$(systemctl is-enabled tuned.service)" \
    "profile=$(tuned-adm active 2>/dev/null | sed -n 's/^Current active profile: //p' | tr ' ' '_')" \
    "hello=$(dpkg-query -W -f='${Version}' hello 2>/dev/null || echo absent)" \
    "grubcfg=$(grep -c 'consoleblank=0' /boot/grub/grub.cfg)" \
    "cmdline=$(grep -qw consoleblank=0 /proc/cmdline && echo yes || echo no)" \
    "bbr=$(grep -c '^tcp_bbr ' /proc/modules)" \
    "cc=$(sysctl -n net.ipv4.tcp_congestion_control)" \
    "vfs=$(sysctl -n vm.vfs_cache_pressure)" \
    "sched=$(sed 's/.*\[\(.*\)\].*/\1/' /sys/block/vda/queue/scheduler)" \
    "ra=$(cat /sys/block/vda/queue/read_ahead_kb)" \
    "mtu=$(cat /sys/class/net/$NIC/mtu)" \
    "txqlen=$(cat /sys/class/net/$NIC/tx_queue_len)" \
    "gro=$(ethtool -k $NIC | sed -n 's/^generic-receive-offload: \([a-z]*\).*/\1/p')" \
    "rx=$(ethtool -g $NIC | awk -F'\t+' '/^Current/ {c=1} c && /^RX:/ {print $2; exit}')"
}
export VM_STATE_UNITS="vmtest-echo.service tuned.service"
# the guest's one NIC (virtio-net; named by systemd's predictable naming)
NIC=$(ls /sys/class/net | grep -v '^lo$' | head -n 1)
# the unit's agent: its state folder and events file (agent.yaml), for vm-agent
export STATE=/var/lib/chameleon EVENTS=/var/log/chameleon/events.jsonl
PHASE=/var/lib/vmtest/phase
mkdir -p /var/lib/vmtest

if [ ! -e "$PHASE" ]; then
  # ------------------------------------------------------------------------- boot 1
  say booted kernel=$(uname -r) systemd=$(systemctl --version | awk 'NR==1 {print $2}') java=$(java -version 2>&1 | awk -F'"' 'NR==1 {print $2}') swappiness=$(swappiness)
  # GRUB on the disk, as the installer leaves it (this boot came through QEMU's -kernel)
  grub-install /dev/vda >/tmp/grub.log 2>&1; rc1=$?
  update-grub >>/tmp/grub.log 2>&1; rc2=$?
  say grub install=$rc1 update=$rc2 cfg=$(test -s /boot/grub/grub.cfg && echo present || echo absent) entries=$(grep -c '^menuentry' /boot/grub/grub.cfg)
  [ $rc1 = 0 ] && [ $rc2 = 0 ] || sed 's/^/DEBGUEST-LOG /' /tmp/grub.log

  # the kernel's CPUID device (not loaded by default on Debian): the agent, as root, reads the
  # hypervisor signature from /dev/cpu/0/cpuid, which tells this TCG guest from a KVM one
  modprobe cpuid; say cpuid rc=$? device=$(test -c /dev/cpu/0/cpuid && echo present || echo absent)
  # the guest before the package: compared with the guest after rollback --all and purge
  say pristine $(vm-state save pristine | tr ' ' '_')
  dpkg -i /root/chameleon-1.deb >/tmp/dpkg.log 2>&1; rc=$?
  say install rc=$rc version=$(dpkg-query -W -f='${Version}' chameleon) active=$(systemctl is-active chameleon) enabled=$(systemctl is-enabled chameleon)
  [ $rc = 0 ] || cat /tmp/dpkg.log
  wait_agent 1 "" platform; rc=$?
  say status-plan rc=$rc swappiness=$(swappiness) mainpid=$(systemctl show -p MainPID --value chameleon) memorymax=$(systemctl show -p MemoryMax --value chameleon)
  json status-plan /tmp/status.json

  sed -i 's/^mode: plan/mode: apply/' /etc/chameleon/agent.yaml
  systemctl reload chameleon; rc=$?
  before=$(tr -d '\n ' </tmp/status.json | sed -n 's/.*"passes":\([0-9]*\).*/\1/p')
  wait_agent $((before + 1)) apply; rc2=$?
  say reload-apply rc=$rc wait=$rc2 swappiness=$(swappiness) active=$(systemctl is-active chameleon) restarts=$(systemctl show -p NRestarts --value chameleon)
  json reload-apply /tmp/status.json
  chameleon history >/tmp/history.txt 2>&1; say history rc=$? lines=$(wc -l </tmp/history.txt)
  chameleon plan --exit-code >/tmp/plan.txt 2>&1; rc=$?
  say plan-after-apply rc=$rc summary="$(grep '^Plan:' /tmp/plan.txt | tr ' ' '_')"

  applied=$(swappiness)
  systemctl stop chameleon
  say stop active=$(systemctl is-active chameleon) swappiness=$(swappiness) applied=$applied

  dpkg -i /root/chameleon-2.deb >/tmp/dpkg.log 2>&1; rc=$?
  say upgrade rc=$rc version=$(dpkg-query -W -f='${Version}' chameleon) active=$(systemctl is-active chameleon) mode=$(sed -n 's/^mode: *\([a-z]*\).*/\1/p' /etc/chameleon/agent.yaml)
  [ $rc = 0 ] || cat /tmp/dpkg.log
  wait_agent 1 apply; say status-upgraded rc=$?

  # --- scenario 10: one setting of every program-backed kind, applied by the running agent
  say real-before nic=$NIC $(values)
  { ethtool -g $NIC; ethtool -k $NIC | grep -E '^(generic-receive|tcp-segmentation)'; } 2>&1 | sed 's/^/DEBGUEST-LOG /' 
  changesets=$(grep -c '"event":"change-set"' $EVENTS)
  # the policy names the NIC; systemd named the virtio NIC after its slot (ens4 on QEMU's pc)
  sed "s/@NIC@/$NIC/g" /root/vmtest/real-programs.yaml >/etc/chameleon/policies.d/vmtest-real-programs.yaml
  # the agent sees the new file (policy-change), applies; then a pass that changes nothing
  lines=$(wc -l <$EVENTS)
  vm-agent events '"event":"change-set"' $((changesets + 1)) 420 >/dev/null 2>/tmp/wait.err; rc=$?
  vm-agent settled 300 >/tmp/settled.txt 2>>/tmp/wait.err; rc2=$?
  grep '"event":"change-set"' $EVENTS | tail -n +$((changesets + 1)) >/tmp/real-changesets.jsonl
  # what the agent reported since the policy came (errors, reloads, change sets), when a wait failed
  if [ $rc != 0 ] || [ $rc2 != 0 ]; then
    tail -n +$((lines + 1)) $EVENTS | grep -v '"event":"pass"' | cut -c1-700 | sed 's/^/DEBGUEST-LOG /'
    sed 's/^/DEBGUEST-LOG /' /tmp/wait.err
  fi
  say real-apply wait=$rc settled=$rc2 changesets=$(wc -l </tmp/real-changesets.jsonl) \
    failed=$(grep -c '"ok":false' /tmp/real-changesets.jsonl) $(values)
  grep -o '"verified [^"]*' /tmp/real-changesets.jsonl | sed 's/^"verified /DEBGUEST-APPLIED /; s/ (undo: .*//'
  grep '"ok":false' /tmp/real-changesets.jsonl | cut -c1-600 | sed 's/^/DEBGUEST-LOG /'
  chameleon plan --exit-code >/tmp/plan.txt 2>&1; rc=$?
  say real-plan rc=$rc summary="$(grep '^Plan:' /tmp/plan.txt | tr ' ' '_')" pending_reboot=$(grep -c 'pending-reboot' /tmp/plan.txt)
  [ $rc = 0 ] || grep -E '^  [~+?-]' /tmp/plan.txt | sed 's/^/DEBGUEST-LOG /'

  echo 2 >"$PHASE"
  sync
  say rebooting
  systemctl reboot
  exit 0
fi

# --------------------------------------------------------------------------- boot 2
say rebooted kernel=$(uname -r) bootloader=$(grep -q 'BOOT_IMAGE=' /proc/cmdline && echo grub || echo other) cmdline=$(word "$(cat /proc/cmdline)")
# systemd started the agent (enabled, mode: apply); its first pass after the boot
wait_agent 1 apply; rc=$?
sleep 5
wait_agent 2 apply
say agent-after-reboot rc=$rc active=$(systemctl is-active chameleon)
# scenario 9: the persisted settings are there, put there by the boot, not by the agent
say persisted $(values)
# what the agent changed since it started in this boot (the events file survives the reboot)
awk '/"event":"start"/ {n = NR} {line[NR] = $0} END {for (i = n; i <= NR; i++) print line[i]}' $EVENTS \
  | grep '"event":"change-set"' >/tmp/boot2-changesets.jsonl
say reboot-changes sets=$(wc -l </tmp/boot2-changesets.jsonl) keys=$(grep -o '"verified [^: ]*:[^: ]*' /tmp/boot2-changesets.jsonl | sed 's/"verified //' | sort -u | paste -sd, -)
chameleon plan --exit-code >/tmp/plan.txt 2>&1; rc=$?
say plan-after-reboot rc=$rc summary="$(grep '^Plan:' /tmp/plan.txt | tr ' ' '_')" pending_reboot=$(grep -c 'pending-reboot' /tmp/plan.txt)
[ $rc = 0 ] || grep -E '^  [~+?-]' /tmp/plan.txt | sed 's/^/DEBGUEST-LOG /'

# rollback --all with the agent stopped (running in apply mode it would apply them again)
systemctl stop chameleon
chameleon rollback --all >/tmp/rollback.txt 2>&1; rc=$?
say rollback-all rc=$rc sets=$(grep -c '^Rolled back change set' /tmp/rollback.txt) incomplete=$(grep -c 'incomplete' /tmp/rollback.txt) $(values)
[ $rc = 0 ] || sed 's/^/DEBGUEST-LOG /' /tmp/rollback.txt
rm -f /etc/chameleon/policies.d/vmtest-real-programs.yaml

dpkg -r chameleon >/tmp/dpkg.log 2>&1; rc=$?
say remove rc=$rc active=$(systemctl is-active chameleon) unit=$(test -e /lib/systemd/system/chameleon.service && echo present || echo gone) state=$(test -d /var/lib/chameleon && echo kept || echo gone) config=$(test -f /etc/chameleon/agent.yaml && echo kept || echo gone) swappiness=$(swappiness)
dpkg -P chameleon >/tmp/dpkg.log 2>&1; rc=$?
say purge rc=$rc state=$(test -d /var/lib/chameleon && echo kept || echo gone) config=$(test -e /etc/chameleon && echo kept || echo gone) status=$(dpkg-query -W -f='${Status}' chameleon 2>/dev/null | tr ' ' '_')
# the guest as before the package, except what a reboot itself changes: the test loaded cpuid by
# hand in boot 1 (again now), and the sensors' socket queries made the kernel load its sock_diag
# modules on demand (request_module, not a setting anyone changed)
modprobe cpuid
vm-state diff pristine >/tmp/pristine.diff; rc=$?
say pristine-after rc=$rc $(tail -n 1 /tmp/pristine.diff | tr ' ' '_')
grep -E '^(changed|new|missing) ' /tmp/pristine.diff | sed 's/^/DEBGUEST-DIFF /'
journalctl -u chameleon --no-pager -p warning -q | tail -n 20 | sed 's/^/DEBGUEST-LOG /'
say end
sync
systemctl poweroff --no-block
