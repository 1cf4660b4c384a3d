package dev.chameleon.cli;

import dev.chameleon.actuators.Journal;
import dev.chameleon.model.JournalEntry;
import java.io.PrintWriter;
import java.util.List;
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

    @picocli.CommandLine.Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
            description = "table, json or yaml (default: ${DEFAULT-VALUE}); the shapes: docs/plan-json.md")
    OutputFormat output = OutputFormat.table;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        var engine = hostOptions.engine(null, stateOptions);
        Journal journal = engine.journal();
        java.util.Set<String> interrupted = new java.util.HashSet<>();
        engine.interrupted().forEach(cs -> interrupted.add(cs.id()));
        var all = journal.list();
        if (output != OutputFormat.table) {
            java.util.Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("changeSets", all.stream().filter(Journal.Loaded::ok).map(l -> (Object) dev.chameleon.model.json.ChangeSetCodec.tree(l.changeSet())).toList());
            m.put("unreadable", all.stream().filter(l -> !l.ok()).map(l -> (Object) java.util.Map.of("file", l.file().toString(), "error", l.error())).toList());
            m.put("interrupted", List.copyOf(new java.util.TreeSet<>(interrupted)));
            out.print(Render.as(output, m));
            if (output == OutputFormat.json) {
                out.println();
            }
            out.flush();
            return all.stream().allMatch(Journal.Loaded::ok) ? ExitCode.OK : ExitCode.FAILED;
        }
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
            if (interrupted.contains(cs.id())) {
                out.println("    ! INTERRUPTED: " + dev.chameleon.engine.Engine.interruptedNote(cs));
            }
            for (JournalEntry e : cs.entries()) {
                out.printf("    %-12s %s: %s -> %s%n", e.state(), e.key(), Render.brief(e.before()), Render.brief(e.after()));
                out.printf("                 why: %s%n", e.reason());
                out.printf("                 undo by hand: %s%n", dev.chameleon.actuators.Applier.byHand(e.undoCommand()));
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
