package dev.chameleon.agent;

import dev.chameleon.actuators.Actuators;
import dev.chameleon.actuators.Planner;
import dev.chameleon.host.Host;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.Plan;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.sensors.SensorSuite;

/** One pass of sense → evaluate → plan, shared by {@code plan} and {@code apply}. */
record Session(Host host, FactSet facts, PolicySet policies, PolicySet.Evaluation evaluation, Plan plan) {
    static Session run(Host host, PolicySet policies) {
        FactSet facts = SensorSuite.standard().collect(host);
        PolicySet.Evaluation ev = policies.evaluate(facts);
        Plan plan = new Planner(Actuators.standard()).plan(host, ev.desired());
        return new Session(host, facts, policies, ev, plan);
    }
}
