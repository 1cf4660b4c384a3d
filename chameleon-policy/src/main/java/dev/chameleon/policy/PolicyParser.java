package dev.chameleon.policy;

import dev.chameleon.model.PolicyMode;
import dev.chameleon.model.SettingEncodings;
import dev.chameleon.policy.settings.SettingKind;
import dev.chameleon.policy.settings.SettingKinds;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.reader.ReaderException;

/**
 * Reads policy YAML into {@link Policy} values, keeping the position of every node so that each
 * error says {@code file:line:column} with a caret.
 *
 * <p>A file may hold several documents separated by {@code ---}, of the kinds {@code Policy},
 * {@link Profile} and {@link PolicyTest} (see {@code docs/policy-reference.md} and the JSON
 * Schema {@code schema/policy.schema.json}). A policy:
 * <pre>
 * apiVersion: chameleon/v1
 * kind: Policy
 * metadata: {name: NAME, description: TEXT}
 * spec:
 *   priority: 0..1000        # default 50
 *   mode: enforce|apply-once|audit
 *   when: CEL expression     # default true; type-checked against the FactSchema
 *   profiles: [NAME, ...]    # optional
 *   settings:
 *     - sysctl: {key: vm.swappiness, value: 10}
 *     - kernelModule: {name: vmw_pvscsi, state: loaded}
 *     - blockQueue: {select: 'disk.virtio', scheduler: none}
 * </pre>
 * Unknown keys, wrong types and bad values are errors; parsing never throws for bad input.
 */
public final class PolicyParser extends Syntax {
    /** Files larger than this (4 MiB) are refused before parsing. */
    public static final int MAX_FILE_BYTES = 4 << 20;
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");

    private static final Set<String> KINDS = Set.of("Policy", "Profile", "PolicyTest");
    /** The other kinds of Chameleon documents and the command that reads each. */
    public static final Map<String, String> OTHER_KINDS = Map.of(
            Tuning.KIND, "'chameleon tune FILE' reads it (docs/tuning.md)",
            HardwareProfile.KIND, "'chameleon hardware check --profile-file FILE --profile NAME' reads it (docs/hardware.md)");

    /** Which reader reads a file: the one rule, by the kind of its first document ({@link #readerOf}). */
    public enum Reader {
        /** {@code kind: Policy}, {@code Profile}, {@code PolicyTest}, anything else, and text that is not YAML: the policy reader says what is wrong. */
        POLICY,
        /** {@code kind: Tuning}: {@link TuningParser} (which refuses a later document of another kind at its kind). */
        TUNING,
        /** {@code kind: HardwareProfile}: {@link HardwareProfileParser}. */
        HARDWARE_PROFILE
    }

    /**
     * Which reader reads the file {@code text}: the reader of its first non-empty document's
     * plain-scalar {@code kind} ({@code Tuning}, {@code HardwareProfile}), else the policy reader
     * (other kinds, no kind, a kind that is not a plain value, an empty file, text that is not
     * YAML or is larger than {@link #MAX_FILE_BYTES}). Used by the engine's loader (a Tuning file
     * among the policies is read as a Tuning: {@code Engine.tuningSources}) and by
     * {@code chameleon policy validate}.
     */
    public static Reader readerOf(String text) {
        if (!text.contains(Tuning.KIND) && !text.contains(HardwareProfile.KIND)) {
            return Reader.POLICY; // the common case, without parsing
        }
        List<String> kinds = kinds(text);
        String first = kinds.isEmpty() ? null : kinds.get(0);
        if (Tuning.KIND.equals(first)) {
            return Reader.TUNING;
        }
        return HardwareProfile.KIND.equals(first) ? Reader.HARDWARE_PROFILE : Reader.POLICY;
    }

