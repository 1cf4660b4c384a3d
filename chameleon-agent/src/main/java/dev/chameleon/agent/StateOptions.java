package dev.chameleon.agent;

import dev.chameleon.host.Host;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the journal lives: {@code --state-dir}, default {@code /var/lib/chameleon} under the root. */
final class StateOptions {
    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Keep the journal of changes in DIR (default: /var/lib/chameleon, under --root when given).")
    Path stateDir;

    Path resolve(Host host) {
        return stateDir != null ? stateDir : host.root().resolve("/var/lib/chameleon");
    }
}
