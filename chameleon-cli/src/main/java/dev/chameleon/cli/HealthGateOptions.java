package dev.chameleon.cli;

import dev.chameleon.agent.AgentConfig;
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

    /** Maps these options onto {@code b}. */
    void configure(AgentConfig.Builder b) {
        b.healthCommand(command).healthUrl(url).healthTimeout(timeout).healthSettle(settle);
    }
}
