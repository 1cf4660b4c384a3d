package dev.chameleon.cli;

import static dev.chameleon.cli.CliTest.cli;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** explain, policy validate/test/schema, audit mode and /etc/chameleon/policies.d, end to end on a VMware-like tree. */
class PolicyCommandsTest {
    @TempDir
    Path tmp;
    Path root;

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
        write("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu hypervisor\n\n");
        write("/proc/modules", "ext4 1000 1 - Live 0x0\n");
        write("/proc/meminfo", "MemTotal:       67108864 kB\nMemAvailable:   60000000 kB\n");
        write("/proc/sys/vm/swappiness", "60\n");
        write("/proc/sys/vm/dirty_ratio", "20\n");
        write("/proc/sys/vm/dirty_background_ratio", "10\n");
        write("/proc/sys/vm/min_free_kbytes", "67584\n");
        write("/proc/sys/kernel/kptr_restrict", "0\n");
        write("/proc/sys/kernel/yama/ptrace_scope", "0\n");
    }

    @Test
    void auditModeIsPlannedButNeverApplied() throws IOException {
        write("/etc/chameleon/policies.d/site.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: site-swap}
                spec:
                  priority: 90
                  mode: audit
                  settings:
                    - sysctl: {key: vm.swappiness, value: 5}
                """);
        String[] only = {"--root", root.toString(), "--no-default-policies"};
        CliTest.Run plan = cli(concat(new String[] {"plan"}, only));
        assertThat(plan.code()).as(plan.err()).isZero();
        assertThat(plan.out()).contains("? sysctl:vm.swappiness: 60 -> 5   [audit: reported only, apply leaves it]")
                .contains("Plan: 0 to change").contains("Audit: 1 setting(s) differ");
        assertThat(cli(concat(new String[] {"plan", "--exit-code"}, only)).code()).isEqualTo(ExitCode.OK);
        JsonNode j = new ObjectMapper().readTree(cli(concat(new String[] {"plan", "-o", "json"}, only)).out());
        assertThat(j.path("entries").get(0).path("mode").asText()).isEqualTo("audit");
        assertThat(j.path("entries").get(0).path("applies").asBoolean()).isFalse();
        assertThat(j.path("summary").path("audit").asInt()).isEqualTo(1);
        assertThat(j.path("summary").path("change").asInt()).isZero();

        CliTest.Run apply = cli(concat(new String[] {"apply", "--yes", "--state-dir", tmp.resolve("state").toString()}, only));
        assertThat(apply.code()).as(apply.err()).isZero();
        assertThat(apply.out()).contains("Nothing to change").contains("Left alone (audit mode, reported only): 1 setting(s)");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");

        CliTest.Run without = cli(concat(new String[] {"plan", "--no-system-policies"}, only));
        assertThat(without.out()).doesNotContain("vm.swappiness");
    }

    @Test
    void applyOnceIsNotPutBackButEnforceIs() throws IOException {
        write("/etc/chameleon/policies.d/site.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: once}
                spec:
                  mode: apply-once
                  settings:
                    - sysctl: {key: vm.swappiness, value: 5}
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: always}
                spec:
                  settings:
                    - sysctl: {key: vm.dirty_ratio, value: 15}
                """);
        String[] args = {"apply", "--yes", "--root", root.toString(), "--no-default-policies", "--state-dir", tmp.resolve("state").toString()};
        CliTest.Run first = cli(args);
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("5");
        assertThat(read("/proc/sys/vm/dirty_ratio")).isEqualTo("15");
        // someone changes both by hand
        write("/proc/sys/vm/swappiness", "40\n");
        write("/proc/sys/vm/dirty_ratio", "25\n");
        CliTest.Run second = cli(args);
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.out()).contains("Left alone (apply-once, applied before in change set ").contains("): sysctl:vm.swappiness");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("40");
        assertThat(read("/proc/sys/vm/dirty_ratio")).isEqualTo("15");
        // plan reads the same journal and agrees with apply
        String[] plan = {"plan", "--root", root.toString(), "--no-default-policies", "--state-dir", tmp.resolve("state").toString()};
        CliTest.Run p = cli(plan);
        assertThat(p.out()).contains("? sysctl:vm.swappiness: 40 -> 5   [apply-once: applied before in change set ")
                .contains("Plan: 0 to change, 1 already set");
        assertThat(cli(concat(plan, new String[] {"--exit-code"})).code()).isEqualTo(ExitCode.OK);
    }

    @Test
    void brokenPolicyInPoliciesDIsPositionedAndStopsApply() throws IOException {
        write("/etc/chameleon/policies.d/broken.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: broken}
                spec:
                  when: memory.totalBytes > "lots"
                  settings:
                    - sysctl: {key: vm.swappiness, value: 5}
                """);
        CliTest.Run r = cli("apply", "--yes", "--root", root.toString(), "--state-dir", tmp.resolve("state").toString());
        assertThat(r.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).contains(root.resolve("etc/chameleon/policies.d/broken.yaml") + ":5:")
                .contains("no matching overload").contains("^").doesNotContain("Exception");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
    }

    @Test
    void validateWarnsAtAnOptionalFactReadWithoutHasAndStillPasses() throws IOException {
        write("/site/thp.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: thp}
                spec:
                  when: platform.container == "none" && memory.thp.enabled == "always"
                  settings:
                    - sysctl: {key: vm.swappiness, value: 5}
                """);
        String file = root.resolve("site/thp.yaml").toString();
        CliTest.Run r = cli("policy", "validate", file);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("ok: 1 file(s): 1 policies");
        assertThat(r.err()).contains(file + ":5:41: warning: spec.when reads memory.thp.enabled,")
                .contains("guard it with has(memory.thp) && has(memory.thp.enabled) && ...")
                .contains("1 warning(s)");
        CliTest.Run j = cli("policy", "validate", file, "-o", "json");
        assertThat(j.out()).contains("\"warnings\" : [ {").contains("\"column\" : 41");
    }

    @Test
    void validateReadsATuningWithTheTuningReaderAndReportsItsPositionedErrors() throws IOException {
        String tuning = """
                apiVersion: chameleon/v1
                kind: Tuning
                metadata: {name: backlog}
                spec:
                  objective: {probe: {command: [/bin/cat, /proc/sys/net/core/somaxconn]}, goal: maximise}
                  knobs:
                    - sysctl: {key: net.core.somaxconn}
                      choices: [1024, 8192]
                  budget: {trials: 2}
                """;
        write("/site/tune.yaml", tuning);
        write("/site/web.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: web}
                spec:
                  settings:
                    - sysctl: {key: vm.swappiness, value: 5}
                """);
        CliTest.Run ok = cli("policy", "validate", root.resolve("site").toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("ok: 2 file(s): 1 policies").contains(", 1 tunings");
        // issue 17: a second Tuning of the same name is an error, at it, naming the first (both would write STATE/tuning/backlog.json)
        write("/site/tune2.yaml", tuning.replace("choices: [1024, 8192]", "choices: [2048, 4096]"));
        CliTest.Run dup = cli("policy", "validate", root.resolve("site").toString());
        assertThat(dup.code()).as(dup.out()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(dup.err()).contains(root.resolve("site/tune2.yaml") + ":1:1: error: tuning name 'backlog' is already used by "
                + root.resolve("site/tune.yaml") + ":1").contains("1 error(s)");
        Files.delete(root.resolve("site/tune2.yaml"));
        // issue 17: a Tuning's condition gets the guard warnings a policy's gets (exit unchanged)
        write("/site/tune.yaml", tuning + "  when: {condition: 'memory.totalBytes > gib(4)'}\n");
        CliTest.Run warned = cli("policy", "validate", root.resolve("site").toString());
        assertThat(warned.code()).as(warned.err()).isZero();
        assertThat(warned.err()).contains(root.resolve("site/tune.yaml") + ":10:22: warning: spec.when.condition reads memory.totalBytes")
                .contains("1 warning(s)");
        assertThat(cli("policy", "validate", root.resolve("site").toString(), "-o", "json").out())
                .contains("\"message\" : \"spec.when.condition reads memory.totalBytes");
        write("/site/tune.yaml", tuning.replace("goal: maximise", "goal: upwards").replace("choices: [1024, 8192]", "choices: [1024, lots]"));
        String file = root.resolve("site/tune.yaml").toString();
        CliTest.Run bad = cli("policy", "validate", file);
        assertThat(bad.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(bad.err()).contains(file + ":5:").contains("goal").contains(file + ":8:").contains("lots").contains("2 error(s)")
                .doesNotContain("kind 'Tuning' is not supported");
        CliTest.Run j = cli("policy", "validate", file, "-o", "json");
        assertThat(j.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(j.out()).contains("\"ok\" : false").contains("\"line\" : 8");
    }

    @Test
    void planSaysWhichClauseKeptAPolicyFromMatching() throws IOException {
        CliTest.Run r = cli("plan", "--all-policies", "--root", root.toString());
        assertThat(r.code()).as(r.err()).isIn(0, 3);
        // this tree is a VMware guest: the Hyper-V policy fails at its first clause, not at "container"
        assertThat(r.out()).containsPattern("hyperv-guest +not matched[^\\n]*\\n(.*\\n)*? +fails at platform.hypervisor == \"hyperv\"");
    }

    @Test
    void planAndExplainSayWhyAForPolicyIsHeld() throws IOException {
        write("/site/held.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: held}
                spec:
                  for: 5m
                  when: platform.hypervisor == "vmware"
                  settings:
                    - sysctl: {key: vm.swappiness, value: 5}
                """);
        String[] common = {"--root", root.toString(), "--policies", root.resolve("site/held.yaml").toString(), "--no-default-policies"};
        // the condition holds on this tree, but a one-shot command has no history to hold it for 5m
        CliTest.Run plan = cli(concat(new String[] {"plan"}, common));
        assertThat(plan.out()).containsPattern("held +not matched[^\\n]*\\n(.*\\n)*? +for 5m: ");
        CliTest.Run explain = cli(concat(new String[] {"explain", "sysctl:vm.swappiness"}, common));
        assertThat(explain.out()).contains("policy held (").containsPattern("\\n +for 5m: ");
    }

    @Test
    void explainNamesWinnerFactsAndLosers() throws IOException {
        CliTest.Run r = cli("explain", "sysctl:vm.min_free_kbytes", "--root", root.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("sysctl:vm.min_free_kbytes: desired 262144, now 67584 (change)")
                .contains("wanted by policy memory-reserve-large (pack:resource-balancing.yaml:")
                .contains("because platform.hypervisor = \"vmware\", platform.container = \"none\", memory.totalBytes = 68719476736")
                .contains("would set it, but did not match:").contains("policy memory-reserve-medium")
                .contains("policy vmware-nvidia-v100");

        CliTest.Run swap = cli("explain", "sysctl:vm.swappiness", "--root", root.toString(), "-o", "json");
        JsonNode j = new ObjectMapper().readTree(swap.out());
        assertThat(j.path("desired").asText()).isEqualTo("30");
        assertThat(j.path("winner").path("policy").asText()).isEqualTo("virtual-guest");
        assertThat(j.path("winner").path("source").asText()).startsWith("pack:profiles.yaml:");
        assertThat(j.path("unmatched").findValuesAsText("policy")).contains("postgresql", "kafka");

        Path extra = tmp.resolve("extra.yaml");
        Files.writeString(extra, """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: low-swap}
                spec:
                  priority: 10
                  settings:
                    - sysctl: {key: vm.swappiness, value: 90}
                """);
        CliTest.Run lost = cli("explain", "sysctl:vm.swappiness", "--root", root.toString(), "--policies", extra.toString());
        assertThat(lost.out()).contains("lost (lower priority):").contains("policy low-swap (" + extra + ":7) wanted 90, priority 10");

        CliTest.Run none = cli("explain", "sysctl:net.core.somaxconn", "--root", root.toString());
        assertThat(none.code()).isZero();
        assertThat(none.out()).contains("no matching policy sets it").contains("policy redis");
        assertThat(cli("explain", "swappiness", "--root", root.toString()).code()).isEqualTo(ExitCode.BAD_INPUT);
        // regression: an unknown kind was "no matching policy sets it" with exit 0
        CliTest.Run typo = cli("explain", "sysclt:vm.swappiness", "--root", root.toString());
        assertThat(typo.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(typo.err()).contains("unknown setting kind 'sysclt'").contains("sysctl, sysfs");
    }

    @Test
    void validateReportsEveryErrorWithCaretAndExitsTwo() throws IOException {
        Path good = tmp.resolve("good.yaml");
        Files.writeString(good, """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: mine}
                spec:
                  profiles: [virtual-guest]
                  when: platform.cloud == "openstack"
                """);
        CliTest.Run ok = cli("policy", "validate", good.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("ok: 1 file(s): 1 policies, 0 profiles, 0 tests");

        Path bad = tmp.resolve("bad.yaml");
        Files.writeString(bad, """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: mine}
                spec:
                  when: platform.hypervisr == "kvm"
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        CliTest.Run r = cli("policy", "validate", bad.toString());
        assertThat(r.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).contains(bad + ":5:17: error: spec.when: undefined field 'hypervisr'")
                .contains("    when: platform.hypervisr == \"kvm\"\n                  ^").contains("1 error(s)");
        JsonNode j = new ObjectMapper().readTree(cli("policy", "validate", bad.toString(), "-o", "json").out());
        assertThat(j.path("ok").asBoolean()).isFalse();
        assertThat(j.path("errors").get(0).path("line").asInt()).isEqualTo(5);
        assertThat(j.path("errors").get(0).path("column").asInt()).isEqualTo(17);
    }

    /** Field trial: 'policy validate' on a Tuning or a HardwareProfile said only "kind is not supported". */
    @Test
    void validateChecksTuningAndHardwareProfileFilesWithTheirOwnReaders() throws IOException {
        Path tuning = tmp.resolve("tuning.yaml");
        Files.writeString(tuning, """
                apiVersion: chameleon/v1
                kind: Tuning
                metadata: {name: backlog}
                spec:
                  objective: {probe: {command: [/bin/echo, '5']}, goal: maximise}
                  knobs:
                    - sysctl: {key: net.core.somaxconn}
                      range: {min: 128, max: 1024, step: 128}
                  budget: {trials: 4, time: 999999999999999999999h}
                """);
        CliTest.Run r = cli("policy", "validate", "--no-default-policies", tuning.toString());
        assertThat(r.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).contains(tuning + ":9:29: error: spec.budget.time must be at most 168h").contains("1 error(s)")
                .doesNotContain("not supported");
        Files.writeString(tuning, Files.readString(tuning).replace("999999999999999999999h", "10m"));
        CliTest.Run ok = cli("policy", "validate", tuning.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("ok: 1 file(s): 0 policies, 0 profiles, 0 tests, 1 tunings");

        Path hw = tmp.resolve("hw.yaml");
        Files.writeString(hw, """
                apiVersion: chameleon/v1
                kind: HardwareProfile
                metadata: {name: two words}
                spec: {nic: {model: paravirtual}}
                """);
        CliTest.Run h = cli("policy", "validate", hw.toString());
        assertThat(h.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(h.err()).contains(hw + ":3:18: error: metadata.name must be one word");
        Files.writeString(hw, Files.readString(hw).replace("two words", "db"));
        assertThat(cli("policy", "validate", hw.toString()).out()).contains("ok: 1 file(s): 0 policies, 0 profiles, 0 tests, 1 hardware profiles");

        Path mixed = tmp.resolve("mixed.yaml");
        Files.writeString(mixed, """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: mine}
                spec: {profiles: [virtual-guest]}
                ---
                """ + Files.readString(tuning));
        CliTest.Run m = cli("policy", "validate", mixed.toString());
        assertThat(m.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(m.err()).contains(mixed + ":7:7: error: kind 'Tuning' is not a policy document: 'chameleon tune FILE' reads it "
                + "(docs/tuning.md); in a file of its own, 'chameleon policy validate' checks it with that reader");

        // a Tuning first and a Policy after it: the Tuning reader (as `tune` and the agent) refuses the Policy at its kind
        Path tuningFirst = tmp.resolve("tuning-first.yaml");
        String tuningText = Files.readString(tuning);
        Files.writeString(tuningFirst, tuningText + (tuningText.endsWith("\n") ? "" : "\n") + """
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: mine}
                spec: {profiles: [virtual-guest]}
                """);
        int policyLine = (int) (tuningText + (tuningText.endsWith("\n") ? "" : "\n")).lines().count() + 3;
        CliTest.Run tf = cli("policy", "validate", tuningFirst.toString());
        assertThat(tf.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(tf.err()).contains(tuningFirst + ":" + policyLine + ":7:").contains("kind must be Tuning, found 'Policy'")
                .doesNotContain("is not a policy document");
    }

    @Test
    void policyTestRunsFactsFilesAndFixtureRoots() throws IOException {
        Path dir = tmp.resolve("suite");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("facts.json"), """
                {"platform": {"hypervisor": "kvm", "cloud": "openstack", "container": "none"},
                 "memory": {"totalBytes": 8589934592}}
                """);
        Files.writeString(dir.resolve("site.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: openstack-backlog}
                spec:
                  priority: 70
                  when: platform.cloud == "openstack"
                  settings:
                    - sysctl: {key: net.core.somaxconn, value: 4096}
                ---
                apiVersion: chameleon/v1
                kind: PolicyTest
                metadata: {name: openstack-from-json}
                spec:
                  factsFile: facts.json
                  expect:
                    sysctl:net.core.somaxconn: {value: "4096", policy: openstack-backlog}
                    kernelModule:virtio_net: loaded
                ---
                apiVersion: chameleon/v1
                kind: PolicyTest
                metadata: {name: vmware-from-a-fixture-root}
                spec:
                  root: ../root
                  expect:
                    kernelModule:vmw_pvscsi: loaded
                    sysctl:vm.min_free_kbytes: "262144"
                  absent: [sysctl:net.core.somaxconn]
                """);
        CliTest.Run r = cli("policy", "test", dir.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("PASS  openstack-from-json").contains("PASS  vmware-from-a-fixture-root")
                .contains("2 test(s): 2 passed, 0 failed");

        Files.writeString(dir.resolve("wrong.yaml"), """
                apiVersion: chameleon/v1
                kind: PolicyTest
                metadata: {name: wrong}
                spec:
                  factsFile: facts.json
                  expect:
                    sysctl:net.core.somaxconn: "1"
                """);
        CliTest.Run failing = cli("policy", "test", dir.toString(), "-o", "json");
        assertThat(failing.code()).isEqualTo(ExitCode.FAILED);
        JsonNode j = new ObjectMapper().readTree(failing.out());
        assertThat(j.path("failed").asInt()).isEqualTo(1);
        assertThat(j.path("tests").get(2).path("failures").get(0).asText())
                .isEqualTo(dir.resolve("wrong.yaml") + ":7:5: expected sysctl:net.core.somaxconn = 1, got 4096 from policy "
                        + "openstack-backlog (" + dir.resolve("site.yaml") + ":8) when platform.cloud == \"openstack\"");
    }

    /** The pack against machines captured elsewhere (../shared/fixtures), sensed from their roots by policy test. */
    @Test
    void packFitsCapturedMachinesThroughFixtureRootTests() throws IOException {
        Path fixtures = Path.of(System.getProperty("chameleon.fixtures", "../../shared/fixtures")).resolve("platform");
        String[][] cases = {
                {"dmidecode_collection-vmware_esxi_5_1", "kernelModule:vmw_pvscsi", "loaded", "vmware-guest", "kernelModule:hv_vmbus"},
                {"cloud-init-Azure-dmi-detection", "sysctl:net.ipv4.tcp_keepalive_time", "120", "azure-guest", "kernelModule:vmw_pvscsi"},
                {"cloud-init-GCE", "kernelModule:gve", "loaded", "gcp-guest", "kernelModule:ena"},
                {"cloud-init-Ec2-hvm", "kernelModule:ena", "loaded", "aws-guest", "kernelModule:gve"},
                {"cloud-init-LXD-kvm", "kernelModule:virtio_net", "loaded", "kvm-guest", "kernelModule:vmw_pvscsi"}};
        StringBuilder yaml = new StringBuilder();
        for (String[] c : cases) {
            Path dir = fixtures.resolve(c[0]);
            assertThat(dir).isDirectory();
            yaml.append("---\napiVersion: chameleon/v1\nkind: PolicyTest\nmetadata: {name: ").append(c[0].toLowerCase().replace('_', '-'))
                    .append("}\nspec:\n  root: '").append(dir.resolve("root")).append("'\n");
            if (Files.isDirectory(dir.resolve("commands"))) {
                yaml.append("  commands: '").append(dir.resolve("commands")).append("'\n");
            }
            yaml.append("  expect:\n    ").append(c[1]).append(": {value: \"").append(c[2]).append("\", policy: ").append(c[3])
                    .append("}\n  absent: [").append(c[4]).append("]\n");
        }
        Path dir = tmp.resolve("captured");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("captured.yaml"), yaml);
        CliTest.Run r = cli("policy", "test", dir.toString());
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("5 test(s): 5 passed, 0 failed");
    }

    @Test
    void builtInPackTestsPassFromTheCommandLine() {
        CliTest.Run r = cli("policy", "test");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("PASS  vmware-with-v100-gets-gpu-and-memory-settings").doesNotContain("FAIL");
    }

    @Test
    void schemaIsJsonSchemaAndFactsAreListed() throws IOException {
        CliTest.Run r = cli("policy", "schema");
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.path("$schema").asText()).contains("json-schema.org");
        assertThat(j.path("$defs").path("setting").path("properties").has("sysctl")).isTrue();
        CliTest.Run f = cli("policy", "schema", "--facts");
        assertThat(f.out()).contains("platform.hypervisor: string").contains("disks[].rotational: bool")
                .contains("memory.thp: Thp").contains("memory.balloon.present: bool").doesNotContain("sensor suite");
    }

    @Test
    void adviceIsShownApartAndNeverApplied() throws IOException {
        write("/etc/chameleon/policies.d/advice.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: ask}
                spec:
                  settings:
                    - advice: {key: more-ram, text: Give this VM more memory, reboot: false}
                """);
        CliTest.Run plan = cli("plan", "--root", root.toString(), "--no-default-policies");
        assertThat(plan.out()).contains("Advice for a person (never applied) (1):").contains("! more-ram: Give this VM more memory")
                .doesNotContain("Not applicable here");
    }

    static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
