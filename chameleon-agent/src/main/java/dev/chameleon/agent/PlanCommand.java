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

    @Option(names = "--exit-code", description = "Exit 3 when changes are pending, 0 when there is nothing to change.")
    boolean exitCode;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var policies = policyOptions.load(hostOptions.host());
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
        return exitCode && PlanView.applyWouldChange(s) ? ExitCode.CHANGES_PENDING : ExitCode.OK;
    }
}
