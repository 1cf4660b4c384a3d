package dev.chameleon.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 19's proof in a real Debian 12 guest under QEMU (TCG, 2 vCPUs), with its own systemd,
 * cgroup v2, PSI and apt ({@code vm/pressure-guest.sh} drives it and prints one line per step).
 * nginx (a recognised application) and a stress-ng batch unit run; an operator's transient site
 * policy raises nginx's CPU and I/O weight while the kernel reports CPU or I/O pressure for
 * {@code for: 30s}, and the agent puts the weights back through its journal once the pressure has
 * gone for {@code keepFor: 20s}; a shorter burst changes nothing. A site policy opting in to the
 * pack's microcode update installs apt's candidate from a local repository made at test time
 * (stand-in packages, not Intel's microcode), reports the pending reboot and does not reboot.
 * Three bad policies fail {@code policy validate} at their positions.
 *
 * <p>Two latency probes, their clients in their own scope at weight 1000 (standing for a remote
 * client the guest's load does not slow): the small default page (reported; a mostly idle nginx is
 * run at once when it wakes, at either weight) and a CPU-bound request, a 230 kB page nginx
 * compresses for each answer. nginx (one worker) and the batch job share vCPU 0; the batch load
 * must slow the CPU-bound probe (median at least 1.3 times the idle one) and the shift must win
 * most of it back (median under load after the shift at most 0.8 times the one before): the gain
 * the issue asks for, measured in the run (docs/vm-tests.md).
 */
class PressureGuestIT {

    @Test
    @Timeout(value = 40, unit = TimeUnit.MINUTES)   // one boot under TCG; the script's own bound (Proc.run) is 30 min
    void shiftsWeightsUnderPressureAndPutsThemBackAndInstallsMicrocodeWithoutRebooting() throws Exception {
        String deb = System.getProperty("chameleon.deb");
        assertThat(deb).as("system property chameleon.deb (run through 'mvn verify')").isNotNull();
        Path script = Path.of(System.getProperty("chameleon.repo", "..")).resolve("vm/pressure-guest.sh");
        assertThat(script).isRegularFile();
        Path out = Files.createTempDirectory("chameleon-pressure-guest");
        DebPackageIT.Proc run = DebPackageIT.Proc.run(List.of("bash", script.toString(), deb, out.toString()), 1800);
        assertThat(run.code()).as("vm/pressure-guest.sh:\n" + run.out()).isZero();
        String report = run.out();
        System.out.println(report.lines().filter(l -> l.startsWith("PRESSUREGUEST ")).reduce("", (a, b) -> a + b + "\n"));

        Map<String, Map<String, String>> steps = new LinkedHashMap<>();
        List<String> validate = new ArrayList<>();
        for (String line : report.split("\n")) {
            if (line.startsWith("PRESSUREGUEST-VALIDATE ")) {
                validate.add(line.substring("PRESSUREGUEST-VALIDATE ".length()));
            } else if (line.startsWith("PRESSUREGUEST ")) {
                String[] p = line.substring("PRESSUREGUEST ".length()).split(" ");
                Map<String, String> kv = new LinkedHashMap<>();
                for (int i = 1; i < p.length; i++) {
                    int eq = p[i].indexOf('=');
                    if (eq > 0) {
                        kv.put(p[i].substring(0, eq), p[i].substring(eq + 1));
                    }
                }
                steps.put(p[0], kv);
            }
        }
        assertThat(steps).as(report).containsKeys("booted", "apt-repo", "install", "baseline", "probe-idle", "load", "probe-load", "shift",
                "probe-shifted", "probe-gz-idle", "probe-gz-load", "probe-gz-shifted", "unload", "returned", "burst", "microcode",
                "microcode-facts", "microcode-status", "validate", "end");
        assertThat(steps.get("booted")).as(report).containsEntry("vcpus", "2").containsEntry("psi", "yes")
                .containsEntry("vendor", "GenuineIntel");
        assertThat(steps.get("apt-repo")).as(report).containsEntry("update", "0").containsEntry("install", "0")
                .containsEntry("version", "1.0-1");
        assertThat(steps.get("install")).as(report).containsEntry("rc", "0").containsEntry("wait", "0")
                .containsEntry("active", "active").containsEntry("nginx", "active");

        // Baseline: no weight set on either unit (systemd: [not set]); nginx's cgroup files at the kernel's default.
        Map<String, String> base = steps.get("baseline");
        assertThat(base).as(report).containsEntry("nginx_cpu", "notset").containsEntry("nginx_io", "notset")
                .containsEntry("nginx_cg_cpu", "100").containsEntry("nginx_cg_io", "default:100")
                .containsEntry("batch_cpu", "notset").containsEntry("batch_io", "notset")
                .containsEntry("dropins", "0").containsEntry("nginx_sets", "0");
        for (String p : List.of("probe-idle", "probe-load", "probe-shifted")) {
            assertThat(steps.get(p)).as(report).containsEntry("rc", "0").containsEntry("n", "100");
        }
        // the CPU-bound probe: 20 answers, each compressed by nginx (fewer bytes than the page)
        int page = Integer.parseInt(steps.get("probe-gz-idle").get("page_bytes"));
        for (String p : List.of("probe-gz-idle", "probe-gz-load", "probe-gz-shifted")) {
            assertThat(steps.get(p)).as(report).containsEntry("rc", "0").containsEntry("n", "15");
            assertThat(Integer.parseInt(steps.get(p).get("bytes"))).as(p + " gzip-compressed: " + report).isBetween(1, page / 2);
        }
        assertThat(steps.get("probe-gz-load").get("weight")).as("the CPU-bound probe under load ran before the shift: " + report)
                .isEqualTo(base.get("nginx_cpu"));
        assertThat(steps.get("probe-gz-shifted")).as(report).containsEntry("weight", "1000").containsEntry("batch", "active");
        double idleMs = Double.parseDouble(steps.get("probe-gz-idle").get("median_ms"));
        double loadMs = Double.parseDouble(steps.get("probe-gz-load").get("median_ms"));
        double shiftedMs = Double.parseDouble(steps.get("probe-gz-shifted").get("median_ms"));
        System.out.printf("CPU-bound probe, median: idle %.1f ms, under load %.1f ms, after the shift %.1f ms (%.2f of before)%n",
                idleMs, loadMs, shiftedMs, shiftedMs / loadMs);
        assertThat(loadMs).as("the batch load on nginx's vCPU slows the CPU-bound probe: " + report).isGreaterThan(1.3 * idleMs);
        assertThat(shiftedMs).as("nginx's weight 1000 wins back most of it: " + report).isLessThan(0.8 * loadMs);
        // the batch unit running, before the shift: its cgroup at the default weights, nginx's unchanged
        Map<String, String> load = steps.get("load");
        assertThat(load).as(report).containsEntry("batch_cg_cpu", "100").containsEntry("batch_cg_io", "default:100")
                .containsEntry("nginx_cpu", "notset").containsEntry("nginx_cg_cpu", "100");
        assertThat(steps.get("probe-load").get("weight")).as("the probe under load ran before the shift: " + report)
                .isEqualTo(base.get("nginx_cpu"));

        // Under load: within for: (30 s) + a few passes the weights shift, read back from systemd and the cgroup files.
        Map<String, String> shift = steps.get("shift");
        assertThat(shift).as(report).containsEntry("nginx_cpu", "1000").containsEntry("nginx_io", "1000")
                .containsEntry("nginx_cg_cpu", "1000").containsEntry("nginx_cg_io", "default:1000")
                .containsEntry("dropins", "2").containsEntry("nginx_sets", "1");
        assertThat(Integer.parseInt(shift.get("after_s"))).as("for: 30s, PSI avg10's rise, the 5 s interval: " + report)
                .isBetween(30, 250);
        // the batch unit is not a recognised unit: a transient policy does not touch it
        for (String k : List.of("batch_cpu", "batch_io", "batch_cg_cpu", "batch_cg_io")) {
            assertThat(shift.get(k)).as(k + ": " + report).isEqualTo(load.get(k));
        }
        assertThat(steps.get("probe-shifted").get("weight")).isEqualTo("1000");

        // Load gone: after the hysteresis every value is the baseline's, the drop-in gone, the put-back journalled.
        Map<String, String> back = steps.get("returned");
        for (String k : List.of("nginx_cpu", "nginx_io", "nginx_cg_cpu", "nginx_cg_io", "batch_cpu", "batch_io", "batch_cg_cpu",
                "batch_cg_io", "dropins")) {
            assertThat(back.get(k)).as(k + ": " + report).isEqualTo(base.get(k));
        }
        assertThat(back).as("the put-back is a change set of its own: " + report).containsEntry("nginx_sets", "2");
        assertThat(Integer.parseInt(back.get("after_s"))).as("keepFor: 20s after avg10 fell: " + report).isBetween(20, 250);

        // A burst shorter than for: changes nothing, though the condition held for a while (the
        // pack's own pressure policies may still put back their values meanwhile: only nginx's sets count).
        Map<String, String> burst = steps.get("burst");
        assertThat(burst).as(report).containsEntry("nginx_sets", back.get("nginx_sets"));
        assertThat(Double.parseDouble(burst.get("max_cpu10"))).as("the burst's CPU pressure passed the threshold: " + report)
                .isGreaterThan(60.0);
        for (String k : List.of("nginx_cpu", "nginx_io", "nginx_cg_cpu", "nginx_cg_io", "dropins")) {
            assertThat(burst.get(k)).as(k + ": " + report).isEqualTo(base.get(k));
        }

        // Microcode: the opt-in site policy installs apt's candidate; the reboot is reported, not done.
        assertThat(steps.get("microcode")).as(report).containsEntry("version", "2.0-1").containsEntry("file", "2.0-1")
                .containsEntry("notice", "1").containsEntry("record", "1").containsEntry("active", "active")
                .containsEntry("boot_id", steps.get("booted").get("boot_id"));
        assertThat(steps.get("microcode-facts")).as(report).containsEntry("pending", "true");
        assertThat(steps.get("microcode-facts").get("packages")).as(report).contains("intel-microcode");
        assertThat(steps.get("microcode-status")).as("chameleon status says the reboot waits: " + report).containsEntry("rc", "0")
                .containsEntry("said", "1").containsEntry("entry", "1");

        // Bad input at validate: each at its position.
        assertThat(steps.get("validate")).as(report).containsEntry("rc", "2").containsEntry("errors", "3");
        assertThat(validate).as(report).anySatisfy(l -> assertThat(l).startsWith(
                "/tmp/bad/bad-for.yaml:9:8: error: spec.for must be a duration with a unit (h, m or s: 30s, 5m, 1h30m), found '30'; "
                        + "a number alone has no unit"));
        assertThat(validate).as(report).anySatisfy(l -> assertThat(l).startsWith(
                "/tmp/bad/bad-window.yaml:15:35: error: spec.when: undefined field 'avg7m'; windowed facts are"));
        assertThat(validate).as(report).anySatisfy(l -> assertThat(l).startsWith(
                "/tmp/bad/bad-unit.yaml:18:7: error: service nightly-report.service: CPUWeight in a transient policy needs the unit "
                        + "of a recognised application or a distribution's batch job"));
    }
}
