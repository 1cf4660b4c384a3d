package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A change that waits for a boot, end to end through the CLI on a tree in a temporary folder:
 * {@code apply} prints "Reboot required" and the fact {@code updates.reboot} turns pending;
 * {@code rollback} takes it back. The kernel command line is the kind here ({@code update-grub}
 * answered from canned output: it cannot run on a folder); the package kind's pending reboot with
 * the real apt is PackageVersionChrootIT's (chameleon-packaging).
 */
class RebootRequiredCliTest {
    @TempDir
    Path tmp;

    static CliTest.Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliTest.Run(code, out.toString(), err.toString());
    }

    @Test
    void applyReportsThePendingRebootAndTheFactShowsItUntilRollback() throws IOException {
        Path root = tmp.resolve("root");
        MachineTree.vmwareGuest(root);
        MachineTree.write(root, "/proc/cmdline", "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet\n");
        MachineTree.write(root, "/etc/default/grub", "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\n");
        Files.createDirectories(root.resolve("run"));
        Path commands = tmp.resolve("commands");
        Files.createDirectories(commands);
        Files.writeString(commands.resolve("update-grub"), "");
        Path policy = tmp.resolve("p.yaml");
        Files.writeString(policy, """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: mitigations-auto}
                spec:
                  settings:
                    - kernelCmdline: {arg: mitigations=auto, state: present}
                """);
        String[] common = {"--root", root.toString(), "--commands", commands.toString(), "--no-default-policies", "--policies",
                policy.toString(), "--state-dir", tmp.resolve("state").toString()};

        assertThat(cli("facts", "updates", "--root", root.toString(), "-o", "json").out()).contains("\"pending\" : false");
        CliTest.Run applied = cli(concat("apply", "--yes", common));
        assertThat(applied.code()).as(applied.out() + applied.err()).isZero();
        assertThat(applied.out()).contains("Reboot required (chameleon does not reboot; updates.reboot.pending is true until the machine boots):")
                .contains("  kernelCmdline:mitigations=auto: present; the running kernel's command line does not have it until the next boot");
        String facts = cli("facts", "updates", "--root", root.toString(), "-o", "json").out();
        assertThat(facts).contains("\"pending\" : true").contains("kernelCmdline:mitigations=auto: present;");

        CliTest.Run again = cli(concat("apply", "--yes", concat("-o", "json", common))); // nothing to change: nothing newly waits
        assertThat(again.code()).as(again.out() + again.err()).isZero();
        assertThat(again.out()).contains("\"rebootRequired\" : [ ]").doesNotContain("Reboot required");

        CliTest.Run back = cli("rollback", "--last", "--root", root.toString(), "--commands", commands.toString(),
                "--state-dir", tmp.resolve("state").toString());
        assertThat(back.code()).as(back.out() + back.err()).isZero();
        assertThat(cli("facts", "updates", "--root", root.toString(), "-o", "json").out()).contains("\"pending\" : false");
    }

    static String[] concat(String a, String b, String[] rest) {
        String[] out = new String[rest.length + 2];
        out[0] = a;
        out[1] = b;
        System.arraycopy(rest, 0, out, 2, rest.length);
        return out;
    }
}
