package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code policy validate} warns when a condition reads a fact some machines leave out, without has() (issue 12). */
class OptionalFactWarningTest {
    private static List<PolicyError> warnings(String when, String select) throws PolicyException {
        return PolicySetTest.compile("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: p}
                spec:
                  when: %s
                  settings:
                    - blockQueue: {select: %s, scheduler: none}
                """.formatted(when, select)).warnings();
    }

    @Test
    void anUnguardedOptionalReadIsWarnedAtItsPosition() throws PolicyException {
        List<PolicyError> w = warnings("'platform.container == \"none\" && memory.totalBytes > 1024'", "'disk.virtio'");
        assertThat(w).hasSize(1);
        assertThat(w.get(0).file()).isEqualTo("p0.yaml");
        assertThat(w.get(0).line()).isEqualTo(5);
        assertThat(w.get(0).column()).isEqualTo(42); // the m of memory: column 10 is the first character inside the quotes
        assertThat(w.get(0).message()).contains("spec.when reads memory.totalBytes").contains("guard it with has(memory.totalBytes) && ...");
        assertThat(w.get(0).format("warning")).startsWith("p0.yaml:5:42: warning: ");
    }

    @Test
    void selectorsAndComprehensionVariablesAreCheckedToo() throws PolicyException {
        List<PolicyError> w = warnings("'nics.exists(n, n.mtu > 1500)'", "'disk.rotational'");
        assertThat(w).extracting(PolicyError::message).anySatisfy(m -> assertThat(m).contains("reads n.mtu"))
                .anySatisfy(m -> assertThat(m).contains("blockQueue.select reads disk.rotational"));
    }

    @Test
    void guardedRequiredAndMapReadsAreNotWarned() throws PolicyException {
        // has() on each optional level guards it; required fields (docs: "never" absent) need none
        assertThat(warnings("'has(memory.thp) && has(memory.thp.enabled) && memory.thp.enabled == \"always\""
                + " && platform.hypervisor == \"kvm\"'",
                "'has(disk.rotational) && disk.rotational && disk.name != \"sda\" && disk.virtio'")).isEmpty();
        assertThat(warnings("'nics.exists(n, has(n.mtu) && n.mtu > 1500) && apps.exists(a, a.name == \"redis\")'", "'true'")).isEmpty();
        // map entries are not schema fields: "x in map" is the guard there, and the entry's fields are required
        assertThat(warnings("'has(security.vulnerabilities) && \"mds\" in security.vulnerabilities"
                + " && security.vulnerabilities.mds.state == \"vulnerable\"'", "'true'")).isEmpty();
    }

    /** Field trial: a lookup by key got no warning, then a bare "error: x" at plan time. */
    @Test
    void aLookupByKeyIsWarnedWithItsGuard() throws PolicyException {
        List<PolicyError> w = warnings("'has(security.vulnerabilities) && security.vulnerabilities[\"x\"].state == \"vulnerable\"'", "'true'");
        assertThat(w).singleElement().satisfies(e -> {
            assertThat(e.column()).isEqualTo(43); // the s of security: the lookup starts there
            assertThat(e.message()).isEqualTo("spec.when looks up security.vulnerabilities[\"x\"] by key, which the map may not hold on some "
                    + "machines; there the condition is an error, not false: guard it with \"x\" in security.vulnerabilities && ...");
        });
        assertThat(warnings("'os.tools[\"lspci\"]'", "'true'")).singleElement().extracting(PolicyError::message).asString()
                .contains("looks up os.tools[\"lspci\"] by key").contains("guard it with has(os.tools) && \"lspci\" in os.tools && ...");
        assertThat(warnings("'has(security.vulnerabilities) && security.vulnerabilities.mds.state == \"vulnerable\"'", "'true'"))
                .singleElement().extracting(PolicyError::message).asString()
                .contains("looks up security.vulnerabilities.mds by key").contains("\"mds\" in security.vulnerabilities");
        assertThat(warnings("'has(os.tools) && \"lspci\" in os.tools && os.tools[\"lspci\"]'", "'true'")).isEmpty();
        assertThat(warnings("'has(os.tools) && has(os.tools.lspci) && os.tools.lspci'", "'true'")).isEmpty();
    }

    /** Field trial: the same lookup on a machine without the key said only "error: x". */
    @Test
    void aMissingKeyIsNamedAtEvaluation() throws PolicyException {
        PolicySet set = PolicySetTest.compile("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: p}
                spec:
                  when: 'has(security.vulnerabilities) && security.vulnerabilities["x"].state == "vulnerable"'
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        dev.chameleon.model.FactSet facts = dev.chameleon.model.FactSet.of(Map.of("security", Map.of("vulnerabilities",
                Map.of("mds", Map.of("state", "not-affected", "detail", "")))), Map.of());
        assertThat(set.evaluate(facts).outcomes().get(0).error()).isEqualTo("security.vulnerabilities[\"x\"]: key 'x' is not present in "
                + "security.vulnerabilities on this machine; look it up only when present: \"x\" in security.vulnerabilities && ...");
    }

    /**
     * Field trial: {@code avg5m: 20} in a test's facts passed the schema check (double takes whole
     * numbers) and then failed evaluation with "no matching overload ... greater_double": whole
     * numbers are conformed to double where the schema says double.
     */
    @Test
    void aWholeNumberWhereTheSchemaSaysDoubleIsADouble() throws PolicyException {
        PolicySet set = PolicySetTest.compile("""
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: steal}
                spec:
                  when: has(host.cpu) && has(host.cpu.steal) && has(host.cpu.steal.avg5m) && host.cpu.steal.avg5m > 10.0
                  settings:
                    - sysctl: {key: vm.dirty_ratio, value: 10}
                ---
                apiVersion: chameleon/v1
                kind: PolicyTest
                metadata: {name: t}
                spec:
                  facts: {host: {cpu: {steal: {avg5m: 20}}}, nics: [{name: eth0, mtu: 1500}]}
                  expect:
                    sysctl:vm.dirty_ratio: 10
                """);
        assertThat(PolicyTests.run(set, set.tests(), null)).singleElement().satisfies(r -> assertThat(r.failures()).isEmpty());
        Map<String, Object> conformed = FactSchema.standard().conform(Map.of("host", Map.of("cpu", Map.of("steal", Map.of("avg5m", 20L))),
                "nics", List.of(Map.of("name", "eth0", "mtu", 1500L))));
        assertThat(conformed).isEqualTo(Map.of("host", Map.of("cpu", Map.of("steal", Map.of("avg5m", 20.0))),
                "nics", List.of(Map.of("name", "eth0", "mtu", 1500L)))); // int stays int
    }

    @Test
    void theBuiltInPackReadsNoOptionalFactUnguarded() throws PolicyException {
        assertThat(PolicySet.compile(PolicySet.defaultPack()).warnings()).extracting(e -> e.format("warning")).isEmpty();
    }

    /**
     * The schema's {@code required:} list is docs/facts.md's "never" in the "when absent" column,
     * both ways (Vulnerability's fields are the one documented exception: entries of a map,
     * documented as one row {@code vulnerabilities.<name>} with both fields always set).
     */
    @Test
    void requiredFieldsAreTheDocumentedNeverAbsentOnes() throws Exception {
        Map<String, String> sections = Map.of("platform", "Platform", "gpus", "Gpu", "nics", "Nic", "disks", "Disk", "apps", "App",
                "cpu", "Cpu", "memory", "Memory", "os", "Os", "kernel", "Kernel", "security", "Security");
        Pattern heading = Pattern.compile("^## `([a-z]+)`");
        Pattern row = Pattern.compile("^\\| `([A-Za-z]+)`.*\\| never\\b");
        Set<String> documented = new TreeSet<>();
        String type = null;
        for (String line : Files.readAllLines(Path.of("..", "docs", "facts.md"))) {
            Matcher h = heading.matcher(line);
            if (h.find()) {
                type = sections.get(h.group(1));
                continue;
            }
            Matcher r = row.matcher(line);
            if (type != null && r.find()) {
                documented.add(type + "." + r.group(1));
            }
        }
        Set<String> inSchema = new TreeSet<>();
        Map<String, Set<String>> required = new LinkedHashMap<>(FactSchema.standard().requiredFields());
        required.remove("Vulnerability");
        required.forEach((t, fs) -> fs.forEach(f -> inSchema.add(t + "." + f)));
        assertThat(documented).isNotEmpty().isEqualTo(inSchema);
    }

    /**
     * Issue 17: has(memory.thp.enabled) reads memory.thp (CEL's has() tests only its last field;
     * its operand is evaluated, an error where the sensors left memory.thp out: "key 'thp' is not
     * present in map"). Such a has() does not guard the level above: each optional level needs its own.
     */
    @Test
    void aHasOnALongerPathDoesNotGuardTheOptionalLevelAboveIt() throws PolicyException {
        List<PolicyError> w = warnings("'has(memory.thp.enabled) && memory.thp.enabled == \"always\"'", "'true'");
        assertThat(w).extracting(PolicyError::message).singleElement().satisfies(m -> assertThat(m)
                .contains("spec.when reads memory.thp,").contains("guard it with has(memory.thp) && ..."));
        assertThat(w.get(0).column()).as("at the first read of memory.thp, inside the has()").isEqualTo(14);
        assertThat(warnings("'has(memory.thp) && has(memory.thp.enabled) && memory.thp.enabled == \"always\"'", "'true'")).isEmpty();
        // what the warning is about: evaluated on a machine without THP, the lone has() is an error, the guarded form false
        dev.chameleon.model.FactSet noThp = dev.chameleon.model.FactSet.of(Map.of("memory", Map.of("totalBytes", 1L << 30)), Map.of());
        for (String[] c : new String[][] {{"has(memory.thp.enabled) && memory.thp.enabled == \"always\"", "thp"},
                {"has(memory.thp) && has(memory.thp.enabled) && memory.thp.enabled == \"always\"", ""}}) {
            PolicySet set = PolicySetTest.compile("apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: p}\nspec:\n  when: '" + c[0]
                    + "'\n  settings:\n    - sysctl: {key: vm.swappiness, value: 10}\n");
            PolicySet.PolicyOutcome o = set.evaluate(noThp).outcomes().get(0);
            assertThat(o.error()).as(c[0]).contains(c[1]);
            assertThat(o.error().isEmpty()).as(c[0]).isEqualTo(c[1].isEmpty());
            assertThat(o.matched()).isFalse();
        }
    }
}
