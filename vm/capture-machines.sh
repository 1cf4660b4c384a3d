#!/usr/bin/env bash
# Re-captures the QEMU machine fixtures under chameleon-sensors/src/test/machines/
# (CapturedMachinesTest asserts on them). About 25 s each under TCG on 2 cores.
#   vm/capture-machines.sh [NAME...]     default: all
set -euo pipefail
HERE="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
want() { [[ $# -eq 0 ]] || [[ " ${SELECTED[*]} " == *" $1 "* ]]; }
SELECTED=("$@")
if [[ ${#SELECTED[@]} -eq 0 ]] || want qemu-q35-virtio; then
  CAPTURE_SMP=4 "$HERE/vm/capture-tree.sh" qemu-q35-virtio -machine q35 -cpu 'qemu64,model-id=QEMU Virtual CPU version 2.5+' \
    -smbios 'type=1,manufacturer=QEMU,product=Standard PC (Q35 + ICH9,, 2009),serial=capture-virtio-01' \
    -blockdev node-name=b1,driver=null-co,size=8589934592 -device virtio-blk-pci,drive=b1,serial=vblk-serial-1 \
    -device virtio-scsi-pci,id=scsi0,num_queues=2 -blockdev node-name=b2,driver=null-co,size=2147483648 \
    -device scsi-hd,drive=b2,bus=scsi0.0 \
    -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:56,romfile= -device virtio-balloon-pci
fi
if [[ ${#SELECTED[@]} -eq 0 ]] || want qemu-q35-nvme-ahci-e1000e; then
  CAPTURE_SMP=1 "$HERE/vm/capture-tree.sh" qemu-q35-nvme-ahci-e1000e -machine q35 -cpu 'qemu64,model-id=Intel Xeon Processor (Icelake)' \
    -smbios 'type=1,manufacturer=OpenStack Foundation,product=OpenStack Nova,version=27.1.0,serial=capture-nova-01' \
    -smbios 'type=3,manufacturer=QEMU,asset=OpenStack Nova' \
    -blockdev node-name=b1,driver=null-co,size=4294967296 -device nvme,drive=b1,serial=nvme-serial-1 \
    -blockdev node-name=b2,driver=null-co,size=1073741824 -device ide-hd,drive=b2,bus=ide.0,model=CAPTURE-SATA-DISK,rotation_rate=7200 \
    -netdev user,id=n0,restrict=on -device e1000e,netdev=n0,mac=52:54:00:ab:cd:01,romfile= -device VGA
fi
if [[ ${#SELECTED[@]} -eq 0 ]] || want qemu-pc-vmware; then
  CAPTURE_SMP=2 "$HERE/vm/capture-tree.sh" qemu-pc-vmware -machine pc,vmport=on \
    -cpu 'qemu64,-hypervisor,model-id=Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz' \
    -smbios 'type=0,vendor=Phoenix Technologies LTD,version=6.00,date=11/12/2020' \
    -smbios 'type=1,manufacturer=VMware,, Inc.,product=VMware Virtual Platform,version=None,serial=VMware-56 4d 6a 1f 2b 3c 4d 5e-6f 70 81 92 a3 b4 c5 d6' \
    -device pvscsi,id=scsi0 -blockdev node-name=b1,driver=null-co,size=17179869184 -device scsi-hd,drive=b1,bus=scsi0.0 \
    -netdev user,id=n0,restrict=on -device vmxnet3,netdev=n0,mac=00:50:56:aa:bb:01,romfile= \
    -netdev user,id=n1,restrict=on -device e1000,netdev=n1,mac=00:50:56:aa:bb:02,romfile= -device vmware-svga
fi
if [[ ${#SELECTED[@]} -eq 0 ]] || want qemu-numa-smt-hugepages; then
  CAPTURE_SMP=4,sockets=2,cores=1,threads=2 CAPTURE_MEM=1536 \
  CAPTURE_KERNEL_ARGS="hugepages=32 transparent_hugepage=never mitigations=off nosmt=force" \
  "$HERE/vm/capture-tree.sh" qemu-numa-smt-hugepages -machine q35 -cpu 'qemu64,model-id=Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz' \
    -object memory-backend-ram,id=m0,size=768M -object memory-backend-ram,id=m1,size=768M \
    -numa node,nodeid=0,cpus=0-1,memdev=m0 -numa node,nodeid=1,cpus=2-3,memdev=m1 \
    -blockdev node-name=b1,driver=null-co,size=1073741824 -device virtio-blk-pci,drive=b1 \
    -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,mq=on,vectors=10,romfile=
fi
if [[ ${#SELECTED[@]} -eq 0 ]] || want qemu-q35-tcg-no-cpuid-tool; then
  # the field trial's machine (issue 12): QEMU firmware, emulated (TCG), no virt-what and no cpuid
  # module, so nothing reads CPUID; only the kernel's clocksources and log can tell KVM from TCG
  CAPTURE_NO_CPUID_HELPER=1 CAPTURE_MODULES="virtio_pci virtio_net virtio_blk" CAPTURE_SMP=2 \
  "$HERE/vm/capture-tree.sh" qemu-q35-tcg-no-cpuid-tool -machine q35 \
    -cpu 'qemu64,model-id=QEMU Virtual CPU version 2.5+' \
    -smbios 'type=1,manufacturer=QEMU,product=Standard PC (Q35 + ICH9,, 2009),serial=capture-no-cpuid-01' \
    -blockdev node-name=b1,driver=null-co,size=4294967296 -device virtio-blk-pci,drive=b1,serial=vblk-serial-2 \
    -netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,mac=52:54:00:12:34:57,romfile=
fi
