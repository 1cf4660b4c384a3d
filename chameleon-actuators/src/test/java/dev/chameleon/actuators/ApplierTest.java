package dev.chameleon.actuators;

import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.JournalEntry;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.Host;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.model.Reason;
import dev.chameleon.model.SettingKey;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Apply, verify, fail, undo and recover against a temporary root tree. */
class ApplierTest {
    @TempDir
    Path tmp;
    Path rootDir;
    Host host;
    FakeModprobe modprobe;
    Journal journal;
    Applier applier;

    @BeforeEach
    void setUp() throws IOException {
        rootDir = tmp.resolve("root");
        write("/proc/sys/vm/swappiness", "60\n");
        write("/proc/sys/net/core/somaxconn", "4096\n");
        write("/proc/sys/kernel/osrelease", "6.1.0-test\n");
        write("/proc/modules", "ext4 1000 1 - Live 0x0\n");
        write("/lib/modules/6.1.0-test/modules.dep",
                "kernel/drivers/scsi/vmw_pvscsi.ko.xz: kernel/drivers/scsi/scsi_mod.ko.xz\nkernel/drivers/net/vmxnet3/vmxnet3.ko.xz:\n");
        write("/sys/block/vda/queue/scheduler", "none [mq-deadline] kyber\n");
        SysRoot root = new SysRoot(rootDir);
        modprobe = new FakeModprobe(root);
        host = new Host(root, modprobe);
        journal = new Journal(tmp.resolve("state"));
        applier = new Applier(Actuators.standard(), journal);
    }

