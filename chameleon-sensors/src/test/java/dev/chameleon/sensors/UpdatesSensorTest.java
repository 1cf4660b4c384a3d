package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.AptPolicy;
import dev.chameleon.host.RebootRecord;
import dev.chameleon.model.FactSet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code updates}: apt's installed and candidate versions from real {@code apt-cache policy}
 * output captured on Debian 12 (src/test/resources/apt/README.md says how), a translated one, and
 * odd input; the pending-reboot fact from its three sources.
 */
class UpdatesSensorTest {
    @TempDir
    Path tmp;
    int n;

    static String resource(String name) throws Exception {
        return Files.readString(Path.of(UpdatesSensorTest.class.getResource("/apt/" + name).toURI()));
    }

    @Test
    void realBookwormOutputGivesInstalledCandidateOrderAndSecurityOrigin() throws Exception {
        Map<String, AptPolicy.Pkg> p = AptPolicy.parse(resource("bookworm-apt-cache-policy.txt"));
        assertThat(p.keySet()).containsExactly("intel-microcode", "amd64-microcode", "linux-image-amd64", "bash", "jq", "krb5-locales");
        AptPolicy.Pkg jq = p.get("jq");
        assertThat(jq.installed()).contains("1.6-2.1+deb12u1");
        assertThat(jq.candidate()).contains("1.6-2.1+deb12u3");
        assertThat(jq.candidateNewer()).contains(true);
        assertThat(jq.candidateFromSecurity()).contains(true);
        assertThat(jq.versions()).extracting(AptPolicy.Version::version).containsExactly("1.6-2.1+deb12u3", "1.6-2.1+deb12u2", "1.6-2.1+deb12u1");
        assertThat(jq.offers("1.6-2.1+deb12u2")).isTrue();
        assertThat(jq.offers("1.6-2.1+deb12u1")).as("only in /var/lib/dpkg/status: apt cannot reinstall it").isFalse();
        assertThat(p.get("bash").candidateNewer()).contains(true);
        assertThat(p.get("bash").candidateFromSecurity()).contains(false);
        assertThat(p.get("krb5-locales").candidateFromSecurity()).as("in bookworm and bookworm-security").contains(true);
        assertThat(p.get("intel-microcode").installed()).isEmpty();
        assertThat(p.get("intel-microcode").candidate()).isEmpty();
        assertThat(p.get("linux-image-amd64").installed()).isEmpty();
        assertThat(p.get("linux-image-amd64").candidate()).contains("6.1.192-3");
        assertThat(p.get("linux-image-amd64").candidateNewer()).as("nothing installed to compare with").isEmpty();

        Map<String, Object> facts = UpdatesSensor.facts(p);
        assertThat(facts.get("jq")).isEqualTo(Map.of("installed", "1.6-2.1+deb12u1", "candidate", "1.6-2.1+deb12u3", "candidateNewer", true,
                "candidateSecurity", true, "candidateOrigins", List.of("http://deb.debian.org/debian-security bookworm-security/main amd64 Packages")));
        assertThat(facts.get("intel-microcode")).isEqualTo(Map.of());
    }

    @Test
    void aTranslatedHeaderParsesByLayout() throws Exception {
        Map<String, AptPolicy.Pkg> p = AptPolicy.parse(resource("de-apt-cache-policy.txt"));
        assertThat(p.get("intel-microcode").installed()).contains("3.20240514.1~deb12u1");
        assertThat(p.get("intel-microcode").candidate()).contains("3.20250512.1~deb12u1");
        assertThat(p.get("intel-microcode").candidateNewer()).contains(true);
        assertThat(p.get("intel-microcode").candidateFromSecurity()).contains(true);
        assertThat(p.get("amd64-microcode").installed()).as("(keine)").isEmpty();
        // French: "Installé : X", "Candidat : Y", " Table de version :" (one leading space)
        Map<String, AptPolicy.Pkg> fr = AptPolicy.parse("""
                intel-microcode:
                  Installé : 1:2.0-1
                  Candidat : 1:2.1-1
                 Table de version :
                     1:2.1-1 500
                        500 http://security.debian.org buster/updates/non-free amd64 Packages
                 *** 1:2.0-1 100
                        100 /var/lib/dpkg/status
                """);
        assertThat(fr.get("intel-microcode").installed()).contains("1:2.0-1");
        assertThat(fr.get("intel-microcode").candidate()).contains("1:2.1-1");
        assertThat(fr.get("intel-microcode").candidateFromSecurity()).as("Debian 10's security archive").contains(true);
    }

