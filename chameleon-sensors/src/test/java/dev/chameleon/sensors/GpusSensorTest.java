package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GpusSensorTest {
    @TempDir
    Path tmp;

    static Tree pci(Tree t, String addr, String cls, String vendor, String device, String driver) {
        String base = "/sys/bus/pci/devices/" + addr;
        t.file(base + "/class", cls + "\n").file(base + "/vendor", vendor + "\n").file(base + "/device", device + "\n");
        if (driver != null) {
            t.link(base + "/driver", "../../../bus/pci/drivers/" + driver);
        }
        return t;
    }

    @Test
    void datacenterGpusFromTheBuiltInTableWithMigFromNvidiaSmi() throws Exception {
        Tree t = new Tree(tmp);
        pci(t, "0000:00:00.0", "0x060000", "0x8086", "0x1237", null);
        pci(t, "0000:00:02.0", "0x030000", "0x1234", "0x1111", "bochs-drm");
        pci(t, "0000:07:00.0", "0x030200", "0x10de", "0x20b0", "nvidia");
        pci(t, "0000:08:00.0", "0x030200", "0x10de", "0x27b8", "vfio-pci");
        t.command("nvidia-smi-mig", "00000000:07:00.0, Enabled\n");
        List<Map<String, Object>> g = t.senseList(new GpusSensor());
        assertThat(g).hasSize(3);
        assertThat(g.get(0)).containsEntry("kind", "vga").containsEntry("model", "Bochs/QEMU standard VGA").containsEntry("driver", "bochs-drm");
        assertThat(g.get(1)).containsEntry("pciAddress", "0000:07:00.0").containsEntry("kind", "3d").containsEntry("vendorId", "0x10de")
                .containsEntry("deviceId", "0x20b0").containsEntry("vendor", "NVIDIA Corporation")
                .containsEntry("model", "GA100 [A100 SXM4 40GB]").containsEntry("modelSource", "builtin")
                .containsEntry("driver", "nvidia").containsEntry("migMode", "enabled");
        assertThat(g.get(2)).containsEntry("model", "AD104GL [L4]").containsEntry("driver", "vfio-pci").doesNotContainKey("migMode");
    }

    @Test
    void pciIdsUnderTheRootWinsOverTheBuiltInTable() throws Exception {
        Tree t = new Tree(tmp);
        pci(t, "0000:07:00.0", "0x030200", "0x10de", "0x20b0", null);
        pci(t, "0000:09:00.0", "0x038000", "0x1002", "0x9999", null);
        t.file("/usr/share/hwdata/pci.ids", """
                # comment
                1002  Advanced Micro Devices, Inc. [AMD/ATI]
                \t740c  Aldebaran/MI200 [Instinct MI250X/MI250]
                10de  NVIDIA Corporation
                \t1eb8  TU104GL [Tesla T4]
                \t\t10de 12a2  T4 16GB
                \t20b0  GA100 [A100 SXM4 40GB, from pci.ids]
                10df  Emulex Corporation
                """);
        List<Map<String, Object>> g = t.senseList(new GpusSensor());
        assertThat(g.get(0)).containsEntry("model", "GA100 [A100 SXM4 40GB, from pci.ids]").containsEntry("modelSource", "pci.ids");
        assertThat(g.get(1)).containsEntry("kind", "display").containsEntry("vendor", "Advanced Micro Devices, Inc. [AMD/ATI]")
                .doesNotContainKey("model");
    }

    @Test
    void noGpuIsAnEmptyList() throws Exception {
        assertThat(new GpusSensor().sense(new Tree(tmp).context())).isEqualTo(List.of());
    }

    @Test
    void builtInTableCoversTheCommonDatacenterGpus() {
        Map<String, String[]> b = GpusSensor.builtin();
        for (String id : List.of("10de:1db4", "10de:20b0", "10de:2330", "10de:1eb8", "10de:27b8", "10de:2236", "1002:740c")) {
            assertThat(b).containsKey(id);
        }
        assertThat(GpusSensor.parseMigModes("00000000:07:00.0, Disabled\n00000000:08:00.0, [N/A]\n"))
                .isEqualTo(Map.of("0000:07:00.0", "disabled"));
    }
}
