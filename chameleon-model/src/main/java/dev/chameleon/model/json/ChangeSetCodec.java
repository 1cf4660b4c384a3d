package dev.chameleon.model.json;

import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.JournalEntry;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A journal file's JSON, with Jackson's streaming reader and writer: the same text and the same
 * reading as an ObjectMapper with indented output and unknown properties ignored, without the
 * databind layer (its 300-odd classes would stay in the long-running agent's memory for good).
 * Fields in record order; unknown fields are skipped, missing ones take 0 or null, a number or
 * boolean where a string belongs is read as its text.
 */
public final class ChangeSetCodec {
    private static final JsonFactory JSON = Json.FACTORY;

    private ChangeSetCodec() {
    }

    /** The change set as indented JSON, UTF-8. */
    public static byte[] write(ChangeSet cs) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.setPrettyPrinter(new DefaultPrettyPrinter());
            g.writeStartObject();
            g.writeNumberField("sequence", cs.sequence());
            g.writeStringField("id", cs.id());
            g.writeStringField("createdAt", cs.createdAt());
            g.writeStringField("trigger", cs.trigger());
            g.writeStringField("status", cs.status());
            g.writeStringField("message", cs.message());
            g.writeArrayFieldStart("entries");
            for (JournalEntry e : cs.entries()) {
                g.writeStartObject();
                g.writeNumberField("seq", e.seq());
                g.writeStringField("key", e.key());
                g.writeStringField("before", e.before());
                g.writeStringField("after", e.after());
                g.writeStringField("reason", e.reason());
                g.writeStringField("undoCommand", e.undoCommand());
                g.writeStringField("state", e.state());
                g.writeStringField("error", e.error());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        return out.toByteArray();
    }

    /**
     * Reads one journal file.
     *
     * @throws com.fasterxml.jackson.core.JsonProcessingException not JSON, cut short, a value of
     *                                                            the wrong shape, or no {@code entries}
     *                                                            (with the parser's location)
     * @throws IOException                                        the file cannot be read
     */
    public static ChangeSet read(Path file) throws IOException {
        try (JsonParser p = JSON.createParser(file.toFile())) {
            return read(p);
        }
    }

    /** Reads a change set from its JSON text (as {@link #write} gives it, e.g. on the wire); errors as {@link #read(Path)}. */
    public static ChangeSet read(String text) throws IOException {
        try (JsonParser p = JSON.createParser(text)) {
            return read(p);
        }
    }

    private static ChangeSet read(JsonParser p) throws IOException {
        expect(p, p.nextToken(), JsonToken.START_OBJECT, "a change set");
        long sequence = 0;
        String id = null;
        String createdAt = null;
        String trigger = null;
        String status = null;
        String message = null;
        List<JournalEntry> entries = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            p.nextToken();
            switch (f) {
                case "sequence" -> sequence = number(p);
                case "id" -> id = text(p);
                case "createdAt" -> createdAt = text(p);
                case "trigger" -> trigger = text(p);
                case "status" -> status = text(p);
                case "message" -> message = text(p);
                case "entries" -> entries = entries(p);
                default -> p.skipChildren();
            }
        }
        if (entries == null) {
            throw new JsonParseException(p, "not a change set: no entries");
        }
        return new ChangeSet(sequence, id, createdAt, trigger, status, message, entries);
    }

    private static List<JournalEntry> entries(JsonParser p) throws IOException {
        expect(p, p.currentToken(), JsonToken.START_ARRAY, "a list of entries");
        List<JournalEntry> out = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            expect(p, p.currentToken(), JsonToken.START_OBJECT, "an entry");
            int seq = 0;
            String[] s = new String[7];
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String f = p.currentName();
                p.nextToken();
                int i = switch (f) {
                    case "key" -> 0;
                    case "before" -> 1;
                    case "after" -> 2;
                    case "reason" -> 3;
                    case "undoCommand" -> 4;
                    case "state" -> 5;
                    case "error" -> 6;
                    default -> -1;
                };
                if (f.equals("seq")) {
                    seq = Math.toIntExact(number(p));
                } else if (i >= 0) {
                    s[i] = text(p);
                } else {
                    p.skipChildren();
                }
            }
            out.add(new JournalEntry(seq, s[0], s[1], s[2], s[3], s[4], s[5], s[6]));
        }
        return out;
    }

    private static String text(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        if (!t.isScalarValue()) {
            throw new JsonParseException(p, "expected a string, found " + t);
        }
        return p.getText();
    }

    private static long number(JsonParser p) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NUMBER_INT) {
            return p.getLongValue();
        }
        if (t == JsonToken.VALUE_NULL) {
            return 0;
        }
        if (t == JsonToken.VALUE_STRING) {
            try {
                return Long.parseLong(p.getText().strip());
            } catch (NumberFormatException e) {
                // below
            }
        }
        throw new JsonParseException(p, "expected a whole number, found " + t);
    }

    private static void expect(JsonParser p, JsonToken found, JsonToken wanted, String what) throws JsonParseException {
        if (found != wanted) {
            throw new JsonParseException(p, "expected " + what + ", found " + found);
        }
    }
}
