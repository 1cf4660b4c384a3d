package dev.chameleon.agent.loop;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the {@code healthGate} mapping of the agent's config file ({@code /etc/chameleon/agent.yaml},
 * docs/agent-config.md): {@code command} (list of strings), {@code url} (string),
 * {@code timeout} and {@code settle} (durations such as {@code 30s}). Every problem is an
 * {@link IllegalArgumentException} whose message is positioned like a policy error:
 * {@code FILE:LINE:COLUMN: error: healthGate.url ...}, then the line and a caret.
 */
public final class HealthGateConfig {
    private static final List<String> KEYS = List.of("command", "url", "timeout", "settle");
    private static final YAMLFactory YAML = new YAMLFactory();

    private final Path file;
    private final List<String> lines;

    private HealthGateConfig(Path file, String text) {
        this.file = file;
        this.lines = text.lines().toList();
    }

    /**
     * The gate the file asks for; {@link HealthGate.Settings#off()} when it has no
     * {@code healthGate} (or it is empty). Missing keys take their defaults.
     *
     * @throws IllegalArgumentException a positioned message, for a wrong type, an unknown key, a
     *                                  relative or non-executable program, an empty word, a URL not
     *                                  {@code http://} on a loopback address, a duration without a
     *                                  unit or out of range, or a file that cannot be read
     */
    public static HealthGate.Settings read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
        }
        return new HealthGateConfig(file, text).parse(text);
    }

    private HealthGate.Settings parse(String text) {
        try (JsonParser p = YAML.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return HealthGate.Settings.off();
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("healthGate")) {
                    return gate(p);
                }
                p.skipChildren();
            }
            return HealthGate.Settings.off();
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    private HealthGate.Settings gate(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return HealthGate.Settings.off();
        }
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw error(p.currentTokenLocation(), "healthGate must be a mapping (command, url, timeout, settle)");
        }
        List<String> command = List.of();
        URI url = null;
        Duration timeout = HealthGate.Settings.DEFAULT_TIMEOUT;
        Duration settle = HealthGate.Settings.DEFAULT_SETTLE;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonLocation keyAt = p.currentTokenLocation();
            p.nextToken();
            switch (key) {
                case "command" -> command = command(p);
                case "url" -> url = url(p);
                case "timeout" -> timeout = duration(p, "healthGate.timeout", HealthGate.Settings.DEFAULT_TIMEOUT,
                        HealthGate::timeoutProblem);
                case "settle" -> settle = duration(p, "healthGate.settle", HealthGate.Settings.DEFAULT_SETTLE,
                        HealthGate::settleProblem);
                default -> throw error(keyAt, "healthGate." + key + " unknown setting (known here: " + String.join(", ", KEYS) + ")");
            }
        }
        return new HealthGate.Settings(command, url, timeout, settle);
    }

    private List<String> command(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return List.of();
        }
        if (p.currentToken() != JsonToken.START_ARRAY) {
            throw error(p.currentTokenLocation(), "healthGate.command must be a list of strings, the program first "
                    + "(it runs without a shell: [/usr/local/bin/check, --quick], or [/bin/sh, -c, '...'] for shell syntax)");
        }
        List<String> argv = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            JsonLocation at = p.currentTokenLocation();
            String where = "healthGate.command[" + argv.size() + "]";
            if (!p.currentToken().isScalarValue() || p.currentToken() == JsonToken.VALUE_NULL) {
                throw error(at, where + " must be a string, found " + (p.currentToken() == JsonToken.VALUE_NULL ? "nothing" : "a "
                        + (p.currentToken() == JsonToken.START_ARRAY ? "list" : "mapping")));
            }
            String word = p.getText();
            Optional<String> problem = HealthGate.wordProblem(argv.size(), word);
            if (problem.isPresent()) {
                throw error(at, where + " " + problem.get());
            }
            argv.add(word);
        }
        return argv;
    }

    private URI url(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return null;
        }
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw error(p.currentTokenLocation(), "healthGate.url must be a string: \"\" for none, or http://127.0.0.1:PORT/PATH");
        }
        String text = p.getText().strip();
        if (text.isEmpty()) {
            return null;
        }
        Optional<String> problem = HealthGate.urlProblem(text);
        if (problem.isPresent()) {
            throw error(p.currentTokenLocation(), "healthGate.url " + problem.get());
        }
        return URI.create(text);
    }

    private Duration duration(JsonParser p, String key, Duration dflt,
                              java.util.function.Function<Duration, Optional<String>> range) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return dflt;
        }
        JsonLocation at = p.currentTokenLocation();
        if (!p.currentToken().isScalarValue()) {
            throw error(at, key + " must be a duration such as 30s, 500ms or 5m");
        }
        String text = p.getText();
        Optional<Duration> d = HealthGate.parseDuration(text);
        if (d.isEmpty()) {
            throw error(at, key + " '" + text + "' is not a duration: an integer and a unit, ms, s, m or h (500ms, 30s, 5m)"
                    + (text.strip().matches("\\d+") ? "; a bare number would be a guess between seconds and milliseconds" : ""));
        }
        Optional<String> problem = range.apply(d.get());
        if (problem.isPresent()) {
            throw error(at, key + " " + text + " " + problem.get());
        }
        return d.get();
    }

    private IllegalArgumentException error(JsonLocation at, String message) {
        return new IllegalArgumentException(YamlTree.positioned(file, lines, at.getLineNr(), at.getColumnNr(), message));
    }
}
