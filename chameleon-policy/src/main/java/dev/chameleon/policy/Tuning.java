package dev.chameleon.policy;

import java.time.Duration;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A {@code Tuning} document ({@code apiVersion: chameleon/v1}): what {@code chameleon tune} may
 * try on this machine, how it measures the result, and the limits it keeps. Read by
 * {@link TuningParser} with the positioned YAML reading policies use; run by
 * {@code dev.chameleon.agent.tuning.Tuner}. Reference: {@code docs/tuning.md}.
 *
 * @param name        {@code metadata.name}: lower-case letters, digits, '-' and '.'
 * @param description {@code metadata.description}, or empty
 * @param file        the file it was read from
 * @param line        1-based line of the document's start
 * @param objective   what is measured and which way is better
 * @param knobs       the settings the tuner may change, each with its values; at least one
 * @param budget      how many trials, for how long, how fast
 * @param guardrail   when a trial is stopped and undone
 * @param when        {@code spec.when.condition}: CEL over the facts; empty means always
 * @param window      {@code spec.when.window}: the local time of day trials may run in; empty means any time
 * @param autoApprove {@code spec.approve: auto}: the agent running this Tuning (the daemon) writes a proposal with a
 *                    significant gain into the policy folder itself; default {@code manual}: it never does
 */
