package dev.chameleon.server.service;

import dev.chameleon.wire.ReportLimits;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The documented shape of each report kind's payload, checked strictly before anything of a batch
 * is stored, and given as JSON Schema in {@code /openapi.json} from the same table (so the two
 * cannot drift). Known fields must have their type, range and size; a required one must be
 * there; a field the table does not name is kept as sent (a newer agent may report more), and
 * {@code null} for an optional field is as if it were absent.
 *
 * <p>Errors are one line each, {@code FIELD.PATH: what is wrong (what was sent)}, e.g.
 * {@code mode: is "bogus-mode", expected one of plan, apply}.
 */
public final class ReportShapes {
    private ReportShapes() {
    }

    /** A shape a JSON value (as {@link dev.chameleon.wire.Json#parse} reads it) is checked against. */
    public sealed interface Shape permits Text, Whole, Number, Flag, Obj, ListOf, MapOf, Either {
        /** Adds to {@code errors} every way {@code v} at {@code path} does not fit. */
        void check(String path, Object v, List<String> errors);

        /** This shape as JSON Schema. */
        Map<String, Object> schema();
    }

    /** A string of at most {@code max} characters, matching {@code pattern} or one of {@code values} when given. */
    public record Text(int max, Pattern pattern, List<String> values) implements Shape {
        public void check(String path, Object v, List<String> errors) {
            if (!(v instanceof String s)) {
                errors.add(path + ": is " + describe(v) + ", expected a string");
            } else if (values != null && !values.contains(s)) {
                errors.add(path + ": is " + quote(s) + ", expected one of " + String.join(", ", values));
            } else if (s.length() > max && s.codePointCount(0, s.length()) > max) {
                // characters are Unicode code points (an emoji is one), as JSON Schema's maxLength counts them
                errors.add(path + ": is " + s.codePointCount(0, s.length()) + " characters long, at most " + max);
            } else if (pattern != null && !pattern.matcher(s).matches()) {
                errors.add(path + ": is " + quote(s) + ", expected " + pattern.pattern());
            }
        }