    void write(String path, String text) throws IOException {
        Path p = rootDir.resolve(path.substring(1));
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    String read(String path) throws IOException {
        return Files.readString(rootDir.resolve(path.substring(1))).strip();
    }

    static DesiredSetting want(String key, String value) {
        return new DesiredSetting(SettingKey.parse(key), value, new Reason("test", "test.yaml:1", 50, "true", List.of(), ""));
    }

    @Test
    void appliesVerifiesJournalsAndRollsBack() throws IOException {
        var result = applier.apply(host, List.of(want("sysctl:vm.swappiness", "30"), want("kernelModule:vmxnet3", "loaded"),
                want("blockQueue:vda/scheduler", "none")), "test");
        assertThat(result.ok()).isTrue();
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("30");
        assertThat(read("/proc/modules")).contains("vmxnet3");
        assertThat(read("/sys/block/vda/queue/scheduler")).isEqualTo("none");
        ChangeSet cs = result.changeSet();
        assertThat(cs.status()).isEqualTo("applied");
        assertThat(cs.entries()).extracting(JournalEntry::state).containsOnly("verified");
        assertThat(cs.entries()).extracting(JournalEntry::before).containsExactly("60", "unloaded", "mq-deadline");
        assertThat(cs.entries().get(0).undoCommand()).isEqualTo("sysctl -w vm.swappiness='60'");
        assertThat(journal.list()).singleElement().satisfies(l -> assertThat(l.changeSet()).isEqualTo(cs));

        var rb = applier.rollback(host, applier.lastApplied().orElseThrow(), false);
        assertThat(rb.ok()).isTrue();
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        assertThat(read("/proc/modules")).doesNotContain("vmxnet3");
        assertThat(modprobe.calls).containsExactly("modprobe vmxnet3", "modprobe -r vmxnet3");
        assertThat(applier.lastApplied()).isEmpty();
        assertThat(journal.list().get(0).changeSet().status()).isEqualTo("rolled-back");
    }

    @Test
    void aRollbackWithACauseSaysWhyInTheJournal() throws IOException {
        applier.apply(host, List.of(want("sysctl:vm.swappiness", "30")), "test");
        var rb = applier.rollback(host, applier.lastApplied().orElseThrow(), false, "health gate failed: command exit 1");
        assertThat(rb.ok()).isTrue();
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        ChangeSet cs = journal.list().get(0).changeSet();
        assertThat(cs.status()).isEqualTo("rolled-back");
        assertThat(cs.message()).isEqualTo("health gate failed: command exit 1; undone: sysctl:vm.swappiness → 60");
        assertThat(cs.entries()).extracting(JournalEntry::state).containsExactly("undone");
    }

    @Test
    void secondApplyHasNothingToDo() throws IOException {
        applier.apply(host, List.of(want("sysctl:vm.swappiness", "30")), "test");
        var again = applier.apply(host, List.of(want("sysctl:vm.swappiness", "30")), "test");
        assertThat(again.changeSet()).isNull();
        assertThat(again.plan().entries()).extracting(PlanEntry::action).containsExactly(PlanEntry.Action.OK);
        assertThat(journal.list()).hasSize(1);
    }

    @Test
    void failureUndoesTheWholeChangeSetInReverse() throws IOException {
        modprobe.refuse.add("vmw_pvscsi");
        var result = applier.apply(host, List.of(want("sysctl:vm.swappiness", "30"), want("sysctl:net.core.somaxconn", "8192"),
                want("kernelModule:vmw_pvscsi", "loaded")), "test");
        assertThat(result.ok()).isFalse();
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        assertThat(read("/proc/sys/net/core/somaxconn")).isEqualTo("4096");
        ChangeSet cs = result.changeSet();
        assertThat(cs.status()).isEqualTo("failed-rolled-back");
        assertThat(cs.message()).contains("kernelModule vmw_pvscsi = loaded").contains("Module vmw_pvscsi not found")
                .contains("undone: sysctl:net.core.somaxconn → 4096, sysctl:vm.swappiness → 60");
        assertThat(cs.entries()).extracting(JournalEntry::state).containsExactly("undone", "undone", "failed");
        assertThat(cs.entries().get(2).error()).contains("not found");
    }

    @Test
    void unreadableKnobIsAnErrorInThePlan() throws IOException {
        // A directory where the knob should be cannot be read: the plan says so instead of guessing.
        Files.createDirectories(rootDir.resolve("proc/sys/vm/dirty_ratio"));
        var result = applier.apply(host, List.of(want("sysctl:vm.swappiness", "30")), "test");
        assertThat(result.ok()).isTrue();
        var planner = new Planner(Actuators.standard());
        assertThat(planner.plan(host, List.of(want("sysctl:vm.dirty_ratio", "30"))).entries())
                .singleElement().satisfies(e -> assertThat(e.action()).isEqualTo(PlanEntry.Action.ERROR));
    }

    @Test
    void verifyMismatchFailsAndUndoes() throws IOException {
        // The kernel may accept a write but keep another value (clamping); verify catches it.
        Actuator clamping = new SysctlActuator();
        Actuators acts = new Actuators(List.of(new Actuator() {
            public String kind() {
                return "sysctl";
            }

            public Current read(Host h, SettingKey k) {
                return clamping.read(h, k);
            }

            public void write(Host h, SettingKey k, String v, String before) throws ActuatorException {
                clamping.write(h, k, v.equals("100000") ? "65535" : v, before);
            }

            public String manualCommand(SettingKey k, String v) {
                return clamping.manualCommand(k, v);
            }
        }));
        var result = new Applier(acts, journal).apply(host, List.of(want("sysctl:net.core.somaxconn", "100000")), "test");
        assertThat(result.ok()).isFalse();
        assertThat(result.message()).contains("verify failed: expected '100000', found '65535'");
        assertThat(read("/proc/sys/net/core/somaxconn")).isEqualTo("4096");
    }

    @Test
    void notApplicableSettingsAreExplainedAndSkipped() throws IOException {
        var plan = new Planner(Actuators.standard()).plan(host, List.of(
                want("sysctl:vm.nonexistent_knob", "1"),
                want("kernelModule:nvidia", "loaded"),
                want("blockQueue:vda/scheduler", "bfq"),
                want("blockQueue:sdz/scheduler", "none"),
                want("fancy:thing", "1")));
        assertThat(plan.entries()).extracting(PlanEntry::action).containsOnly(PlanEntry.Action.NOT_APPLICABLE);
        assertThat(plan.entries()).extracting(PlanEntry::note).containsExactly(
                "this kernel has no vm.nonexistent_knob (/proc/sys/vm/nonexistent_knob does not exist)",
                "module nvidia is not shipped with kernel 6.1.0-test (not in /lib/modules/6.1.0-test/modules.dep)",
                "'bfq' is not offered here (choices: none, mq-deadline, kyber)",
                "no /sys/block/sdz/queue/scheduler on this machine",
                "no actuator for setting kind fancy");
    }

    @Test
    void noModuleSupportIsNotApplicable() throws IOException {
        Files.delete(rootDir.resolve("proc/modules"));
        var plan = new Planner(Actuators.standard()).plan(host, List.of(want("kernelModule:vmxnet3", "loaded")));
        assertThat(plan.entries().get(0).note()).contains("no loadable module support");
    }

    @Test
    void unfinishedChangeSetOfACrashedRunIsUndoneAtStart() throws IOException {
        // What a run killed right after its write leaves behind: the entry recorded, the value written.
        ChangeSet crashed = journal.begin("apply --yes");
        crashed = crashed.withEntry(new JournalEntry(1, "sysctl:vm.swappiness", "60", "30", "test", "sysctl -w vm.swappiness='60'",
                "applied", ""));
        crashed = crashed.withEntry(new JournalEntry(2, "sysctl:net.core.somaxconn", "4096", "8192", "test", "x", "pending", ""));
        journal.save(crashed);
        write("/proc/sys/vm/swappiness", "30\n");

        List<ChangeSet> recovered = applier.recover(host);
        assertThat(recovered).singleElement().satisfies(cs -> {
            assertThat(cs.status()).isEqualTo("recovered");
            assertThat(cs.entries()).extracting(JournalEntry::state).containsExactly("undone", "not-applied");
        });
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        assertThat(read("/proc/sys/net/core/somaxconn")).isEqualTo("4096");
        assertThat(applier.recover(host)).isEmpty();
    }

    @Test
    void corruptJournalFileIsReportedAndKept() throws IOException {
        applier.apply(host, List.of(want("sysctl:vm.swappiness", "30")), "test");
        Path bad = journal.directory().resolve("20000101-000000-000.json");
        Files.writeString(bad, "{\"id\": \"trunc");
        var all = journal.list();
        assertThat(all).hasSize(2);
        assertThat(all.get(0).ok()).isFalse();
        assertThat(all.get(0).error()).startsWith("unreadable journal file");
        assertThat(all.get(1).ok()).isTrue();
        assertThat(applier.lastApplied()).isPresent();
        assertThat(applier.recover(host)).isEmpty();
        assertThat(Files.readString(bad)).isEqualTo("{\"id\": \"trunc");
    }

    @Test
    void journalThatCannotBeWrittenStopsBeforeAnyChange() throws IOException {
        // The state folder is a file: the journal cannot be written, so nothing may be changed.
        Path stateAsFile = tmp.resolve("state-file");
        Files.writeString(stateAsFile, "x");
        Applier blocked = new Applier(Actuators.standard(), new Journal(stateAsFile));
        org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                blocked.apply(host, List.of(want("sysctl:vm.swappiness", "30")), "test")).isInstanceOf(IOException.class);
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
    }

