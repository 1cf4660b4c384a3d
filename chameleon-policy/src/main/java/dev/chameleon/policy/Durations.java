package dev.chameleon.policy;

import java.math.BigInteger;
import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one reader of durations in Chameleon's documents (policies' {@code for:}/{@code keepFor:},
 * Tunings, agent.yaml's {@code healthGate}): one or more whole-number-and-unit pairs, Prometheus
 * style, largest unit first ({@code 30s}, {@code 5m}, {@code 1h30m}, {@code 500ms}; units
 * {@code h}, {@code m}, {@code s}, {@code ms}), each field with its own {@link Bounds} (least,
 * most, whether {@code ms} is taken). A number too large for any clock is reported as above the
 * field's most, not as malformed. Pure: {@link Syntax#duration} records the problem at the
 * node's {@code file:line:column}; agent.yaml's reader names the key.
 */
public final class Durations {
    private static final Pattern PAIR = Pattern.compile("(\\d+)(ms|h|m|s)");
    private static final String[] ORDER = {"h", "m", "s", "ms"};
    private static final BigInteger MAX_MS = BigInteger.valueOf(Long.MAX_VALUE / 2);

    /** How long a policy's condition must hold or stop holding ({@code for:}, {@code keepFor:}, a test's {@code holdingFor:}): 0 to 24h, whole seconds (conditions are evaluated once a pass). */
    public static final Bounds HOLD = new Bounds(Duration.ZERO, Duration.ofHours(24), false);
    /** A health check's timeout (agent.yaml's {@code healthGate.timeout}, a Tuning's {@code guardrail.health.timeout}): more than 0, at most 10m, ms taken. */
    public static final Bounds CHECK_TIMEOUT = new Bounds(Duration.ofMillis(1), Duration.ofMinutes(10), true);
    /** The wait after a change set before its check (agent.yaml's {@code healthGate.settle}, a Tuning's {@code guardrail.settle}): 0 to 10m, ms taken. */
    public static final Bounds SETTLE = new Bounds(Duration.ZERO, Duration.ofMinutes(10), true);

    private Durations() {
    }

    /**
     * What one field accepts: from {@code min} to {@code max} (both included), and whether
     * {@code ms} may be written (sub-second values make sense for check timeouts, not for how
     * long a condition holds).
     */
    public record Bounds(Duration min, Duration max, boolean millis) {
        public Bounds {
            if (min.isNegative() || min.compareTo(max) > 0) {
                throw new IllegalArgumentException("bounds " + min + ".." + max);
            }
        }

        /** The units a value of this field may use, for messages: {@code "h, m, s or ms"}. */
        String units() {
            return millis ? "h, m, s or ms" : "h, m or s";
        }
    }

    /** A duration read, or why not (a sentence fragment after the field's name: "must be at most 24h, found '25h'"). */
    public record Read(Optional<Duration> value, Optional<String> problem) {
        static Read ok(Duration d) {
            return new Read(Optional.of(d), Optional.empty());
        }

        static Read bad(String why) {
            return new Read(Optional.empty(), Optional.of(why));
        }
    }

    /** Reads {@code text} (blanks around it ignored) against {@code b}. */
    public static Read read(String text, Bounds b) {
        String t = text.strip();
        String shape = "must be a duration with a unit (" + b.units() + ": " + (b.millis ? "500ms, " : "") + "30s, 5m, 1h30m), found '"
                + t + "'";
        if (t.isEmpty()) {
            return Read.bad(shape);
        }
        if (t.matches("\\d+")) {
            return Read.bad(shape + "; a number alone has no unit: write " + t + "s or " + t + "m");
        }
        Matcher m = PAIR.matcher(t);
        int at = 0;
        int lastUnit = -1;
        BigInteger ms = BigInteger.ZERO;
        boolean usedMillis = false;
        while (at < t.length()) {
            if (!m.find(at) || m.start() != at) {
                return Read.bad(shape);
            }
            int unit = java.util.Arrays.asList(ORDER).indexOf(m.group(2));
            if (unit <= lastUnit) {
                return Read.bad(shape + "; write the units largest first, each once (1h30m, not 30m1h)");
            }
            lastUnit = unit;
            usedMillis |= unit == 3;
            BigInteger n = new BigInteger(m.group(1));
            ms = ms.add(n.multiply(BigInteger.valueOf(switch (unit) {
                case 0 -> 3_600_000L;
                case 1 -> 60_000L;
                case 2 -> 1000L;
                default -> 1L;
            })));
            at = m.end();
        }
        if (usedMillis && !b.millis) {
            return Read.bad("must be whole seconds or more (" + b.units() + "; ms is not taken here), found '" + t + "'");
        }
        if (ms.compareTo(MAX_MS) > 0 || ms.longValueExact() > b.max.toMillis()) {
            return Read.bad("must be at most " + text(b.max) + ", found '" + t + "'");
        }
        Duration d = Duration.ofMillis(ms.longValueExact());
        if (d.compareTo(b.min) < 0) {
            boolean smallest = b.min.equals(b.millis ? Duration.ofMillis(1) : Duration.ofSeconds(1));
            return Read.bad((smallest ? "must be more than 0s" : "must be at least " + text(b.min)) + ", found '" + t + "'");
        }
        return Read.ok(d);
    }

    /** {@code 30s}, {@code 500ms}, {@code 1h30m}: as a document would write it. */
    public static String text(Duration d) {
        long ms = d.toMillis();
        if (ms == 0) {
            return "0s";
        }
        StringBuilder sb = new StringBuilder();
        long[] sizes = {3_600_000L, 60_000L, 1000L, 1L};
        for (int i = 0; i < sizes.length; i++) {
            if (ms >= sizes[i]) {
                sb.append(ms / sizes[i]).append(ORDER[i]);
                ms %= sizes[i];
            }
        }
        return sb.toString();
    }
}
