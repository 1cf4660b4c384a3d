package dev.chameleon.sensors.platform;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One clue the platform sensor used.
 *
 * @param signal   short name of the kind of clue ({@code dmi.sys_vendor}, {@code cpuid.signature})
 * @param value    the raw value seen, trimmed and cut to {@link #MAX_VALUE} characters
 * @param source   the file path or command it came from ({@code /sys/class/dmi/id/sys_vendor},
 *                 {@code command: lscpu})
 * @param supports what it points to: {@code layer=value} ({@code hypervisor=vmware},
 *                 {@code cloud=aws}, {@code container=docker}, {@code vmm=firecracker}), the
 *                 QEMU family {@code family=qemu}, the accelerator hint {@code accel=tcg}, the
 *                 bare word {@code vm} (a virtual machine of unnamed kind), or {@code nothing} for
 *                 notes (an unreadable source, a rejected clue)
 * @param weight   how strongly it points there, 0..1 (internal; not part of the fact)
 */
public record Evidence(String signal, String value, String source, String supports, double weight) {
    public static final int MAX_VALUE = 120;

    public Evidence {
        value = clean(value);
    }

    /** Trims, turns control characters (NUL included) into spaces, collapses runs and cuts. */
    public static String clean(String raw) {
        if (raw == null) {
            return "";
        }
        StringBuilder sb = new StringBuilder(Math.min(raw.length(), MAX_VALUE + 8));
        boolean space = false;
        for (int i = 0; i < raw.length() && sb.length() < MAX_VALUE + 4; i++) {
            char c = raw.charAt(i);
            if (Character.isISOControl(c) || Character.isWhitespace(c)) {
                space = true;
                continue;
            }
            if (space && sb.length() > 0) {
                sb.append(' ');
            }
            space = false;
            sb.append(c);
        }
        String s = sb.toString();
        return s.length() > MAX_VALUE ? s.substring(0, MAX_VALUE - 1) + "…" : s;
    }

    /** The layer this clue speaks about ({@code hypervisor}, {@code cloud}, ...), or the bare word. */
    public String layer() {
        int eq = supports.indexOf('=');
        return eq < 0 ? supports : supports.substring(0, eq);
    }

    /** The answer this clue supports for its layer, or empty for bare words. */
    public String answer() {
        int eq = supports.indexOf('=');
        return eq < 0 ? "" : supports.substring(eq + 1);
    }

    public Evidence withSupports(String newSupports, double newWeight) {
        return new Evidence(signal, value, source, newSupports, newWeight);
    }

    /** The plain-value form put into the facts. */
    public Map<String, Object> toFact() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("signal", signal);
        m.put("value", value);
        m.put("source", source);
        m.put("supports", supports);
        return m;
    }
}
