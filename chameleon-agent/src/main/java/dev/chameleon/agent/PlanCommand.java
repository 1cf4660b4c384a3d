package dev.chameleon.agent;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code chameleon plan}: what would change, from what, to what, and why. Changes nothing. */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Show what would change on this machine, from what, to what, and why. Changes nothing.")
final class PlanCommand implements Callable<Integer> {
    @Mixin
    HostOptions hostOptions;
    @Mixin
    PolicyOptions policyOptions;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table, json or yaml (default: ${DEFAULT-VALUE})")
    OutputFormat output = OutputFormat.table;

    @Option(names = "--exit-code", description = "Exit 3 when changes are pending, 0 when there is nothing to change "
            + "(1 when a setting could not be read).")
    boolean exitCode;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var policies = policyOptions.load();
        Session s = Session.run(hostOptions.host(), policies);
        var out = spec.commandLine().getOut();
        if (output == OutputFormat.table) {
            PlanView.table(s, out);
        } else {
            out.print(Render.as(output, PlanView.tree(s)));
            if (output == OutputFormat.json) {
                out.println();
            }
            out.flush();
        }
        var err = spec.commandLine().getErr();
        if (!s.policyErrors().isEmpty()) {
            err.println("chameleon: " + s.policyErrors().size() + " policy(ies) could not be evaluated; apply would refuse:");
            s.policyErrors().forEach(e -> err.println("  " + e));
            err.flush();
            return ExitCode.BAD_INPUT;
        }
        if (!exitCode) {
            return ExitCode.OK;
        }
        if (!s.unreadable().isEmpty()) {
            return ExitCode.FAILED;
        }
        return s.pendingChanges().isEmpty() ? ExitCode.OK : ExitCode.CHANGES_PENDING;
    }
}
