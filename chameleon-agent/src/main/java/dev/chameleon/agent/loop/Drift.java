package dev.chameleon.agent.loop;

import dev.chameleon.actuators.Journal;
import dev.chameleon.model.JournalEntry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Drift against the journal: the baseline of a managed setting is the value an applied change set
 * (not rolled back) verified, newest first. A current value different from it was written by
 * someone else. Also the anti-flap counter: a setting put back more than {@code limit} times in
 * {@code window} is frozen (left alone and reported) until the agent restarts. A setting whose
 * change set failed the health gate is frozen at the value that failed: left alone while the
 * policies want that value, until the agent restarts.
 */
public final class Drift {
    /** A managed setting found changed: the baseline value, what is there now, and when it was first seen. */
    public record Change(String key, String before, String after, Instant when) {
    }

    private volatile int limit;
    private volatile Duration window;
    private final Map<String, Change> open = new LinkedHashMap<>();
    private final Map<String, Deque<Instant>> corrections = new HashMap<>();
    private final Set<String> frozen = new TreeSet<>();
    private final Map<String, String> gateFailed = new HashMap<>();

    /** New anti-flap limits (a configuration reload); counts so far are kept. */
    public void limits(int newLimit, Duration newWindow) {
        this.limit = newLimit;
        this.window = newWindow;
    }

    public Drift(int limit, Duration window) {
        this.limit = limit;
        this.window = window;
    }

    /** key → verified value of the newest applied change set that set it (rollback change sets are not a baseline). */
    public static Map<String, String> baseline(Journal journal) {
        Map<String, String> out = new HashMap<>();
        for (Journal.Loaded l : journal.list()) { // oldest first
            if (!l.ok()) {
                continue;
            }
            var cs = l.changeSet();
            boolean rollback = cs.trigger().startsWith("rollback");
            for (JournalEntry e : cs.entries()) {
                if (rollback || cs.status().equals("rolled-back")) {
                    out.remove(e.key());
                } else if (cs.status().equals("applied") && e.state().equals("verified")) {
                    out.put(e.key(), e.after());
                }
            }
        }
        return out;
    }

    /**
     * Compares one managed setting's current value with its baseline; returns a change the first
     * time a given foreign value is seen (it is reported once, not every pass).
     */
    public java.util.Optional<Change> observe(String key, String baseline, String current, Instant now) {
        if (baseline == null || current == null || current.isEmpty() || current.equals(baseline)) {
            open.remove(key);
            return java.util.Optional.empty();
        }
        Change seen = open.get(key);
        if (seen != null && seen.after().equals(current)) {
            return java.util.Optional.empty();
        }
        Change c = new Change(key, baseline, current, now);
        open.put(key, c);
        return java.util.Optional.of(c);
    }

    /** Settings changed by someone else and not (yet) put back. */
    public Map<String, Change> open() {
        return Map.copyOf(open);
    }

    /** Counts one correction of {@code key}; true when it now exceeds the limit and is frozen. */
    public boolean corrected(String key, Instant now) {
        Deque<Instant> d = corrections.computeIfAbsent(key, k -> new ArrayDeque<>());
        d.addLast(now);
        while (!d.isEmpty() && d.peekFirst().isBefore(now.minus(window))) {
            d.removeFirst();
        }
        if (d.size() > limit) {
            return frozen.add(key);
        }
        return false;
    }

    public boolean isFrozen(String key) {
        return frozen.contains(key);
    }

    /**
     * True when {@code key} is frozen: flapping, or its change set failed the health gate with
     * this same {@code target} (another target, from changed policies or facts, may be tried).
     */
    public boolean isFrozen(String key, String target) {
        return frozen.contains(key) || target != null && target.equals(gateFailed.get(key));
    }

    /** Freezes {@code key} at {@code target}: a change set that set it failed the health gate. */
    public void gateFailed(String key, String target) {
        gateFailed.put(key, target);
    }

    /** Every frozen key: flapping, or failed the health gate; sorted. */
    public Set<String> frozen() {
        Set<String> all = new TreeSet<>(frozen);
        all.addAll(gateFailed.keySet());
        return java.util.Collections.unmodifiableSet(all);
    }
}
