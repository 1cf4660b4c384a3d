package dev.chameleon.agent.loop;

import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.JournalEntry;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Collectors;

/**
 * What the agent counts about its own work, as plain numbers: the loop records into it on every
 * pass, and {@link MetricsServer} (only when metrics are enabled) reads it at each scrape. Keeping
 * the counting free of any metrics library means an agent without metrics loads none.
 * Thread-safe: the loop writes, the HTTP thread reads.
 */
public final class AgentMetrics {
    private final Map<String, LongAdder> passes = new ConcurrentHashMap<>();
    private final AtomicLong passCount = new AtomicLong();
    private final AtomicLong passNanos = new AtomicLong();
    private volatile long lastPassNanos;
    private volatile long lastPassEpochMillis;
    private final LongAdder changed = new LongAdder();
    private final LongAdder applied = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder rolledBack = new LongAdder();
    private final Map<String, LongAdder> drift = new ConcurrentHashMap<>();
    private volatile int pending;
    private volatile int frozen;
    private volatile int policies;

    /** Starts every single trigger at 0, so each series exists before its first pass. */
    public AgentMetrics() {
        for (String t : new String[]{"start", "interval", "uevent", "policy-change", "sighup"}) {
            passes.put(t, new LongAdder());
        }
    }

    /**
     * One pass finished.
     *
     * @param trigger what started it, as in the {@code pass} event ({@code start}, {@code interval},
     *                {@code uevent}, {@code policy-change}, {@code sighup}; a burst collapsed into one
     *                pass joins its sources with {@code +}); counted under the sources sorted, so a
     *                burst of the same kinds is one label whatever came first
     * @param nanos   how long it took, nanoseconds
     * @param end     when it ended
     */
    public void pass(String trigger, long nanos, Instant end) {
        String label = Arrays.stream(trigger.split("\\+")).filter(s -> !s.isEmpty()).sorted().distinct()
                .collect(Collectors.joining("+"));
        passes.computeIfAbsent(label.isEmpty() ? "unknown" : label, k -> new LongAdder()).increment();
        passNanos.addAndGet(nanos);
        passCount.incrementAndGet();
        lastPassNanos = nanos;
        lastPassEpochMillis = end.toEpochMilli();
    }

    /**
     * A change set the agent wrote: every entry counts as changed; verified entries of an
     * {@code applied} set as applied, {@code failed} and {@code undo-failed} entries as failed,
     * {@code undone} entries as rolled back.
     */
    public void changeSet(ChangeSet cs) {
        for (JournalEntry e : cs.entries()) {
            changed.increment();
            switch (e.state()) {
                case "verified" -> {
                    if (cs.status().equals("applied")) {
                        applied.increment();
                    }
                }
                case "failed", "undo-failed" -> failed.increment();
                case "undone" -> rolledBack.increment();
                default -> {
                    // pending / not-applied: written nowhere
                }
            }
        }
    }

    /** A change set undone after it failed the health gate: its undone settings count as rolled back (not as changed again). */
    public void gateRolledBack(ChangeSet cs) {
        for (JournalEntry e : cs.entries()) {
            if (e.state().equals("undone")) {
                rolledBack.increment();
            }
        }
    }

    /** A managed setting found changed by someone else ({@code external-change}); counted by its kind ({@code sysctl}, {@code nic}, …). */
    public void drift(String settingKey) {
        int colon = settingKey.indexOf(':');
        drift.computeIfAbsent(colon > 0 ? settingKey.substring(0, colon) : settingKey, k -> new LongAdder()).increment();
    }

    /** Changes the last pass found pending (planned, not yet applied). */
    public void pending(int n) {
        pending = n;
    }

    /** Settings frozen by anti-flap (left alone until the agent restarts). */
    public void frozen(int n) {
        frozen = n;
    }

    /** Policies compiled and in use. */
    public void policies(int n) {
        policies = n;
    }

    /** Passes by trigger label (every single trigger, 0 until it happens), a snapshot sorted by label. */
    public Map<String, Long> passes() {
        return snapshot(passes);
    }

    /** Number of passes. */
    public long passCount() {
        return passCount.get();
    }

    /** Total time of all passes, nanoseconds. */
    public long passNanos() {
        return passNanos.get();
    }

    /** Duration of the last pass, nanoseconds; 0 before the first. */
    public long lastPassNanos() {
        return lastPassNanos;
    }

    /** End of the last pass, milliseconds since the epoch; 0 before the first. */
    public long lastPassEpochMillis() {
        return lastPassEpochMillis;
    }

    public long settingsChanged() {
        return changed.sum();
    }

    public long settingsApplied() {
        return applied.sum();
    }

    public long settingsFailed() {
        return failed.sum();
    }

    public long settingsRolledBack() {
        return rolledBack.sum();
    }

    /** {@code external-change} events by setting kind, a snapshot sorted by kind. */
    public Map<String, Long> drift() {
        return snapshot(drift);
    }

    public int pending() {
        return pending;
    }

    public int frozen() {
        return frozen;
    }

    public int policies() {
        return policies;
    }

    private static Map<String, Long> snapshot(Map<String, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
