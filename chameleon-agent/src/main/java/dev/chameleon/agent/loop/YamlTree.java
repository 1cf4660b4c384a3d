package dev.chameleon.agent.loop;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.chameleon.policy.PolicyError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML file as a {@link JsonNode} tree, built from Jackson's streaming YAML parser (without the
 * ObjectMapper, whose classes the long-running agent would carry for good), with the position of
 * every value so that errors can say {@code FILE:LINE:COLUMN}. A key repeated in one mapping is an
 * error (YAML 1.2 forbids it; taking the last would let {@code mode: plan} above
 * {@code mode: apply} read as apply).
 */
public final class YamlTree {
    private static final YAMLFactory YAML = new YAMLFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /** The tree, and where each value starts: dotted key ({@code healthGate.url}, {@code policies.dirs.0}) → location. */
    public record Doc(Path file, JsonNode root, Map<String, JsonLocation> at, List<String> lines) {
        /**
         * {@code FILE:LINE:COLUMN: error: KEY WHY}, the line and a caret under the value of
         * {@code key}; {@code FILE: error: ...} when the key has no position (it is absent).
         */
        public String error(String key, String why) {
            return errorAt(at.get(key), key, why);
        }

        /** As {@link #error}, with the caret under the key itself (an unknown or misplaced key). */
        public String errorAtKey(String key, String why) {
            return errorAt(at.getOrDefault(key + "#key", at.get(key)), key, why);
        }

        /** {@code FILE:LINE:COLUMN: error: MESSAGE} with the caret under the value at {@code path}; the message as given. */
        public String errorAt(String path, String message) {
            return positionedAt(at.get(path), message);
        }

        /** As {@link #errorAt(String, String)}, the caret under the key at {@code path}. */
        public String errorAtKeyOf(String path, String message) {
            return positionedAt(at.getOrDefault(path + "#key", at.get(path)), message);
        }

        private String errorAt(JsonLocation l, String key, String why) {
            return positionedAt(l, key + " " + why);
        }

        private String positionedAt(JsonLocation l, String message) {
            return positioned(file, lines, l == null ? 0 : l.getLineNr(), l == null ? 0 : l.getColumnNr(), message);
        }
    }

    private YamlTree() {
    }

    /**
     * The first document of {@code file}; its root is {@link MissingNode} for an empty file.
     *
     * @throws IOException the file cannot be read
     * @throws IllegalArgumentException not YAML, or a key repeated in a mapping: a positioned
     *                                  message ({@code FILE:LINE:COLUMN: error: ...} and the line)
     */
    public static Doc read(Path file) throws IOException {
        if (Files.isRegularFile(file) && Files.size(file) > MAX_BYTES) {
            throw new IllegalArgumentException(file + ": error: " + Files.size(file) + " bytes; a configuration file has at most "
                    + MAX_BYTES + " (1 MiB)");
        }
        String text;
        try {
            text = Files.readString(file);
        } catch (java.nio.charset.MalformedInputException e) {
            throw new IllegalArgumentException(file + ": error: not UTF-8 text");
        }
        List<String> lines = text.lines().toList();
        Map<String, JsonLocation> at = new HashMap<>();
        try (JsonParser p = YAML.createParser(text)) {
            JsonToken t = p.nextToken();
            JsonNode root = t == null ? MissingNode.getInstance() : node(p, t, "", at, file, lines);
            if (t != null && p.nextToken() != null) {
                JsonLocation l = p.currentTokenLocation();
                throw new IllegalArgumentException(positioned(file, lines, l.getLineNr(), l.getColumnNr(),
                        "a second YAML document; the file is one mapping (remove the '---' and what follows, or merge it)"));
            }
            return new Doc(file, root, at, lines);
        } catch (JsonProcessingException e) {
            JsonLocation l = e.getLocation();
            throw new IllegalArgumentException(positioned(file, lines, l == null ? 0 : l.getLineNr(), l == null ? 0 : l.getColumnNr(),
                    "not YAML: " + e.getOriginalMessage().lines().findFirst().orElse("")));
        }
    }

    /** Files larger than this are refused before they are parsed (1 MiB; the shipped one is 4 KiB). */
    public static final long MAX_BYTES = 1 << 20;

    static String positioned(Path file, List<String> lines, int line, int column, String message) {
        String excerpt = line >= 1 && line <= lines.size() ? lines.get(line - 1).replace("\t", " ") : "";
        int col = column;
        if (excerpt.length() > 120) { // a window around the column, so one long line is not echoed whole
            int from = Math.max(0, Math.min(column - 1, excerpt.length()) - 60);
            int to = Math.min(excerpt.length(), from + 120);
            excerpt = (from > 0 ? "…" : "") + excerpt.substring(from, to) + (to < excerpt.length() ? "…" : "");
            col = column - from + (from > 0 ? 1 : 0);
        }
        if (message.length() > 300) {
            message = message.substring(0, 300) + "…";
        }
        return new PolicyError(file.toString(), line, column, message, excerpt).format().replace(
                "\n  " + " ".repeat(Math.max(0, column - 1)) + "^", "\n  " + " ".repeat(Math.max(0, col - 1)) + "^");
    }

    private static JsonNode node(JsonParser p, JsonToken t, String path, Map<String, JsonLocation> at, Path file,
                                 List<String> lines) throws IOException {
        at.put(path, p.currentTokenLocation());
        String prefix = path.isEmpty() ? "" : path + ".";
        switch (t) {
            case START_OBJECT -> {
                ObjectNode o = NODES.objectNode();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    JsonLocation keyAt = p.currentTokenLocation();
                    if (o.has(name)) {
                        JsonLocation first = at.get(prefix + name + "#key");
                        throw new IllegalArgumentException(positioned(file, lines, keyAt.getLineNr(), keyAt.getColumnNr(),
                                "duplicate key '" + prefix + name + "'" + (first == null ? "" : " (also at line " + first.getLineNr() + ")")));
                    }
                    at.put(prefix + name + "#key", keyAt);
                    o.set(name, node(p, p.nextToken(), prefix + name, at, file, lines));
                }
                return o;
            }
            case START_ARRAY -> {
                ArrayNode a = NODES.arrayNode();
                int i = 0;
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    a.add(node(p, e, prefix + i++, at, file, lines));
                }
                return a;
            }
            case VALUE_STRING -> {
                return NODES.textNode(p.getText());
            }
            case VALUE_NUMBER_INT -> {
                return switch (p.getNumberType()) {
                    case INT -> NODES.numberNode(p.getIntValue());
                    case LONG -> NODES.numberNode(p.getLongValue());
                    default -> NODES.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> {
                return NODES.numberNode(p.getDoubleValue());
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return NODES.booleanNode(t == JsonToken.VALUE_TRUE);
            }
            case VALUE_NULL -> {
                return NODES.nullNode();
            }
            default -> { // VALUE_EMBEDDED_OBJECT: a !!binary scalar
                Object o = p.getEmbeddedObject();
                return o instanceof byte[] b ? NODES.binaryNode(b) : NODES.pojoNode(o);
            }
        }
    }
}