    /**
     * The {@code kind} of each document of {@code text}, in order (null for a document without a
     * plain {@code kind}); empty when the text is not YAML (the policy reader then says where).
     */
    static List<String> kinds(String text) {
        org.yaml.snakeyaml.LoaderOptions lo = new org.yaml.snakeyaml.LoaderOptions();
        lo.setMaxAliasesForCollections(20);
        lo.setNestingDepthLimit(40);
        lo.setCodePointLimit(MAX_FILE_BYTES);
        List<String> out = new ArrayList<>();
        try {
            for (Node doc : new org.yaml.snakeyaml.Yaml(lo).composeAll(new java.io.StringReader(text))) {
                String k = null;
                if (doc instanceof MappingNode m) {
                    for (NodeTuple t : m.getValue()) {
                        if (t.getKeyNode() instanceof ScalarNode key && key.getValue().equals("kind") && t.getValueNode() instanceof ScalarNode v) {
                            k = v.getValue();
                        }
                    }
                } else if (doc == null || doc instanceof ScalarNode sn && sn.getValue().isEmpty()) {
                    continue;
                }
                out.add(k);
            }
        } catch (RuntimeException e) {
            return List.of();
        }
        return out;
    }
    /** The setting kind of recommendations for people: planned and shown, never applied (it has no actuator). */
    public static final String ADVICE = SettingEncodings.ADVICE;

    private final List<Policy> policies = new ArrayList<>();
    private final List<Profile> profiles = new ArrayList<>();
    private final List<PolicyTest> tests = new ArrayList<>();

    /** The documents of one file, by kind, in written order. */
    /** @param warnings problems that do not stop the documents (see {@link PolicySet#warnings()}) */
    public record Documents(List<Policy> policies, List<Profile> profiles, List<PolicyTest> tests, List<PolicyError> warnings) {
    }

    /** Parses one file's policies (other kinds are read and checked, then left out); errors are collected. */
    public static List<Policy> parse(String fileName, String text, List<PolicyError> errors) {
        return parseDocuments(fileName, text, errors).policies();
    }

    /** Parses one file's documents of every kind; errors are collected into {@code errors}. */
    public static Documents parseDocuments(String fileName, String text, List<PolicyError> errors) {
        PolicyParser p = new PolicyParser();
        p.src = new SourceText(fileName, text);
        p.parseAll();
        errors.addAll(p.errors);
        return new Documents(List.copyOf(p.policies), List.copyOf(p.profiles), List.copyOf(p.tests), List.copyOf(p.warnings));
    }

    private void parseAll() {
        if (src.text().length() > MAX_FILE_BYTES) {
            errors.add(new PolicyError(src.name(), 0, 0, "file is " + src.text().length()
                    + " bytes; policy files are limited to " + MAX_FILE_BYTES + " bytes", ""));
            return;
        }
        LoaderOptions lo = new LoaderOptions();
        lo.setAllowDuplicateKeys(false);
        lo.setMaxAliasesForCollections(20);
        lo.setNestingDepthLimit(40);
        lo.setCodePointLimit(MAX_FILE_BYTES);
        lo.setAllowRecursiveKeys(false);
        Yaml yaml = new Yaml(lo);
        try {
            for (Node doc : yaml.composeAll(new StringReader(src.text()))) {
                if (doc == null || doc instanceof ScalarNode sn && sn.getTag().equals(Tag.NULL) && sn.getValue().isEmpty()) {
                    continue; // an empty document: a trailing (or doubled) '---', as Kubernetes and Ansible files often have
                }
                document(doc);
            }
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            if (e.getContext() != null) {
                problem = e.getContext() + ": " + problem;
            }
            errors.add(m == null ? new PolicyError(src.name(), 0, 0, "malformed YAML: " + problem, "")
                    : src.error(m.getLine() + 1, m.getColumn() + 1, "malformed YAML: " + oneLine(problem)));
        } catch (ReaderException e) {
            // A character YAML does not allow (NUL, other control characters): position it.
            int pos = Math.max(0, Math.min(e.getPosition(), src.text().length()));
            String before = src.text().substring(0, pos);
            int line = (int) before.chars().filter(c -> c == '\n').count() + 1;
            int col = pos - (before.lastIndexOf('\n') + 1) + 1;
            errors.add(src.error(line, col, "malformed YAML: character U+" + String.format("%04X", e.getCodePoint())
                    + " is not allowed in YAML"));
        } catch (YAMLException e) {
            errors.add(new PolicyError(src.name(), 0, 0, "malformed YAML: " + oneLine(String.valueOf(e.getMessage())), ""));
        } catch (RuntimeException e) {
            errors.add(new PolicyError(src.name(), 0, 0, "cannot read policy: " + e, ""));
        }
    }


