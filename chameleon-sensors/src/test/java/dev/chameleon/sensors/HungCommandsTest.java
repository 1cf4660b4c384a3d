package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.Host;
import dev.chameleon.host.HostCommandRunner;
import dev.chameleon.host.ProcTable;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.FactSet;
import dev.chameleon.policy.PolicySet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, "a hung command must not blank the platform": the standard suite (20 s per sensor)
 * reads a captured machine (our QEMU guest dressed as VMware: full DMI, /proc and /sys) with the
 * real command runner, whose {@code lscpu} and {@code lspci} are real shell scripts that fork
 * {@code sleep} children and hang, as both would on a broken bus. At 10 s each, one after the
 * other, they used to exceed the platform sensor's 20 s: every platform fact was dropped, every
 * built-in policy erred, and the scripts' children outlived the agent. The runner's search path
 * holds only these two scripts, so every other command is "not installed", as on a minimal
 * machine.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS) // a guard against a hang, not a timing claim
class HungCommandsTest {
    @TempDir
    Path tmp;

    static Path machine(String name) {
        Path p = Path.of("src/test/machines", name);
        return Files.isDirectory(p) ? p : Path.of(System.getProperty("chameleon.repo", "."), "chameleon-sensors/src/test/machines", name);
    }

    /** A program named {@code name} in {@code bin} that forks sleeps, writes all their pids to {@code name.pids} and hangs. */
    static Path hanging(Path bin, String name) throws IOException {
        Files.createDirectories(bin);
        Path pids = bin.resolve(name + ".pids");
        ProcTable.hangingScript(bin, name, pids);
        return pids;
    }

    @Test
    void twoHungCommandsKeepTheSettledPlatformFactsAndNothingTheyForkedSurvives() throws Exception {
        Path bin = tmp.resolve("bin");
        Path lscpuPids = hanging(bin, "lscpu");
        Path lspciPids = hanging(bin, "lspci");
        Host host = new Host(new SysRoot(machine("qemu-pc-vmware").resolve("root")), new HostCommandRunner(bin.toString()));
        FactCache cache = new FactCache();

        FactSet f = SensorSuite.standard().collect(host, cache);

        // the platform answer from the files (DMI, ACPI, PCI ids in sysfs, modules) is kept
        assertThat(f.get("meta.sensors.platform.status")).contains("ok");
        assertThat(f.get("platform.hypervisor")).contains("vmware");
        assertThat(f.get("platform.cloud")).contains("none");
        assertThat(f.get("platform.container")).contains("none");
        assertThat(f.provenance()).containsKey("platform.hypervisor");
        // lscpu had its 10 s; lspci what was left of the 20 s after a reserve; both are problems
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> problems = (List<Map<String, Object>>) f.get("meta.sensors.platform.problems").orElseThrow();
        assertThat(problems).anySatisfy(p -> {
            assertThat(p.get("source")).isEqualTo("command: lscpu");
            assertThat(p.get("error")).isEqualTo("timed out after 10000 ms");
        });
        assertThat(problems).anySatisfy(p -> {
            assertThat(p.get("source")).isEqualTo("command: lspci");
            assertThat(String.valueOf(p.get("error"))).matches("timed out after [0-9]+ ms|not run: the sensor's time budget is spent");
        });
        // the reported duration is the real one: it includes lscpu's 10 s
        assertThat((Double) f.get("meta.sensors.platform.durationMs").orElseThrow()).isGreaterThan(10_000.0);
        // the cpu sensor, which runs no command, is untouched
        assertThat(f.get("meta.sensors.cpu.status")).contains("ok");
        assertThat(f.get("cpu.model")).isPresent();

        // nothing the hung commands started survives
        for (Path pids : List.of(lscpuPids, lspciPids)) {
            if (!Files.exists(pids)) {
                continue; // lspci may not have been started: the budget was spent
            }
            List<Long> all = ProcTable.pidsIn(pids, 5);
            assertThat(ProcTable.within(10, () -> all.stream().noneMatch(ProcTable::alive) && ProcTable.liveMembers(all.get(0)).isEmpty()))
                    .as("alive of %s: %s", all, all.stream().filter(ProcTable::alive).toList()).isTrue();
        }
        assertThat(lscpuPids).exists();

        // the built-in policies still evaluate: no condition fails for want of platform facts
        PolicySet.Evaluation ev = PolicySet.compile(PolicySet.defaultPack()).evaluate(f);
        assertThat(ev.outcomes()).allSatisfy(o -> assertThat(o.error()).as(o.policy().name()).isNullOrEmpty());
        assertThat(ev.outcomes()).anySatisfy(o -> {
            assertThat(o.policy().name()).isEqualTo("vmware-guest");
            assertThat(o.matched()).isTrue();
        });

        // the daemon's next pass reuses the answer: no command is started again, the problems are repeated
        Files.delete(lscpuPids);
        Files.deleteIfExists(lspciPids);
        FactSet second = SensorSuite.standard().collect(host, cache);
        assertThat(second.get("platform.hypervisor")).contains("vmware");
        assertThat(second.get("meta.sensors.platform.cachedValues")).contains(1L);
        assertThat(second.get("meta.sensors.platform.problems.0.error").map(String::valueOf).orElseThrow())
                .startsWith("timed out after 10000 ms").endsWith("(when the kept answer was read)");
        assertThat(lscpuPids).doesNotExist();
        assertThat(lspciPids).doesNotExist();
    }
}
