package dev.chameleon.policy;

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
public final class PolicyParser {
    /** Files larger than this (4 MiB) are refused before parsing. */
    public static final int MAX_FILE_BYTES = 4 << 20;
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");
    private static final Pattern SYSCTL_KEY = Pattern.compile("[a-z0-9_]+([./][a-zA-Z0-9_*@:-]+)+");
    private static final Pattern MODULE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");
    /** Longest setting value accepted, in characters. */
    static final int MAX_VALUE_CHARS = 4096;
    private static final Pattern SCHEDULER = Pattern.compile("[a-z0-9_-]{1,32}");

    private static final Set<String> KINDS = Set.of("Policy", "Profile", "PolicyTest");
    /** The setting kind of recommendations for people: planned and shown, never applied. */
    public static final String ADVICE = "advice";

    private final List<PolicyError> errors = new ArrayList<>();
    private final List<Policy> policies = new ArrayList<>();
    private final List<Profile> profiles = new ArrayList<>();
    private final List<PolicyTest> tests = new ArrayList<>();
    private SourceText src;

    /** The documents of one file, by kind, in written order. */
    public record Documents(List<Policy> policies, List<Profile> profiles, List<PolicyTest> tests) {
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
        return new Documents(List.copyOf(p.policies), List.copyOf(p.profiles), List.copyOf(p.tests));
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

    private static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }

    private PolicyError err(Node n, String message) {
        PolicyError e = src.error(n.getStartMark().getLine() + 1, n.getStartMark().getColumn() + 1, message);
        errors.add(e);
        return e;
    }

