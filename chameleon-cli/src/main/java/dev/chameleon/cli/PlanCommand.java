package dev.chameleon.cli;

import dev.chameleon.engine.Engine;
import dev.chameleon.engine.Pass;
import dev.chameleon.model.json.PlanCodec;
import dev.chameleon.model.plan.PlanDocument;
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
    @Mixin
    StateOptions stateOptions;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table, json or yaml (default: ${DEFAULT-VALUE})")
    OutputFormat output = OutputFormat.table;

    @Option(names = "--exit-code", description = "Exit 3 when changes are pending, 0 when there is nothing to change "
            + "(1 when a setting could not be read or a policy could not be evaluated).")
    boolean exitCode;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Engine engine = hostOptions.engine(policyOptions, stateOptions);
        var policies = engine.loadPolicies();
        Pass s = engine.pass(policies);
        PlanDocument doc = s.document();
        var out = spec.commandLine().getOut();
        if (output == OutputFormat.table) {
            PlanTable.print(doc, out);
        } else {
            out.print(Render.as(output, PlanCodec.tree(doc)));
            if (output == OutputFormat.json) {
                out.println();
            }
            out.flush();
        }
        var err = spec.commandLine().getErr();
        if (!s.policyErrors().isEmpty()) {
            err.println("chameleon: " + s.policyErrors().size() + " policy(ies) could not be evaluated; their settings are left out:");
            s.policyErrors().forEach(e -> err.println("  " + e));
            err.flush();
        }
        if (!exitCode) {
            return ExitCode.OK;
        }
        if (!s.policyErrors().isEmpty() || !s.unreadable().isEmpty()) {
            return ExitCode.FAILED;
        }
        return doc.summary().change() > 0 ? ExitCode.CHANGES_PENDING : ExitCode.OK;
    }
}