    @Test
    void emptyAndTruncatedOutputGiveOnlyWhatWasComplete() throws Exception {
        assertThat(AptPolicy.parse("")).isEmpty();
        assertThat(AptPolicy.parse("\n\n")).isEmpty();
        assertThat(AptPolicy.parse("W: some warning\nN: Unable to locate package x\n")).isEmpty();
        String real = resource("bookworm-apt-cache-policy.txt");
        for (int cut = 0; cut < real.length(); cut += 7) {
            Map<String, AptPolicy.Pkg> p = AptPolicy.parse(real.substring(0, cut)); // never throws
            p.values().forEach(x -> {
                x.candidateNewer();
                x.candidateFromSecurity();
            });
        }
        Map<String, AptPolicy.Pkg> p = AptPolicy.parse(real.substring(0, real.indexOf("  Candidate: 1.6-2.1+deb12u3")));
        assertThat(p.get("jq").installed()).contains("1.6-2.1+deb12u1");
        assertThat(p.get("jq").candidate()).isEmpty();
        assertThat(p.get("jq").candidateNewer()).isEmpty();
        Map<String, AptPolicy.Pkg> noTable = AptPolicy.parse(real.substring(0, real.indexOf("     1.6-2.1+deb12u3 500")));
        assertThat(noTable.get("jq").candidate()).contains("1.6-2.1+deb12u3");
        assertThat(noTable.get("jq").candidateNewer()).as("no table: apt's order unknown").isEmpty();
        assertThat(noTable.get("jq").offers("1.6-2.1+deb12u3")).isFalse();
    }

    Tree tree() {
        return new Tree(tmp.resolve("t" + (n++)));
    }

    @Test
    void theSensorAsksAptForMicrocodeAndTheRunningKernelsPackages() throws Exception {
        Tree t = tree().file("/proc/sys/kernel/osrelease", "6.1.0-26-cloud-amd64\n").file("/var/lib/dpkg/status", "")
                .dir("/run").command("apt-cache-policy", resource("de-apt-cache-policy.txt"));
        FactSet f = SensorSuite.standard().only(List.of("updates")).collect(t.host());
        assertThat(f.get("meta.sensors.updates.status")).contains("ok");
        assertThat(f.get("updates.packages.intel-microcode.candidateNewer")).contains(true);
        assertThat(f.get("updates.packages.amd64-microcode.candidate")).contains("3.20240820.1~deb12u1");
        assertThat(f.get("updates.packages.amd64-microcode.installed")).isEmpty();
        assertThat(f.get("updates.kernel.running")).contains("6.1.0-26-cloud-amd64");
        assertThat(f.get("updates.reboot.pending")).contains(false);
        assertThat(UpdatesSensor.kernelPackages("6.1.0-26-cloud-amd64")).containsExactly("linux-image-6.1.0-26-cloud-amd64", "linux-image-cloud-amd64");
        assertThat(UpdatesSensor.kernelPackages("5.15.0-91-generic")).containsExactly("linux-image-5.15.0-91-generic", "linux-image-generic");
        assertThat(UpdatesSensor.kernelPackages("6.18.44-fc-v1252")).containsExactly("linux-image-6.18.44-fc-v1252");
        assertThat(UpdatesSensor.kernelPackages("x y")).isEmpty();
    }

    @Test
    void withoutAptThePackagesAreAbsentNotEmpty() throws Exception {
        // no canned apt-cache output: the runner says "not installed"
        Tree t = tree().file("/proc/sys/kernel/osrelease", "6.1.0-26-amd64\n").file("/var/lib/dpkg/status", "");
        FactSet f = SensorSuite.standard().only(List.of("updates")).collect(t.host());
        assertThat(f.get("updates.packages")).isEmpty();
        assertThat(f.get("updates.kernel.running")).contains("6.1.0-26-amd64");
        assertThat(f.get("updates.reboot")).as("no /run in the tree: not known").isEmpty();
        // no dpkg database (an RPM machine, a fixture): apt is not asked
        Tree rpm = tree().file("/proc/sys/kernel/osrelease", "6.1.0-26-amd64\n").command("apt-cache-policy", resource("de-apt-cache-policy.txt"));
        assertThat(SensorSuite.standard().only(List.of("updates")).collect(rpm.host()).get("updates.packages")).isEmpty();
    }

