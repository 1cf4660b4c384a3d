package dev.chameleon.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Positioned reading of policy YAML: mappings with their allowed keys, single values, setting
 * values, numbers ({@code N}, {@code {atLeast: N}}, {@code {atMost: N}}), words and CEL
 * expressions, each problem recorded as a {@link PolicyError} at the node's {@code file:line:column}
 * (reading never throws for bad input). {@link PolicyParser} reads documents with it, and each
 * setting kind ({@link dev.chameleon.policy.settings.SettingKind}) reads its own mapping with it.
 */
public abstract class Syntax {
    /** Longest setting value accepted, in characters. */
    static final int MAX_VALUE_CHARS = 4096;
    static final Pattern WORD = Pattern.compile("[A-Za-z0-9_.+-]{1,64}");
    private static final Pattern NUMBER = Pattern.compile("(>=|<=)?\\s*\\d{1,18}");

    final List<PolicyError> errors = new ArrayList<>();
    /** Problems that do not stop the document: conditions reading optional facts without has(). */
    final List<PolicyError> warnings = new ArrayList<>();
    SourceText src;

    Syntax() {
    }

    /** How many problems were recorded so far (a reader compares before and after to see whether its part was clean). */
    public int errorCount() {
        return errors.size();
    }

    public static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").strip();
    }

    public PolicyError err(Node n, String message) {
        PolicyError e = src.error(n.getStartMark().getLine() + 1, n.getStartMark().getColumn() + 1, message);
        errors.add(e);
        return e;
    }

    public Map<String, NodeTuple> mapping(Node n, String what, Set<String> allowed) {
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

    static List<String> sorted(Set<String> s) {
        List<String> l = new ArrayList<>(s);
        l.sort(null);
        return l;
    }

    public static String describe(Node n) {
        if (n instanceof ScalarNode s) {
            return "'" + (s.getValue().length() > 40 ? s.getValue().substring(0, 40) + "…" : s.getValue()) + "'";
        }
        return n instanceof MappingNode ? "a mapping" : n instanceof SequenceNode ? "a list" : "something else";
    }

    public String scalar(Map<String, NodeTuple> m, String key, String what, boolean required) {
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
    public String settingValue(Map<String, NodeTuple> m, String key, String what) {
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

    public Condition expression(ScalarNode node, String element, String what) {
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
            for (Condition.UnguardedRead u : r.condition().unguardedOptionalReads()) {
                int[] at = sourcePosition(node, u.line(), u.column());
                warnings.add(src.error(at[0], at[1], what + (u.guard().matches(".*\" in [^&]*") ? " looks up " + u.path()
                        + " by key, which the map may not hold on some machines; there the condition is an error, not false: guard it with "
                        : " reads " + u.path() + ", which some machines do not report (docs/facts.md, 'when absent'); there the condition is"
                        + " an error, not false: guard it with ") + u.guard() + " && ..."));
            }
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

    /**
     * {@code what.key} as a duration within {@code bounds} ({@link Durations}): {@code dflt} when
     * the key is absent; null when it is there but wrong (the problem recorded at its value).
     */
    public java.time.Duration duration(Map<String, NodeTuple> m, String key, String what, Durations.Bounds bounds,
            java.time.Duration dflt) {
        if (!m.containsKey(key)) {
            return dflt;
        }
        String s = scalar(m, key, what, true);
        if (s == null) {
            return null;
        }
        Durations.Read r = Durations.read(s, bounds);
        if (r.problem().isPresent()) {
            err(m.get(key).getValueNode(), what + "." + key + " " + r.problem().get());
            return null;
        }
        return r.value().orElseThrow();
    }

    /**
     * The header every kind of document shares: {@code apiVersion: chameleon/v1}, {@code kind:
     * KIND} and {@code metadata: {name, description}} with {@code name} checked by
     * {@code nameProblem} (the whole message, or null when the name is fine); the {@code spec}
     * node, or null with the problem recorded. {@code example} completes "metadata: {name:
     * EXAMPLE}" and {@code specHint} follows "needs a spec" when the spec is missing.
     */
    public Header header(Node doc, String kind, String example, java.util.function.Function<String, String> nameProblem,
            String specHint) {
        Map<String, NodeTuple> top = mapping(doc, "the document", Set.of("apiVersion", "kind", "metadata", "spec"));
        if (top == null) {
            return null;
        }
        String a = (kind.matches("[AEIOU].*") ? "an " : "a ") + kind;
        String api = required(top, doc, "apiVersion", a, "apiVersion: " + API_VERSION);
        if (api != null && !api.equals(API_VERSION)) {
            err(top.get("apiVersion").getValueNode(), "apiVersion must be " + API_VERSION + ", found '" + api + "'");
        }
        String k = required(top, doc, "kind", a, "kind: " + kind);
        if (k != null && !k.equals(kind)) {
            err(top.get("kind").getValueNode(), "kind must be " + kind + ", found '" + k + "'");
            return null;
        }
        // a problem in the metadata does not stop the reading: the spec's problems are reported in the same round
        String name = null;
        String description = null;
        if (!top.containsKey("metadata")) {
            err(doc, a + " needs metadata, e.g. metadata: {name: " + example + "}");
        } else {
            Node metaNode = top.get("metadata").getValueNode();
            Map<String, NodeTuple> meta = mapping(metaNode, "metadata", Set.of("name", "description"));
            if (meta != null) {
                name = required(meta, metaNode, "name", "metadata", "name: " + example);
                String problem = name == null ? null : nameProblem.apply(name);
                if (problem != null) {
                    err(meta.get("name").getValueNode(), problem);
                }
                description = scalar(meta, "description", "metadata", false);
            }
        }
        if (!top.containsKey("spec")) {
            err(doc, a + " needs a spec" + specHint);
            return null;
        }
        return new Header(name, description, top.get("spec").getValueNode());
    }

    /** The only apiVersion documents have. */
    public static final String API_VERSION = "chameleon/v1";

    /** A document's name (null when missing or wrong: an error was recorded), description (null when absent) and spec node. */
    public record Header(String name, String description, Node spec) {
    }

    public String required(Map<String, NodeTuple> m, Node body, String key, String kind, String example) {
        if (!m.containsKey(key)) {
            err(body, kind + " needs " + (key.matches("[aeiou].*") ? "an " : "a ") + key + ", e.g. " + example);
            return null;
        }
        return scalar(m, key, kind, true);
    }

    public boolean word(Map<String, NodeTuple> m, String key, String value, String what) {
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
    /**
     * The whole number under {@code key}, from {@code min} to {@code max}; null when absent, and
     * null with an error at the value when it is not a whole number ({@code WHAT.KEY must be a whole number from MIN to MAX, found 'x'}) or
     * out of the range ({@code WHAT.KEY must be from MIN to MAX, found V}, any number of digits).
     */
    public Long wholeInRange(Map<String, NodeTuple> m, String key, String what, long min, long max) {
        String n = scalar(m, key, what, true);
        if (n == null) {
            return null;
        }
        String t = n.strip();
        if (!t.matches("[+-]?\\d+")) {
            err(m.get(key).getValueNode(), what + "." + key + " must be a whole number from " + min + " to " + max + ", found '" + n + "'");
            return null;
        }
        java.math.BigInteger v = new java.math.BigInteger(t.startsWith("+") ? t.substring(1) : t);
        if (v.compareTo(java.math.BigInteger.valueOf(min)) < 0 || v.compareTo(java.math.BigInteger.valueOf(max)) > 0) {
            err(m.get(key).getValueNode(), what + "." + key + " must be from " + min + " to " + max + ", found " + v);
            return null;
        }
        return v.longValueExact();
    }

    public String number(Map<String, NodeTuple> m, String key, String what, boolean relativeAllowed) {
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

    /**
     * Composes every non-empty YAML document of {@link #src} and hands each to {@code each}, with
     * the loader limits policy files have (no duplicate keys, at most 20 aliases, nesting 40,
     * {@code maxBytes}); malformed YAML, a forbidden character or an oversized file is recorded
     * as a positioned error ({@code malformed YAML: ...}) and ends the reading. {@code what} names
     * the files in the size message ({@code policy files}, {@code profile files}).
     */
    void composeDocuments(int maxBytes, String what, java.util.function.Consumer<Node> each) {
        if (src.text().length() > maxBytes) {
            errors.add(new PolicyError(src.name(), 0, 0, "file is " + src.text().length() + " bytes; " + what
                    + " are limited to " + maxBytes + " bytes", ""));
            return;
        }
        org.yaml.snakeyaml.LoaderOptions lo = new org.yaml.snakeyaml.LoaderOptions();
        lo.setAllowDuplicateKeys(false);
        lo.setMaxAliasesForCollections(20);
        lo.setNestingDepthLimit(40);
        lo.setCodePointLimit(maxBytes);
        lo.setAllowRecursiveKeys(false);
        try {
            for (Node doc : new org.yaml.snakeyaml.Yaml(lo).composeAll(new java.io.StringReader(src.text()))) {
                if (doc == null || doc instanceof ScalarNode sn && sn.getTag().equals(org.yaml.snakeyaml.nodes.Tag.NULL)
                        && sn.getValue().isEmpty()) {
                    continue; // an empty document: a trailing (or doubled) '---'
                }
                each.accept(doc);
            }
        } catch (org.yaml.snakeyaml.error.MarkedYAMLException e) {
            org.yaml.snakeyaml.error.Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            if (e.getContext() != null) {
                problem = e.getContext() + ": " + problem;
            }
            errors.add(m == null ? new PolicyError(src.name(), 0, 0, "malformed YAML: " + problem, "")
                    : src.error(m.getLine() + 1, m.getColumn() + 1, "malformed YAML: " + oneLine(problem)));
        } catch (org.yaml.snakeyaml.reader.ReaderException e) {
            int pos = Math.max(0, Math.min(e.getPosition(), src.text().length()));
            String before = src.text().substring(0, pos);
            int line = (int) before.chars().filter(c -> c == '\n').count() + 1;
            int col = pos - (before.lastIndexOf('\n') + 1) + 1;
            errors.add(src.error(line, col, "malformed YAML: character U+" + String.format("%04X", e.getCodePoint())
                    + " is not allowed in YAML"));
        } catch (org.yaml.snakeyaml.error.YAMLException e) {
            errors.add(new PolicyError(src.name(), 0, 0, "malformed YAML: " + oneLine(String.valueOf(e.getMessage())), ""));
        }
    }
}
