package dev.chameleon.actuators;

import static dev.chameleon.actuators.Fixture.want;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.RebootRecord;
import dev.chameleon.model.PlanEntry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code package} kind with a version ({@code installed candidate}, {@code installed VERSION}):
 * apt's offer read from {@code apt-cache policy} (in apt's real layout, as captured in
 * chameleon-sensors' resources/apt), irreversible changes refused unless allowed, the pending
 * reboot recorded and taken back by the undo. apt-get, apt-cache and dpkg-query are
 * {@link FakeMachine}'s stand-ins acting on the fixture's /var/lib/dpkg/status (they cannot
 * install into a temporary folder); the real ones run in a throwaway Debian root in
 * chameleon-packaging's PackageVersionChrootIT.
 */
class PackageVersionTest {
    @TempDir
    Path tmp;
    int run;

    static final String OFFERS_BOTH = """
            intel-microcode:
              Installed: 1.0-1
              Candidate: 2.0-1
              Version table:
                 2.0-1 500
                    500 file:/srv/repo ./ Packages
                    500 http://deb.debian.org/debian-security bookworm-security/non-free-firmware amd64 Packages
             *** 1.0-1 500
                    500 file:/srv/repo ./ Packages
                    100 /var/lib/dpkg/status
            """;

    static final String OFFERS_ONLY_NEW = """
            intel-microcode:
              Installed: 1.0-1
              Candidate: 2.0-1
              Version table:
                 2.0-1 500
                    500 http://deb.debian.org/debian-security bookworm-security/non-free-firmware amd64 Packages
             *** 1.0-1 100
                    100 /var/lib/dpkg/status
            """;

    Fixture fresh(String policy) throws Exception {
        Fixture f = new Fixture(tmp.resolve("run-" + (run++)));
        f.write("/var/lib/dpkg/status", "Package: intel-microcode\nStatus: install ok installed\nVersion: 1.0-1\n");
        f.write("/run/.keep", "");
        if (policy != null) {
            f.write("/fake/apt/intel-microcode.policy", policy);
        }
        return f;
    }

    static PlanEntry plan(Fixture f, String key, String value) {
        return new Planner(Actuators.standard()).plan(f.host, List.of(want(key, value)), k -> java.util.Optional.empty()).entries().get(0);
    }

    @Test
    void theCandidateIsInstalledTheRebootRecordedAndRollbackPutsTheOldVersionBack() throws Exception {
        Fixture f = fresh(OFFERS_BOTH);
        PlanEntry e = plan(f, "package:intel-microcode", "installed candidate");
        assertThat(e.action()).isEqualTo(PlanEntry.Action.CHANGE);
        assertThat(e.current()).isEqualTo("installed 1.0-1");
        assertThat(e.target()).isEqualTo("installed 2.0-1");
        assertThat(e.note()).contains("pending-reboot");

        var r = f.applier().apply(f.host, List.of(want("package:intel-microcode", "installed candidate")), "t");
        assertThat(r.ok()).as(r.message()).isTrue();
        assertThat(f.programs.calls).contains("apt-get install -y --allow-downgrades -o Dpkg::Options::=--force-confold intel-microcode=2.0-1",
                "dpkg-query -W -f ${Status}\t${Version} intel-microcode");
        assertThat(f.read("/var/lib/dpkg/status")).contains("Version: 2.0-1");
        assertThat(r.changeSet().entries().get(0).before()).isEqualTo("installed 1.0-1");
        assertThat(RebootRecord.read(f.host.root())).containsEntry("package:intel-microcode",
                "installed 2.0-1 (was installed 1.0-1); takes effect at the next boot");
        assertThat(plan(f, "package:intel-microcode", "installed candidate").action()).isEqualTo(PlanEntry.Action.OK);

        var back = f.applier().rollback(f.host, r.changeSet());
        assertThat(back.ok()).as(back.message()).isTrue();
        assertThat(f.read("/var/lib/dpkg/status")).contains("Version: 1.0-1");
        assertThat(RebootRecord.read(f.host.root())).as("back to what the machine booted with: no reboot waits").isEmpty();
    }

