package dev.chameleon.host;

import java.time.Duration;

/**
 * The one way Chameleon runs programs. Live machines use {@link HostCommandRunner}; tests and
 * {@code --commands DIR} use {@link CannedCommandRunner}; {@code --root} without
 * {@code --commands} uses {@link NoCommandRunner}, so a fixture tree is never mixed with the
 * answers of the machine the tests run on.
 */
public interface CommandRunner {
    /** Default time a command may take before it is killed. */
    Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    CommandResult run(Command command, Duration timeout);

    default CommandResult run(Command command) {
        return run(command, DEFAULT_TIMEOUT);
    }

    /** One line saying what this runner is, for {@code meta}. */
    String describe();
}
