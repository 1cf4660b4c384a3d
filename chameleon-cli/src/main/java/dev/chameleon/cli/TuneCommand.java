package dev.chameleon.cli;

import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.agent.tuning.Optimizer;
import dev.chameleon.agent.tuning.Probe;
import dev.chameleon.agent.tuning.Tuner;
import dev.chameleon.agent.tuning.TuningReport;
import dev.chameleon.agent.tuning.TuningSetup;
import dev.chameleon.engine.Engine;
import dev.chameleon.engine.EngineException;
import dev.chameleon.host.HostCommandRunner;
import dev.chameleon.model.FactSet;
import dev.chameleon.policy.PolicyError;
import dev.chameleon.policy.Tuning;
import dev.chameleon.policy.TuningParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code chameleon tune FILE}: learned tuning ({@link Tuner}). Without {@code --yes} it prints the
 * trial plan and changes nothing; with it, it runs the trials through the journal and puts
 * everything back; {@code --approve} writes the proposed policy into the machine's policy folder.
 * Reference: docs/tuning.md.
 */
@Command(name = "tune", mixinStandardHelpOptions = true,
        description = "Learned tuning: measure a workload, try settings within limits, put everything back, propose a policy with its "
                + "evidence. Without --yes: print the trial plan, change nothing.")
final class TuneCommand implements Callable<Integer> {
    @Mixin
    HostOptions hostOptions;
    @Mixin
    PolicyOptions policyOptions;
    @Mixin
    StateOptions stateOptions;

    @Parameters(arity = "0..1", paramLabel = "FILE", description = "The Tuning document (docs/tuning.md).")
    Path file;

    @Option(names = "--yes", description = "Really run the trials (each applied as a journalled change set and undone).")
    boolean yes;

    @Option(names = "--approve", description = "With --yes: write the proposed policy into /etc/chameleon/policies.d/ (under --root) "
            + "when the gain's 95%% interval is above 0. Without it nothing learned is applied.")
    boolean approve;

    @Option(names = "--recover", description = "Only undo what a killed tuning run left applied (its trial's change set), then exit.")
    boolean recover;

    @Option(names = "--optimizer", paramLabel = "NAME", description = "gp (Gaussian-process Bayesian optimisation, default) or random.")
    String optimizer = "gp";

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the optimiser's random choices (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--no-confirm", description = "Do not apply the best trial again to measure it afresh (the gain then comes from the trial itself).")
    boolean noConfirm;

