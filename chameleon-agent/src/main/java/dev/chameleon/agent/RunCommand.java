package dev.chameleon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chameleon.engine.Engine;
import dev.chameleon.model.event.Event;
import dev.chameleon.agent.loop.ControlSocket;
import dev.chameleon.agent.loop.EventLog;
import dev.chameleon.agent.loop.MetricsListen;
import dev.chameleon.agent.loop.MetricsServer;
import dev.chameleon.agent.loop.Triggers;
import dev.chameleon.agent.loop.YamlTree;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.random.RandomGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code chameleon run}: the agent loop. */
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

    @Mixin
    MetricsOptions metricsOptions;

    @Option(names = "--config", paramLabel = "FILE", description = {"Agent settings (YAML), as /etc/chameleon/agent.yaml "
            + "(docs/agent-config.md): mode, interval, splay, policies.{builtin,dirs}, stateDir, log.format, events.file, "
            + "antiFlap.{maxChanges,window}, cloudMetadata.enabled, healthGate.{command,url,timeout,settle}. "
            + "Options given on the command line win."})
    Path config;

    @Spec
    CommandSpec spec;

    /** The options as the command line gave them, before {@code --config} filled the gaps (for reloads). */
    private Map<OptionSpec, Object> commandLine;
    /** The log format the agent started with (a reload's new one takes effect at restart). */
    private LogFormat startLogFormat;
    /** The --config file last read, with positions (null without --config). */
    private YamlTree.Doc doc;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        commandLine = optionValues();
        readConfig();
        dev.chameleon.agent.loop.HealthGate.Settings gate = healthGate.settings();
        Engine engine = hostOptions.engine(policyOptions, stateOptions);
        Mode m = mode == null ? Mode.plan : mode;
        if (m == Mode.apply) {
            engine.requireRoot();
        }
        Agent.Settings settings = settings(m);
        java.net.InetSocketAddress metricsAt = metricsOptions.address();
        Path state = engine.stateFolder().path();
        Path sock = socket != null ? socket : state.resolve("agent.sock");
        if (sock.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 107) {
            throw new UserError(ExitCode.BAD_INPUT, "--socket " + sock + ": too long for a Unix socket (at most 107 bytes)");
        }
        try (AutoCloseable agentLock = engine.stateFolder().agentLock()) {
            try {
                ControlSocket.refuseIfAnswered(sock); // before recovery or anything else
            } catch (ControlSocket.InUse e) {
                throw new UserError(ExitCode.REFUSED, e.getMessage());
            } catch (ControlSocket.NotASocket e) {
                throw new UserError(ExitCode.BAD_INPUT, "--socket: " + e.getMessage());
            }
            return run(out, engine, m, settings, metricsAt, state, sock, gate);
        }
    }

    /** The agent's life, with the state folder's lock held. */
    private int run(PrintWriter out, Engine engine, Mode m, Agent.Settings settings, java.net.InetSocketAddress metricsAt, Path state,
                    Path sock, dev.chameleon.agent.loop.HealthGate.Settings gate) throws Exception {
        Clock clock = Clock.systemUTC();
        startLogFormat = logFormat;
        EventLog events = new EventLog(eventsFile != null ? eventsFile : state.resolve("events.jsonl"), out,
                logFormat == LogFormat.json, clock);
        // compiled once here (bad policies fail the start) and handed to the first pass; reloads compile again
        java.util.concurrent.atomic.AtomicReference<dev.chameleon.policy.PolicySet> firstLoad =
                new java.util.concurrent.atomic.AtomicReference<>(engine.loadPolicies());
        if (m == Mode.apply) {
            try (Engine.Changes changes = engine.changes()) {
                changes.recover().lines().forEach(out::println);
            }
        }
        dev.chameleon.sensors.platform.MetadataProbe.Options metadata = engine.config().metadata();
        Agent agent = new Agent(engine, e -> {
            dev.chameleon.policy.PolicySet first = firstLoad.getAndSet(null);
            return first != null ? first : e.loadPolicies();
        }, settings, events, clock, RandomGenerator.getDefault());
        // the gate checks the operator's service on this machine, also with --root (a tree has no services)
        agent.healthGate(new dev.chameleon.agent.loop.HealthGate(gate, new dev.chameleon.host.HostCommandRunner()));
        Path eventsAt = events.file();
        agent.onReconfigure(() -> reconfigure(out, state, sock, eventsAt, metricsAt, metadata));
        try (Triggers triggers = new Triggers(agent.queue(), msg -> events.emit(new Event.Notice(msg)));
             ControlSocket control = ControlSocket.open(sock, agent::status);
             MetricsServer served = MetricsOptions.serve(metricsAt, agent.metrics())) {
            // a --root tree is not this kernel: its hotplug is not ours to hear
            if (!noUevents && engine.host().root().isLive()) {
                agent.ueventSource(triggers.uevents(true));
            }
            triggers.policyFolders(engine.policyFolders());
            triggers.sighup();
            Thread main = Thread.currentThread();
            Thread hook = new Thread(() -> {
                events.emit(new Event.Stop("stopping; the machine is left as it is"));
                main.interrupt();
            });
            Runtime.getRuntime().addShutdownHook(hook);
            events.emit(new Event.Start(m.name(), settings.interval().toString(), state.toString(), sock.toString(),
                    ProcessHandle.current().pid(), served == null ? null : "http://" + MetricsListen.format(served.address()) + "/metrics"));
            try {
                agent.loop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            try {
                if (Runtime.getRuntime().removeShutdownHook(hook)) {
                    // the end of --max-passes: the same stop event a SIGTERM writes
                    events.emit(new Event.Stop("stopping; the machine is left as it is"));
                }
            } catch (IllegalStateException e) {
                // shutting down already: the hook writes it
            }
        }
        return ExitCode.OK;
    }

    private Agent.Settings settings(Mode m) {
        Duration iv = duration("--interval", interval, Duration.ofSeconds(60));
        if (iv.compareTo(Duration.ofSeconds(1)) < 0) {
            invalid("--interval", "interval", interval, "must be at least 1s");
        }
        Duration sp = duration("--splay", splay, iv.dividedBy(10));
        if (sp.isNegative() || sp.compareTo(iv) > 0) {
            invalid("--splay", "splay", splay, "must be between 0s and the interval (" + iv.toSeconds() + "s)");
        }
        Duration db = duration("--debounce", debounce, Duration.ofMillis(100));
        if (db.isNegative() || db.compareTo(Duration.ofSeconds(10)) > 0) {
            invalid("--debounce", "debounce", debounce, "must be between 0s and 10s");
        }
        if (maxPasses != null && maxPasses < 1) {
            throw new UserError(ExitCode.BAD_INPUT, "--max-passes " + maxPasses + ": must be at least 1 (leave it out to run until stopped)");
        }
        if (flapLimit != null && flapLimit < 1) {
            invalid("--flap-limit", "antiFlap.maxChanges", String.valueOf(flapLimit), "must be a whole number of at least 1");
        }
        Duration fw = duration("--flap-window", flapWindow, Duration.ofHours(1));
        if (fw.isZero() || fw.isNegative()) {
            invalid("--flap-window", "antiFlap.window", flapWindow, "must be longer than 0s");
        }
        return new Agent.Settings(m == Mode.apply, iv, sp, db, maxPasses == null ? 0 : maxPasses,
                flapLimit == null ? 5 : flapLimit, fw);
    }

    /** An out-of-range value: named as the command line gave it, else at its place in --config. */
    private void invalid(String option, String configKey, String value, String why) {
        boolean fromCommandLine = commandLine != null && commandLine.entrySet().stream()
                .anyMatch(e -> e.getKey().longestName().equals(option) && e.getValue() != null);
        if (fromCommandLine || doc == null || !doc.at().containsKey(configKey)) {
            throw new UserError(ExitCode.BAD_INPUT, option + " " + value + ": " + why);
        }
        bad(configKey, why + ", found '" + value + "'");
    }

    /**
     * SIGHUP: {@code --config} read again over the command line's options (which still win).
     * Mode, interval, splay, anti-flap, health gate, policy folders and the built-in pack take
     * effect now; the state folder, socket and events file only at a restart (a notice says so).
     * A file that does not read, or asks for apply without root, throws {@link UserError} and
     * leaves every option as it was.
     */
    private Agent.Reconfiguration reconfigure(PrintWriter out, Path state, Path sock, Path eventsAt,
                                              java.net.InetSocketAddress metricsAt,
                                              dev.chameleon.sensors.platform.MetadataProbe.Options metadataAt) {
        Map<OptionSpec, Object> running = optionValues();
        try {
            restore(commandLine);
            healthGate.forgetConfig();
            metricsOptions.forgetConfig();
            readConfig();
            Engine next = hostOptions.engine(policyOptions, stateOptions);
            Mode m = mode == null ? Mode.plan : mode;
            if (m == Mode.apply) {
                next.requireRoot();
            }
            Agent.Settings s = settings(m);
            dev.chameleon.agent.loop.HealthGate g = new dev.chameleon.agent.loop.HealthGate(healthGate.settings(),
                    new dev.chameleon.host.HostCommandRunner());
            next.loadPolicies();   // fails here, before anything changes, when the new folders do not compile
            List<String> later = new ArrayList<>();
            if (!next.stateFolder().path().equals(state)) {
                later.add("stateDir");
            }
            if (!(socket != null ? socket : state.resolve("agent.sock")).equals(sock)) {
                later.add("socket");
            }
            if (eventsFile != null && !eventsFile.equals(eventsAt)) {
                later.add("events.file");
            }
            if (!java.util.Objects.equals(metricsOptions.address(), metricsAt)) {
                later.add("metrics");
            }
            if (!next.config().metadata().equals(metadataAt)) {
                later.add("cloudMetadata");
            }
            if (logFormat != startLogFormat) {
                later.add("log.format");
            }
            if (!later.isEmpty()) {
                out.println("chameleon: notice: " + String.join(", ", later) + " changed in " + config
                        + "; that takes effect when the agent restarts");
            }
            if (m == Mode.apply) {
                // switching to apply: finish or undo what an earlier run left unfinished, as a start in apply mode does
                try (Engine.Changes changes = next.changes()) {
                    changes.recover().lines().forEach(out::println);
                }
            }
            return new Agent.Reconfiguration(s, g, next);
        } catch (UserError | dev.chameleon.engine.EngineException e) {
            restore(running);
            throw e;
        } catch (Exception e) {
            restore(running);
            throw new UserError(ExitCode.FAILED, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    /** Every option's current value (lists copied), mixins included. */
    private Map<OptionSpec, Object> optionValues() {
        Map<OptionSpec, Object> m = new java.util.LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            Object v = o.getValue();
            m.put(o, v instanceof List<?> l ? new ArrayList<>(l) : v);
        }
        return m;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void restore(Map<OptionSpec, Object> values) {
        values.forEach((o, v) -> {
            if (v instanceof List<?> l && o.getValue() instanceof List current) {
                current.clear();   // the field keeps its list object: other holders see the same list
                current.addAll(l);
            } else {
                o.setValue(v);
            }
        });
    }

    /** 60s, 500ms, 5m, 1h, 2d, or ISO-8601. */
    static Duration duration(String option, String text, Duration dflt) {
        if (text == null) {
            return dflt;
        }
        String t = text.strip().toLowerCase(Locale.ROOT);
        try {
            if (t.startsWith("p")) {
                return Duration.parse(t.toUpperCase(Locale.ROOT));
            }
            var mm = java.util.regex.Pattern.compile("(\\d+)(ms|s|m|h|d)").matcher(t);
            if (mm.matches()) {
                long n = Long.parseLong(mm.group(1));
                return switch (mm.group(2)) {
                    case "ms" -> Duration.ofMillis(n);
                    case "s" -> Duration.ofSeconds(n);
                    case "m" -> Duration.ofMinutes(n);
                    case "h" -> Duration.ofHours(n);
                    default -> Duration.ofDays(n);
                };
            }
        } catch (RuntimeException e) {
            // below
        }
        throw new UserError(ExitCode.BAD_INPUT, option + " " + text + ": not a duration (say 60s, 500ms, 5m, 1h or PT1M)");
    }

    /**
     * Reads {@code --config FILE} in the format of docs/agent-config.md (the file the .deb installs
     * as /etc/chameleon/agent.yaml). Options given on the command line win. Unknown keys, wrong
     * types and out-of-range values are errors naming the key, so a setting is never silently
     * ignored; {@code healthGate} and {@code metrics} errors say file:line:column.
     */
    private void readConfig() {
        if (config == null) {
            return;
        }
        try {
            doc = YamlTree.read(config);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new UserError(ExitCode.BAD_INPUT, "--config " + config + ": no such file");
        } catch (IOException e) {
            throw new UserError(ExitCode.BAD_INPUT, "--config " + config + ": cannot read: "
                    + (Files.isDirectory(config) ? "a folder, not a file" : e.getMessage()));
        } catch (IllegalArgumentException e) {
            throw new UserError(ExitCode.BAD_INPUT, "--config " + e.getMessage());
        }
        JsonNode n = doc.root();
        if (n == null || n.isMissingNode() || n.isNull()) {
            return;
        }
        object(n, "", List.of("version", "mode", "interval", "splay", "debounce", "policies", "stateDir", "log", "events", "socket",
                "metrics", "healthGate", "antiFlap", "cloudMetadata"));
        rejectNulls(n, "");
        if (n.has("version") && !(n.get("version").isIntegralNumber() && n.get("version").asInt() == 1)) {
            bad("version", "must be 1, found " + n.get("version"));
        }
        String fileMode = oneOf(n, "mode", "mode", List.of("plan", "apply"));
        if (mode == null && fileMode != null) {
            mode = Mode.valueOf(fileMode);
        }
        String fileInterval = fileDuration(n, "interval", "interval");
        String fileSplay = fileDuration(n, "splay", "splay");
        String fileDebounce = fileDuration(n, "debounce", "debounce");
        // the file's own values are checked whatever the command line says (settings() checks what is used)
        Duration fi = fileInterval == null ? null : duration("interval", fileInterval, null);
        if (fi != null && fi.compareTo(Duration.ofSeconds(1)) < 0) {
            bad("interval", "must be at least 1s, found '" + fileInterval + "'");
        }
        if (fileSplay != null) {
            Duration fs = duration("splay", fileSplay, null);
            Duration ref = fi != null ? fi : Duration.ofSeconds(60);
            if (fs.isNegative() || fs.compareTo(ref) > 0) {
                bad("splay", "must be between 0s and the interval (" + ref.toSeconds() + "s), found '" + fileSplay + "'");
            }
        }
        if (fileDebounce != null) {
            Duration fd = duration("debounce", fileDebounce, null);
            if (fd.isNegative() || fd.compareTo(Duration.ofSeconds(10)) > 0) {
                bad("debounce", "must be between 0s and 10s, found '" + fileDebounce + "'");
            }
        }
        interval = interval != null ? interval : fileInterval;
        splay = splay != null ? splay : fileSplay;
        debounce = debounce != null ? debounce : fileDebounce;
        Path fileState = absolutePath(n, "stateDir", "stateDir");
        if (stateOptions.stateDir == null && fileState != null) {
            stateOptions.stateDir = fileState;
        }
        Path fileSocket = absolutePath(n, "socket", "socket");
        if (socket == null && fileSocket != null) {
            socket = fileSocket;
        }
        JsonNode pol = n.path("policies");
        if (!pol.isMissingNode()) {
            object(pol, "policies.", List.of("builtin", "dirs"));
            if (pol.has("builtin")) {
                policyOptions.noDefaults = policyOptions.noDefaults || !bool(pol, "policies.builtin");
            }
            if (pol.has("dirs")) {
                if (!pol.get("dirs").isArray()) {
                    bad("policies.dirs", "must be a list of folders or files");
                }
                boolean fromFile = policyOptions.policies.isEmpty(); // --policies wins
                // the folders the .deb creates may be absent in a trimmed image: only existing ones load
                for (int i = 0; i < pol.get("dirs").size(); i++) {
                    Path dir = absolutePath(pol.get("dirs").get(i), "policies.dirs." + i);
                    if (fromFile && Files.exists(dir)) {
                        policyOptions.policies.add(dir);
                    }
                }
            }
        }
        JsonNode log = n.path("log");
        if (!log.isMissingNode()) {
            object(log, "log.", List.of("format", "level"));
            String format = oneOf(log, "format", "log.format", List.of("text", "json"));
            if (logFormat == null && format != null) {
                logFormat = LogFormat.valueOf(format);
            }
            oneOf(log, "level", "log.level", List.of("error", "warn", "info", "debug"));
        }
        JsonNode ev = n.path("events");
        if (!ev.isMissingNode()) {
            object(ev, "events.", List.of("file"));
            boolean none = ev.hasNonNull("file") && ev.get("file").isTextual() && ev.get("file").asText().isEmpty();
            Path fileEvents = none ? null : absolutePath(ev, "file", "events.file");
            if (eventsFile == null && fileEvents != null) {
                eventsFile = fileEvents;
            }
        }
        JsonNode metrics = n.path("metrics");
        if (!metrics.isMissingNode()) {
            metricsOptions.readConfig(config);
        }
        if (n.has("healthGate")) {
            healthGate.readConfig(config);
        }
        JsonNode flap = n.path("antiFlap");
        if (!flap.isMissingNode()) {
            object(flap, "antiFlap.", List.of("maxChanges", "window"));
            if (flap.hasNonNull("maxChanges")) {
                JsonNode v = flap.get("maxChanges");
                if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
                    bad("antiFlap.maxChanges", "must be a whole number of at least 1, found " + v);
                }
                flapLimit = flapLimit != null ? flapLimit : v.asInt();
            }
            String fileWindow = fileDuration(flap, "window", "antiFlap.window");
            if (fileWindow != null && (duration("antiFlap.window", fileWindow, null).isNegative() || duration("antiFlap.window", fileWindow, null).isZero())) {
                bad("antiFlap.window", "must be longer than 0s, found '" + fileWindow + "'");
            }
            flapWindow = flapWindow != null ? flapWindow : fileWindow;
        }
        JsonNode cloud = n.path("cloudMetadata");
        if (!cloud.isMissingNode()) {
            object(cloud, "cloudMetadata.", List.of("enabled", "timeout"));
            if (cloud.has("enabled") && bool(cloud, "cloudMetadata.enabled")) {
                hostOptions.cloudMetadata = true;
            }
            String timeout = fileDuration(cloud, "timeout", "cloudMetadata.timeout");
            if (timeout != null) {
                Duration t = duration("cloudMetadata.timeout", timeout, null);
                if (t.isZero() || t.isNegative() || t.compareTo(Duration.ofSeconds(30)) > 0) {
                    bad("cloudMetadata.timeout", "must be longer than 0s and at most 30s, found '" + timeout + "'");
                }
                hostOptions.cloudMetadataTimeout = t;
            }
        }
    }

    private void object(JsonNode n, String prefix, List<String> known) {
        if (!n.isObject()) {
            bad(prefix.isEmpty() ? "the file" : prefix.substring(0, prefix.length() - 1), "must be a mapping");
        }
        n.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                throw new UserError(ExitCode.BAD_INPUT, "--config " + doc.errorAtKey(prefix + f, "unknown setting (known here: "
                        + String.join(", ", known) + ")"));
            }
        });
    }

    private boolean bool(JsonNode n, String key) {
        String leaf = key.substring(key.lastIndexOf('.') + 1);
        if (!n.get(leaf).isBoolean()) {
            bad(key, "must be true or false, found " + n.get(leaf));
        }
        return n.get(leaf).asBoolean();
    }

    private void bad(String key, String why) {
        throw new UserError(ExitCode.BAD_INPUT, "--config " + (doc == null ? config + ": error: " + key + " " + why : doc.error(key, why)));
    }

    /** A key written with no value ({@code mode:} or {@code mode: ~}) is an error: leaving the key out is how to take the default. */
    private void rejectNulls(JsonNode n, String path) {
        if (n.isNull()) {
            bad(path, "has no value; leave the key out to take its default");
        }
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> rejectNulls(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey()));
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                rejectNulls(n.get(i), path + "." + i);
            }
        }
    }

    /** A string value that must be one of {@code allowed}, exactly (no case folding: {@code APPLY} is a typo, not apply). */
    private String oneOf(JsonNode n, String leaf, String key, List<String> allowed) {
        if (!n.hasNonNull(leaf)) {
            return null;
        }
        JsonNode v = n.get(leaf);
        if (!v.isTextual() || !allowed.contains(v.asText())) {
            bad(key, "is " + String.join(" or ", allowed) + ", found '" + v.asText() + "'");
        }
        return v.asText();
    }

    /** A duration in the file, checked now so a typo is reported at its place; null when absent. */
    private String fileDuration(JsonNode n, String leaf, String key) {
        return n.hasNonNull(leaf) ? checkDuration(n, leaf, key) : null;
    }

    /** Checks the duration at {@code leaf}; returns it, or null when absent. */
    private String checkDuration(JsonNode n, String leaf, String key) {
        if (!n.hasNonNull(leaf)) {
            return null;
        }
        JsonNode v = n.get(leaf);
        String t = v.asText();
        if (!v.isTextual()) {
            bad(key, "must be a duration with its unit (60s, 500ms, 5m, 1h), found " + t + ": a bare number would be a guess");
        }
        try {
            duration(key, t, null);
        } catch (UserError e) {
            bad(key, "is not a duration (say 60s, 500ms, 5m or 1h), found '" + t + "'");
        }
        return t;
    }

    /** An absolute path in the file; relative paths are errors (under systemd they would be relative to /). */
    private Path absolutePath(JsonNode n, String leaf, String key) {
        return n.hasNonNull(leaf) ? absolutePath(n.get(leaf), key) : null;
    }

    private Path absolutePath(JsonNode v, String key) {
        if (!v.isTextual() || !v.asText().startsWith("/")) {
            bad(key, "must be an absolute path, found '" + v.asText() + "'");
        }
        return Path.of(v.asText());
    }
}