    /** Regression: a value changed by hand after the apply was silently overwritten by rollback. */
    @Test
    void rollbackLeavesValuesChangedSinceAloneUnlessForced() throws IOException {
        applier.apply(host, List.of(want("sysctl:vm.swappiness", "30"), want("sysctl:net.core.somaxconn", "8192")), "test");
        write("/proc/sys/vm/swappiness", "45\n");
        // the dry run decides as the rollback will (regression: it promised to put 60 back)
        assertThat(applier.previewRollback(host, applier.lastApplied().orElseThrow()))
                .contains("sysctl:vm.swappiness: 45 would be left alone (changed after the apply; --force puts '60' back)");
        assertThat(applier.previewRollback(host, applier.lastApplied().orElseThrow(), true))
                .anyMatch(l -> l.startsWith("sysctl:vm.swappiness: 45 -> 60"));
        var rb = applier.rollback(host, applier.lastApplied().orElseThrow(), false);
        assertThat(rb.ok()).isFalse();
        assertThat(rb.changeSet().status()).isEqualTo("rollback-incomplete");
        assertThat(rb.message()).contains("sysctl:vm.swappiness was changed to '45' after the apply; left as it is");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("45");
        assertThat(read("/proc/sys/net/core/somaxconn")).isEqualTo("4096");

        // the half-done rollback can be finished, here by force
        ChangeSet again = applier.lastApplied().orElseThrow();
        assertThat(again.id()).isEqualTo(rb.changeSet().id());
        var forced = applier.rollback(host, again, true);
        assertThat(forced.ok()).isTrue();
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        assertThat(applier.lastApplied()).isEmpty();
    }

