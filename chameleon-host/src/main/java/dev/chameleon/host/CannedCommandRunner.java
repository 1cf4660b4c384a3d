package dev.chameleon.host;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Answers commands from a folder of canned output, laid out as in the fixtures:
 * {@code DIR/<name>} is the standard output of the command with that canned name, and
 * {@code DIR/<name>.exit} its exit status when not 0. No file means the program is not installed.
 */
public final class CannedCommandRunner implements CommandRunner {
    private final Path dir;

    public CannedCommandRunner(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    @Override
    public CommandResult run(Command command, Duration timeout) {
        Path out = dir.resolve(command.name());
        String source = "canned: " + out;
        if (command.name().contains("/") || !Files.isRegularFile(out)) {
            return CommandResult.notAvailable(source, command.program() + ": not installed (no canned output)");
        }
        try {
            String stdout = new String(Files.readAllBytes(out), StandardCharsets.UTF_8);
            int exit = 0;
            Path exitFile = dir.resolve(command.name() + ".exit");
            if (Files.isRegularFile(exitFile)) {
                exit = Integer.parseInt(Files.readString(exitFile).strip());
            }
            return new CommandResult(CommandResult.Status.RAN, exit, stdout, "", source);
        } catch (IOException | NumberFormatException e) {
            return new CommandResult(CommandResult.Status.FAILED_TO_START, -1, "", String.valueOf(e.getMessage()), source);
        }
    }

    @Override
    public String describe() {
        return "canned output from " + dir;
    }
}
