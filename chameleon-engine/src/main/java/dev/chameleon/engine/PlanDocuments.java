package dev.chameleon.engine;

import dev.chameleon.model.FactSet;
import dev.chameleon.model.Plan;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.model.plan.PlanDocument;
import dev.chameleon.policy.PolicySet;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes the plan document ({@code plan -o json}, docs/plan-json.md) of a pass or a simulation:
 * the one place that turns an evaluation, a plan and an {@link ApplyScope} into entries with
 * their action, {@code applies} and note, and counts them.
 */
public final class PlanDocuments {
    private PlanDocuments() {
    }

    /** The note of an apply-once change that apply leaves alone. */
    public static String onceNote(String changeSet) {
        return "apply-once: applied before in change set " + changeSet + "; apply leaves it";
    }

    /**
     * The document.
     *
     * @param facts the facts the evaluation was made from (only {@code platform} is read)
     */
    public static PlanDocument of(FactSet facts, PolicySet.Evaluation ev, Plan plan, ApplyScope scope) {
        PlanDocument.Platform platform = new PlanDocument.Platform(text(facts, "hypervisor"), text(facts, "vmm"), text(facts, "cloud"),
                text(facts, "container"), facts.get("platform.confidence").filter(Number.class::isInstance).map(Number.class::cast).orElse(null));
        List<PlanDocument.PolicyRow> policies = new ArrayList<>();
        for (PolicySet.PolicyOutcome o : ev.outcomes()) {
            policies.add(new PlanDocument.PolicyRow(o.policy().name(), o.policy().location(), o.policy().priority(), o.policy().mode(),
                    o.policy().when().text(), o.matched(), o.error().isEmpty() ? null : o.error(), o.facts(),
                    o.matched() ? null : o.failedClause().map(c -> c.clause()).orElse(null),
                    o.hold().isEmpty() ? null : o.hold()));
        }
        List<PlanDocument.Entry> entries = new ArrayList<>();
        for (PlanEntry e : plan.entries()) {
            boolean advice = scope.verdict(e.key()) == ApplyScope.Verdict.ADVICE;
            String once = scope.appliedOnce().get(e.key());
            String note = null;
            if (once != null && e.action() == PlanEntry.Action.CHANGE) {
                note = onceNote(once);
            } else if (!e.note().isEmpty() && !advice) {
                note = e.note();
            }
            String value = e.setting().value();
            var reason = e.setting().reason();
            entries.add(new PlanDocument.Entry(e.key(), advice ? PlanDocument.Action.ADVICE : action(e.action()), e.current(), value,
                    !e.target().isEmpty() && !e.target().equals(value) ? e.target() : null, reason.policy(), reason.source(),
                    reason.priority(), ev.mode(e.key()), scope.applies(e.key()), reason.condition(), reason.facts(),
                    reason.element().isEmpty() ? null : reason.element(), note));
        }
        return new PlanDocument(platform, policies, entries, PlanDocument.count(entries));
    }

    private static String text(FactSet facts, String k) {
        return facts.get("platform." + k).map(String::valueOf).orElse(null);
    }

    private static PlanDocument.Action action(PlanEntry.Action a) {
        return switch (a) {
            case CHANGE -> PlanDocument.Action.CHANGE;
            case OK -> PlanDocument.Action.OK;
            case NOT_APPLICABLE -> PlanDocument.Action.NOT_APPLICABLE;
            case ERROR -> PlanDocument.Action.ERROR;
            case UNKNOWN -> PlanDocument.Action.UNKNOWN;
        };
    }
}
