package dev.chameleon.agent;

import dev.chameleon.host.Host;
import dev.chameleon.policy.PolicyError;
import dev.chameleon.policy.PolicyException;
import dev.chameleon.policy.PolicySet;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Option;

/**
 * Options that choose the policies. Sources, in this order: the built-in pack, the machine's
 * {@code /etc/chameleon/policies.d/} (under {@code --root}; skipped when the folder is absent),
 * then each {@code --policies DIR|FILE}.
 */
final class PolicyOptions {
    /** The machine's own policy folder, read through the root. */
    static final String SYSTEM_DIR = "/etc/chameleon/policies.d";

    @Option(names = "--policies", paramLabel = "DIR|FILE",
            description = "Also load policies from DIR (its *.yaml and *.yml files) or FILE; repeatable.")
    List<Path> policies = new ArrayList<>();

    @Option(names = "--no-default-policies", description = "Leave out the built-in policy pack.")
    boolean noDefaults;

    @Option(names = "--no-system-policies", description = "Leave out " + SYSTEM_DIR + " (under --root).")
    boolean noSystem;

    /** Compiles the pack, the machine's policies.d and --policies; any error is a positioned message and exit code 2. */
    PolicySet load(Host host) {
        List<PolicyError> errors = new ArrayList<>();
        List<PolicySet.Source> sources = sources(host, errors);
        return compile(sources, errors);
    }

    /** Compiles the pack and --policies only (for commands that read no machine). */
    PolicySet load() {
        return load(null);
    }

    /** The chosen sources in load order; unreadable ones become errors. {@code host} null: no policies.d. */
    List<PolicySet.Source> sources(Host host, List<PolicyError> errors) {
        List<PolicySet.Source> sources = new ArrayList<>();
        if (!noDefaults) {
            sources.addAll(PolicySet.defaultPack());
        }
        if (!noSystem && host != null && host.root().isDirectory(SYSTEM_DIR)) {
            sources.addAll(PolicySet.directory(host.root().resolve(SYSTEM_DIR), errors));
        }
        sources.addAll(paths(policies, errors));
        return sources;
    }

    static List<PolicySet.Source> paths(List<Path> paths, List<PolicyError> errors) {
        List<PolicySet.Source> sources = new ArrayList<>();
        java.util.Set<Path> seen = new java.util.HashSet<>();
        for (Path p : paths) {
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
        // a folder given twice, or a folder and a file in it, loads each file once
        java.util.Map<Path, PolicySet.Source> unique = new java.util.LinkedHashMap<>();
        for (PolicySet.Source s : sources) {
            unique.putIfAbsent(Path.of(s.name()).toAbsolutePath().normalize(), s);
        }
        return new ArrayList<>(unique.values());
    }

    static PolicySet compile(List<PolicySet.Source> sources, List<PolicyError> errors) {
        if (!errors.isEmpty()) {
            throw new UserError(ExitCode.BAD_INPUT, "cannot load policies; nothing was changed\n"
                    + errors.stream().map(PolicyError::format).collect(Collectors.joining("\n")));
        }
        try {
            return PolicySet.compile(sources);
        } catch (PolicyException e) {
            throw new UserError(ExitCode.BAD_INPUT, "policies do not compile; nothing was changed\n"
                    + e.errors().stream().map(PolicyError::format).collect(Collectors.joining("\n")));
        }
    }
}