    @Test
    void aOneShotRunTakesAptsAnswerFromTheStoreWhileDpkgAndAptAreUnchanged() throws Exception {
        // canned apt-cache output stands in for apt (a real apt database cannot be changed here)
        Tree t = tree().file("/proc/sys/kernel/osrelease", "6.1.0-26-amd64\n").file("/var/lib/dpkg/status", "Package: jq\n")
                .dir("/var/lib/apt/lists").file("/etc/apt/sources.list", "deb http://deb.debian.org/debian bookworm main\n")
                .command("apt-cache-policy", resource("bookworm-apt-cache-policy.txt"));
        Path store = tmp.resolve("state/cache");
        FactSet first = SensorSuite.standard().only(List.of("updates")).collect(t.host(), new FactCache(store));
        assertThat(first.get("updates.packages.jq.candidate")).contains("1.6-2.1+deb12u3");
        assertThat(store.resolve("updates.apt")).isRegularFile();

        // apt now answers differently; a new one-shot run with unchanged dpkg/apt files takes the stored answer
        t.command("apt-cache-policy", resource("de-apt-cache-policy.txt"));
        FactSet second = SensorSuite.standard().only(List.of("updates")).collect(t.host(), new FactCache(store));
        assertThat(second.get("updates.packages")).isEqualTo(first.get("updates.packages"));
        assertThat(second.get("updates.packages.jq")).isPresent();

        // dpkg's status changed (an install): apt is asked again
        t.file("/var/lib/dpkg/status", "Package: jq\nStatus: install ok installed\n");
        FactSet third = SensorSuite.standard().only(List.of("updates")).collect(t.host(), new FactCache(store));
        assertThat(third.get("updates.packages")).isNotEqualTo(first.get("updates.packages"));
        Object fresh = third.get("updates.packages").orElseThrow();

        // a source edited in place (same folder mtime): asked again
        t.command("apt-cache-policy", resource("bookworm-apt-cache-policy.txt"));
        t.file("/etc/apt/sources.list", "deb http://deb.debian.org/debian bookworm main contrib\n");
        assertThat(SensorSuite.standard().only(List.of("updates")).collect(t.host(), new FactCache(store)).get("updates.packages"))
                .isEqualTo(first.get("updates.packages"));
        assertThat(fresh).isNotEqualTo(first.get("updates.packages").orElseThrow());
    }

