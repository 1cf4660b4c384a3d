package dev.chameleon.actuators;

import dev.chameleon.model.ChangeSet;
import static dev.chameleon.actuators.Fixture.want;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chameleon.model.DesiredSetting;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault injection: the applier "dies" after each step in turn — every journal write and every
 * write to the machine, counted by {@link Applier.Checkpoint} — and the next start
 * ({@link Applier#recover} with a fresh {@link Journal}) must put the fixture machine back exactly
 * as it was. Every crash point is tested, not a sample: the number of points is counted in a clean
 * run first. The "death" is an {@link Error} thrown from the checkpoint, which no code of the
 * applier catches, so nothing after the crash point runs — as after {@code kill -9}.
 */
class CrashPointTest {
    @TempDir
    Path tmp;
    int run;

    static final class Crash extends Error {
        Crash(String step) {
            super("crashed after: " + step);
        }
    }

    /** Counts steps, and throws {@link Crash} at step {@code crashAt} (1-based; 0 = never). */
    static final class Steps implements Applier.Checkpoint {
        final int crashAt;
        final List<String> seen = new ArrayList<>();

        Steps(int crashAt) {
            this.crashAt = crashAt;
        }

        @Override
        public void reached(String step) {
            seen.add(step);
            if (seen.size() == crashAt) {
                throw new Crash(step);
            }
        }
    }

    static List<DesiredSetting> everyKind() {
        return List.of(
                want("sysctl:vm.swappiness", "10"),
                want("sysctl:persist/vm.swappiness", "10"),
                want("sysfs:thp.enabled", "never"),
                want("sysfs:cpu.governor", "performance"),
                want("hugepages:2048kB", ">=64"),
                want("blockQueue:vda/scheduler", "none"),
                want("blockQueue:vda/read_ahead_kb", "4096"),
                want("kernelModule:vmxnet3", "loaded"),
                want("kernelModule:vmxnet3/options", "msi=1"),
                want("kernelModule:virtio_net", "unloaded"),
                want("service:nginx/enabled", "enabled"),
                want("service:nginx/active", "running"),
                want("service:nginx/CPUWeight", "500"),
                want("file:/etc/motd", "mode=0600 content=" + Base64.getEncoder().encodeToString("managed\n".getBytes(StandardCharsets.UTF_8))),
                want("file:/etc/app/new.conf", "owner=www-data:adm content=eA=="),
                want("kernelCmdline:mitigations=off", "present"),
                want("tunedProfile:active", "virtual-guest"),
                want("nic:eth0/mtu", "9000"),
                want("nic:eth0/offload.tso", "off"),
                want("package:nginx", "installed"));
    }

    Fixture fresh() throws Exception {
        return new Fixture(tmp.resolve("run-" + (run++)));
    }

    int countSteps(List<DesiredSetting> desired, boolean expectOk) throws Exception {
        Fixture f = fresh();
        Steps s = new Steps(0);
        Applier.Result r = new Applier(Actuators.standard(), f.journal(), s).apply(f.host, desired, "count");
        assertThat(r.ok()).as(r.message()).isEqualTo(expectOk);
        return s.seen.size();
    }

    /** Journal files must all parse after any crash and recovery. */
    static void journalReadable(Fixture f) {
        assertThat(f.journal().list()).allSatisfy(l -> assertThat(l.ok()).as(l.file() + ": " + l.error()).isTrue());
    }

    @Test
    void everyCrashPointOfASuccessfulApplyIsRecoveredExactly() throws Exception {
        int n = countSteps(everyKind(), true);
        assertThat(n).as("begin + (pending, write, applied, verified) per change + final status").isEqualTo(1 + 4 * 20 + 1);
        for (int k = 1; k <= n; k++) {
            Fixture f = fresh();
            Map<String, String> before = f.snapshot();
            Steps s = new Steps(k);
            assertThatThrownBy(() -> new Applier(Actuators.standard(), f.journal(), s).apply(f.host, everyKind(), "crash"))
                    .isInstanceOf(Crash.class);
            Applier next = f.applier();
            List<ChangeSet> recovered = next.recover(f.host);
            journalReadable(f);
            if (k == n) {
                // The crash came after the final "applied" status: the change set is complete, nothing to recover.
                assertThat(recovered).isEmpty();
                assertThat(next.rollback(f.host, next.lastApplied().orElseThrow()).ok()).isTrue();
            } else {
                assertThat(recovered).as("crash after step " + k + " (" + s.seen.get(k - 1) + ")").singleElement()
                        .satisfies(cs -> assertThat(cs.status()).isEqualTo("recovered"));
            }
            Fixture.assertSameMachine(before, f.snapshot(), "crash after step " + k + ": " + s.seen.get(k - 1));
            assertThat(next.recover(f.host)).as("a second start finds nothing left").isEmpty();
        }
    }

    @Test
    void everyCrashPointOfAFailingApplyAndItsUndoIsRecoveredExactly() throws Exception {
        List<DesiredSetting> desired = new ArrayList<>(everyKind().subList(0, 8));
        desired.add(want("service:broken/active", "running"));
        Fixture probe = fresh();
        probe.programs.failing.add("broken.service");
        Steps counted = new Steps(0);
        Applier.Result r = new Applier(Actuators.standard(), probe.journal(), counted).apply(probe.host, desired, "count");
        assertThat(r.ok()).isFalse();
        assertThat(r.message()).contains("service broken/active = running").contains("failed");
        int n = counted.seen.size();
        assertThat(n).as("begin, 4 per good change, pending + failed for the bad one, undid + undone per good change, "
                + "undone for the bad one, final status").isEqualTo(1 + 4 * 8 + 2 + 2 * 8 + 1 + 1);
        assertThat(counted.seen).anyMatch(step -> step.startsWith("undid "));
        for (int k = 1; k <= n; k++) {
            Fixture f = fresh();
            f.programs.failing.add("broken.service");
            Map<String, String> before = f.snapshot();
            Steps s = new Steps(k);
            assertThatThrownBy(() -> new Applier(Actuators.standard(), f.journal(), s).apply(f.host, desired, "crash"))
                    .isInstanceOf(Crash.class);
            f.applier().recover(f.host);
            journalReadable(f);
            Fixture.assertSameMachine(before, f.snapshot(), "crash after step " + k + ": " + s.seen.get(k - 1));
        }
    }

    @Test
    void everyCrashPointOfARollbackIsFinishedAtTheNextStart() throws Exception {
        Fixture probe = fresh();
        Applier a = probe.applier();
        assertThat(a.apply(probe.host, everyKind(), "apply").ok()).isTrue();
        Steps counted = new Steps(0);
        new Applier(Actuators.standard(), probe.journal(), counted).rollback(probe.host, a.lastApplied().orElseThrow());
        int n = counted.seen.size();
        assertThat(n).as("rolling-back, undid + undone per change, final status").isEqualTo(1 + 2 * 20 + 1);
        for (int k = 1; k <= n; k++) {
            Fixture f = fresh();
            Map<String, String> before = f.snapshot();
            Applier first = f.applier();
            assertThat(first.apply(f.host, everyKind(), "apply").ok()).isTrue();
            ChangeSet cs = first.lastApplied().orElseThrow();
            Steps s = new Steps(k);
            assertThatThrownBy(() -> new Applier(Actuators.standard(), f.journal(), s).rollback(f.host, cs)).isInstanceOf(Crash.class);
            List<ChangeSet> finished = f.applier().recover(f.host);
            journalReadable(f);
            if (k < n) {
                assertThat(finished).singleElement().satisfies(x -> assertThat(x.status()).isEqualTo("rolled-back"));
            }
            Fixture.assertSameMachine(before, f.snapshot(), "rollback crash after step " + k + ": " + s.seen.get(k - 1));
        }
    }

    @Test
    void aCrashDuringRecoveryIsRecoveredByTheStartAfterIt() throws Exception {
        // Crash the apply halfway, then crash the recovery at each of its own steps in turn.
        int applySteps = countSteps(everyKind(), true);
        int k = applySteps / 2;
        Fixture probe = fresh();
        assertThatThrownBy(() -> new Applier(Actuators.standard(), probe.journal(), new Steps(k)).apply(probe.host, everyKind(), "x"))
                .isInstanceOf(Crash.class);
        Steps counted = new Steps(0);
        new Applier(Actuators.standard(), probe.journal(), counted).recover(probe.host);
        int m = counted.seen.size();
        assertThat(m).as("crash after the 10th change was verified: undid + undone for 10 changes, final status").isEqualTo(2 * 10 + 1);
        for (int j = 1; j <= m; j++) {
            Fixture f = fresh();
            Map<String, String> before = f.snapshot();
            assertThatThrownBy(() -> new Applier(Actuators.standard(), f.journal(), new Steps(k)).apply(f.host, everyKind(), "x"))
                    .isInstanceOf(Crash.class);
            Steps s = new Steps(j);
            assertThatThrownBy(() -> new Applier(Actuators.standard(), f.journal(), s).recover(f.host)).isInstanceOf(Crash.class);
            f.applier().recover(f.host);
            journalReadable(f);
            Fixture.assertSameMachine(before, f.snapshot(), "recovery crash after step " + j + ": " + s.seen.get(j - 1));
        }
    }
}
