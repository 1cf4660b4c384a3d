package dev.chameleon.engine;

import dev.chameleon.actuators.Actuators;
import dev.chameleon.actuators.Planner;
import dev.chameleon.actuators.TunedOwnership;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.Plan;
import dev.chameleon.model.SettingKey;
import dev.chameleon.model.plan.PlanDocument;
import dev.chameleon.policy.PolicySet;
import java.util.Map;

/**
 * The control plane's simulation: what {@code chameleon plan -o json} would print on an agent
 * for a candidate policy set, decided from what that agent last reported, without the machine.
 * It runs the same code as a pass: the policies' evaluation ({@link PolicySet#evaluate}), each
 * actuator's pure decisions ({@link Planner#planFrom}: normalising, resolving {@code atLeast} /
 * {@code atMost}, comparing), the modes, advice and apply-once of {@link ApplyScope}, and the
 * same {@link PlanDocuments} document.
 *
 * <p>What only the machine can answer is said, not guessed: a setting whose current value the
 * agent did not report is {@code unknown}; a change the machine would still check (whether a
 * disk offers a scheduler, a driver's ring maximum, an owner's numeric id) is a {@code change}
 * whose note says {@code not checked without the machine: ...}, or {@code unknown} when the very
 * value depends on it; TuneD's ownership and a kind missing here show as keys without a reported
 * value. Stateless and thread-safe.
 */
public final class Simulation {
    private static final Planner PLANNER = new Planner(Actuators.standard());

    private Simulation() {
    }

    /**
     * The plan document for one agent.
     *
     * @param candidate     the policy set to try
     * @param facts         the agent's last reported facts
     * @param currents      the agent's last reported current values (key → normalised value, as
     *                      {@link Pass#currentValues()} gives them); a missing key is unknown
     * @param appliedValues the agent's standing applied values, {@code KEY=VALUE} → change set id
     *                      ({@link ApplyScope#appliedValues}), for apply-once
     */
    public static PlanDocument plan(PolicySet candidate, FactSet facts, Map<SettingKey, String> currents, Map<String, String> appliedValues) {
        PolicySet.Evaluation ev = candidate.evaluate(facts);
        ApplyScope scope = ApplyScope.of(ev, appliedValues, TunedOwnership.none());
        Plan plan = PLANNER.planFrom(ev.desired(), currents);
        return PlanDocuments.of(facts, ev, plan, scope);
    }
}
