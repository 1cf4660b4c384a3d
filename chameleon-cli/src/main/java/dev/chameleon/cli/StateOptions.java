package dev.chameleon.cli;

import dev.chameleon.engine.EngineConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the journal lives: {@code --state-dir}, default {@code /var/lib/chameleon} under the root. */
final class StateOptions {
    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Keep the journal of changes in DIR, taken as given (default: /var/lib/chameleon, "
                    + "which with --root is the tree's own /var/lib/chameleon).")
    Path stateDir;

    /** Maps the option, when given, onto {@code b}, over what it holds (agent.yaml's {@code stateDir} for {@code run}). */
    void configure(EngineConfig.Builder b) {
        if (stateDir != null) {
            b.stateDir(stateDir);
        }
    }
}
