package dev.chameleon.cli;

import dev.chameleon.actuators.Applier;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.actuators.Journal;
import dev.chameleon.engine.Engine;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code chameleon rollback --last | --changeset ID | --all [--dry-run]}: undo applied change sets
 * in reverse, back to the values in the journal.
 */
@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Undo applied change sets, each in reverse order, back to the values in the journal.")
final class RollbackCommand implements Callable<Integer> {
    @Mixin
    HostOptions hostOptions;
    @Mixin
    StateOptions stateOptions;

    static final class Which {
        @Option(names = "--last", required = true, description = "Undo the newest applied change set "
                + "(or finish one whose rollback stopped half-way).")
        boolean last;

        @Option(names = "--changeset", required = true, paramLabel = "ID",
                description = "Undo this change set (its id as 'chameleon history' shows it); refused while a later one changed the same settings.")
        String changeset;

        @Option(names = "--all", required = true, description = "Undo every applied change set, newest first.")
        boolean all;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Which which;

    @Option(names = "--dry-run", description = "Show what would be put back, and change nothing.")
    boolean dryRun;

    @Option(names = "--force", description = "Also put back settings that someone changed after the apply "
            + "(without it they are left alone and reported).")
    boolean force;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Engine engine = hostOptions.engine(null, stateOptions);
        Journal journal = engine.journal();
        List<ChangeSet> targets = new ArrayList<>();
        if (dryRun) {
            targets.addAll(choose(engine, journal));
            if (targets.isEmpty()) {
                out.println("Nothing to roll back: no applied change set in " + journal.directory());
            }
            for (ChangeSet cs : targets) {
                List<String> lines = engine.previewRollback(cs, force);
                out.println("Would roll back change set " + cs.id() + (lines.isEmpty() ? ": nothing differs from the journal" : ":"));
                lines.forEach(l -> out.println("  " + l));
            }
            out.flush();
            return ExitCode.OK;
        }
        engine.requireRoot();
        try (Engine.Changes changes = engine.changes()) {
            changes.recover().lines().forEach(out::println);
            targets.addAll(choose(engine, journal));
            if (targets.isEmpty()) {
                out.println("Nothing to roll back: no applied change set in " + journal.directory());
                out.flush();
                return ExitCode.OK;
            }
            boolean ok = true;
            for (ChangeSet cs : targets) {
                Applier.Result r = changes.rollback(cs, force, null);
                out.println((r.ok() ? "Rolled back change set " : "Rollback of change set ") + cs.id() + " "
                        + (r.ok() ? "" : "is incomplete ") + "(" + r.changeSet().status() + "): " + r.message());
                if (!r.ok()) {
                    ok = false;
                    break;
                }
            }
            out.flush();
            return ok ? ExitCode.OK : ExitCode.FAILED;
        }
    }

    /**
     * The change sets to undo, newest first. With an unreadable journal file, which change set is
     * last is not known: refused, naming the file.
     */
    private List<ChangeSet> choose(Engine engine, Journal journal) {
        var unreadable = journal.list().stream().filter(l -> !l.ok()).toList();
        if (!unreadable.isEmpty() && (which.last || which.all)) {
            throw new UserError(ExitCode.FAILED, "the journal has unreadable files, so what to roll back is not known; nothing was changed:\n  "
                    + String.join("\n  ", unreadable.stream().map(l -> l.file() + ": " + l.error()).toList())
                    + "\nRepair or move them aside, then run rollback again.");
        }
        if (which.all) {
            List<ChangeSet> out = new ArrayList<>(engine.appliedChangeSets());
            java.util.Collections.reverse(out);
            return out;
        }
        if (which.last) {
            return engine.lastApplied().map(List::of).orElse(List.of());
        }
        ChangeSet cs = engine.appliedChangeSet(which.changeset);
        Optional<String> blocked = engine.blockedBy(cs);
        if (blocked.isPresent()) {
            throw new UserError(ExitCode.REFUSED, "--changeset " + which.changeset + ": " + blocked.get() + "; nothing was changed");
        }
        return List.of(cs);
    }
}
