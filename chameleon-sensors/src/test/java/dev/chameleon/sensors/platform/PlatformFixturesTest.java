package dev.chameleon.sensors.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.chameleon.host.Host;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs the platform sensor over every fixture case (the shared collection under
 * {@code -Dchameleon.fixtures}, the repository's own captured machines, and the cases rebuilt
 * from bug reports against other detectors, {@code src/test/resources/platform-reports}) and compares with
 * each case's expected.yaml: {@code any} accepts anything, other values must match, {@code vmm}
 * is checked only when present.
 *
 * <p>{@link #KNOWN_MISSES} keeps the suite green for the cases the detector still gets wrong. A
 * listed case that now passes fails the test, so the list can only shrink. Reasons starting
 * with {@code EXPECTED-WRONG:} mark cases where we believe the expected answer is wrong.
 */
class PlatformFixturesTest {
    static final int MIN_SHARED_CASES = 200;

    static final Map<String, String> KNOWN_MISSES = new TreeMap<>(Map.ofEntries(
            // filled in below as cases are judged; keep it short
    ));

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final ConcurrentSkipListSet<String> PASSED = new ConcurrentSkipListSet<>();
    private static final ConcurrentSkipListSet<String> MISSED = new ConcurrentSkipListSet<>();
    private static final ConcurrentSkipListSet<String> SEEN = new ConcurrentSkipListSet<>();

    static Path sharedRoot() {
        String prop = System.getProperty("chameleon.fixtures");
        if (prop == null || prop.isBlank()) {
            throw new IllegalStateException("system property chameleon.fixtures is not set (surefire passes it; "
                    + "run through Maven or pass -Dchameleon.fixtures=/path/to/fixtures)");
        }
        Path p = Path.of(prop).resolve("platform");
        if (!Files.isDirectory(p)) {
            throw new IllegalStateException("fixture folder missing: " + p.toAbsolutePath());
        }
        return p;
    }

    static Path localRoot() {
        return moduleFolder("src/test/machines");
    }

    /** The cases rebuilt from public bug reports against other detectors (see their README.md). */
    static Path reportsRoot() {
        return moduleFolder("src/test/resources/platform-reports");
    }

    /** A folder of this module, from the module (Maven) or from the repository ({@code chameleon.repo}). */
    static Path moduleFolder(String relative) {
        Path p = Path.of(relative);
        if (!Files.isDirectory(p)) {
            String repo = System.getProperty("chameleon.repo");
            p = Path.of(repo == null ? "." : repo, "chameleon-sensors", relative);
        }
        return p;
    }

    static List<Path> caseDirs(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(d -> Files.isRegularFile(d.resolve("expected.yaml"))).sorted().toList();
        }
    }

    static Stream<Arguments> cases() throws IOException {
        List<Path> shared = caseDirs(sharedRoot());
        if (shared.size() < MIN_SHARED_CASES) {
            throw new IllegalStateException("only " + shared.size() + " fixture cases under " + sharedRoot()
                    + "; expected at least " + MIN_SHARED_CASES);
        }
        List<Path> all = new ArrayList<>(shared);
        all.addAll(caseDirs(localRoot()));
        List<Path> reports = caseDirs(reportsRoot());
        if (reports.isEmpty()) {
            throw new IllegalStateException("no report cases under " + reportsRoot().toAbsolutePath());
        }
        all.addAll(reports);
        return all.stream().map(d -> Arguments.of(d.getFileName().toString(), d));
    }

    /** The mismatches of one case, empty when it passes. */
    static List<String> mismatches(Path caseDir, Resolver.Answer a) throws IOException {
        Map<?, ?> exp = YAML.readValue(caseDir.resolve("expected.yaml").toFile(), Map.class);
        List<String> out = new ArrayList<>();
        compare(out, "hypervisor", exp.get("hypervisor"), a.hypervisor());
        compare(out, "cloud", exp.get("cloud"), a.cloud());
        compare(out, "container", exp.get("container"), a.container());
        if (exp.containsKey("vmm")) {
            compare(out, "vmm", exp.get("vmm"), a.vmm());
        }
        return out;
    }

    private static void compare(List<String> out, String key, Object expected, String actual) {
        String e = expected == null ? "any" : expected.toString();
        if (!e.equals("any") && !Objects.equals(e, actual)) {
            out.add(key + ": expected " + e + " but got " + actual);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void detectsFixture(String name, Path caseDir) throws IOException {
        SEEN.add(name);
        Resolver.Answer a = new PlatformSensor().detect(Host.fixture(caseDir));
        List<String> miss = mismatches(caseDir, a);
        String known = KNOWN_MISSES.get(name);
        if (miss.isEmpty()) {
            PASSED.add(name);
            if (known != null) {
                fail(name + " is on KNOWN_MISSES (" + known + ") but now passes: take it off the list");
            }
            return;
        }
        MISSED.add(name);
        if (known == null) {
            StringBuilder sb = new StringBuilder(name + ": " + String.join("; ", miss) + "\nevidence:");
            a.evidence().forEach(e -> sb.append("\n  ").append(e.toFact()));
            fail(sb.toString());
        }
    }

    @Test
    void knownMissesNameRealCases() throws IOException {
        List<String> names = new ArrayList<>();
        caseDirs(sharedRoot()).forEach(d -> names.add(d.getFileName().toString()));
        caseDirs(localRoot()).forEach(d -> names.add(d.getFileName().toString()));
        caseDirs(reportsRoot()).forEach(d -> names.add(d.getFileName().toString()));
        assertThat(names).containsAll(KNOWN_MISSES.keySet());
        assertThat(KNOWN_MISSES.values()).allSatisfy(r -> assertThat(r).isNotBlank());
    }

    @AfterAll
    static void report() {
        if (!SEEN.isEmpty()) {
            System.out.printf("platform fixtures: %d of %d cases pass; %d known miss(es): %s%n",
                    PASSED.size(), SEEN.size(), MISSED.size(), MISSED);
        }
    }
}
