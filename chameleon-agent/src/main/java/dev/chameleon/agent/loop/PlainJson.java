package dev.chameleon.agent.loop;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;

/**
 * JSON of plain-value trees (maps with string keys, lists, strings, whole and decimal numbers,
 * booleans, null) with Jackson's streaming generator: the text ObjectMapper gives for the same
 * tree, without loading the databind layer, which the long-running agent would carry for good.
 */
public final class PlainJson {
    private static final JsonFactory JSON = new JsonFactory();

    private PlainJson() {
    }

    /**
     * One line of JSON. A value that is not plain (an {@code Instant}, a {@code Path}, a record)
     * is written as its {@code toString()}, a map key as {@code String.valueOf(key)}.
     */
    public static String compact(Object tree) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = JSON.createGenerator(w)) {
            write(g, tree, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return w.toString();
    }

    /**
     * Writes {@code v} to {@code g}.
     *
     * @param strict true: stop at the first value that is not plain and return false (the caller
     *               falls back to something that knows it); false: write it as its {@code toString()}
     * @return false when {@code strict} and a value was not plain (the generator holds a partial
     *         document then), else true
     */
    public static boolean write(JsonGenerator g, Object v, boolean strict) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof Float f) {
            g.writeNumber(f);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String) && strict) {
                    return false;
                }
                g.writeFieldName(String.valueOf(e.getKey()));
                if (!write(g, e.getValue(), strict)) {
                    return false;
                }
            }
            g.writeEndObject();
        } else if (v instanceof List<?> l) {
            g.writeStartArray();
            for (Object o : l) {
                if (!write(g, o, strict)) {
                    return false;
                }
            }
            g.writeEndArray();
        } else if (strict) {
            return false;
        } else {
            g.writeString(v.toString());
        }
        return true;
    }
}