    private void document(Node doc) {
        int errorsBefore = errors.size();
        Map<String, NodeTuple> top = mapping(doc, "the document", Set.of("apiVersion", "kind", "metadata", "spec"));
        if (top == null) {
            return;
        }
        for (String k : List.of("apiVersion", "kind", "metadata", "spec")) {
            if (!top.containsKey(k)) {
                err(doc, "missing '" + k + "' (a document has apiVersion, kind, metadata and spec)");
            }
        }
        String api = scalar(top, "apiVersion", "document", true);
        if (api != null && !api.equals("chameleon/v1")) {
            err(top.get("apiVersion").getValueNode(), "apiVersion '" + api + "' is not supported (expected chameleon/v1)");
        }
        String kind = scalar(top, "kind", "document", true);
        if (kind != null && OTHER_KINDS.containsKey(kind)) {
            err(top.get("kind").getValueNode(), "kind '" + kind + "' is not a policy document: " + OTHER_KINDS.get(kind)
                    + "; in a file of its own, 'chameleon policy validate' checks it with that reader");
            return;
        }
        if (kind != null && !KINDS.contains(kind)) {
            err(top.get("kind").getValueNode(), "kind '" + kind + "' is not supported (expected Policy, Profile or PolicyTest)");
            return;
        }
        if (kind == null) {
            return;
        }
        String name = null;
        String description = "";
        if (top.containsKey("metadata")) {
            Map<String, NodeTuple> md = mapping(top.get("metadata").getValueNode(), "metadata", Set.of("name", "description", "labels"));
            if (md != null) {
                name = scalar(md, "name", "metadata", true);
                if (name == null && !md.containsKey("name")) {
                    err(top.get("metadata").getValueNode(), "metadata.name is required");
                } else if (name != null && !NAME.matcher(name).matches()) {
                    err(md.get("name").getValueNode(), "metadata.name '" + name
                            + "' must be lower-case letters, digits, '-' and '.', 1-63 characters");
                }
                String d = scalar(md, "description", "metadata", false);
                description = d == null ? "" : d;
            }
        }
        if (!top.containsKey("spec")) {
            return;
        }
        Node specNode = top.get("spec").getValueNode();
        int line = doc.getStartMark().getLine() + 1;
        switch (kind) {
            case "Profile" -> profile(specNode, name, description, line, errorsBefore);
            case "PolicyTest" -> test(specNode, name, line, errorsBefore);
            default -> policy(specNode, name, description, line, errorsBefore);
        }
    }

