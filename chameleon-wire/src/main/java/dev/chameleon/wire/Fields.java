package dev.chameleon.wire;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One JSON object of a wire document, read field by field with each field's position, so that a
 * missing or mistyped field is reported at its line and column. Unknown fields are skipped
 * (documents only ever gain fields); fields named in {@code raw} are kept as compact JSON text
 * (opaque payloads) instead of trees.
 */
final class Fields {
    private final Map<String, Object> values = new HashMap<>();
    private final Map<String, int[]> where = new java.util.LinkedHashMap<>();
    private final int line;
    private final int column;
    private final String what;

    private Fields(String what, int line, int column) {
        this.what = what;
        this.line = line;
        this.column = column;
    }

    /** Reads the object at the parser's current token (START_OBJECT). */
    static Fields read(JsonParser p, String what, Set<String> raw) throws IOException, WireFormatException {
        JsonLocation start = p.currentTokenLocation();
        if (p.currentToken() != JsonToken.START_OBJECT) {
            throw Json.at(p, what + " must be a JSON object, found " + describe(p.currentToken()));
        }
        Fields f = new Fields(what, start.getLineNr(), start.getColumnNr());
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            JsonLocation l = p.currentTokenLocation();
            f.where.put(name, new int[] {l.getLineNr(), l.getColumnNr()});
            if (raw.contains(name)) {
                if (p.currentToken() != JsonToken.START_OBJECT) {
                    throw Json.at(p, what + "." + name + " must be a JSON object, found " + describe(p.currentToken()));
                }
                f.values.put(name, new RawJson(Json.copy(p)));
            } else {
                f.values.put(name, Json.read(p));
            }
        }
        return f;
    }

    /** Reads a whole document that is one object. */
    static Fields document(JsonParser p, String what, Set<String> raw) throws WireFormatException {
        try {
            if (p.nextToken() == null) {
                throw new WireFormatException("empty document: expected a JSON object (" + what + ")", 1, 1);
            }
            Fields f = read(p, what, raw);
            if (p.nextToken() != null) {
                throw Json.at(p, "unexpected content after the JSON object");
            }
            return f;
        } catch (IOException e) {
            throw Json.wrap(e, p);
        }
    }

    private static String describe(JsonToken t) {
        if (t == null) {
            return "the end of the document";
        }
        return switch (t) {
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "a number";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            default -> t.toString();
        };
    }

    record RawJson(String text) {
    }

    /**
     * Refuses a field not in {@code known} (the first one in the document), at its position:
     * {@code WHAT has the unknown field 'NAME' (known: a, b, c)}. For request envelopes, whose
     * fields are fixed (docs/control-plane.md, unknown fields); documents an agent reads stay
     * lenient.
     */
    Fields onlyKnown(List<String> known) throws WireFormatException {
        for (String name : where.keySet()) {
            if (!known.contains(name)) {
                throw error(name, what + " has the unknown field '" + (name.length() > 60 ? name.substring(0, 60) + "..." : name)
                        + "' (known: " + String.join(", ", known) + ")");
            }
        }
        return this;
    }

    WireFormatException error(String field, String message) {
        int[] at = where.get(field);
        return at == null ? new WireFormatException(message, line, column) : new WireFormatException(message, at[0], at[1]);
    }

    boolean has(String field) {
        return values.get(field) != null;
    }

    Object get(String field) {
        return values.get(field);
    }

    String string(String field) throws WireFormatException {
        Object v = values.get(field);
        if (v == null) {
            throw error(field, what + " lacks the string field '" + field + "'");
        }
        if (!(v instanceof String s)) {
            throw error(field, what + "." + field + " must be a string");
        }
        return s;
    }

    String optionalString(String field, String otherwise) throws WireFormatException {
        return has(field) ? string(field) : otherwise;
    }

    long number(String field) throws WireFormatException {
        Object v = values.get(field);
        if (v == null) {
            throw error(field, what + " lacks the number field '" + field + "'");
        }
        if (!(v instanceof Long n)) {
            throw error(field, what + "." + field + " must be a whole number");
        }
        return n;
    }

    long optionalNumber(String field, long otherwise) throws WireFormatException {
        return has(field) ? number(field) : otherwise;
    }

    @SuppressWarnings("unchecked")
    Map<String, Object> object(String field) throws WireFormatException {
        Object v = values.get(field);
        if (!(v instanceof Map<?, ?>)) {
            throw error(field, v == null ? what + " lacks the object field '" + field + "'" : what + "." + field + " must be an object");
        }
        return (Map<String, Object>) v;
    }

    String raw(String field) throws WireFormatException {
        Object v = values.get(field);
        if (!(v instanceof RawJson r)) {
            throw error(field, what + " lacks the object field '" + field + "'");
        }
        return r.text();
    }

    List<Object> list(String field) throws WireFormatException {
        Object v = values.get(field);
        if (v == null) {
            throw error(field, what + " lacks the array field '" + field + "'");
        }
        if (!(v instanceof List<?> l)) {
            throw error(field, what + "." + field + " must be an array");
        }
        return new ArrayList<>(l);
    }

    List<String> strings(String field) throws WireFormatException {
        List<String> out = new ArrayList<>();
        for (Object o : list(field)) {
            if (!(o instanceof String s)) {
                throw error(field, what + "." + field + " must be an array of strings");
            }
            out.add(s);
        }
        return out;
    }
}
