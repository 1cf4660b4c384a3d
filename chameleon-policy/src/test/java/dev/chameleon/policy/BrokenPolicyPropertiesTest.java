package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Broken policies, generated: every one is refused with errors that carry a file, a line and a
 * column (and the source line for the caret), and none escapes as an exception.
 */
class BrokenPolicyPropertiesTest {
    static final String VALID = """
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: web-tier, description: Backlog for web servers}
            spec:
              priority: 60
              mode: enforce
              when: platform.hypervisor == "kvm" && memory.totalBytes >= gib(4) && disks.exists(d, d.virtio)
              profiles: [base]
              settings:
                - sysctl: {key: net.core.somaxconn, value: 8192}
                - kernelModule: {name: virtio_net, state: loaded}
                - blockQueue: {select: 'disk.virtio && !disk.rotational', scheduler: none}
            ---
            apiVersion: chameleon/v1
            kind: Profile
            metadata: {name: base}
            spec:
              settings:
                - sysctl: {key: vm.swappiness, value: 10}
            """;

    /** Compiles and returns the errors; an exception other than PolicyException fails the property. */
    static List<PolicyError> errorsOf(String text) {
        try {
            PolicySet.compile(List.of(new PolicySet.Source("gen.yaml", text)));
            return List.of();
        } catch (PolicyException e) {
            assertThat(e.errors()).isNotEmpty();
            return e.errors();
        }
    }

    static void assertPositioned(List<PolicyError> errors, String text) {
        int lines = text.split("\n", -1).length;
        for (PolicyError e : errors) {
            assertThat(e.file()).isEqualTo("gen.yaml");
            assertThat(e.line()).as("line of %s in%n%s", e.format(), text).isBetween(1, lines);
            assertThat(e.column()).as("column of %s", e.format()).isPositive();
            assertThat(e.format()).startsWith("gen.yaml:" + e.line() + ":" + e.column() + ": error: ");
            assertThat(e.format()).doesNotContain("Exception").doesNotContain("\tat ");
        }
    }

    @Example
    void theSeedIsValid() {
        assertThat(errorsOf(VALID)).isEmpty();
    }

    @Property(tries = 400)
    void characterMutationsNeverEscapeAndAreAlwaysPositioned(@ForAll("mutations") String text) {
        assertPositioned(errorsOf(text), text);
    }

    @Property(tries = 200)
    void misspeltFactsAreCompileErrorsOnTheWhenLine(@ForAll("typos") String fact) {
        String text = VALID.replace("memory.totalBytes", fact);
        List<PolicyError> errors = errorsOf(text);
        assertThat(errors).as("a misspelt fact %s must not compile", fact).isNotEmpty();
        assertPositioned(errors, text);
        assertThat(errors).allSatisfy(e -> assertThat(e.line()).isEqualTo(7));
    }

    @Property(tries = 100)
    void misspeltFactsInFoldedConditionsPointAtTheirLine(@ForAll("typos") String fact, @ForAll("foldStyles") String style) {
        String text = """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: folded}
                spec:
                  when: %s
                    platform.hypervisor == "kvm" &&
                    disks.exists(d, d.virtio) &&
                    FACT >= gib(4)
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """.formatted(style).replace("FACT", fact);
        List<PolicyError> errors = errorsOf(text);
        assertThat(errors).isNotEmpty();
        assertPositioned(errors, text);
        assertThat(errors).allSatisfy(e -> {
            assertThat(e.line()).isEqualTo(8);
            assertThat(e.column()).isBetween(5, 5 + fact.length());
        });
    }

    @Provide
    Arbitrary<String> foldStyles() {
        return Arbitraries.of(">-", ">", "|", "|-");
    }

    @Property(tries = 200)
    void unknownKeysAreNamedWhereTheyAre(@ForAll("unknownKeyLines") int line, @ForAll("keyNames") String key) {
        List<String> lines = new ArrayList<>(List.of(VALID.split("\n", -1)));
        String at = lines.get(line - 1);
        String indent = at.substring(0, at.length() - at.stripLeading().length());
        lines.add(line - 1, indent + key + ": 1");
        String text = String.join("\n", lines);
        List<PolicyError> errors = errorsOf(text);
        assertPositioned(errors, text);
        assertThat(errors).anySatisfy(e -> {
            assertThat(e.line()).isEqualTo(line);
            assertThat(e.message()).contains("unknown key '" + key + "'");
        });
    }

    @Property(tries = 200)
    void wrongTypesInConditionsArePositioned(@ForAll("wrongTypes") String when) {
        String text = VALID.replace("platform.hypervisor == \"kvm\"", when);
        List<PolicyError> errors = errorsOf(text);
        assertThat(errors).isNotEmpty();
        assertPositioned(errors, text);
    }

    @Property(tries = 100)
    void arbitraryTextNeverEscapes(@ForAll("garbage") String text) {
        List<PolicyError> errors = errorsOf(text);
        for (PolicyError e : errors) {
            assertThat(e.format()).startsWith("gen.yaml").doesNotContain("\tat ");
        }
    }

    @Example
    void deeplyNestedConditionIsAPositionedError() {
        String deep = "(".repeat(2000) + "true" + ")".repeat(2000);
        String text = VALID.replace("platform.hypervisor == \"kvm\"", deep);
        List<PolicyError> errors = errorsOf(text);
        assertThat(errors).isNotEmpty();
        assertPositioned(errors, text);
    }

