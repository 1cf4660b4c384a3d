package dev.chameleon.sensors.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.chameleon.host.CannedCommandRunner;
import dev.chameleon.host.Host;
import dev.chameleon.host.NoCommandRunner;
import dev.chameleon.host.SysRoot;
import dev.chameleon.sensors.SensorContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Missing, unreadable, garbled and empty sources: the detector answers and never throws. */
class BadInputTest {
    @TempDir
    Path tmp;

    private Path write(String path, byte[] content) throws IOException {
        Path p = tmp.resolve("root").resolve(path.substring(1));
        Files.createDirectories(p.getParent());
        Files.write(p, content);
        return p;
    }

    private Path write(String path, String content) throws IOException {
        return write(path, content.getBytes());
    }

    private Resolver.Answer detect() throws IOException {
        Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(tmp.resolve("commands"));
        return new PlatformSensor().detect(Host.fixture(tmp));
    }

    @Test
    void emptyRootAnswersWithLowConfidence() throws IOException {
        Resolver.Answer a = detect();
        assertThat(a.hypervisor()).isEqualTo("unknown");
        assertThat(a.container()).isEqualTo("none");
        assertThat(a.cloud()).isEqualTo("unknown");
        assertThat(a.confidence()).isLessThan(0.3);
        assertThat(a.evidence()).anySatisfy(e -> assertThat(e.signal()).isEqualTo("dmi"));
    }

    @Test
    void directoryWhereAFileIsExpectedIsANoteNotAFailure() throws IOException {
        // tests run as root, so chmod 000 would not stop a read: a directory reads as "is a directory"
        Files.createDirectories(tmp.resolve("root/proc/1/environ"));
        Files.createDirectories(tmp.resolve("root/sys/class/dmi/id/sys_vendor"));
        Files.createDirectories(tmp.resolve("root/proc/cpuinfo"));
        write("/proc/1/cgroup", "0::/\n");
        Resolver.Answer a = detect();
        assertThat(a.evidence()).anySatisfy(e -> {
            assertThat(e.source()).isEqualTo("/proc/1/environ");
            assertThat(e.value()).contains("unreadable");
            assertThat(e.supports()).isEqualTo("nothing");
        });
        assertThat(a.evidence()).anySatisfy(e -> assertThat(e.source()).isEqualTo("/sys/class/dmi/id/sys_vendor"));
        assertThat(a.container()).isEqualTo("none");
    }

    @Test
    void missingDmiWithHypervisorFlag() throws IOException {
        write("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme hypervisor\n");
        Resolver.Answer a = detect();
        assertThat(a.hypervisor()).isEqualTo("unknown");
        assertThat(a.cloud()).isEqualTo("unknown");
        assertThat(a.evidence()).anySatisfy(e -> assertThat(e.supports()).isEqualTo("vm"));
    }

    @Test
    void x86WithoutHypervisorFlagIsBareMetal() throws IOException {
        write("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme vmx\n");
        Resolver.Answer a = detect();
        assertThat(a.hypervisor()).isEqualTo("none");
        assertThat(a.cloud()).isEqualTo("none");
    }

    @Test
    void binaryGarbageInDmiValues() throws IOException {
        byte[] junk = new byte[300];
        new Random(42).nextBytes(junk);
        junk[5] = 0;
        write("/sys/class/dmi/id/sys_vendor", junk);
        write("/sys/class/dmi/id/product_name", new byte[] {0, 0, 0, (byte) 0xff, 'V', 'M', 'w', 'a', 'r', 'e', 0});
        write("/sys/class/dmi/id/chassis_asset_tag", junk);
        Resolver.Answer a = detect();
        assertThat(a.hypervisor()).isIn("vmware", "unknown", "none");
        assertThat(a.evidence()).allSatisfy(e -> {
            assertThat(e.value().length()).isLessThanOrEqualTo(Evidence.MAX_VALUE);
            assertThat(e.value()).doesNotContain("\0");
        });
        // a NUL-padded VMware product string still names VMware
        assertThat(a.hypervisor()).isEqualTo("vmware");
    }

