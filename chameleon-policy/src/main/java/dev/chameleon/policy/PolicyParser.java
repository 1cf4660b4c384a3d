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

/**
 * Reads policy YAML into {@link Policy} values, keeping the position of every node so that each
 * error says {@code file:line:column} with a caret.
 *
 * <p>A file may hold several documents separated by {@code ---}. The schema (first cut):
 * <pre>
 * apiVersion: chameleon/v1
 * kind: Policy
 * metadata: {name: NAME, description: TEXT}
 * spec:
 *   priority: 0..1000        # default 50
 *   mode: enforce|apply-once|audit
 *   when: CEL expression     # default true
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

    private final List<PolicyError> errors = new ArrayList<>();
    private SourceText src;

    /** Parses one file's text; errors are collected into {@code errors}. */
    public static List<Policy> parse(String fileName, String text, List<PolicyError> errors) {
        PolicyParser p = new PolicyParser();
        p.src = new SourceText(fileName, text);
        List<Policy> out = p.parseAll();
        errors.addAll(p.errors);
        return out;
    }

    private List<Policy> parseAll() {
        if (src.text().length() > MAX_FILE_BYTES) {
            errors.add(new PolicyError(src.name(), 0, 0, "file is " + src.text().length()
                    + " bytes; policy files are limited to " + MAX_FILE_BYTES + " bytes", ""));
            return List.of();
        }
        LoaderOptions lo = new LoaderOptions();
        lo.setAllowDuplicateKeys(false);
        lo.setMaxAliasesForCollections(20);
        lo.setNestingDepthLimit(40);
        lo.setCodePointLimit(MAX_FILE_BYTES);
        lo.setAllowRecursiveKeys(false);
        Yaml yaml = new Yaml(lo);
        List<Policy> out = new ArrayList<>();
        try {
            for (Node doc : yaml.composeAll(new StringReader(src.text()))) {
                if (doc == null) {
                    continue;
                }
                Policy p = document(doc);
                if (p != null) {
                    out.add(p);
                }
            }
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = e.getProblem() != null ? e.getProblem() : e.getMessage();
            if (e.getContext() != null) {
                problem = e.getContext() + ": " + problem;
            }
            errors.add(m == null ? new PolicyError(src.name(), 0, 0, "malformed YAML: " + problem, "")
                    : src.error(m.getLine() + 1, m.getColumn() + 1, "malformed YAML: " + oneLine(problem)));
        } catch (YAMLException e) {
            errors.add(new PolicyError(src.name(), 0, 0, "malformed YAML: " + oneLine(String.valueOf(e.getMessage())), ""));
        } catch (RuntimeException e) {
            errors.add(new PolicyError(src.name(), 0, 0, "cannot read policy: " + e, ""));
        }
        return out;
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

    private Policy document(Node doc) {
        int errorsBefore = errors.size();
        Map<String, NodeTuple> top = mapping(doc, "the document", Set.of("apiVersion", "kind", "metadata", "spec"));
        if (top == null) {
            return null;
        }
        for (String k : List.of("apiVersion", "kind", "metadata", "spec")) {
            if (!top.containsKey(k)) {
                err(doc, "missing '" + k + "' (a policy has apiVersion, kind, metadata and spec)");
            }
        }
        String api = scalar(top, "apiVersion", "document", true);
        if (api != null && !api.equals("chameleon/v1")) {
            err(top.get("apiVersion").getValueNode(), "apiVersion '" + api + "' is not supported (expected chameleon/v1)");
        }
        String kind = scalar(top, "kind", "document", true);
        if (kind != null && !kind.equals("Policy")) {
            err(top.get("kind").getValueNode(), "kind '" + kind + "' is not supported here (expected Policy)");
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
        int priority = 50;
        String mode = "enforce";
        Condition when = Condition.always();
        List<SettingRule> settings = new ArrayList<>();
        if (top.containsKey("spec")) {
            Node specNode = top.get("spec").getValueNode();
            Map<String, NodeTuple> spec = mapping(specNode, "spec", Set.of("priority", "mode", "when", "settings"));
            if (spec != null) {
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
                    if (!Set.of("enforce", "apply-once", "audit").contains(md)) {
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
                if (!spec.containsKey("settings")) {
                    err(specNode, "spec.settings is required: the list of settings this policy wants");
                } else {
                    Node sl = spec.get("settings").getValueNode();
                    if (!(sl instanceof SequenceNode seq)) {
                        err(sl, "spec.settings must be a list, found " + describe(sl));
                    } else {
                        if (seq.getValue().isEmpty()) {
                            err(seq, "spec.settings is empty; a policy needs at least one setting");
                        }
                        for (Node item : seq.getValue()) {
                            SettingRule r = setting(item);
                            if (r != null) {
                                settings.add(r);
                            }
                        }
                    }
                }
            }
        }
        if (errors.size() > errorsBefore || name == null) {
            return null;
        }
        return new Policy(name, description, src.name(), doc.getStartMark().getLine() + 1, priority, mode, when, settings);
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
            int line = node.getStartMark().getLine() + 1;
            int col = node.getStartMark().getColumn() + 1;
            DumperOptions.ScalarStyle style = node.getScalarStyle();
            if (style == DumperOptions.ScalarStyle.LITERAL || style == DumperOptions.ScalarStyle.FOLDED) {
                line = line + e.line();
                String l = src.line(line);
                col = (l.length() - l.stripLeading().length()) + e.column();
            } else if (e.line() == 1) {
                boolean quoted = style == DumperOptions.ScalarStyle.SINGLE_QUOTED || style == DumperOptions.ScalarStyle.DOUBLE_QUOTED;
                col = col + (quoted ? 1 : 0) + e.column() - 1;
            }
            errors.add(src.error(line, col, what + ": " + oneLine(e.message())));
        }
        return null;
    }

    private SettingRule setting(Node item) {
        Map<String, NodeTuple> one = mapping(item, "a setting", Set.of("sysctl", "kernelModule", "blockQueue"));
        if (one == null) {
            return null;
        }
        if (one.size() != 1) {
            if (one.size() > 1) {
                err(item, "a setting has exactly one kind (sysctl, kernelModule or blockQueue), found " + String.join(", ", one.keySet()));
            } else if (((MappingNode) item).getValue().isEmpty()) {
                err(item, "empty setting; expected one of sysctl, kernelModule, blockQueue");
            }
            return null;
        }
        String kind = one.keySet().iterator().next();
        Node body = one.get(kind).getValueNode();
        int line = item.getStartMark().getLine() + 1;
        int col = item.getStartMark().getColumn() + 1;
        switch (kind) {
            case "sysctl" -> {
                Map<String, NodeTuple> m = mapping(body, "sysctl", Set.of("key", "value"));
                if (m == null) {
                    return null;
                }
                String key = scalar(m, "key", "sysctl", true);
                String value = settingValue(m, "value", "sysctl");
                if (!m.containsKey("key")) {
                    err(body, "sysctl needs a key, e.g. {key: vm.swappiness, value: 10}");
                }
                if (!m.containsKey("value")) {
                    err(body, "sysctl needs a value, e.g. {key: vm.swappiness, value: 10}");
                }
                if (key == null || value == null) {
                    return null;
                }
                if (!SYSCTL_KEY.matcher(key).matches()) {
                    err(m.get("key").getValueNode(), "'" + key + "' is not a sysctl key (expected dotted words such as net.core.somaxconn)");
                    return null;
                }
                return new SettingRule("sysctl", key.replace('/', '.'), value.strip().replaceAll("\\s+", " "), Optional.empty(), line, col);
            }
            case "kernelModule" -> {
                Map<String, NodeTuple> m = mapping(body, "kernelModule", Set.of("name", "state"));
                if (m == null) {
                    return null;
                }
                String name = scalar(m, "name", "kernelModule", true);
                if (!m.containsKey("name")) {
                    err(body, "kernelModule needs a name, e.g. {name: vmw_pvscsi, state: loaded}");
                }
                if (name == null) {
                    return null;
                }
                if (!MODULE.matcher(name).matches()) {
                    err(m.get("name").getValueNode(), "'" + name + "' is not a kernel module name");
                    return null;
                }
                String state = scalar(m, "state", "kernelModule", true);
                if (state == null) {
                    state = "loaded";
                } else if (!state.equals("loaded")) {
                    err(m.get("state").getValueNode(), "kernelModule.state must be 'loaded' (unloading comes with the full actuator), found '" + state + "'");
                    return null;
                }
                return new SettingRule("kernelModule", name.replace('-', '_'), state, Optional.empty(), line, col);
            }
            default -> {
                Map<String, NodeTuple> m = mapping(body, "blockQueue", Set.of("select", "scheduler"));
                if (m == null) {
                    return null;
                }
                String sched = scalar(m, "scheduler", "blockQueue", true);
                if (!m.containsKey("scheduler")) {
                    err(body, "blockQueue needs a scheduler, e.g. {select: 'disk.virtio', scheduler: none}");
                }
                if (sched == null) {
                    return null;
                }
                if (!SCHEDULER.matcher(sched).matches()) {
                    err(m.get("scheduler").getValueNode(), "'" + sched + "' is not an I/O scheduler name");
                    return null;
                }
                Condition select = Condition.always();
                if (m.containsKey("select")) {
                    Node s = m.get("select").getValueNode();
                    if (!(s instanceof ScalarNode ss)) {
                        err(s, "blockQueue.select must be a CEL expression over 'disk'");
                        return null;
                    }
                    select = expression(ss, "disk", "blockQueue.select");
                    if (select == null) {
                        return null;
                    }
                }
                return new SettingRule("blockQueue", "scheduler", sched, Optional.of(select), line, col);
            }
        }
    }
}
