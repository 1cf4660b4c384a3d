package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sysfs trees laid out as the kernel lays them out: class entries are links into /sys/devices. */
class DisksSensorTest {
    @TempDir
    Path tmp;

    static Tree disk(Tree t, String name, String devicePath, String... files) {
        t.link("/sys/block/" + name, "../devices/" + devicePath + "/block/" + name);
        String real = "/sys/devices/" + devicePath + "/block/" + name;
        t.link(real + "/device", "../../../" + devicePath.substring(devicePath.lastIndexOf('/') + 1));
        for (int i = 0; i < files.length; i += 2) {
            t.file(real + "/" + files[i], files[i + 1]);
        }
        return t;
    }

    @Test
    void virtioScsiDiskIsFoundThroughItsHostAdapter() throws Exception {
        Tree t = new Tree(tmp);
        String dev = "pci0000:00/0000:00:05.0/virtio2/host0/target0:0:0/0:0:0:0";
        disk(t, "sda", dev, "size", "2097152\n", "queue/rotational", "1\n", "queue/scheduler", "[mq-deadline] kyber none\n",
                "queue/read_ahead_kb", "128\n", "queue/nr_requests", "256\n", "removable", "0\n", "mq/0/cpu_list", "0\n",
                "mq/1/cpu_list", "1\n");
        t.file("/sys/devices/" + dev + "/model", "QEMU HARDDISK   \n").file("/sys/devices/" + dev + "/vendor", "QEMU    \n")
                .link("/sys/devices/" + dev + "/driver", "../../../../../../../bus/scsi/drivers/sd")
                .link("/sys/devices/pci0000:00/0000:00:05.0/virtio2/driver", "../../../../bus/virtio/drivers/virtio_scsi")
                .link("/sys/devices/pci0000:00/0000:00:05.0/driver", "../../../bus/pci/drivers/virtio-pci");
        List<Map<String, Object>> disks = t.senseList(new DisksSensor());
        assertThat(disks).hasSize(1);
        assertThat(disks.get(0)).containsEntry("name", "sda").containsEntry("sizeBytes", 2097152L * 512)
                .containsEntry("rotational", true).containsEntry("removable", false).containsEntry("model", "QEMU HARDDISK")
                .containsEntry("vendor", "QEMU").containsEntry("scheduler", "mq-deadline")
                .containsEntry("schedulers", List.of("mq-deadline", "kyber", "none")).containsEntry("readAheadKb", 128L)
                .containsEntry("nrRequests", 256L).containsEntry("hwQueues", 2L).containsEntry("driver", "virtio_scsi")
                .containsEntry("deviceDriver", "sd").containsEntry("bus", "scsi").containsEntry("pciAddress", "0000:00:05.0")
                .containsEntry("virtio", true);
    }

    @Test
    void nvmeAndAhciAndXen() throws Exception {
        Tree t = new Tree(tmp);
        t.link("/sys/block/nvme0n1", "../devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1");
        t.file("/sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1/size", "100\n");
        t.file("/sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0/model", "Amazon Elastic Block Store\n");
        t.link("/sys/devices/pci0000:00/0000:00:04.0/nvme/nvme0/nvme0n1/device", "../../nvme0");
        t.link("/sys/devices/pci0000:00/0000:00:04.0/driver", "../../../bus/pci/drivers/nvme");
        disk(t, "sdb", "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0", "size", "8\n");
        t.link("/sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/driver", "../../../../../../../bus/scsi/drivers/sd");
        t.link("/sys/devices/pci0000:00/0000:00:1f.2/driver", "../../../bus/pci/drivers/ahci");
        t.link("/sys/block/xvda", "../devices/vbd-51712/block/xvda");
        t.link("/sys/devices/vbd-51712/block/xvda/device", "../../../vbd-51712");
        t.link("/sys/devices/vbd-51712/driver", "../../bus/xen/drivers/vbd");
        t.dir("/sys/block/loop0");
        List<Map<String, Object>> disks = t.senseList(new DisksSensor());
        assertThat(disks).extracting(d -> d.get("name")).containsExactly("nvme0n1", "sdb", "xvda");
        assertThat(disks.get(0)).containsEntry("driver", "nvme").containsEntry("bus", "nvme").containsEntry("model", "Amazon Elastic Block Store")
                .containsEntry("virtio", false);
        assertThat(disks.get(1)).containsEntry("driver", "ahci").containsEntry("bus", "ata").containsEntry("sizeBytes", 4096L);
        assertThat(disks.get(2)).containsEntry("driver", "xen-blkfront").containsEntry("bus", "xen").doesNotContainKey("pciAddress");
    }

    @Test
    void schedulerText() {
        assertThat(DisksSensor.parseScheduler("mq-deadline [none]")).contains("none");
        assertThat(DisksSensor.parseScheduler("none")).contains("none");
        assertThat(DisksSensor.parseScheduler("")).isEmpty();
    }
}
