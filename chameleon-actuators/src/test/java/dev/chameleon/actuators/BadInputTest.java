package dev.chameleon.actuators;

import static dev.chameleon.actuators.Fixture.want;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.PlanEntry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input against fixture trees: a missing module, a service that fails to start, a package
 * that cannot be found, a journal that cannot be written partway through, truncated and corrupted
 * journal files. Each error names the setting, the expected and the found value; the change set is
 * undone; the journal stays readable. (Kernel refusals — EINVAL, read-only knobs — need a real
 * kernel and are tested in chameleon-cli's NetnsNicIT.)
 */
class BadInputTest {
    @TempDir
    Path tmp;
    int run;

    Fixture fresh() throws Exception {
        return new Fixture(tmp.resolve("run-" + (run++)));
    }

    @Test
    void missingModuleFailsTheSetNamesItAndUndoesEverything() throws Exception {
        Fixture f = fresh();
        Map<String, String> before = f.snapshot();
        f.programs.failing.add("vmw_pvscsi");
        var r = f.applier().apply(f.host, List.of(want("sysctl:vm.swappiness", "10"), want("kernelModule:vmw_pvscsi", "loaded")), "t");
        assertThat(r.ok()).isFalse();
        assertThat(r.message()).contains("kernelModule vmw_pvscsi = loaded: 'modprobe vmw_pvscsi' failed: modprobe: FATAL: Module vmw_pvscsi not found")
                .contains("undone: sysctl:vm.swappiness → 60");
        assertThat(r.changeSet().status()).isEqualTo("failed-rolled-back");
        Fixture.assertSameMachine(before, f.snapshot(), "after the failure");
    }

    @Test
    void serviceThatFailsToStartIsReportedWithSystemctlsAnswer() throws Exception {
        Fixture f = fresh();
        Map<String, String> before = f.snapshot();
        f.programs.failing.add("broken.service");
        var r = f.applier().apply(f.host, List.of(want("service:broken/enabled", "enabled"), want("service:broken/active", "running")), "t");
        assertThat(r.ok()).isFalse();
        assertThat(r.message()).contains("service broken/active = running: 'systemctl start broken.service' failed: Job for broken.service failed")
                .contains("undone: service:broken/enabled → disabled");
        Fixture.assertSameMachine(before, f.snapshot(), "after the failure");
    }

    @Test
    void verifyMismatchSaysExpectedAndFound() throws Exception {
        Fixture f = fresh();
        // Huge pages: the kernel keeps fewer pages than asked when memory is short; a read-back shows it.
        // The fixture cannot run out of memory, so this one actuator keeps at most 10 pages as such a kernel would.
        HugepagesActuator real = new HugepagesActuator();
        Actuator stingy = new Actuator() {
            public String kind() {
                return real.kind();
            }

            public Current read(dev.chameleon.host.Host h, dev.chameleon.model.SettingKey k) {
                return real.read(h, k);
            }

            public Current target(dev.chameleon.host.Host h, dev.chameleon.model.SettingKey k, String d, Current c) {
                return real.target(h, k, d, c);
            }

            public void write(dev.chameleon.host.Host h, dev.chameleon.model.SettingKey k, String v, String b) throws ActuatorException {
                real.write(h, k, String.valueOf(Math.min(Long.parseLong(v), 10)), b);
            }

            public String manualCommand(dev.chameleon.model.SettingKey k, String v) {
                return real.manualCommand(k, v);
            }
        };
        var r = new Applier(new Actuators(List.of(stingy)), f.journal()).apply(f.host, List.of(want("hugepages:2048kB", "512")), "t");
        assertThat(r.ok()).isFalse();
        assertThat(r.message()).contains("hugepages 2048kB = 512: verify failed: expected '512', found '10'").contains("undone: hugepages:2048kB → 0");
        assertThat(f.read("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages").strip()).isEqualTo("0");
    }

    @Test
    void journalThatStopsBeingWritableAtAnyStepLeavesTheMachineAsItWasAndLosesNothing() throws Exception {
        List<DesiredSetting> desired = CrashPointTest.everyKind();
        CrashPointTest.Steps counter = new CrashPointTest.Steps(0);
        Fixture probe = fresh();
        new Applier(Actuators.standard(), probe.journal(), counter).apply(probe.host, desired, "count");
        int n = counter.seen.size();
        for (int k = 1; k < n; k++) {
            Fixture f = fresh();
            Map<String, String> before = f.snapshot();
            Path dir = f.journal().directory();
            Path moved = dir.resolveSibling("journal.moved");
            int at = k;
            int[] seen = {0};
            // After step k the state folder can no longer be written: a file stands where the journal folder was.
            Applier.Checkpoint sabotage = step -> {
                if (++seen[0] == at) {
                    Files.move(dir, moved);
                    Files.writeString(dir, "not a folder");
                }
            };
            var r = new Applier(Actuators.standard(), f.journal(), sabotage).apply(f.host, desired, "t");
            assertThat(r.ok()).as("journal lost at step " + k).isFalse();
            assertThat(r.message()).contains("the journal could not be written (cannot write the journal file")
                    .contains("the journal could not record this");
            Fixture.assertSameMachine(before, f.snapshot(), "journal unwritable after step " + k);
            Files.delete(dir);
            Files.move(moved, dir);
            var list = f.journal().list();
            assertThat(list).singleElement().satisfies(l -> {
                assertThat(l.ok()).isTrue();
                assertThat(l.changeSet().status()).isEqualTo("in-progress");
            });
            assertThat(f.applier().recover(f.host)).singleElement().satisfies(cs -> assertThat(cs.status()).isEqualTo("recovered"));
            Fixture.assertSameMachine(before, f.snapshot(), "after the next start, journal unwritable after step " + k);
        }
    }

    @Test
    void journalThatCannotBeStartedChangesNothing() throws Exception {
        Fixture f = fresh();
        Map<String, String> before = f.snapshot();
        Files.createDirectories(f.stateDir);
        Files.writeString(f.stateDir.resolve("journal"), "x");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> f.applier().apply(f.host, CrashPointTest.everyKind(), "t"))
                .hasMessageContaining("cannot write the journal file").hasMessageContaining("a file is in the way");
        Fixture.assertSameMachine(before, f.snapshot(), "nothing changed");
    }

    @Test
    void truncatedAndCorruptedJournalFilesAreReportedKeptAndDoNotStopRecovery() throws Exception {
        Fixture f = fresh();
        Applier a = f.applier();
        a.apply(f.host, List.of(want("sysctl:vm.swappiness", "10")), "t");
        Path good = f.journal().list().get(0).file();
        String text = Files.readString(good);
        Path truncated = good.resolveSibling("20000101-000000-000.json");
        Path garbage = good.resolveSibling("20000101-000000-001.json");
        Files.writeString(truncated, text.substring(0, text.length() / 2));
        Files.write(garbage, new byte[] {0, 1, 2, (byte) 0xff});
        var list = f.journal().list();
        assertThat(list).hasSize(3);
        assertThat(list.get(0).error()).startsWith("unreadable journal file");
        assertThat(list.get(1).error()).startsWith("unreadable journal file");
        assertThat(list.get(2).ok()).isTrue();
        assertThat(a.recover(f.host)).isEmpty();
        assertThat(a.rollback(f.host, a.lastApplied().orElseThrow()).ok()).isTrue();
        assertThat(f.read("/proc/sys/vm/swappiness").strip()).isEqualTo("60");
        assertThat(Files.readString(truncated)).isEqualTo(text.substring(0, text.length() / 2));
    }

    @Test
    void packageInstallsAndServiceStartsAreNotCutOffAfterTheTenSecondDefault() throws Exception {
        Fixture f = fresh();
        var r = f.applier().apply(f.host, List.of(want("package:nginx", "installed"), want("service:nginx/active", "running"),
                want("kernelModule:vmxnet3", "loaded"), want("kernelCmdline:quiet", "present"), want("kernelCmdline:nosmt", "present")), "t");
        assertThat(r.ok()).as(r.message()).isTrue();
        assertThat(f.programs.timeouts.get("apt-get install -y nginx")).isGreaterThanOrEqualTo(java.time.Duration.ofMinutes(10));
        assertThat(f.programs.timeouts.get("systemctl start nginx.service")).isGreaterThanOrEqualTo(java.time.Duration.ofSeconds(90));
        assertThat(f.programs.timeouts.get("modprobe vmxnet3")).isGreaterThanOrEqualTo(java.time.Duration.ofSeconds(60));
        assertThat(f.programs.timeouts.get("update-grub")).isGreaterThanOrEqualTo(java.time.Duration.ofMinutes(2));
    }

    @Test
    void notApplicableReasonsForEveryKind() throws Exception {
        Fixture f = fresh();
        Fixture.delete(f.rootDir.resolve("run/systemd"));
        Fixture.delete(f.rootDir.resolve("sys/devices/system/cpu/cpu0/cpufreq"));
        Fixture.delete(f.rootDir.resolve("sys/devices/system/cpu/cpu1/cpufreq"));
        f.write("/sys/devices/system/cpu/smt/control", "notsupported\n");
        f.write("/proc/modules", "ext4 1000 1 - Live 0x0\nscsi_mod 270336 2 vmw_pvscsi,sd_mod, Live 0x0\n");
        f.programs.missing.add("tuned-adm");
        var plan = f.applier().planner().plan(f.host, List.of(
                want("service:nginx/active", "running"),
                want("sysfs:cpu.governor", "performance"),
                want("sysfs:smt.control", "off"),
                want("sysfs:thp.enabled", "sometimes"),
                want("hugepages:4096kB", "1"),
                want("kernelModule:nvidia", "loaded"),
                want("kernelModule:scsi_mod", "unloaded"),
                want("kernelModule:virtio_blk", "unloaded"),
                want("tunedProfile:active", "virtual-guest"),
                want("nic:eth9/mtu", "9000"),
                want("nic:eth0/offload.lro", "on"),
                want("nic:eth0/channels.combined", "8"),
                want("file:/proc/sys/vm/swappiness", "content=eA=="),
                want("blockQueue:vda/nr_requests", "lots")));
        assertThat(plan.entries()).extracting(PlanEntry::note).containsExactly(
                "no systemd here (/run/systemd/system does not exist)",
                "no cpufreq scaling_governor here (/sys/devices/system/cpu/cpu0/cpufreq does not exist; usual in a VM, where the host owns CPU frequency)",
                "SMT control is 'notsupported' here and cannot be changed at run time",
                "'sometimes' is not offered here (choices: always, madvise, never)",
                "no 4096kB huge pages on this kernel (/sys/kernel/mm/hugepages/hugepages-4096kB does not exist; sizes here: hugepages-1048576kB, hugepages-2048kB)",
                "module nvidia is not shipped with kernel 6.1.0-test (not in /lib/modules/6.1.0-test/modules.dep)",
                "cannot be planned: kernelModule scsi_mod = unloaded: refused, the module is in use (reference count 2, used by vmw_pvscsi,sd_mod, /proc/modules)",
                "cannot be planned: kernelModule virtio_blk = unloaded: refused, the module is built into the kernel",
                "TuneD is not installed (no tuned-adm)",
                "no network interface eth9 here (/sys/class/net/eth9 does not exist)",
                "eth0: large-receive-offload is fixed by the driver (off [fixed])",
                "eth0/channels.combined = 8 is above the driver's maximum 4",
                "/proc/sys/vm/swappiness is a kernel file; use sysctl or sysfs settings",
                "blockQueue vda/nr_requests: 'lots' is not a whole number (or >=N, <=N)");
        assertThat(plan.entries().get(6).action()).isEqualTo(PlanEntry.Action.ERROR);
    }

    @Test
    void settingsARunningTunedOwnsAreLeftToIt() throws Exception {
        Fixture f = fresh();
        f.write("/run/tuned/tuned.pid", "1234\n");
        f.write("/etc/tuned/active_profile", "virtual-guest\n");
        var plan = f.applier().planner().plan(f.host, List.of(want("sysctl:vm.dirty_ratio", "10"), want("sysctl:net.core.somaxconn", "8192"),
                want("sysfs:cpu.governor", "powersave"), want("sysctl:vm.swappiness", "10")));
        assertThat(plan.entries()).extracting(PlanEntry::action).containsExactly(PlanEntry.Action.NOT_APPLICABLE,
                PlanEntry.Action.NOT_APPLICABLE, PlanEntry.Action.NOT_APPLICABLE, PlanEntry.Action.CHANGE);
        assertThat(plan.entries().get(0).note()).isEqualTo("owned by TuneD profile virtual-guest (/usr/lib/tuned/virtual-guest/tuned.conf [sysctl] "
                + "vm.dirty_ratio); change it through TuneD or the tunedProfile setting");
        assertThat(plan.entries().get(1).note()).contains("/usr/lib/tuned/throughput-performance/tuned.conf [sysctl] net.core.somaxconn");
        assertThat(plan.entries().get(2).note()).contains("[cpu] governor");
    }

    @Test
    void handWrittenDropInsAreNeverOverwritten() throws Exception {
        Fixture f = fresh();
        f.write("/etc/sysctl.d/90-chameleon-vm.swappiness.conf", "vm.swappiness = 1\n");
        var r = f.applier().apply(f.host, List.of(want("sysctl:persist/vm.swappiness", "10")), "t");
        assertThat(r.plan().entries().get(0).action()).isEqualTo(PlanEntry.Action.ERROR);
        assertThat(r.plan().entries().get(0).note()).contains("exists but was not written by chameleon");
        assertThat(f.read("/etc/sysctl.d/90-chameleon-vm.swappiness.conf")).isEqualTo("vm.swappiness = 1\n");
    }

    @Test
    void normalisedValuesAndRelativeTargets() throws Exception {
        Fixture f = fresh();
        f.write("/sys/block/vda/queue/read_ahead_kb", "8192\n");
        var plan = f.applier().planner().plan(f.host, List.of(
                want("blockQueue:vda/scheduler", "mq-deadline"),
                want("blockQueue:vda/read_ahead_kb", ">=4096"),
                want("blockQueue:vda/nr_requests", ">=1024"),
                want("sysctl:net.ipv4.tcp_rmem", "4096 131072   6291456"),
                want("sysfs:thp.defrag", " madvise\n"),
                want("kernelCmdline:quiet", "present"),
                want("package:bash", "installed")));
        assertThat(plan.entries()).extracting(PlanEntry::action).containsExactly(PlanEntry.Action.OK, PlanEntry.Action.OK,
                PlanEntry.Action.CHANGE, PlanEntry.Action.OK, PlanEntry.Action.OK, PlanEntry.Action.OK, PlanEntry.Action.OK);
        assertThat(plan.entries()).extracting(PlanEntry::current).containsExactly("mq-deadline", "8192", "256", "4096 131072 6291456",
                "madvise", "present", "installed 5.2");
        assertThat(plan.entries().get(2).target()).isEqualTo("1024");
    }

    @Test
    void kernelCmdlineIsPendingRebootUntilTheRunningKernelHasIt() throws Exception {
        Fixture f = fresh();
        Applier a = f.applier();
        assertThat(a.apply(f.host, List.of(want("kernelCmdline:mitigations=off", "present")), "t").ok()).isTrue();
        assertThat(f.read("/etc/default/grub.d/chameleon.cfg")).contains("GRUB_CMDLINE_LINUX_DEFAULT=\"$GRUB_CMDLINE_LINUX_DEFAULT mitigations=off\"");
        assertThat(f.programs.calls).contains("update-grub");
        PlanEntry e = a.planner().plan(f.host, List.of(want("kernelCmdline:mitigations=off", "present"))).entries().get(0);
        assertThat(e.action()).isEqualTo(PlanEntry.Action.OK);
        assertThat(e.note()).startsWith("pending-reboot: the running kernel (/proc/cmdline) does not have mitigations=off");
        f.write("/proc/cmdline", "root=/dev/vda1 quiet mitigations=off\n");
        assertThat(a.planner().plan(f.host, List.of(want("kernelCmdline:mitigations=off", "present"))).entries().get(0).note()).isEmpty();
        var removeBase = a.apply(f.host, List.of(want("kernelCmdline:quiet", "absent")), "t");
        assertThat(removeBase.message()).contains("quiet is set in /etc/default/grub, outside chameleon's drop-in; remove it there");
    }
}
