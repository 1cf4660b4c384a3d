package dev.chameleon.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chameleon.host.Host;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code chameleon status}: asks the running agent over its control socket. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show what the running agent ('chameleon run') knows: platform, last pass, pending changes, drift, its own cost.")
final class StatusCommand implements Callable<Integer> {
    @Mixin
    HostOptions hostOptions;
    @Mixin
    StateOptions stateOptions;

    @Option(names = "--socket", paramLabel = "FILE", description = "The agent's control socket (default: STATE-DIR/agent.sock).")
    Path socket;

    @Option(names = "--json", description = "Print the agent's answer as JSON (the same as -o json).")
    boolean json;

    @picocli.CommandLine.Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
            description = "table, json or yaml (default: ${DEFAULT-VALUE}); the shapes: docs/plan-json.md")
    OutputFormat output = OutputFormat.table;


    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        var engine = hostOptions.engine(null, stateOptions);
        // said even when no agent answers: a crashed apply's change set waits to be recovered
        for (var cs : engine.interrupted()) { // the same list goes into -o json|yaml as "interrupted"
            spec.commandLine().getErr().println("chameleon: warning: " + dev.chameleon.engine.Engine.interruptedNote(cs));
        }
        spec.commandLine().getErr().flush();
        // what waits for a boot (a microcode or kernel package, the kernel command line): read from the machine here, as
        // the interrupted change sets are, so it is said whichever agent answers, and when none does
        List<String> reboot = engine.rebootRequired();
        String reply = Answering.status();
        if (reply == null) {
            Path sock = socket != null ? socket : engine.stateFolder().path().resolve("agent.sock");
            try {
                reply = dev.chameleon.agent.loop.ControlSocket.ask(sock, "status");
            } catch (IOException e) {
                for (String r : reboot) {
                    spec.commandLine().getErr().println("chameleon: reboot required (chameleon does not reboot): " + r);
                }
                spec.commandLine().getErr().flush();
                throw new UserError(ExitCode.FAILED, "no agent answers on " + sock + " (" + e.getMessage() + "); is 'chameleon run' running?");
            }
        }
        List<dev.chameleon.model.ChangeSet> interrupted = engine.interrupted();
        if (!interrupted.isEmpty() && (json || output != OutputFormat.table)) {
            reply = withInterrupted(reply, interrupted);
        }
        if (!reboot.isEmpty() && (json || output != OutputFormat.table)) {
            reply = withRebootRequired(reply, reboot);
        }
        if (json || output == OutputFormat.json) {
            out.print(reply);
            out.flush();
            return ExitCode.OK;
        }
        if (output == OutputFormat.yaml) {
            try {
                out.print(Render.as(output, new ObjectMapper().readValue(reply, Object.class)));
            } catch (IOException e) {
                throw new UserError(ExitCode.FAILED, "the agent's answer is not JSON: " + e.getMessage());
            }
            out.flush();
            return ExitCode.OK;
        }
        try {
            JsonNode n = new ObjectMapper().readTree(reply);
            out.printf("Agent pid %s, mode %s, up since %s, %s passes, uevents via %s%n", n.path("pid").asText(), n.path("mode").asText(),
                    n.path("startedAt").asText(), n.path("passes").asText(), n.path("uevents").asText());
            JsonNode p = n.path("platform");
            // the answer, as 'chameleon detect' prints it; the evidence is in --json
            StringBuilder plat = new StringBuilder();
            for (String k : List.of("hypervisor", "vmm", "cloud", "container", "confidence")) {
                if (p.hasNonNull(k)) {
                    plat.append(plat.length() == 0 ? "" : ", ").append(k).append(' ').append(p.get(k).asText());
                }
            }
            out.printf("Platform: %s%n", plat.length() > 0 ? plat : "(not sensed yet)");
            JsonNode lp = n.path("lastPass");
            out.printf("Last pass: %s (trigger %s), %s pending, %s ms%s%n", lp.path("at").asText("-"), lp.path("trigger").asText("-"),
                    lp.path("pending").asText("0"), lp.path("durationMillis").asText("-"),
                    lp.has("changeSet") ? ", change set " + lp.path("changeSet").asText() : "");
            out.println("Pending changes: " + (n.path("pending").size() == 0 ? "none" : ""));
            n.path("pending").forEach(x -> out.println("  " + x.asText()));
            out.println("Drift (changed by someone else): " + (n.path("drift").size() == 0 ? "none" : ""));
            n.path("drift").forEach(d -> out.printf("  %s: %s -> %s (seen %s)%n", d.path("key").asText(), d.path("before").asText(),
                    d.path("after").asText(), d.path("when").asText()));
            if (n.path("frozen").size() > 0) {
                out.println("Frozen (flapping or failed the health gate; left alone until the agent restarts): " + n.path("frozen"));
            }
            if (!reboot.isEmpty()) {
                out.println("Reboot required (chameleon does not reboot):");
                reboot.forEach(x -> out.println("  " + x));
            }
            if (n.path("tunings").size() > 0) {
                out.println("Tunings:");
                n.path("tunings").forEach(x -> out.println("  " + x.asText()));
            }
            printGate(out, n.path("healthGate"));
            JsonNode c = n.path("cost");
            out.printf("Cost: RSS %s KiB (peak %s KiB), CPU %s ms, heap %s KiB, %s threads%n", c.path("rssKiB").asText("?"),
                    c.path("peakRssKiB").asText("?"), c.path("cpuMillis").asText("?"), c.path("heapUsedKiB").asText("?"),
                    c.path("threads").asText("?"));
            out.println("Events: " + n.path("eventsFile").asText());
        } catch (IOException e) {
            out.print(reply);
        }
        out.flush();
        return ExitCode.OK;
    }

    /**
     * The agent's status document with {@code rebootRequired: ["KEY: WHY", ...]} ({@link
     * dev.chameleon.engine.Engine#rebootRequired()}); an answer that is not a JSON object is returned as it is.
     */
    static String withRebootRequired(String reply, List<String> reboot) {
        return withField(reply, o -> reboot.forEach(o.putArray("rebootRequired")::add));
    }

    /**
     * The agent's status document with {@code interrupted: [{id, status, settings, note}]}: the
     * change sets this machine's journal holds unfinished (a run stopped in the middle), which
     * the command finds itself; an answer that is not a JSON object is returned as it is.
     */
    static String withInterrupted(String reply, List<dev.chameleon.model.ChangeSet> interrupted) {
        return withField(reply, o -> {
            var list = o.putArray("interrupted");
            for (var cs : interrupted) {
                list.addObject().put("id", cs.id()).put("status", String.valueOf(cs.status())).put("settings", cs.entries().size())
                        .put("note", dev.chameleon.engine.Engine.interruptedNote(cs));
            }
        });
    }

    /** The agent's answer, pretty-printed, with what {@code add} puts in it; an answer that is not a JSON object as it is. */
    private static String withField(String reply, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> add) {
        try {
            ObjectMapper m = new ObjectMapper();
            JsonNode n = m.readTree(reply);
            if (!(n instanceof com.fasterxml.jackson.databind.node.ObjectNode o)) {
                return reply;
            }
            add.accept(o);
            return m.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n";
        } catch (IOException e) {
            return reply;
        }
    }

    /** {@code Health gate: off}, or what it checks and its last verdict. */
    private static void printGate(PrintWriter out, JsonNode g) {
        if (!g.path("enabled").asBoolean()) {
            out.println("Health gate: off");
            return;
        }
        StringBuilder what = new StringBuilder();
        if (g.path("command").size() > 0) {
            java.util.List<String> words = new java.util.ArrayList<>();
            g.path("command").forEach(w -> words.add(w.asText()));
            what.append("command ").append(String.join(" ", words));
        }
        if (!g.path("url").asText().isEmpty()) {
            what.append(what.length() > 0 ? ", " : "").append("url ").append(g.path("url").asText());
        }
        out.printf("Health gate: %s (timeout %s, settle %s)%n", what, g.path("timeout").asText(), g.path("settle").asText());
        JsonNode last = g.path("last");
        if (!last.isObject()) {
            out.println("  last: none yet (no change set applied since the start)");
            return;
        }
        out.printf("  last: %s at %s, change set %s%s%n", last.path("outcome").asText(), last.path("at").asText(),
                last.path("changeSet").asText(), last.has("failed") ? ": " + last.path("failed").asText() : "");
        if (last.has("rollback")) {
            out.printf("  rollback: %s: %s%n", last.path("rollback").asText(), last.path("message").asText());
        }
    }
}
