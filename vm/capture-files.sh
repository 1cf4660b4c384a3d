#!/bin/sh
# Copies the /proc and /sys files Chameleon's sensors read into OUT/root, as the machine has them:
# regular files by value (procfs and sysfs report sizes tar cannot trust), symbolic links as links
# (so /sys/block/vda still leads into /sys/devices/...), and the driver links of every device's
# ancestors. Runs under busybox sh in the VM guests of vm/capture-tree.sh and under bash on a
# live machine:
#
#   vm/capture-files.sh OUT
#
# Writes only under OUT. Unreadable files are left out (absent in the capture).
set -u
OUT="${1:?usage: capture-files.sh OUT}"
C="$OUT/root"
mkdir -p "$C" "$OUT/commands"
copy() {  # copy one path by value (files) or as a link (links); folders are made
  for p in "$@"; do
    if [ -L "$p" ]; then
      mkdir -p "$C$(dirname "$p")"; [ -L "$C$p" ] || ln -s "$(readlink "$p")" "$C$p"
    elif [ -d "$p" ]; then
      mkdir -p "$C$p"
    elif [ -f "$p" ] && [ -r "$p" ]; then
      mkdir -p "$C$(dirname "$p")"; cat "$p" > "$C$p" 2>/dev/null || rm -f "$C$p"
    fi
  done
}
walk_up() {  # the driver links of a device folder and all its ancestors
  d="$(readlink -f "$1")"
  while [ "${#d}" -gt 13 ]; do
    copy "$d/driver" "$d/physfn"
    d="$(dirname "$d")"
  done
}
copy /proc/cpuinfo /proc/meminfo /proc/modules /proc/cmdline /proc/version /proc/filesystems \
     /proc/sys/kernel/osrelease /proc/sys/kernel/version /proc/1/comm /proc/1/cgroup /etc/os-release /usr/lib/os-release
for f in /sys/class/dmi/id/*; do [ "${f##*/}" = uevent ] || copy "$f"; done
for f in /sys/firmware/acpi/tables/*; do [ -f "$f" ] && copy "$f"; done
copy /sys/firmware/efi /sys/hypervisor/type /sys/hypervisor/uuid /sys/hypervisor/properties/features \
     /sys/devices/system/clocksource/clocksource0/available_clocksource /sys/devices/system/clocksource/clocksource0/current_clocksource
copy /sys/devices/system/cpu/online /sys/devices/system/cpu/possible /sys/devices/system/cpu/smt/control \
     /sys/devices/system/cpu/smt/active /sys/devices/system/cpu/vulnerabilities/* /sys/devices/system/cpu/cpu0/cpufreq/*
for n in /sys/devices/system/node/node*; do copy "$n/cpulist" "$n/meminfo"; done
for h in /sys/kernel/mm/hugepages/*; do copy "$h/nr_hugepages" "$h/free_hugepages" "$h/resv_hugepages" "$h/surplus_hugepages"; done
copy /sys/kernel/mm/transparent_hugepage/enabled /sys/kernel/mm/transparent_hugepage/defrag \
     /sys/kernel/mm/transparent_hugepage/shmem_enabled /sys/kernel/security/lsm /sys/kernel/security/lockdown \
     /sys/module/apparmor/parameters/enabled /sys/bus/*/drivers/*
for l in /sys/bus/*/drivers/*/*; do [ -L "$l" ] && [ "${l##*/}" != module ] && copy "$l"; done  # bound devices
for p in /sys/bus/pci/devices/*; do
  copy "$p"; r="$(readlink -f "$p")"
  copy "$r/vendor" "$r/device" "$r/subsystem_vendor" "$r/subsystem_device" "$r/class" "$r/revision" \
       "$r/sriov_totalvfs" "$r/sriov_numvfs"
  walk_up "$p"
done
for b in /sys/block/*; do
  copy "$b"; r="$(readlink -f "$b")"
  copy "$r/size" "$r/removable" "$r/serial" "$r/device" "$r/device/model" "$r/device/vendor" "$r/device/serial" \
       "$r/queue/rotational" "$r/queue/scheduler" "$r/queue/read_ahead_kb" "$r/queue/nr_requests" \
       "$r/queue/logical_block_size" "$r/queue/physical_block_size" "$r"/mq/*
  walk_up "$r"
done
for n in /sys/class/net/*; do
  copy "$n"; r="$(readlink -f "$n")"
  copy "$r/address" "$r/mtu" "$r/operstate" "$r/speed" "$r/duplex" "$r/device" "$r"/queues/*
  walk_up "$r"
done
uname -m > "$OUT/commands/uname-m"
