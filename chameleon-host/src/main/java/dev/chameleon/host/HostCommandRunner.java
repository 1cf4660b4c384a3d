package dev.chameleon.host;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs real programs on the live machine, found on {@code PATH} plus {@code /sbin},
 * {@code /usr/sbin}; standard input is closed, the locale is {@code C} so output parses the same
 * everywhere, and a command past its timeout is killed.
 */
public final class HostCommandRunner implements CommandRunner {
    @Override
    public CommandResult run(Command command, Duration timeout) {
        String source = "command: " + command.display();
        Path exe = find(command.program());
        if (exe == null) {
            return CommandResult.notAvailable(source, command.program() + ": not installed");
        }
        java.util.List<String> argv = new java.util.ArrayList<>(command.argv());
        argv.set(0, exe.toString());
        ProcessBuilder pb = new ProcessBuilder(argv);
        pb.environment().put("LC_ALL", "C");
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new CommandResult(CommandResult.Status.FAILED_TO_START, -1, "", String.valueOf(e.getMessage()), source);
        }
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> drain(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> drain(p.getErrorStream()));
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                return new CommandResult(CommandResult.Status.TIMED_OUT, -1, "", "timed out after " + timeout.toMillis() + " ms", source);
            }
            return new CommandResult(CommandResult.Status.RAN, p.exitValue(), out.join(), err.join(), source);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return new CommandResult(CommandResult.Status.TIMED_OUT, -1, "", "interrupted", source);
        }
    }

    private static String drain(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** The executable for a program name, searching PATH and the sbin folders; null when absent. */
    static Path find(String program) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            return Files.isExecutable(p) ? p : null;
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String dir : (path + ":/usr/local/sbin:/usr/sbin:/sbin").split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                return p;
            }
        }
        return null;
    }

    @Override
    public String describe() {
        return "host commands";
    }
}