    private void policy(Node specNode, String name, String description, int docLine, int errorsBefore) {
        int priority = 50;
        PolicyMode mode = PolicyMode.ENFORCE;
        Condition when = Condition.always();
        List<SettingRule> settings = new ArrayList<>();
        List<Ref> profileRefs = List.of();
        Map<String, NodeTuple> spec = mapping(specNode, "spec", Set.of("priority", "mode", "when", "for", "keepFor", "transient", "settings", "profiles"));
        if (spec == null) {
            return;
        }
        java.time.Duration holdFor = holdDuration(spec, "for");
        java.time.Duration keepFor = holdDuration(spec, "keepFor");
        if (keepFor != null && !spec.containsKey("for")) {
            err(spec.get("keepFor").getKeyNode(), "spec.keepFor only goes with spec.for (how long the condition must hold first)");
        }
        boolean transientMode = false;
        String tr = scalar(spec, "transient", "spec", true);
        if (tr != null) {
            if (!tr.equals("true") && !tr.equals("false")) {
                err(spec.get("transient").getValueNode(), "spec.transient must be true or false, found '" + tr + "'");
            } else {
                transientMode = tr.equals("true");
            }
        }
        String pr = scalar(spec, "priority", "spec", true);
        if (pr != null) {
            try {
                priority = Integer.parseInt(pr.strip());
                if (priority < 0 || priority > 1000) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                err(spec.get("priority").getValueNode(), "spec.priority must be a whole number from 0 to 1000, found '" + pr + "'");
            }
        }
        String md = scalar(spec, "mode", "spec", true);
        if (md != null) {
            if (PolicyMode.parse(md).isEmpty()) {
                err(spec.get("mode").getValueNode(), "spec.mode must be enforce, apply-once or audit, found '" + md + "'");
            } else {
                mode = PolicyMode.parse(md).get();
            }
        }
        if (spec.containsKey("when")) {
            Node w = spec.get("when").getValueNode();
            if (w instanceof ScalarNode ws) {
                Condition c = expression(ws, null, "spec.when");
                if (c != null) {
                    when = c;
                }
            } else {
                err(w, "spec.when must be a CEL expression (a string), found " + describe(w));
            }
        }
        if (spec.containsKey("profiles")) {
            profileRefs = names(spec.get("profiles").getValueNode(), "spec.profiles");
        }
        if (!spec.containsKey("settings")) {
            if (profileRefs.isEmpty()) {
                err(specNode, "spec.settings is required: the list of settings this policy wants (or spec.profiles to apply)");
            }
        } else {
            settings = settings(spec.get("settings").getValueNode(), "spec.settings");
        }
        if (transientMode) {
            recognisedUnitsOnly(settings);
        }
        if (errors.size() > errorsBefore || name == null) {
            return;
        }
        policies.add(new Policy(name, description, src.name(), docLine, priority, mode, when,
                settings.stream().map(r -> r.from(src.name(), "")).toList(), profileRefs, holdFor, keepFor, transientMode));
    }

    /**
     * A transient policy moves resource controls only between units Chameleon recognises (an
     * application's, or a distribution's batch job: {@link ResourceUnits}); another unit is an error
     * at its setting.
     */
    private void recognisedUnitsOnly(List<SettingRule> settings) {
        for (SettingRule r : settings) {
            int slash = r.target().lastIndexOf('/');
            if (!r.kind().equals("service") || slash < 0 || !ResourceUnits.CONTROLS.contains(r.target().substring(slash + 1))) {
                continue;
            }
            String unit = r.target().substring(0, slash);
            if (ResourceUnits.standard().ownerOf(unit).isEmpty()) {
                errors.add(src.error(r.line(), r.column(), "service " + unit + ": " + r.target().substring(slash + 1) + " in a transient policy "
                        + "needs the unit of a recognised application or a distribution's batch job (postgresql.service, "
                        + "redis-server.service, nginx.service, apt-daily.service, ...: resource-units.yaml); '" + ResourceUnits.unit(unit)
                        + "' is neither"));
                return;
            }
        }
    }

    /**
     * {@code spec.for} or {@code spec.keepFor} (a test's {@code holdingFor}): a duration with a
     * unit, Prometheus style ({@code 30s}, {@code 5m}, {@code 1h30m}), 0 to 24h
     * ({@link Durations#HOLD}); null when not written or wrong (an error).
     */
    private java.time.Duration holdDuration(Map<String, NodeTuple> spec, String key) {
        return duration(spec, key, "spec", Durations.HOLD, null);
    }

