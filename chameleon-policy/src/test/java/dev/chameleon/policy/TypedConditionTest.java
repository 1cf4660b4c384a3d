package dev.chameleon.policy;

import static dev.chameleon.policy.PolicySetTest.compile;
import static dev.chameleon.policy.PolicySetTest.onlyError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.FactSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Conditions are checked against the fact schema when they are compiled, and the helper functions work. */
class TypedConditionTest {
    static String policy(String when) {
        return """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x}
                spec:
                  when: '%s'
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """.formatted(when.replace("'", "''"));
    }

    static boolean holds(String when, FactSet facts) throws PolicyException {
        var o = compile(policy(when)).evaluate(facts).outcomes().get(0);
        assertThat(o.error()).as("evaluation error of %s", when).isEmpty();
        return o.matched();
    }

    static final FactSet FACTS = FactSet.of(Map.of(
            "platform", Map.of("hypervisor", "vmware", "container", "none", "confidence", 0.9),
            "memory", Map.of("totalBytes", 68_719_476_736L),
            "kernel", Map.of("release", "5.15.0-91-generic"),
            "os", Map.of("id", "ubuntu", "versionId", "22.04"),
            "cpu", Map.of("logicalCount", 16L),
            "security", Map.of("vulnerabilities", Map.of("l1tf", Map.of("state", "vulnerable", "detail", "SMT vulnerable"))),
            "disks", List.of(Map.of("name", "vda", "virtio", true, "rotational", false))), Map.of());

    @Test
    void misspeltNestedFactIsAnUndefinedFieldAtItsColumn() {
        PolicyError e = onlyError(policy("platform.hypervisr == \"vmware\""));
        assertThat(e.message()).contains("undefined field 'hypervisr'");
        assertThat(e.line()).isEqualTo(5);
        // when: 'platform.hypervisr ...' — the quote is column 9, the dot before the field column 18
        assertThat(e.column()).isEqualTo(18);
        assertThat(e.format()).isEqualTo("p0.yaml:5:18: error: spec.when: undefined field 'hypervisr' (did you mean 'hypervisor'?)\n"
                + "    when: 'platform.hypervisr == \"vmware\"'\n"
                + "                   ^");
    }

    @Test
    void wrongTypeIsACompileError() {
        PolicyError e = onlyError(policy("memory.totalBytes == \"x\""));
        assertThat(e.message()).contains("no matching overload").contains("int, string");
        assertThat(e.excerpt().charAt(e.column() - 1)).isEqualTo('=');
    }

