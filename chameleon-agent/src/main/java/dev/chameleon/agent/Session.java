package dev.chameleon.agent;

import dev.chameleon.actuators.Actuators;
import dev.chameleon.actuators.Planner;
import dev.chameleon.host.Host;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.Plan;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.sensors.SensorSuite;
import java.util.List;

/** One pass of sense → evaluate → plan, shared by {@code plan} and {@code apply}. */
record Session(Host host, FactSet facts, PolicySet policies, PolicySet.Evaluation evaluation, Plan plan) {
    static Session run(Host host, PolicySet policies) {
        return run(host, policies, new dev.chameleon.sensors.FactCache());
    }

    /** One pass that takes constants from {@code cache} (the daemon keeps one between passes). */
    static Session run(Host host, PolicySet policies, dev.chameleon.sensors.FactCache cache) {
        FactSet facts = SensorSuite.standard().collect(host, cache);
        return plan(host, facts, policies, policies.evaluate(facts));
    }

    /** Plans {@code ev} (an evaluation of {@code policies} against {@code facts}): reads every setting's current value. */
    static Session plan(Host host, FactSet facts, PolicySet policies, PolicySet.Evaluation ev) {
        Plan plan = new Planner(Actuators.standard()).plan(host, ev.desired());
        return new Session(host, facts, policies, ev, plan);
    }

    /**
     * Policies whose condition could not be evaluated (a fact they read is absent here, e.g. its
     * sensor failed), each as "policy NAME (file:line): what"; their settings are left out.
     */
    List<String> policyErrors() {
        return evaluation.outcomes().stream().filter(o -> !o.error().isEmpty())
                .map(o -> "policy " + o.policy().name() + " (" + o.policy().location() + "): " + o.error()).toList();
    }

    /** Settings whose current value could not be read. */
    List<PlanEntry> unreadable() {
        return plan.entries().stream().filter(e -> e.action() == PlanEntry.Action.ERROR).toList();
    }
}
