package dev.chameleon.agent.tuning;

import dev.chameleon.host.SysRoot;
import java.util.Optional;

/**
 * What else the machine was doing while a trial was measured, so a person can judge a result:
 * CPU time stolen by the hypervisor and the load average. Read from {@code /proc/stat} (the
 * {@code cpu} line: user nice system idle iowait irq softirq steal, in clock ticks) and
 * {@code /proc/loadavg} through the root.
 *
 * @param stealPercent percent of all CPU time stolen between {@link #start} and {@link Window#end}; absent when unreadable
 * @param load1        the 1-minute load average at the end; absent when unreadable
 */
public record Noise(Optional<Double> stealPercent, Optional<Double> load1) {
    /** A window being measured: the {@code cpu} counters at its start. */
    public static final class Window {
        private final SysRoot root;
        private final long[] start;

        private Window(SysRoot root, long[] start) {
            this.root = root;
            this.start = start;
        }

        /** The noise since the start. */
        public Noise end() {
            long[] now = cpu(root);
            Optional<Double> steal = Optional.empty();
            if (start != null && now != null) {
                long total = 0;
                for (int i = 0; i < Math.min(start.length, now.length); i++) {
                    total += now[i] - start[i];
                }
                if (total > 0 && now.length > 7) {
                    steal = Optional.of(100.0 * (now[7] - start[7]) / total);
                }
            }
            Optional<Double> load = root.readTrimmed("/proc/loadavg").flatMap(s -> {
                try {
                    return Optional.of(Double.parseDouble(s.split("\\s+")[0]));
                } catch (RuntimeException e) {
                    return Optional.empty();
                }
            });
            return new Noise(steal, load);
        }
    }

    /** Starts a window. */
    public static Window start(SysRoot root) {
        return new Window(root, cpu(root));
    }

    /** The {@code cpu} line's first 8 counters, or null when unreadable. */
    static long[] cpu(SysRoot root) {
        Optional<String> stat = root.readTrimmed("/proc/stat");
        if (stat.isEmpty()) {
            return null;
        }
        for (String line : stat.get().split("\n")) {
            if (line.startsWith("cpu ")) {
                String[] f = line.substring(4).strip().split("\\s+");
                long[] out = new long[Math.min(8, f.length)];
                try {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = Long.parseLong(f[i]);
                    }
                } catch (NumberFormatException e) {
                    return null;
                }
                return out;
            }
        }
        return null;
    }
}
