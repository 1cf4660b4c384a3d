package dev.chameleon.cli;

import dev.chameleon.engine.Engine;
import dev.chameleon.engine.hardware.HardwareCheck;
import dev.chameleon.engine.hardware.HardwareProfiles;
import dev.chameleon.model.FactSet;
import dev.chameleon.policy.HardwareProfile;
import dev.chameleon.policy.PolicyError;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code chameleon hardware}: virtual hardware profiles and the check against them (docs/hardware.md). */
@Command(name = "hardware", mixinStandardHelpOptions = true,
        description = "Compare the VM's virtual hardware with a HardwareProfile and say what to change on the platform.",
        subcommands = {HardwareCommand.Check.class, HardwareCommand.Profiles.class})
final class HardwareCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "say what to do: check or profiles");
    }

    /** The shipped profiles with those of {@code files} over them; a problem in a file is bad input (exit 2). */
    static Map<String, HardwareProfile> profiles(List<Path> files) {
        Map<String, HardwareProfile> all = HardwareProfiles.builtin();
        List<PolicyError> errors = new ArrayList<>();
        files.forEach(f -> HardwareProfiles.load(f, all, errors));
        if (!errors.isEmpty()) {
            throw new UserError(ExitCode.BAD_INPUT, errors.stream().map(PolicyError::format).collect(Collectors.joining("\n")));
        }
        return all;
    }

    @Command(name = "check", mixinStandardHelpOptions = true,
            description = "Check the VM against a hardware profile: each gap with its evidence and the change that closes it "
                    + "on the detected platform (libvirt XML, .vmx keys, Hyper-V PowerShell, the cloud's instance types).")
    static final class Check implements Callable<Integer> {
        @Mixin
        HostOptions hostOptions;

        @Option(names = "--profile", paramLabel = "NAME", description = "The profile (default: ${DEFAULT-VALUE}); "
                + "shipped: general, network-heavy, storage-heavy, database, gpu-compute.")
        String profile = "general";

        @Option(names = "--profile-file", paramLabel = "FILE", description = "Read HardwareProfile documents from FILE too (repeatable); "
                + "a profile of a shipped name replaces it.")
        List<Path> profileFiles = new ArrayList<>();

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", description = "table, json or yaml (default: ${DEFAULT-VALUE})")
        OutputFormat output = OutputFormat.table;

        @Option(names = "--exit-code", description = "Exit 3 when the VM has a gap, 0 when none (unknowns do not count).")
        boolean exitCode;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            Map<String, HardwareProfile> all = profiles(profileFiles);
            HardwareProfile p = all.get(profile);
            if (p == null) {
                throw new UserError(ExitCode.BAD_INPUT, "no hardware profile named '" + profile + "' (known: "
                        + String.join(", ", all.keySet()) + ")");
            }
            Engine engine = hostOptions.engine(null, null);
            FactSet facts = engine.sense();
            HardwareCheck.Report report = HardwareCheck.check(p, facts, engine.host().root());
            var out = spec.commandLine().getOut();
            if (output == OutputFormat.table) {
                out.printf("profile %s on %s (hypervisor %s, cloud %s)%n", p.name(), report.platform().orElse("an unknown platform"),
                        report.detected().get("hypervisor"), report.detected().get("cloud"));
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

    @Command(name = "profiles", mixinStandardHelpOptions = true, description = "List the hardware profiles (shipped and --profile-file).")
    static final class Profiles implements Callable<Integer> {
        @Option(names = "--profile-file", paramLabel = "FILE", description = "Read HardwareProfile documents from FILE too (repeatable).")
        List<Path> profileFiles = new ArrayList<>();

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            var out = spec.commandLine().getOut();
            profiles(profileFiles).values().forEach(p -> out.printf("%-16s %-28s %s%n", p.name(), p.source(), p.description()));
            out.flush();
            return ExitCode.OK;
        }
    }
}