    private void profile(Node specNode, String name, String description, int docLine, int errorsBefore) {
        Map<String, NodeTuple> spec = mapping(specNode, "spec", Set.of("include", "settings"));
        if (spec == null) {
            return;
        }
        List<Ref> includes = spec.containsKey("include") ? names(spec.get("include").getValueNode(), "spec.include") : List.of();
        List<SettingRule> settings = List.of();
        if (spec.containsKey("settings")) {
            settings = settings(spec.get("settings").getValueNode(), "spec.settings");
        } else if (!spec.containsKey("include")) {
            err(specNode, "a profile needs spec.settings, spec.include or both");
        }
        if (errors.size() > errorsBefore || name == null) {
            return;
        }
        String n = name;
        profiles.add(new Profile(name, description, src.name(), docLine, includes,
                settings.stream().map(r -> r.from(src.name(), n)).toList()));
    }

    private List<SettingRule> settings(Node sl, String what) {
        List<SettingRule> settings = new ArrayList<>();
        if (!(sl instanceof SequenceNode seq)) {
            err(sl, what + " must be a list, found " + describe(sl));
            return settings;
        }
        if (seq.getValue().isEmpty()) {
            err(seq, what + " is empty; list at least one setting");
        }
        for (Node item : seq.getValue()) {
            if (isAdvice(item)) {
                SettingRule r = advice(item);
                if (r != null) {
                    settings.add(r);
                }
            } else {
                settings.addAll(setting(item));
            }
        }
        return settings;
    }

    private static boolean isAdvice(Node item) {
        return item instanceof MappingNode m && m.getValue().size() == 1
                && m.getValue().get(0).getKeyNode() instanceof ScalarNode k && k.getValue().equals(ADVICE);
    }

    /**
     * {@code - advice: {key: smt-off, text: "...", reboot: true}}: a recommendation for a person,
     * never applied (a change outside the guest, or one that needs a reboot). Kept apart from
     * {@link #setting} on purpose: it has no actuator.
     */
    private SettingRule advice(Node item) {
        Node body = ((MappingNode) item).getValue().get(0).getValueNode();
        Map<String, NodeTuple> m = mapping(body, ADVICE, Set.of("key", "text", "reboot"));
        if (m == null) {
            return null;
        }
        String key = scalar(m, "key", ADVICE, true);
        String text = scalar(m, "text", ADVICE, true);
        String reboot = scalar(m, "reboot", ADVICE, true);
        if (!m.containsKey("key") || !m.containsKey("text")) {
            err(body, "advice needs a key and a text, e.g. {key: smt-off, text: 'Turn SMT off', reboot: true}");
            return null;
        }
        if (key == null || text == null) {
            return null;
        }
        if (!NAME.matcher(key).matches()) {
            err(m.get("key").getValueNode(), "advice.key '" + key + "' must be lower-case letters, digits, '-' and '.'");
            return null;
        }
        if (reboot != null && !reboot.equals("true") && !reboot.equals("false")) {
            err(m.get("reboot").getValueNode(), "advice.reboot must be true or false, found '" + reboot + "'");
            return null;
        }
        String value = oneLine(text) + ("true".equals(reboot) ? " (needs a reboot)" : "");
        return new SettingRule(ADVICE, key, value, Optional.empty(), item.getStartMark().getLine() + 1, item.getStartMark().getColumn() + 1);
    }

    /** A list of names ({@code [virtual-guest, throughput]}), each with its position. */
    private List<Ref> names(Node n, String what) {
        List<Ref> out = new ArrayList<>();
        if (!(n instanceof SequenceNode seq)) {
            err(n, what + " must be a list of names, found " + describe(n));
            return out;
        }
        for (Node item : seq.getValue()) {
            if (!(item instanceof ScalarNode s) || !NAME.matcher(s.getValue()).matches()) {
                err(item, what + ": " + describe(item) + " is not a name");
                continue;
            }
            out.add(new Ref(s.getValue(), item.getStartMark().getLine() + 1, item.getStartMark().getColumn() + 1));
        }
        return out;
    }

