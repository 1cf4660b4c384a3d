package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.CommandRunner;
import dev.chameleon.host.Host;
import dev.chameleon.host.HostCommandRunner;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.FactSet;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every sensor against broken machines: the facts are absent (or partial), {@code meta.sensors}
 * says what happened, and nothing throws. Tests run as root, so "permission denied" is stood in
 * for by a directory where a file belongs: the read fails with a reason, as an EACCES would.
 */
class SensorsBadInputTest {
    @TempDir
    Path tmp;

    private static FactSet collect(Tree t) {
        return SensorSuite.standard().collect(t.host());
    }

    private static void allOk(FactSet f) {
        for (Sensor s : Sensors.all()) {
            assertThat(f.get("meta.sensors." + s.name() + ".status")).as(s.name()).contains("ok");
        }
    }

    @Test
    void emptyRootMissingSysfsClassesGivesEmptyFactsNotFailures() {
        FactSet f = collect(new Tree(tmp));
        allOk(f);
        assertThat(f.get("cpu")).contains(Map.of());
        assertThat(f.get("disks")).contains(List.of());
        assertThat(f.get("nics")).contains(List.of());
        assertThat(f.get("gpus")).contains(List.of());
        assertThat(f.get("apps")).contains(List.of());
        assertThat(f.get("security")).contains(Map.of());
        assertThat(f.get("memory")).contains(Map.of());
    }

    @Test
    void unreadableFilesAreProblemsWithAReason() {
        Tree t = new Tree(tmp).dir("/proc/cpuinfo").dir("/proc/meminfo").dir("/proc/cmdline")
                .dir("/sys/devices/system/cpu/vulnerabilities/meltdown")
                .file("/sys/devices/system/cpu/vulnerabilities/mds", "Not affected\n")
                .dir("/sys/block/vda/queue/scheduler").file("/sys/block/vda/size", "100\n");
        FactSet f = collect(t);
        allOk(f);
        assertThat(f.get("cpu.model")).isEmpty();
        assertThat(f.get("meta.sensors.cpu.problems.0")).contains(Map.of("source", "/proc/cpuinfo", "error", "is a directory"));
        assertThat(f.get("meta.sensors.memory.problems.0.source")).contains("/proc/meminfo");
        assertThat(f.get("security.vulnerabilities.mds.state")).contains("not-affected");
        assertThat(f.get("security.vulnerabilities.meltdown")).isEmpty();
        assertThat(f.get("meta.sensors.security.problems")).hasValueSatisfying(p ->
                assertThat(((List<?>) p).stream().map(x -> String.valueOf(((Map<?, ?>) x).get("source"))).toList())
                        .contains("/sys/devices/system/cpu/vulnerabilities/meltdown", "/proc/cmdline"));
        assertThat(f.get("disks.0.sizeBytes")).contains(51200L);
        assertThat(f.get("disks.0.scheduler")).isEmpty();
        assertThat(f.get("meta.sensors.disks.problems.0.source")).contains("/sys/block/vda/queue/scheduler");
    }

    @Test
    void binaryNonUtf8AndTruncatedValues() {
        byte[] garbage = {(byte) 0xff, (byte) 0xfe, 0, 1, 2, (byte) 0xc3, 0x28, 'x'};
        Tree t = new Tree(tmp).bytes("/sys/block/sda/size", garbage).bytes("/sys/block/sda/queue/rotational", garbage)
                .bytes("/sys/block/sda/device/model", "Disk \u00e9\u00e8".getBytes(StandardCharsets.ISO_8859_1))
                .bytes("/sys/class/net/eth0/mtu", garbage).bytes("/sys/class/net/eth0/device/vendor", garbage)
                .file("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 8")
                .file("/proc/meminfo", "MemTotal:  123")
                .bytes("/sys/kernel/mm/transparent_hugepage/enabled", garbage)
                .bytes("/proc/1/comm", garbage).file("/proc/1/stat", "1 (x")
                .bytes("/sys/bus/pci/devices/0000:00:02.0/class", garbage);
        FactSet f = collect(t);
        allOk(f);
        assertThat(f.get("disks.0.name")).contains("sda");
        assertThat(f.get("disks.0.sizeBytes")).isEmpty();
        assertThat(f.get("disks.0.rotational")).isEmpty();
        assertThat(f.get("disks.0.model")).hasValueSatisfying(m -> assertThat((String) m).startsWith("Disk "));
        assertThat(f.get("meta.sensors.disks.problems")).hasValueSatisfying(p -> assertThat((List<?>) p).hasSize(2));
        assertThat(f.get("nics.0.mtu")).isEmpty();
        assertThat(f.get("nics.0.vendorId")).isEmpty();
        assertThat(f.get("meta.sensors.nics.problems")).hasValueSatisfying(p -> assertThat(((List<?>) p).stream()
                .map(x -> String.valueOf(((Map<?, ?>) x).get("error"))).toList()).anySatisfy(e -> assertThat(e).startsWith("not a number"))
                .anySatisfy(e -> assertThat(e).startsWith("not a hex id")));
        assertThat(f.get("cpu.family")).contains(6L);
        assertThat(f.get("cpu.modelId")).contains(8L);
        assertThat(f.get("memory.totalBytes")).contains(123L);
        assertThat(f.get("memory.thp")).isEmpty();
        assertThat(f.get("gpus")).contains(List.of());
        assertThat(f.get("meta.sensors.gpus.problems.0.error")).hasValueSatisfying(e -> assertThat((String) e).startsWith("not a hex id"));
    }

