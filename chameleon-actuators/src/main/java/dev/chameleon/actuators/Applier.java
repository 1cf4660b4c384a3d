package dev.chameleon.actuators;

import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.JournalEntry;
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
 *
 * <p>Journal steps of one change set, in order: {@code begin} (status {@code in-progress}); per
 * change {@code pending} (old value on disk), the write to the machine, {@code applied},
 * {@code verified}; finally status {@code applied}. A rollback first marks the set
 * {@code rolling-back}, so that a crash in the middle of an undo is finished at the next start.
 * When the journal itself cannot be written (a full disk), the changes already made are undone
 * from memory and the result says that the journal could not record it.
 */
public final class Applier {
    /** Statuses of change sets that a crashed run left unfinished; {@link #recover} undoes them. */
    public static final List<String> UNFINISHED = List.of("in-progress", "rolling-back");

    /**
     * Called after every journal write and every write to the machine, with a description of
     * the step. Tests use it to crash the applier at each step in turn; production uses
     * {@link #NONE}.
     */
    @FunctionalInterface
    public interface Checkpoint {
        void reached(String step) throws IOException;
    }

    public static final Checkpoint NONE = step -> { };

    /**
     * The checkpoint of {@link #Applier(Actuators, Journal)}: {@link #NONE}, unless the environment
     * variable {@code CHAMELEON_TEST_PAUSE_AT} is set. That is a test hook of the VM suite's crash
     * scenario (never set by the package or the unit): every checkpoint is then printed to standard
     * error as {@code chameleon-test: checkpoint N: STEP}, and at checkpoint N (1-based; 0: never)
     * the process prints {@code chameleon-test: paused at checkpoint N: STEP} and sleeps until it
     * is killed, so that the test can send SIGKILL exactly there.
     *
     * @throws IllegalStateException when the variable is set but is not a whole number &ge; 0
     */
    static Checkpoint fromEnvironment() {
        String at = System.getenv("CHAMELEON_TEST_PAUSE_AT");
        if (at == null || at.isBlank()) {
            return NONE;
        }
        int pauseAt;
        try {
            pauseAt = Integer.parseInt(at.strip());
        } catch (NumberFormatException e) {
            pauseAt = -1;
        }
        if (pauseAt < 0) {
            throw new IllegalStateException("CHAMELEON_TEST_PAUSE_AT=" + at + ": expected a checkpoint number (1, 2, ...; 0: none)");
        }
        int stop = pauseAt;
        int[] seen = {0};
        return step -> {
            int n = ++seen[0];
            System.err.println("chameleon-test: checkpoint " + n + ": " + step);
            if (n == stop) {
                System.err.println("chameleon-test: paused at checkpoint " + n + ": " + step);
                System.err.flush();
                while (true) {
                    try {
                        Thread.sleep(60_000);
                    } catch (InterruptedException e) {
                        // only SIGKILL ends the pause
                    }
                }
            }
        };
    }

    private final Actuators actuators;
    private final Planner planner;
    private final Journal journal;
    private final Checkpoint checkpoint;

    public Applier(Actuators actuators, Journal journal) {
        this(actuators, journal, fromEnvironment());
    }

