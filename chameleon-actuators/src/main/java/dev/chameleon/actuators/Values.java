package dev.chameleon.actuators;

import java.util.ArrayList;
import java.util.List;

/**
 * Shared value rules of the actuators: relative numbers ({@code >=4096} "at least",
 * {@code <=64} "at most"), bracketed choice lists ({@code none [mq-deadline] kyber}) and
 * allowed-value checks. Pure functions, no host access.
 */
public final class Values {
    private Values() {
    }

    /** True when the desired text is relative ({@code >=N} or {@code <=N}). */
    public static boolean isRelative(String desired) {
        String d = desired.strip();
        return d.startsWith(">=") || d.startsWith("<=");
    }

    /**
     * Resolves a desired number against the current one. {@code >=N}: the current value when it is
     * at least N, else N; {@code <=N}: the current value when at most N, else N; a plain number is
     * itself.
     *
     * @return the resolved value, or {@link Current#notApplicable} when the desired or current text
     *         is not a whole number
     */
    public static Current number(String what, String desired, String current) {
        String d = desired.strip();
        boolean atLeast = d.startsWith(">=");
        boolean atMost = d.startsWith("<=");
        String n = atLeast || atMost ? d.substring(2).strip() : d;
        long want;
        try {
            want = Long.parseLong(n);
        } catch (NumberFormatException e) {
            return Current.notApplicable(what + ": '" + desired + "' is not a whole number (or >=N, <=N)");
        }
        if (!atLeast && !atMost) {
            return Current.value(Long.toString(want));
        }
        long cur;
        try {
            cur = Long.parseLong(current.strip());
        } catch (NumberFormatException e) {
            return Current.notApplicable(what + ": a relative value needs a number here, found '" + current + "'");
        }
        if (atLeast) {
            return Current.value(Long.toString(Math.max(cur, want)));
        }
        return Current.value(Long.toString(Math.min(cur, want)));
    }

    /** The bracketed word of a choice list ({@code always [madvise] never} → {@code madvise}); else the text with blanks collapsed. */
    public static String selected(String text) {
        String v = text.strip();
        int a = v.indexOf('[');
        int b = v.indexOf(']', a + 1);
        return a >= 0 && b > a ? v.substring(a + 1, b) : v.replaceAll("\\s+", " ");
    }

    /** Every word of a choice list without brackets ({@code none [mq-deadline]} → none, mq-deadline); empty for an empty text. */
    public static List<String> choices(String text) {
        List<String> out = new ArrayList<>();
        for (String w : text.strip().split("\\s+")) {
            String c = w.replace("[", "").replace("]", "");
            if (!c.isEmpty()) {
                out.add(c);
            }
        }
        return out;
    }

    /** The value when it is one of the choices, else why not (for {@link Actuator#target}). */
    public static Current oneOf(String value, List<String> choices) {
        if (choices.isEmpty() || choices.contains(value)) {
            return Current.value(value);
        }
        return Current.notApplicable("'" + value + "' is not offered here (choices: " + String.join(", ", choices) + ")");
    }
}
