package dev.chameleon.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Plain JSON trees over Jackson's streaming parser and generator, without the databind layer
 * (the agent keeps its memory budget).
 *
 * <p>A tree is made of {@link Map} (string keys, insertion order), {@link List}, {@link String},
 * {@link Long}, {@link Double}, {@link Boolean} and {@code null}. Limits, checked while reading:
 * nesting at most {@value #MAX_DEPTH} levels, a string at most {@value #MAX_STRING_CHARS}
 * characters, numbers within a signed 64-bit integer or a double; a repeated key in one object is
 * an error. Every error names the line and column.
 */
public final class Json {
    /** Deepest nesting of objects and arrays accepted in any wire document. */
    public static final int MAX_DEPTH = 64;
    /** Longest string value accepted (characters). */
    public static final int MAX_STRING_CHARS = 4 << 20;

    static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH).maxStringLength(MAX_STRING_CHARS).maxNumberLength(400).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
            .build();

    private Json() {
    }

    /** A parser over text, with the wire limits. */
    public static JsonParser parser(String text) throws WireFormatException {
        try {
            return FACTORY.createParser(text);
        } catch (IOException e) {
            throw new WireFormatException("cannot read JSON: " + e.getMessage(), 0, 0);
        }
    }

    /** A parser over bytes (UTF-8), with the wire limits. */
    public static JsonParser parser(InputStream in) throws WireFormatException {
        try {
            return FACTORY.createParser(in);
        } catch (IOException e) {
            throw new WireFormatException("cannot read JSON: " + e.getMessage(), 0, 0);
        }
    }

    /** Parses one JSON document into a plain tree; trailing content is an error. */
    public static Object parse(String text) throws WireFormatException {
        try (JsonParser p = parser(text)) {
            try {
                return parseDocument(p);
            } catch (IOException e) {
                throw wrap(e, p);
            }
        } catch (IOException e) {
            throw wrap(e);
        }
    }

    /** Parses one JSON document from bytes (UTF-8) into a plain tree; trailing content is an error. */
    public static Object parse(InputStream in) throws WireFormatException {
        try (JsonParser p = parser(in)) {
            try {
                return parseDocument(p);
            } catch (IOException e) {
                throw wrap(e, p);
            }
        } catch (IOException e) {
            throw wrap(e);
        }
    }

    private static Object parseDocument(JsonParser p) throws IOException, WireFormatException {
        JsonToken t = p.nextToken();
        if (t == null) {
            throw new WireFormatException("empty document: expected a JSON value", 1, 1);
        }
        Object v = read(p);
        if (p.nextToken() != null) {
            throw at(p, "unexpected content after the JSON value");
        }
        return v;
    }

    /** Reads the value at the parser's current token (already advanced onto it) as a plain tree. */
    public static Object read(JsonParser p) throws IOException, WireFormatException {
        JsonToken t = p.currentToken();
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String k = p.currentName();
                    p.nextToken();
                    m.put(k, read(p));
                }
                return Collections.unmodifiableMap(m);
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(read(p));
                }
                return Collections.unmodifiableList(l);
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw at(p, "number " + p.getText() + " is out of range (a signed 64-bit integer)");
                }
                return p.getLongValue();
            case VALUE_NUMBER_FLOAT: {
                double d = p.getDoubleValue();
                if (Double.isInfinite(d)) {
                    throw at(p, "number " + p.getText() + " is out of range");
                }
                return d;
            }
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return null;
            default:
                throw at(p, "unexpected " + t);
        }
    }

    /** Copies the value at the parser's current token as compact JSON text (an opaque payload). */
    public static String copy(JsonParser p) throws IOException {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            // exact: a float beyond a double (1e999999) stays a number for the reader to refuse, not the string "Infinity"
            g.copyCurrentStructureExact(p);
        }
        return w.toString();
    }

    /** Compact JSON of a plain tree, keys in the map's order. */
    public static String write(Object tree) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            write(g, tree, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /**
     * Canonical JSON of a plain tree: object keys sorted by their UTF-16 code units, no
     * whitespace, numbers as Java prints a long or a double, strings with Jackson's minimal
     * escaping. Two equal trees always give the same bytes, which is what signatures are over.
     */
    public static String canonical(Object tree) {
        StringWriter w = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(w)) {
            write(g, tree, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    /** Writes a plain tree to a generator, keys sorted when {@code canonical}. */
    public static void write(JsonGenerator g, Object v, boolean canonical) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            Map<?, ?> ordered = canonical ? new TreeMap<>(m) : m;
            for (Map.Entry<?, ?> e : ordered.entrySet()) {
                g.writeFieldName(String.valueOf(e.getKey()));
                write(g, e.getValue(), canonical);
            }
            g.writeEndObject();
        } else if (v instanceof List<?> l) {
            g.writeStartArray();
            for (Object x : l) {
                write(g, x, canonical);
            }
            g.writeEndArray();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
            g.writeNumber(((Number) v).longValue());
        } else if (v instanceof BigInteger b) {
            g.writeNumber(b);
        } else if (v instanceof Double || v instanceof Float) {
            g.writeNumber(((Number) v).doubleValue());
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else {
            throw new IllegalArgumentException("not a plain JSON value: " + v.getClass().getName());
        }
    }

    static WireFormatException at(JsonParser p, String message) {
        JsonLocation l = p.currentTokenLocation();
        return new WireFormatException(message, l.getLineNr(), l.getColumnNr());
    }

    /** A Jackson read error as a positioned wire error; where the error has no position, the parser's. */
    static WireFormatException wrap(IOException e, JsonParser p) {
        if (e instanceof com.fasterxml.jackson.core.exc.StreamConstraintsException c) {
            // said in the wire's terms, not by the name of Jackson's setting
            String m = c.getOriginalMessage();
            String said = m.contains("nesting depth") ? "nested deeper than " + MAX_DEPTH + " levels"
                    : m.contains("String value length") ? "a string longer than " + MAX_STRING_CHARS + " characters"
                    : m.contains("Number value length") ? "a number longer than 400 digits" : null;
            JsonLocation l = c.getLocation() != null ? c.getLocation() : p != null ? p.currentLocation() : null;
            if (said != null) {
                return new WireFormatException("malformed JSON: " + said, l == null ? 0 : l.getLineNr(), l == null ? 0 : l.getColumnNr());
            }
        }
        return wrap(e);
    }

    /** A Jackson read error as a positioned wire error. */
    static WireFormatException wrap(IOException e) {
        if (e instanceof JsonProcessingException j && j.getLocation() != null) {
            String m = j.getOriginalMessage();
            int cut = m.indexOf("\n at [Source");
            return new WireFormatException("malformed JSON: " + (cut > 0 ? m.substring(0, cut) : m).strip(),
                    j.getLocation().getLineNr(), j.getLocation().getColumnNr());
        }
        return new WireFormatException("cannot read JSON: " + e.getMessage(), 0, 0);
    }
}
