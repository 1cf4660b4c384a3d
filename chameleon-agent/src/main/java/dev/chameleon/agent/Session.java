package dev.chameleon.agent;

import dev.chameleon.actuators.Actuators;
import dev.chameleon.actuators.Planner;
import dev.chameleon.host.Host;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.Plan;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.sensors.SensorSuite;
import java.util.List;

/** One pass of sense → evaluate → plan, shared by {@code plan} and {@code apply}. */
record Session(Host host, FactSet facts, PolicySet policies, PolicySet.Evaluation evaluation, Plan plan) {
    static Session run(Host host, PolicySet policies) {
        FactSet facts = SensorSuite.standard().collect(host);
        PolicySet.Evaluation ev = policies.evaluate(facts);
        Plan plan = new Planner(Actuators.standard()).plan(host, ev.desired());
        return new Session(host, facts, policies, ev, plan);
    }

    /** Policies whose condition or selector could not be evaluated, each as "file:line: what". */
    List<String> policyErrors() {
        return evaluation.outcomes().stream().filter(o -> !o.error().isEmpty())
                .map(o -> "policy " + o.policy().name() + ": " + o.error()).toList();
    }

    /** The mode of the policy that won this setting: enforce, apply-once or audit. */
    String mode(DesiredSetting d) {
        return evaluation.modes().getOrDefault(d.key(), "enforce");
    }

    /** Changes that apply would make: audit-mode settings are reported, never applied. */
    List<PlanEntry> pendingChanges() {
        return plan.changes().stream().filter(e -> !mode(e.setting()).equals("audit")).toList();
    }

    /** Settings whose current value could not be read. */
    List<PlanEntry> unreadable() {
        return plan.entries().stream().filter(e -> e.action() == PlanEntry.Action.ERROR).toList();
    }
}
