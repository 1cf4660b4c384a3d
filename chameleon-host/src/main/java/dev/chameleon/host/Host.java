package dev.chameleon.host;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The machine Chameleon looks at and changes: a file root and a command runner, always together.
 *
 * @param root     where {@code /proc}, {@code /sys}, {@code /etc} are read from
 * @param commands how commands run (real, canned, or none)
 */
public record Host(SysRoot root, CommandRunner commands) {
    public Host {
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(commands, "commands");
    }

    /** The live machine: root {@code /} and real commands. */
    public static Host live() {
        return new Host(SysRoot.live(), new HostCommandRunner());
    }

    /**
     * The host for CLI options: {@code --root} alone means commands are off; {@code --commands}
     * means canned output; neither means the live machine.
     */
    public static Host forOptions(Path root, Path commandsDir) {
        SysRoot r = root == null ? SysRoot.live() : new SysRoot(root);
        CommandRunner c;
        if (commandsDir != null) {
            c = new CannedCommandRunner(commandsDir);
        } else if (root != null && !r.isLive()) {
            c = new NoCommandRunner();
        } else {
            c = new HostCommandRunner();
        }
        return new Host(r, c);
    }

    /** A fixture case: {@code DIR/root} and {@code DIR/commands}. */
    public static Host fixture(Path caseDir) {
        return new Host(new SysRoot(caseDir.resolve("root")), new CannedCommandRunner(caseDir.resolve("commands")));
    }
}
