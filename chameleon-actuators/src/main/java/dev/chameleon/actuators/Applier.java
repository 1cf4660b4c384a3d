package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.Plan;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.model.SettingKey;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Applies a change set safely: plan (the same code as {@code chameleon plan}), then for each change
 * in order: record the old value in the journal, write, read back and compare. On any failure
 * the change set is undone in reverse and the journal says so. Unfinished change sets of a crashed
 * run are undone by {@link #recover} before anything else.
 */
public final class Applier {
    private final Actuators actuators;
    private final Planner planner;
    private final Journal journal;

    public Applier(Actuators actuators, Journal journal) {
        this.actuators = actuators;
        this.planner = new Planner(actuators);
        this.journal = journal;
    }

    /**
     * What an apply or rollback did.
     *
     * @param plan      the plan it started from (empty for rollback)
     * @param changeSet the journal record, or null when nothing needed changing
     * @param ok        true when every change is in place (or every undo done)
     * @param message   a summary for people, including what was undone after a failure
     */
    public record Result(Plan plan, ChangeSet changeSet, boolean ok, String message) {
    }

    /** Applies every {@code change} entry of the plan for {@code desired}. */
    public Result apply(Host host, List<DesiredSetting> desired, String trigger) throws IOException {
        Plan plan = planner.plan(host, desired);
        List<PlanEntry> changes = plan.changes();
        if (changes.isEmpty()) {
            return new Result(plan, null, true, "nothing to change");
        }
        ChangeSet cs = journal.begin(trigger);
        for (int i = 0; i < changes.size(); i++) {
            PlanEntry e = changes.get(i);
            Actuator a = actuators.forKind(e.key().kind()).orElseThrow();
            JournalEntry je = new JournalEntry(i + 1, e.key().toString(), e.current(), e.setting().value(),
                    e.setting().reason().describe(), a.manualCommand(e.key(), e.current()), "pending", "");
            cs = cs.withEntry(je);
            journal.save(cs);
            String failure = null;
            try {
                a.write(host, e.key(), e.setting().value(), e.current());
                cs = cs.withEntry(je = je.withState("applied", ""));
                journal.save(cs);
                Current after = a.read(host, e.key());
                String want = a.normalize(e.key(), e.setting().value());
                if (after.state() != Current.State.VALUE || !after.value().equals(want)) {
                    failure = e.key() + ": verify failed: expected '" + want + "', found '"
                            + (after.state() == Current.State.VALUE ? after.value() : after.note()) + "'";
                }
            } catch (ActuatorException ex) {
                failure = ex.getMessage();
            }
            if (failure != null) {
                cs = cs.withEntry(je.withState("failed", failure));
                journal.save(cs);
                cs = undo(host, cs, "failed-rolled-back", failure, false, false);
                return new Result(plan, cs, false, cs.message());
            }
            cs = cs.withEntry(je.withState("verified", ""));
            journal.save(cs);
        }
        cs = cs.withStatus("applied", "");
        journal.save(cs);
        return new Result(plan, cs, true, changes.size() + " change(s) applied and verified");
    }

    /**
     * Undoes a change set's entries in reverse: every entry that was or may have been written goes
     * back to its {@code before} value when it differs now.
     *
     * @param rollback true for an operator's rollback of an applied set: an entry whose value was
     *                 changed by someone else since (neither {@code after} nor {@code before}) is
     *                 left alone unless {@code force}; false for undo after a failure or a crash,
     *                 where every entry goes back
     */
    private ChangeSet undo(Host host, ChangeSet cs, String finalStatus, String cause, boolean rollback, boolean force)
            throws IOException {
        List<String> undone = new ArrayList<>();
        List<String> stuck = new ArrayList<>();
        List<JournalEntry> entries = new ArrayList<>(cs.entries());
        for (int i = entries.size() - 1; i >= 0; i--) {
            JournalEntry je = entries.get(i);
            if (je.state().equals("undone") || je.state().equals("not-applied")) {
                continue;
            }
            SettingKey key = SettingKey.parse(je.key());
            Optional<Actuator> a = actuators.forKind(key.kind());
            if (a.isEmpty()) {
                stuck.add(je.key() + " (no actuator; by hand: " + je.undoCommand() + ")");
                cs = cs.withEntry(je.withState("undo-failed", "no actuator for " + key.kind()));
                continue;
            }
            try {
                Current now = a.get().read(host, key);
                String before = a.get().normalize(key, je.before());
                String after = a.get().normalize(key, je.after());
                boolean atBefore = now.state() == Current.State.VALUE && now.value().equals(before);
                if (atBefore) {
                    // never changed (a write the kernel refused, or a crash before the write): nothing to undo
                    boolean wasWritten = je.state().equals("applied") || je.state().equals("verified")
                            || je.state().equals("undo-failed") || je.state().equals("changed-since");
                    cs = cs.withEntry(je.withState(wasWritten ? "undone" : je.state().equals("failed") ? "failed" : "not-applied",
                            je.error()));
                    journal.save(cs);
                    continue;
                }
                boolean atAfter = now.state() == Current.State.VALUE && now.value().equals(after);
                if (rollback && !atAfter && !force) {
                    String found = now.state() == Current.State.VALUE ? now.value() : now.note();
                    stuck.add(je.key() + " was changed to '" + found + "' after the apply; left as it is "
                            + "(rollback --force puts '" + je.before() + "' back)");
                    cs = cs.withEntry(je.withState("changed-since", "found '" + found + "', expected '" + after + "'"));
                    journal.save(cs);
                    continue;
                }
                a.get().write(host, key, je.before(), now.value());
                Current check = a.get().read(host, key);
                if (check.state() != Current.State.VALUE || !check.value().equals(before)) {
                    throw new ActuatorException(je.key() + ": after undo found '" + check.value() + "', expected '" + before + "'");
                }
                undone.add(je.key() + " → " + je.before());
                cs = cs.withEntry(je.withState("undone", je.error()));
            } catch (ActuatorException ex) {
                stuck.add(je.key() + " (" + ex.getMessage() + "; by hand: " + je.undoCommand() + ")");
                cs = cs.withEntry(je.withState("undo-failed", ex.getMessage()));
            }
            journal.save(cs);
        }
        StringBuilder msg = new StringBuilder(cause == null ? "" : cause);
        if (!undone.isEmpty()) {
            msg.append(msg.length() > 0 ? "; " : "").append("undone: ").append(String.join(", ", undone));
        }
        if (!stuck.isEmpty()) {
            msg.append(msg.length() > 0 ? "; " : "").append("NOT UNDONE: ").append(String.join(", ", stuck));
            finalStatus = "rollback-incomplete";
        }
        if (undone.isEmpty() && stuck.isEmpty() && cause != null) {
            msg.append("; nothing had changed, nothing to undo");
        }
        cs = cs.withStatus(finalStatus, msg.toString());
        journal.save(cs);
        return cs;
    }

    /**
     * Undoes every change set a crashed run left {@code in-progress} (status becomes
     * {@code recovered}). Run at start-up before anything else.
     */
    public List<ChangeSet> recover(Host host) throws IOException {
        List<ChangeSet> out = new ArrayList<>();
        for (Journal.Loaded l : journal.list()) {
            if (l.ok() && l.changeSet().status().equals("in-progress")) {
                out.add(undo(host, l.changeSet(), "recovered", "unfinished change set of an earlier run", false, false));
            }
        }
        return out;
    }

    /**
     * The newest change set (in journal order) that is {@code applied}, or whose rollback stopped
     * half-way ({@code rollback-incomplete}) and can be tried again.
     */
    public Optional<ChangeSet> lastApplied() {
        List<Journal.Loaded> all = journal.list();
        for (int i = all.size() - 1; i >= 0; i--) {
            if (all.get(i).ok() && (all.get(i).changeSet().status().equals("applied")
                    || all.get(i).changeSet().status().equals("rollback-incomplete"))) {
                return Optional.of(all.get(i).changeSet());
            }
        }
        return Optional.empty();
    }

    /**
     * The id of an {@code applied} change set that already set {@code key} to {@code value} and
     * verified it, for {@code apply-once} policies.
     */
    public Optional<String> appliedBefore(SettingKey key, String value) {
        for (Journal.Loaded l : journal.list()) {
            if (l.ok() && l.changeSet().status().equals("applied")) {
                for (JournalEntry e : l.changeSet().entries()) {
                    if (e.key().equals(key.toString()) && e.after().equals(value) && e.state().equals("verified")) {
                        return Optional.of(l.changeSet().id());
                    }
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Undoes an applied change set in reverse; its status becomes {@code rolled-back}, or
     * {@code rollback-incomplete} when an entry could not be put back or was changed by someone
     * else after the apply (left alone unless {@code force}).
     */
    public Result rollback(Host host, ChangeSet cs, boolean force) throws IOException {
        ChangeSet done = undo(host, cs, "rolled-back", null, true, force);
        return new Result(new Plan(List.of()), done, done.status().equals("rolled-back"),
                done.message().isEmpty() ? "nothing differed from the recorded values" : done.message());
    }
}
