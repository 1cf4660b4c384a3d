package dev.chameleon.cli;

import dev.chameleon.actuators.Journal;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.JournalEntry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end against a small VMware-like tree in a temporary folder (commands are off). */
class CliTest {
    @TempDir
    Path tmp;
    Path root;

    record Run(int code, String out, String err) {
    }

    static Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Cli.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(code, out.toString(), err.toString());
    }

    void write(String path, String text) throws IOException {
        MachineTree.write(root, path, text);
    }

    String read(String path) throws IOException {
        return MachineTree.read(root, path);
    }

    @BeforeEach
    void vmwareTree() throws IOException {
        root = tmp.resolve("root");
        MachineTree.vmwareGuest(root);
        write("/sys/class/dmi/id/bios_vendor", "Phoenix Technologies LTD\n");
        write("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R)\n"
                + "flags\t\t: fpu vme sse2 hypervisor\n\n");
        write("/proc/modules", "ext4 1000 1 - Live 0x0\n");
        write("/proc/sys/vm/swappiness", "60\n");
        write("/proc/sys/vm/dirty_ratio", "20\n");
        write("/proc/sys/vm/dirty_background_ratio", "10\n");
        write("/proc/sys/net/core/somaxconn", "4096\n");
        write("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n");
    }

    @Test
    void planExplainsItselfAndChangesNothing() throws IOException {
        Run r = cli("plan", "--root", root.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(0);
        assertThat(r.out()).contains("Platform: hypervisor vmware")
                .containsPattern("vmware-guest +matched +pack:vmware-guest.yaml:\\d+")
                .contains("~ kernelModule:vmw_pvscsi: unloaded -> loaded")
                .contains("~ sysctl:vm.swappiness: 60 -> 30")
                .contains("because platform.hypervisor = \"vmware\"")
                .contains("= sysctl:vm.dirty_background_ratio: 10")
                // the tree names VMware in DMI but carries no CPUID/lscpu/kernel-log evidence of the
                // hypervisor interface, so the balloon policy (vmw_balloon, vmw_vmci) stays out
                .containsPattern("not matched \\(\\d+\\): vmware-balloon,")
                .contains("Plan: 4 to change, 1 already set");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        assertThat(root.resolve("var/lib/chameleon")).doesNotExist();
        assertThat(cli("plan", "--root", root.toString(), "--exit-code").code()).isEqualTo(ExitCode.CHANGES_PENDING);
    }

    @Test
    void planJsonIsStable() throws IOException {
        Run r = cli("plan", "--root", root.toString(), "-o", "json");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.path("platform").path("hypervisor").asText()).isEqualTo("vmware");
        assertThat(j.path("summary").path("change").asInt()).isEqualTo(4);
        JsonNode first = j.path("entries").get(0);
        assertThat(first.path("key").asText()).isEqualTo("kernelModule:vmw_pvscsi");
        assertThat(first.path("action").asText()).isEqualTo("change");
        assertThat(first.path("current").asText()).isEqualTo("unloaded");
        assertThat(first.path("desired").asText()).isEqualTo("loaded");
        assertThat(first.path("policy").asText()).isEqualTo("vmware-guest");
        assertThat(first.path("mode").asText()).isEqualTo("enforce");
        assertThat(j.path("policies").findValuesAsText("name")).contains("vmware-guest", "virtual-guest");
    }

    @Test
    void applyAndRollbackOnATree() throws IOException {
        Path policies = tmp.resolve("policies");
        Files.createDirectories(policies);
        Files.writeString(policies.resolve("net.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: backlog}
                spec:
                  when: platform.hypervisor == "vmware"
                  settings:
                    - sysctl: {key: net.core.somaxconn, value: 8192}
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        Path state = tmp.resolve("state");
        String[] common = {"--root", root.toString(), "--no-default-policies", "--policies", policies.toString(), "--state-dir", state.toString()};

        Run refused = cli(concat(new String[] {"apply"}, common));
        assertThat(refused.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(refused.err()).contains("--yes").contains("Nothing was changed")
                .as("issue 17: the suggested commands keep the options that scoped this one")
                .contains("'chameleon plan " + String.join(" ", common) + "'").contains("'chameleon apply --yes " + String.join(" ", common) + "'");
        assertThat(read("/proc/sys/net/core/somaxconn")).isEqualTo("4096");

        Run applied = cli(concat(new String[] {"apply", "--yes"}, common));
        assertThat(applied.code()).as(applied.err()).isEqualTo(0);
        assertThat(applied.out()).contains("verified  sysctl:net.core.somaxconn: 4096 -> 8192")
                .contains("policy backlog").contains("undo by hand: sysctl -w net.core.somaxconn='4096'");
        assertThat(read("/proc/sys/net/core/somaxconn")).isEqualTo("8192");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("10");
        assertThat(cli("plan", "--exit-code", "--root", root.toString(), "--no-default-policies", "--policies", policies.toString())
                .code()).isEqualTo(ExitCode.OK);

        Run history = cli("history", "--state-dir", state.toString());
        assertThat(history.out()).contains("applied").contains("sysctl:vm.swappiness: 60 -> 10");

        Run rb = cli("rollback", "--last", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(rb.code()).as(rb.err()).isEqualTo(0);
        assertThat(read("/proc/sys/net/core/somaxconn")).isEqualTo("4096");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        Run again = cli("rollback", "--last", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(again.out()).contains("Nothing to roll back");
    }

    @Test
    void applyOnlySomeKeysThenRollBackBySetIdAllAndDryRun() throws IOException {
        Path policies = tmp.resolve("policies");
        Files.createDirectories(policies);
        write("/etc/motd", "hello\n");
        Files.writeString(policies.resolve("net.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: backlog}
                spec:
                  settings:
                    - sysctl: {key: net.core.somaxconn, value: {atLeast: 8192}, persist: true}
                    - sysctl: {key: vm.swappiness, value: 10}
                    - file: {path: /etc/motd, content: "managed by policy\\n", mode: "0640"}
                """);
        Path state = tmp.resolve("state");
        String[] common = {"--root", root.toString(), "--no-default-policies", "--policies", policies.toString(), "--state-dir", state.toString()};

        Run unknown = cli(concat(new String[] {"apply", "--yes", "--only", "sysctl:vm.dirty_ratio"}, common));
        assertThat(unknown.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(unknown.err()).contains("--only sysctl:vm.dirty_ratio: no policy wants this setting here");

        Run first = cli(concat(new String[] {"apply", "--yes", "--only", "sysctl:vm.swappiness"}, common));
        assertThat(first.code()).as(first.err()).isEqualTo(0);
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("10");
        assertThat(read("/proc/sys/net/core/somaxconn")).isEqualTo("4096");

        Run second = cli(concat(new String[] {"apply", "--yes", "--only", "sysctl:*", "file:/etc/motd"}, common));
        assertThat(second.code()).as(second.err()).isEqualTo(0);
        assertThat(second.out()).contains("verified  sysctl:net.core.somaxconn: 4096 -> 8192")
                .contains("verified  sysctl:persist/net.core.somaxconn: absent -> 8192")
                .containsPattern("verified  file:/etc/motd: mode=0644 owner=\\d+:\\d+ sha256=\\w{16} -> mode=0640 ");
        assertThat(read("/etc/sysctl.d/90-chameleon-net.core.somaxconn.conf")).endsWith("net.core.somaxconn = 8192");
        assertThat(read("/etc/motd")).isEqualTo("managed by policy");

        Run history = cli("history", "--state-dir", state.toString());
        assertThat(history.out()).contains("why: policy backlog").contains("undo by hand: sysctl -w vm.swappiness='60'")
                .contains("undo by hand: rm -f /etc/sysctl.d/90-chameleon-net.core.somaxconn.conf");
        String firstId = history.out().lines().filter(l -> l.contains("apply --yes --only sysctl:vm.swappiness")).findFirst().orElseThrow()
                .split(" ")[0];

        Run preview = cli("rollback", "--all", "--dry-run", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(preview.code()).isEqualTo(0);
        assertThat(preview.out()).contains("file:/etc/motd: mode=0640").contains("sysctl:vm.swappiness: 10 -> 60");
        assertThat(read("/etc/motd")).isEqualTo("managed by policy");

        Run one = cli("rollback", "--changeset", firstId, "--root", root.toString(), "--state-dir", state.toString());
        assertThat(one.code()).as(one.out() + one.err()).isEqualTo(0);
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        assertThat(read("/proc/sys/net/core/somaxconn")).isEqualTo("8192");

        Run all = cli("rollback", "--all", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(all.code()).as(all.out() + all.err()).isEqualTo(0);
        assertThat(read("/proc/sys/net/core/somaxconn")).isEqualTo("4096");
        assertThat(read("/etc/motd")).isEqualTo("hello");
        assertThat(root.resolve("etc/sysctl.d/90-chameleon-net.core.somaxconn.conf")).doesNotExist();
        Run missing = cli("rollback", "--changeset", "19990101-000000-000", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(missing.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(missing.err()).contains("no applied change set with this id");
    }

    /**
     * Regressions from the field trial, on the journal: history and rollback printed whole base64
     * file contents; rollback --all stopped at a hand-changed set without saying which older sets
     * stayed applied; an interrupted change set showed as in-progress forever with no word in plan,
     * history or status; apply with an unreadable journal file reused that file's number.
     */
    @Test
    void journalAndStateAnOperatorCanTrust() throws IOException {
        write("/etc/motd", "hello\n");
        Path policies = tmp.resolve("trust");
        Files.createDirectories(policies);
        Files.writeString(policies.resolve("a.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: trust}
                spec:
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                    - file: {path: /etc/motd, content: "managed by policy\\n", mode: "0640"}
                """);
        Path state = tmp.resolve("state");
        String[] common = {"--root", root.toString(), "--no-default-policies", "--policies", policies.toString(), "--state-dir", state.toString()};
        String newContent = java.util.Base64.getEncoder().encodeToString("managed by policy\n".getBytes());
        String oldContent = java.util.Base64.getEncoder().encodeToString(read("/etc/motd").concat("\n").getBytes());

        assertThat(cli(concat(new String[] {"apply", "--yes", "--only", "sysctl:vm.swappiness"}, common)).code()).isZero();
        Run second = cli(concat(new String[] {"apply", "--yes", "--only", "file:/etc/motd"}, common));
        assertThat(second.code()).as(second.err()).isZero();
        Run history = cli("history", "--state-dir", state.toString());
        assertThat(history.out()).contains("undo by hand: echo '<").contains("characters of base64")
                .doesNotContain(newContent).doesNotContain(oldContent);

        // a hand change to the newest set's file: rollback --all stops there and names the older set it left applied
        write("/etc/motd", "edited by hand\n");
        Run all = cli("rollback", "--all", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(all.code()).isEqualTo(ExitCode.FAILED);
        String firstId = history.out().lines().filter(l -> l.contains("--only sysctl:vm.swappiness")).findFirst().orElseThrow().split(" ")[0];
        assertThat(all.out()).contains("1 older change set(s) left applied: " + firstId)
                .doesNotContain(newContent).doesNotContain(oldContent).doesNotContain(java.util.Base64.getEncoder()
                        .encodeToString("edited by hand\n".getBytes()));
        assertThat(read("/proc/sys/vm/swappiness")).as("the older set is left as it is").isEqualTo("10");

        // a run killed in the middle of a change set: plan and history say it waits to be recovered
        Journal journal = new Journal(state);
        ChangeSet crashed = journal.begin("apply --yes");
        journal.save(crashed.withEntry(new JournalEntry(1, "sysctl:vm.dirty_ratio", "20", "5", "test", "sysctl -w vm.dirty_ratio='20'",
                "applied", "")));
        write("/proc/sys/vm/dirty_ratio", "5\n");
        Run h2 = cli("history", "--state-dir", state.toString());
        assertThat(h2.out()).contains("! INTERRUPTED: change set " + crashed.id() + " was interrupted (in-progress, 1 setting(s) recorded)");
        Run plan = cli(concat(new String[] {"plan"}, common));
        assertThat(plan.err()).contains("warning: change set " + crashed.id() + " was interrupted")
                .contains("the next 'chameleon apply', 'chameleon rollback' or start of the agent in apply mode undoes it");
        // status says it too: on standard error, and in -o json as "interrupted" beside the agent's answer
        Run status = cli("status", "-o", "json", "--state-dir", state.toString(), "--socket", state.resolve("no-agent.sock").toString());
        assertThat(status.err()).contains("warning: change set " + crashed.id() + " was interrupted");
        com.fasterxml.jackson.databind.JsonNode st = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                StatusCommand.withInterrupted("{\"pid\": 7, \"mode\": \"plan\"}", java.util.List.of(journal.list().stream()
                        .filter(l -> l.ok() && l.changeSet().id().equals(crashed.id())).findFirst().orElseThrow().changeSet())));
        assertThat(st.path("pid").asInt()).isEqualTo(7);
        assertThat(st.path("interrupted").get(0).path("id").asText()).isEqualTo(crashed.id());
        assertThat(st.path("interrupted").get(0).path("status").asText()).isEqualTo("in-progress");
        assertThat(st.path("interrupted").get(0).path("settings").asInt()).isEqualTo(1);
        Run apply = cli(concat(new String[] {"apply", "--yes", "--only", "sysctl:vm.swappiness"}, common));
        assertThat(apply.out()).contains("recovered unfinished change set " + crashed.id());
        assertThat(read("/proc/sys/vm/dirty_ratio")).isEqualTo("20");
        assertThat(cli("history", "--state-dir", state.toString()).out()).doesNotContain("INTERRUPTED");

        // an unreadable journal file: apply refuses (before, it reused that file's sequence number)
        Path bad = state.resolve("journal").resolve(firstId + ".json");
        Files.writeString(bad, "{\"sequence\": 1, ");
        long files;
        try (var l = Files.list(state.resolve("journal"))) {
            files = l.count();
        }
        write("/proc/sys/vm/swappiness", "60\n");
        Run refused = cli(concat(new String[] {"apply", "--yes", "--only", "sysctl:vm.swappiness"}, common));
        assertThat(refused.code()).isEqualTo(ExitCode.FAILED);
        assertThat(refused.err()).contains("the journal has a file that cannot be read").contains(bad.toString())
                .contains("nothing was changed");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        try (var l = Files.list(state.resolve("journal"))) {
            assertThat(l.count()).isEqualTo(files);
        }
    }

    /**
     * Field trial, the command line as people use it: 'chameleon NOSUCH --help' printed the main
     * help and exited 0; --help's exit codes had a stray line "here"; 'policy validate' without an
     * argument was a usage error naming a non-existent 'chameleon validate'.
     */
    @Test
    void unknownCommandsHelpAndValidateWithoutArguments() {
        Run nosuch = cli("NOSUCH", "--help");
        assertThat(nosuch.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(nosuch.err()).contains("chameleon: unknown command 'NOSUCH'");
        assertThat(nosuch.out()).isEmpty();
        assertThat(cli("aply", "--yes").err()).contains("unknown command 'aply'; did you mean 'apply'?");
        assertThat(cli("x".repeat(100_000)).err()).hasSizeLessThan(400).contains("(100000 characters)");
        Run help = cli("--help");
        assertThat(help.code()).isZero();
        assertThat(help.out().lines()).noneMatch(l -> l.strip().equals("here")).allMatch(l -> l.length() <= 80);
        Run validate = cli("policy", "validate");
        assertThat(validate.code()).as(validate.err()).isZero();
        assertThat(validate.out()).startsWith("ok: ").contains(" policies");
        Run none = cli("policy", "validate", "--no-default-policies");
        assertThat(none.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(none.err()).contains("nothing to validate").contains("Run 'chameleon policy validate --help' for usage.");
    }

    /**
     * Field trial: the plan listed every policy that did not match with its condition (45 of ~140
     * lines), and a multi-line {@code when} lost its indentation. Now the unmatched share one line
     * (all of them with --all-policies) and a condition's continuation lines stay under its first.
     */
    @Test
    void planListsUnmatchedPoliciesInOneLineAndKeepsMultiLineConditions() throws IOException {
        Path policies = tmp.resolve("quiet");
        Files.createDirectories(policies);
        Files.writeString(policies.resolve("a.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: multi-line}
                spec:
                  when: |
                    platform.hypervisor == "vmware"
                      && memory.totalBytes > 0
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: only-on-xen}
                spec:
                  when: 'platform.hypervisor == "xen"'
                  settings:
                    - sysctl: {key: vm.dirty_ratio, value: 5}
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: only-on-aws}
                spec:
                  when: 'platform.cloud == "aws"'
                  settings:
                    - sysctl: {key: vm.dirty_background_ratio, value: 6}
                """);
        String[] common = {"--root", root.toString(), "--no-default-policies", "--policies", policies.toString()};
        Run quiet = cli(concat(new String[] {"plan"}, common));
        assertThat(quiet.code()).as(quiet.err()).isZero();
        String pad = " ".repeat(34);
        assertThat(quiet.out()).contains("  not matched (2): only-on-xen, only-on-aws\n")
                .contains("when platform.hypervisor == \"vmware\"\n" + pad + "  && memory.totalBytes > 0\n")
                .doesNotContain("platform.hypervisor == \"xen\"");
        Run all = cli(concat(new String[] {"plan", "--all-policies"}, common));
        assertThat(all.out()).containsPattern("only-on-xen +not matched").contains("when platform.hypervisor == \"xen\"")
                .doesNotContain("not matched (2)");
    }

    /** {@code -o json} of apply, history and rollback: the shapes docs/plan-json.md gives. */
    @Test
    void applyHistoryAndRollbackSpeakJson() throws IOException {
        Path policies = tmp.resolve("json");
        Files.createDirectories(policies);
        Files.writeString(policies.resolve("a.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: json}
                spec:
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        Path state = tmp.resolve("state");
        String[] common = {"--root", root.toString(), "--no-default-policies", "--policies", policies.toString(), "--state-dir", state.toString()};
        ObjectMapper m = new ObjectMapper();
        Run apply = cli(concat(new String[] {"apply", "--yes", "-o", "json"}, common));
        assertThat(apply.code()).as(apply.err()).isZero();
        JsonNode a = m.readTree(apply.out());
        assertThat(a.path("ok").asBoolean()).isTrue();
        assertThat(a.path("changeSet").path("status").asText()).isEqualTo("applied");
        assertThat(a.path("changeSet").path("entries").get(0).path("key").asText()).isEqualTo("sysctl:vm.swappiness");
        assertThat(a.path("changeSet").path("entries").get(0).path("before").asText()).isEqualTo("60");
        assertThat(a.path("notApplied").isArray()).isTrue();
        JsonNode h = m.readTree(cli("history", "--state-dir", state.toString(), "-o", "json").out());
        assertThat(h.path("changeSets").get(0).path("id").asText()).isEqualTo(a.path("changeSet").path("id").asText());
        assertThat(h.path("unreadable").size()).isZero();
        Run rb = cli("rollback", "--last", "--root", root.toString(), "--state-dir", state.toString(), "-o", "json");
        assertThat(rb.code()).as(rb.err()).isZero();
        JsonNode r = m.readTree(rb.out());
        assertThat(r.path("ok").asBoolean()).isTrue();
        assertThat(r.path("rolledBack").get(0).path("changeSet").path("status").asText()).isEqualTo("rolled-back");
        assertThat(r.path("leftApplied").size()).isZero();
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        Run again = cli(concat(new String[] {"apply", "--yes", "-o", "json"}, common));
        assertThat(m.readTree(again.out()).path("changeSet").path("sequence").asInt()).isEqualTo(2);
    }

    @Test
    void refusedSettingsAreNamedByApplyAndTheRestIsApplied() throws IOException {
        Path policies = tmp.resolve("unload");
        Files.createDirectories(policies);
        Files.writeString(policies.resolve("u.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: unload}
                spec:
                  settings:
                    - kernelModule: {name: ext4, state: unloaded}
                    - sysctl: {key: vm.swappiness, value: 5}
                """);
        Run r = cli("apply", "--yes", "--root", root.toString(), "--no-default-policies", "--policies", policies.toString(),
                "--state-dir", tmp.resolve("state").toString());
        // the rest is applied, and the exit code says that not everything could be
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.FAILED);
        assertThat(r.out()).contains("Not applied (error): kernelModule:ext4: cannot be planned: kernelModule ext4 = unloaded: refused, "
                + "the module is in use (reference count 1, /proc/modules)").contains("verified  sysctl:vm.swappiness: 60 -> 5");
        assertThat(read("/proc/modules")).contains("ext4");
    }

    @Test
    void modprobeUnavailableFailsTheChangeSetAndUndoesIt() throws IOException {
        Path state = tmp.resolve("state");
        Run r = cli("apply", "--yes", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(r.code()).isEqualTo(ExitCode.FAILED);
        assertThat(r.out()).contains("failed-rolled-back").contains("cannot run 'modprobe vmw_pvscsi'");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        assertThat(read("/proc/modules")).doesNotContain("vmw_pvscsi");
    }

    @Test
    void malformedPolicyIsPositionedExitsTwoAndAppliesNothing() throws IOException {
        Path policies = tmp.resolve("bad");
        Files.createDirectories(policies);
        Files.writeString(policies.resolve("broken.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: broken}
                spec:
                  when: platform.hypervisor = "vmware"
                  settings:
                    - sysctl: {key: vm.swappiness, value: 1}
                """);
        Path state = tmp.resolve("state");
        Run r = cli("apply", "--yes", "--root", root.toString(), "--policies", policies.toString(), "--state-dir", state.toString());
        assertThat(r.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).contains("policies do not compile; nothing was changed")
                .contains(policies.resolve("broken.yaml") + ":5:")
                .contains("when: platform.hypervisor = \"vmware\"")
                .contains("^")
                .doesNotContain("Exception");
        assertThat(state).doesNotExist();
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");

        Run missing = cli("plan", "--root", root.toString(), "--policies", tmp.resolve("nope").toString());
        assertThat(missing.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(missing.err()).contains("nope: error: no such file or folder");
    }

    @Test
    void factsAndDetectOutputs() throws IOException {
        Run facts = cli("facts", "--root", root.toString(), "-o", "json");
        assertThat(facts.code()).isEqualTo(0);
        JsonNode j = new ObjectMapper().readTree(facts.out());
        assertThat(j.path("cpu").path("vendor").asText()).isEqualTo("GenuineIntel");
        assertThat(j.path("os").path("id").asText()).isEqualTo("debian");
        assertThat(j.path("kernel").path("release").asText()).isEqualTo("6.1.0-28-amd64");
        assertThat(j.path("meta").path("sensors").path("platform").path("status").asText()).isEqualTo("ok");
        assertThat(j.path("meta").path("commands").asText()).contains("commands are off");

        Run yaml = cli("facts", "--root", root.toString(), "-o", "yaml", "cpu");
        assertThat(yaml.out()).contains("cpu:").contains("vendor: GenuineIntel").doesNotContain("platform:");

        Run detect = cli("detect", "--root", root.toString());
        assertThat(detect.out()).containsPattern("hypervisor +vmware").contains("evidence:").contains("/sys/class/dmi/id/sys_vendor");

        Run unknownSensor = cli("facts", "--root", root.toString(), "gpu-magic");
        assertThat(unknownSensor.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(unknownSensor.err()).contains("no sensor named 'gpu-magic'");
    }

    @Test
    void badOptionsAreUsageErrors() {
        Run r = cli("plan", "--root", tmp.resolve("missing").toString());
        assertThat(r.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).contains("--root").contains("no such folder");
        assertThat(cli("frobnicate").code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(cli("rollback").err()).contains("--last")
                .startsWith("chameleon: Missing required argument");   // regression: was "chameleon: Error: Missing ..."
        assertThat(cli("facts", "-o", "xml").code()).isEqualTo(ExitCode.BAD_INPUT);
    }

    Path policy(String name, String text) throws IOException {
        Path dir = tmp.resolve("pol-" + name);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(name + ".yaml"), text);
        return dir;
    }

    /** Regression: audit-mode policies changed the machine. */
    @Test
    void auditPoliciesAreReportedNeverApplied() throws IOException {
        Path dir = policy("audit", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: watch-swappiness}
                spec:
                  mode: audit
                  settings:
                    - sysctl: {key: vm.swappiness, value: 33}
                """);
        String[] common = {"--root", root.toString(), "--no-default-policies", "--policies", dir.toString()};
        Run plan = cli(concat(new String[] {"plan", "--exit-code"}, common));
        assertThat(plan.code()).as("audit changes are not pending changes").isEqualTo(ExitCode.OK);
        assertThat(plan.out()).contains("? sysctl:vm.swappiness: 60 -> 33   [audit: reported only, apply leaves it]")
                .contains("Plan: 0 to change").contains("Audit: 1 setting(s) differ");
        Run apply = cli(concat(new String[] {"apply", "--yes", "--state-dir", tmp.resolve("s").toString()}, common));
        assertThat(apply.code()).as(apply.err()).isEqualTo(0);
        assertThat(apply.out()).contains("Left alone (audit mode, reported only): 1 setting(s)");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
    }

    @Test
    void applyOncePoliciesAreNotReappliedAfterAHandEdit() throws IOException {
        Path dir = policy("once", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: first-boot}
                spec:
                  mode: apply-once
                  settings:
                    - sysctl: {key: vm.swappiness, value: 33}
                """);
        String[] common = {"apply", "--yes", "--root", root.toString(), "--no-default-policies", "--policies", dir.toString(),
                "--state-dir", tmp.resolve("s").toString()};
        assertThat(cli(common).code()).isEqualTo(0);
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("33");
        write("/proc/sys/vm/swappiness", "50\n");
        Run again = cli(common);
        assertThat(again.out()).contains("Left alone (apply-once, applied before in change set");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("50");
    }

    /** Regression: a misspelt fact inside a fact group gave a plan with exit 0 and apply went ahead. */
    @Test
    void misspeltFactIsACompileError() throws IOException {
        Path dir = policy("typo", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: typo}
                spec:
                  when: platform.hypervisr == "vmware"
                  settings:
                    - sysctl: {key: vm.swappiness, value: 1}
                """);
        Run apply = cli("apply", "--yes", "--root", root.toString(), "--policies", dir.toString(), "--state-dir", tmp.resolve("s").toString());
        assertThat(apply.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(apply.err()).contains(dir.resolve("typo.yaml") + ":5:17: error: spec.when: undefined field 'hypervisr'")
                .contains("nothing was changed");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
    }

    /** A condition on a fact that is absent here is left out and said, and the rest is applied. */
    @Test
    void policyThatCannotBeEvaluatedHereIsLeftOutAndSaid() throws IOException {
        Path dir = policy("absent", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: big-memory}
                spec:
                  when: memory.totalBytes > gib(64)
                  settings:
                    - sysctl: {key: vm.swappiness, value: 1}
                """);
        Path good = policy("good", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: good}
                spec:
                  settings:
                    - sysctl: {key: net.core.somaxconn, value: 8192}
                """);
        String[] common = {"--root", root.toString(), "--no-default-policies", "--policies", dir.toString(), "--policies", good.toString()};
        Run plan = cli(concat(new String[] {"plan", "--exit-code"}, common));
        assertThat(plan.code()).isEqualTo(ExitCode.FAILED);
        assertThat(plan.err()).contains("policy big-memory (" + dir.resolve("absent.yaml") + ":1):");
        Run apply = cli(concat(new String[] {"apply", "--yes", "--state-dir", tmp.resolve("s").toString()}, common));
        assertThat(apply.code()).isEqualTo(ExitCode.FAILED);
        assertThat(apply.out()).contains("could not evaluate, left out: policy big-memory");
        assertThat(read("/proc/sys/net/core/somaxconn")).isEqualTo("8192");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
    }

    /** Regression: a corrupt newest journal file was skipped and an older change set rolled back instead. */
    @Test
    void corruptJournalStopsRollbackAndHistorySaysSo() throws IOException {
        Path dir = policy("net", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: net}
                spec:
                  settings:
                    - sysctl: {key: net.core.somaxconn, value: 8192}
                """);
        Path state = tmp.resolve("s");
        assertThat(cli("apply", "--yes", "--root", root.toString(), "--no-default-policies", "--policies", dir.toString(),
                "--state-dir", state.toString()).code()).isEqualTo(0);
        Path bad = state.resolve("journal/29991231-235959-999.json");
        Files.writeString(bad, "{\"sequence\": 2, \"id\": \"trunc");
        Run rb = cli("rollback", "--last", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(rb.code()).isEqualTo(ExitCode.FAILED);
        assertThat(rb.err()).contains(bad.toString()).contains("nothing was changed").doesNotContain("Exception");
        assertThat(read("/proc/sys/net/core/somaxconn")).isEqualTo("8192");
        Run history = cli("history", "--state-dir", state.toString());
        assertThat(history.code()).isEqualTo(ExitCode.FAILED);
        assertThat(history.out()).contains("! " + bad);
    }

    @Test
    void unreadableSettingIsNotNothingToChange() throws IOException {
        Files.delete(root.resolve("proc/sys/vm/swappiness"));
        Files.createDirectories(root.resolve("proc/sys/vm/swappiness"));
        String[] common = {"--root", root.toString(), "--no-default-policies", "--policies", policy("sw", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: sw}
                spec:
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """).toString()};
        assertThat(cli(concat(new String[] {"plan", "--exit-code"}, common)).code()).isEqualTo(ExitCode.FAILED);
        Run apply = cli(concat(new String[] {"apply", "--yes", "--state-dir", tmp.resolve("s").toString()}, common));
        assertThat(apply.code()).isEqualTo(ExitCode.FAILED);
        assertThat(apply.out()).contains("Not applied (error): sysctl:vm.swappiness: cannot read").doesNotContain("already matches");
    }

    @Test
    void optionsThatWouldMixMachinesOrMisplaceTheJournalAreRefused() throws IOException {
        Run mixed = cli("detect", "--commands", tmp.toString());
        assertThat(mixed.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(mixed.err()).contains("--commands needs --root");
        Path file = tmp.resolve("state-file");
        Files.writeString(file, "x");
        Run state = cli("apply", "--yes", "--root", root.toString(), "--state-dir", file.toString());
        assertThat(state.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(state.err()).contains("--state-dir " + file + ": not a folder");
        Run missing = cli("plan", "--root", root.toString(), "--policies", tmp.resolve("nope").toString());
        assertThat(missing.err()).contains("cannot load policies");
        // found by a new user: an empty --root read (and for apply would write) the current folder
        for (String[] cmd : new String[][] {{"facts"}, {"plan"}, {"apply", "--yes"}}) {
            Run empty = cli(AgentLoopTest.concat(cmd, "--root", ""));
            assertThat(empty.code()).as(cmd[0] + ": " + empty.err()).isEqualTo(ExitCode.BAD_INPUT);
            assertThat(empty.err()).contains("--root '': empty");
        }
        // and a mistyped --state-dir looked like an empty journal
        Run history = cli("history", "--root", root.toString(), "--state-dir", tmp.resolve("no-such-state").toString());
        assertThat(history.code()).isZero();
        assertThat(history.out()).contains("(no such folder: nothing was ever applied with this --state-dir)");
    }

    @Test
    void theSameFolderTwiceLoadsItOnce() throws IOException {
        Path dir = policy("twice", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: twice}
                spec:
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        Run r = cli("plan", "--root", root.toString(), "--no-default-policies", "--policies", dir.toString(),
                "--policies", dir.resolve("twice.yaml").toString(), "--policies", dir + "/.");
        assertThat(r.code()).as(r.err()).isEqualTo(0);
        assertThat(r.out()).contains("~ sysctl:vm.swappiness: 60 -> 10");
    }

    static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
