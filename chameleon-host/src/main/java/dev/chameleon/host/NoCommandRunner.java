package dev.chameleon.host;

import java.time.Duration;

/** A runner that runs nothing: every command is "not available". Used with {@code --root} alone. */
public final class NoCommandRunner implements CommandRunner {
    @Override
    public CommandResult run(Command command, Duration timeout) {
        return CommandResult.notAvailable("none", "commands are off (--root without --commands)");
    }

    @Override
    public String describe() {
        return "none (commands are off)";
    }
}
