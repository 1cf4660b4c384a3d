package dev.chameleon.policy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * How long each {@code for:} policy's condition has held, or stopped holding: the memory that
 * {@link PolicySet#evaluate(dev.chameleon.model.FactSet, ConditionHistory)} needs to decide a
 * policy with {@code spec.for} (Prometheus' {@code for:} and {@code keep_firing_for}).
 *
 * <p>The rule, per policy, judged at each evaluation:
 * <ul>
 *   <li>not matched: when the condition holds it starts (or goes on) <em>pending</em>; once it has held
 *       at every evaluation for {@code for}, the policy <em>matches</em>. A false (or failing)
 *       evaluation in between starts it over: a burst shorter than {@code for} never matches.</li>
 *   <li>matched: it goes on matching while the condition holds; once the condition has been false at
 *       every evaluation for {@code keepFor} (default: {@code for}) it stops matching. A true
 *       evaluation in between resets that: the settings do not flap back and forth with the load.</li>
 * </ul>
 * "Held for" is measured between evaluations (the daemon's passes): the condition is taken to have
 * held since the first evaluation that found it true.
 *
 * <p>The daemon keeps one for its life (across policy reloads; a policy is known by its name).
 * {@link #none()} is the absence of history (one-shot {@code plan}, {@code apply}, the control plane's
 * simulation): a {@code for:} policy never matches there, and its outcome says why. {@link #copy()}
 * judges without changing this history (a client's {@code plan} answered by the running agent).
 * {@link #heldFor(Duration, Clock)} is a history in which every condition that holds now is taken to
 * have held that long ({@code PolicyTest}'s {@code holdingFor}). Thread-safe.
 */
public final class ConditionHistory {
    /** One policy's state. */
    private static final class State {
        Instant trueSince;
        Instant falseSince;
        boolean matched;
        Instant matchedSince;
    }

    /** What the history decided for one policy at one evaluation: whether it matches, and why in words. */
    public record Judgement(boolean matched, String note) {
    }

    private final Clock clock;
    private final boolean none;
    private final Duration assumedHeld;
    private final Map<String, State> states;

    private ConditionHistory(Clock clock, boolean none, Duration assumedHeld, Map<String, State> states) {
        this.clock = clock;
        this.none = none;
        this.assumedHeld = assumedHeld;
        this.states = states;
    }

    /** An empty history timed by {@code clock} (the daemon's). */
    public ConditionHistory(Clock clock) {
        this(clock, false, null, new HashMap<>());
    }

    private static final ConditionHistory NONE = new ConditionHistory(Clock.systemUTC(), true, null, Map.of());

    /** No history: a {@code for:} policy never matches (one-shot commands, the simulation). */
    public static ConditionHistory none() {
        return NONE;
    }

    /** A history in which a condition that holds now has held for {@code held} (a policy test's {@code holdingFor}). */
    public static ConditionHistory heldFor(Duration held, Clock clock) {
        return new ConditionHistory(clock, false, held, new HashMap<>());
    }

    /** Whether this is {@link #none()}. */
    public boolean isNone() {
        return none;
    }

    /** A copy to judge with, so the judgements change only the copy. */
    public synchronized ConditionHistory copy() {
        if (none) {
            return this;
        }
        Map<String, State> c = new HashMap<>();
        states.forEach((k, v) -> {
            State s = new State();
            s.trueSince = v.trueSince;
            s.falseSince = v.falseSince;
            s.matched = v.matched;
            s.matchedSince = v.matchedSince;
            c.put(k, s);
        });
        return new ConditionHistory(clock, false, assumedHeld, c);
    }

    /**
     * Whether some policy is between states (pending, or matched with its condition false): a later
     * evaluation of the same facts can then decide differently, so the daemon must not reuse its last
     * evaluation.
     */
    public synchronized boolean inTransition() {
        return states.values().stream().anyMatch(s -> !s.matched && s.trueSince != null || s.matched && s.falseSince != null);
    }

    /** Judges policy {@code p} (with {@code spec.for}) whose condition {@code holds} now (false also when it could not be evaluated). */
    public synchronized Judgement judge(Policy p, boolean holds) {
        Duration hold = p.holdFor();
        Duration keep = p.keepFor();
        if (none) {
            // without history the policy never matches; a false condition reads as the daemon's
            // "does not hold" would (whether the daemon still holds it for keepFor is not known here:
            // Evaluation.history() says so to the transient put-back)
            return new Judgement(false, holds
                    ? "for " + text(hold) + ": the condition holds now, but for how long needs the running agent's history; "
                            + "without it (a one-shot command, a simulation) the policy does not match"
                    : "for " + text(hold) + ": the condition does not hold");
        }
        Instant now = clock.instant();
        State s = states.computeIfAbsent(p.name(), k -> new State());
        if (holds) {
            s.falseSince = null;
            if (s.trueSince == null) {
                s.trueSince = assumedHeld != null ? now.minus(assumedHeld) : now;
            }
            Duration held = Duration.between(s.trueSince, now);
            if (!s.matched && held.compareTo(hold) >= 0) {
                s.matched = true;
                s.matchedSince = now;
            }
            if (s.matched) {
                return new Judgement(true, "for " + text(hold) + ": the condition has held since " + s.trueSince + " ("
                        + text(held) + "); matched since " + s.matchedSince);
            }
            return new Judgement(false, "for " + text(hold) + ": pending, the condition has held since " + s.trueSince + " ("
                    + text(held) + " of " + text(hold) + ")");
        }
        s.trueSince = null;
        if (!s.matched) {
            return new Judgement(false, "for " + text(hold) + ": the condition does not hold");
        }
        if (s.falseSince == null) {
            s.falseSince = assumedHeld != null ? now.minus(assumedHeld) : now;
        }
        Duration off = Duration.between(s.falseSince, now);
        if (off.compareTo(keep) >= 0) {
            s.matched = false;
            s.matchedSince = null;
            s.falseSince = null;
            return new Judgement(false, "keepFor " + text(keep) + ": the condition stopped holding " + text(off)
                    + " ago; no longer matched");
        }
        return new Judgement(true, "keepFor " + text(keep) + ": the condition has not held since " + s.falseSince + " ("
                + text(off) + " of " + text(keep) + "); still matched");
    }

    /** A duration as {@code for:} is written: {@code 5m}, {@code 1h30m}, {@code 45s}, {@code 0s}. */
    public static String text(Duration d) {
        long s = Math.max(0, d.getSeconds());
        StringBuilder b = new StringBuilder();
        if (s >= 3600) {
            b.append(s / 3600).append('h');
            s %= 3600;
        }
        if (s >= 60) {
            b.append(s / 60).append('m');
            s %= 60;
        }
        if (s > 0 || b.length() == 0) {
            b.append(s).append('s');
        }
        return b.toString();
    }
}
