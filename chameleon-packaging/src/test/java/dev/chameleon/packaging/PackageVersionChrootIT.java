package dev.chameleon.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Security patching through the {@code package} kind with the real apt-get, apt-cache and dpkg
 * (issue 19): the Debian 12 root that {@code vm/deb-guest.sh} builds, extracted and chrooted inside
 * a private mount and PID namespace ({@code vm/apt-chroot.sh}), the package's files in it, and a
 * local apt repository made at test time (a stand-in {@code intel-microcode} 1.0-1 and 2.0-1 built
 * with dpkg-deb) as its only source. With 1.0-1 installed, the {@code updates} sensor reports
 * installed 1.0-1 / candidate 2.0-1; the plan shows the change; apply installs 2.0-1 for real
 * (dpkg-query and the package's own file say so), reports the pending reboot and the fact
 * {@code updates.reboot.pending} turns true; {@code rollback --last} puts 1.0-1 back (it is still
 * offered) and {@code /var/lib/dpkg/status} is byte for byte what it was. Bad input: a version apt
 * does not have, a package that does not exist, and the dpkg lock held by a real process in the
 * root — each a clear error with the root's dpkg database unchanged. This machine's own dpkg
 * database is checked unchanged too.
 */
class PackageVersionChrootIT {
    @Test
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void theCandidateIsInstalledForRealTheRebootReportedAndRollbackReinstallsTheOldVersion() throws Exception {
        DebPackageIT.Proc id = DebPackageIT.Proc.run(List.of("id", "-u"), 10);
        assertThat(id.out().strip()).as("chroot and mounts in a namespace: this test must run as root").isEqualTo("0");
        String deb = System.getProperty("chameleon.deb");
        assertThat(deb).as("system property chameleon.deb (run through 'mvn verify')").isNotNull();
        Path repo = Path.of(System.getProperty("chameleon.repo", ".."));
        Path cache = Path.of(System.getenv().getOrDefault("CHAMELEON_VM_CACHE", "/var/cache/chameleon-vm")).resolve("deb-guest");
        Path tar;
        try (Stream<Path> s = Files.isDirectory(cache) ? Files.list(cache) : Stream.empty()) {
            tar = s.filter(p -> p.getFileName().toString().matches("rootfs-[0-9a-f]+\\.tar")).findFirst().orElse(null);
        }
        assertThat(tar).as("the Debian root of vm/deb-guest.sh (DebGuestIT builds it) in " + cache
                + "; run vm/deb-guest.sh once first").isNotNull();
        byte[] hostStatus = Files.readAllBytes(Path.of("/var/lib/dpkg/status"));
        boolean hostRecord = Files.exists(Path.of("/run/chameleon/reboot-required"));
        Path work = Files.createTempDirectory("chameleon-apt");
        try {
            DebPackageIT.Proc run = DebPackageIT.Proc.run(List.of("unshare", "--mount", "--pid", "--fork", "--", "bash",
                    repo.resolve("vm/apt-chroot.sh").toString(), tar.toString(), deb, work.toString()), 840);
            String out = run.out();
            assertThat(run.code()).as(out).isZero();
            Map<String, String> v = new LinkedHashMap<>();
            out.lines().filter(l -> l.startsWith("@") && l.contains("="))
                    .forEach(l -> v.put(l.substring(1, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
            assertThat(v.get("update.rc")).as(out).isEqualTo("0");
            assertThat(v.get("install1.rc")).as(out).isEqualTo("0");
            assertThat(v.get("version.before")).as(out).isEqualTo("1.0-1");
            assertThat(v.get("facts.rc")).as(out).isEqualTo("0");
            assertThat(v.get("facts.microcode")).as("the sensor, from the root's real apt-cache\n" + out)
                    .contains("\"installed\":\"1.0-1\"", "\"candidate\":\"2.0-1\"", "\"candidateNewer\":true");
            assertThat(v.get("plan.rc")).as(out).isEqualTo("0");
            assertThat(v.get("plan.target")).as("the plan shows installed 2.0-1\n" + out).isEqualTo("1");
            assertThat(v.get("apply.rc")).as(out).isEqualTo("0");
            assertThat(v.get("version.applied")).as("dpkg-query\n" + out).isEqualTo("2.0-1");
            assertThat(v.get("file.applied")).as("the package's own file\n" + out).isEqualTo("2.0-1");
            assertThat(v.get("apply.reboot")).as("apply says a reboot is required\n" + out).isEqualTo("1");
            assertThat(v.get("facts.reboot.applied")).as(out).contains("\"pending\":true").contains("intel-microcode");
            assertThat(v.get("replan.rc")).as("plan --exit-code after the apply: nothing to change\n" + out).isEqualTo("0");
            assertThat(v.get("rollback.rc")).as(out).isEqualTo("0");
            assertThat(v.get("version.after")).as(out).isEqualTo("1.0-1");
            assertThat(v.get("file.after")).as(out).isEqualTo("1.0-1");
            assertThat(v.get("facts.reboot.after")).as(out).contains("\"pending\":false");
            assertThat(v.get("status.after")).as("the dpkg database byte for byte\n" + out).isEqualTo(v.get("status.before")).hasSize(64);

            assertThat(v.get("badversion.rc")).as(out).isEqualTo("1");
            assertThat(v.get("badversion.message")).as(out).isEqualTo("1");
            assertThat(v.get("badversion.status")).as(out).isEqualTo(v.get("status.before"));
            assertThat(v.get("badname.rc")).as(out).isEqualTo("1");
            assertThat(v.get("badname.message")).as(out).isEqualTo("1");
            assertThat(v.get("badname.status")).as(out).isEqualTo(v.get("status.before"));
            assertThat(v.get("locker.ready")).as("a process in the root holds the dpkg frontend lock\n" + out).isEqualTo("1");
            assertThat(v.get("locked.rc")).as(out).isEqualTo("1");
            assertThat(Integer.parseInt(v.get("locked.message"))).as("apt's own 'Could not get lock' is quoted\n" + out).isPositive();
            assertThat(v.get("locked.version")).as(out).isEqualTo("1.0-1");
            assertThat(v.get("locked.status")).as(out).isEqualTo(v.get("status.before"));
        } finally {
            DebPackageIT.Proc.run(List.of("rm", "-rf", work.toString()), 300);
        }
        assertThat(Files.readAllBytes(Path.of("/var/lib/dpkg/status"))).as("this machine's dpkg database").isEqualTo(hostStatus);
        assertThat(Files.exists(Path.of("/run/chameleon/reboot-required"))).as("this machine's reboot record").isEqualTo(hostRecord);
    }
}
