package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuSensorTest {
    static final String EPYC = """
            processor	: 0
            vendor_id	: AuthenticAMD
            cpu family	: 25
            model		: 17
            model name	: AMD EPYC 9R14
            stepping	: 1
            microcode	: 0xa10113e
            cpu MHz		: 2599.998
            physical id	: 0
            core id		: 0
            flags		: fpu vme hypervisor avx512f

            processor	: 1
            vendor_id	: AuthenticAMD
            cpu family	: 25
            model		: 17
            model name	: AMD EPYC 9R14
            stepping	: 1
            microcode	: 0xa10113e
            cpu MHz		: 2599.998
            physical id	: 0
            core id		: 1
            flags		: fpu vme hypervisor avx512f
            """;

    @TempDir
    Path tmp;

    @Test
    void parsesX86Identity() {
        Map<String, Object> c = CpuSensor.parse(EPYC);
        assertThat(c).containsEntry("vendor", "AuthenticAMD").containsEntry("model", "AMD EPYC 9R14")
                .containsEntry("family", 25L).containsEntry("modelId", 17L).containsEntry("stepping", 1L)
                .containsEntry("microcode", "0xa10113e").containsEntry("logicalCount", 2L).containsEntry("cores", 2L)
                .containsEntry("threadsPerCore", 1L).containsEntry("reportedMHz", 2599.998);
        assertThat(c.get("flags")).isEqualTo(List.of("fpu", "vme", "hypervisor", "avx512f"));
    }

    @Test
    void arm64HasNoFamilyOrStepping() {
        Map<String, Object> c = CpuSensor.parse("""
                processor	: 0
                BogoMIPS	: 243.75
                Features	: fp asimd evtstrm aes
                CPU implementer	: 0x41
                CPU part	: 0xd0c
                """);
        assertThat(c).containsEntry("vendor", "0x41").doesNotContainKeys("family", "stepping", "modelId", "microcode");
    }

    @Test
    void numaNodesAndCpufreqFromSysfs() throws Exception {
        Tree t = new Tree(tmp).file("/proc/cpuinfo", EPYC)
                .file("/sys/devices/system/node/node0/cpulist", "0-1\n")
                .file("/sys/devices/system/node/node0/meminfo", "Node 0 MemTotal:       8024 kB\nNode 0 MemFree: 1 kB\n")
                .file("/sys/devices/system/node/node1/cpulist", "2-3\n")
                .file("/sys/devices/system/node/online", "0-1\n")
                .file("/sys/devices/system/cpu/online", "0-3\n")
                .file("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_min_freq", "400000\n")
                .file("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "3700000\n")
                .file("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", "2800123\n")
                .file("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", "performance\n");
        Map<String, Object> c = t.sense(new CpuSensor());
        assertThat(c).containsEntry("numaNodes", 2L).containsEntry("online", "0-3");
        assertThat(c.get("numa")).isEqualTo(List.of(Map.of("id", 0L, "cpus", "0-1", "memTotalBytes", 8024L * 1024),
                Map.of("id", 1L, "cpus", "2-3")));
        assertThat(c.get("frequency")).isEqualTo(Map.of("minMHz", 400L, "maxMHz", 3700L, "currentMHz", 2800L, "governor", "performance"));
    }

    @Test
    void withoutCpufreqTheReportedFrequencyIsUsed() throws Exception {
        Map<String, Object> c = new Tree(tmp).file("/proc/cpuinfo", EPYC).sense(new CpuSensor());
        assertThat(c.get("frequency")).isEqualTo(Map.of("reportedMHz", 2599.998));
        assertThat(c).doesNotContainKeys("numa", "numaNodes", "reportedMHz");
    }
}