        public Map<String, Object> schema() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "string");
            if (values != null) {
                m.put("enum", values);
            } else {
                m.put("maxLength", max);
                if (pattern != null) {
                    m.put("pattern", "^" + pattern.pattern() + "$");
                }
            }
            return m;
        }
    }

    /** A whole number from {@code min} to {@code max}. */
    public record Whole(long min, long max) implements Shape {
        public void check(String path, Object v, List<String> errors) {
            if (!(v instanceof Long n)) {
                errors.add(path + ": is " + describe(v) + ", expected a whole number");
            } else if (n < min || n > max) {
                errors.add(path + ": is " + n + ", expected " + min + " to " + max);
            }
        }

        public Map<String, Object> schema() {
            return Map.of("type", "integer", "minimum", min, "maximum", max);
        }
    }

    /** A number (whole or not) from {@code min} to {@code max}. */
    public record Number(double min, double max) implements Shape {
        public void check(String path, Object v, List<String> errors) {
            double d;
            if (v instanceof Long n) {
                d = n;
            } else if (v instanceof Double x) {
                d = x;
            } else {
                errors.add(path + ": is " + describe(v) + ", expected a number");
                return;
            }
            if (!(d >= min && d <= max)) {
                errors.add(path + ": is " + v + ", expected " + min + " to " + max);
            }
        }

        public Map<String, Object> schema() {
            return Map.of("type", "number", "minimum", min, "maximum", max);
        }
    }

    /** true or false. */
    public record Flag() implements Shape {
        public void check(String path, Object v, List<String> errors) {
            if (!(v instanceof Boolean)) {
                errors.add(path + ": is " + describe(v) + ", expected true or false");
            }
        }

        public Map<String, Object> schema() {
            return Map.of("type", "boolean");
        }
    }

    /** An object with {@code required} and {@code optional} fields; other fields are kept as sent. */
    public record Obj(Map<String, Shape> required, Map<String, Shape> optional) implements Shape {
        public void check(String path, Object v, List<String> errors) {
            if (!(v instanceof Map<?, ?> m)) {
                errors.add((path.isEmpty() ? "payload" : path) + ": is " + describe(v) + ", expected an object");
                return;
            }
            required.forEach((k, s) -> {
                Object x = m.get(k);
                if (x == null) {
                    errors.add(join(path, k) + ": is missing");
                } else {
                    s.check(join(path, k), x, errors);
                }
            });
            optional.forEach((k, s) -> {
                Object x = m.get(k);
                if (x != null) {
                    s.check(join(path, k), x, errors);
                }
            });
        }

        public Map<String, Object> schema() {
            Map<String, Object> props = new LinkedHashMap<>();
            required.forEach((k, s) -> props.put(k, s.schema()));
            optional.forEach((k, s) -> props.put(k, s.schema()));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("type", "object");
            if (!required.isEmpty()) {
                m.put("required", List.copyOf(required.keySet()));
            }
            m.put("properties", props);
            return m;
        }
    }

    /** A list of at most {@code max} items, each of {@code item}'s shape. */
    public record ListOf(Shape item, int max) implements Shape {
        public void check(String path, Object v, List<String> errors) {
            if (!(v instanceof List<?> l)) {
                errors.add(path + ": is " + describe(v) + ", expected a list");
            } else if (l.size() > max) {
                errors.add(path + ": has " + l.size() + " items, at most " + max);
            } else {
                for (int i = 0; i < l.size() && errors.size() < 20; i++) {
                    item.check(path + "[" + i + "]", l.get(i), errors);
                }
            }
        }

        public Map<String, Object> schema() {
            return Map.of("type", "array", "maxItems", max, "items", item.schema());
        }
    }

    /** An object used as a map: at most {@code max} keys matching {@code key}, each value of {@code value}'s shape. */
    public record MapOf(Pattern key, int keyMax, Shape value, int max) implements Shape {
        public void check(String path, Object v, List<String> errors) {
            if (!(v instanceof Map<?, ?> m)) {
                errors.add((path.isEmpty() ? "payload" : path) + ": is " + describe(v) + ", expected an object");
                return;
            }
            if (m.size() > max) {
                errors.add((path.isEmpty() ? "payload" : path) + ": has " + m.size() + " entries, at most " + max);
                return;
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (errors.size() >= 20) {
                    return;
                }
                String k = String.valueOf(e.getKey());
                if (k.length() > keyMax || !key.matcher(k).matches()) {
                    errors.add(join(path, shorten(k)) + ": the key is not " + key.pattern() + " (at most " + keyMax + " characters)");
                } else {
                    value.check(join(path, k), e.getValue(), errors);
                }
            }
        }

        public Map<String, Object> schema() {
            return Map.of("type", "object", "maxProperties", max, "propertyNames", Map.of("pattern", "^" + key.pattern() + "$",
                    "maxLength", keyMax), "additionalProperties", value.schema());
        }
    }

    /** Either shape (a value fitting one of them); {@code null} allowed when {@code nullable}. */
    public record Either(List<Shape> shapes, boolean nullable, String expected) implements Shape {
        public void check(String path, Object v, List<String> errors) {
            if (v == null && nullable) {
                return;
            }
            for (Shape s : shapes) {
                List<String> e = new ArrayList<>();
                s.check(path, v, e);
                if (e.isEmpty()) {
                    return;
                }
            }
            errors.add(path + ": is " + describe(v) + ", expected " + expected);
        }

        public Map<String, Object> schema() {
            List<Object> any = new ArrayList<>();
            shapes.forEach(s -> any.add(s.schema()));
            if (nullable) {
                any.add(Map.of("type", "null"));
            }
            return Map.of("anyOf", any);
        }
    }

    private static String join(String path, String k) {
        return path.isEmpty() ? k : path + "." + k;
    }

    private static String quote(String s) {
        return "\"" + shorten(s) + "\"";
    }

    private static String shorten(String s) {
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }

    private static String describe(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof String s) {
            return "the string " + quote(s);
        }
        if (v instanceof Map<?, ?>) {
            return "an object";
        }
        if (v instanceof List<?>) {
            return "a list";
        }
        return String.valueOf(v);
    }

    // ---- the table ----

    private static final long BIG = Long.MAX_VALUE;
    /** One line for people (summaries); the agent shortens to the same constants (dev.chameleon.wire.ReportLimits). */
    private static final int LINE = ReportLimits.LINE;
    /** Free text that may carry a command's error output (messages, errors). */
    private static final int TEXT = ReportLimits.TEXT;
    private static final Shape COUNT = new Whole(0, Integer.MAX_VALUE);
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?");

    private static Text text(int max) {
        return new Text(max, null, null);
    }

    private static Text oneOf(String... values) {
        return new Text(64, null, List.of(values));
    }

    private static Map<String, Shape> fields(Object... kv) {
        Map<String, Shape> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Shape) kv[i + 1]);
        }
        return m;
    }

    /** The agent's modes ({@code chameleon run}'s {@code mode}). */
    public static final List<String> MODES = List.of("plan", "apply");

    /** {@code status}: the agent's heartbeat after each pass (dev.chameleon.agent.fleet.FleetLink#passed). */
    public static final Shape STATUS = new Obj(fields("mode", oneOf(MODES.toArray(String[]::new))), fields(
            "pendingChanges", COUNT, "drift", COUNT, "bundleVersion", new Whole(0, BIG), "trigger", text(ReportLimits.TRIGGER), "error", text(TEXT),
            "outbox", COUNT, "rssBytes", new Whole(0, BIG), "cpuPercent", new Number(0, 100_000)));

    /** {@code plan}: the plan document (docs/plan-json.md); {@code summary.change} is the pending count. */
    public static final Shape PLAN = new Obj(fields("summary", new Obj(fields("change", COUNT), fields(
            "ok", COUNT, "unknown", COUNT, "undecidable", COUNT))), fields("entries", new ListOf(new Obj(fields(), fields()), 100_000)));

    /** {@code current-values}: {@code {"KIND:TARGET": "value" | null}}. */
    public static final Shape CURRENT_VALUES = new MapOf(Pattern.compile("[a-z][a-z0-9-]*:.+"), 512,
            new Either(List.of(text(65_536)), true, "a string or null"), 100_000);

    /** {@code change-set}: a journal change set as the agent records it (dev.chameleon.model.ChangeSet). */
    public static final Shape CHANGE_SET = new Obj(fields(
            "id", new Text(128, Pattern.compile("[A-Za-z0-9._:-]+"), null),
            "status", oneOf("in-progress", "applied", "failed-rolled-back", "rolling-back", "rolled-back", "rollback-incomplete",
                    "recovered"),
            "entries", new ListOf(new Either(List.of(text(1024), new Obj(fields(), fields())), false, "a setting key or an object"),
                    100_000)),
            fields("type", text(40), "time", text(64), "ok", new Flag(), "message", text(TEXT)));

    /** The fields of every {@code event}: its {@code type} and a line for people. */
    private static final Map<String, Shape> EVENT_COMMON = fields("time", text(64), "summary", text(LINE), "message", text(TEXT));

    /** An event type: {@code drift}, {@code health-gate}, {@code advice}, ... */
    public static final Pattern EVENT_TYPE = Pattern.compile("[a-z][a-z0-9-]{0,39}");

    /** {@code event} of any type. */
    public static final Shape EVENT = new Obj(fields("type", new Text(40, EVENT_TYPE, null)), EVENT_COMMON);

    /** {@code event} of type {@code tuning-proposal} (docs/control-plane.md, learned tuning). */
    public static final Shape TUNING_PROPOSAL = new Obj(fields(
            "type", oneOf("tuning-proposal"),
            "tuning", new Text(63, NAME, null),
            "fingerprint", new Obj(fields("key", text(1024)), fields("hypervisor", text(64), "cloud", text(64), "cpuModel", text(256),
                    "memoryTierGiB", new Whole(0, 1L << 30), "apps", new ListOf(text(64), 64))),
            "proposal", text(1 << 20)),
            merge(EVENT_COMMON, fields("gain", new Obj(fields(), fields("percent", new Number(-1e9, 1e9), "ci95Low", new Number(-1e9, 1e9),
                    "ci95High", new Number(-1e9, 1e9), "from", text(64), "significant", new Flag())))));

    /** {@code event} of type {@code advice}: the hardware advice (docs/hardware.md). */
    public static final Shape ADVICE = new Obj(fields("type", oneOf("advice"), "advice", new Obj(fields(), fields(
            "summary", text(LINE), "error", text(TEXT)))), EVENT_COMMON);

    /** {@code facts}' {@code meta.sensors}: each sensor's outcome (dev.chameleon.sensors.SensorSuite). */
    public static final Shape SENSORS = new MapOf(Pattern.compile("[a-z][a-z0-9_-]*"), 40, new Obj(
            fields("status", oneOf("ok", "failed", "timeout", "disabled")),
            fields("error", text(TEXT), "durationMs", new Number(0, 1e12), "partial", new Flag(), "cachedValues", new Whole(0, BIG),
                    "problems", new ListOf(new Obj(fields("source", text(LINE), "error", text(TEXT)), fields()), 1000))), 200);

    /** {@code facts}' {@code meta}, as far as the server reads it. */
    public static final Shape FACTS_META = new Obj(fields(), fields("root", text(LINE), "commands", text(LINE), "collectedAt", text(64),
            "sensors", SENSORS));

    private static Map<String, Shape> merge(Map<String, Shape> a, Map<String, Shape> b) {
        Map<String, Shape> m = new LinkedHashMap<>(a);
        m.putAll(b);
        return m;
    }

    /** The shape an {@code event} payload of {@code type} has (the common one for types without their own). */
    public static Shape event(Object type) {
        return "tuning-proposal".equals(type) ? TUNING_PROPOSAL : "advice".equals(type) ? ADVICE : EVENT;
    }

    /** Every way {@code payload} does not fit {@code shape}, at most 20. */
    public static List<String> check(Shape shape, Object payload) {
        List<String> errors = new ArrayList<>();
        shape.check("", payload, errors);
        return errors.size() > 20 ? errors.subList(0, 20) : errors;
    }

    /** The payload schemas for the OpenAPI document, by name. */
    public static Map<String, Map<String, Object>> schemas() {
        Map<String, Map<String, Object>> m = new LinkedHashMap<>();
        m.put("StatusPayload", STATUS.schema());
        m.put("PlanPayload", PLAN.schema());
        m.put("CurrentValuesPayload", CURRENT_VALUES.schema());
        m.put("ChangeSetPayload", CHANGE_SET.schema());
        m.put("EventPayload", EVENT.schema());
        m.put("TuningProposalEventPayload", TUNING_PROPOSAL.schema());
        m.put("AdviceEventPayload", ADVICE.schema());
        m.put("FactsMeta", FACTS_META.schema());
        return m;
    }
}
