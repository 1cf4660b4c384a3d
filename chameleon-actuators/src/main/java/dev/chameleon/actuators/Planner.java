package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.Plan;
import dev.chameleon.model.PlanEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Compares desired settings with the machine: one {@link PlanEntry} per setting, in the given
 * order. The applier calls this same code before every write.
 */
public final class Planner {
    private final Actuators actuators;

    public Planner(Actuators actuators) {
        this.actuators = actuators;
    }

    public Plan plan(Host host, List<DesiredSetting> desired) {
        List<PlanEntry> out = new ArrayList<>();
        for (DesiredSetting d : desired) {
            out.add(entry(host, d));
        }
        return new Plan(out);
    }

    PlanEntry entry(Host host, DesiredSetting d) {
        Optional<Actuator> a = actuators.forKind(d.key().kind());
        if (a.isEmpty()) {
            return new PlanEntry(d, PlanEntry.Action.NOT_APPLICABLE, "", "no actuator for setting kind " + d.key().kind());
        }
        Current c;
        try {
            c = a.get().read(host, d.key());
        } catch (RuntimeException e) {
            c = Current.error("reading failed: " + e.getMessage());
        }
        switch (c.state()) {
            case NOT_APPLICABLE:
                return new PlanEntry(d, PlanEntry.Action.NOT_APPLICABLE, "", c.note());
            case ERROR:
                return new PlanEntry(d, PlanEntry.Action.ERROR, "", c.note());
            default:
                break;
        }
        if (a.get() instanceof BlockQueueActuator bq) {
            List<String> choices = bq.choices(host, d.key());
            if (!choices.isEmpty() && !choices.contains(d.value())) {
                return new PlanEntry(d, PlanEntry.Action.NOT_APPLICABLE, c.value(),
                        "'" + d.value() + "' is not offered here (choices: " + String.join(", ", choices) + ")");
            }
        }
        String want = a.get().normalize(d.key(), d.value());
        return new PlanEntry(d, want.equals(c.value()) ? PlanEntry.Action.OK : PlanEntry.Action.CHANGE, c.value(), "");
    }
}
