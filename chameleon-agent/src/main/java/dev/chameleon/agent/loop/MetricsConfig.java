package dev.chameleon.agent.loop;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads the {@code metrics} mapping of the agent's config file ({@code /etc/chameleon/agent.yaml},
 * docs/agent-config.md): {@code enabled} (true or false, default false) and {@code listen}
 * ({@code HOST:PORT} on loopback, default {@code 127.0.0.1:9465}, checked by
 * {@link MetricsListen#parse} even when metrics are off, so a typo waits for no one to switch them on).
 * Every problem is an {@link IllegalArgumentException} positioned like a policy error:
 * {@code FILE:LINE:COLUMN: error: metrics.listen ...}, then the line and a caret.
 */
public final class MetricsConfig {
    /** What the file asks for: serve or not, and where. */
    public record Settings(boolean enabled, InetSocketAddress listen) {
        /** No {@code metrics} in the file: off, on the default address. */
        public static Settings off() {
            return new Settings(false, MetricsListen.parse(MetricsListen.DEFAULT));
        }
    }

    private static final List<String> KEYS = List.of("enabled", "listen");
    private static final YAMLFactory YAML = new YAMLFactory();

    private final Path file;
    private final List<String> lines;

    private MetricsConfig(Path file, String text) {
        this.file = file;
        this.lines = text.lines().toList();
    }

    /**
     * The metrics settings of {@code file}; {@link Settings#off()} when it has no {@code metrics}
     * (or it is empty). Missing keys take their defaults.
     *
     * @throws IllegalArgumentException a positioned message: {@code metrics} not a mapping, an
     *                                  unknown key, {@code enabled} not a boolean, {@code listen} not
     *                                  a string or not a loopback {@code HOST:PORT}; or the file
     *                                  cannot be read
     */
    public static Settings read(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage());
        }
        return new MetricsConfig(file, text).parse(text);
    }

    private Settings parse(String text) {
        try (JsonParser p = YAML.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Settings.off();
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("metrics")) {
                    return metrics(p);
                }
                p.skipChildren();
            }
            return Settings.off();
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage());
        }
    }

    private Settings metrics(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_NULL) {
            return Settings.off();
        }
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw error(p.currentTokenLocation(), "metrics must be a mapping (enabled, listen)");
        }
        boolean enabled = false;
        InetSocketAddress listen = MetricsListen.parse(MetricsListen.DEFAULT);
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonLocation keyAt = p.currentTokenLocation();
            JsonToken t = p.nextToken();
            JsonLocation at = p.currentTokenLocation();
            switch (key) {
                case "enabled" -> {
                    if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
                        throw error(at, "metrics.enabled must be true or false, found " + found(p));
                    }
                    enabled = t == JsonToken.VALUE_TRUE;
                }
                case "listen" -> {
                    if (t != JsonToken.VALUE_STRING) {
                        throw error(at, "metrics.listen must be HOST:PORT on loopback, such as " + MetricsListen.DEFAULT
                                + ", found " + found(p) + (t == JsonToken.START_ARRAY ? " (quote an IPv6 address: \"[::1]:9465\")" : ""));
                    }
                    try {
                        listen = MetricsListen.parse(p.getText());
                    } catch (IllegalArgumentException e) {
                        throw error(at, "metrics.listen " + e.getMessage());
                    }
                }
                default -> throw error(keyAt, "metrics." + key + " unknown setting (known here: " + String.join(", ", KEYS) + ")");
            }
        }
        return new Settings(enabled, listen);
    }

    private static String found(JsonParser p) throws IOException {
        return switch (p.currentToken()) {
            case START_OBJECT -> "a mapping";
            case START_ARRAY -> "a list";
            case VALUE_NULL -> "nothing";
            default -> "'" + p.getText() + "'";
        };
    }

    private IllegalArgumentException error(JsonLocation at, String message) {
        return new IllegalArgumentException(YamlTree.positioned(file, lines, at.getLineNr(), at.getColumnNr(), message));
    }
}
