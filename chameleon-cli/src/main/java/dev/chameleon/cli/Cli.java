package dev.chameleon.cli;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import dev.chameleon.engine.EngineException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code chameleon} command line: {@code facts}, {@code detect}, {@code plan},
 * {@code apply}, {@code rollback}, {@code history}.
 */
@Command(name = "chameleon", mixinStandardHelpOptions = true, version = Cli.VERSION,
        description = "Senses the infrastructure this VM runs on and keeps the guest's configuration fitted to it.",
        footerHeading = "%nExit codes:%n",
        footer = {"  0  success (plan --exit-code: nothing to change)",
                "  1  failure: an apply failed and was undone, a setting could not be read,",
                "     a rollback could not finish, or the journal has an unreadable file;",
                "     apply and plan --exit-code: a policy's condition could not be",
                "     evaluated here",
                "  2  bad input: options, policies, agent.yaml (positioned errors), missing --yes",
                "  3  plan --exit-code: changes pending",
                "  4  refused: not root, another chameleon is changing this machine,",
                "     or another agent runs with the same state folder"})
public final class Cli implements Runnable {
    /** The version {@code --version} prints (and, with the jar's identity, what a client and the agent compare). */
    static final String VERSION = "chameleon 0.1.0";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say what to do: facts, detect, plan, apply, rollback, history, explain, policy, run, status, hardware, readiness, enroll, server or fleet");
    }

    /** Runs the CLI with the given arguments and returns the exit code. */
    public static int run(String... args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        try {
            return run(out, err, args);
        } finally {
            // autoflush covers println/printf only: a command that ends with print() (a proposal's
            // YAML, a rendered document) must not lose its text to the exit that follows
            out.flush();
            err.flush();
        }
    }

    /** The subcommands, by name, in help order. */
    static Map<String, Supplier<Object>> subcommands() {
        Map<String, Supplier<Object>> m = new LinkedHashMap<>();
        m.put("facts", FactsCommand::new);
        m.put("detect", DetectCommand::new);
        m.put("plan", PlanCommand::new);
        m.put("apply", ApplyCommand::new);
        m.put("rollback", RollbackCommand::new);
        m.put("history", HistoryCommand::new);
        m.put("explain", ExplainCommand::new);
        m.put("policy", PolicyCommand::new);
        m.put("run", RunCommand::new);
        m.put("status", StatusCommand::new);
        m.put("hardware", HardwareCommand::new);
        m.put("readiness", ReadinessCommand::new);
        m.put("enroll", EnrollCommand::new);
        m.put("server", ServerCommand::new);
        m.put("fleet", FleetCommand::new);
        m.put("tune", TuneCommand::new);
        return m;
    }

    /** The exit code an engine refusal means: bad input 2, refused 4, failed 1. */
    static int exitCode(EngineException e) {
        if (e instanceof EngineException.BadInput) {
            return ExitCode.BAD_INPUT;
        }
        return e instanceof EngineException.Refused ? ExitCode.REFUSED : ExitCode.FAILED;
    }

    /** The engine's message with its settings named as options ({@code stateDir} → {@code --state-dir}). */
    static String message(EngineException e) {
        return e instanceof EngineException.BadInput b ? b.describe(Cli::option) : e.getMessage();
    }

    /** The option of an engine setting: {@code stateDir} → {@code --state-dir}. */
    static String option(String setting) {
        return "--" + setting.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Cli());
        // Only the subcommand being run is built: picocli models every registered command by
        // reflection at start-up, and one-shot commands such as 'facts' are judged by start-up time.
        Map<String, Supplier<Object>> all = subcommands();
        String first = args.length > 0 ? args[0] : "";
        if (!first.isEmpty() && !first.startsWith("-") && !first.equals("help") && !all.containsKey(first)) {
            // before picocli: 'chameleon NOSUCH --help' printed the main help and exited 0
            err.println("chameleon: unknown command '" + Render.printable(Render.cut(first)) + "'"
                    + dev.chameleon.model.DidYouMean.suggest(first, all.keySet()).map(s -> "; did you mean '" + s + "'?").orElse(""));
            err.println("Run 'chameleon --help' for the commands.");
            err.flush();
            return ExitCode.BAD_INPUT;
        }
        if (all.containsKey(first)) {
            cl.addSubcommand(first, all.get(first).get());
        } else {
            all.forEach((name, make) -> cl.addSubcommand(name, make.get()));
            cl.addSubcommand("help", new CommandLine.HelpCommand());
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, a) -> {
            if (Answering.served()) {
                Answering.decline("the command line does not parse");
                return ExitCode.BAD_INPUT;
            }
            // picocli's own messages may start with "Error: "; ours already say "chameleon: "
            String msg = String.valueOf(ex.getMessage());
            err.println("chameleon: " + (msg.startsWith("Error: ") ? msg.substring("Error: ".length()) : msg));
            err.println("Run '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for usage.");
            return ExitCode.BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, c, pr) -> {
            if (ex instanceof Answering.Decline d) {
                Answering.decline(d.getMessage());
                return ExitCode.FAILED;
            }
            if (ex instanceof UserError u) {
                err.println("chameleon: " + u.getMessage());
                return u.exitCode();
            }
            if (ex instanceof EngineException e) {
                err.println("chameleon: " + message(e));
                return exitCode(e);
            }
            if (Answering.served()) {
                Answering.decline("internal error: " + ex);
                return ExitCode.FAILED;
            }
            err.println("chameleon: internal error: " + ex);
            ex.printStackTrace(err);
            return ExitCode.FAILED;
        });
        return cl.execute(args);
    }
}