public record Tuning(String name, String description, String file, int line, Objective objective, List<Knob> knobs,
                     Budget budget, Guardrail guardrail, Optional<Condition> when, Optional<Window> window, boolean autoApprove) {
    /** The one apiVersion read. */
    public static final String API_VERSION = "chameleon/v1";
    /** The kind this document has. */
    public static final String KIND = "Tuning";

    public Tuning {
        knobs = List.copyOf(knobs);
        description = description == null ? "" : description;
    }

    /** {@code file:line} of the document. */
    public String location() {
        return file + ":" + line;
    }

    /**
     * The objective.
     *
     * @param probe    how one measurement is taken
     * @param maximise {@code goal: maximise} (true) or {@code minimise} (false)
     * @param repeats  measurements per trial (and for the baseline), 1 to {@link TuningParser#MAX_REPEATS}; default 3
     */
    public record Objective(Probe probe, boolean maximise, int repeats) {
    }

    /** What kind of probe: a command's stdout, a loopback HTTP body, or one Prometheus sample. */
    public enum ProbeType { COMMAND, URL, PROMETHEUS }

    /**
     * One measurement: a number read from a command's stdout, an HTTP body (GET, loopback only)
     * or a Prometheus text exposition.
     *
     * @param type    which source
     * @param command the program (absolute path) and its arguments, run without a shell; empty unless {@code COMMAND}
     * @param url     {@code http://} URL on a loopback address literal; null for {@code COMMAND}
     * @param metric  for {@code PROMETHEUS}: the sample's name with optional labels ({@code http_requests_total{code="200"}}); else null
     * @param pattern where the number is in the output: group 1 of the last match; null means the last number in the output
     * @param timeout one measurement is stopped (a command killed) after this; default 60 s
     * @param line    1-based line of {@code objective.probe}, for errors found when it runs
     * @param column  1-based column
     */
    public record Probe(ProbeType type, List<String> command, String url, String metric, Pattern pattern, Duration timeout,
                        int line, int column) {
        public Probe {
            command = List.copyOf(command);
        }

        /** The probe for people: the command line, the URL, or {@code METRIC at URL}. */
        public String describe() {
            return switch (type) {
                case COMMAND -> String.join(" ", command);
                case URL -> url;
                case PROMETHEUS -> metric + " at " + url;
            };
        }
    }

    /**
     * One knob: a setting written as a policy writes it, with one field left to the tuner.
     *
     * @param kind    the setting kind ({@code sysctl}, {@code sysfs}, {@code blockQueue}, ...)
     * @param setting the kind's mapping as written, without {@code field} (plain values: String, Long, Boolean, lists, maps)
     * @param field   the field the tuner chooses, default {@code value}
     * @param values  every value it may take, in order (a range's values from min to max by step, or the choices as written);
     *                each was checked by the kind as a policy setting
     * @param numeric true for a {@code range} (the values are numbers in order), false for {@code choices}
     * @param key     the setting key its rule has, as plan shows it ({@code sysctl:net.ipv4.tcp_wmem}); for a per-element
     *                kind ({@code blockQueue}, {@code nicSysctl}: a {@code select} over disks or NICs, absent meaning every
     *                one) {@code KIND:*}{@code /ATTRIBUTE} ({@code nicSysctl:*}{@code /ipv4.rp_filter}), standing for the
     *                setting of each element the select matches when the tuner plans it, all given the same value
     * @param line    1-based line of the knob
     * @param column  1-based column
     */
    public record Knob(String kind, Map<String, Object> setting, String field, List<String> values, boolean numeric, String key,
                       int line, int column) {
        /** The element part of a per-element knob's {@link #key}: any element its select matches. */
        public static final String ANY_ELEMENT = "*";

        public Knob {
            setting = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(setting));
            values = List.copyOf(values);
        }

        /** True for a knob over a per-element kind: one knob, one setting per element its select matches. */
        public boolean perElement() {
            return key.startsWith(kind + ":" + ANY_ELEMENT + "/");
        }

        /**
         * Whether the plan's setting {@code settingKey} ({@code kind:target}, as plan shows it) is
         * this knob's: the same key, or for a per-element knob, its attribute on any one element
         * ({@code nicSysctl:v0/ipv4.rp_filter} for {@code nicSysctl:*}{@code /ipv4.rp_filter}).
         */
        public boolean covers(String settingKey) {
            return covers(key, settingKey);
        }

        /** {@link #covers(String)} for a knob's key alone (what the agent holds out of its reconcile). */
        public static boolean covers(String knobKey, String settingKey) {
            if (knobKey.equals(settingKey)) {
                return true;
            }
            int colon = knobKey.indexOf(':');
            if (colon < 0 || !knobKey.startsWith(ANY_ELEMENT + "/", colon + 1)) {
                return false;
            }
            String kindPart = knobKey.substring(0, colon + 1);
            String attribute = knobKey.substring(colon + 1 + ANY_ELEMENT.length()); // "/ATTRIBUTE"
            if (!settingKey.startsWith(kindPart) || !settingKey.endsWith(attribute)) {
                return false;
            }
            String element = settingKey.substring(kindPart.length(), settingKey.length() - attribute.length());
            return !element.isEmpty() && !element.contains("/");
        }
    }

    /**
     * The budget: the run ends at whichever limit comes first.
     *
     * @param trials        at most this many trials (besides the baseline), 1 to {@link TuningParser#MAX_TRIALS}
     * @param time          no trial starts after this much time since the start; empty for no limit
     * @param trialsPerHour trials start at most this often (one each {@code 3600/N} s); empty for no limit
     */
    public record Budget(int trials, Optional<Duration> time, Optional<Integer> trialsPerHour) {
        /** Least time between two trials' starts: zero without {@code trialsPerHour}. */
        public Duration spacing() {
            return trialsPerHour.map(n -> Duration.ofMillis(3_600_000L / n)).orElse(Duration.ZERO);
        }
    }

    /**
     * When a trial is stopped and undone.
     *
     * @param maxRegressionPercent a measurement worse than the baseline's mean by more than this
     *                             (percent of the baseline) stops the trial; default 20
     * @param healthCommand        a health check run after the trial's settings are applied (exit 0 passes); empty for none
     * @param healthUrl            a loopback {@code http://} URL asked after the trial's settings are applied (2xx passes); null for none
     * @param healthTimeout        per health check; default 30 s
     * @param settle               wait after applying a trial's settings before the health check and the measurements; default 0
     * @param line                 1-based line of {@code spec.guardrail} (or of the document without one)
     * @param column               1-based column
     */
    public record Guardrail(double maxRegressionPercent, List<String> healthCommand, String healthUrl, Duration healthTimeout,
                            Duration settle, int line, int column) {
        public Guardrail {
            healthCommand = List.copyOf(healthCommand);
        }
    }

    /**
     * A local time-of-day window, {@code HH:MM-HH:MM}; it may pass midnight ({@code 22:00-06:00}).
     *
     * @param from first minute inside
     * @param to   first minute outside
     */
    public record Window(LocalTime from, LocalTime to) {
        /** Whether {@code t} is inside. */
        public boolean contains(LocalTime t) {
            return from.isBefore(to) ? !t.isBefore(from) && t.isBefore(to) : !t.isBefore(from) || t.isBefore(to);
        }

        @Override
        public String toString() {
            return from + "-" + to;
        }
    }
}
