package dev.chameleon.engine;

import dev.chameleon.model.FactSet;
import dev.chameleon.model.Plan;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.model.SettingKey;
import dev.chameleon.model.plan.PlanDocument;
import dev.chameleon.policy.PolicySet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One pass of sense → evaluate → plan, as every command and the daemon make it
 * ({@link Engine#pass}): what was sensed, what the policies decided, how the machine compares,
 * and what apply may touch. Immutable; cheap to keep (the daemon keeps its last pass to answer
 * for it).
 *
 * @param facts      what the sensors found
 * @param policies   the policies evaluated
 * @param evaluation what they decided
 * @param plan       every desired setting against the machine, in apply order
 * @param scope      what apply may touch ({@link ApplyScope})
 */
public record Pass(FactSet facts, PolicySet policies, PolicySet.Evaluation evaluation, Plan plan, ApplyScope scope) {
    /**
     * Policies whose condition could not be evaluated (a fact they read is absent here, e.g. its
     * sensor failed), each as {@code policy NAME (file:line): what}; their settings are left out.
     */
    public List<String> policyErrors() {
        return evaluation.outcomes().stream().filter(o -> !o.error().isEmpty())
                .map(o -> "policy " + o.policy().name() + " (" + o.policy().location() + "): " + o.error()).toList();
    }

    /** Settings whose current value could not be read. */
    public List<PlanEntry> unreadable() {
        return plan.entries().stream().filter(e -> e.action() == PlanEntry.Action.ERROR).toList();
    }

    /** The plan document ({@code plan -o json}); made on each call. */
    public PlanDocument document() {
        return PlanDocuments.of(facts, evaluation, plan, scope);
    }

    /** Whether an apply would change something: a change that is neither audit, advice nor an apply-once already done. */
    public boolean applyWouldChange() {
        return plan.entries().stream().anyMatch(e -> e.action() == PlanEntry.Action.CHANGE && scope.applies(e.key()));
    }

    /**
     * The current value of every setting read this pass (changes and settings already as desired),
     * normalised as the actuators compare them: what an agent reports for the control plane's
     * {@link Simulation}.
     */
    public Map<SettingKey, String> currentValues() {
        Map<SettingKey, String> out = new LinkedHashMap<>();
        for (PlanEntry e : plan.entries()) {
            if (e.action() == PlanEntry.Action.CHANGE || e.action() == PlanEntry.Action.OK) {
                out.put(e.key(), e.current());
            }
        }
        return out;
    }
}
