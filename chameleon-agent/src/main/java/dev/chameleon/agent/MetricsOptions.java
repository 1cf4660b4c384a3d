package dev.chameleon.agent;

import dev.chameleon.agent.loop.AgentMetrics;
import dev.chameleon.agent.loop.MetricsConfig;
import dev.chameleon.agent.loop.MetricsListen;
import dev.chameleon.agent.loop.MetricsServer;
import dev.chameleon.host.SysRoot;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The metrics option of {@code chameleon run}, over the {@code metrics} keys of {@code --config}:
 * {@code --metrics} wins over the file.
 */
final class MetricsOptions {
    @Option(names = "--metrics", paramLabel = "HOST:PORT", description = {"Serve Prometheus metrics at http://HOST:PORT/metrics; "
            + "HOST a loopback address as a number (127.0.0.1, [::1]), port 0 picks a free one (the start event says which). "
            + "\"\" turns off metrics of --config. Default: off (metrics.enabled, metrics.listen of --config)."})
    String listen;

    private MetricsConfig.Settings fromFile = MetricsConfig.Settings.off();

    /** Reads {@code metrics} of the config file; a problem is bad input with its file:line:column. */
    /** Forgets what a config file said (before the file is read again). */
    void forgetConfig() {
        fromFile = MetricsConfig.Settings.off();
    }

    void readConfig(Path config) {
        try {
            fromFile = MetricsConfig.read(config);
        } catch (IllegalArgumentException e) {
            throw new UserError(ExitCode.BAD_INPUT, "--config " + e.getMessage());
        }
    }

    /** Where to serve, or null for no metrics: the flag, else the file. A bad flag is bad input naming it. */
    InetSocketAddress address() {
        if (listen == null) {
            return fromFile.enabled() ? fromFile.listen() : null;
        }
        if (listen.isBlank()) {
            return null;
        }
        try {
            return MetricsListen.parse(listen);
        } catch (IllegalArgumentException e) {
            throw new UserError(ExitCode.BAD_INPUT, "--metrics " + e.getMessage());
        }
    }

    /**
     * Starts the endpoint on {@code at}; null when {@code at} is null. Micrometer is loaded only
     * here, so an agent without metrics does not carry it.
     */
    static MetricsServer serve(InetSocketAddress at, AgentMetrics metrics) {
        if (at == null) {
            return null;
        }
        try {
            return MetricsServer.start(at, metrics, SysRoot.live());
        } catch (IOException e) {
            throw new UserError(ExitCode.FAILED, "metrics: " + e.getMessage());
        }
    }
}
