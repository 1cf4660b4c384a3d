package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.Host;
import dev.chameleon.model.FactSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The hardware sensors against trees captured from QEMU guests with vm/capture-tree.sh and from
 * this project's build machine (see each folder's SOURCE.txt).
 */
@SuppressWarnings("unchecked")
class CapturedMachinesTest {
    static FactSet collect(String name) {
        Path p = Path.of("src/test/machines", name);
        if (!Files.isDirectory(p)) {
            p = Path.of(System.getProperty("chameleon.repo", "."), "chameleon-sensors/src/test/machines", name);
        }
        FactSet f = SensorSuite.standard().collect(Host.fixture(p));
        for (Sensor s : Sensors.all()) {
            assertThat(f.get("meta.sensors." + s.name() + ".status")).as(name + " " + s.name()).contains("ok");
            assertThat(f.get("meta.sensors." + s.name() + ".problems")).as(name + " " + s.name()).isEmpty();
        }
        return f;
    }

    @Test
    void q35WithVirtioBlkVirtioScsiVirtioNetAndBalloon() {
        FactSet f = collect("qemu-q35-virtio");
        assertThat(f.get("platform.cloud")).contains("none");
        assertThat(f.get("cpu.model")).contains("QEMU Virtual CPU version 2.5+");
        assertThat(f.get("cpu.logicalCount")).contains(4L);
        assertThat(f.get("cpu.numaNodes")).contains(1L);
        assertThat(f.get("memory.balloon.driver")).contains("virtio_balloon");
        assertThat(f.get("memory.thp.enabled")).contains("always");
        assertThat(f.get("disks.0")).contains(Map.ofEntries(Map.entry("name", "sda"), Map.entry("sizeBytes", 2147483648L),
                Map.entry("rotational", true), Map.entry("removable", false), Map.entry("model", "QEMU HARDDISK"),
                Map.entry("vendor", "QEMU"), Map.entry("scheduler", "none"), Map.entry("schedulers", List.of("none", "mq-deadline")),
                Map.entry("readAheadKb", 128L), Map.entry("nrRequests", 256L), Map.entry("logicalBlockSize", 512L),
                Map.entry("physicalBlockSize", 512L), Map.entry("hwQueues", 2L), Map.entry("driver", "virtio_scsi"),
                Map.entry("deviceDriver", "sd"), Map.entry("bus", "scsi"), Map.entry("pciAddress", "0000:00:02.0"),
                Map.entry("virtio", true)));
        assertThat(f.get("disks.1.name")).contains("vda");
        assertThat(f.get("disks.1.driver")).contains("virtio_blk");
        assertThat(f.get("disks.1.serial")).contains("vblk-serial-1");
        assertThat(f.get("disks.1.sizeBytes")).contains(8589934592L);
        assertThat(f.get("disks.1.hwQueues")).contains(4L);
        assertThat(f.get("nics.0.driver")).contains("virtio_net");
        assertThat(f.get("nics.0.mac")).contains("52:54:00:12:34:56");
        assertThat(f.get("nics.0.vendorId")).contains("0x1af4");
        assertThat(f.get("nics.0.deviceId")).contains("0x1000");
        assertThat(f.get("nics.0.sriovVf")).contains(false);
        assertThat(f.get("gpus")).contains(List.of());
        assertThat(f.get("kernel.modules")).hasValueSatisfying(m -> assertThat((List<Object>) m).contains("virtio_scsi", "virtio_net"));
        assertThat(f.get("security.vulnerabilities.spectre_v2.state")).isPresent();
    }

    @Test
    void q35WithNvmeAhciE1000eAndStdVgaOnOpenStack() {
        FactSet f = collect("qemu-q35-nvme-ahci-e1000e");
        assertThat(f.get("platform.cloud")).contains("openstack");
        assertThat(f.get("cpu.logicalCount")).contains(1L);
        assertThat(f.get("cpu.model")).contains("Intel Xeon Processor (Icelake)");
        assertThat(f.get("disks.0.name")).contains("nvme0n1");
        assertThat(f.get("disks.0.driver")).contains("nvme");
        assertThat(f.get("disks.0.bus")).contains("nvme");
        assertThat(f.get("disks.0.model")).contains("QEMU NVMe Ctrl");
        assertThat(f.get("disks.0.rotational")).contains(false);
        assertThat(f.get("disks.0.sizeBytes")).contains(4294967296L);
        assertThat(f.get("disks.1.name")).contains("sda");
        assertThat(f.get("disks.1.driver")).contains("ahci");
        assertThat(f.get("disks.1.bus")).contains("ata");
        assertThat(f.get("disks.1.vendor")).contains("ATA");
        assertThat(f.get("disks.1.nrRequests")).contains(64L);
        assertThat(f.get("nics.0.driver")).contains("e1000e");
        assertThat(f.get("nics.0.deviceId")).contains("0x10d3");
        assertThat(f.get("gpus.0.model")).contains("Bochs/QEMU standard VGA");
        assertThat(f.get("gpus.0.kind")).contains("vga");
        assertThat(f.get("gpus.0.driver")).isEmpty();
        // the capture loaded virtio_balloon, but there is no balloon device to bind
        assertThat(f.get("kernel.modules")).hasValueSatisfying(m -> assertThat((List<Object>) m).contains("virtio_balloon"));
        assertThat(f.get("memory.balloon")).contains(Map.of("present", false));
    }

