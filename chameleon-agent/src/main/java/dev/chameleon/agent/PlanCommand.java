package dev.chameleon.agent;

import dev.chameleon.actuators.Journal;
import dev.chameleon.model.SettingKey;
import java.util.Map;
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

    @Option(names = "--exit-code", description = "Exit 3 when changes are pending, 0 when there is nothing to change.")
    boolean exitCode;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var policies = policyOptions.load(hostOptions.host());
        Session s = Session.run(hostOptions.host(), policies);
        // apply-once keys that an earlier apply did: the journal says so, as it tells apply
        Map<SettingKey, String> once = ApplyCommand.leftAlone(s.evaluation(), new Journal(stateOptions.resolve(s.host())));
        var out = spec.commandLine().getOut();
        if (output == OutputFormat.table) {
            PlanView.table(s, once, out);
        } else {
            out.print(Render.as(output, PlanView.tree(s, once)));
            if (output == OutputFormat.json) {
                out.println();
            }
            out.flush();
        }
        return exitCode && PlanView.applyWouldChange(s, once) ? ExitCode.CHANGES_PENDING : ExitCode.OK;
    }
}