    @Test
    void emptyFilesEverywhere() throws IOException {
        for (String f : List.of("/proc/cpuinfo", "/proc/1/environ", "/proc/1/cgroup", "/proc/self/cgroup", "/proc/self/status",
                "/proc/version", "/sys/class/dmi/id/sys_vendor", "/sys/class/dmi/id/product_name",
                "/sys/hypervisor/type", "/proc/modules", "/proc/sysinfo", "/sys/firmware/acpi/tables/DSDT",
                "/sys/bus/pci/devices/0000:00:00.0/vendor", "/proc/device-tree/hypervisor/compatible")) {
            write(f, new byte[0]);
        }
        for (String c : List.of("lscpu", "dmidecode", "lspci", "virt-what-cpuid-helper", "uname-m")) {
            Files.createDirectories(tmp.resolve("commands"));
            Files.write(tmp.resolve("commands").resolve(c), new byte[0]);
        }
        Resolver.Answer a = detect();
        assertThat(a.container()).isEqualTo("none");
        assertThat(a.cloud()).isIn("none", "unknown");
        assertThat(a.confidence()).isBetween(0.0, 1.0);
    }

    @Test
    void garbageCommandOutputAndNonZeroExits() throws IOException {
        Path cmds = tmp.resolve("commands");
        Files.createDirectories(cmds);
        byte[] junk = new byte[2000];
        new Random(7).nextBytes(junk);
        for (String c : List.of("lscpu", "dmidecode", "lspci", "lshal", "virt-what-cpuid-helper", "xl-list", "lparstat-i", "uname-svm")) {
            Files.write(cmds.resolve(c), junk);
        }
        Files.writeString(cmds.resolve("dmidecode.exit"), "1\n");
        write("/proc/self/status", junk);
        write("/proc/1/cgroup", junk);
        write("/proc/sysinfo", junk);
        assertThatCode(this::detect).doesNotThrowAnyException();
    }

    @Test
    void sensorWithoutCommandsRunsThroughTheSuiteContract() throws IOException {
        write("/.dockerenv", "");
        Host host = new Host(new SysRoot(tmp.resolve("root")), new NoCommandRunner());
        Object facts = new PlatformSensor().sense(new SensorContext(host));
        assertThat(facts).isInstanceOf(Map.class);
        Map<?, ?> m = (Map<?, ?>) facts;
        assertThat(m.get("container")).isEqualTo("docker");
        assertThat(m.get("confidence")).isInstanceOf(Double.class);
        assertThat((List<?>) m.get("evidence")).allSatisfy(e -> assertThat(((Map<?, ?>) e).keySet()).map(Object::toString).containsExactlyInAnyOrder("signal", "value", "source", "supports"));
    }

    @Test
    void cannedRunnerWithMissingFolder() {
        Host host = new Host(new SysRoot(tmp.resolve("nowhere")), new CannedCommandRunner(tmp.resolve("none")));
        assertThatCode(() -> new PlatformSensor().detect(host)).doesNotThrowAnyException();
    }

    /** Regression: Debian's kernels create an empty /sys/bus/xen on every machine; it is no sign of Xen. */
    @Test
    void emptyXenBusOfADebianKernelIsNotXen() throws IOException {
        Files.createDirectories(tmp.resolve("root/sys/bus/xen/drivers"));
        Files.createDirectories(tmp.resolve("root/sys/bus/xen/devices"));
        write("/sys/class/dmi/id/sys_vendor", "VMware, Inc.\n");
        Resolver.Answer a = detect();
        assertThat(a.hypervisor()).isEqualTo("vmware");
        assertThat(a.evidence()).noneMatch(e -> e.toFact().toString().contains("hypervisor=xen"));

        Files.createDirectories(tmp.resolve("root/sys/bus/xen/devices/vif-0"));
        assertThat(detect().evidence()).anyMatch(e -> e.toFact().toString().contains("hypervisor=xen"));
    }
}
