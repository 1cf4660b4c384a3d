package dev.chameleon.sensors;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The samples of host counters a long-running agent has taken, newest last: what the
 * {@link HostSensor} computes its deltas ({@code percent}, latencies) and windowed averages
 * ({@code avg1m}, {@code avg5m}, {@code avg15m}) from.
 *
 * <p>Kept in the daemon's {@link FactCache} (see {@link SensorContext#memory}), so it survives a
 * configuration reload and a cache invalidation; a one-shot command has a fresh one, so it has no
 * earlier sample and the delta facts are absent. Samples older than the longest window are dropped,
 * except the newest of them (the base of that window). Thread-safe: a client's refresh may
 * collect while a pass does.
 */
public final class HostHistory {
    /** The longest window a fact is averaged over. */
    public static final long LONGEST_WINDOW_NANOS = 15L * 60 * 1_000_000_000L;
    /** At most this many samples are kept (a client refreshing in a loop cannot grow it without bound). */
    static final int MAX_SAMPLES = 2048;

    /**
     * One sample: when ({@link System#nanoTime()} scale), the CPU time counters of {@code /proc/stat}'s
     * {@code cpu} line (USER_HZ ticks; null when unreadable), the available share of memory (%,
     * NaN when unknown) and each disk's {@code /proc/diskstats} counters.
     */
    public record Sample(long nanos, CpuTimes cpu, double memoryAvailablePercent, Map<String, DiskCounters> disks) {
        public Sample {
            disks = Map.copyOf(disks);
        }
    }

    /** The {@code cpu} line of {@code /proc/stat}: steal and iowait, and the sum of all states (ticks); steal is -1 on kernels without it. */
    public record CpuTimes(long steal, long iowait, long total) {
    }

    /** A disk's cumulative {@code /proc/diskstats} counters: completed reads and writes, ms spent on each, ms the device was busy. */
    public record DiskCounters(long reads, long readMillis, long writes, long writeMillis, long busyMillis) {
    }

    private final ArrayDeque<Sample> samples = new ArrayDeque<>();

    /**
     * Adds {@code now} and returns the samples before it (oldest first), after dropping those no
     * window needs any more.
     */
    public synchronized List<Sample> add(Sample now) {
        List<Sample> before = List.copyOf(samples);
        samples.addLast(now);
        // keep the newest sample at least the longest window old, and everything newer
        Sample base = null;
        for (Sample s : samples) {
            if (now.nanos() - s.nanos() >= LONGEST_WINDOW_NANOS) {
                base = s;
            }
        }
        if (base != null) {
            Iterator<Sample> it = samples.iterator();
            while (it.hasNext() && it.next() != base) {
                it.remove();
            }
        }
        while (samples.size() > MAX_SAMPLES) {
            samples.removeFirst();
        }
        return before;
    }

    /** How many samples are kept. */
    public synchronized int size() {
        return samples.size();
    }
}
