package dev.chameleon.agent;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.agent.loop.MetricsListen;
import dev.chameleon.agent.loop.YamlTree;
import dev.chameleon.sensors.Sensors;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The one reader of {@code agent.yaml} (docs/agent-config.md): the file is parsed once
 * ({@link YamlTree}, every value with its position) and every section checked from that tree,
 * each problem an {@link Invalid} whose message is {@code FILE:LINE:COLUMN: error: KEY WHY} with
 * the line and a caret. A key the file does not have is null here (its default is the
 * {@link AgentConfig}'s). Values are checked on their own even when a command-line flag will
 * override them, so a typo shows at the next start.
 */
public final class AgentConfigFile {
    /** A problem with the file: the message is positioned ({@code FILE:LINE:COLUMN: error: ...}), or names the file. */
    public static final class Invalid extends IllegalArgumentException {
        public Invalid(String message) {
            super(message);
        }
    }

    private static final List<String> TOP = List.of("version", "mode", "interval", "splay", "debounce", "policies", "stateDir", "log",
            "events", "socket", "metrics", "healthGate", "antiFlap", "cloudMetadata", "sensors", "server");
    private static final List<String> GATE = List.of("command", "url", "timeout", "settle");
    private static final List<String> METRICS = List.of("enabled", "listen");

    private final Path file;
    private YamlTree.Doc doc;

    /** {@code plan} or {@code apply}. */
    String mode;
    /** Durations as written ({@code 60s}), checked. */
    String interval;
    String splay;
    String debounce;
    Path stateDir;
    Path socket;
    /** {@code policies.builtin}. */
    Boolean builtinPolicies;
    /** {@code policies.dirs} that exist (the ones the .deb creates may be absent in a trimmed image); null when not given. */
    List<Path> policyDirs;
    /** {@code text} or {@code json}. */
    String logFormat;
    /** {@code events.file}; null also for {@code ""} (the default file). */
    Path eventsFile;
    /** {@code metrics.enabled}, {@code metrics.listen}; null when the file has no {@code metrics}. */
    Boolean metricsEnabled;
    InetSocketAddress metricsListen;
    /** The gate; null when the file has no {@code healthGate}. */
    HealthGate.Settings healthGate;
    Integer flapLimit;
    String flapWindow;
    Boolean cloudMetadata;
    Duration cloudMetadataTimeout;
    /** {@code server.url}; null when not given. */
    URI server;
    /** {@code sensors}: name → on; empty when not given. */
    final Map<String, Boolean> sensors = new LinkedHashMap<>();

    private AgentConfigFile(Path file) {
        this.file = file;
    }

    /** The file. */
    public Path file() {
        return file;
    }

    /**
     * Reads and checks {@code file}.
     *
     * @throws Invalid no such file, not readable, not YAML, or any value of the wrong type or out
     *                 of range: the message says where and why
     */
    public static AgentConfigFile read(Path file) {
        AgentConfigFile f = new AgentConfigFile(file);
        try {
            f.doc = YamlTree.read(file);
        } catch (NoSuchFileException e) {
            throw new Invalid(file + ": no such file");
        } catch (IOException e) {
            throw new Invalid(file + ": cannot read: " + (Files.isDirectory(file) ? "a folder, not a file" : e.getMessage()));
        } catch (IllegalArgumentException e) {
            throw new Invalid(e.getMessage());
        }
        f.parse();
        return f;
    }

    /** {@code FILE:LINE:COLUMN: error: KEY WHY}, positioned at the value of {@code key} ({@code interval}, {@code policies.dirs.1}). */
    public String error(String key, String why) {
        return doc.error(key, why);
    }

    /** True when the file gives {@code key}. */
    public boolean has(String key) {
        return doc.at().containsKey(key);
    }

    private void parse() {
        JsonNode n = doc.root();
        if (n == null || n.isMissingNode() || n.isNull()) {
            return;
        }
        object(n, "", TOP);
        rejectNulls(n, "");
        if (n.has("version") && !(n.get("version").isIntegralNumber() && n.get("version").asInt() == 1)) {
            bad("version", "must be 1, found " + n.get("version"));
        }
        mode = oneOf(n, "mode", "mode", List.of("plan", "apply"));
        interval = fileDuration(n, "interval", "interval");
        splay = fileDuration(n, "splay", "splay");
        debounce = fileDuration(n, "debounce", "debounce");
        // the file's own values are checked whatever the command line says (AgentConfig checks what is used)
        Duration fi = interval == null ? null : AgentConfig.duration(interval).orElseThrow();
        if (fi != null && fi.compareTo(Duration.ofSeconds(1)) < 0) {
            bad("interval", "must be at least 1s, found '" + interval + "'");
        }
        if (splay != null) {
            Duration fs = AgentConfig.duration(splay).orElseThrow();
            Duration ref = fi != null ? fi : AgentConfig.DEFAULT_INTERVAL;
            if (fs.isNegative() || fs.compareTo(ref) > 0) {
                bad("splay", "must be between 0s and the interval (" + ref.toSeconds() + "s), found '" + splay + "'");
            }
        }
        if (debounce != null) {
            Duration fd = AgentConfig.duration(debounce).orElseThrow();
            if (fd.isNegative() || fd.compareTo(AgentConfig.MAX_DEBOUNCE) > 0) {
                bad("debounce", "must be between 0s and 10s, found '" + debounce + "'");
            }
        }
        stateDir = absolutePath(n, "stateDir", "stateDir");
        socket = absolutePath(n, "socket", "socket");
        JsonNode pol = n.path("policies");
        if (!pol.isMissingNode()) {
            object(pol, "policies.", List.of("builtin", "dirs"));
            if (pol.has("builtin")) {
                builtinPolicies = bool(pol, "policies.builtin");
            }
            if (pol.has("dirs")) {
                if (!pol.get("dirs").isArray()) {
                    bad("policies.dirs", "must be a list of folders or files");
                }
                policyDirs = new ArrayList<>();
                for (int i = 0; i < pol.get("dirs").size(); i++) {
                    Path dir = absolutePath(pol.get("dirs").get(i), "policies.dirs." + i);
                    if (Files.exists(dir)) {
                        policyDirs.add(dir);
                    }
                }
            }
        }
        JsonNode log = n.path("log");
        if (!log.isMissingNode()) {
            object(log, "log.", List.of("format", "level"));
            logFormat = oneOf(log, "format", "log.format", List.of("text", "json"));
            oneOf(log, "level", "log.level", List.of("error", "warn", "info", "debug"));
        }
        JsonNode ev = n.path("events");
        if (!ev.isMissingNode()) {
            object(ev, "events.", List.of("file"));
            boolean none = ev.hasNonNull("file") && ev.get("file").isTextual() && ev.get("file").asText().isEmpty();
            eventsFile = none ? null : absolutePath(ev, "file", "events.file");
        }
        if (n.has("metrics")) {
            metrics(n.get("metrics"));
        }
        if (n.has("healthGate")) {
            healthGate = gate(n.get("healthGate"));
        }
        JsonNode flap = n.path("antiFlap");
        if (!flap.isMissingNode()) {
            object(flap, "antiFlap.", List.of("maxChanges", "window"));
            if (flap.hasNonNull("maxChanges")) {
                JsonNode v = flap.get("maxChanges");
                if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 1) {
                    bad("antiFlap.maxChanges", "must be a whole number of at least 1, found " + v);
                }
                flapLimit = v.asInt();
            }
            flapWindow = fileDuration(flap, "window", "antiFlap.window");
            if (flapWindow != null) {
                Duration w = AgentConfig.duration(flapWindow).orElseThrow();
                if (w.isNegative() || w.isZero()) {
                    bad("antiFlap.window", "must be longer than 0s, found '" + flapWindow + "'");
                }
            }
        }
        JsonNode cloud = n.path("cloudMetadata");
        if (!cloud.isMissingNode()) {
            object(cloud, "cloudMetadata.", List.of("enabled", "timeout"));
            if (cloud.has("enabled")) {
                cloudMetadata = bool(cloud, "cloudMetadata.enabled");
            }
            String timeout = fileDuration(cloud, "timeout", "cloudMetadata.timeout");
            if (timeout != null) {
                Duration t = AgentConfig.duration(timeout).orElseThrow();
                if (t.isZero() || t.isNegative() || t.compareTo(Duration.ofSeconds(30)) > 0) {
                    bad("cloudMetadata.timeout", "must be longer than 0s and at most 30s, found '" + timeout + "'");
                }
                cloudMetadataTimeout = t;
            }
        }
        JsonNode srv = n.path("server");
        if (!srv.isMissingNode()) {
            object(srv, "server.", List.of("url"));
            if (srv.hasNonNull("url")) {
                JsonNode v = srv.get("url");
                if (!v.isTextual()) {
                    bad("server.url", "must be a URL (https://HOST:PORT), found " + v);
                }
                try {
                    server = dev.chameleon.agent.fleet.ServerClient.checkUrl(v.asText());
                } catch (IllegalArgumentException e) {
                    bad("server.url", e.getMessage());
                }
            }
        }
        JsonNode sens = n.path("sensors");
        if (!sens.isMissingNode()) {
            object(sens, "sensors.", Sensors.NAMES);
            sens.fieldNames().forEachRemaining(s -> sensors.put(s, bool(sens, "sensors." + s)));
        }
    }

    // --- metrics: enabled, listen ---

    private void metrics(JsonNode m) {
        if (!m.isObject()) {
            throw at("metrics", "metrics must be a mapping (enabled, listen)");
        }
        boolean enabled = false;
        InetSocketAddress listen = MetricsListen.parse(MetricsListen.DEFAULT);
        for (var it = m.fields(); it.hasNext(); ) {
            var e = it.next();
            String key = "metrics." + e.getKey();
            JsonNode v = e.getValue();
            switch (e.getKey()) {
                case "enabled" -> {
                    if (!v.isBoolean()) {
                        throw at(key, key + " must be true or false, found " + found(v));
                    }
                    enabled = v.asBoolean();
                }
                case "listen" -> {
                    if (!v.isTextual()) {
                        throw at(key, key + " must be HOST:PORT on loopback, such as " + MetricsListen.DEFAULT + ", found " + found(v)
                                + (v.isArray() ? " (quote an IPv6 address: \"[::1]:9465\")" : ""));
                    }
                    try {
                        listen = MetricsListen.parse(v.asText());
                    } catch (IllegalArgumentException ex) {
                        throw at(key, key + " " + ex.getMessage());
                    }
                }
                default -> throw atKey(key, key + " unknown setting (known here: " + String.join(", ", METRICS) + ")");
            }
        }
        metricsEnabled = enabled;
        metricsListen = listen;
    }

    // --- healthGate: command, url, timeout, settle ---

    private HealthGate.Settings gate(JsonNode g) {
        if (!g.isObject()) {
            throw at("healthGate", "healthGate must be a mapping (command, url, timeout, settle)");
        }
        List<String> command = List.of();
        URI url = null;
        Duration timeout = HealthGate.Settings.DEFAULT_TIMEOUT;
        Duration settle = HealthGate.Settings.DEFAULT_SETTLE;
        for (var it = g.fields(); it.hasNext(); ) {
            var e = it.next();
            switch (e.getKey()) {
                case "command" -> command = command(e.getValue());
                case "url" -> url = url(e.getValue());
                case "timeout" -> timeout = gateDuration(e.getValue(), "healthGate.timeout", dev.chameleon.policy.Durations.CHECK_TIMEOUT);
                case "settle" -> settle = gateDuration(e.getValue(), "healthGate.settle", dev.chameleon.policy.Durations.SETTLE);
                default -> throw atKey("healthGate." + e.getKey(), "healthGate." + e.getKey() + " unknown setting (known here: "
                        + String.join(", ", GATE) + ")");
            }
        }
        return new HealthGate.Settings(command, url, timeout, settle);
    }

    private List<String> command(JsonNode v) {
        if (!v.isArray()) {
            throw at("healthGate.command", "healthGate.command must be a list of strings, the program first "
                    + "(it runs without a shell: [/usr/local/bin/check, --quick], or [/bin/sh, -c, '...'] for shell syntax)");
        }
        List<String> argv = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            JsonNode w = v.get(i);
            String path = "healthGate.command." + i;
            String where = "healthGate.command[" + i + "]";
            if (!w.isValueNode() || w.isNull()) {
                throw at(path, where + " must be a string, found " + (w.isNull() ? "nothing" : "a " + (w.isArray() ? "list" : "mapping")));
            }
            Optional<String> problem = HealthGate.wordProblem(i, w.asText());
            if (problem.isPresent()) {
                throw at(path, where + " " + problem.get());
            }
            argv.add(w.asText());
        }
        return argv;
    }

    private URI url(JsonNode v) {
        if (!v.isTextual()) {
            throw at("healthGate.url", "healthGate.url must be a string: \"\" for none, or http://127.0.0.1:PORT/PATH");
        }
        String text = v.asText().strip();
        if (text.isEmpty()) {
            return null;
        }
        Optional<String> problem = HealthGate.urlProblem(text);
        if (problem.isPresent()) {
            throw at("healthGate.url", "healthGate.url " + problem.get());
        }
        return URI.create(text);
    }

    /** A health-gate duration, read by the documents' one duration reader ({@link dev.chameleon.policy.Durations}) within {@code bounds}. */
    private Duration gateDuration(JsonNode v, String key, dev.chameleon.policy.Durations.Bounds bounds) {
        if (!v.isValueNode()) {
            throw at(key, key + " must be a duration such as 30s, 500ms or 5m");
        }
        dev.chameleon.policy.Durations.Read r = dev.chameleon.policy.Durations.read(v.asText(), bounds);
        if (r.problem().isPresent()) {
            throw at(key, key + " " + r.problem().get());
        }
        return r.value().orElseThrow();
    }

    // --- shared checks ---

    private static String found(JsonNode v) {
        if (v.isObject()) {
            return "a mapping";
        }
        if (v.isArray()) {
            return "a list";
        }
        return v.isNull() ? "nothing" : "'" + v.asText() + "'";
    }

    private void object(JsonNode n, String prefix, List<String> known) {
        if (!n.isObject()) {
            bad(prefix.isEmpty() ? "the file" : prefix.substring(0, prefix.length() - 1), "must be a mapping");
        }
        n.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                throw new Invalid(doc.errorAtKey(prefix + f, "unknown setting (known here: " + String.join(", ", known) + ")"));
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
        throw new Invalid(doc.error(key, why));
    }

    private Invalid at(String path, String message) {
        return new Invalid(doc.errorAt(path, message));
    }

    private Invalid atKey(String path, String message) {
        return new Invalid(doc.errorAtKeyOf(path, message));
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
        if (!n.hasNonNull(leaf)) {
            return null;
        }
        JsonNode v = n.get(leaf);
        String t = v.asText();
        if (!v.isTextual()) {
            bad(key, "must be a duration with its unit (60s, 500ms, 5m, 1h), found " + t + ": a bare number would be a guess");
        }
        if (AgentConfig.duration(t).isEmpty()) {
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