    @Test
    void symlinkLoopsAndHugeFiles() throws Exception {
        Tree t = new Tree(tmp).link("/sys/block/vda", "vda").link("/sys/class/net/eth0", "../../class/net/eth0")
                .link("/sys/block/vdb", "../devices/x/block/vdb").link("/sys/devices/x/block/vdb/device", "../../../x")
                .link("/sys/devices/x/block/vdb/queue", "../vdb/queue")
                .link("/proc/cpuinfo", "cpuinfo");
        String line = "flags\t\t: " + "abc ".repeat(1000) + "\n";
        StringBuilder huge = new StringBuilder("processor\t: 0\nvendor_id\t: GenuineIntel\n");
        while (huge.length() < 3 * SysRoot.MAX_READ_BYTES) {
            huge.append(line);
        }
        t.file("/proc/meminfo", "MemTotal: 1 kB\n" + "Junk: 1 kB\n".repeat(400_000));
        t.file("/proc/1/cmdline", huge.toString());
        FactSet f = collect(t);
        allOk(f);
        assertThat(f.get("disks")).hasValueSatisfying(d -> assertThat((List<?>) d).hasSize(2));
        assertThat(f.get("disks.1.name")).contains("vdb");
        assertThat(f.get("disks.1.driver")).isEmpty();
        assertThat(f.get("disks.1.scheduler")).isEmpty();
        assertThat(f.get("nics.0.name")).contains("eth0");
        assertThat(f.get("memory.totalBytes")).contains(1024L);
        assertThat(f.get("meta.sensors.cpu.problems.0.source")).contains("/proc/cpuinfo");
    }

    @Test
    void aHungCommandTimesOutAndTheSensorSaysSo() {
        // a real process that never answers stands in for a hung nvidia-smi
        CommandRunner hung = new CommandRunner() {
            private final HostCommandRunner real = new HostCommandRunner();

            public CommandResult run(Command command, Duration timeout) {
                return real.run(Command.of("sleep", "60"), timeout);
            }

            public String describe() {
                return "every command is sleep 60";
            }
        };
        Tree t = new Tree(tmp);
        GpusSensorTest.pci(t, "0000:07:00.0", "0x030200", "0x10de", "0x20b0", "nvidia");
        FactSet f = new SensorSuite(List.of(new GpusSensor()), Duration.ofSeconds(30))
                .collect(new Host(new SysRoot(t.dir.resolve("root")), hung));
        assertThat(f.get("meta.sensors.gpus.status")).contains("ok");
        assertThat(f.get("gpus.0.model")).contains("GA100 [A100 SXM4 40GB]");
        assertThat(f.get("gpus.0.migMode")).isEmpty();
        assertThat(f.get("meta.sensors.gpus.problems.0.error")).hasValueSatisfying(e ->
                assertThat((String) e).startsWith("timed out after"));
        assertThat(f.get("meta.sensors.gpus.problems.0.source")).contains("command: nvidia-smi --query-gpu=pci.bus_id,mig.mode.current --format=csv,noheader");
        assertThat(f.get("meta.sensors.gpus.problems.1")).isEmpty();
    }
}
