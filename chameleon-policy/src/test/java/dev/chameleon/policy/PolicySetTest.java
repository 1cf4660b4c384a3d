package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.FactSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PolicySetTest {
    static FactSet facts(String hypervisor, String container) {
        return FactSet.of(Map.of(
                "platform", Map.of("hypervisor", hypervisor, "cloud", "none", "container", container),
                "disks", List.of(
                        Map.of("name", "vda", "virtio", true, "rotational", true, "scheduler", "mq-deadline"),
                        Map.of("name", "sda", "virtio", false, "rotational", true, "scheduler", "mq-deadline"))),
                Map.of());
    }

    static PolicySet compile(String... texts) throws PolicyException {
        List<PolicySet.Source> sources = new java.util.ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            sources.add(new PolicySet.Source("p" + i + ".yaml", texts[i]));
        }
        return PolicySet.compile(sources);
    }

    static PolicyError onlyError(String text) {
        try {
            compile(text);
        } catch (PolicyException e) {
            assertThat(e.errors()).hasSize(1);
            return e.errors().get(0);
        }
        throw new AssertionError("expected a policy error for:\n" + text);
    }

    @Test
    void defaultPackCompilesAndFitsAVmwareGuest() throws PolicyException {
        PolicySet pack = PolicySet.compile(PolicySet.defaultPack());
        assertThat(pack.policies()).extracting(Policy::name)
                .contains("vmware-guest", "virtio-disk-scheduler", "virtual-guest");
        var ev = pack.evaluate(facts("vmware", "none"));
        assertThat(ev.desired()).extracting(d -> d.key().toString())
                .contains("kernelModule:vmw_pvscsi", "kernelModule:vmxnet3", "sysctl:vm.swappiness", "blockQueue:vda/scheduler")
                .doesNotContain("blockQueue:sda/scheduler");
        DesiredSetting pvscsi = ev.desired().stream().filter(d -> d.key().toString().equals("kernelModule:vmw_pvscsi")).findFirst().orElseThrow();
        assertThat(pvscsi.reason().policy()).isEqualTo("vmware-guest");
        assertThat(pvscsi.reason().source()).startsWith("pack:vmware-guest.yaml:");
        assertThat(pvscsi.reason().facts()).contains("platform.hypervisor = \"vmware\"", "platform.container = \"none\"");
    }

    @Test
    void defaultPackLeavesContainersAndBareMetalAlone() throws PolicyException {
        PolicySet pack = PolicySet.compile(PolicySet.defaultPack());
        assertThat(pack.evaluate(facts("kvm", "docker")).desired()).isEmpty();
        assertThat(pack.evaluate(facts("none", "none")).desired()).isEmpty();
        assertThat(pack.evaluate(facts("kvm", "docker")).outcomes()).allSatisfy(o -> assertThat(o.matched()).isFalse());
    }

    @Test
    void unknownKeyIsPositionedWithCaret() {
        PolicyError e = onlyError("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x}
                spec:
                  whn: platform.hypervisor == "kvm"
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        assertThat(e.line()).isEqualTo(5);
        assertThat(e.column()).isEqualTo(3);
        assertThat(e.message()).contains("unknown key 'whn'").contains("when");
        assertThat(e.format()).isEqualTo("""
                p0.yaml:5:3: error: unknown key 'whn' in spec (allowed: for, keepFor, mode, priority, profiles, settings, transient, when)
                    whn: platform.hypervisor == "kvm"
                    ^""");
    }

    @Test
    void celSyntaxErrorPointsIntoTheExpression() {
        PolicyError e = onlyError("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x}
                spec:
                  when: platform.hypervisor == == "kvm"
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        assertThat(e.line()).isEqualTo(5);
        assertThat(e.column()).isEqualTo(32);
        assertThat(e.excerpt().charAt(e.column() - 1)).isEqualTo('=');
        assertThat(e.message()).startsWith("spec.when:");
    }

    @Test
    void misspeltFactIsACompileErrorNotASilentFalse() {
        PolicyError e = onlyError("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x}
                spec:
                  when: 'platfrom.hypervisor == "kvm"'
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        assertThat(e.line()).isEqualTo(5);
        assertThat(e.column()).isEqualTo(10);
        assertThat(e.message()).contains("platfrom");
    }

    @Test
    void nonBooleanConditionIsRefused() {
        PolicyError e = onlyError("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x}
                spec:
                  when: '1 + 2'
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        assertThat(e.message()).contains("must be a boolean");
    }

    /** Found by a new user: a file ending in '---' (as Kubernetes and Ansible files often do) was refused. */
    @Test
    void emptyDocumentsFromStrayDocumentMarkersAreSkipped() throws PolicyException {
        String one = """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: a}
                spec:
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """;
        assertThat(compile("---\n" + one + "---\n").policies()).hasSize(1);
        assertThat(compile(one + "---\n---\n" + one.replace("name: a", "name: b").replace("swappiness", "dirty_ratio") + "---\n")
                .policies()).extracting(Policy::name).containsExactly("a", "b");
        // a document that says something other than a mapping is still an error
        assertThat(onlyError(one + "---\njust text\n").message()).contains("the document must be a mapping");
    }

    @Test
    void malformedYamlIsPositioned() {
        PolicyError e = onlyError("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x
                spec: {}
                """);
        assertThat(e.line()).isGreaterThan(0);
        assertThat(e.message()).startsWith("malformed YAML");
    }

    @Test
    void wrongTypesAndValuesAreNamed() {
        assertThat(onlyError("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x}
                spec:
                  priority: high
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """).message()).contains("spec.priority must be a whole number").contains("'high'");
        assertThat(onlyError("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x}
                spec:
                  settings:
                    - sysctl: {key: 'vm swappiness', value: 10}
                """).message()).contains("not a sysctl key");
        assertThat(onlyError("""
                apiVersion: chameleon/v2
                kind: Policy
                metadata: {name: x}
                spec:
                  settings:
                    - kernelModule: {name: vmxnet3}
                """).message()).contains("apiVersion 'chameleon/v2' is not supported");
        assertThat(onlyError("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x}
                spec:
                  settings:
                    - fstab: {path: /}
                """).message()).contains("unknown key 'fstab'");
        assertThat(onlyError("- just\n- a list\n").message()).contains("the document must be a mapping");
    }

    @Test
    void samePriorityConflictNamesBothPolicies() {
        String a = """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: a}
                spec:
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """;
        String b = """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: b}
                spec:
                  settings:
                    - sysctl: {key: vm.swappiness, value: 20}
                """;
        assertThatThrownBy(() -> compile(a, b)).isInstanceOf(PolicyException.class)
                .hasMessageContaining("policies a (p0.yaml:6) and b (p1.yaml:6) both set sysctl:vm.swappiness at priority 50");
    }

    @Test
    void duplicateNamesAreRefused() {
        String a = """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: a}
                spec:
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """;
        assertThatThrownBy(() -> compile(a, a.replace("vm.swappiness", "vm.dirty_ratio")))
                .hasMessageContaining("policy name 'a' is already used by p0.yaml:1");
    }

    @Test
    void higherPriorityWinsAndTheLoserIsRecorded() throws PolicyException {
        PolicySet set = compile("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: low}
                spec:
                  priority: 10
                  settings:
                    - sysctl: {key: vm.swappiness, value: 60}
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: high}
                spec:
                  priority: 90
                  when: platform.hypervisor == "kvm"
                  settings:
                    - sysctl: {key: vm.swappiness, value: 5}
                """);
        var ev = set.evaluate(facts("kvm", "none"));
        assertThat(ev.desired()).singleElement().satisfies(d -> {
            assertThat(d.value()).isEqualTo("5");
            assertThat(d.reason().policy()).isEqualTo("high");
        });
        assertThat(ev.overridden()).singleElement().satisfies(o -> assertThat(o.loser().reason().policy()).isEqualTo("low"));
        assertThat(set.evaluate(facts("vmware", "none")).desired()).singleElement()
                .satisfies(d -> assertThat(d.value()).isEqualTo("60"));
    }

    @Test
    void conditionOnAFailedSensorIsAnErrorNotFalse() throws PolicyException {
        PolicySet set = compile("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: a}
                spec:
                  when: platform.hypervisor == "kvm"
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        var ev = set.evaluate(FactSet.of(Map.of("cpu", Map.of("vendor", "x")), Map.of()));
        assertThat(ev.desired()).isEmpty();
        assertThat(ev.outcomes()).singleElement().satisfies(o -> {
            assertThat(o.matched()).isFalse();
            assertThat(o.error()).contains("hypervisor");
        });
    }

    @Test
    void oversizedFileIsRefusedBeforeParsing() {
        String big = "# " + "x".repeat(PolicyParser.MAX_FILE_BYTES) + "\n";
        assertThat(onlyError(big).message()).contains("limited to");
    }

    @Test
    void deeplyNestedDocumentGivesAnErrorNotACrash() {
        String nested = "[".repeat(5000) + "]".repeat(5000);
        PolicyError e = onlyError(nested);
        assertThat(e.message()).containsIgnoringCase("malformed YAML");
    }

    static String withSetting(String setting) {
        return """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x}
                spec:
                  settings:
                    - %s
                """.formatted(setting);
    }

    /** Regression: a repeated key silently kept the last value (when: 'true' then when: 'false'). */
    @Test
    void duplicateKeysAreErrors() {
        PolicyError e = onlyError("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x}
                spec:
                  when: 'true'
                  when: 'false'
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        assertThat(e.line()).isEqualTo(6);
        assertThat(e.message()).isEqualTo("duplicate key 'when' in spec (also at line 5)");
    }

    /** Regression: null, booleans and 200,000-character values were written as they came. */
    @Test
    void settingValuesMustBeNumbersOrWords() {
        assertThat(onlyError(withSetting("sysctl: {key: vm.swappiness, value: null}")).message()).contains("sysctl.value is empty");
        assertThat(onlyError(withSetting("sysctl: {key: vm.swappiness, value: }")).message()).contains("sysctl.value is empty");
        assertThat(onlyError(withSetting("sysctl: {key: vm.swappiness, value: true}")).message()).contains("YAML boolean true");
        assertThat(onlyError(withSetting("sysctl: {key: vm.swappiness, value: " + "9".repeat(5000) + "}")).message())
                .contains("limited to 4096");
        assertThat(onlyError(withSetting("kernelModule: {name: '--help'}")).message()).contains("not a kernel module name");
    }
}