    @Example
    void fiftyMegabyteFileIsRefusedBeforeReading() throws IOException {
        Path dir = Files.createTempDirectory("big-policy");
        Path f = dir.resolve("big.yaml");
        try {
            byte[] line = "# padding padding padding padding padding padding padding padding\n".getBytes();
            try (var out = Files.newOutputStream(f)) {
                for (long written = 0; written < 50L << 20; written += line.length) {
                    out.write(line);
                }
            }
            List<PolicyError> errors = new ArrayList<>();
            assertThat(PolicySet.file(f, errors)).isEmpty();
            assertThat(errors).singleElement().satisfies(e -> assertThat(e.format())
                    .startsWith(f + ": error: file is 5242").contains("policy files are limited to 4194304 bytes"));
        } finally {
            Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        }
    }

    @Provide
    Arbitrary<String> mutations() {
        Arbitrary<Integer> pos = Arbitraries.integers().between(0, VALID.length() - 1);
        Arbitrary<String> junk = Arbitraries.of("{", "}", "[", "]", ":", "'", "\"", "-", " ", "  ", "\n", "\t", "&", "*",
                "!", "%", "@", "`", "|", ">", "#", ",", "?", "---\n", "\u0000", "é", "==", "x");
        Arbitrary<String> insert = Combinators.combine(pos, junk).as((p, j) -> VALID.substring(0, p) + j + VALID.substring(p));
        Arbitrary<String> delete = Combinators.combine(pos, Arbitraries.integers().between(1, 12))
                .as((p, n) -> VALID.substring(0, p) + VALID.substring(Math.min(VALID.length(), p + n)));
        Arbitrary<String> truncate = pos.map(p -> VALID.substring(0, p));
        Arbitrary<String> replace = Combinators.combine(pos, junk)
                .as((p, j) -> VALID.substring(0, p) + j + VALID.substring(Math.min(VALID.length(), p + 1)));
        Arbitrary<String> one = Arbitraries.oneOf(insert, delete, truncate, replace);
        // mutants that happen to stay valid are fine; the property is about how invalid ones fail
        return one;
    }

    @Provide
    Arbitrary<String> typos() {
        return Arbitraries.of("memory.totalByte", "memory.totalbytes", "memroy.totalBytes", "memory.total_bytes",
                        "memory.totalBytes.x", "memory.availableByte", "memory.size")
                .flatMap(base -> Arbitraries.integers().between(0, 2).map(n -> base + "_".repeat(n)));
    }

    @Provide
    Arbitrary<Integer> unknownKeyLines() {
        // lines that start a key inside metadata-free mappings: top level (2), spec (5, 6, 9)
        return Arbitraries.of(2, 5, 6, 9);
    }

    @Provide
    Arbitrary<String> keyNames() {
        return Arbitraries.strings().withCharRange('a', 'z').ofMinLength(3).ofMaxLength(10)
                .filter(k -> !List.of("apiversion", "kind", "metadata", "spec", "priority", "mode", "when", "profiles",
                        "settings", "include", "yes", "no", "true", "false", "null", "off", "on").contains(k));
    }

    @Provide
    Arbitrary<String> wrongTypes() {
        Arbitrary<String> fact = Arbitraries.of("platform.hypervisor", "cpu.logicalCount", "memory.totalBytes",
                "platform.confidence", "kernel.modules", "disks", "security.vulnerabilities");
        Arbitrary<String> literal = Arbitraries.of("\"x\"", "1", "1.5", "true", "[1]", "{\"a\": 1}", "null", "b\"x\"");
        Arbitrary<String> op = Arbitraries.of("==", "<", ">=", "+", "&&");
        return Combinators.combine(fact, op, literal).as((f, o, l) -> f + " " + o + " " + l)
                .filter(e -> !isWellTyped(e));
    }

    static boolean isWellTyped(String e) {
        return List.of("platform.hypervisor == \"x\"", "platform.hypervisor < \"x\"", "platform.hypervisor >= \"x\"",
                "cpu.logicalCount == 1", "cpu.logicalCount < 1", "cpu.logicalCount >= 1", "cpu.logicalCount < 1.5",
                "cpu.logicalCount >= 1.5", "cpu.logicalCount == 1.5", "memory.totalBytes == 1", "memory.totalBytes < 1",
                "memory.totalBytes >= 1", "memory.totalBytes < 1.5", "memory.totalBytes >= 1.5", "memory.totalBytes == 1.5",
                "platform.confidence == 1.5", "platform.confidence < 1.5", "platform.confidence >= 1.5",
                "platform.confidence == 1", "platform.confidence < 1", "platform.confidence >= 1",
                "platform.hypervisor + \"x\"", "platform.hypervisor == null", "cpu.logicalCount == null",
                "memory.totalBytes == null", "platform.confidence == null", "kernel.modules == null", "disks == null",
                "security.vulnerabilities == null").contains(e) || e.endsWith("== null");
    }

    @Provide
    Arbitrary<String> garbage() {
        return Arbitraries.strings().ofMaxLength(400)
                .withChars("abcz:{}[]-'\"\n\t #&*!|>%@,?0123456789.=()".toCharArray());
    }
}
