package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chameleon hardware check} end to end on a machine captured from a QEMU guest with VMware devices. */
class HardwareCommandTest {
    @TempDir
    Path tmp;

    record Run(int code, String out, String err) {
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    static Path machine(String name) {
        Path here = Path.of("").toAbsolutePath();
        Path repo = Files.isDirectory(here.resolve("chameleon-sensors")) ? here : here.getParent();
        return repo.resolve("chameleon-sensors/src/test/machines").resolve(name);
    }

    @Test
    void checkPrintsEachGapWithItsVmxFixAndExitCodeSaysSo() throws Exception {
        Path m = machine("qemu-pc-vmware");
        String[] base = {"hardware", "check", "--profile", "general", "--root", m.resolve("root").toString(),
            "--commands", m.resolve("commands").toString()};
        Run table = cli(base);
        assertThat(table.code()).isZero();
        assertThat(table.out()).startsWith("profile general on vmware (hypervisor vmware, cloud none)\n")
                .contains("FAIL    nic.model            not paravirtual: eth0 (e1000)  (wanted: paravirtual NICs (vmxnet3))\n"
                        + "        nics.eth0.driver = e1000 (/sys/class/net/eth0/device/driver)\n")
                .contains("        fix: ethernet0.virtualDev = \"vmxnet3\"\n")
                .endsWith("2 passed, 2 failed, 0 unknown\n");
        Run json = cli(append(base, "-o", "json", "--exit-code"));
        assertThat(json.code()).isEqualTo(ExitCode.CHANGES_PENDING);
        JsonNode doc = new ObjectMapper().readTree(json.out());
        assertThat(doc.path("platform").path("target").asText()).isEqualTo("vmware");
        assertThat(doc.path("findings").get(0).path("check").asText()).isEqualTo("nic.model");
        assertThat(doc.path("findings").get(0).path("status").asText()).isEqualTo("fail");
        assertThat(doc.path("summary").path("fail").asLong()).isEqualTo(2);
    }

    @Test
    void aProfileFileReplacesTheShippedOneAndABadOneIsPositioned() throws Exception {
        Path m = machine("qemu-q35-virtio");
        Path good = Files.writeString(tmp.resolve("small.yaml"),
                "apiVersion: chameleon/v1\nkind: HardwareProfile\nmetadata: {name: small}\nspec:\n  nic: {model: paravirtual}\n  disk: {model: paravirtual}\n");
        Run ok = cli("hardware", "check", "--profile", "small", "--profile-file", good.toString(), "--exit-code",
                "--root", m.resolve("root").toString(), "--commands", m.resolve("commands").toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).endsWith("2 passed, 0 failed, 0 unknown\n");
        Path bad = Files.writeString(tmp.resolve("bad.yaml"),
                "apiVersion: chameleon/v1\nkind: HardwareProfile\nmetadata: {name: bad}\nspec:\n  cpu: {minCount: -2}\n");
        Run err = cli("hardware", "check", "--profile", "bad", "--profile-file", bad.toString(), "--root", m.resolve("root").toString());
        assertThat(err.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(err.err()).contains(bad + ":5:19: error: spec.cpu.minCount must be from 1 to 8192, found -2");
        Run missing = cli("hardware", "check", "--profile", "nope", "--root", m.resolve("root").toString());
        assertThat(missing.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(missing.err()).contains("no hardware profile named 'nope' (known: general, network-heavy, storage-heavy, database, gpu-compute)");
        Run list = cli("hardware", "profiles");
        assertThat(list.out()).contains("database         pack:hardware/database.yaml");
    }

    @Test
    void readinessSaysWhyAGuestCannotMoveAndExitsAsPlanDoes() throws Exception {
        Path root = tmp.resolve("root");
        Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(root.resolve("usr/sbin"));
        Files.writeString(root.resolve("etc/os-release"), "ID=debian\n");
        Files.writeString(root.resolve("etc/fstab"), "/dev/sda1 / ext4 defaults 0 1\n");
        Files.writeString(root.resolve("usr/sbin/qemu-ga"), "");
        Run table = cli("readiness", "--target", "kvm", "--root", root.toString());
        assertThat(table.code()).as(table.err()).isZero();
        assertThat(table.out()).startsWith("readiness for KVM/QEMU (libvirt)\n")
                .contains("FAIL    fstab.stable-ids     by device name: /dev/sda1")
                .contains("        /etc/fstab:1: /dev/sda1 / ext4 defaults 0 1\n")
                .contains("PASS    guest-agent          qemu-guest-agent")
                .endsWith("2 passed, 1 failed, 4 unknown\n");
        Run json = cli("readiness", "--target", "kvm", "--root", root.toString(), "-o", "json", "--exit-code");
        assertThat(json.code()).isEqualTo(ExitCode.CHANGES_PENDING);
        JsonNode doc = new ObjectMapper().readTree(json.out());
        assertThat(doc.path("target").asText()).isEqualTo("kvm");
        assertThat(doc.path("findings").get(1).path("check").asText()).isEqualTo("fstab.stable-ids");
        assertThat(doc.path("findings").get(1).path("evidence").get(0).asText()).isEqualTo("/etc/fstab:1: /dev/sda1 / ext4 defaults 0 1");
        assertThat(doc.path("summary").path("fail").asLong()).isEqualTo(1);
        Files.writeString(root.resolve("etc/fstab"), "UUID=0a3c / ext4 defaults 0 1\n");
        assertThat(cli("readiness", "--target", "kvm", "--root", root.toString(), "--exit-code").code()).isZero();
        Run bad = cli("readiness", "--target", "virtualbox", "--root", root.toString());
        assertThat(bad.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(bad.err()).contains("--target: unknown platform 'virtualbox' (known: kvm, vmware, hyperv, xen, aws, azure, gcp)");
    }

    static String[] append(String[] a, String... more) {
        String[] out = java.util.Arrays.copyOf(a, a.length + more.length);
        System.arraycopy(more, 0, out, a.length, more.length);
        return out;
    }
}
