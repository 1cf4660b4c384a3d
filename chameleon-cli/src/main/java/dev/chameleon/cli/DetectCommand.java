package dev.chameleon.cli;

import dev.chameleon.model.FactSet;
import dev.chameleon.sensors.SensorSuite;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code chameleon detect}: the platform layers and every clue behind them. */
@Command(name = "detect", mixinStandardHelpOptions = true,
        description = "Print the platform (hypervisor, vmm, cloud, container) with its confidence and evidence.")
final class DetectCommand implements Callable<Integer> {
    @Mixin
    HostOptions hostOptions;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table, json or yaml (default: ${DEFAULT-VALUE})")
    OutputFormat output = OutputFormat.table;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        dev.chameleon.engine.Engine engine = hostOptions.engine(null, null);
        FactSet facts = engine.sensors().only(List.of("platform")).collect(engine.host());
        var out = spec.commandLine().getOut();
        Object platform = facts.get("platform").orElse(null);
        if (platform == null) {
            Object status = facts.get("meta.sensors.platform").orElse(Map.of());
            if (engine.sensors().disabled().contains("platform")) {
                throw new UserError(ExitCode.BAD_INPUT, "the platform sensor is switched off (--no-sensor platform); detect has nothing to show");
            }
            throw new UserError(ExitCode.FAILED, "the platform sensor failed: " + status);
        }
        if (output != OutputFormat.table) {
            out.print(Render.as(output, platform));
            if (output == OutputFormat.json) {
                out.println();
            }
            out.flush();
            return ExitCode.OK;
        }
        Map<?, ?> p = (Map<?, ?>) platform;
        for (String k : List.of("hypervisor", "vmm", "cloud", "container", "confidence")) {
            out.printf("%-11s %s%n", k, p.containsKey(k) ? p.get(k) : "(not known)");
        }
        out.println("evidence:");
        Object ev = p.get("evidence");
        if (ev instanceof List<?> l && !l.isEmpty()) {
            for (Object o : l) {
                if (o instanceof Map<?, ?> e) {
                    out.printf("  %-28s %-32s -> %-22s (%s)%n", e.get("signal"), quote(e.get("value")), e.get("supports"), e.get("source"));
                }
            }
        } else {
            out.println("  (none)");
        }
        out.flush();
        return ExitCode.OK;
    }

    private static String quote(Object v) {
        String s = Render.printable(v);
        return "\"" + (s.length() > 30 ? s.substring(0, 29) + "…" : s) + "\"";
    }
}
