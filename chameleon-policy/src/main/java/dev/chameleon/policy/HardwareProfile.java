package dev.chameleon.policy;

import java.util.List;

/**
 * A {@code HardwareProfile} document ({@code apiVersion: chameleon/v1}): the virtual hardware a
 * class of VM should be given. Every requirement is optional; an absent one ({@code null}, or an
 * empty list) is not checked. Read by {@link HardwareProfileParser}; compared with the facts by
 * {@code dev.chameleon.engine.hardware.HardwareCheck}.
 *
 * @param name            {@code metadata.name}, one word
 * @param description     {@code metadata.description}, or empty
 * @param source          the file it came from ({@code pack:hardware/database.yaml}, or the path given)
 * @param nicModel        {@code spec.nic.model}: {@code paravirtual} (the detected platform's paravirtual NIC: virtio_net, vmxnet3, hv_netvsc, ena, gve, xen-netfront), or null
 * @param nicMinQueues    {@code spec.nic.minQueues}: RX and TX queues each NIC should have, or null
 * @param diskModel       {@code spec.disk.model}: {@code paravirtual} (virtio_blk/virtio_scsi, vmw_pvscsi, hv_storvsc, nvme, xen-blkfront), or null
 * @param minVcpus        {@code spec.cpu.minCount}: logical CPUs, or null
 * @param maxThreadsPerCore {@code spec.cpu.maxThreadsPerCore}: topology (1 = no SMT siblings shown to the guest), or null
 * @param cpuFlags        {@code spec.cpu.flags}: {@code /proc/cpuinfo} flag names the workload needs ({@code aes}, {@code avx512f}); empty when none
 * @param minMemoryMiB    {@code spec.memory.minMiB}: MiB of RAM, or null
 * @param hugePageBacking {@code spec.memory.hugePageBacking}: guest RAM backed by the host's huge pages, or null
 * @param gpuPassthrough  {@code spec.gpu.passthrough}: a passed-through (non-emulated) GPU, or null
 * @param tpm             {@code spec.tpm}: a (virtual) TPM, or null
 * @param secureBoot      {@code spec.secureBoot}: UEFI secure boot on, or null
 */
public record HardwareProfile(String name, String description, String source, String nicModel, Long nicMinQueues,
        String diskModel, Long minVcpus, Long maxThreadsPerCore, List<String> cpuFlags, Long minMemoryMiB,
        Boolean hugePageBacking, Boolean gpuPassthrough, Boolean tpm, Boolean secureBoot) {
    /** The one apiVersion read. */
    public static final String API_VERSION = "chameleon/v1";
    /** The kind this document has. */
    public static final String KIND = "HardwareProfile";
    /** The one model word accepted for {@code nic.model} and {@code disk.model}. */
    public static final String PARAVIRTUAL = "paravirtual";

    public HardwareProfile {
        description = description == null ? "" : description;
        cpuFlags = cpuFlags == null ? List.of() : List.copyOf(cpuFlags);
    }
}
