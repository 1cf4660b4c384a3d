package dev.chameleon.engine;

import dev.chameleon.actuators.Journal;
import dev.chameleon.actuators.TunedOwnership;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.JournalEntry;
import dev.chameleon.model.Plan;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.model.PolicyMode;
import dev.chameleon.model.SettingEncodings;
import dev.chameleon.model.SettingKey;
import dev.chameleon.policy.PolicySet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;

/**
 * The one place that decides what apply may touch. {@code plan}'s {@code applies} and counts,
 * {@code apply}, the daemon and the control plane's simulation all ask it, so they cannot
 * disagree. Left alone, in this order:
 * <ol>
 * <li><b>advice</b>: recommendations for a person (kind {@code advice}), never applied;</li>
 * <li><b>audit</b>: settings of {@code mode: audit} policies, reported only;</li>
 * <li><b>settings a running TuneD owns</b> ({@link TunedOwnership}): the planner is told through
 * {@link #owner} and plans them not applicable here, without reading them;</li>
 * <li><b>apply-once</b> settings that a change set still standing in the journal applied with the
 * value now desired: a hand change since is left as it is;</li>
 * <li>with a selection ({@code apply --only}), everything not selected;</li>
 * <li>for the daemon, keys it froze (flapping, or failed the health gate at that target).</li>
 * </ol>
 * One scope is made per pass from the evaluation, the journal's applied values and TuneD's
 * profiles; it holds no machine state of its own.
 */
public final class ApplyScope {
    /** Why apply would leave a desired setting alone, or {@link #APPLY}. */
    public enum Verdict { APPLY, ADVICE, AUDIT, APPLIED_ONCE }

    private final PolicySet.Evaluation evaluation;
    private final Map<SettingKey, String> appliedOnce;
    private final TunedOwnership tuned;

    private ApplyScope(PolicySet.Evaluation evaluation, Map<SettingKey, String> appliedOnce, TunedOwnership tuned) {
        this.evaluation = evaluation;
        this.appliedOnce = appliedOnce;
        this.tuned = tuned;
    }

    /**
     * The scope of one evaluation.
     *
     * @param appliedValues what standing change sets applied: {@code KEY=VALUE} → change set id
     *                      ({@link #appliedValues(Journal)} on the machine; an agent's report in a simulation)
     * @param tuned         TuneD's ownership on the machine; {@link TunedOwnership#none()} when not known
     */
    public static ApplyScope of(PolicySet.Evaluation evaluation, Map<String, String> appliedValues, TunedOwnership tuned) {
        Map<SettingKey, String> once = new LinkedHashMap<>();
        for (DesiredSetting d : evaluation.applicable()) {
            String cs = appliedValues.get(d.key() + "=" + d.value());
            if (evaluation.mode(d.key()) == PolicyMode.APPLY_ONCE && cs != null) {
                once.put(d.key(), cs);
            }
        }
        return new ApplyScope(evaluation, once, tuned);
    }

    /**
     * {@code KEY=VALUE} of every change verified by a change set that still stands (status
     * {@code applied}, not rolled back), mapped to that change set's id; the newest wins.
     */
    public static Map<String, String> appliedValues(Journal journal) {
        Map<String, String> out = new HashMap<>();
        for (Journal.Loaded l : journal.list()) {
            if (!l.ok() || !l.changeSet().status().equals(ChangeSet.APPLIED)) {
                continue;
            }
            for (JournalEntry e : l.changeSet().entries()) {
                if (e.state().equals(JournalEntry.VERIFIED)) {
                    out.put(e.key() + "=" + e.after(), l.changeSet().id());
                }
            }
        }
        return out;
    }

    /** What apply does with {@code key}, as far as policies and the journal say (the machine's answer is the plan's). */
    public Verdict verdict(SettingKey key) {
        if (PolicySet.Evaluation.isAdvice(key)) {
            return Verdict.ADVICE;
        }
        if (evaluation.mode(key) == PolicyMode.AUDIT) {
            return Verdict.AUDIT;
        }
        return appliedOnce.containsKey(key) ? Verdict.APPLIED_ONCE : Verdict.APPLY;
    }

    /** {@code applies} of the plan document: false for advice, audit and apply-once settings already applied. */
    public boolean applies(SettingKey key) {
        return verdict(key) == Verdict.APPLY;
    }

    /** Why a running TuneD owns {@code key} (the planner plans it not applicable, unread), or empty. */
    public Optional<String> owner(SettingKey key) {
        return tuned.owner(key);
    }

    /** The apply-once settings apply leaves alone, with the change set that applied them, in the policies' order. */
    public Map<SettingKey, String> appliedOnce() {
        return appliedOnce;
    }

    /**
     * What {@code apply} hands the applier: the settings it may change (not advice, audit or
     * apply-once already applied), narrowed to {@code only} when given. The applier plans them
     * again against the machine and changes those that differ.
     *
     * @param only {@code kind:target} keys ({@code kind:*} for a whole kind; a sysctl takes its
     *             boot-time drop-in along); empty for everything
     * @throws EngineException.BadInput a key that no policy wants here (setting {@code only})
     */
    public List<DesiredSetting> todo(List<String> only) {
        List<DesiredSetting> may = evaluation.applicable().stream().filter(d -> !appliedOnce.containsKey(d.key())).toList();
        if (only.isEmpty()) {
            return may;
        }
        List<DesiredSetting> out = new ArrayList<>();
        for (String k : only) {
            boolean wholeKind = k.endsWith(":*");
            SettingKey asKey = wholeKind ? null : parse(k);
            List<DesiredSetting> hit = may.stream().filter(d -> wholeKind ? d.key().kind().equals(k.substring(0, k.length() - 2))
                    : asKey != null && SettingEncodings.goesWith(asKey, d.key())).toList();
            if (hit.isEmpty()) {
                throw new EngineException.BadInput("only", " " + k + ": no policy wants this setting here (see 'chameleon plan' for the keys); "
                        + "nothing was changed");
            }
            hit.stream().filter(d -> !out.contains(d)).forEach(out::add);
        }
        return out;
    }

    private static SettingKey parse(String k) {
        try {
            return SettingKey.parse(k);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * What the daemon hands the applier: the settings it may change that the plan found changing,
     * minus those {@code frozen} holds for ({@code key}, {@code target}), in the policies' order.
     */
    public List<DesiredSetting> changes(Plan plan, BiPredicate<String, String> frozen) {
        Map<String, String> changing = new HashMap<>();
        for (PlanEntry e : plan.changes()) {
            changing.put(e.key().toString(), e.target());
        }
        List<DesiredSetting> out = new ArrayList<>();
        for (DesiredSetting d : todo(List.of())) {
            String key = d.key().toString();
            if (changing.containsKey(key) && !frozen.test(key, changing.get(key))) {
                out.add(d);
            }
        }
        return out;
    }
}
