package dev.chameleon.model.json;

import com.fasterxml.jackson.core.JsonParseException;
import dev.chameleon.model.FactSet;
import java.util.Map;

/**
 * The one codec of {@link FactSet}: the tree as {@code chameleon facts -o json} prints it, and
 * back. Provenance is not part of it (the JSON is the facts, as policies see them).
 */
public final class FactSetCodec {
    private FactSetCodec() {
    }

    /** Indented JSON of the tree (no final newline). */
    public static String write(FactSet facts) {
        return Json.pretty(facts.asMap()).orElseThrow(() -> new IllegalStateException("a fact set holds plain values only"));
    }

    /**
     * Reads a fact set written by {@link #write}; numbers come back as {@code Long} (whole) or
     * {@code Double}, as the sensors give them.
     *
     * @throws JsonParseException not JSON
     * @throws IllegalArgumentException not an object of plain values
     */
    public static FactSet read(String json) throws JsonParseException {
        return FactSet.of(Fields.map(Json.read(json), "the facts"), Map.of());
    }
}
