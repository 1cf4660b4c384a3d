package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemorySensorTest {
    static final String MEMINFO = """
            MemTotal:        8024332 kB
            MemFree:         1000000 kB
            MemAvailable:    6000000 kB
            SwapTotal:       2097148 kB
            SwapFree:        2097000 kB
            HugePages_Total:       4
            Hugepagesize:       2048 kB
            """;

    @TempDir
    Path tmp;

    @Test
    void meminfoInBytes() {
        Map<String, Long> m = MemorySensor.parseMeminfo(MEMINFO);
        assertThat(m).containsEntry("MemTotal", 8024332L * 1024).containsEntry("HugePages_Total", 4L)
                .containsEntry("Hugepagesize", 2048L * 1024);
    }

    @Test
    void meminfoLinesAreCutAtAnyWhitespaceAndGarbageIsSkipped() {
        Map<String, Long> m = MemorySensor.parseMeminfo("MemTotal:\t 1000 kB\n  MemFree:   7\n\nBad: x kB\nHuge:    99999999999999999999 kB\n"
                + "Over:    9223372036854775807 kB\nLone:\nTabbed:\t\t5\tkB\textra\n");
        assertThat(m).containsExactly(Map.entry("MemTotal", 1024_000L), Map.entry("MemFree", 7L), Map.entry("Tabbed", 5120L));
        assertThat(MemorySensor.words("  a\tb  c d", 3)).containsExactly("a", "b", "c");
        assertThat(MemorySensor.words("   ", 3)).isEmpty();
    }

    @Test
    void hugepagesThpAndBalloon() throws Exception {
        Tree t = new Tree(tmp).file("/proc/meminfo", MEMINFO)
                .file("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "4\n")
                .file("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "3\n")
                .file("/sys/kernel/mm/hugepages/hugepages-2048kB/resv_hugepages", "1\n")
                .file("/sys/kernel/mm/hugepages/hugepages-2048kB/surplus_hugepages", "0\n")
                .file("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0\n")
                .file("/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n")
                .file("/sys/kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise [madvise] never\n")
                .link("/sys/bus/virtio/drivers/virtio_balloon/virtio3", "../../../../devices/pci0000:00/0000:00:05.0/virtio3");
        Map<String, Object> m = t.sense(new MemorySensor());
        assertThat(m).containsEntry("totalBytes", 8024332L * 1024).containsEntry("availableBytes", 6000000L * 1024)
                .containsEntry("swapTotalBytes", 2097148L * 1024).containsEntry("swapFreeBytes", 2097000L * 1024);
        assertThat(m.get("hugepages")).isEqualTo(Map.of("defaultSizeBytes", 2097152L, "sizes", List.of(
                Map.of("sizeBytes", 1073741824L, "total", 0L),
                Map.of("sizeBytes", 2097152L, "total", 4L, "free", 3L, "reserved", 1L, "surplus", 0L))));
        assertThat(m.get("thp")).isEqualTo(Map.of("enabled", "madvise", "defrag", "madvise"));
        assertThat(m.get("balloon")).isEqualTo(Map.of("present", true, "driver", "virtio_balloon"));
    }

    @Test
    void balloonFromModulesAndItsAbsence() throws Exception {
        assertThat(new Tree(tmp.resolve("a")).file("/proc/modules", "vmw_balloon 24576 0 - Live 0x0\n").sense(new MemorySensor())
                .get("balloon")).isEqualTo(Map.of("present", true, "driver", "vmw_balloon"));
        // the virtio_balloon module is loaded and its driver registered, but no device is bound
        assertThat(new Tree(tmp.resolve("b")).file("/proc/modules", "virtio_balloon 1 0 - Live 0x0\n")
                .file("/sys/bus/virtio/drivers/virtio_balloon/bind", "").link("/sys/bus/virtio/drivers/virtio_balloon/module", "../../../../module/virtio_balloon")
                .sense(new MemorySensor()).get("balloon")).isEqualTo(Map.of("present", false));
        // nothing readable: not "false", just unknown, so absent
        assertThat(new Tree(tmp.resolve("c")).sense(new MemorySensor())).doesNotContainKey("balloon");
    }
}
