package dev.chameleon.agent;

import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.agent.loop.MetricsListen;
import dev.chameleon.engine.EngineConfig;
import dev.chameleon.engine.EngineException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything the daemon runs with: the engine's configuration and the loop's own settings, as
 * {@code agent.yaml} (docs/agent-config.md, read by {@link AgentConfigFile}) and the command line
 * give them, the command line winning. Built with {@link #builder()}; a SIGHUP builds a new one
 * (and from it a new engine), and the running agent keeps the old one whole when that fails.
 *
 * @param engine     the engine's configuration (machine, sensors, policies, state folder)
 * @param apply      {@code mode: apply}: apply the plan; else report only
 * @param interval   between timed passes, ≥ 1 s
 * @param splay      random extra wait before a timed pass, 0 to {@code interval}
 * @param debounce   events closer than this are one pass, 0–10 s
 * @param maxPasses  stop after this many passes; 0: until stopped
 * @param flapLimit  a setting put back more than this many times per {@code flapWindow} is frozen
 * @param flapWindow the anti-flap window, &gt; 0
 * @param eventsFile the events file; null: {@code STATE/events.jsonl}
 * @param socket     the control socket; null: {@code STATE/agent.sock}
 * @param jsonLog    log lines as JSON
 * @param uevents    listen for kernel uevents (never with a root folder)
 * @param metrics    where Prometheus metrics are served; null: off
 * @param healthGate the health gate (off when it checks nothing)
 * @param configFile the file read, or null
 */
public record AgentConfig(EngineConfig engine, boolean apply, Duration interval, Duration splay, Duration debounce, long maxPasses,
                          int flapLimit, Duration flapWindow, Path eventsFile, Path socket, boolean jsonLog, boolean uevents,
                          InetSocketAddress metrics, HealthGate.Settings healthGate, Path configFile) {
    static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(60);
    static final Duration MAX_DEBOUNCE = Duration.ofSeconds(10);

    public AgentConfig {
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(healthGate, "healthGate");
    }

    /** {@code plan} or {@code apply}. */
    public String mode() {
        return apply ? "apply" : "plan";
    }

    public static Builder builder() {
        return new Builder();
    }

    private static final Pattern SHORT = Pattern.compile("(\\d+)(ms|s|m|h|d)");

    /** {@code 60s}, {@code 500ms}, {@code 5m}, {@code 1h}, {@code 2d}, or ISO-8601 ({@code PT1M}); empty when it is none of these. */
    public static Optional<Duration> duration(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("p")) {
                return Optional.of(Duration.parse(t.toUpperCase(Locale.ROOT)));
            }
            Matcher mm = SHORT.matcher(t);
            if (mm.matches()) {
                long n = Long.parseLong(mm.group(1));
                return Optional.of(switch (mm.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                });
            }
        } catch (RuntimeException e) {
            // below
        }
        return Optional.empty();
    }

    /**
     * Builds an {@link AgentConfig}: the file's values ({@link #file}), then the command line's
     * on top (each setter; null means "not given"). {@link #build()} checks what is used, naming a
     * value as its origin calls it: an engine setting ({@code interval}, {@code healthTimeout}; the
     * command line names them {@code --interval}, {@code --health-timeout}) or, for a value from
     * the file, {@code config} with the file's position. Every refusal is an
     * {@link EngineException.BadInput}.
     */
    public static final class Builder {
        private AgentConfigFile file;
        private String mode;
        private String interval;
        private String splay;
        private String debounce;
        private Long maxPasses;
        private Integer flapLimit;
        private String flapWindow;
        private Path eventsFile;
        private Path socket;
        private String logFormat;
        private boolean uevents = true;
        private String metrics;
        private String healthCommand;
        private String healthUrl;
        private String healthTimeout;
        private String healthSettle;
        private Consumer<EngineConfig.Builder> commandLine = b -> { };

        private Builder() {
        }

        /** The values of {@code agent.yaml}, below those the command line gives. */
        public Builder file(AgentConfigFile f) {
            file = f;
            return this;
        }

        /** {@code plan} or {@code apply}. */
        public Builder mode(String m) {
            if (m != null && !m.equals("plan") && !m.equals("apply")) {
                throw new EngineException.BadInput("mode", " " + m + ": is plan or apply");
            }
            mode = m;
            return this;
        }

        public Builder interval(String text) {
            interval = text;
            return this;
        }

        public Builder splay(String text) {
            splay = text;
            return this;
        }

        public Builder debounce(String text) {
            debounce = text;
            return this;
        }

        public Builder maxPasses(Long n) {
            maxPasses = n;
            return this;
        }

        public Builder flapLimit(Integer n) {
            flapLimit = n;
            return this;
        }

        public Builder flapWindow(String text) {
            flapWindow = text;
            return this;
        }

        public Builder eventsFile(Path f) {
            eventsFile = f;
            return this;
        }

        public Builder socket(Path f) {
            socket = f;
            return this;
        }

        /** {@code text} or {@code json}. */
        public Builder logFormat(String f) {
            logFormat = f;
            return this;
        }

        /** Listen for kernel uevents (default true; never with a root folder). */
        public Builder uevents(boolean on) {
            uevents = on;
            return this;
        }

        /** {@code HOST:PORT} on loopback; {@code ""}: off (over the file's {@code metrics}). */
        public Builder metrics(String listen) {
            metrics = listen;
            return this;
        }

        /** The gate's command, words split on blanks; {@code ""}: none (over the file's). */
        public Builder healthCommand(String words) {
            healthCommand = words;
            return this;
        }

        /** The gate's URL; {@code ""}: none (over the file's). */
        public Builder healthUrl(String url) {
            healthUrl = url;
            return this;
        }

        public Builder healthTimeout(String text) {
            healthTimeout = text;
            return this;
        }

        public Builder healthSettle(String text) {
            healthSettle = text;
            return this;
        }

        /** The command line's engine settings, applied over the file's ({@code stateDir}, policies, cloud metadata, sensors). */
        public Builder engine(Consumer<EngineConfig.Builder> fromCommandLine) {
            commandLine = Objects.requireNonNull(fromCommandLine);
            return this;
        }

        /**
         * The configuration.
         *
         * @throws EngineException.BadInput a value out of range or not a duration, naming its origin
         */
        public AgentConfig build() {
            AgentConfigFile f = file;
            EngineConfig.Builder e = EngineConfig.builder();
            if (f != null) {
                e.stateDir(f.stateDir);
                if (f.builtinPolicies != null && !f.builtinPolicies) {
                    e.builtinPolicies(false);
                }
                if (f.policyDirs != null) {
                    e.policies(f.policyDirs);
                }
                if (Boolean.TRUE.equals(f.cloudMetadata)) {
                    e.cloudMetadata(true);
                }
                e.cloudMetadataTimeout(f.cloudMetadataTimeout);
                f.sensors.forEach(e::sensor);
            }
            commandLine.accept(e);
            EngineConfig engine = e.build();

            String m = mode != null ? mode : f != null && f.mode != null ? f.mode : "plan";
            Origin iv = origin("interval", interval, f == null ? null : f.interval, "interval");
            Duration ivd = parse(iv, DEFAULT_INTERVAL);
            if (ivd.compareTo(Duration.ofSeconds(1)) < 0) {
                throw iv.invalid("must be at least 1s");
            }
            Origin sp = origin("splay", splay, f == null ? null : f.splay, "splay");
            Duration spd = parse(sp, ivd.dividedBy(10));
            if (spd.isNegative() || spd.compareTo(ivd) > 0) {
                throw sp.invalid("must be between 0s and the interval (" + ivd.toSeconds() + "s)");
            }
            Origin db = origin("debounce", debounce, f == null ? null : f.debounce, "debounce");
            Duration dbd = parse(db, Duration.ofMillis(100));
            if (dbd.isNegative() || dbd.compareTo(MAX_DEBOUNCE) > 0) {
                throw db.invalid("must be between 0s and 10s");
            }
            if (maxPasses != null && maxPasses < 1) {
                throw new EngineException.BadInput("maxPasses", " " + maxPasses + ": must be at least 1 (leave it out to run until stopped)");
            }
            Integer fl = flapLimit != null ? flapLimit : f == null ? null : f.flapLimit;
            if (fl != null && fl < 1) {
                throw origin("flapLimit", flapLimit == null ? null : String.valueOf(flapLimit), String.valueOf(fl), "antiFlap.maxChanges")
                        .invalid("must be a whole number of at least 1");
            }
            Origin fw = origin("flapWindow", flapWindow, f == null ? null : f.flapWindow, "antiFlap.window");
            Duration fwd = parse(fw, Duration.ofHours(1));
            if (fwd.isZero() || fwd.isNegative()) {
                throw fw.invalid("must be longer than 0s");
            }
            String format = logFormat != null ? logFormat : f != null && f.logFormat != null ? f.logFormat : "text";
            return new AgentConfig(engine, m.equals("apply"), ivd, spd, dbd, maxPasses == null ? 0 : maxPasses, fl == null ? 5 : fl, fwd,
                    eventsFile != null ? eventsFile : f == null ? null : f.eventsFile, socket != null ? socket : f == null ? null : f.socket,
                    format.equals("json"), uevents, metricsAddress(f), gate(f), f == null ? null : f.file());
        }

        /** Where a value came from: the command line ({@code flag} given) or the file ({@code fileValue} at {@code key}). */
        private Origin origin(String setting, String flag, String fileValue, String key) {
            return flag != null ? new Origin(setting, flag, null, key) : new Origin(setting, fileValue, file, key);
        }

        private static Duration parse(Origin o, Duration dflt) {
            if (o.text == null) {
                return dflt;
            }
            return duration(o.text).orElseThrow(() -> new EngineException.BadInput(o.setting, " " + o.text
                    + ": not a duration (say 60s, 500ms, 5m, 1h or PT1M)"));
        }

        private InetSocketAddress metricsAddress(AgentConfigFile f) {
            if (metrics == null) {
                return f != null && Boolean.TRUE.equals(f.metricsEnabled) ? f.metricsListen : null;
            }
            if (metrics.isBlank()) {
                return null;
            }
            try {
                return MetricsListen.parse(metrics);
            } catch (IllegalArgumentException e) {
                throw new EngineException.BadInput("metrics", " " + e.getMessage());
            }
        }

        /** The gate: the file's settings with the flags given on top; a bad flag is bad input naming it. */
        private HealthGate.Settings gate(AgentConfigFile f) {
            HealthGate.Settings fromFile = f != null && f.healthGate != null ? f.healthGate : HealthGate.Settings.off();
            List<String> argv = fromFile.command();
            if (healthCommand != null) {
                argv = healthCommand.isBlank() ? List.of() : Arrays.asList(healthCommand.strip().split("\\s+"));
                for (int i = 0; i < argv.size(); i++) {
                    Optional<String> p = HealthGate.wordProblem(i, argv.get(i));
                    if (p.isPresent()) {
                        throw new EngineException.BadInput("healthCommand", " " + healthCommand + ": word " + (i + 1) + " " + p.get());
                    }
                }
            }
            URI u = fromFile.url();
            if (healthUrl != null) {
                u = null;
                if (!healthUrl.isBlank()) {
                    Optional<String> p = HealthGate.urlProblem(healthUrl.strip());
                    if (p.isPresent()) {
                        throw new EngineException.BadInput("healthUrl", " " + p.get());
                    }
                    u = URI.create(healthUrl.strip());
                }
            }
            Duration t = healthTimeout == null ? fromFile.timeout() : parse(new Origin("healthTimeout", healthTimeout, null, null), null);
            Optional<String> tp = HealthGate.timeoutProblem(t);
            if (tp.isPresent()) {
                throw new EngineException.BadInput("healthTimeout", " " + healthTimeout + ": " + tp.get());
            }
            Duration s = healthSettle == null ? fromFile.settle() : parse(new Origin("healthSettle", healthSettle, null, null), null);
            Optional<String> sp = HealthGate.settleProblem(s);
            if (sp.isPresent()) {
                throw new EngineException.BadInput("healthSettle", " " + healthSettle + ": " + sp.get());
            }
            return new HealthGate.Settings(argv, u, t, s);
        }
    }

    /** A value and where it came from, to say where an out-of-range value is. */
    private record Origin(String setting, String text, AgentConfigFile file, String key) {
        /** From the command line: {@code SETTING VALUE: WHY}; from the file: {@code config FILE:LINE:COLUMN: error: KEY WHY, found 'VALUE'}. */
        EngineException.BadInput invalid(String why) {
            if (file == null || !file.has(key)) {
                return new EngineException.BadInput(setting, " " + text + ": " + why);
            }
            return new EngineException.BadInput("config", " " + file.error(key, why + ", found '" + text + "'"));
        }
    }
}
