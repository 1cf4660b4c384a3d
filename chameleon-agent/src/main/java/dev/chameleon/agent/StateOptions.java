package dev.chameleon.agent;

import dev.chameleon.host.Host;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where the journal lives: {@code --state-dir}, default {@code /var/lib/chameleon} under the root. */
final class StateOptions {
    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Keep the journal of changes in DIR, taken as given (default: /var/lib/chameleon, "
                    + "which with --root is the tree's own /var/lib/chameleon).")
    Path stateDir;

    Path resolve(Host host) {
        Path p = stateDir != null ? stateDir.toAbsolutePath() : host.root().resolve("/var/lib/chameleon");
        if (java.nio.file.Files.exists(p) && !java.nio.file.Files.isDirectory(p)) {
            throw new UserError(ExitCode.BAD_INPUT, "--state-dir " + p + ": not a folder");
        }
        return p;
    }
}
