package dev.chameleon.agent;

import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.agent.loop.HealthGateConfig;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The health-gate options of {@code chameleon run}, over the {@code healthGate} keys of
 * {@code --config}: each flag given wins over the same key of the file.
 */
final class HealthGateOptions {
    @Option(names = "--health-command", paramLabel = "'PROGRAM ARG…'", description = {
            "Health gate: after each change set the agent applies, run this (an absolute path, words split on blanks, "
                    + "no shell, no quoting); exit code 0 passes, anything else undoes the change set. "
                    + "\"\" turns off healthGate.command of --config. Arguments with blanks: healthGate.command in --config."})
    String command;

    @Option(names = "--health-url", paramLabel = "URL", description = "Health gate: GET this http:// URL on a loopback address "
            + "(127.0.0.1, [::1]); HTTP 2xx passes. \"\" turns off healthGate.url of --config.")
    String url;

    @Option(names = "--health-timeout", paramLabel = "DURATION", description = "A health check not answering within this fails (default: 30s).")
    String timeout;

    @Option(names = "--health-settle", paramLabel = "DURATION", description = "Wait this long after a change set before the health check (default: 5s).")
    String settle;

    private HealthGate.Settings fromFile = HealthGate.Settings.off();

    /** Forgets what a config file said (before the file is read again). */
    void forgetConfig() {
        fromFile = HealthGate.Settings.off();
    }

    /** Reads {@code healthGate} of the config file; a problem is bad input with its file:line:column. */
    void readConfig(Path config) {
        try {
            fromFile = HealthGateConfig.read(config);
        } catch (IllegalArgumentException e) {
            throw new UserError(ExitCode.BAD_INPUT, "--config " + e.getMessage());
        }
    }

    /** The gate: the file's settings with the flags given on top; a bad flag is bad input naming it. */
    HealthGate.Settings settings() {
        List<String> argv = fromFile.command();
        if (command != null) {
            argv = command.isBlank() ? List.of() : Arrays.asList(command.strip().split("\\s+"));
            for (int i = 0; i < argv.size(); i++) {
                Optional<String> p = HealthGate.wordProblem(i, argv.get(i));
                if (p.isPresent()) {
                    throw new UserError(ExitCode.BAD_INPUT, "--health-command " + command + ": word " + (i + 1) + " " + p.get());
                }
            }
        }
        URI u = fromFile.url();
        if (url != null) {
            u = null;
            if (!url.isBlank()) {
                Optional<String> p = HealthGate.urlProblem(url.strip());
                if (p.isPresent()) {
                    throw new UserError(ExitCode.BAD_INPUT, "--health-url " + p.get());
                }
                u = URI.create(url.strip());
            }
        }
        Duration t = RunCommand.duration("--health-timeout", timeout, fromFile.timeout());
        HealthGate.timeoutProblem(t).ifPresent(p -> {
            throw new UserError(ExitCode.BAD_INPUT, "--health-timeout " + timeout + ": " + p);
        });
        Duration s = RunCommand.duration("--health-settle", settle, fromFile.settle());
        HealthGate.settleProblem(s).ifPresent(p -> {
            throw new UserError(ExitCode.BAD_INPUT, "--health-settle " + settle + ": " + p);
        });
        return new HealthGate.Settings(argv, u, t, s);
    }
}
