package dev.chameleon.cli;

import dev.chameleon.model.FactSet;
import dev.chameleon.sensors.SensorSuite;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code chameleon facts}: everything the sensors found. */
@Command(name = "facts", mixinStandardHelpOptions = true, description = "Print the facts the sensors found about this machine.")
final class FactsCommand implements Callable<Integer> {
    @Mixin
    HostOptions hostOptions;
    @Mixin
    AgentOptions agentOptions;
    /** The state folder: its agent socket, and {@code STATE/cache} where apt's answer is kept between runs. */
    @Mixin
    StateOptions stateOptions;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table, json or yaml (default: ${DEFAULT-VALUE})")
    OutputFormat output = OutputFormat.table;

    @Parameters(paramLabel = "SENSOR", arity = "0..*", description = "Only these sensors (platform, cpu, memory, gpus, nics, disks, os, kernel, security, apps, migration, host, updates).")
    List<String> only = new ArrayList<>();

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        dev.chameleon.engine.Engine engine = Answering.engine(hostOptions, null, stateOptions, false);
        SensorSuite suite = engine.sensors();
        if (!only.isEmpty()) {
            try {
                suite = suite.only(only);
            } catch (IllegalArgumentException e) {
                throw new UserError(ExitCode.BAD_INPUT, e.getMessage());
            }
        }
        FactSet facts = Answering.facts(engine, suite, only.isEmpty(), agentOptions.refresh);
        var out = spec.commandLine().getOut();
        if (output == OutputFormat.table) {
            int w = 0;
            for (Map.Entry<String, Object> e : facts.leaves()) {
                w = Math.max(w, e.getKey().length());
            }
            for (Map.Entry<String, Object> e : facts.leaves()) {
                out.printf("%-" + w + "s  %s%n", e.getKey(), Render.printable(e.getValue()));
            }
        } else {
            out.print(Render.as(output, facts.asMap()));
            if (output == OutputFormat.json) {
                out.println();
            }
        }
        out.flush();
        return ExitCode.OK;
    }
}
