package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.Plan;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.model.SettingKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Compares desired settings with the machine. This is the only planning code: {@code chameleon
 * plan} prints its result and {@link Applier} applies it, so the two cannot disagree.
 *
 * <p>For each setting: the kind's actuator ({@link Actuator#unavailable} for the whole kind), then
 * ownership by TuneD ({@link TunedOwnership}), then {@link Actuator#read}, then
 * {@link Actuator#target}; the entry is {@code change} when the target differs from the current
 * value, {@code ok} when equal. Entries keep the policies' order, except that a unit's
 * {@code enabled} and {@code active} changes are ordered so that apply and undo both work
 * ({@link ServiceActuator#order}).
 */
public final class Planner {
    private final Actuators actuators;

    public Planner(Actuators actuators) {
        this.actuators = actuators;
    }

    /** The plan of {@code desired} on the machine, leaving what a running TuneD owns to it ({@link TunedOwnership}). */
    public Plan plan(Host host, List<DesiredSetting> desired) {
        return plan(host, desired, TunedOwnership.load(host)::owner);
    }

    /**
     * The plan of {@code desired} on the machine.
     *
     * @param owner why someone else owns a key (a running TuneD), or empty: such keys are planned
     *              not applicable with that note, and not read
     */
    public Plan plan(Host host, List<DesiredSetting> desired, java.util.function.Function<SettingKey, Optional<String>> owner) {
        List<PlanEntry> out = new ArrayList<>();
        Map<String, Optional<String>> unavailable = new HashMap<>();
        for (DesiredSetting d : desired) {
            out.add(entry(host, d, unavailable, owner));
        }
        return new Plan(ServiceActuator.order(out));
    }

    PlanEntry entry(Host host, DesiredSetting d, Map<String, Optional<String>> unavailable,
                    java.util.function.Function<SettingKey, Optional<String>> tuned) {
        Optional<Actuator> found = actuators.forKind(d.key().kind());
        if (found.isEmpty()) {
            return new PlanEntry(d, PlanEntry.Action.NOT_APPLICABLE, "", "no actuator for setting kind " + d.key().kind());
        }
        Actuator a = found.get();
        Current c;
        Current t;
        try {
            Optional<String> why = unavailable.computeIfAbsent(a.kind(), k -> a.unavailable(host));
            if (why.isPresent()) {
                return new PlanEntry(d, PlanEntry.Action.NOT_APPLICABLE, "", why.get());
            }
            Optional<String> owner = tuned.apply(d.key());
            if (owner.isPresent()) {
                return new PlanEntry(d, PlanEntry.Action.NOT_APPLICABLE, "", owner.get());
            }
            c = a.read(host, d.key());
            if (c.state() != Current.State.VALUE) {
                return notValue(d, c, "");
            }
            t = a.target(host, d.key(), d.value(), c);
        } catch (RuntimeException e) {
            return new PlanEntry(d, PlanEntry.Action.ERROR, "", d.key() + ": reading failed: " + e.getMessage());
        }
        if (t.state() != Current.State.VALUE) {
            return notValue(d, planError(t), c.value());
        }
        PlanEntry.Action action = a.satisfies(d.key(), t.value(), c.value()) ? PlanEntry.Action.OK : PlanEntry.Action.CHANGE;
        // the read's remark (pending-reboot of a kernel argument) and the target's (an irreversible package change)
        String note = t.note().isEmpty() || action == PlanEntry.Action.OK ? c.note() : c.note().isEmpty() ? t.note() : c.note() + "; " + t.note();
        return new PlanEntry(d, action, c.value(), note, t.value());
    }

    /** How the note of an error found after the current value was read begins: the setting was read, its target cannot be planned. */
    public static final String PLAN_ERROR = "cannot be planned: ";

    /**
     * A target that is an error (a version apt does not offer, an unknown package) says it is an
     * error of the plan, not of reading: its note starts with {@value #PLAN_ERROR}.
     */
    private static Current planError(Current t) {
        return t.state() == Current.State.ERROR ? Current.error(PLAN_ERROR + t.note()) : t;
    }

    private static PlanEntry notValue(DesiredSetting d, Current c, String current) {
        PlanEntry.Action action = switch (c.state()) {
            case ERROR -> PlanEntry.Action.ERROR;
            case UNKNOWN -> PlanEntry.Action.UNKNOWN;
            default -> PlanEntry.Action.NOT_APPLICABLE;
        };
        return new PlanEntry(d, action, current, c.note(), "");
    }

    /**
     * The plan without the machine, from current values read elsewhere (an agent's last report):
     * the same comparison as {@link #plan}, through each actuator's pure part ({@link Actuator#resolve},
     * {@link Actuator#satisfies}). A key without a reported value is {@link PlanEntry.Action#UNKNOWN};
     * a change whose target the machine would still check ({@link Actuator#machineCheck}) says so
     * in its note. Ownership by TuneD and a kind unavailable here are the machine's to tell: an
     * agent reports no value for such keys, so they are unknown.
     *
     * @param currents key → normalised current value, as {@link Actuator#read} gave it on the machine
     */
    public Plan planFrom(List<DesiredSetting> desired, Map<SettingKey, String> currents) {
        List<PlanEntry> out = new ArrayList<>();
        for (DesiredSetting d : desired) {
            out.add(entryFrom(d, currents.get(d.key())));
        }
        return new Plan(ServiceActuator.order(out));
    }

    private PlanEntry entryFrom(DesiredSetting d, String current) {
        Optional<Actuator> found = actuators.forKind(d.key().kind());
        if (found.isEmpty()) {
            return new PlanEntry(d, PlanEntry.Action.NOT_APPLICABLE, "", "no actuator for setting kind " + d.key().kind());
        }
        if (current == null) {
            return new PlanEntry(d, PlanEntry.Action.UNKNOWN, "", "no current value of " + d.key() + " was reported "
                    + "(not read there: not applicable, not readable, or not asked for)", "");
        }
        Actuator a = found.get();
        Current t;
        try {
            t = a.resolve(d.key(), d.value(), current);
        } catch (RuntimeException e) {
            return new PlanEntry(d, PlanEntry.Action.ERROR, current, PLAN_ERROR + d.key() + ": " + e.getMessage(), "");
        }
        if (t.state() != Current.State.VALUE) {
            return notValue(d, planError(t), current);
        }
        boolean ok = a.satisfies(d.key(), t.value(), current);
        String note = ok ? "" : a.machineCheck(d.key(), d.value()).map(c -> "not checked without the machine: " + c).orElse("");
        return new PlanEntry(d, ok ? PlanEntry.Action.OK : PlanEntry.Action.CHANGE, current, note, t.value());
    }
}
