package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.FactSet;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SensorSuiteTest {
    @TempDir
    Path tmp;

    @Test
    void constantsComeFromTheCacheAndVolatileValuesAreReRead() throws Exception {
        Tree t = new Tree(tmp).file("/proc/cpuinfo", CpuSensorTest.EPYC).file("/proc/meminfo", "MemAvailable: 100 kB\n")
                .file("/etc/os-release", "ID=debian\n").file("/proc/sys/kernel/osrelease", "6.1.0\n");
        t.file("/sys/class/dmi/id/sys_vendor", "VMware, Inc.\n").file("/sys/class/dmi/id/product_name", "VMware Virtual Platform\n");
        SensorSuite suite = SensorSuite.standard().only(List.of("platform", "cpu", "memory", "os", "kernel"));
        FactCache cache = new FactCache();
        FactSet first = suite.collect(t.host(), cache);
        assertThat(first.get("meta.sensors.cpu.cachedValues")).isEmpty();
        // the machine changes under the daemon: a new os-release and less memory
        t.file("/etc/os-release", "ID=ubuntu\n").file("/proc/meminfo", "MemAvailable: 50 kB\n")
                .file("/sys/class/dmi/id/sys_vendor", "Xen\n").file("/sys/class/dmi/id/product_name", "HVM domU\n")
                .file("/proc/cpuinfo", CpuSensorTest.EPYC.replace("AMD EPYC 9R14", "Changed"));
        FactSet second = suite.collect(t.host(), cache);
        assertThat(second.get("os.id")).contains("debian");
        assertThat(second.get("cpu.model")).contains("AMD EPYC 9R14");
        assertThat(second.get("kernel.release")).contains("6.1.0");
        assertThat(second.get("memory.availableBytes")).contains(50L * 1024);
        assertThat(first.get("platform.hypervisor")).contains("vmware");
        assertThat(second.get("platform.hypervisor")).contains("vmware");
        assertThat(second.get("meta.sensors.platform.cachedValues")).contains(1L);
        assertThat(second.provenance()).containsKey("platform.hypervisor");
        assertThat(second.get("meta.sensors.os.cachedValues")).contains(1L);
        assertThat(second.get("meta.sensors.cpu.cachedValues")).contains(1L);
        cache.invalidate("os");
        assertThat(suite.collect(t.host(), cache).get("os.id")).contains("ubuntu");
        // a one-shot collection always reads everything
        assertThat(suite.collect(t.host()).get("cpu.model")).contains("Changed");
    }

    /** The daemon reads boot-time facts once (cpuinfo, vulnerabilities, LSMs, cmdline) and runtime switches every pass. */
    @Test
    void bootTimeSecurityAndCpuinfoAreConstantsAndRuntimeSwitchesAreNot() throws Exception {
        String vuln = "/sys/devices/system/cpu/vulnerabilities/";
        Tree t = new Tree(tmp).file("/proc/cpuinfo", CpuSensorTest.EPYC).file(vuln + "meltdown", "Not affected\n")
                .file("/proc/cmdline", "root=/dev/vda1 mitigations=off\n").file("/sys/kernel/security/lsm", "lockdown,capability,apparmor\n")
                .file("/sys/devices/system/cpu/smt/control", "on\n").file("/sys/kernel/security/lockdown", "[none] integrity confidentiality\n");
        SensorSuite suite = SensorSuite.standard().only(List.of("cpu", "security"));
        FactCache cache = new FactCache();
        FactSet first = suite.collect(t.host(), cache);
        long logical = (Long) first.get("cpu.logicalCount").orElseThrow();
        t.file(vuln + "meltdown", "Vulnerable\n").file("/proc/cmdline", "root=/dev/vda1\n").file("/sys/kernel/security/lsm", "capability\n")
                .file("/sys/devices/system/cpu/smt/control", "off\n").file("/sys/kernel/security/lockdown", "none [integrity] confidentiality\n")
                .file("/proc/cpuinfo", CpuSensorTest.EPYC + "\nprocessor\t: 7\n");
        FactSet second = suite.collect(t.host(), cache);
        assertThat(second.get("security.vulnerabilities.meltdown.state")).contains("not-affected");
        assertThat(second.get("security.cmdlineMitigations.mitigations")).contains("off");
        assertThat(second.get("security.lsms")).contains(List.of("lockdown", "capability", "apparmor"));
        assertThat(second.get("cpu.logicalCount")).contains(logical);
        assertThat(second.provenance()).containsKeys("security.vulnerabilities", "security.cmdlineMitigations", "cpu.model");
        // switched at runtime: read every time
        assertThat(second.get("security.smt.control")).contains("off");
        assertThat(second.get("security.lockdown")).contains("integrity");
        // a uevent or SIGHUP drops the cache: everything is read again
        cache.invalidate();
        FactSet third = suite.collect(t.host(), cache);
        assertThat(third.get("security.vulnerabilities.meltdown.state")).contains("vulnerable");
        assertThat(third.get("security.cmdlineMitigations")).contains(Map.of());
        assertThat(third.get("security.lsms")).contains(List.of("capability"));
        assertThat(third.get("cpu.logicalCount")).contains(logical + 1);
    }

    @Test
    void problemsTimeoutsAndFailuresAreReportedPerSensor() {
        Tree t = new Tree(tmp).dir("/proc/meminfo").file("/sys/block/vda/size", "not-a-number\n");
        Sensor slow = new Sensor() {
            public String name() {
                return "slow";
            }

            public Object sense(SensorContext ctx) throws InterruptedException {
                Thread.sleep(60_000);
                return Map.of();
            }

            public Duration timeout() {
                return Duration.ofMillis(200);
            }
        };
        Sensor broken = new Sensor() {
            public String name() {
                return "broken";
            }

            public Object sense(SensorContext ctx) {
                throw new IllegalStateException("parser bug");
            }
        };
        FactSet f = new SensorSuite(List.of(new MemorySensor(), new DisksSensor(), slow, broken), Duration.ofSeconds(30)).collect(t.host());
        assertThat(f.get("meta.sensors.memory.status")).contains("ok");
        assertThat(f.get("meta.sensors.memory.problems.0.source")).contains("/proc/meminfo");
        assertThat(f.get("meta.sensors.memory.problems.0.error")).contains("is a directory");
        assertThat(f.get("memory.totalBytes")).isEmpty();
        assertThat(f.get("meta.sensors.disks.problems.0.error")).contains("not a number: not-a-number");
        assertThat(f.get("disks.0.name")).contains("vda");
        assertThat(f.get("disks.0.sizeBytes")).isEmpty();
        assertThat(f.get("meta.sensors.slow.status")).contains("timeout");
        assertThat(f.get("meta.sensors.slow.error")).contains("no answer within 200 ms");
        assertThat(f.get("meta.sensors.slow.partial")).isEmpty();
        // the real time it was given, not 0 (it never finished)
        assertThat((Double) f.get("meta.sensors.slow.durationMs").orElseThrow()).isGreaterThanOrEqualTo(200.0);
        assertThat(f.get("meta.sensors.broken.status")).contains("failed");
        assertThat(f.get("meta.sensors.broken.error")).contains("IllegalStateException: parser bug");
        assertThat(f.get("broken")).isEmpty();
    }

    /**
     * A sensor stuck past its deadline after settling part of its answer (here it waits on a
     * latch nobody opens, standing in for a read that never returns) keeps what it settled.
     */
    @Test
    void factsSettledBeforeTheDeadlineAreKeptWhenTheSensorRunsPastIt() {
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<java.util.Optional<Duration>> seen = new java.util.concurrent.atomic.AtomicReference<>();
        Sensor stuck = new Sensor() {
            public String name() {
                return "stuck";
            }

            public Object sense(SensorContext ctx) throws InterruptedException {
                seen.set(ctx.remaining());
                ctx.settle(Map.of("fromFiles", "kept"));
                never.await();
                return Map.of("fromFiles", "kept", "fromCommand", "never");
            }

            public Duration timeout() {
                return Duration.ofMillis(300);
            }
        };
        FactSet f = new SensorSuite(List.of(stuck), Duration.ofSeconds(30)).collect(new Tree(tmp).host());
        assertThat(f.get("stuck.fromFiles")).contains("kept");
        assertThat(f.get("stuck.fromCommand")).isEmpty();
        assertThat(f.get("meta.sensors.stuck.status")).contains("timeout");
        assertThat(f.get("meta.sensors.stuck.partial")).contains(true);
        assertThat(f.get("meta.sensors.stuck.error")).contains("no full answer within 300 ms; the facts settled before then are kept");
        assertThat((Double) f.get("meta.sensors.stuck.durationMs").orElseThrow()).isGreaterThanOrEqualTo(300.0);
        assertThat(seen.get()).hasValueSatisfying(d -> assertThat(d).isLessThanOrEqualTo(Duration.ofMillis(300)));
    }

    /** Commands run within what is left of the sensor's time; with too little left they are not started. */
    @Test
    void aCommandGetsAtMostTheSensorsRemainingTime() {
        Tree t = new Tree(tmp).command("true", "");
        java.util.List<Duration> timeouts = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.List<dev.chameleon.host.CommandResult> results = new java.util.concurrent.CopyOnWriteArrayList<>();
        Sensor s = new Sensor() {
            public String name() {
                return "cmds";
            }

            public Object sense(SensorContext ctx) throws InterruptedException {
                timeouts.add(ctx.commandTimeout(Duration.ofSeconds(10)));
                results.add(ctx.run(dev.chameleon.host.Command.of("true"), Duration.ofSeconds(10)));
                // spend the budget down past the tenth kept back for the answer (500 ms of 5 s) but answer
                // in time: 400 ms of margin, as a loaded machine oversleeps (50 ms was once not enough in CI)
                Thread.sleep(ctx.remaining().orElseThrow().toMillis() - 400);
                timeouts.add(ctx.commandTimeout(Duration.ofSeconds(10)));
                results.add(ctx.run(dev.chameleon.host.Command.of("true"), Duration.ofSeconds(10)));
                return Map.of();
            }

            public Duration timeout() {
                return Duration.ofSeconds(5);
            }
        };
        FactSet f = new SensorSuite(List.of(s), Duration.ofSeconds(30)).collect(t.host());
        assertThat(timeouts).as("the sensor answered in time: %s", f.get("meta.sensors.cmds")).hasSize(2);
        // a tenth of the 5 s is kept back for the sensor's answer
        assertThat(timeouts.get(0)).isLessThanOrEqualTo(Duration.ofMillis(4500)).isGreaterThan(Duration.ZERO);
        assertThat(results.get(0).ok()).isTrue();
        assertThat(timeouts.get(1)).isEqualTo(Duration.ZERO);
        assertThat(results.get(1).status()).isEqualTo(dev.chameleon.host.CommandResult.Status.TIMED_OUT);
        assertThat(f.get("meta.sensors.cmds.status")).contains("ok");
        assertThat(f.get("meta.sensors.cmds.problems.0.source")).contains("command: true");
        assertThat(f.get("meta.sensors.cmds.problems.0.error")).contains("not run: the sensor's time budget is spent");
    }
}