    @Test
    void aChangeAptCouldNotUndoIsAnErrorUnlessThePolicyAllowsIt() throws Exception {
        Fixture f = fresh(OFFERS_ONLY_NEW);
        PlanEntry e = plan(f, "package:intel-microcode", "installed candidate");
        assertThat(e.action()).isEqualTo(PlanEntry.Action.ERROR);
        assertThat(e.note()).isEqualTo("cannot be planned: intel-microcode 1.0-1 -> 2.0-1 cannot be undone: apt no longer offers 1.0-1 (offers: 2.0-1), "
                + "so rollback could not reinstall it; the policy must say allowIrreversible: true to install it anyway");
        Map<String, String> before = f.snapshot();
        var refused = f.applier().apply(f.host, List.of(want("package:intel-microcode", "installed candidate")), "t");
        assertThat(f.programs.calls).noneMatch(c -> c.startsWith("apt-get"));
        assertThat(f.snapshot()).isEqualTo(before);
        assertThat(refused.changeSet() == null || refused.changeSet().entries().isEmpty()).as(refused.message()).isTrue();

        PlanEntry allowed = plan(f, "package:intel-microcode", "installed candidate allow-irreversible");
        assertThat(allowed.action()).isEqualTo(PlanEntry.Action.CHANGE);
        assertThat(allowed.note()).startsWith("irreversible: intel-microcode 1.0-1 -> 2.0-1 cannot be undone");
        var r = f.applier().apply(f.host, List.of(want("package:intel-microcode", "installed candidate allow-irreversible")), "t");
        assertThat(r.ok()).as(r.message()).isTrue();
        assertThat(f.read("/var/lib/dpkg/status")).contains("Version: 2.0-1");
    }

    @Test
    void badVersionsAndUnknownPackagesAreClearErrorsAndChangeNothing() throws Exception {
        Fixture f = fresh(OFFERS_BOTH);
        f.write("/fake/apt/amd64-microcode.policy", "amd64-microcode:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n");
        Map<String, String> before = f.snapshot();
        assertThat(plan(f, "package:intel-microcode", "installed 9.9-1").note())
                .isEqualTo("cannot be planned: apt does not offer intel-microcode 9.9-1 (it offers: 2.0-1, 1.0-1)");
        assertThat(plan(f, "package:no-such-package", "installed candidate").note())
                .startsWith("cannot be planned: apt does not know a package no-such-package ('apt-cache policy no-such-package' says nothing of it");
        assertThat(plan(f, "package:amd64-microcode", "installed candidate").note())
                .isEqualTo("cannot be planned: apt has no candidate version of amd64-microcode (apt-cache policy: Candidate: (none))");
        f.programs.missing.add("apt-cache");
        assertThat(plan(f, "package:intel-microcode", "installed candidate").note())
                .startsWith("cannot be planned: cannot ask apt which versions of intel-microcode it offers: 'apt-cache policy intel-microcode'");
        f.programs.missing.clear();
        var r = f.applier().apply(f.host, List.of(want("package:intel-microcode", "installed 9.9-1")), "t");
        assertThat(f.programs.calls).noneMatch(c -> c.startsWith("apt-get"));
        assertThat(f.snapshot()).isEqualTo(before);
        assertThat(r.changeSet() == null || r.changeSet().entries().isEmpty()).isTrue();
    }

    @Test
    void aVersionAptGetDidNotInstallIsAFailureAndUndone() throws Exception {
        Fixture f = fresh(OFFERS_BOTH);
        f.programs.failing.add("intel-microcode"); // apt-get exits 100 "Unable to locate package"
        var r = f.applier().apply(f.host, List.of(want("package:intel-microcode", "installed candidate")), "t");
        assertThat(r.ok()).isFalse();
        assertThat(r.message()).contains("package intel-microcode = installed 2.0-1").contains("Unable to locate package");
        assertThat(f.read("/var/lib/dpkg/status")).contains("Version: 1.0-1");
        assertThat(RebootRecord.read(f.host.root())).isEmpty();
    }

    @Test
    void theSimulationSaysWhatOnlyTheMachineCanTell() {
        PackageActuator a = new PackageActuator();
        var key = dev.chameleon.model.SettingKey.parse("package:intel-microcode");
        assertThat(a.resolve(key, "installed candidate", "installed 1.0-1").state()).isEqualTo(Current.State.UNKNOWN);
        assertThat(a.resolve(key, "installed 2.0-1 allow-irreversible", "installed 1.0-1").value()).isEqualTo("installed 2.0-1");
        assertThat(a.machineCheck(key, "installed 2.0-1")).isPresent();
        assertThat(a.machineCheck(key, "installed")).isEmpty();
        assertThat(a.resolve(key, "installed 2.0-1 please", "").state()).isEqualTo(Current.State.NOT_APPLICABLE);
    }

    @Test
    void kernelCmdlineRecordsItsPendingRebootInTheSameRecord() throws Exception {
        Fixture f = fresh(null);
        var r = f.applier().apply(f.host, List.of(want("kernelCmdline:mitigations=auto", "present")), "t");
        assertThat(r.ok()).as(r.message()).isTrue();
        assertThat(RebootRecord.read(f.host.root())).containsEntry("kernelCmdline:mitigations=auto",
                "present; the running kernel's command line does not have it until the next boot");
        assertThat(f.applier().rollback(f.host, r.changeSet()).ok()).isTrue();
        assertThat(RebootRecord.read(f.host.root())).isEmpty();
    }
}
