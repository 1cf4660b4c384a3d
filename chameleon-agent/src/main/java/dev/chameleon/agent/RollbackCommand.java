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

    @Option(names = "--last", required = true, description = "Undo the newest applied change set.")
    boolean last;

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
            Optional<ChangeSet> cs = applier.lastApplied();
            if (cs.isEmpty()) {
                out.println("Nothing to roll back: no applied change set in " + journal.directory());
                out.flush();
                return ExitCode.OK;
            }
            Applier.Result r = applier.rollback(host, cs.get());
            out.println("Rolled back change set " + cs.get().id() + " (" + r.changeSet().status() + "): " + r.message());
            out.flush();
            return r.ok() ? ExitCode.OK : ExitCode.FAILED;
        } catch (UserError | IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }
}
