package dev.chameleon.cli;

import dev.chameleon.actuators.Journal;
import dev.chameleon.model.JournalEntry;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code chameleon history}: the change sets in the journal, oldest first. */
@Command(name = "history", mixinStandardHelpOptions = true, description = "List the change sets in the journal, oldest first.")
final class HistoryCommand implements Callable<Integer> {
    @Mixin
    HostOptions hostOptions;
    @Mixin
    StateOptions stateOptions;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Journal journal = hostOptions.engine(null, stateOptions).journal();
        var all = journal.list();
        if (all.isEmpty()) {
            out.println("No change sets in " + journal.directory()
                    + (java.nio.file.Files.isDirectory(journal.directory()) ? "" : " (no such folder: nothing was ever applied with this --state-dir)"));
        }
        for (Journal.Loaded l : all) {
            if (!l.ok()) {
                out.println("! " + l.file() + ": " + l.error());
                continue;
            }
            var cs = l.changeSet();
            out.printf("%s  %-19s %s%s%n", cs.id(), cs.status(), cs.trigger(), cs.message().isEmpty() ? "" : " — " + cs.message());
            for (JournalEntry e : cs.entries()) {
                out.printf("    %-12s %s: %s -> %s%n", e.state(), e.key(), Render.brief(e.before()), Render.brief(e.after()));
                out.printf("                 why: %s%n", e.reason());
                out.printf("                 undo by hand: %s%n", e.undoCommand());
                if (!e.error().isEmpty()) {
                    out.printf("                 error: %s%n", e.error());
                }
            }
        }
        out.flush();
        // an unreadable journal file is kept as it is, and said: it may hold changes to undo
        return all.stream().allMatch(Journal.Loaded::ok) ? ExitCode.OK : ExitCode.FAILED;
    }
}
