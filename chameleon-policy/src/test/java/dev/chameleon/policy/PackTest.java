package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** The built-in pack's own policy tests (pack/tests/*.yaml), one JUnit test each, and their coverage. */
class PackTest {
    static PolicySet packWithTests() throws PolicyException {
        List<PolicySet.Source> sources = new ArrayList<>(PolicySet.defaultPack());
        sources.addAll(PolicyTests.packTests());
        return PolicySet.compile(sources);
    }

    @TestFactory
    List<DynamicTest> everyPackTestPasses() throws PolicyException {
        PolicySet set = packWithTests();
        assertThat(set.tests()).hasSizeGreaterThanOrEqualTo(25);
        return PolicyTests.run(set, set.tests(), null).stream()
                .map(r -> DynamicTest.dynamicTest(r.test().name(), () ->
                        assertThat(r.failures()).as("%s", r.test().location()).isEmpty()))
                .toList();
    }

    @Test
    void everyPackPolicyIsNamedInSomeTestExpectation() throws PolicyException, java.io.IOException {
        PolicySet set = packWithTests();
        Set<String> tested = new java.util.HashSet<>();
        for (PolicyTest t : set.tests()) {
            var ev = set.evaluate(PolicyTests.facts(t, null), PolicyTests.history(t));
            for (PolicyTest.Expectation e : t.expect()) {
                ev.desired().stream().filter(d -> d.key().toString().equals(e.key()))
                        .forEach(d -> tested.add(d.reason().policy()));
            }
        }
        Set<String> all = set.policies().stream().map(Policy::name).collect(Collectors.toSet());
        all.removeAll(tested);
        assertThat(all).as("pack policies with no test that expects one of their settings").isEmpty();
    }

    @Test
    void aFailingExpectationSaysWhatAndWhere() throws PolicyException {
        PolicySet set = PolicySet.compile(List.of(PolicySet.defaultPack().get(0), new PolicySet.Source("t.yaml", """
                apiVersion: chameleon/v1
                kind: PolicyTest
                metadata: {name: wrong}
                spec:
                  facts: {platform: {hypervisor: vmware, container: none}}
                  expect:
                    kernelModule:vmw_pvscsi: {value: loaded, policy: someone-else}
                    sysctl:vm.swappiness: "5"
                  absent: [kernelModule:vmxnet3]
                """)));
        PolicyTests.Result r = PolicyTests.run(set, set.tests(), null).get(0);
        assertThat(r.passed()).isFalse();
        assertThat(r.failures()).containsExactly(
                "t.yaml:7:5: expected kernelModule:vmw_pvscsi from policy someone-else, but vmware-guest won",
                "t.yaml:8:5: expected sysctl:vm.swappiness = 5, but no matching policy sets it",
                "t.yaml:9:12: expected no kernelModule:vmxnet3, but policy vmware-guest (pack:vmware-guest.yaml:14) when "
                        + "platform.hypervisor == \"vmware\" && platform.container == \"none\" sets it to loaded");
    }

    @Test
    void factsThatDoNotFitTheSchemaFailTheTestAndNameIt() throws PolicyException {
        PolicySet set = PolicySet.compile(List.of(PolicySet.defaultPack().get(0), new PolicySet.Source("stale.yaml", """
                apiVersion: chameleon/v1
                kind: PolicyTest
                metadata: {name: stale}
                spec:
                  facts:
                    platform: {hypervisor: vmware, container: none, hypervisr: kvm}
                    memory: {totalByte: 1}
                    nics: [{name: eth0, mtu: "1500"}]
                    gpu: []
                  expect:
                    kernelModule:vmw_pvscsi: loaded
                """)));
        PolicyTests.Result r = PolicyTests.run(set, set.tests(), null).get(0);
        assertThat(r.passed()).isFalse();
        assertThat(r.failures()).hasSize(4).allSatisfy(f -> assertThat(f).startsWith("stale.yaml:1: facts of test stale do not fit"));
        assertThat(String.join("\n", r.failures()))
                .contains("unknown fact 'platform.hypervisr'")
                .contains("unknown fact 'memory.totalByte'")
                .contains("'nics[0].mtu' must be int, found string \"1500\"")
                .contains("unknown fact 'gpu'");
        assertThat(FactSchema.standard().check(java.util.Map.of("platform", java.util.Map.of("confidence", 1L, "hypervisor", "kvm"),
                "meta", java.util.Map.of("anything", List.of(1, "x"))))).isEmpty();
    }

    @Test
    void testDocumentsAreCheckedLikePolicies() {
        PolicyError e = PolicySetTest.onlyError("""
                apiVersion: chameleon/v1
                kind: PolicyTest
                metadata: {name: t}
                spec:
                  facts: {platform: {hypervisor: kvm}}
                  expect:
                    vm.swappiness: 10
                """);
        assertThat(e.message()).contains("'vm.swappiness' is not a setting key");
        assertThat(e.line()).isEqualTo(7);
        assertThat(PolicySetTest.onlyError("""
                apiVersion: chameleon/v1
                kind: PolicyTest
                metadata: {name: t}
                spec:
                  expect: {sysctl:vm.swappiness: 10}
                """).message()).contains("exactly one of spec.facts, spec.factsFile or spec.root");
    }

    @Test
    void publishedJsonSchemaKnowsTheKindsAndSettingKindsTheParserKnows() throws java.io.IOException, PolicyException {
        var schema = new com.fasterxml.jackson.databind.ObjectMapper().readTree(PolicySet.class.getResourceAsStream(PolicySet.JSON_SCHEMA));
        List<String> kinds = new ArrayList<>();
        schema.path("properties").path("kind").path("enum").forEach(k -> kinds.add(k.asText()));
        assertThat(kinds).containsExactlyInAnyOrder("Policy", "Profile", "PolicyTest");
        List<String> settingKinds = new ArrayList<>();
        schema.path("$defs").path("setting").path("properties").fieldNames().forEachRemaining(settingKinds::add);
        // every kind the pack uses is in the schema, and each schema kind parses
        Set<String> used = new java.util.TreeSet<>();
        for (Policy p : packWithTests().policies()) {
            p.settings().forEach(r -> used.add(r.kind()));
        }
        assertThat(settingKinds).containsAll(used);
        List<String> parserKinds = new ArrayList<>(PolicyParser.SETTING_KINDS);
        parserKinds.add("advice");
        assertThat(settingKinds).containsExactlyInAnyOrderElementsOf(parserKinds);
        for (String k : settingKinds) {
            String body = switch (k) {
                case "sysctl" -> "{key: vm.swappiness, value: 1}";
                case "kernelModule" -> "{name: loop}";
                case "blockQueue" -> "{scheduler: none}";
                case "advice" -> "{key: a, text: b}";
                case "sysfs" -> "{knob: thp.enabled, value: madvise}";
                case "hugepages" -> "{size: 2M, count: 512}";
                case "service" -> "{name: nginx, state: running}";
                case "file" -> "{path: /etc/a.conf, state: absent}";
                case "kernelCmdline" -> "{arg: quiet}";
                case "tunedProfile" -> "{profile: virtual-guest}";
                case "nic" -> "{name: eth0, mtu: 9000}";
                case "nicSysctl" -> "{key: rp_filter, value: 2}";
                case "package" -> "{name: nginx, optIn: true}";
                case "initramfs" -> "{drivers: [virtio_blk]}";
                default -> "{}";
            };
            assertThat(PolicyParser.parse("s.yaml", "apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: s}\nspec:\n  settings:\n    - "
                    + k + ": " + body + "\n", new ArrayList<>())).as("schema kind %s parses", k).hasSize(1);
        }
    }
}
