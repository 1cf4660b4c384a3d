package dev.chameleon.cli;

import dev.chameleon.engine.EngineConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Options that choose the policies. Sources, in this order: the built-in pack, the machine's
 * {@code /etc/chameleon/policies.d/} (under {@code --root}; skipped when the folder is absent),
 * then each {@code --policies DIR|FILE}.
 */
final class PolicyOptions {
    /** The machine's own policy folder, read through the root. */
    static final String SYSTEM_DIR = EngineConfig.SYSTEM_POLICIES;

    @Option(names = "--policies", paramLabel = "DIR|FILE",
            description = "Also load policies from DIR (its *.yaml and *.yml files) or FILE; repeatable.")
    List<Path> policies = new ArrayList<>();

    @Option(names = "--no-default-policies", description = "Leave out the built-in policy pack.")
    boolean noDefaults;

    @Option(names = "--no-system-policies", description = "Leave out " + SYSTEM_DIR + " (under --root).")
    boolean noSystem;

    /** Maps the options given onto {@code b}, over what it holds ({@code --policies} replaces agent.yaml's {@code policies.dirs}). */
    void configure(EngineConfig.Builder b) {
        if (noDefaults) {
            b.builtinPolicies(false);
        }
        if (noSystem) {
            b.systemPolicies(false);
        }
        if (!policies.isEmpty()) {
            b.replacePolicies(policies);
        }
    }
}
