package dev.chameleon.agent;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code chameleon} command line: {@code facts}, {@code detect}, {@code plan},
 * {@code apply}, {@code rollback}, {@code history}.
 */
@Command(name = "chameleon", mixinStandardHelpOptions = true, version = "chameleon 0.1.0",
        description = "Senses the infrastructure this VM runs on and keeps the guest's configuration fitted to it.",
        subcommands = {FactsCommand.class, DetectCommand.class, PlanCommand.class, ApplyCommand.class,
                RollbackCommand.class, HistoryCommand.class, CommandLine.HelpCommand.class},
        footerHeading = "%nExit codes:%n",
        footer = {"  0  success (plan --exit-code: nothing to change)",
                "  1  failure: an apply failed and was undone, or a rollback could not finish",
                "  2  bad input: options, policies, missing --yes",
                "  3  plan --exit-code: changes pending",
                "  4  refused: not root, or another chameleon is changing this machine"})
public final class Cli implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say what to do: facts, detect, plan, apply or rollback");
    }

    /** Runs the CLI with the given arguments and returns the exit code. */
    public static int run(String... args) {
        return run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Cli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("chameleon: " + ex.getMessage());
            err.println("Run 'chameleon " + (ex.getCommandLine().getCommandName().equals("chameleon") ? "" : ex.getCommandLine().getCommandName() + " ")
                    + "--help' for usage.");
            return ExitCode.BAD_INPUT;
        });
        cl.setExecutionExceptionHandler((ex, c, pr) -> {
            if (ex instanceof UserError u) {
                err.println("chameleon: " + u.getMessage());
                return u.exitCode();
            }
            err.println("chameleon: internal error: " + ex);
            ex.printStackTrace(err);
            return ExitCode.FAILED;
        });
        return cl.execute(args);
    }
}
