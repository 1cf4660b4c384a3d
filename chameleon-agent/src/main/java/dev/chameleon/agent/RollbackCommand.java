package dev.chameleon.agent;

import dev.chameleon.actuators.Actuators;
import dev.chameleon.actuators.Applier;
import dev.chameleon.actuators.ChangeSet;
import dev.chameleon.actuators.Journal;
import dev.chameleon.host.Host;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code chameleon rollback --last}: undo the newest applied change set, in reverse. */
@Command(name = "rollback", mixinStandardHelpOptions = true,
        description = "Undo the newest applied change set, in reverse order, back to the values in the journal.")
final class RollbackCommand implements Callable<Integer> {
    @Mixin
    HostOptions hostOptions;
    @Mixin
    StateOptions stateOptions;

    @Option(names = "--last", required = true, description = "Undo the newest applied change set "
            + "(or finish one whose rollback stopped half-way).")
    boolean last;

    @Option(names = "--force", description = "Also put back settings that someone changed after the apply "
            + "(without it they are left alone and reported).")
    boolean force;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Host host = hostOptions.host();
        ApplyCommand.requireRoot(host);
        Journal journal = new Journal(stateOptions.resolve(host));
        Applier applier = new Applier(Actuators.standard(), journal);
        try (AutoCloseable lock = ApplyCommand.lock(journal)) {
            for (ChangeSet r : applier.recover(host)) {
                out.println("recovered unfinished change set " + r.id() + ": " + r.message());
            }
            var unreadable = journal.list().stream().filter(l -> !l.ok()).toList();
            if (!unreadable.isEmpty()) {
                throw new UserError(ExitCode.FAILED, "the journal has unreadable files, so 'last' is not known; nothing was changed:\n  "
                        + String.join("\n  ", unreadable.stream().map(l -> l.file() + ": " + l.error()).toList())
                        + "\nRepair or move them aside, then run rollback again.");
            }
            Optional<ChangeSet> cs = applier.lastApplied();
            if (cs.isEmpty()) {
                out.println("Nothing to roll back: no applied change set in " + journal.directory());
                out.flush();
                return ExitCode.OK;
            }
            Applier.Result r = applier.rollback(host, cs.get(), force);
            out.println((r.ok() ? "Rolled back change set " : "Rollback of change set ") + cs.get().id() + " "
                    + (r.ok() ? "" : "is incomplete ") + "(" + r.changeSet().status() + "): " + r.message());
            out.flush();
            return r.ok() ? ExitCode.OK : ExitCode.FAILED;
        } catch (UserError | IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }
}
