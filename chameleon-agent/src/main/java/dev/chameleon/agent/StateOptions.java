package dev.chameleon.agent;

import dev.chameleon.engine.EngineConfig;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the journal lives: {@code --state-dir}, default {@code /var/lib/chameleon} under the root. */
final class StateOptions {
    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Keep the journal of changes in DIR, taken as given (default: /var/lib/chameleon, "
                    + "which with --root is the tree's own /var/lib/chameleon).")
    Path stateDir;

    /** Maps this option onto {@code b}. */
    void configure(EngineConfig.Builder b) {
        b.stateDir(stateDir);
    }
}