    private void test(Node specNode, String name, int docLine, int errorsBefore) {
        Map<String, NodeTuple> spec = mapping(specNode, "spec", Set.of("facts", "factsFile", "root", "commands", "holdingFor", "expect", "absent"));
        if (spec == null) {
            return;
        }
        java.time.Duration holding = holdDuration(spec, "holdingFor");
        Optional<Map<String, Object>> facts = Optional.empty();
        if (spec.containsKey("facts")) {
            Node f = spec.get("facts").getValueNode();
            if (!(f instanceof MappingNode)) {
                err(f, "spec.facts must be a mapping of facts (platform, cpu, ...), found " + describe(f));
            } else {
                @SuppressWarnings("unchecked")
                Map<String, Object> m = (Map<String, Object>) plain(f);
                facts = Optional.of(m);
            }
        }
        Optional<String> factsFile = Optional.ofNullable(scalar(spec, "factsFile", "spec", true));
        Optional<String> root = Optional.ofNullable(scalar(spec, "root", "spec", true));
        Optional<String> commands = Optional.ofNullable(scalar(spec, "commands", "spec", true));
        int given = (facts.isPresent() ? 1 : 0) + (factsFile.isPresent() ? 1 : 0) + (root.isPresent() ? 1 : 0);
        if (given != 1) {
            err(specNode, "a policy test needs exactly one of spec.facts, spec.factsFile or spec.root");
        }
        if (commands.isPresent() && root.isEmpty()) {
            err(spec.get("commands").getKeyNode(), "spec.commands only goes with spec.root");
        }
        List<PolicyTest.Expectation> expect = new ArrayList<>();
        if (spec.containsKey("expect")) {
            Node e = spec.get("expect").getValueNode();
            if (!(e instanceof MappingNode em)) {
                err(e, "spec.expect must map setting keys to values (sysctl:vm.swappiness: 10), found " + describe(e));
            } else {
                for (NodeTuple t : em.getValue()) {
                    expectation(t, expect);
                }
            }
        }
        List<Ref> absent = List.of();
        if (spec.containsKey("absent")) {
            absent = new ArrayList<>();
            Node a = spec.get("absent").getValueNode();
            if (!(a instanceof SequenceNode as)) {
                err(a, "spec.absent must be a list of setting keys, found " + describe(a));
            } else {
                for (Node item : as.getValue()) {
                    if (item instanceof ScalarNode s && settingKey(s)) {
                        absent.add(new Ref(s.getValue(), item.getStartMark().getLine() + 1, item.getStartMark().getColumn() + 1));
                    } else if (!(item instanceof ScalarNode)) {
                        err(item, "spec.absent: " + describe(item) + " is not a setting key");
                    }
                }
            }
        }
        if (expect.isEmpty() && absent.isEmpty() && errors.size() == errorsBefore) {
            err(specNode, "a policy test needs spec.expect, spec.absent or both");
        }
        if (errors.size() > errorsBefore || name == null) {
            return;
        }
        tests.add(new PolicyTest(name, src.name(), docLine, facts, factsFile, root, commands, expect, absent, Optional.ofNullable(holding)));
    }

    private boolean settingKey(ScalarNode s) {
        String k = s.getValue();
        int i = k.indexOf(':');
        if (i <= 0 || i == k.length() - 1) {
            err(s, "'" + k + "' is not a setting key (expected kind:target, e.g. sysctl:vm.swappiness)");
            return false;
        }
        return true;
    }

