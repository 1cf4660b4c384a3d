package dev.chameleon.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.SettingKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs {@link PolicyTest}s: builds each test's facts, evaluates the policy set, and compares
 * the desired settings with the expectations.
 *
 * <p>Facts come from {@code spec.facts} (inline) or {@code spec.factsFile} (JSON or YAML, a
 * path relative to the test file's folder) here; {@code spec.root} needs the sensors, which
 * this module does not have, so the caller passes a {@link RootFacts} (the agent's
 * {@code policy test} does).
 */
public final class PolicyTests {
    /** Where the built-in pack's tests live on the classpath; {@code index.txt} lists them. */
    public static final String PACK_TESTS = PolicySet.PACK + "tests/";

    private PolicyTests() {
    }

    /** Senses a fixture root ({@code root}, {@code commands} or null), for tests with {@code spec.root}. */
    @FunctionalInterface
    public interface RootFacts {
        FactSet sense(Path root, Path commands) throws IOException;
    }

    /**
     * The result of one test.
     *
     * @param test     the test
     * @param failures what did not hold, one line each, for people; empty when it passed
     */
    public record Result(PolicyTest test, List<String> failures) {
        public boolean passed() {
            return failures.isEmpty();
        }
    }

    /** The built-in pack's test files, in index order. */
    public static List<PolicySet.Source> packTests() {
        List<PolicySet.Source> out = new ArrayList<>();
        try (InputStream idx = PolicyTests.class.getResourceAsStream(PACK_TESTS + "index.txt")) {
            if (idx == null) {
                return out;
            }
            for (String line : new String(idx.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                try (InputStream in = PolicyTests.class.getResourceAsStream(PACK_TESTS + line)) {
                    if (in == null) {
                        throw new IllegalStateException("built-in policy test " + line + " missing from the classpath");
                    }
                    out.add(new PolicySet.Source("pack:tests/" + line, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in policy tests", e);
        }
        return out;
    }

    /** Runs every test; a test whose facts cannot be read fails with the reason. Never throws for bad tests. */
    public static List<Result> run(PolicySet set, List<PolicyTest> tests, RootFacts rootFacts) {
        List<Result> out = new ArrayList<>();
        for (PolicyTest t : tests) {
            out.add(run(set, t, rootFacts));
        }
        return out;
    }

    /** The history a test's facts are judged with: {@code holdingFor} long, or none (as a one-shot plan). */
    public static ConditionHistory history(PolicyTest t) {
        return t.holdingFor().map(d -> ConditionHistory.heldFor(d, java.time.Clock.systemUTC())).orElse(ConditionHistory.none());
    }

    static Result run(PolicySet set, PolicyTest t, RootFacts rootFacts) {
        FactSet facts;
        try {
            facts = facts(t, rootFacts);
        } catch (IOException | RuntimeException e) {
            return new Result(t, List.of(t.location() + ": cannot build the facts: " + e.getMessage()));
        }
        List<String> failures = new ArrayList<>();
        for (String problem : FactSchema.standard().check(facts.asMap())) {
            failures.add(t.location() + ": facts of test " + t.name() + " do not fit the fact schema: " + problem);
        }
        PolicySet.Evaluation ev = set.evaluate(facts, history(t));
        for (PolicySet.PolicyOutcome o : ev.outcomes()) {
            if (!o.error().isEmpty() && t.expect().stream().anyMatch(e -> e.policy().map(o.policy().name()::equals).orElse(false))) {
                failures.add(t.file() + ":" + t.line() + ": policy " + o.policy().name() + " could not be evaluated: " + o.error());
            }
        }
        for (PolicyTest.Expectation e : t.expect()) {
            String where = t.file() + ":" + e.line() + ":" + e.column();
            Optional<DesiredSetting> got = find(ev, e.key());
            if (got.isEmpty()) {
                failures.add(where + ": expected " + e.key() + " = " + e.value() + ", but no matching policy sets it");
                continue;
            }
            DesiredSetting d = got.get();
            if (!d.value().equals(e.value())) {
                failures.add(where + ": expected " + e.key() + " = " + e.value() + ", got " + d.value() + " from " + d.reason().describe());
            }
            if (e.policy().isPresent() && !e.policy().get().equals(d.reason().policy())) {
                failures.add(where + ": expected " + e.key() + " from policy " + e.policy().get() + ", but " + d.reason().policy() + " won");
            }
            String mode = ev.mode(d.key()).label();
            if (e.mode().isPresent() && !e.mode().get().equals(mode)) {
                failures.add(where + ": expected " + e.key() + " in mode " + e.mode().get() + ", got " + mode);
            }
        }
        for (Ref a : t.absent()) {
            find(ev, a.name()).ifPresent(d -> failures.add(t.file() + ":" + a.line() + ":" + a.column() + ": expected no "
                    + a.name() + ", but " + d.reason().describe() + " sets it to " + d.value()));
        }
        return new Result(t, List.copyOf(failures));
    }

    private static Optional<DesiredSetting> find(PolicySet.Evaluation ev, String key) {
        SettingKey k = SettingKey.parse(key);
        return ev.desired().stream().filter(d -> d.key().equals(k)).findFirst();
    }

    /** The test's facts: inline, from its facts file, or sensed from its root. */
    static FactSet facts(PolicyTest t, RootFacts rootFacts) throws IOException {
        if (t.facts().isPresent()) {
            return FactSet.of(FactSchema.standard().conform(t.facts().get()), Map.of());
        }
        Path base = baseDir(t.file());
        if (t.factsFile().isPresent()) {
            if (base == null) {
                throw new IOException("spec.factsFile needs a test read from a file on disk");
            }
            Path f = base.resolve(t.factsFile().get());
            String name = f.getFileName().toString();
            ObjectMapper m = name.endsWith(".yaml") || name.endsWith(".yml") ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
            if (Files.size(f) > PolicyParser.MAX_FILE_BYTES) {
                throw new IOException(f + " is larger than " + PolicyParser.MAX_FILE_BYTES + " bytes");
            }
            Object tree = m.readValue(f.toFile(), Object.class);
            if (!(tree instanceof Map<?, ?> map)) {
                throw new IOException(f + " must hold one object of facts (platform, cpu, ...)");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> facts = (Map<String, Object>) map;
            return FactSet.of(FactSchema.standard().conform(facts), Map.of());
        }
        if (base == null) {
            throw new IOException("spec.root needs a test read from a file on disk");
        }
        if (rootFacts == null) {
            throw new IOException("spec.root needs the sensors; run it with 'chameleon policy test'");
        }
        return rootFacts.sense(base.resolve(t.root().orElseThrow()), t.commands().map(base::resolve).orElse(null));
    }

    private static Path baseDir(String file) {
        if (file.startsWith("pack:")) {
            return null;
        }
        Path p = Path.of(file).toAbsolutePath().getParent();
        return p;
    }
}
