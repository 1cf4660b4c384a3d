package dev.chameleon.model.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON of plain-value trees (maps with string keys, lists, strings, whole and decimal numbers,
 * booleans, null) with Jackson's streaming API only: the text ObjectMapper gives for the same tree
 * (compact, or indented as {@code INDENT_OUTPUT} indents), without the databind layer, which the
 * long-running agent would carry for good. Every codec of the model writes and reads through here.
 */
public final class Json {
    static final JsonFactory FACTORY = new JsonFactory();

    private Json() {
    }

    /**
     * One line of JSON. A value that is not plain (an {@code Instant}, a {@code Path}, a record)
     * is written as its {@code toString()}, a map key as {@code String.valueOf(key)}.
     */
    public static String compact(Object tree) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            write(g, tree, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return w.toString();
    }

    /**
     * Indented JSON of a plain tree, as ObjectMapper's {@code INDENT_OUTPUT} writes it (no final
     * newline); empty when the tree holds a value that is not plain (the caller decides what then).
     */
    public static java.util.Optional<String> pretty(Object tree) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            g.setPrettyPrinter(new DefaultPrettyPrinter());
            if (!write(g, tree, true)) {
                return java.util.Optional.empty();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return java.util.Optional.of(w.toString());
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

    /**
     * Reads one JSON document into plain values: objects as {@link LinkedHashMap} (written order),
     * arrays as {@link ArrayList}, whole numbers as {@link Long} (larger ones as their text),
     * decimals as {@link Double}, and strings, booleans and null as themselves.
     *
     * @throws JsonParseException not JSON, or more than one document; the message has the position
     */
    public static Object read(String text) throws JsonParseException {
        try (JsonParser p = FACTORY.createParser(text)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new JsonParseException(p, "no JSON document (empty text)");
            }
            Object v = value(p, t);
            if (p.nextToken() != null) {
                throw new JsonParseException(p, "text after the JSON document");
            }
            return v;
        } catch (JsonParseException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a String does not fail to read
        }
    }

    /** The value starting at token {@code t} of {@code p}, as {@link #read} gives it. */
    public static Object value(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT -> {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    m.put(k, value(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY -> {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(value(p, e));
                }
                return l;
            }
            case VALUE_STRING -> {
                return p.getText();
            }
            case VALUE_NUMBER_INT -> {
                return p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? p.getText() : p.getLongValue();
            }
            case VALUE_NUMBER_FLOAT -> {
                return p.getDoubleValue();
            }
            case VALUE_TRUE, VALUE_FALSE -> {
                return t == JsonToken.VALUE_TRUE;
            }
            case VALUE_NULL -> {
                return null;
            }
            default -> throw new JsonParseException(p, "unexpected " + t);
        }
    }
}