    public Applier(Actuators actuators, Journal journal, Checkpoint checkpoint) {
        this.actuators = actuators;
        this.planner = new Planner(actuators);
        this.journal = journal;
        this.checkpoint = checkpoint;
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

    public Planner planner() {
        return planner;
    }

    /**
     * Applies every {@code change} entry of the plan for {@code desired}.
     *
     * @throws IOException only when the change set cannot even be started in the journal; nothing
     *                     has changed then
     */
    public Result apply(Host host, List<DesiredSetting> desired, String trigger) throws IOException {
        Plan plan = planner.plan(host, desired);
        List<PlanEntry> changes = plan.changes();
        if (changes.isEmpty()) {
            return new Result(plan, null, true, "nothing to change");
        }
        ChangeSet cs = journal.begin(trigger);
        checkpoint.reached("begin " + cs.id());
        int skipped = 0;
        try {
            for (int i = 0; i < changes.size(); i++) {
                PlanEntry e = changes.get(i);
                Actuator a = actuators.forKind(e.key().kind()).orElseThrow();
                // Read again just before the write: an earlier change of this set may have done it
                // already (loading vmw_balloon loads vmw_vmci), and the journal must hold the value
                // this write replaces, not the one the plan saw.
                Current now = a.read(host, e.key());
                if (now.isValue() && a.satisfies(e.key(), e.target(), now.value())) {
                    skipped++;
                    continue;
                }
                String before = now.isValue() ? now.value() : e.current();
                JournalEntry je = new JournalEntry(cs.entries().size() + 1, e.key().toString(), before, e.target(),
                        e.setting().reason().describe(), a.manualCommand(e.key(), before), "pending", "");
                cs = save(cs.withEntry(je), "pending " + e.key());
                String failure = null;
                try {
                    a.write(host, e.key(), e.target(), before);
                    checkpoint.reached("wrote " + e.key());
                    cs = save(cs.withEntry(je = je.withState("applied", "")), "applied " + e.key());
                    Current after = a.read(host, e.key());
                    if (!after.isValue() || !a.satisfies(e.key(), e.target(), after.value())) {
                        failure = describe(a, e) + ": verify failed: expected '" + a.describe(e.key(), e.target()) + "', found '"
                                + a.describe(e.key(), after.found()) + "'";
                    }
                } catch (ActuatorException ex) {
                    failure = ex.getMessage();
                } catch (RuntimeException ex) {
                    failure = describe(e) + ": " + ex;
                }
                if (failure != null) {
                    cs = save(cs.withEntry(je.withState("failed", failure)), "failed " + e.key());
                    cs = undo(host, cs, "failed-rolled-back", failure);
                    return new Result(plan, cs, false, cs.message());
                }
                cs = save(cs.withEntry(je.withState("verified", "")), "verified " + e.key());
            }
            cs = save(cs.withStatus("applied", ""), "applied " + cs.id());
        } catch (IOException journalFailed) {
            String failure = "the journal could not be written (" + journalFailed.getMessage() + "), so no further change was made";
            cs = undo(host, cs, "failed-rolled-back", failure);
            return new Result(plan, cs, false, cs.message());
        }
        return new Result(plan, cs, true, cs.entries().size() + " change(s) applied and verified"
                + (skipped > 0 ? " (" + skipped + " more already done by earlier changes of this set)" : ""));
    }

    private static String describe(PlanEntry e) {
        return e.key().kind() + " " + e.key().target() + " = " + e.target();
    }

    private static String describe(Actuator a, PlanEntry e) {
        return e.key().kind() + " " + e.key().target() + " = " + a.describe(e.key(), e.target());
    }

    private static final java.util.regex.Pattern BASE64_ECHO = java.util.regex.Pattern.compile("echo '([A-Za-z0-9+/=]*)' \\| base64 -d");

    /**
     * An undo command as messages and {@code history} show it: a file's base64 content (which the
     * docs say is not printed) is replaced by its length and where the whole command is, the
     * entry's {@code undoCommand} in the journal file.
     */
    public static String byHand(String command) {
        var m = BASE64_ECHO.matcher(command);
        if (!m.find()) {
            return command;
        }
        return command.substring(0, m.start()) + "echo '<" + m.group(1).length() + " characters of base64: the whole command is "
                + "undoCommand in the journal file>' | base64 -d" + command.substring(m.end());
    }

    private ChangeSet save(ChangeSet cs, String step) throws IOException {
        journal.save(cs);
        checkpoint.reached("saved " + step);
        return cs;
    }

    /**
     * Undoes a change set's entries in reverse: every entry that was or may have been written goes
     * back to its {@code before} value when it differs now. Journal failures do not stop the undo;
     * they are added to the message.
     *
     * @param rollback true for an operator's rollback of an applied set (and its recovery): an
     *                 entry whose value someone changed after the apply (neither {@code after}
     *                 nor {@code before}) is left alone unless {@code force}; false for undo after
     *                 a failure or a crash, where every entry goes back
     */
    private ChangeSet undo(Host host, ChangeSet cs, String finalStatus, String cause) {
        return undo(host, cs, finalStatus, cause, false, false);
    }

    private ChangeSet undo(Host host, ChangeSet cs, String finalStatus, String cause, boolean rollback, boolean force) {
        List<String> undone = new ArrayList<>();
        List<String> stuck = new ArrayList<>();
        List<String> unjournalled = new ArrayList<>();
        List<JournalEntry> entries = new ArrayList<>(cs.entries());
        for (int i = entries.size() - 1; i >= 0; i--) {
            JournalEntry je = entries.get(i);
            if (je.state().equals("undone") || je.state().equals("not-applied")) {
                continue;
            }
            SettingKey key;
            try {
                key = SettingKey.parse(je.key());
            } catch (IllegalArgumentException e) {
                stuck.add(je.key() + " (" + e.getMessage() + "; by hand: " + je.undoCommand() + ")");
                cs = trySave(cs.withEntry(je.withState("undo-failed", e.getMessage())), "undo-failed " + je.key(), unjournalled);
                continue;
            }
            Optional<Actuator> a = actuators.forKind(key.kind());
            if (a.isEmpty()) {
                stuck.add(je.key() + " (no actuator; by hand: " + je.undoCommand() + ")");
                cs = trySave(cs.withEntry(je.withState("undo-failed", "no actuator for " + key.kind())), "undo-failed " + je.key(),
                        unjournalled);
                continue;
            }
            try {
                Current now = a.get().read(host, key);
                String before = a.get().normalize(key, je.before());
                boolean atBefore = now.isValue() && a.get().satisfies(key, before, now.value());
                if (atBefore && (je.state().equals("pending") || je.state().equals("failed"))) {
                    // never changed (the write was refused, or the run stopped before it): nothing to undo
                    cs = trySave(cs.withEntry(je.withState(je.state().equals("failed") ? "failed" : "not-applied", je.error())),
                            "unchanged " + je.key(), unjournalled);
                    continue;
                }
                if (rollback && !force && !atBefore) {
                    String after = a.get().normalize(key, je.after());
                    boolean atAfter = now.isValue() && a.get().satisfies(key, after, now.value());
                    if (!atAfter) {
                        stuck.add(je.key() + " was changed to '" + a.get().describe(key, now.found()) + "' after the apply; left as it is "
                                + "(rollback --force puts '" + a.get().describe(key, je.before()) + "' back)");
                        cs = trySave(cs.withEntry(je.withState("changed-since", "found '" + a.get().describe(key, now.found()) + "', expected '" + a.get().describe(key, after) + "'")),
                                "changed-since " + je.key(), unjournalled);
                        continue;
                    }
                }
                if (!atBefore) {
                    a.get().write(host, key, je.before(), now.value());
                    checkpoint.reached("undid " + key);
                    Current check = a.get().read(host, key);
                    if (!check.isValue() || !a.get().satisfies(key, before, check.value())) {
                        throw new ActuatorException(key.kind() + " " + key.target() + ": undo expected '" + a.get().describe(key, before)
                                + "', found '" + a.get().describe(key, check.found()) + "'");
                    }
                    undone.add(je.key() + " → " + a.get().describe(key, je.before()));
                }
                cs = trySave(cs.withEntry(je.withState("undone", je.error())), "undone " + je.key(), unjournalled);
            } catch (ActuatorException | RuntimeException ex) {
                stuck.add(je.key() + " (" + ex.getMessage() + "; by hand: " + byHand(je.undoCommand()) + ")");
                cs = trySave(cs.withEntry(je.withState("undo-failed", String.valueOf(ex.getMessage()))), "undo-failed " + je.key(),
                        unjournalled);
            } catch (IOException crash) {
                throw new IllegalStateException(crash);
            }
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
        cs = trySave(cs.withStatus(finalStatus, msg.toString()), finalStatus + " " + cs.id(), unjournalled);
        if (!unjournalled.isEmpty()) {
            msg.append("; the journal could not record this (").append(unjournalled.get(0))
                    .append("): it still shows the change set unfinished, and the next start will check it again");
            cs = cs.withStatus(finalStatus, msg.toString());
        }
        return cs;
    }

    private ChangeSet trySave(ChangeSet cs, String step, List<String> failures) {
        try {
            save(cs, step);
        } catch (IOException e) {
            failures.add(String.valueOf(e.getMessage()));
        }
        return cs;
    }

    /**
     * Undoes every change set a crashed run left unfinished ({@code in-progress}: status becomes
     * {@code recovered}; {@code rolling-back}: status becomes {@code rolled-back}). Run at
     * start-up before anything else.
     */
    public List<ChangeSet> recover(Host host) {
        List<ChangeSet> out = new ArrayList<>();
        for (Journal.Loaded l : journal.list()) {
            if (!l.ok()) {
                continue;
            }
            ChangeSet cs = l.changeSet();
            if (cs.status().equals("in-progress")) {
                out.add(undo(host, cs, "recovered", "unfinished change set of an earlier run"));
            } else if (cs.status().equals("rolling-back")) {
                out.add(undo(host, cs, "rolled-back", "rollback interrupted in an earlier run, finished now", true, false));
            }
        }
        return out;
    }

    /**
     * The newest change set (in journal order) that is {@code applied}, or whose rollback stopped
     * half-way ({@code rollback-incomplete}) and can be tried again.
     */
    public Optional<ChangeSet> lastApplied() {
        List<ChangeSet> all = applied();
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
    }

    /** Every change set still (partly) in place: {@code applied} or {@code rollback-incomplete}, in journal order. */
    public List<ChangeSet> applied() {
        List<ChangeSet> out = new ArrayList<>();
        for (Journal.Loaded l : journal.list()) {
            if (l.ok() && (l.changeSet().status().equals("applied") || l.changeSet().status().equals("rollback-incomplete"))) {
                out.add(l.changeSet());
            }
        }
        return out;
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
     * Why a change set may not be rolled back on its own: a later applied change set changed one of
     * its settings, so undoing it would clobber the later value. Empty when it may.
     */
    public Optional<String> blockedBy(ChangeSet cs) {
        List<ChangeSet> all = applied();
        for (ChangeSet later : all) {
            if (later.sequence() < cs.sequence() || later.sequence() == cs.sequence() && later.id().compareTo(cs.id()) <= 0) {
                continue;
            }
            for (JournalEntry e : later.entries()) {
                if (cs.entries().stream().anyMatch(x -> x.key().equals(e.key()))) {
                    return Optional.of("change set " + later.id() + " changed " + e.key() + " after " + cs.id()
                            + "; roll that back first (or use --all)");
                }
            }
        }
        return Optional.empty();
    }

    /**
     * What a rollback of the change set would write, without writing: one line per entry whose
     * current value differs from its journalled {@code before}, in undo order.
     */
    public List<String> previewRollback(Host host, ChangeSet cs) {
        return previewRollback(host, cs, false);
    }

    /**
     * As {@link #previewRollback(Host, ChangeSet)}, deciding like {@link #rollback(Host, ChangeSet, boolean)}:
     * without {@code force}, a setting someone changed after the apply is shown as left alone.
     */
    public List<String> previewRollback(Host host, ChangeSet cs, boolean force) {
        List<String> out = new ArrayList<>();
        List<JournalEntry> entries = cs.entries();
        for (int i = entries.size() - 1; i >= 0; i--) {
            JournalEntry je = entries.get(i);
            SettingKey key = SettingKey.parse(je.key());
            Optional<Actuator> a = actuators.forKind(key.kind());
            if (a.isEmpty()) {
                out.add(je.key() + ": no actuator; by hand: " + je.undoCommand());
                continue;
            }
            Current now = a.get().read(host, key);
            String before = a.get().normalize(key, je.before());
            if (!now.isValue() || !a.get().satisfies(key, before, now.value())) {
                String after = a.get().normalize(key, je.after());
                if (!force && je.state().equals("verified") && !(now.isValue() && a.get().satisfies(key, after, now.value()))) {
                    out.add(je.key() + ": " + a.get().describe(key, now.found()) + " would be left alone (changed after the apply; --force puts '"
                            + a.get().describe(key, je.before()) + "' back)");
                    continue;
                }
                out.add(je.key() + ": " + a.get().describe(key, now.found()) + " -> " + a.get().describe(key, je.before())
                        + "   (by hand: " + byHand(je.undoCommand()) + ")");
            }
        }
        return out;
    }

    /** Undoes an applied change set in reverse, leaving values changed since alone; see {@link #rollback(Host, ChangeSet, boolean)}. */
    public Result rollback(Host host, ChangeSet cs) throws IOException {
        return rollback(host, cs, false);
    }

    /**
     * Undoes an applied change set in reverse; its status becomes {@code rolled-back}, or
     * {@code rollback-incomplete} when an entry could not be put back or was changed by someone
     * else after the apply (left alone unless {@code force}).
     */
    public Result rollback(Host host, ChangeSet cs, boolean force) throws IOException {
        return rollback(host, cs, force, null);
    }

    /**
     * As {@link #rollback(Host, ChangeSet, boolean)}, with the reason for it first in the change
     * set's message ({@code health gate failed: ...; undone: ...}), for rollbacks the agent decides
     * on its own rather than an operator's {@code chameleon rollback}.
     *
     * @param cause why, in words; null or empty for none
     */
    public Result rollback(Host host, ChangeSet cs, boolean force, String cause) throws IOException {
        ChangeSet marked = cs.withStatus("rolling-back", "");
        save(marked, "rolling-back " + cs.id());
        ChangeSet done = undo(host, marked, "rolled-back", cause == null || cause.isEmpty() ? null : cause, true, force);
        return new Result(new Plan(List.of()), done, done.status().equals("rolled-back"),
                done.message().isEmpty() ? "nothing differed from the recorded values" : done.message());
    }
}
