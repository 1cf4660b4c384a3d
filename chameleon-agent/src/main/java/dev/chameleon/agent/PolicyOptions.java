package dev.chameleon.agent;

import dev.chameleon.policy.PolicyError;
import dev.chameleon.policy.PolicyException;
import dev.chameleon.policy.PolicySet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;

/** Options that choose the policies: the built-in pack and {@code --policies DIR}. */
final class PolicyOptions {
    @Option(names = "--policies", paramLabel = "DIR|FILE",
            description = "Also load policies from DIR (its *.yaml and *.yml files) or FILE; repeatable.")
    List<Path> policies = new ArrayList<>();

    @Option(names = "--no-default-policies", description = "Leave out the built-in policy pack.")
    boolean noDefaults;

    /** Compiles the chosen policies; any error is a positioned message and exit code 2. */
    PolicySet load() {
        List<PolicySet.Source> sources = new ArrayList<>();
        List<PolicyError> errors = new ArrayList<>();
        if (!noDefaults) {
            sources.addAll(PolicySet.defaultPack());
        }
        java.util.Set<Path> seen = new java.util.HashSet<>();
        for (Path p : policies) {
            Path real;
            try {
                real = p.toRealPath();
            } catch (java.io.IOException e) {
                real = p.toAbsolutePath().normalize();
            }
            if (!seen.add(real)) {
                continue;
            }
            if (Files.isDirectory(p)) {
                sources.addAll(PolicySet.directory(p, errors));
            } else if (Files.isRegularFile(p)) {
                sources.addAll(PolicySet.file(p, errors));
            } else {
                errors.add(new PolicyError(p.toString(), 0, 0, "no such file or folder", ""));
            }
        }
        if (!errors.isEmpty()) {
            throw new UserError(ExitCode.BAD_INPUT, "cannot load policies; nothing was changed\n"
                    + errors.stream().map(PolicyError::format).collect(Collectors.joining("\n")));
        }
        // a folder given twice, or a folder and a file in it, loads each file once
        java.util.Map<String, PolicySet.Source> unique = new java.util.LinkedHashMap<>();
        for (PolicySet.Source s : sources) {
            unique.putIfAbsent(s.name().startsWith("pack:") ? s.name() : Path.of(s.name()).toAbsolutePath().normalize().toString(), s);
        }
        sources = new ArrayList<>(unique.values());
        try {
            return PolicySet.compile(sources);
        } catch (PolicyException e) {
            throw new UserError(ExitCode.BAD_INPUT, "policies do not compile; nothing was changed\n"
                    + e.errors().stream().map(PolicyError::format).collect(Collectors.joining("\n")));
        }
    }
}
