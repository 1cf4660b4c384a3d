package dev.chameleon.cli;

import dev.chameleon.agent.AgentConfig;
import dev.chameleon.agent.AgentConfigFile;
import dev.chameleon.agent.Daemon;
import dev.chameleon.engine.EngineException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code chameleon run}: the daemon. The options are mapped onto one {@link AgentConfig}, over
 * {@code --config}'s file ({@link AgentConfigFile}); on SIGHUP the same options and the file read
 * again make a new one.
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Keep the machine fitted to the policies: sense, evaluate, plan (and in apply mode apply and verify) "
                + "every interval with a random splay, and at once on hotplug (kernel uevents), policy changes and SIGHUP.",
                "Reports to the log and the events file (JSON lines); 'chameleon status' asks the running agent.",
                "Stopping it leaves the machine as it is; 'chameleon rollback' is the way back."})
final class RunCommand implements Callable<Integer> {
    enum Mode { plan, apply }

    enum LogFormat { text, json }

    @Mixin
    HostOptions hostOptions;
    @Mixin
    PolicyOptions policyOptions;
    @Mixin
    StateOptions stateOptions;
    @Mixin
    HealthGateOptions healthGate;

    @Option(names = "--mode", description = "plan (default: report only, change nothing) or apply.")
    Mode mode;

    @Option(names = "--interval", paramLabel = "DURATION", description = "Time between passes: 60s (default), 5m, 1h, or ISO-8601 (PT1M).")
    String interval;

    @Option(names = "--splay", paramLabel = "DURATION", description = "Up to this much random extra wait per interval (default: a tenth of the interval).")
    String splay;

    @Option(names = "--debounce", paramLabel = "DURATION", description = "Events closer than this are one pass (default: 100ms).")
    String debounce;

    @Option(names = "--max-passes", paramLabel = "N", description = "Stop after N passes (default: run until stopped).")
    Long maxPasses;

    @Option(names = "--flap-limit", paramLabel = "N", description = "Put a setting back at most N times per --flap-window, then freeze it (default: 5).")
    Integer flapLimit;

    @Option(names = "--flap-window", paramLabel = "DURATION", description = "Window of --flap-limit (default: 1h).")
    String flapWindow;

    @Option(names = "--events-file", paramLabel = "FILE", description = "Append events as JSON lines here (default: STATE-DIR/events.jsonl).")
    Path eventsFile;

    @Option(names = "--socket", paramLabel = "FILE", description = "Control socket for 'chameleon status' (default: STATE-DIR/agent.sock).")
    Path socket;

    @Option(names = "--log-format", description = "text (default) or json (JSON lines).")
    LogFormat logFormat;

    @Option(names = "--no-uevents", description = "Do not listen for kernel uevents (never listened to with --root).")
    boolean noUevents;

    @Option(names = "--metrics", paramLabel = "HOST:PORT", description = {"Serve Prometheus metrics at http://HOST:PORT/metrics; "
            + "HOST a loopback address as a number (127.0.0.1, [::1]), port 0 picks a free one (the start event says which). "
            + "\"\" turns off metrics of --config. Default: off (metrics.enabled, metrics.listen of --config)."})
    String metrics;

    @Option(names = "--config", paramLabel = "FILE", description = {"Agent settings (YAML), as /etc/chameleon/agent.yaml "
            + "(docs/agent-config.md): mode, interval, splay, policies.{builtin,dirs}, stateDir, log.format, events.file, "
            + "antiFlap.{maxChanges,window}, cloudMetadata.enabled, sensors, healthGate.{command,url,timeout,settle}. "
            + "Options given on the command line win."})
    Path config;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        new Daemon(config(), out, this::reload, Cli::option).run();
        return ExitCode.OK;
    }

    /**
     * The configuration: {@code --config}'s file (read now), with the options given on top.
     *
     * @throws EngineException.BadInput the file or an option, named ({@code config} with the file's
     *                                  position, or the option's setting)
     */
    AgentConfig config() {
        AgentConfig.Builder b = AgentConfig.builder();
        if (config != null) {
            try {
                b.file(AgentConfigFile.read(config));
            } catch (AgentConfigFile.Invalid e) {
                throw new EngineException.BadInput("config", " " + e.getMessage());
            }
        }
        b.mode(mode == null ? null : mode.name()).interval(interval).splay(splay).debounce(debounce).maxPasses(maxPasses)
                .flapLimit(flapLimit).flapWindow(flapWindow).eventsFile(eventsFile).socket(socket)
                .logFormat(logFormat == null ? null : logFormat.name()).uevents(!noUevents).metrics(metrics);
        healthGate.configure(b);
        b.engine(e -> {
            hostOptions.configure(e);
            policyOptions.configure(e);
            stateOptions.configure(e);
        });
        return b.build();
    }

    /** SIGHUP: the same options over the file read again; an error is described as the command line names it. */
    private AgentConfig reload() {
        try {
            return config();
        } catch (EngineException.BadInput e) {
            throw new EngineException.BadInput(e.describe(Cli::option));
        }
    }
}