    @Test
    void elementFieldsAreTypedInSelectors() {
        PolicyError e = onlyError("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: x}
                spec:
                  settings:
                    - blockQueue: {select: 'disk.rotatonal == false', scheduler: none}
                """);
        assertThat(e.message()).startsWith("blockQueue.select:").contains("undefined field 'rotatonal'");
        assertThat(e.line()).isEqualTo(6);
        assertThat(e.excerpt().substring(e.column() - 1)).startsWith(".rotatonal");
    }

    /** Field trial: a misspelt fact said only "undeclared reference" / "undefined field"; now the closest known name is offered. */
    @Test
    void misspeltFactsGetADidYouMean() {
        assertThat(onlyError(policy("platfrom.hypervisor == \"kvm\"")).message())
                .contains("undeclared reference to 'platfrom'").endsWith("(did you mean 'platform'?)");
        assertThat(onlyError(policy("disks.exists(d, d.rotatonal)")).message()).endsWith("(did you mean 'rotational'?)");
        assertThat(onlyError(policy("memory.zzzzzzzz > 1")).message()).contains("undefined field 'zzzzzzzz'").doesNotContain("did you mean");
    }

    @Test
    void listElementsAndMapsOfObjectsAreTypedToo() {
        assertThat(onlyError(policy("disks.exists(d, d.schedulr == \"none\")")).message()).contains("undefined field 'schedulr'");
        assertThat(onlyError(policy("security.vulnerabilities.l1tf.stat == \"vulnerable\"")).message())
                .contains("undefined field 'stat'");
        assertThat(onlyError(policy("cpu.logicalCount > \"4\"")).message()).contains("no matching overload");
    }

    @Test
    void typedConditionsEvaluateOverPlainFactMaps() throws PolicyException {
        assertThat(holds("platform.hypervisor == \"vmware\" && platform.confidence > 0.5", FACTS)).isTrue();
        assertThat(holds("disks.exists(d, d.virtio && !d.rotational)", FACTS)).isTrue();
        assertThat(holds("security.vulnerabilities.l1tf.state == \"vulnerable\"", FACTS)).isTrue();
        assertThat(holds("has(memory.thp) && memory.thp.enabled == \"always\"", FACTS)).isFalse();
        assertThat(holds("apps.exists(a, a.name == \"postgresql\")", FACTS)).isFalse();
    }

    @Test
    void sizeUnitsAreBinaryBytes() throws PolicyException {
        assertThat(holds("memory.totalBytes >= gib(64) && memory.totalBytes < gib(65)", FACTS)).isTrue();
        assertThat(holds("kib(1) == 1024 && mib(1) == 1048576 && tib(1) == 1099511627776", FACTS)).isTrue();
        assertThat(compile(policy("gib(9223372036854775807) > 0")).evaluate(FACTS).outcomes().get(0).error())
                .contains("out of range");
    }

    @Test
    void versionComparisonReadsKernelReleasesAndOsVersions() throws PolicyException {
        assertThat(holds("version_at_least(kernel.release, \"5.10\")", FACTS)).isTrue();
        assertThat(holds("version_at_least(kernel.release, \"5.15.0-92\")", FACTS)).isFalse();
        assertThat(holds("version_at_least(os.versionId, \"22.04\") && !version_at_least(os.versionId, \"24.04\")", FACTS)).isTrue();
        assertThat(holds("version_compare(\"6.1\", \"6.1.0\") == 0 && version_compare(\"v2\", \"10\") == -1", FACTS)).isTrue();
        assertThat(onlyError(policy("version_at_least(cpu.logicalCount, \"5\")")).message()).contains("no matching overload");
    }

    @Test
    void versionNumbersStopAtTheFirstWord() {
        assertThat(Functions.numbers("5.15.0-91-generic")).containsExactly(5L, 15L, 0L, 91L);
        assertThat(Functions.numbers("6.8.0rc1")).containsExactly(6L, 8L, 0L);
        assertThat(Functions.numbers("bookworm")).isEmpty();
        assertThat(Functions.numbers("99999999999999999999999")).hasSize(1);
    }

    @Test
    void schemaListsEveryFactPath() {
        List<String> paths = FactSchema.standard().describe();
        assertThat(paths).contains("platform.hypervisor: string", "memory.totalBytes: int", "disks[].rotational: bool",
                "security.vulnerabilities{}.state: string");
        assertThat(paths).contains("memory.thp: Thp", "memory.thp.enabled: string", "memory.balloon.present: bool",
                "memory.hugepages.sizes[].free: int", "cpu.frequency.reportedMHz: double", "os.tools: map<bool>");
        assertThat(FactSchema.standard().elements()).containsEntry("disk", "disks").containsEntry("nic", "nics").containsEntry("gpu", "gpus");
    }

    @Test
    void explainedFactsFollowComprehensionsReceiversAndHas() throws PolicyException {
        var o = compile(policy("disks.exists(d, d.virtio) && kernel.release.startsWith(\"platform.cloud\")"
                + " && !has(memory.thp) && apps.all(a, a.name != \"redis\")")).evaluate(FACTS).outcomes().get(0);
        assertThat(o.facts()).containsExactly("disks[].virtio = [true]", "kernel.release = \"5.15.0-91-generic\"",
                "memory.thp = (absent)", "apps[].name = (absent)");
        var sel = Condition.compile("disk.virtio && disk.name.startsWith(\"vd\")", "disk").condition();
        assertThat(sel.describeFacts(FACTS, "disk", Map.of("name", "vda", "virtio", true)))
                .containsExactly("disk.virtio = true", "disk.name = \"vda\"");
    }

    @Test
    void selectorsKnowTheirElementAndTheListItRangesOver() {
        Condition nic = Condition.compile("nic.driver == \"vmxnet3\"", "nic").condition();
        assertThat(nic.element()).isEqualTo("nic");
        assertThat(Condition.always("gpu").element()).isEqualTo("gpu");
        assertThat(Condition.compile("nic.drivr == \"x\"", "nic").errors()).singleElement()
                .satisfies(e -> assertThat(e.message()).contains("undefined field 'drivr'"));
        FactSet f = FactSet.of(Map.of("nics", List.of(Map.of("name", "eth0", "driver", "vmxnet3"),
                Map.of("name", "eth1", "driver", "e1000"))), Map.of());
        SettingRule r = new SettingRule("nic", "rxRing", "4096", java.util.Optional.of(nic), 1, 1);
        Policy p = new Policy("p", "", "p.yaml", 1, 50, "enforce", Condition.always(), List.of(r), List.of());
        var desired = PolicySet.expandForTest(p, r, f);
        assertThat(desired).singleElement().satisfies(d -> {
            assertThat(d.key().toString()).isEqualTo("nic:eth0/rxRing");
            assertThat(d.reason().element()).isEqualTo("nic eth0 (select: nic.driver == \"vmxnet3\")");
        });
    }

    /** Regression: errors in folded (>-) and plain multi-line conditions pointed into the first line. */
    @Test
    void errorInAFoldedOrMultiLineConditionPointsAtItsOwnLine() {
        for (String when : List.of(
                "  when: >-\n    platform.hypervisor == \"vmware\" &&\n    memory.totalBytez >= gib(4)\n",
                "  when: platform.hypervisor == \"vmware\" &&\n    memory.totalBytez >= gib(4)\n",
                "  when: 'platform.hypervisor == \"vmware\" &&\n    memory.totalBytez >= gib(4)'\n",
                "  when: \"platform.hypervisor == 'vmware' &&\n    memory.totalBytez >= gib(4)\"\n",
                "  when: |\n    platform.hypervisor == \"vmware\" &&\n    memory.totalBytez >= gib(4)\n")) {
            String text = "apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n" + when
                    + "  settings:\n    - sysctl: {key: vm.swappiness, value: 10}\n";
            PolicyError e = onlyError(text);
            assertThat(e.message()).as(when).contains("undefined field 'totalBytez'");
            assertThat(e.excerpt()).as(when).contains("memory.totalBytez");
            assertThat(e.excerpt().substring(e.column() - 1)).as(when).startsWith(".totalBytez");
        }
    }
}