    @Test
    void aCorruptOrForeignStoredAnswerIsNeverTrusted() throws Exception {
        Tree t = tree().file("/proc/sys/kernel/osrelease", "6.1.0-26-amd64\n").file("/var/lib/dpkg/status", "Package: jq\n")
                .command("apt-cache-policy", resource("bookworm-apt-cache-policy.txt"));
        Path store = tmp.resolve("state/cache");
        SensorSuite.standard().only(List.of("updates")).collect(t.host(), new FactCache(store));
        Path f = store.resolve("updates.apt");
        String good = Files.readString(f);
        t.command("apt-cache-policy", resource("de-apt-cache-policy.txt"));
        Object german = SensorSuite.standard().only(List.of("updates")).collect(tree().file("/proc/sys/kernel/osrelease", "6.1.0-26-amd64\n")
                .file("/var/lib/dpkg/status", "").command("apt-cache-policy", resource("de-apt-cache-policy.txt")).host()).get("updates.packages").orElseThrow();

        // one byte of the body changed: the checksum does not match, apt is asked
        Files.writeString(f, good.replace("deb12u3", "deb12u9"));
        assertThat(SensorSuite.standard().only(List.of("updates")).collect(t.host(), new FactCache(store)).get("updates.packages")).contains(german);
        // the file is written back from the fresh answer
        assertThat(Files.readString(f)).doesNotContain("deb12u9");

        // not ours to trust: writable by others
        t.command("apt-cache-policy", resource("bookworm-apt-cache-policy.txt")); // the store holds the German answer, its stamp matching
        Files.setPosixFilePermissions(f, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        Object english = SensorSuite.standard().only(List.of("updates")).collect(t.host(), new FactCache(store)).get("updates.packages").orElseThrow();
        assertThat(english).isNotEqualTo(german);

        // a symbolic link in its place is not followed
        Path elsewhere = tmp.resolve("elsewhere");
        Files.move(f, elsewhere);
        Files.createSymbolicLink(f, elsewhere);
        t.command("apt-cache-policy", resource("de-apt-cache-policy.txt"));
        assertThat(SensorSuite.standard().only(List.of("updates")).collect(t.host(), new FactCache(store)).get("updates.packages")).contains(german);

        // garbage, an empty file, another format's header: asked again, no error
        for (String junk : List.of("", "\u0000\u0001garbage", "chameleon-stored 99\nstamp x\n", good.lines().findFirst().orElseThrow() + "\n")) {
            Files.deleteIfExists(f);
            Files.writeString(f, junk);
            t.command("apt-cache-policy", junk.isEmpty() ? resource("bookworm-apt-cache-policy.txt") : resource("de-apt-cache-policy.txt"));
            FactSet r = SensorSuite.standard().only(List.of("updates")).collect(t.host(), new FactCache(store));
            assertThat(r.get("meta.sensors.updates.problems")).as(junk).isEmpty();
            assertThat(r.get("updates.packages")).as(junk).contains(junk.isEmpty() ? english : german);
        }
    }

    @Test
    void aFailingAptIsAProblemNotAFact() throws Exception {
        Tree t = tree().file("/var/lib/dpkg/status", "").command("apt-cache-policy", "");
        Files.writeString(tmp.resolve("t" + (n - 1)).resolve("commands/apt-cache-policy.exit"), "100\n");
        FactSet f = SensorSuite.standard().only(List.of("updates")).collect(t.host());
        assertThat(f.get("updates.packages")).isEmpty();
        assertThat(f.get("meta.sensors.updates.status")).contains("ok");
        assertThat(f.get("meta.sensors.updates.problems").orElseThrow().toString()).contains("exit 100");
    }

    @Test
    void pendingRebootIsOneFactFromDebiansFileANewerKernelAndChameleonsRecord() throws Exception {
        Tree t = tree().file("/proc/sys/kernel/osrelease", "6.1.0-9-amd64\n")
                .file("/boot/vmlinuz-6.1.0-9-amd64", "").file("/boot/vmlinuz-6.1.0-28-amd64", "").file("/boot/vmlinuz-6.1.0-10-amd64", "")
                .file("/run/reboot-required", "*** System restart required ***\n")
                .file("/run/reboot-required.pkgs", "libc6\nlinux-image-6.1.0-28-amd64\nlibc6\n")
                .file(RebootRecord.PATH, "# header\npackage:intel-microcode\tinstalled 2 (was 1); loaded at the next boot\n"
                        + "kernelCmdline:mitigations=auto\tpresent; not on the running kernel's command line\n");
        FactSet f = SensorSuite.standard().only(List.of("updates")).collect(t.host());
        assertThat(f.get("updates.kernel.newestInstalled")).contains("6.1.0-28-amd64");
        assertThat(f.get("updates.reboot.pending")).contains(true);
        assertThat(f.get("updates.reboot.packages")).contains(List.of("libc6", "linux-image-6.1.0-28-amd64", "intel-microcode"));
        assertThat(f.get("updates.reboot.reasons")).contains(List.of("/run/reboot-required (written by a package's maintainer script)",
                "kernel 6.1.0-28-amd64 is installed, 6.1.0-9-amd64 is running",
                "package:intel-microcode: installed 2 (was 1); loaded at the next boot",
                "kernelCmdline:mitigations=auto: present; not on the running kernel's command line"));

        Tree quiet = tree().file("/proc/sys/kernel/osrelease", "6.1.0-28-amd64\n").file("/boot/vmlinuz-6.1.0-28-amd64", "")
                .file("/boot/vmlinuz-6.1.0-9-amd64", "").dir("/run");
        FactSet q = SensorSuite.standard().only(List.of("updates")).collect(quiet.host());
        assertThat(q.get("updates.reboot")).contains(Map.of("pending", false, "reasons", List.of(), "packages", List.of()));
    }

    @Test
    void kernelReleasesCompareDigitRunsAsNumbers() {
        assertThat(UpdatesSensor.compareReleases("6.1.0-28-amd64", "6.1.0-9-amd64")).isPositive();
        assertThat(UpdatesSensor.compareReleases("6.10.0-1-amd64", "6.9.12-1-amd64")).isPositive();
        assertThat(UpdatesSensor.compareReleases("6.1.0-9-amd64", "6.1.0-9-amd64")).isZero();
        assertThat(UpdatesSensor.newestKernel(List.of("config-6.1.0-28-amd64", "vmlinuz-6.1.0-9-amd64", "vmlinuz-6.1.0-28-amd64",
                "vmlinuz-6.1.0-99-amd64.old", "vmlinuz-"))).contains("6.1.0-28-amd64");
        assertThat(UpdatesSensor.newestKernel(List.of())).isEmpty();
    }

    @Test
    void theRecordRoundTripsAndDisappearsWhenEmpty() throws Exception {
        Tree t = tree().dir("/run");
        var root = t.host().root();
        RebootRecord.put(root, "package:intel-microcode", "installed 2 (was 1)\tx");
        RebootRecord.put(root, "kernelCmdline:nosmt", "present");
        assertThat(RebootRecord.read(root)).containsExactly(Map.entry("package:intel-microcode", "installed 2 (was 1) x"),
                Map.entry("kernelCmdline:nosmt", "present"));
        RebootRecord.put(root, "package:intel-microcode", null);
        RebootRecord.put(root, "package:absent-anyway", null);
        assertThat(RebootRecord.read(root)).containsOnlyKeys("kernelCmdline:nosmt");
        RebootRecord.put(root, "kernelCmdline:nosmt", null);
        assertThat(root.exists(RebootRecord.PATH)).isFalse();
        assertThat(RebootRecord.parse("no tab here\n\tleading tab\nk\tv")).containsExactly(Map.entry("k", "v"));
    }
}
