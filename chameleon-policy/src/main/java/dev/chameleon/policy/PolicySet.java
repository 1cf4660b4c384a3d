package dev.chameleon.policy;

import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.PolicyMode;
import dev.chameleon.model.Reason;
import dev.chameleon.model.SettingKey;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A compiled, immutable set of policies: compile once, evaluate many times.
 *
 * <p>Compiling checks every document ({@link PolicyParser}), refuses duplicate policy names, and
 * refuses two policies that set the same key at the same priority (naming both files and lines).
 * Evaluating gives a {@link Evaluation}: per key, the setting of the highest-priority policy
 * whose condition holds, and the losers.
 */
public final class PolicySet {
    /** Where the built-in pack lives on the classpath; {@code index.txt} lists its files. */
    public static final String PACK = "/dev/chameleon/policy/pack/";
    /** The published JSON Schema of Policy, Profile and PolicyTest documents, on the classpath. */
    public static final String JSON_SCHEMA = "/dev/chameleon/policy/schema/policy.schema.json";

    private final List<Policy> policies;
    private final List<Profile> profiles;
    private final List<PolicyTest> tests;

    /** Indexes into {@code policies}, highest priority first, source order among equals. */
    private final int[] byPriority;
    private final Map<String, Integer> indexByName;

    private PolicySet(List<Policy> policies, List<Profile> profiles, List<PolicyTest> tests) {
        this.policies = List.copyOf(policies);
        this.profiles = List.copyOf(profiles);
        this.tests = List.copyOf(tests);
        Integer[] order = new Integer[this.policies.size()];
        Map<String, Integer> names = new HashMap<>();
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            names.put(this.policies.get(i).name(), i);
        }
        java.util.Arrays.sort(order, Comparator.comparingInt((Integer i) -> this.policies.get(i).priority()).reversed());
        this.byPriority = java.util.Arrays.stream(order).mapToInt(Integer::intValue).toArray();
        this.indexByName = Map.copyOf(names);
    }

    /**
     * The same compiled set with only the policies {@code keep} accepts (profiles are resolved
     * into policies already; tests are dropped). For the control plane's simulation, which
     * evaluates a candidate with only the policies that could decide the same settings.
     */
    public PolicySet restrictTo(java.util.function.Predicate<Policy> keep) {
        return new PolicySet(policies.stream().filter(keep).toList(), profiles, List.of());
    }

    /** The policies, in source order, each with its profiles' settings resolved into it. */
    public List<Policy> policies() {
        return policies;
    }

    /** The profiles, in source order. */
    public List<Profile> profiles() {
        return profiles;
    }

    /** The {@code kind: PolicyTest} documents found in the sources, in source order. */
    public List<PolicyTest> tests() {
        return tests;
    }

    /** A policy source: a name for messages and its text. */
    public record Source(String name, String text) {
    }

    /** The built-in pack's files, in index order. */
    public static List<Source> defaultPack() {
        List<Source> out = new ArrayList<>();
        try (InputStream idx = PolicySet.class.getResourceAsStream(PACK + "index.txt")) {
            if (idx == null) {
                throw new IllegalStateException("built-in policy pack index missing from the classpath");
            }
            for (String line : new String(idx.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                try (InputStream in = PolicySet.class.getResourceAsStream(PACK + line)) {
                    if (in == null) {
                        throw new IllegalStateException("built-in policy " + line + " missing from the classpath");
                    }
                    out.add(new Source("pack:" + line, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in policy pack", e);
        }
        return out;
    }

    /**
     * The {@code *.yaml} and {@code *.yml} files directly in a folder, sorted by name; a missing
     * or unreadable folder or file is a positioned error, not an exception.
     */
    public static List<Source> directory(Path dir, List<PolicyError> errors) {
        List<Source> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            errors.add(new PolicyError(dir.toString(), 0, 0, Files.exists(dir) ? "not a folder" : "no such folder", ""));
            return out;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> {
                String n = p.getFileName().toString();
                return (n.endsWith(".yaml") || n.endsWith(".yml")) && !n.startsWith(".");
            }).sorted(Comparator.comparing(Path::toString)).toList();
        } catch (IOException e) {
            errors.add(new PolicyError(dir.toString(), 0, 0, "cannot list folder: " + e.getMessage(), ""));
            return out;
        }
        for (Path f : files) {
            out.addAll(file(f, errors));
        }
        return out;
    }

    /** One policy file; errors (unreadable, too large) are collected. */
    public static List<Source> file(Path f, List<PolicyError> errors) {
        try {
            if (Files.size(f) > PolicyParser.MAX_FILE_BYTES) {
                errors.add(new PolicyError(f.toString(), 0, 0, "file is " + Files.size(f)
                        + " bytes; policy files are limited to " + PolicyParser.MAX_FILE_BYTES + " bytes", ""));
                return List.of();
            }
            byte[] bytes = Files.readAllBytes(f);
            return List.of(new Source(f.toString(), new String(bytes, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            errors.add(new PolicyError(f.toString(), 0, 0, "cannot read: " + e.getMessage(), ""));
            return List.of();
        }
    }

    /**
     * Compiles sources into a policy set: parses every document, resolves each policy's
     * profiles (with their includes), and checks names, cycles and conflicts.
     *
     * @throws PolicyException with every error found, each positioned
     */
    public static PolicySet compile(List<Source> sources) throws PolicyException {
        List<PolicyError> errors = new ArrayList<>();
        List<Policy> parsed = new ArrayList<>();
        List<Profile> profiles = new ArrayList<>();
        List<PolicyTest> tests = new ArrayList<>();
        List<PolicyError> warnings = new ArrayList<>();
        for (Source s : sources) {
            PolicyParser.Documents d = PolicyParser.parseDocuments(s.name(), s.text(), errors);
            warnings.addAll(d.warnings());
            parsed.addAll(d.policies());
            profiles.addAll(d.profiles());
            tests.addAll(d.tests());
        }
        Map<String, Policy> byName = new HashMap<>();
        for (Policy p : parsed) {
            Policy prev = byName.putIfAbsent(p.name(), p);
            if (prev != null) {
                errors.add(new PolicyError(p.file(), p.line(), 1, "policy name '" + p.name()
                        + "' is already used by " + prev.location(), ""));
            }
        }
        Map<String, Profile> profileByName = new LinkedHashMap<>();
        for (Profile p : profiles) {
            Profile prev = profileByName.putIfAbsent(p.name(), p);
            if (prev != null) {
                errors.add(new PolicyError(p.file(), p.line(), 1, "profile name '" + p.name()
                        + "' is already used by " + prev.location(), ""));
            }
        }
        for (Policy p : parsed) {
            ownDuplicates(p.name(), "policy", p.settings(), errors);
        }
        for (Profile p : profiles) {
            ownDuplicates(p.name(), "profile", p.settings(), errors);
        }
        Profiles resolver = new Profiles(profileByName, errors);
        List<Policy> all = new ArrayList<>();
        for (Policy p : parsed) {
            all.add(p.profiles().isEmpty() ? p : p.withSettings(resolver.apply(p)));
        }
        Map<String, Object[]> owners = new HashMap<>();
        for (Policy p : all) {
            for (SettingRule r : p.settings()) {
                String k = r.conflictKey() + "@" + p.priority();
                Object[] prev = owners.putIfAbsent(k, new Object[] {p, r});
                if (prev != null && prev[0] != p && r.select().isEmpty()) {
                    Policy q = (Policy) prev[0];
                    SettingRule qr = (SettingRule) prev[1];
                    // a setting from a profile is reported at the policy that applies the profile
                    boolean viaProfile = !r.profile().isEmpty();
                    errors.add(new PolicyError(viaProfile ? p.file() : r.file(), viaProfile ? p.line() : r.line(),
                            viaProfile ? 1 : r.column(), "conflict: policies " + q.name() + " (" + origin(q, qr) + ") and "
                            + p.name() + " (" + origin(p, r) + ") both set " + r.conflictKey() + " at priority "
                            + p.priority() + "; give one of them a different priority", ""));
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new PolicyException(fillExcerpts(errors, sources));
        }
        PolicySet set = new PolicySet(all, profiles, tests);
        set.warnings = fillExcerpts(warnings, sources);
        return set;
    }

    private List<PolicyError> warnings = List.of();

    /**
     * What {@code policy validate} warns about without refusing: a condition or selector that
     * reads a fact some machines do not report, without {@code has()}
     * ({@link Condition#unguardedOptionalReads()}), each at its position ({@code file:line:column}).
     */
    public List<PolicyError> warnings() {
        return warnings;
    }

    /** {@code file:line} of a setting, and for a profile's setting which profile and which policy applied it. */
    private static String origin(Policy p, SettingRule r) {
        String at = (r.file().isEmpty() ? p.file() : r.file()) + ":" + r.line();
        return r.profile().isEmpty() ? at : at + " in profile " + r.profile() + ", applied at " + p.location();
    }

    private static void ownDuplicates(String name, String what, List<SettingRule> rules, List<PolicyError> errors) {
        Map<String, SettingRule> own = new HashMap<>();
        for (SettingRule r : rules) {
            SettingRule dup = own.putIfAbsent(r.conflictKey(), r);
            if (dup != null && r.select().isEmpty()) {
                errors.add(new PolicyError(r.file(), r.line(), r.column(), what + " " + name + " sets "
                        + r.conflictKey() + " twice (also at line " + dup.line() + ")", ""));
            }
        }
    }

    private static List<PolicyError> fillExcerpts(List<PolicyError> errors, List<Source> sources) {
        Map<String, SourceText> texts = new HashMap<>();
        for (Source s : sources) {
            texts.put(s.name(), new SourceText(s.name(), s.text()));
        }
        List<PolicyError> out = new ArrayList<>();
        for (PolicyError e : errors) {
            SourceText t = texts.get(e.file());
            out.add(e.excerpt().isEmpty() && t != null ? t.error(e.line(), e.column(), e.message()) : e);
        }
        return out;
    }

    /** A condition's described facts, computed on first use (plan and explain read them; the fleet simulation does not). */
    private static final class LazyFacts extends java.util.AbstractList<String> {
        private final Condition condition;
        private final FactSet facts;
        private List<String> described;

        LazyFacts(Condition condition, FactSet facts) {
            this.condition = condition;
            this.facts = facts;
        }

        private java.util.Optional<Condition.FailedClause> failed;

        /** The first clause of a conjunction that did not hold ({@link Condition#failingClause}), on first use. */
        synchronized java.util.Optional<Condition.FailedClause> failed() {
            if (failed == null) {
                failed = condition.failingClause(facts);
            }
            return failed;
        }

        private synchronized List<String> described() {
            if (described == null) {
                described = List.copyOf(condition.describeFacts(facts, null, null));
            }
            return described;
        }

        @Override
        public String get(int index) {
            return described().get(index);
        }

        @Override
        public int size() {
            return described().size();
        }
    }

    /**
     * What one policy did in an evaluation.
     *
     * @param facts the facts its condition read, each {@code path = value}; for policies that did
     *              not match, computed when first read
     * @param hold  for a policy with {@code for:}, what its {@link ConditionHistory} decided, in words;
     *              empty for other policies
     */
    public record PolicyOutcome(Policy policy, boolean matched, String error, List<String> facts, String hold) {
        /** The outcome of a policy without {@code for:}. */
        public PolicyOutcome(Policy policy, boolean matched, String error, List<String> facts) {
            this(policy, matched, error, facts, "");
        }

        /**
         * For a policy that did not match, the first clause of its {@code when:} conjunction that
         * is false here ({@link Condition#failingClause}); empty for a match, or a condition that
         * is not a conjunction of two or more clauses. Computed on first call.
         */
        public java.util.Optional<Condition.FailedClause> failedClause() {
            return facts instanceof LazyFacts l ? l.failed() : java.util.Optional.empty();
        }
    }

    /** A setting that a lower-priority policy wanted and lost. */
    public record Overridden(DesiredSetting loser, DesiredSetting winner) {
    }

    /**
     * The result of evaluating a policy set against facts.
     *
     * @param desired    the winning setting per key, in policy order then written order
     * @param outcomes   every policy, matched or not, with evaluation errors
     * @param overridden settings that lost to a higher priority
     * @param modes      the winning policy's mode per key, as written ({@code apply-once}); {@link #mode} reads it
     * @param history    whether it was made with a {@link ConditionHistory} (the daemon's); without one a
     *                   {@code for:} policy's state is not known (it does not match, and is not put back)
     */
    public record Evaluation(List<DesiredSetting> desired, List<PolicyOutcome> outcomes, List<Overridden> overridden,
                             Map<SettingKey, String> modes, boolean history) {
        /** An evaluation made without history. */
        public Evaluation(List<DesiredSetting> desired, List<PolicyOutcome> outcomes, List<Overridden> overridden,
                          Map<SettingKey, String> modes) {
            this(desired, outcomes, overridden, modes, false);
        }

        /** The mode of the policy that won a key ({@link PolicyMode#ENFORCE} for a key no policy sets). */
        public PolicyMode mode(SettingKey key) {
            String m = modes.get(key);
            return m == null ? PolicyMode.ENFORCE : PolicyMode.parse(m).orElseThrow();
        }

        /** What an apply may change: the desired settings minus those of {@code audit} policies and advice. */
        public List<DesiredSetting> applicable() {
            return desired.stream().filter(d -> mode(d.key()) != PolicyMode.AUDIT && !isAdvice(d.key())).toList();
        }

        /** Whether a key is advice for a person ({@code advice:smt-off}), which nothing applies. */
        public static boolean isAdvice(SettingKey key) {
            return key.kind().equals(dev.chameleon.model.SettingEncodings.ADVICE);
        }

        /** The desired settings of {@code audit} policies: reported by plan, never applied. */
        public List<DesiredSetting> audited() {
            return desired.stream().filter(d -> mode(d.key()) == PolicyMode.AUDIT).toList();
        }
    }

    /**
     * Evaluates every policy against the facts without a {@link ConditionHistory}
     * ({@link ConditionHistory#none()}: a policy with {@code for:} does not match; its outcome says
     * why): what one-shot commands and the simulation decide.
     */
    public Evaluation evaluate(FactSet facts) {
        return evaluate(facts, ConditionHistory.none());
    }

    /**
     * Evaluates every policy against the facts, highest priority first, so that per key the
     * first matching policy wins and later ones are recorded as overridden. A policy with
     * {@code for:} matches as {@code history} judges it ({@link ConditionHistory#judge}), which this
     * call updates. Never throws for bad facts: errors are outcomes (a condition that fails counts
     * as not holding). Outcomes and desired settings come back in source order.
     */
    public Evaluation evaluate(FactSet facts, ConditionHistory history) {
        PolicyOutcome[] outcomes = new PolicyOutcome[policies.size()];
        Map<SettingKey, DesiredSetting> winners = new LinkedHashMap<>();
        Map<SettingKey, String> modes = new HashMap<>();
        List<Overridden> overridden = new ArrayList<>();
        Map<String, Object> vars = Condition.activation(facts);
        for (int i : byPriority) {
            Policy p = policies.get(i);
            Condition.Outcome o = p.when().evaluate(vars);
            boolean holds = o.holds();
            String hold = "";
            if (p.holdFor() != null) {
                ConditionHistory.Judgement j = history.judge(p, holds && o.error().isEmpty());
                holds = j.matched();
                hold = j.note();
            }
            if (!holds) {
                // most policies do not match: describe their facts only if someone asks
                outcomes[i] = new PolicyOutcome(p, false, o.error(), new LazyFacts(p.when(), facts), hold);
                continue;
            }
            List<String> used = p.when().describeFacts(facts, null, null);
            outcomes[i] = new PolicyOutcome(p, true, o.error(), used, hold);
            for (SettingRule r : p.settings()) {
                for (DesiredSetting d : expand(p, r, facts, vars, used)) {
                    DesiredSetting w = winners.putIfAbsent(d.key(), d);
                    if (w == null) {
                        modes.put(d.key(), p.mode().label());
                    } else {
                        overridden.add(new Overridden(d, w));
                    }
                }
            }
        }
        List<DesiredSetting> desired = new ArrayList<>(winners.values());
        // source order of the winning policy; the sort is stable, so written order within it stays
        desired.sort(Comparator.comparingInt((DesiredSetting d) -> indexOf(d.reason().policy())));
        return new Evaluation(desired, List.of(outcomes), overridden, modes, !history.isNone());
    }

    /**
     * Why a setting has its desired value.
     *
     * @param key        the setting asked about
     * @param winner     the desired setting and its reason, or empty when no matching policy sets it
     * @param mode       the winner's mode, or null when no matching policy sets it
     * @param losers     settings for the same key from matched policies that lost to the winner
     * @param unmatched  policies that would set the key but whose condition is false (or failed)
     */
    public record Explanation(SettingKey key, java.util.Optional<DesiredSetting> winner, PolicyMode mode,
                              List<DesiredSetting> losers, List<PolicyOutcome> unmatched) {
    }

    /** Explains one key against the facts (without a {@link ConditionHistory}): the winner, the losers, and the policies that did not match. */
    public Explanation explain(FactSet facts, SettingKey key) {
        return explain(evaluate(facts), key);
    }

    /** Explains one key from an evaluation already made (a pass's, with the daemon's history). */
    public Explanation explain(Evaluation ev, SettingKey key) {
        java.util.Optional<DesiredSetting> winner = ev.desired().stream().filter(d -> d.key().equals(key)).findFirst();
        List<DesiredSetting> losers = ev.overridden().stream().filter(o -> o.loser().key().equals(key))
                .map(Overridden::loser).toList();
        List<PolicyOutcome> unmatched = new ArrayList<>();
        for (PolicyOutcome o : ev.outcomes()) {
            if (!o.matched() && o.policy().settings().stream().anyMatch(r -> mentions(r, key))) {
                unmatched.add(o);
            }
        }
        return new Explanation(key, winner, winner.map(w -> ev.mode(key)).orElse(null), losers, unmatched);
    }

    private static boolean mentions(SettingRule r, SettingKey key) {
        if (!r.kind().equals(key.kind())) {
            return false;
        }
        return r.select().isEmpty() ? r.target().equals(key.target()) : key.target().endsWith("/" + r.target());
    }

    private int indexOf(String policy) {
        return indexByName.getOrDefault(policy, Integer.MAX_VALUE);
    }

    /** One rule's desired settings against facts, for tests of selectors. */
    static List<DesiredSetting> expandForTest(Policy p, SettingRule r, FactSet facts) {
        return expand(p, r, facts, Condition.activation(facts), List.of());
    }

    private static List<DesiredSetting> expand(Policy p, SettingRule r, FactSet facts, Map<String, Object> vars, List<String> used) {
        String where = (r.file().isEmpty() ? p.file() : r.file()) + ":" + r.line();
        if (r.select().isEmpty()) {
            return List.of(new DesiredSetting(new SettingKey(r.kind(), r.target()), r.value(),
                    new Reason(p.name(), where, p.priority(), p.when().text(), used, "")));
        }
        Condition sel = r.select().get();
        // The selector's element variable names the list it ranges over (disk: disks, nic: nics,
        // gpu: gpus); a bare Condition.always() from the parser means every disk.
        String element = sel.element() == null ? "disk" : sel.element();
        String list = FactSchema.standard().elements().get(element);
        List<DesiredSetting> out = new ArrayList<>();
        for (Object e : facts.getList(list)) {
            if (!(e instanceof Map<?, ?> m) || !(m.get("name") instanceof String name)) {
                continue;
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> value = (Map<String, Object>) m;
            Map<String, Object> withElement = new HashMap<>(vars);
            withElement.put(element, value);
            if (sel.evaluate(withElement).holds()) {
                List<String> why = new ArrayList<>(used);
                why.addAll(sel.describeFacts(facts, element, value));
                out.add(new DesiredSetting(new SettingKey(r.kind(), name + "/" + r.target()), r.value(),
                        new Reason(p.name(), where, p.priority(), p.when().text(), why, element + " " + name
                                + (sel.text().equals("true") ? "" : " (select: " + sel.text() + ")"))));
            }
        }
        return out;
    }
}