    private void expectation(NodeTuple t, List<PolicyTest.Expectation> out) {
        if (!(t.getKeyNode() instanceof ScalarNode k) || !settingKey(k)) {
            if (!(t.getKeyNode() instanceof ScalarNode)) {
                err(t.getKeyNode(), "spec.expect keys must be setting keys");
            }
            return;
        }
        int line = k.getStartMark().getLine() + 1;
        int col = k.getStartMark().getColumn() + 1;
        Node v = t.getValueNode();
        if (v instanceof ScalarNode s) {
            out.add(new PolicyTest.Expectation(k.getValue(), s.getValue(), Optional.empty(), Optional.empty(), line, col));
            return;
        }
        Map<String, NodeTuple> m = mapping(v, "spec.expect." + k.getValue(), Set.of("value", "policy", "mode"));
        if (m == null) {
            return;
        }
        String value = scalar(m, "value", "spec.expect." + k.getValue(), false);
        if (value == null) {
            if (!m.containsKey("value")) {
                err(v, "spec.expect." + k.getValue() + " needs a value");
            }
            return;
        }
        out.add(new PolicyTest.Expectation(k.getValue(), value,
                Optional.ofNullable(scalar(m, "policy", "spec.expect." + k.getValue(), true)),
                Optional.ofNullable(scalar(m, "mode", "spec.expect." + k.getValue(), true)), line, col));
    }

    /** A YAML node as plain fact values: int → Long, float → Double, bool → Boolean, else text. */
    private static Object plain(Node n) {
        if (n instanceof MappingNode m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (NodeTuple t : m.getValue()) {
                String key = t.getKeyNode() instanceof ScalarNode k ? k.getValue() : String.valueOf(plain(t.getKeyNode()));
                Object v = plain(t.getValueNode());
                if (v != null) {
                    out.put(key, v);
                }
            }
            return out;
        }
        if (n instanceof SequenceNode s) {
            List<Object> out = new ArrayList<>();
            for (Node item : s.getValue()) {
                Object v = plain(item);
                if (v != null) {
                    out.add(v);
                }
            }
            return out;
        }
        ScalarNode s = (ScalarNode) n;
        String v = s.getValue();
        try {
            if (Tag.INT.equals(s.getTag())) {
                return v.startsWith("0x") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v.replace("_", ""));
            }
            if (Tag.FLOAT.equals(s.getTag())) {
                return Double.parseDouble(v.replace("_", ""));
            }
        } catch (NumberFormatException e) {
            return v;
        }
        if (Tag.BOOL.equals(s.getTag())) {
            return Boolean.parseBoolean(v.toLowerCase(java.util.Locale.ROOT));
        }
        if (Tag.NULL.equals(s.getTag())) {
            return null;
        }
        return v;
    }


    /** Every setting kind a policy may use, in the order error messages list them ({@link SettingKinds}). */
    public static final List<String> SETTING_KINDS = SettingKinds.names();

    /**
     * One item of {@code spec.settings}, read by its kind ({@link SettingKind}); a single item may
     * yield several rules (a service's state, enablement and resource controls). Empty after an
     * error, which is recorded with its position.
     */
    private List<SettingRule> setting(Node item) {
        Map<String, NodeTuple> one = mapping(item, "a setting", Set.copyOf(SETTING_KINDS));
        if (one == null) {
            return List.of();
        }
        if (one.size() != 1) {
            if (one.size() > 1) {
                err(item, "a setting has exactly one kind (" + String.join(", ", SETTING_KINDS) + "), found " + String.join(", ", one.keySet()));
            } else if (((MappingNode) item).getValue().isEmpty()) {
                err(item, "empty setting; expected one of " + String.join(", ", SETTING_KINDS));
            }
            return List.of();
        }
        String kind = one.keySet().iterator().next();
        Node body = one.get(kind).getValueNode();
        int errorsBefore = errors.size();
        List<SettingRule> out = new ArrayList<>();
        SettingKinds.named(kind).orElseThrow().read(this, body,
                new SettingKind.Rules(kind, item.getStartMark().getLine() + 1, item.getStartMark().getColumn() + 1, out));
        return errors.size() > errorsBefore ? List.of() : out;
    }


    /** {@code 2M} → {@code 2048kB}, {@code 1G} → {@code 1048576kB}, {@code 2048kB} as is; null when not a size. */
}