    /** Regression: rollback --last went by the clock, so a clock step back undid the wrong change set first. */
    @Test
    void lastMeansLastWrittenNotNewestClock() throws IOException {
        ChangeSet a = applier.apply(host, List.of(want("sysctl:vm.swappiness", "30")), "a").changeSet();
        ChangeSet b = applier.apply(host, List.of(want("sysctl:vm.swappiness", "10")), "b").changeSet();
        assertThat(b.sequence()).isEqualTo(a.sequence() + 1);
        // as after a snapshot restore: B's file name and id sort before A's
        Path bFile = journal.directory().resolve(b.id() + ".json");
        String older = "19990101-000000-000";
        Files.writeString(journal.directory().resolve(older + ".json"), Files.readString(bFile).replace(b.id(), older));
        Files.delete(bFile);
        assertThat(applier.lastApplied().orElseThrow().trigger()).isEqualTo("b");
        applier.rollback(host, applier.lastApplied().orElseThrow(), false);
        applier.rollback(host, applier.lastApplied().orElseThrow(), false);
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
    }

    @Test
    void applyOnceKnowsWhatWasAppliedBefore() throws IOException {
        assertThat(applier.appliedBefore(SettingKey.parse("sysctl:vm.swappiness"), "30")).isEmpty();
        ChangeSet cs = applier.apply(host, List.of(want("sysctl:vm.swappiness", "30")), "test").changeSet();
        assertThat(applier.appliedBefore(SettingKey.parse("sysctl:vm.swappiness"), "30")).contains(cs.id());
        assertThat(applier.appliedBefore(SettingKey.parse("sysctl:vm.swappiness"), "31")).isEmpty();
        applier.rollback(host, cs, false);
        assertThat(applier.appliedBefore(SettingKey.parse("sysctl:vm.swappiness"), "30")).isEmpty();
    }

    /**
     * Regression (found in the QEMU guest): loading vmw_balloon also loads vmw_vmci, so the plan's
     * "vmw_vmci: unloaded" was stale by the time its turn came; journalled as unloaded, rollback then
     * tried to unload vmw_vmci while vmw_balloon still used it.
     */
    @Test
    void aChangeAnEarlierOneAlreadyMadeIsNotJournalled() throws IOException {
        write("/lib/modules/6.1.0-test/modules.dep", "kernel/drivers/misc/vmw_balloon.ko: kernel/drivers/misc/vmw_vmci.ko\n"
                + "kernel/drivers/misc/vmw_vmci.ko:\n");
        modprobe.deps.put("vmw_balloon", List.of("vmw_vmci"));
        var result = applier.apply(host, List.of(want("kernelModule:vmw_balloon", "loaded"), want("kernelModule:vmw_vmci", "loaded")), "test");
        assertThat(result.ok()).isTrue();
        assertThat(result.plan().changes()).hasSize(2);
        assertThat(result.changeSet().entries()).extracting(JournalEntry::key).containsExactly("kernelModule:vmw_balloon");
        assertThat(result.message()).contains("1 more already done by earlier changes of this set");
        var rb = applier.rollback(host, applier.lastApplied().orElseThrow());
        assertThat(rb.ok()).as(rb.message()).isTrue();
        assertThat(read("/proc/modules")).doesNotContain("vmw_balloon").doesNotContain("vmw_vmci");
    }
}