    @Test
    void vmwareLikePcWithPvscsiVmxnet3E1000AndSvga() {
        FactSet f = collect("qemu-pc-vmware");
        assertThat(f.get("platform.hypervisor")).contains("vmware");
        assertThat(f.get("cpu.logicalCount")).contains(2L);
        assertThat(f.get("disks.0.driver")).contains("vmw_pvscsi");
        assertThat(f.get("disks.0.bus")).contains("scsi");
        assertThat(f.get("disks.0.sizeBytes")).contains(17179869184L);
        assertThat(f.get("disks.0.virtio")).contains(false);
        assertThat(f.get("nics.0.driver")).contains("e1000");
        assertThat(f.get("nics.1.driver")).contains("vmxnet3");
        assertThat(f.get("nics.1.vendorId")).contains("0x15ad");
        assertThat(f.get("nics.1.deviceId")).contains("0x07b0");
        assertThat(f.get("nics.1.rxQueues")).contains(2L);
        assertThat(f.get("nics.1.txQueues")).contains(2L);
        assertThat(f.get("gpus.0.model")).contains("SVGA II Adapter");
        assertThat(f.get("gpus.0.vendor")).contains("VMware");
        // Linux detected VMware through QEMU's vmport, so VMware's balloon driver loaded
        assertThat(f.get("memory.balloon")).contains(Map.of("present", true, "driver", "vmw_balloon"));
    }

    @Test
    void twoNumaNodesHugepagesAndMitigationsOff() {
        FactSet f = collect("qemu-numa-smt-hugepages");
        assertThat(f.get("cpu.numaNodes")).contains(2L);
        assertThat(f.get("cpu.numa")).contains(List.of(Map.of("id", 0L, "cpus", "0-1", "memTotalBytes", 790974464L),
                Map.of("id", 1L, "cpus", "2-3", "memTotalBytes", 745480192L)));
        assertThat(f.get("cpu.sockets")).contains(2L);
        // -smp threads=2 on QEMU's AMD qemu64 model without topoext: the guest kernel itself counts
        // the threads as cores ("cpu cores: 2", "siblings: 2"), and so do we
        assertThat(f.get("cpu.cores")).contains(4L);
        assertThat(f.get("cpu.threadsPerCore")).contains(1L);
        assertThat(f.get("security.smt")).contains(Map.of("control", "notsupported", "active", false));
        assertThat(f.get("memory.hugepages.sizes")).contains(List.of(
                Map.of("sizeBytes", 2097152L, "total", 32L, "free", 32L, "reserved", 0L, "surplus", 0L)));
        assertThat(f.get("memory.thp.enabled")).contains("never");
        assertThat(f.get("security.cmdlineMitigations")).contains(Map.of("mitigations", "off", "nosmt", "force"));
        assertThat(f.get("security.vulnerabilities.spectre_v2.state")).contains("vulnerable");
        assertThat(f.get("disks.0.hwQueues")).contains(4L);
    }

    @Test
    void thisMachineADockerContainerInAFirecrackerVm() {
        FactSet f = collect("firecracker-docker");
        assertThat(f.get("platform.vmm")).contains("firecracker");
        assertThat(f.get("cpu.family")).contains(25L);
        assertThat(f.get("cpu.modelId")).contains(17L);
        assertThat(f.get("cpu.numaNodes")).contains(1L);
        assertThat(f.get("security.vulnerabilities.spec_store_bypass")).contains(Map.of("state", "vulnerable", "detail", ""));
        assertThat(f.get("security.vulnerabilities.spectre_v2.state")).contains("mitigated");
        assertThat(f.get("security.cmdlineMitigations.mitigations")).contains("auto,no_guest_host,no_guest_guest");
        assertThat(f.get("security.smt.control")).contains("notsupported");
        assertThat(f.get("memory.hugepages.sizes.0.sizeBytes")).contains(1073741824L);
        assertThat(f.get("memory.thp.enabled")).contains("madvise");
        assertThat(f.get("memory.balloon.driver")).contains("virtio_balloon");
        assertThat(f.get("disks")).hasValueSatisfying(d -> assertThat((List<?>) d).hasSize(1));
        assertThat(f.get("disks.0.driver")).contains("virtio_blk");
        assertThat(f.get("disks.0.sizeBytes")).contains(274877906944L);
        assertThat(f.get("nics.0.driver")).contains("virtio_net");
        assertThat(f.get("nics.0.mtu")).contains(1400L);
        assertThat(f.get("nics.1.virtual")).contains(true);
        assertThat(f.get("os.id")).contains("debian");
        assertThat(f.get("os.init.system")).contains("other");
        assertThat(f.get("os.init.pid1")).contains("process_api");
        assertThat(f.get("kernel.modulesSupported")).contains(false);
    }
}
