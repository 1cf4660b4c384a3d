package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NicsSensorTest {
    @TempDir
    Path tmp;

    @Test
    void virtioNicBehindPciAndAnSriovVf() throws Exception {
        Tree t = new Tree(tmp);
        String v = "/sys/devices/pci0000:00/0000:00:03.0/virtio2/net/eth0";
        t.link("/sys/class/net/eth0", "../../devices/pci0000:00/0000:00:03.0/virtio2/net/eth0")
                .link(v + "/device", "../../../virtio2")
                .link("/sys/devices/pci0000:00/0000:00:03.0/virtio2/driver", "../../../../bus/virtio/drivers/virtio_net")
                .file(v + "/address", "52:54:00:12:34:56\n").file(v + "/mtu", "1500\n").file(v + "/operstate", "up\n")
                .file(v + "/speed", "-1\n").dir(v + "/queues/rx-0").dir(v + "/queues/rx-1").dir(v + "/queues/tx-0").dir(v + "/queues/tx-1")
                .link("/sys/bus/pci/devices/0000:00:03.0", "../../../devices/pci0000:00/0000:00:03.0")
                .file("/sys/devices/pci0000:00/0000:00:03.0/vendor", "0x1af4\n")
                .file("/sys/devices/pci0000:00/0000:00:03.0/device", "0x1000\n");
        String f = "/sys/devices/pci0000:00/0000:00:06.0/net/ens6";
        t.link("/sys/class/net/ens6", "../../devices/pci0000:00/0000:00:06.0/net/ens6")
                .link(f + "/device", "../../../0000:00:06.0")
                .link("/sys/devices/pci0000:00/0000:00:06.0/driver", "../../../bus/pci/drivers/ixgbevf")
                .link("/sys/devices/pci0000:00/0000:00:06.0/physfn", "../0000:00:05.0")
                .dir("/sys/devices/pci0000:00/0000:00:05.0")
                .link("/sys/bus/pci/devices/0000:00:06.0", "../../../devices/pci0000:00/0000:00:06.0")
                .file("/sys/devices/pci0000:00/0000:00:06.0/vendor", "0x8086\n")
                .file("/sys/devices/pci0000:00/0000:00:06.0/device", "0x10ed\n")
                .file(f + "/speed", "10000\n").file(f + "/duplex", "full\n").file(f + "/operstate", "up\n");
        t.file("/sys/class/net/lo/mtu", "65536\n").file("/sys/class/net/docker0/mtu", "1500\n")
                .file("/sys/class/net/docker0/operstate", "down\n");
        List<Map<String, Object>> nics = t.senseList(new NicsSensor());
        assertThat(nics).extracting(n -> n.get("name")).containsExactly("docker0", "ens6", "eth0");
        assertThat(nics.get(0)).containsEntry("virtual", true).containsEntry("operstate", "down").doesNotContainKeys("driver", "sriovVf");
        assertThat(nics.get(1)).containsEntry("driver", "ixgbevf").containsEntry("sriovVf", true).containsEntry("speedMbps", 10000L)
                .containsEntry("duplex", "full").containsEntry("vendorId", "0x8086").containsEntry("deviceId", "0x10ed");
        assertThat(nics.get(2)).containsEntry("driver", "virtio_net").containsEntry("pciAddress", "0000:00:03.0")
                .containsEntry("vendorId", "0x1af4").containsEntry("deviceId", "0x1000").containsEntry("mac", "52:54:00:12:34:56")
                .containsEntry("mtu", 1500L).containsEntry("rxQueues", 2L).containsEntry("txQueues", 2L)
                .containsEntry("sriovVf", false).containsEntry("virtual", false).doesNotContainKey("speedMbps");
    }
}
