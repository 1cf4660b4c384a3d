package dev.chameleon.cli;

import dev.chameleon.engine.Engine;
import dev.chameleon.engine.hardware.Platforms;
import dev.chameleon.engine.hardware.Readiness;
import dev.chameleon.model.FactSet;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code chameleon readiness --target T}: could this guest's disk boot and come up on T (docs/hardware.md). */
@Command(name = "readiness", mixinStandardHelpOptions = true,
        description = "Check whether this guest can move to another platform: initramfs drivers, fstab and boot loader by UUID/LABEL, "
                + "network configuration not bound to a MAC or slot name, guest agent, cloud-init datasource, serial console. "
                + "Reads only; each failed check says its fix.")
final class ReadinessCommand implements Callable<Integer> {
    @Mixin
    HostOptions hostOptions;

    @Option(names = "--target", required = true, paramLabel = "PLATFORM", description = "kvm, vmware, hyperv, xen, aws, azure or gcp.")
    String target;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table, json or yaml (default: ${DEFAULT-VALUE})")
    OutputFormat output = OutputFormat.table;

    @Option(names = "--exit-code", description = "Exit 3 when a check fails, 0 when none does (unknowns do not count).")
    boolean exitCode;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Platforms.Platform platform = Platforms.get(target).orElseThrow(() -> new UserError(ExitCode.BAD_INPUT,
                "--target: unknown platform '" + target + "' (known: " + String.join(", ", Platforms.NAMES) + ")"));
        Engine engine = hostOptions.engine(null, null);
        FactSet facts = engine.sensors().only(List.of("os", "kernel")).collect(engine.host());
        Readiness.Report report = Readiness.check(platform, engine.host(), facts);
        var out = spec.commandLine().getOut();
        if (output == OutputFormat.table) {
            out.printf("readiness for %s%n", platform.label());
            FindingsTable.print(report.findings(), out);
        } else {
            out.print(Render.as(output, report.toMap()));
            if (output == OutputFormat.json) {
                out.println();
            }
        }
        out.flush();
        return FindingsTable.exitCode(exitCode, report.findings());
    }
}