    @Option(names = "--proposal", paramLabel = "FILE", description = "Also write the proposed policy to FILE (for review; not applied).")
    Path proposalFile;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table or json (default: ${DEFAULT-VALUE}); the shape: docs/tuning.md")
    OutputFormat output = OutputFormat.table;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Engine engine = hostOptions.engine(policyOptions, stateOptions);
        if (recover) {
            engine.requireRoot();
            Tuner.Recovered r = Tuner.recover(engine);
            r.lines().forEach(out::println);
            out.flush();
            if (!r.complete()) {
                // the journal keeps the change set (rollback-incomplete): said, and a failure, never "Recovered."
                throw new UserError(ExitCode.FAILED, "not fully recovered: a setting above was not put back; see 'chameleon history"
                        + engine.config().machineOptions() + "' and put it back by hand or with 'chameleon rollback --changeset ID"
                        + engine.config().machineOptions() + "'");
            }
            out.println(r.lines().isEmpty() ? "Nothing to recover: no tuning run left a change set applied." : "Recovered.");
            out.flush();
            return ExitCode.OK;
        }
        if (file == null) {
            throw new UserError(ExitCode.BAD_INPUT, "give the Tuning file: chameleon tune FILE (or --recover)");
        }
        if (output == OutputFormat.yaml) {
            throw new UserError(ExitCode.BAD_INPUT, "-o takes table or json for tune (the proposal itself is YAML: --proposal FILE)");
        }
        if (output == OutputFormat.json) {
            // bad input as JSON too (docs/tuning.md): every positioned error, nothing changed
            List<PolicyError> errors = new ArrayList<>();
            List<Tuning> ts = parse(file, errors);
            if (!errors.isEmpty()) {
                return jsonErrors(out, errors.stream().map(PolicyCommand::positioned).toList());
            }
            if (ts.size() != 1) {
                read(file); // the same message as the table's
            }
            try {
                return run(out, err, engine, ts.get(0));
            } catch (EngineException.BadInput e) {
                return jsonErrors(out, positionedAll(e.getMessage()));
            }
        }
        return run(out, err, engine, read(file));
    }

    private static final java.util.regex.Pattern AT = java.util.regex.Pattern.compile("(?s)(.+?):(\\d+):(\\d+): (.*)");

    /** {@code FILE:LINE:COLUMN: message} as the JSON error shape of {@code policy validate} (line and column 0 when it has none). */
    static Map<String, Object> positioned(String message) {
        java.util.regex.Matcher m = AT.matcher(message);
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("file", m.matches() ? m.group(1) : "");
        e.put("line", m.matches() ? Integer.parseInt(m.group(2)) : 0);
        e.put("column", m.matches() ? Integer.parseInt(m.group(3)) : 0);
        e.put("message", m.matches() ? m.group(4) : message);
        e.put("excerpt", "");
        return e;
    }

    private static final java.util.regex.Pattern HEAD = java.util.regex.Pattern.compile("^\\S.*?:\\d+:\\d+: .*");

    /**
     * Each {@code FILE:LINE:COLUMN: message} of a refusal (every knob's problem at once), with the
     * excerpt line that follows it (the caret line under it is the column's, already given).
     */
    static List<Map<String, Object>> positionedAll(String message) {
        List<Map<String, Object>> out = new ArrayList<>();
        Map<String, Object> last = null;
        boolean excerptTaken = false;
        for (String line : message.split("\n")) {
            if (last == null || HEAD.matcher(line).matches() && !line.startsWith("  ")) {
                last = positioned(line);
                out.add(last);
                excerptTaken = false;
            } else if (line.startsWith("  ") && !excerptTaken) {
                last.put("excerpt", line.substring(2));
                excerptTaken = true;
            }
        }
        return out;
    }

    private static int jsonErrors(PrintWriter out, List<Map<String, Object>> errors) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", false);
        m.put("changed", false);
        m.put("errors", errors);
        out.println(Render.json(m));
        out.flush();
        return ExitCode.BAD_INPUT;
    }

    private int run(PrintWriter out, PrintWriter err, Engine engine, Tuning tuning) throws Exception {
        if (approve && !yes) {
            throw new UserError(ExitCode.BAD_INPUT, "--approve goes with --yes: the proposal comes from a run. Nothing was changed.");
        }
        Optimizer opt = TuningSetup.optimizer(optimizer, seed, tuning);
        Probe probe = TuningSetup.probe(tuning, new HostCommandRunner());
        HealthGate gate = TuningSetup.gate(tuning, new HostCommandRunner(), null);
        boolean json = output == OutputFormat.json;
        PrintWriter progress = json ? err : out;
        AtomicBoolean stopping = new AtomicBoolean();
        Tuner tuner = new Tuner(engine, tuning, probe, gate, opt, line -> {
            progress.println(line);
            progress.flush();
        }, Clock.systemDefaultZone(), stopping::get, !noConfirm);
        FactSet facts = engine.sense();
        if (!yes) {
            TuningReport.Plan plan = tuner.plan(facts);
            if (json) {
                out.println(Render.json(plan.fields()));
            } else {
                plan.lines(Scope.of(spec, "--optimizer", "--seed", "--no-confirm", "--proposal")).forEach(out::println);
            }
            out.flush();
            return ExitCode.OK;
        }
        engine.requireRoot();
        // A SIGTERM or Ctrl-C ends the run: the trial under way is undone before the JVM exits.
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stopping.set(true);
            try {
                done.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "tune-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return runAndReport(engine, tuner, facts, out, err, json);
        } finally {
            done.countDown(); // after the report is printed: a SIGTERM's exit waits for it
        }
    }

    private int runAndReport(Engine engine, Tuner tuner, FactSet facts, PrintWriter out, PrintWriter err, boolean json) throws Exception {
        TuningReport report = tuner.run(facts);
        if (proposalFile != null) {
            if (report.proposal().isPresent()) {
                Files.writeString(proposalFile, report.proposal().get(), StandardCharsets.UTF_8);
            } else {
                err.println("no proposal (no trial beat the baseline); " + proposalFile + " not written");
            }
        }
        String approved = null;
        String approveRefused = null;
        if (approve) {
            try {
                approved = approve(engine, report).toString();
            } catch (EngineException e) {
                approveRefused = e.getMessage();
            }
        }
        if (json) {
            Map<String, Object> m = new java.util.LinkedHashMap<>(report.fields());
            if (approve) {
                m.put("approved", approved == null ? Map.of("written", false, "why", approveRefused) : Map.of("written", true, "file", approved));
            }
            out.println(Render.json(m));
        } else {
            report.lines().forEach(out::println);
            if (report.proposal().isPresent()) {
                out.println();
                out.println("Proposed policy (not applied):");
                out.print(report.proposal().get());
            }
            if (approved != null) {
                out.println("Approved: written to " + approved + "; the next 'chameleon apply --yes" + Scope.of(spec) + "' (or the agent) applies it.");
            } else if (approveRefused != null) {
                out.println("Not approved: " + approveRefused);
            }
        }
        out.flush();
        if (!report.notBack().isEmpty()) {
            return ExitCode.FAILED;
        }
        return approveRefused != null ? ExitCode.REFUSED : ExitCode.OK;
    }

    /** The Tuning documents of {@code f}, each problem added to {@code errors}; an unreadable file is a bad-input error. */
    static List<Tuning> parse(Path f, List<PolicyError> errors) {
        String text;
        try {
            text = Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UserError(ExitCode.BAD_INPUT, f + ": cannot read: " + e.getMessage());
        }
        return TuningParser.parse(f.toString(), text, errors);
    }

    /** The one Tuning document of {@code f}, or a bad-input error with every positioned problem. */
    static Tuning read(Path f) {
        List<PolicyError> errors = new ArrayList<>();
        List<Tuning> ts = parse(f, errors);
        if (!errors.isEmpty()) {
            throw new UserError(ExitCode.BAD_INPUT, errors.stream().map(PolicyError::format).collect(Collectors.joining("\n"))
                    + "\nnothing was changed");
        }
        if (ts.size() != 1) {
            throw new UserError(ExitCode.BAD_INPUT, f + ": holds " + ts.size() + " Tuning documents; give a file with exactly one");
        }
        return ts.get(0);
    }

    /** Writes the proposal into the machine's policy folder ({@link TuningSetup#approve}). */
    static Path approve(Engine engine, TuningReport report) {
        return TuningSetup.approve(engine, report);
    }
}
