package dev.chameleon.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.IOException;
import java.io.StringWriter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;

/** JSON and YAML rendering of plain-value trees. */
final class Render {
    private Render() {
    }

    private static final JsonFactory JSON = new JsonFactory();

    /**
     * Pretty JSON of a plain-value tree (maps with string keys, lists, strings, numbers, booleans,
     * null), written with Jackson's streaming generator: the same text ObjectMapper's
     * INDENT_OUTPUT gives, without loading the databind layer (about 40 ms of a one-shot run).
     * Other values fall back to ObjectMapper.
     */
    static String json(Object tree) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            g.setPrettyPrinter(new DefaultPrettyPrinter());
            if (!dev.chameleon.model.json.Json.write(g, tree, true)) {
                return jsonByMapper(tree);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return w.toString();
    }

    private static String jsonByMapper(Object tree) {
        try {
            return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    static String yaml(Object tree) {
        try {
            return new ObjectMapper(YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                    .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build()).writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A setting value for one line of text: a managed file's value without its Base64 content
     * ({@code mode=0644 owner=0:0 sha256=…}), anything else cut at 100 characters; empty as "(empty)".
     */
    static String brief(String value) {
        if (value == null || value.isEmpty()) {
            return "(empty)";
        }
        int c = value.indexOf(" content=");
        String v = c >= 0 && value.startsWith("mode=") ? value.substring(0, c) : value;
        return printable(v.length() > 100 ? v.substring(0, 99) + "…" : v);
    }

    static String as(OutputFormat f, Object tree) {
        return f == OutputFormat.json ? json(tree) : yaml(tree);
    }

    /** Text for a terminal: control characters (escape sequences, NULs, newlines) shown as \\xNN. */
    static String printable(Object value) {
        String v = String.valueOf(value);
        StringBuilder sb = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
