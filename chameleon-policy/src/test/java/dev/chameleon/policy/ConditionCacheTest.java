package dev.chameleon.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.model.FactSet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checked expressions kept on disk ({@link ConditionCache}): a kept entry is used instead of
 * compiling, gives the same condition as a compile, and an entry that was changed, cut short or
 * corrupted is never trusted: the expression is compiled again and the entry written anew.
 */
class ConditionCacheTest {
    @TempDir
    Path tmp;
    String before;

    static final FactSet FACTS = TypedConditionTest.FACTS;
    static final List<String> EXPRESSIONS = List.of(
            "platform.hypervisor == \"vmware\" && memory.totalBytes >= gib(32)",
            "disks.exists(d, d.virtio && !d.rotational)",
            "kernel.release.startsWith(\"5.15\") || os.id == \"debian\"",
            "security.vulnerabilities.l1tf.state == \"vulnerable\"",
            "memory.thp.enabled == \"always\"", // absent on these facts: an evaluation error, with its message
            "cpu.logicalCount > 8 ? platform.container == \"none\" : false");

    @BeforeEach
    void folder() {
        before = System.getProperty(ConditionCache.PROPERTY);
        System.setProperty(ConditionCache.PROPERTY, tmp.resolve("cel").toString());
    }

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(ConditionCache.PROPERTY);
        } else {
            System.setProperty(ConditionCache.PROPERTY, before);
        }
    }

    static Condition compiled(String text) {
        Condition.Result r = Condition.compile(text, null);
        assertThat(r.errors()).as(text).isEmpty();
        return r.condition();
    }

    private List<Path> entries() throws IOException {
        try (Stream<Path> s = Files.list(tmp.resolve("cel"))) {
            return s.sorted().toList();
        }
    }

    @Test
    void aKeptEntryIsUsedAndGivesWhatACompileGives() throws IOException {
        List<Condition.Outcome> fresh = EXPRESSIONS.stream().map(t -> compiled(t).evaluate(FACTS, null, null)).toList();
        List<List<String>> refs = EXPRESSIONS.stream().map(t -> compiled(t).references()).toList();
        assertThat(entries()).hasSize(EXPRESSIONS.size());
        long hits = ConditionCache.hits();
        for (int i = 0; i < EXPRESSIONS.size(); i++) {
            Condition c = compiled(EXPRESSIONS.get(i));
            assertThat(c.evaluate(FACTS, null, null)).as(EXPRESSIONS.get(i)).isEqualTo(fresh.get(i));
            assertThat(c.references()).isEqualTo(refs.get(i));
            assertThat(c.describeFacts(FACTS, null, null)).isNotEmpty();
        }
        assertThat(ConditionCache.hits() - hits).as("every expression from the cache").isEqualTo(EXPRESSIONS.size());
        assertThat(fresh.get(4).error()).contains("thp");
        assertThat(fresh.get(0).holds()).isTrue();
    }

    @Test
    void compileErrorsAreNotKeptAndStayPositioned() throws IOException {
        assertThat(Condition.compile("platform.hypervisr == \"x\"", null).errors()).singleElement()
                .satisfies(e -> assertThat(e.message()).contains("undefined field 'hypervisr'"));
        assertThat(Files.exists(tmp.resolve("cel"))).as("nothing kept for an expression that does not compile").isFalse();
        compiled("platform.hypervisor == \"x\"");
        assertThat(Condition.compile("platform.hypervisor == 1", null).errors()).isNotEmpty();
        assertThat(entries()).hasSize(1);
    }

    @Test
    void aChangedCutOrCorruptEntryIsCompiledAgainAndRewritten() throws IOException {
        String text = "platform.hypervisor == \"vmware\" && cpu.logicalCount >= 16";
        String other = "platform.hypervisor == \"kvm\"";
        assertThat(compiled(text).evaluate(FACTS, null, null).holds()).isTrue();
        Path entry = entries().get(0);
        byte[] good = Files.readAllBytes(entry);
        compiled(other);
        Path otherEntry = entries().stream().filter(p -> !p.equals(entry)).findFirst().orElseThrow();
        byte[] otherBytes = Files.readAllBytes(otherEntry);
        int header = new String(good, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf('\n', 16 + 65) + 1;
        byte[] flipped = good.clone();
        flipped[flipped.length - 3] ^= 0x5a;
        byte[] forged = good.clone(); // a changed payload with its checksum left as it was
        forged[header + 2] ^= 0x01;
        List<byte[]> bad = List.of(
                new byte[0],
                Arrays.copyOf(good, good.length / 2),
                flipped,
                forged,
                "chameleon-cel 1\nnot a key\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII),
                otherBytes, // a whole, valid entry of another expression under this name
                "garbage".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        for (byte[] b : bad) {
            Files.write(entry, b);
            long hits = ConditionCache.hits();
            Condition c = compiled(text);
            assertThat(ConditionCache.hits()).as("never trusted").isEqualTo(hits);
            assertThat(c.evaluate(FACTS, null, null).holds()).as("the expression itself, compiled again").isTrue();
            assertThat(Files.readAllBytes(entry)).as("written anew").isEqualTo(good);
        }
        // the kept entry of the other expression never answers for this one
        assertThat(compiled(other).evaluate(FACTS, null, null).holds()).isFalse();
    }

    @Test
    void theBuiltInPackIsCompiledWhenTheJarIsBuilt() throws Exception {
        System.setProperty(ConditionCache.PROPERTY, "off");
        long hits = ConditionCache.hits();
        PolicySet pack = PolicySet.compile(PolicySet.defaultPack());
        long conditions = pack.policies().stream().mapToLong(p -> (p.when().text().equals("true") ? 0 : 1)).sum();
        assertThat(conditions).isPositive();
        assertThat(ConditionCache.hits() - hits).as("every pack condition from the entries in the jar").isGreaterThanOrEqualTo(conditions);
        assertThat(Files.exists(tmp.resolve("cel"))).isFalse();
    }

    @Test
    void aFolderThatCannotBeWrittenCostsOnlyTheCompile() throws IOException {
        Path file = Files.writeString(tmp.resolve("not-a-folder"), "x");
        System.setProperty(ConditionCache.PROPERTY, file.toString());
        assertThat(compiled("os.id == \"ubuntu\"").evaluate(FACTS, null, null).holds()).isTrue();
        assertThat(Files.readString(file)).isEqualTo("x");
    }
}
