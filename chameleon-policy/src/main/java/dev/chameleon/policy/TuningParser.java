package dev.chameleon.policy;

import dev.chameleon.policy.settings.SettingKind;
import dev.chameleon.policy.settings.SettingKinds;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads {@code Tuning} documents with the positioned YAML reading policies use ({@link Syntax}):
 * every problem is a {@link PolicyError} at {@code file:line:column}, and reading never throws
 * for bad input. A knob is a policy setting with one field left open; each of its values is read
 * by the setting kind itself ({@link SettingKind#read}), so a value a policy could not hold is
 * refused here, at the range or choice that gives it.
 *
 * <pre>
 * apiVersion: chameleon/v1
 * kind: Tuning
 * metadata: {name: loopback-throughput}
 * spec:
 *   objective:
 *     probe: {command: [/usr/bin/iperf3, -c, 127.0.0.1, -t, "2", -J], pattern: '"bits_per_second":\s*([0-9.e+]+)'}
 *     goal: maximise          # or minimise
 *     repeats: 3
 *   knobs:
 *     - sysctl: {key: net.ipv4.tcp_wmem}
 *       choices: ["4096 16384 4194304", "4096 65536 16777216"]
 *     - sysctl: {key: net.core.somaxconn}
 *       range: {min: 128, max: 8192, step: 128}
 *   budget: {trials: 12, time: 10m, trialsPerHour: 120}
 *   guardrail: {maxRegression: 20, health: {command: [/usr/local/bin/ok]}}
 *   when: {condition: 'platform.hypervisor == "kvm"', window: "22:00-06:00"}
 * </pre>
 */
public final class TuningParser extends Syntax {
    /** Most trials one run may have. */
    public static final int MAX_TRIALS = 1000;
    /** Most measurements per trial. */
    public static final int MAX_REPEATS = 20;
    /** Most values one knob may take (a range's (max-min)/step+1). */
    public static final int MAX_VALUES = 10_000;
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");
    /** {@code probe.timeout}: more than 0, at most an hour; ms taken (a check's wait, like agent.yaml's healthGate.timeout). */
    static final Durations.Bounds PROBE_TIMEOUT = new Durations.Bounds(Duration.ofMillis(1), Duration.ofHours(1), true);
    /** {@code budget.time}: 1s to a week, whole seconds (a run's length, like a policy's for:). */
    static final Durations.Bounds BUDGET_TIME = new Durations.Bounds(Duration.ofSeconds(1), Duration.ofDays(7), false);
    private static final Pattern WINDOW = Pattern.compile("(\\d\\d):(\\d\\d)-(\\d\\d):(\\d\\d)");
    private static final Set<String> KNOB_KEYS = Set.of("range", "choices", "field");

    private TuningParser() {
    }

    /** The tunings of one file, or none when the file has any problem (each added to {@code errors}). */
    public static List<Tuning> parse(String fileName, String text, List<PolicyError> errors) {
        return parse(fileName, text, errors, new ArrayList<>());
    }

    /**
     * As {@link #parse(String, String, List)}, adding to {@code warnings} what {@code policy
     * validate} warns about without refusing, as for a policy ({@link PolicySet#warnings()}): the
     * condition or a knob's select reading a fact some machines leave out without {@code has()};
     * each once, in line order.
     */
    public static List<Tuning> parse(String fileName, String text, List<PolicyError> errors, List<PolicyError> warnings) {
        TuningParser p = new TuningParser();
        p.src = new SourceText(fileName, text);
        List<Tuning> out = new ArrayList<>();
        p.composeDocuments(PolicyParser.MAX_FILE_BYTES, "tuning files", doc -> {
            int before = p.errorCount();
            Tuning t = p.document(doc);
            if (t != null && p.errorCount() == before) {
                out.add(t);
            }
        });
        Map<String, Tuning> names = new java.util.HashMap<>();
        for (Tuning t : out) {
            Tuning first = names.putIfAbsent(t.name(), t);
            if (first != null) {
                p.errors.add(p.src.error(t.line(), 1, usedTwice(t, first)));
            }
        }
        // in the order of the file, whatever part of the reader found each
        errors.addAll(p.errors.stream().sorted(java.util.Comparator.comparingInt(PolicyError::line).thenComparingInt(PolicyError::column))
                .toList());
        // a knob's select is read once per value: warned once
        warnings.addAll(p.warnings.stream().distinct()
                .sorted(java.util.Comparator.comparingInt(PolicyError::line).thenComparingInt(PolicyError::column)).toList());
        return p.errors.isEmpty() ? out : List.of();
    }

    /**
     * The Tunings of several files read together (a policy folder, the files given to {@code
     * policy validate}, the agent's folders with its bundle): each file as {@link #parse}, and a
     * {@code metadata.name} used twice refused as a policy name is, at the later document
     * ({@code file:line:1}, with its excerpt) naming the earlier one: two Tunings of one name
     * would share {@code STATE/tuning/NAME.json}.
     *
     * @return the Tunings of the files without problems, a name's first holder only
     */
    public static List<Tuning> parseAll(List<PolicySet.Source> sources, List<PolicyError> errors) {
        return parseAll(sources, errors, new ArrayList<>());
    }

    /** As {@link #parseAll(List, List)}, with each file's warnings ({@link #parse(String, String, List, List)}). */
    public static List<Tuning> parseAll(List<PolicySet.Source> sources, List<PolicyError> errors, List<PolicyError> warnings) {
        Map<String, Tuning> names = new LinkedHashMap<>();
        Map<String, SourceText> texts = new java.util.HashMap<>();
        for (PolicySet.Source s : sources) {
            texts.put(s.name(), new SourceText(s.name(), s.text()));
            for (Tuning t : parse(s.name(), s.text(), errors, warnings)) {
                Tuning first = names.putIfAbsent(t.name(), t);
                if (first != null) {
                    errors.add(texts.get(s.name()).error(t.line(), 1, usedTwice(t, first)));
                }
            }
        }
        return List.copyOf(names.values());
    }

    private static String usedTwice(Tuning t, Tuning first) {
        return "tuning name '" + t.name() + "' is already used by " + first.location();
    }

    private Tuning document(Node doc) {
        Header h = header(doc, Tuning.KIND, "web-latency", n -> NAME.matcher(n).matches() ? null
                : "metadata.name '" + n + "' must be lower-case letters, digits, '-' and '.', 1-63 characters",
                ": objective, knobs and budget (docs/tuning.md)");
        if (h == null) {
            return null;
        }
        String name = h.name();
        String description = h.description();
        Node specNode = h.spec();
        Map<String, NodeTuple> spec = mapping(specNode, "spec", Set.of("objective", "knobs", "budget", "guardrail", "when", "approve"));
        if (spec == null) {
            return null;
        }
        for (String k : List.of("objective", "knobs", "budget")) {
            if (!spec.containsKey(k)) {
                err(specNode, "spec." + k + " is required (a Tuning has an objective, knobs and a budget)");
            }
        }
        Tuning.Objective objective = spec.containsKey("objective") ? objective(spec.get("objective").getValueNode()) : null;
        List<Tuning.Knob> knobs = spec.containsKey("knobs") ? knobs(spec.get("knobs").getValueNode()) : List.of();
        Tuning.Budget budget = spec.containsKey("budget") ? budget(spec.get("budget").getValueNode()) : null;
        Tuning.Guardrail guardrail = spec.containsKey("guardrail") ? guardrail(spec.get("guardrail").getValueNode())
                : new Tuning.Guardrail(20, List.of(), null, Duration.ofSeconds(30), Duration.ZERO, specNode.getStartMark().getLine() + 1,
                        specNode.getStartMark().getColumn() + 1);
        Optional<Condition> when = Optional.empty();
        Optional<Tuning.Window> window = Optional.empty();
        if (spec.containsKey("when")) {
            Node wn = spec.get("when").getValueNode();
            Map<String, NodeTuple> w = mapping(wn, "spec.when", Set.of("condition", "window"));
            if (w != null) {
                if (w.containsKey("condition")) {
                    Node c = w.get("condition").getValueNode();
                    if (c instanceof ScalarNode cs) {
                        when = Optional.ofNullable(expression(cs, null, "spec.when.condition"));
                    } else {
                        err(c, "spec.when.condition must be a CEL expression (a string), found " + describe(c));
                    }
                }
                String win = scalar(w, "window", "spec.when", true);
                if (win != null) {
                    window = window(w.get("window").getValueNode(), win);
                }
                if (w.isEmpty()) {
                    err(wn, "spec.when is empty; give a condition, a window or both, or leave it out for 'any time'");
                }
            }
        }
        boolean autoApprove = false;
        String approve = scalar(spec, "approve", "spec", true);
        if (approve != null) {
            if (approve.equals("auto")) {
                autoApprove = true;
            } else if (!approve.equals("manual")) {
                err(spec.get("approve").getValueNode(), "spec.approve must be manual (the default: a proposal waits for an operator) or auto "
                        + "(the agent running this Tuning approves a significant proposal itself), found '" + approve + "'");
            }
        }
        if (name == null || objective == null || budget == null || guardrail == null || knobs.isEmpty()) {
            return null;
        }
        return new Tuning(name, description, src.name(), doc.getStartMark().getLine() + 1, objective, knobs, budget, guardrail, when,
                window, autoApprove);
    }

    // --- objective ---

    private Tuning.Objective objective(Node n) {
        Map<String, NodeTuple> m = mapping(n, "spec.objective", Set.of("probe", "goal", "repeats"));
        if (m == null) {
            return null;
        }
        if (!m.containsKey("probe")) {
            err(n, "spec.objective needs a probe: {command: [...]}, {url: http://127.0.0.1:PORT/...} or {prometheus: {url: ..., metric: ...}}");
        }
        if (!m.containsKey("goal")) {
            err(n, "spec.objective needs a goal: maximise or minimise");
        }
        Tuning.Probe probe = m.containsKey("probe") ? probe(m.get("probe").getValueNode()) : null;
        Boolean maximise = null;
        String goal = scalar(m, "goal", "spec.objective", true);
        if (goal != null) {
            switch (goal) {
                case "maximise", "maximize" -> maximise = true;
                case "minimise", "minimize" -> maximise = false;
                default -> err(m.get("goal").getValueNode(), "spec.objective.goal must be maximise or minimise, found '" + goal + "'");
            }
        }
        Integer repeats = whole(m, "repeats", "spec.objective", 1, MAX_REPEATS);
        if (probe == null || maximise == null || (m.containsKey("repeats") && repeats == null)) {
            return null;
        }
        return new Tuning.Objective(probe, maximise, repeats == null ? 3 : repeats);
    }

    private Tuning.Probe probe(Node n) {
        Map<String, NodeTuple> m = mapping(n, "spec.objective.probe", Set.of("command", "url", "prometheus", "pattern", "timeout"));
        if (m == null) {
            return null;
        }
        int given = (m.containsKey("command") ? 1 : 0) + (m.containsKey("url") ? 1 : 0) + (m.containsKey("prometheus") ? 1 : 0);
        if (given != 1) {
            err(n, "spec.objective.probe takes exactly one of command, url or prometheus, found " + given);
            return null;
        }
        int before = errorCount();
        Pattern pattern = null;
        String pat = scalar(m, "pattern", "spec.objective.probe", true);
        if (pat != null) {
            try {
                pattern = Pattern.compile(pat);
                if (pattern.matcher("").groupCount() < 1) {
                    err(m.get("pattern").getValueNode(), "spec.objective.probe.pattern needs a group around the number, e.g. 'p99=([0-9.]+)'");
                }
            } catch (PatternSyntaxException e) {
                err(m.get("pattern").getValueNode(), "spec.objective.probe.pattern is not a regular expression: " + oneLine(e.getDescription()));
            }
        }
        Duration timeout = duration(m, "timeout", "spec.objective.probe", PROBE_TIMEOUT, Duration.ofSeconds(60));
        int line = n.getStartMark().getLine() + 1;
        int col = n.getStartMark().getColumn() + 1;
        Tuning.Probe p = null;
        if (m.containsKey("command")) {
            List<String> argv = command(m.get("command").getValueNode(), "spec.objective.probe.command");
            p = new Tuning.Probe(Tuning.ProbeType.COMMAND, argv, null, null, pattern, timeout, line, col);
        } else if (m.containsKey("url")) {
            String url = loopbackUrl(m, "url", "spec.objective.probe");
            p = new Tuning.Probe(Tuning.ProbeType.URL, List.of(), url, null, pattern, timeout, line, col);
        } else {
            Node pn = m.get("prometheus").getValueNode();
            Map<String, NodeTuple> pm = mapping(pn, "spec.objective.probe.prometheus", Set.of("url", "metric"));
            if (pm != null) {
                if (!pm.containsKey("url") || !pm.containsKey("metric")) {
                    err(pn, "spec.objective.probe.prometheus needs a url and a metric, e.g. {url: http://127.0.0.1:9100/metrics, "
                            + "metric: 'http_request_duration_seconds{quantile=\"0.99\"}'}");
                }
                String url = loopbackUrl(pm, "url", "spec.objective.probe.prometheus");
                String metric = scalar(pm, "metric", "spec.objective.probe.prometheus", true);
                if (metric != null && !metric.matches("[a-zA-Z_:][a-zA-Z0-9_:]*(\\{.*\\})?")) {
                    err(pm.get("metric").getValueNode(), "spec.objective.probe.prometheus.metric must be a metric name with optional "
                            + "labels, e.g. 'http_requests_total{code=\"200\"}', found '" + metric + "'");
                }
                if (pattern != null) {
                    err(m.get("pattern").getKeyNode(), "spec.objective.probe.pattern does not go with prometheus (the metric names the sample)");
                }
                p = new Tuning.Probe(Tuning.ProbeType.PROMETHEUS, List.of(), url, metric, null, timeout, line, col);
            }
        }
        return errorCount() > before ? null : p;
    }

    /** A command: a list of words, the first an absolute path (no shell, no PATH search). */
    private List<String> command(Node n, String what) {
        if (!(n instanceof SequenceNode seq) || seq.getValue().isEmpty()) {
            err(n, what + " must be a list of words, the program first as an absolute path, e.g. [/usr/bin/iperf3, -c, 127.0.0.1]; found "
                    + describe(n));
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Node w : seq.getValue()) {
            if (!(w instanceof ScalarNode s) || s.getValue().isEmpty()) {
                err(w, what + ": each word must be a non-empty single value, found " + describe(w));
                continue;
            }
            if (out.isEmpty() && !s.getValue().startsWith("/")) {
                err(w, what + ": '" + s.getValue() + "' must be an absolute path: the command runs without a shell and without a PATH "
                        + "search (for shell syntax: [/bin/sh, -c, '...'])");
            }
            out.add(s.getValue());
        }
        return out;
    }

    private String loopbackUrl(Map<String, NodeTuple> m, String key, String what) {
        String u = scalar(m, key, what, true);
        if (u == null) {
            return null;
        }
        if (!u.matches("http://(127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|\\[::1\\])(:\\d{1,5})?(/.*)?")) {
            err(m.get(key).getValueNode(), what + "." + key + " must be an http:// URL on a loopback address literal "
                    + "(http://127.0.0.1:PORT/PATH or http://[::1]:PORT/PATH), found '" + u + "'");
            return null;
        }
        return u;
    }

    // --- knobs ---

    private List<Tuning.Knob> knobs(Node n) {
        if (!(n instanceof SequenceNode seq)) {
            err(n, "spec.knobs must be a list of settings, each with a range or choices, found " + describe(n));
            return List.of();
        }
        if (seq.getValue().isEmpty()) {
            err(n, "spec.knobs is empty; list at least one setting to tune");
        }
        List<Tuning.Knob> out = new ArrayList<>();
        Set<String> keys = new HashSet<>();
        for (Node item : seq.getValue()) {
            Tuning.Knob k = knob(item);
            if (k != null) {
                if (!keys.add(k.key())) {
                    err(item, "spec.knobs: " + k.key() + " is tuned twice");
                    continue;
                }
                out.add(k);
            }
        }
        return out;
    }

    private Tuning.Knob knob(Node item) {
        Set<String> allowed = new HashSet<>(SettingKinds.names());
        allowed.addAll(KNOB_KEYS);
        Map<String, NodeTuple> m = mapping(item, "a knob", allowed);
        if (m == null) {
            return null;
        }
        List<String> kinds = m.keySet().stream().filter(k -> !KNOB_KEYS.contains(k)).toList();
        if (kinds.size() != 1) {
            err(item, "a knob has exactly one setting kind (" + String.join(", ", SettingKinds.names()) + "), found "
                    + (kinds.isEmpty() ? "none" : String.join(", ", kinds)));
            return null;
        }
        boolean range = m.containsKey("range");
        if (range == m.containsKey("choices")) {
            err(item, "a knob needs exactly one of range: {min, max, step} or choices: [...]");
            return null;
        }
        String kind = kinds.get(0);
        SettingKind sk = SettingKinds.named(kind).orElseThrow();
        String field = m.containsKey("field") ? scalar(m, "field", "knob", true) : "value";
        if (field == null) {
            return null;
        }
        Set<String> tunable = new HashSet<>(sk.keys());
        tunable.removeAll(IDENTITY);
        if (!tunable.contains(field)) {
            err(m.containsKey("field") ? m.get("field").getValueNode() : item, "knob: " + kind + (sk.keys().contains(field)
                    ? "." + field + " " + (field.equals("select") ? "chooses the elements" : "names the setting") + "; it is not what the tuner chooses"
                    : " has no field '" + field + "' to tune") + ": field names the attribute to tune, one of " + String.join(", ", sorted(tunable)));
            return null;
        }
        Node body = m.get(kind).getValueNode();
        if (!(body instanceof MappingNode bm)) {
            err(body, kind + " must be a mapping, found " + describe(body));
            return null;
        }
        boolean hasKey = bm.getValue().stream().anyMatch(t -> t.getKeyNode() instanceof ScalarNode k && k.getValue().equals("key"));
        if (sk.keys().contains("key") && !hasKey) {
            err(body, "knob: " + kind + " needs a key, the setting to tune (a knob has no " + field + ": the tuner gives it from range or "
                    + "choices), e.g. " + (kind.equals("nicSysctl") ? "nicSysctl: {select: 'has(nic.driver) && nic.driver == \"virtio_net\"', key: rp_filter}"
                    : kind + ": {key: net.core.somaxconn}"));
            selectAlone(bm, kind);
            return null;
        }
        for (NodeTuple t : bm.getValue()) {
            if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(field)) {
                err(k, "knob: " + kind + "." + field + " is what the tuner chooses; leave it out here and give range or choices");
                return null;
            }
        }
        List<Node> valueNodes = range ? range(m.get("range").getValueNode()) : choices(m.get("choices").getValueNode());
        if (valueNodes.isEmpty()) {
            selectAlone(bm, kind); // a bad range or choices does not hide a bad select of the same knob
            return null;
        }
        List<String> values = new ArrayList<>();
        String key = null;
        for (Node v : valueNodes) {
            List<NodeTuple> tuples = new ArrayList<>(bm.getValue());
            tuples.add(new NodeTuple(new ScalarNode(Tag.STR, field, v.getStartMark(), v.getEndMark(), DumperOptions.ScalarStyle.PLAIN), v));
            MappingNode with = new MappingNode(Tag.MAP, true, tuples, body.getStartMark(), body.getEndMark(), DumperOptions.FlowStyle.FLOW);
            int before = errorCount();
            List<SettingRule> rules = new ArrayList<>();
            sk.read(this, with, new SettingKind.Rules(kind, item.getStartMark().getLine() + 1, item.getStartMark().getColumn() + 1, rules));
            if (errorCount() > before) {
                return null; // the kind said what is wrong, at the value (or the setting) that is
            }
            if (rules.isEmpty()) {
                err(body, "knob: " + kind + " gives no setting to tune");
                return null;
            }
            if (rules.get(0).select().isPresent()) {
                // per element (blockQueue, nicSysctl): every element the select matches takes the trial's value
                if (rules.size() != 1) {
                    err(body, "knob: " + kind + " tunes one attribute per element; here it gives " + rules.size() + " ("
                            + String.join(", ", rules.stream().map(SettingRule::target).toList())
                            + "): set the other fields in a policy");
                    return null;
                }
                key = rules.get(0).kind() + ":" + Tuning.Knob.ANY_ELEMENT + "/" + rules.get(0).target();
            } else {
                key = rules.get(0).kind() + ":" + rules.get(0).target();
            }
            values.add(((ScalarNode) v).getValue());
        }
        return new Tuning.Knob(kind, plainMap(bm), field, values, range, key, item.getStartMark().getLine() + 1,
                item.getStartMark().getColumn() + 1);
    }

    /** Fields that say which setting or elements a knob is about, never the value the tuner chooses. */
    private static final Set<String> IDENTITY = Set.of("select", "key", "family", "name");

    /** Reads a per-element knob's select on its own (its errors and warnings), when the knob's values cannot be read. */
    private void selectAlone(MappingNode bm, String kind) {
        String element = kind.equals("blockQueue") ? "disk" : kind.equals("nicSysctl") ? "nic" : null;
        for (NodeTuple t : bm.getValue()) {
            if (element != null && t.getKeyNode() instanceof ScalarNode k && k.getValue().equals("select")
                    && t.getValueNode() instanceof ScalarNode v) {
                expression(v, element, kind + ".select");
            }
        }
    }

    private List<Node> range(Node n) {
        Map<String, NodeTuple> m = mapping(n, "range", Set.of("min", "max", "step"));
        if (m == null) {
            return List.of();
        }
        if (!m.containsKey("min") || !m.containsKey("max")) {
            err(n, "range needs min and max (and optionally step, default 1), e.g. {min: 128, max: 8192, step: 128}");
            return List.of();
        }
        String mn = number(m, "min", "range", false);
        String mx = number(m, "max", "range", false);
        String st = m.containsKey("step") ? number(m, "step", "range", false) : "1";
        if (mn == null || mx == null || st == null) {
            return List.of();
        }
        long min = Long.parseLong(mn);
        long max = Long.parseLong(mx);
        long step = Long.parseLong(st);
        if (max <= min) {
            err(m.get("max").getValueNode(), "range.max must be more than range.min (" + min + "), found " + max);
            return List.of();
        }
        if (step < 1) {
            err(m.get("step").getValueNode(), "range.step must be at least 1, found " + step);
            return List.of();
        }
        if ((max - min) / step + 1 > MAX_VALUES) {
            err(n, "range has " + ((max - min) / step + 1) + " values; at most " + MAX_VALUES + " (take a larger step)");
            return List.of();
        }
        List<Node> out = new ArrayList<>();
        for (long v = min; v <= max; v += step) {
            out.add(new ScalarNode(Tag.INT, Long.toString(v), n.getStartMark(), n.getEndMark(), DumperOptions.ScalarStyle.PLAIN));
        }
        if ((max - min) % step != 0) {
            out.add(new ScalarNode(Tag.INT, Long.toString(max), m.get("max").getValueNode().getStartMark(),
                    m.get("max").getValueNode().getEndMark(), DumperOptions.ScalarStyle.PLAIN));
        }
        return out;
    }

    private List<Node> choices(Node n) {
        if (!(n instanceof SequenceNode seq) || seq.getValue().size() < 2) {
            err(n, "choices must be a list of at least two values, found " + (n instanceof SequenceNode one
                    ? one.getValue().size() + " value" + (one.getValue().size() == 1 ? "" : "s") : describe(n)));
            return List.of();
        }
        if (seq.getValue().size() > MAX_VALUES) {
            err(n, "choices has " + seq.getValue().size() + " values; at most " + MAX_VALUES);
            return List.of();
        }
        Set<String> seen = new HashSet<>();
        for (Node v : seq.getValue()) {
            if (!(v instanceof ScalarNode s)) {
                err(v, "choices: each choice is a single value, found " + describe(v));
                return List.of();
            }
            if (!seen.add(s.getValue())) {
                err(v, "choices: '" + s.getValue() + "' is listed twice");
                return List.of();
            }
        }
        return seq.getValue();
    }

    // --- budget, guardrail, when ---

    private Tuning.Budget budget(Node n) {
        Map<String, NodeTuple> m = mapping(n, "spec.budget", Set.of("trials", "time", "trialsPerHour"));
        if (m == null) {
            return null;
        }
        if (!m.containsKey("trials")) {
            err(n, "spec.budget needs trials (how many settings to try, 1 to " + MAX_TRIALS + "), e.g. {trials: 12, time: 10m}");
            return null;
        }
        int before = errorCount();
        Integer trials = whole(m, "trials", "spec.budget", 1, MAX_TRIALS);
        Duration time = duration(m, "time", "spec.budget", BUDGET_TIME, null);
        Integer perHour = whole(m, "trialsPerHour", "spec.budget", 1, 3600);
        return errorCount() > before || trials == null ? null
                : new Tuning.Budget(trials, Optional.ofNullable(time), Optional.ofNullable(perHour));
    }

    private Tuning.Guardrail guardrail(Node n) {
        Map<String, NodeTuple> m = mapping(n, "spec.guardrail", Set.of("maxRegression", "health", "settle"));
        if (m == null) {
            return null;
        }
        int before = errorCount();
        double maxRegression = 20;
        String mr = scalar(m, "maxRegression", "spec.guardrail", true);
        if (mr != null) {
            String t = mr.strip().endsWith("%") ? mr.strip().substring(0, mr.strip().length() - 1).strip() : mr.strip();
            try {
                maxRegression = Double.parseDouble(t);
                if (!(maxRegression >= 0 && maxRegression <= 100)) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                err(m.get("maxRegression").getValueNode(), "spec.guardrail.maxRegression is a percent of the baseline from 0 to 100 "
                        + "(e.g. 20 or 20%), found '" + mr + "'");
            }
        }
        Duration settle = duration(m, "settle", "spec.guardrail", Durations.SETTLE, Duration.ZERO);
        List<String> command = List.of();
        String url = null;
        Duration timeout = Duration.ofSeconds(30);
        if (m.containsKey("health")) {
            Node hn = m.get("health").getValueNode();
            Map<String, NodeTuple> h = mapping(hn, "spec.guardrail.health", Set.of("command", "url", "timeout"));
            if (h != null) {
                if (!h.containsKey("command") && !h.containsKey("url")) {
                    err(hn, "spec.guardrail.health needs a command, a url or both");
                }
                if (h.containsKey("command")) {
                    command = command(h.get("command").getValueNode(), "spec.guardrail.health.command");
                }
                url = loopbackUrl(h, "url", "spec.guardrail.health");
                timeout = duration(h, "timeout", "spec.guardrail.health", Durations.CHECK_TIMEOUT, Duration.ofSeconds(30));
            }
        }
        return errorCount() > before ? null : new Tuning.Guardrail(maxRegression, command, url, timeout, settle,
                n.getStartMark().getLine() + 1, n.getStartMark().getColumn() + 1);
    }

    private Optional<Tuning.Window> window(Node n, String text) {
        Matcher w = WINDOW.matcher(text.strip());
        if (w.matches()) {
            int h1 = Integer.parseInt(w.group(1));
            int m1 = Integer.parseInt(w.group(2));
            int h2 = Integer.parseInt(w.group(3));
            int m2 = Integer.parseInt(w.group(4));
            if (h1 < 24 && m1 < 60 && h2 < 24 && m2 < 60 && (h1 != h2 || m1 != m2)) {
                return Optional.of(new Tuning.Window(LocalTime.of(h1, m1), LocalTime.of(h2, m2)));
            }
        }
        err(n, "spec.when.window must be HH:MM-HH:MM in local time, two different times (it may pass midnight: 22:00-06:00), found '"
                + text + "'");
        return Optional.empty();
    }

    // --- values ---

    private Integer whole(Map<String, NodeTuple> m, String key, String what, int min, int max) {
        Long v = wholeInRange(m, key, what, min, max);
        return v == null ? null : v.intValue();
    }

    /** A mapping as plain values (scalars as text, YAML booleans as Boolean), for writing the knob back into a policy. */
    private static Map<String, Object> plainMap(MappingNode m) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (NodeTuple t : m.getValue()) {
            out.put(((ScalarNode) t.getKeyNode()).getValue(), plain(t.getValueNode()));
        }
        return out;
    }

    private static Object plain(Node n) {
        if (n instanceof MappingNode m) {
            return plainMap(m);
        }
        if (n instanceof SequenceNode s) {
            return s.getValue().stream().map(TuningParser::plain).toList();
        }
        ScalarNode s = (ScalarNode) n;
        if (s.getTag().equals(Tag.BOOL)) {
            return Boolean.parseBoolean(s.getValue().toLowerCase(Locale.ROOT));
        }
        return s.getValue();
    }
}