    private Map<String, NodeTuple> mapping(Node n, String what, Set<String> allowed) {
        if (!(n instanceof MappingNode m)) {
            err(n, what + " must be a mapping, found " + describe(n));
            return null;
        }
        Map<String, NodeTuple> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            if (!(t.getKeyNode() instanceof ScalarNode k)) {
                err(t.getKeyNode(), "keys in " + what + " must be plain words");
                continue;
            }
            if (out.containsKey(k.getValue())) {
                err(k, "duplicate key '" + k.getValue() + "' in " + what + " (also at line "
                        + (out.get(k.getValue()).getKeyNode().getStartMark().getLine() + 1) + ")");
                continue;
            }
            if (!allowed.contains(k.getValue())) {
                err(k, "unknown key '" + k.getValue() + "' in " + what + " (allowed: " + String.join(", ", sorted(allowed)) + ")");
                continue;
            }
            out.put(k.getValue(), t);
        }
        return out;
    }

    private static List<String> sorted(Set<String> s) {
        List<String> l = new ArrayList<>(s);
        l.sort(null);
        return l;
    }

    private static String describe(Node n) {
        if (n instanceof ScalarNode s) {
            return "'" + (s.getValue().length() > 40 ? s.getValue().substring(0, 40) + "…" : s.getValue()) + "'";
        }
        return n instanceof MappingNode ? "a mapping" : n instanceof SequenceNode ? "a list" : "something else";
    }

    private String scalar(Map<String, NodeTuple> m, String key, String what, boolean required) {
        NodeTuple t = m.get(key);
        if (t == null) {
            return null;
        }
        if (!(t.getValueNode() instanceof ScalarNode s)) {
            err(t.getValueNode(), what + "." + key + " must be a single value, found " + describe(t.getValueNode()));
            return null;
        }
        if (required && s.getValue().isBlank()) {
            err(s, what + "." + key + " must not be empty");
            return null;
        }
        return s.getValue();
    }

    /**
     * A setting's value: a number or a word, not empty, not null, not a YAML boolean (write 1 or 0,
     * or quote the word), at most {@link #MAX_VALUE_CHARS} characters.
     */
    private String settingValue(Map<String, NodeTuple> m, String key, String what) {
        NodeTuple t = m.get(key);
        if (t == null) {
            return null;
        }
        if (!(t.getValueNode() instanceof ScalarNode s)) {
            err(t.getValueNode(), what + "." + key + " must be a single value, found " + describe(t.getValueNode()));
            return null;
        }
        if (s.getTag().equals(org.yaml.snakeyaml.nodes.Tag.NULL) || s.getValue().isBlank()) {
            err(s, what + "." + key + " is empty; give the value to set");
            return null;
        }
        if (s.getTag().equals(org.yaml.snakeyaml.nodes.Tag.BOOL)) {
            err(s, what + "." + key + " is the YAML boolean " + s.getValue() + "; kernel settings take 1 or 0 (quote it to mean the word)");
            return null;
        }
        if (s.getValue().length() > MAX_VALUE_CHARS) {
            err(s, what + "." + key + " is " + s.getValue().length() + " characters long; values are limited to " + MAX_VALUE_CHARS);
            return null;
        }
        return s.getValue();
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
        String mode = "enforce";
        Condition when = Condition.always();
        List<SettingRule> settings = new ArrayList<>();
        List<Ref> profileRefs = List.of();
        Map<String, NodeTuple> spec = mapping(specNode, "spec", Set.of("priority", "mode", "when", "settings", "profiles"));
        if (spec == null) {
            return;
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
            if (!Policy.MODES.contains(md)) {
                err(spec.get("mode").getValueNode(), "spec.mode must be enforce, apply-once or audit, found '" + md + "'");
            } else {
                mode = md;
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
        if (errors.size() > errorsBefore || name == null) {
            return;
        }
        policies.add(new Policy(name, description, src.name(), docLine, priority, mode, when,
                settings.stream().map(r -> r.from(src.name(), "")).toList(), profileRefs));
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
        Map<String, NodeTuple> spec = mapping(specNode, "spec", Set.of("facts", "factsFile", "root", "commands", "expect", "absent"));
        if (spec == null) {
            return;
        }
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
        tests.add(new PolicyTest(name, src.name(), docLine, facts, factsFile, root, commands, expect, absent));
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

    private Condition expression(ScalarNode node, String element, String what) {
        String text = node.getValue();
        if (text.isBlank()) {
            err(node, what + " is empty; leave it out for 'always'");
            return null;
        }
        Condition.Result r;
        try {
            r = Condition.compile(text, element);
        } catch (RuntimeException e) {
            err(node, what + ": cannot compile: " + e.getMessage());
            return null;
        }
        if (r.condition() != null) {
            return r.condition();
        }
        for (Condition.ExprError e : r.errors()) {
            int[] at = sourcePosition(node, e.line(), e.column());
            errors.add(src.error(at[0], at[1], what + ": " + oneLine(e.message())));
        }
        return null;
    }

    /**
     * Maps a 1-based line and column inside a scalar's value back to the file. YAML may have
     * folded the value (folded and plain scalars join lines with a space, block scalars drop the
     * indentation), so the value's characters are matched in order against the source, skipping
     * what folding removed.
     */
    private int[] sourcePosition(ScalarNode node, int line, int column) {
        String value = node.getValue();
        int k = 0;
        for (int l = 1; l < line && k < value.length(); k++) {
            if (value.charAt(k) == '\n') {
                l++;
            }
        }
        k = Math.min(value.length() - 1, k + Math.max(0, column - 1));
        String text = src.text();
        int p = offsetOf(node.getStartMark().getLine(), node.getStartMark().getColumn());
        DumperOptions.ScalarStyle style = node.getScalarStyle();
        if (style == DumperOptions.ScalarStyle.LITERAL || style == DumperOptions.ScalarStyle.FOLDED) {
            int nl = text.indexOf('\n', p);
            p = nl < 0 ? text.length() : nl + 1;
        } else if (style == DumperOptions.ScalarStyle.SINGLE_QUOTED || style == DumperOptions.ScalarStyle.DOUBLE_QUOTED) {
            p++;
        }
        for (int i = 0; i <= k && p < text.length(); i++) {
            char c = value.charAt(i);
            while (p < text.length() && text.charAt(p) != c && (Character.isWhitespace(text.charAt(p)) || Character.isWhitespace(c)
                    || text.charAt(p) == '\'' || text.charAt(p) == '"' || text.charAt(p) == '\\')) {
                p++;
            }
            if (i < k) {
                p++;
            }
        }
        if (p >= text.length()) {
            return new int[] {node.getStartMark().getLine() + 1, node.getStartMark().getColumn() + 1};
        }
        String before = text.substring(0, p);
        int outLine = (int) before.chars().filter(ch -> ch == '\n').count() + 1;
        return new int[] {outLine, p - (before.lastIndexOf('\n') + 1) + 1};
    }

    /** The char offset of a 0-based line and column in the source. */
    private int offsetOf(int line, int column) {
        String text = src.text();
        int p = 0;
        for (int l = 0; l < line && p >= 0; l++) {
            p = text.indexOf('\n', p) + 1;
            if (p == 0) {
                return text.length();
            }
        }
        return Math.min(text.length(), p + column);
    }

    /** Every setting kind a policy may use, in the order error messages list them. */
    public static final List<String> SETTING_KINDS = List.of("sysctl", "sysfs", "blockQueue", "hugepages", "kernelModule", "service", "file",
            "kernelCmdline", "tunedProfile", "nic", "package");
    private static final Pattern SYSFS_KNOB = Pattern.compile("thp\\.enabled|thp\\.defrag|cpu\\.governor|cpu\\.epp|smt\\.control");
    private static final Pattern WORD = Pattern.compile("[A-Za-z0-9_.+-]{1,64}");
    private static final Pattern NUMBER = Pattern.compile("(>=|<=)?\\s*\\d{1,18}");
    private static final Pattern UNIT = Pattern.compile("[A-Za-z0-9@_.:\\\\-]{1,255}");
    private static final Pattern IFACE = Pattern.compile("[A-Za-z0-9_.:@-]{1,15}");
    private static final Pattern PACKAGE = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9+._-]{0,127}");

    /**
     * One item of {@code spec.settings}; a single item may yield several rules (a service's state,
     * enablement and resource controls). Empty after an error, which is recorded with its position.
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
        int line = item.getStartMark().getLine() + 1;
        int col = item.getStartMark().getColumn() + 1;
        int errorsBefore = errors.size();
        List<SettingRule> out = new ArrayList<>();
        switch (kind) {
            case "sysctl" -> sysctl(body, out, line, col);
            case "sysfs" -> {
                Map<String, NodeTuple> m = mapping(body, "sysfs", Set.of("knob", "value"));
                String knob = m == null ? null : required(m, body, "knob", "sysfs", "{knob: thp.enabled, value: madvise}");
                String value = m == null ? null : required(m, body, "value", "sysfs", "{knob: thp.enabled, value: madvise}");
                if (knob != null && !SYSFS_KNOB.matcher(knob).matches()) {
                    err(m.get("knob").getValueNode(), "'" + knob + "' is not a sysfs knob Chameleon manages (thp.enabled, thp.defrag, "
                            + "cpu.governor, cpu.epp, smt.control)");
                } else if (knob != null && value != null && word(m, "value", value, "sysfs.value")) {
                    out.add(new SettingRule("sysfs", knob, value, Optional.empty(), line, col));
                }
            }
            case "hugepages" -> {
                Map<String, NodeTuple> m = mapping(body, "hugepages", Set.of("size", "count"));
                String size = m == null ? null : required(m, body, "size", "hugepages", "{size: 2M, count: 512}");
                String count = m == null ? null : number(m, "count", "hugepages", true);
                if (!(m != null && m.containsKey("count"))) {
                    err(body, "hugepages needs a count, e.g. {size: 2M, count: 512}");
                }
                String kb = size == null ? null : pageSize(size);
                if (size != null && kb == null) {
                    err(m.get("size").getValueNode(), "'" + size + "' is not a huge page size (2M, 1G or 2048kB)");
                } else if (kb != null && count != null) {
                    out.add(new SettingRule("hugepages", kb, count, Optional.empty(), line, col));
                }
            }
            case "kernelModule" -> kernelModule(body, out, line, col);
            case "service" -> service(body, out, line, col);
            case "file" -> file(body, out, line, col);
            case "kernelCmdline" -> {
                Map<String, NodeTuple> m = mapping(body, "kernelCmdline", Set.of("arg", "state"));
                String arg = m == null ? null : required(m, body, "arg", "kernelCmdline", "{arg: mitigations=off, state: present}");
                String state = m == null ? null : scalar(m, "state", "kernelCmdline", true);
                if (arg != null && !arg.matches("[A-Za-z0-9_.,:=/+-]{1,200}")) {
                    err(m.get("arg").getValueNode(), "'" + arg + "' is not a plain kernel argument (letters, digits, _ . , : = / + -)");
                } else if (state != null && !state.equals("present") && !state.equals("absent")) {
                    err(m.get("state").getValueNode(), "kernelCmdline.state must be present or absent, found '" + state + "'");
                } else if (arg != null) {
                    out.add(new SettingRule("kernelCmdline", arg, state == null ? "present" : state, Optional.empty(), line, col));
                }
            }
            case "tunedProfile" -> {
                Map<String, NodeTuple> m = mapping(body, "tunedProfile", Set.of("profile"));
                String profile = m == null ? null : required(m, body, "profile", "tunedProfile", "{profile: virtual-guest}");
                if (profile != null && word(m, "profile", profile, "tunedProfile.profile")) {
                    out.add(new SettingRule("tunedProfile", "active", profile, Optional.empty(), line, col));
                }
            }
            case "nic" -> nic(body, out, line, col);
            case "package" -> {
                Map<String, NodeTuple> m = mapping(body, "package", Set.of("name", "state", "optIn"));
                String name = m == null ? null : required(m, body, "name", "package", "{name: nginx, state: installed, optIn: true}");
                String state = m == null ? null : scalar(m, "state", "package", true);
                String optIn = m == null ? null : scalar(m, "optIn", "package", true);
                if (m != null && !"true".equals(optIn)) {
                    err(m.containsKey("optIn") ? m.get("optIn").getValueNode() : body, "package settings install or remove software; "
                            + "say so explicitly with optIn: true");
                } else if (name != null && !PACKAGE.matcher(name).matches()) {
                    err(m.get("name").getValueNode(), "'" + name + "' is not a package name");
                } else if (state != null && !state.equals("installed") && !state.equals("absent")) {
                    err(m.get("state").getValueNode(), "package.state must be installed or absent, found '" + state + "'");
                } else if (name != null) {
                    out.add(new SettingRule("package", name, state == null ? "installed" : state, Optional.empty(), line, col));
                }
            }
            default -> blockQueue(body, out, line, col);
        }
        return errors.size() > errorsBefore ? List.of() : out;
    }

    private String required(Map<String, NodeTuple> m, Node body, String key, String kind, String example) {
        if (!m.containsKey(key)) {
            err(body, kind + " needs " + (key.matches("[aeiou].*") ? "an " : "a ") + key + ", e.g. " + example);
            return null;
        }
        return scalar(m, key, kind, true);
    }

    private boolean word(Map<String, NodeTuple> m, String key, String value, String what) {
        if (!WORD.matcher(value).matches()) {
            err(m.get(key).getValueNode(), what + " must be one word (letters, digits, _ . + -), found '" + value + "'");
            return false;
        }
        return true;
    }

    /**
     * A whole number, {@code ">=N"} / {@code "<=N"}, or {@code {atLeast: N}} / {@code {atMost: N}};
     * returned as {@code N}, {@code >=N} or {@code <=N}.
     */
    private String number(Map<String, NodeTuple> m, String key, String what, boolean relativeAllowed) {
        NodeTuple t = m.get(key);
        if (t == null) {
            return null;
        }
        Node v = t.getValueNode();
        if (v instanceof MappingNode && relativeAllowed) {
            Map<String, NodeTuple> r = mapping(v, what + "." + key, Set.of("atLeast", "atMost"));
            if (r == null || r.size() != 1) {
                if (r != null) {
                    err(v, what + "." + key + " takes one of atLeast or atMost, e.g. {atLeast: 4096}");
                }
                return null;
            }
            String which = r.keySet().iterator().next();
            String n = scalar(r, which, what + "." + key, true);
            if (n == null || !n.strip().matches("\\d{1,18}")) {
                if (n != null) {
                    err(r.get(which).getValueNode(), what + "." + key + "." + which + " must be a whole number, found '" + n + "'");
                }
                return null;
            }
            return (which.equals("atLeast") ? ">=" : "<=") + n.strip();
        }
        String n = scalar(m, key, what, true);
        if (n == null) {
            return null;
        }
        if (!NUMBER.matcher(n.strip()).matches() || (!relativeAllowed && !n.strip().matches("\\d+"))) {
            err(v, what + "." + key + " must be a whole number" + (relativeAllowed ? " (or {atLeast: N}, {atMost: N})" : "") + ", found '" + n + "'");
            return null;
        }
        return n.strip().replaceAll("\\s+", "");
    }

    /** {@code 2M} → {@code 2048kB}, {@code 1G} → {@code 1048576kB}, {@code 2048kB} as is; null when not a size. */
    static String pageSize(String s) {
        var m = Pattern.compile("(\\d{1,9})\\s*(kB|K|M|G)").matcher(s.strip());
        if (!m.matches()) {
            return null;
        }
        long n = Long.parseLong(m.group(1));
        long kb = switch (m.group(2)) {
            case "M" -> n * 1024;
            case "G" -> n * 1024 * 1024;
            default -> n;
        };
        return kb + "kB";
    }

    private void sysctl(Node body, List<SettingRule> out, int line, int col) {
        Map<String, NodeTuple> m = mapping(body, "sysctl", Set.of("key", "value", "persist"));
        if (m == null) {
            return;
        }
        String key = scalar(m, "key", "sysctl", true);
        if (!m.containsKey("key")) {
            err(body, "sysctl needs a key, e.g. {key: vm.swappiness, value: 10}");
        }
        if (!m.containsKey("value")) {
            err(body, "sysctl needs a value, e.g. {key: vm.swappiness, value: 10}");
        }
        String value;
        if (m.containsKey("value") && m.get("value").getValueNode() instanceof MappingNode) {
            value = number(m, "value", "sysctl", true);
        } else {
            value = settingValue(m, "value", "sysctl");
        }
        String persist = scalar(m, "persist", "sysctl", true);
        if (persist != null && !persist.equals("true") && !persist.equals("false")) {
            err(m.get("persist").getValueNode(), "sysctl.persist must be true or false, found '" + persist + "'");
            return;
        }
        if (key == null || value == null) {
            return;
        }
        if (!SYSCTL_KEY.matcher(key).matches()) {
            err(m.get("key").getValueNode(), "'" + key + "' is not a sysctl key (expected dotted words such as net.core.somaxconn)");
            return;
        }
        String k = key.replace('/', '.');
        String v = value.strip().replaceAll("\\s+", " ");
        out.add(new SettingRule("sysctl", k, v, Optional.empty(), line, col));
        if ("true".equals(persist)) {
            out.add(new SettingRule("sysctl", "persist/" + k, v, Optional.empty(), line, col));
        }
    }

    private void kernelModule(Node body, List<SettingRule> out, int line, int col) {
        Map<String, NodeTuple> m = mapping(body, "kernelModule", Set.of("name", "state", "options", "blacklist"));
        if (m == null) {
            return;
        }
        String name = required(m, body, "name", "kernelModule", "{name: vmw_pvscsi, state: loaded}");
        if (name == null) {
            return;
        }
        if (!MODULE.matcher(name).matches()) {
            err(m.get("name").getValueNode(), "'" + name + "' is not a kernel module name");
            return;
        }
        String n = name.replace('-', '_');
        String state = scalar(m, "state", "kernelModule", true);
        String options = scalar(m, "options", "kernelModule", false);
        String blacklist = scalar(m, "blacklist", "kernelModule", true);
        if (state != null && !state.equals("loaded") && !state.equals("unloaded")) {
            err(m.get("state").getValueNode(), "kernelModule.state must be loaded or unloaded, found '" + state + "'");
            return;
        }
        if (blacklist != null && !blacklist.equals("true") && !blacklist.equals("false")) {
            err(m.get("blacklist").getValueNode(), "kernelModule.blacklist must be true or false, found '" + blacklist + "'");
            return;
        }
        if (options != null && !options.strip().matches("([A-Za-z0-9_]+(=[A-Za-z0-9_.,:+-]*)?\\s*)*")) {
            err(m.get("options").getValueNode(), "kernelModule.options must be name=value words, found '" + options + "'");
            return;
        }
        if (state != null || (options == null && blacklist == null)) {
            out.add(new SettingRule("kernelModule", n, state == null ? "loaded" : state, Optional.empty(), line, col));
        }
        if (options != null) {
            out.add(new SettingRule("kernelModule", n + "/options", options.isBlank() ? "absent" : options.strip().replaceAll("\\s+", " "),
                    Optional.empty(), line, col));
        }
        if (blacklist != null) {
            out.add(new SettingRule("kernelModule", n + "/blacklist", blacklist.equals("true") ? "yes" : "no", Optional.empty(), line, col));
        }
    }

    private void service(Node body, List<SettingRule> out, int line, int col) {
        Set<String> keys = Set.of("name", "state", "enabled", "masked", "CPUWeight", "IOWeight", "MemoryHigh", "MemoryMax");
        Map<String, NodeTuple> m = mapping(body, "service", keys);
        if (m == null) {
            return;
        }
        String name = required(m, body, "name", "service", "{name: nginx, state: running, enabled: true}");
        if (name == null) {
            return;
        }
        if (!UNIT.matcher(name).matches() || name.contains("..") || name.contains("/")) {
            err(m.get("name").getValueNode(), "'" + name + "' is not a systemd unit name");
            return;
        }
        String state = scalar(m, "state", "service", true);
        String enabled = scalar(m, "enabled", "service", true);
        String masked = scalar(m, "masked", "service", true);
        if (state != null && !state.equals("running") && !state.equals("stopped")) {
            err(m.get("state").getValueNode(), "service.state must be running or stopped, found '" + state + "'");
            return;
        }
        for (String b : new String[] {"enabled", "masked"}) {
            String v = b.equals("enabled") ? enabled : masked;
            if (v != null && !v.equals("true") && !v.equals("false")) {
                err(m.get(b).getValueNode(), "service." + b + " must be true or false, found '" + v + "'");
                return;
            }
        }
        if ("true".equals(masked) && enabled != null) {
            err(m.get("masked").getValueNode(), "service.masked: true leaves no room for enabled; drop one of them");
            return;
        }
        if ("true".equals(masked) && "running".equals(state)) {
            err(m.get("masked").getValueNode(), "a masked service cannot be running; use state: stopped");
            return;
        }
        if (m.size() == 1) {
            err(body, "service " + name + " says nothing to do; give state, enabled, masked or a resource control");
            return;
        }
        if (state != null) {
            out.add(new SettingRule("service", name + "/active", state, Optional.empty(), line, col));
        }
        if (enabled != null || masked != null) {
            String v = "true".equals(masked) ? "masked" : "true".equals(enabled) ? "enabled" : "disabled";
            out.add(new SettingRule("service", name + "/enabled", v, Optional.empty(), line, col));
        }
        for (String rc : List.of("CPUWeight", "IOWeight", "MemoryHigh", "MemoryMax")) {
            String v = scalar(m, rc, "service", true);
            if (v == null) {
                continue;
            }
            boolean ok = rc.endsWith("Weight") ? v.matches("\\d{1,5}") && Integer.parseInt(v) >= 1 && Integer.parseInt(v) <= 10000
                    || (rc.equals("CPUWeight") && v.equals("idle"))
                    : v.matches("\\d+[KMGT]?|\\d{1,3}(\\.\\d+)?%|infinity");
            if (!ok) {
                err(m.get(rc).getValueNode(), "service." + rc + (rc.endsWith("Weight") ? " must be 1..10000" : " must be bytes (512M, 2G), "
                        + "a percentage (80%) or infinity") + ", found '" + v + "'");
                return;
            }
            out.add(new SettingRule("service", name + "/" + rc, v, Optional.empty(), line, col));
        }
    }

    private void file(Node body, List<SettingRule> out, int line, int col) {
        Map<String, NodeTuple> m = mapping(body, "file", Set.of("path", "content", "mode", "owner", "state"));
        if (m == null) {
            return;
        }
        String path = required(m, body, "path", "file", "{path: /etc/app.conf, content: \"...\", mode: \"0644\"}");
        if (path == null) {
            return;
        }
        if (!path.startsWith("/") || path.contains("/../") || path.endsWith("/") || path.matches(".*\\s.*")
                || path.startsWith("/proc/") || path.startsWith("/sys/") || path.startsWith("/dev/")) {
            err(m.get("path").getValueNode(), "'" + path + "' is not a file path Chameleon manages (absolute, no '..', "
                    + "not under /proc, /sys or /dev)");
            return;
        }
        String state = scalar(m, "state", "file", true);
        if (state != null && !state.equals("present") && !state.equals("absent")) {
            err(m.get("state").getValueNode(), "file.state must be present or absent, found '" + state + "'");
            return;
        }
        if ("absent".equals(state)) {
            if (m.size() > 2) {
                err(body, "file with state: absent takes only a path");
                return;
            }
            out.add(new SettingRule("file", path, "absent", Optional.empty(), line, col));
            return;
        }
        String content = scalar(m, "content", "file", false);
        if (content == null) {
            if (!m.containsKey("content")) {
                err(body, "file needs a content (or state: absent)");
            }
            return;
        }
        StringBuilder v = new StringBuilder();
        String mode = scalar(m, "mode", "file", true);
        if (mode != null) {
            if (!mode.matches("0?[0-7]{3,4}")) {
                err(m.get("mode").getValueNode(), "file.mode must be octal such as \"0644\" (quote it), found '" + mode + "'");
                return;
            }
            v.append("mode=").append(String.format("%04o", Integer.parseInt(mode, 8))).append(' ');
        }
        String owner = scalar(m, "owner", "file", true);
        if (owner != null) {
            if (!owner.matches("[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?|\\d+(:\\d+)?")) {
                err(m.get("owner").getValueNode(), "file.owner must be user or user:group (names or numbers), found '" + owner + "'");
                return;
            }
            v.append("owner=").append(owner).append(' ');
        }
        v.append("content=").append(java.util.Base64.getEncoder().encodeToString(content.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        out.add(new SettingRule("file", path, v.toString(), Optional.empty(), line, col));
    }

    private void nic(Node body, List<SettingRule> out, int line, int col) {
        Map<String, NodeTuple> m = mapping(body, "nic", Set.of("name", "mtu", "txqueuelen", "channels", "rings", "offload"));
        if (m == null) {
            return;
        }
        String name = required(m, body, "name", "nic", "{name: eth0, mtu: 9000}");
        if (name == null) {
            return;
        }
        if (!IFACE.matcher(name).matches()) {
            err(m.get("name").getValueNode(), "'" + name + "' is not a network interface name");
            return;
        }
        for (String k : List.of("mtu", "txqueuelen")) {
            String v = number(m, k, "nic", true);
            if (v != null) {
                out.add(new SettingRule("nic", name + "/" + k, v, Optional.empty(), line, col));
            }
        }
        for (String group : List.of("channels", "rings", "offload")) {
            if (!m.containsKey(group)) {
                continue;
            }
            Set<String> allowed = switch (group) {
                case "channels" -> Set.of("combined", "rx", "tx", "other");
                case "rings" -> Set.of("rx", "tx", "rx-mini", "rx-jumbo");
                default -> Set.of("tso", "gso", "gro", "lro", "sg", "rx", "tx", "rxvlan", "txvlan");
            };
            Map<String, NodeTuple> g = mapping(m.get(group).getValueNode(), "nic." + group, allowed);
            if (g == null) {
                continue;
            }
            for (String k : g.keySet()) {
                if (group.equals("offload")) {
                    String v = scalar(g, k, "nic.offload", true);
                    if (v != null && !Set.of("on", "off", "true", "false").contains(v)) {
                        err(g.get(k).getValueNode(), "nic.offload." + k + " must be on or off, found '" + v + "'");
                    } else if (v != null) {
                        out.add(new SettingRule("nic", name + "/offload." + k, v.equals("true") || v.equals("on") ? "on" : "off",
                                Optional.empty(), line, col));
                    }
                } else {
                    String v = number(g, k, "nic." + group, true);
                    if (v != null) {
                        out.add(new SettingRule("nic", name + "/" + group + "." + k, v, Optional.empty(), line, col));
                    }
                }
            }
        }
        if (m.size() == 1) {
            err(body, "nic " + name + " says nothing to do; give mtu, txqueuelen, channels, rings or offload");
        }
    }

    private void blockQueue(Node body, List<SettingRule> out, int line, int col) {
        Map<String, NodeTuple> m = mapping(body, "blockQueue", Set.of("select", "scheduler", "read_ahead_kb", "nr_requests"));
        if (m == null) {
            return;
        }
        String sched = scalar(m, "scheduler", "blockQueue", true);
        String ra = number(m, "read_ahead_kb", "blockQueue", true);
        String nr = number(m, "nr_requests", "blockQueue", true);
        if (!m.containsKey("scheduler") && !m.containsKey("read_ahead_kb") && !m.containsKey("nr_requests")) {
            err(body, "blockQueue needs a scheduler, read_ahead_kb or nr_requests, e.g. {select: 'disk.virtio', scheduler: none}");
            return;
        }
        if (sched != null && !SCHEDULER.matcher(sched).matches()) {
            err(m.get("scheduler").getValueNode(), "'" + sched + "' is not an I/O scheduler name");
            return;
        }
        Condition select = Condition.always();
        if (m.containsKey("select")) {
            Node s = m.get("select").getValueNode();
            if (!(s instanceof ScalarNode ss)) {
                err(s, "blockQueue.select must be a CEL expression over 'disk'");
                return;
            }
            select = expression(ss, "disk", "blockQueue.select");
            if (select == null) {
                return;
            }
        }
        if (sched != null) {
            out.add(new SettingRule("blockQueue", "scheduler", sched, Optional.of(select), line, col));
        }
        if (ra != null) {
            out.add(new SettingRule("blockQueue", "read_ahead_kb", ra, Optional.of(select), line, col));
        }
        if (nr != null) {
            out.add(new SettingRule("blockQueue", "nr_requests", nr, Optional.of(select), line, col));
        }
    }
}
