package dev.chameleon.server.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.Map;

/** The server's one Jackson mapper (API bodies, label and summary columns). */
public final class Mapper {
    /**
     * Refuses unknown fields in request bodies, repeated keys, deep nesting, content after the
     * value ({@code {"a":1}{"b":2}}, {@code {...} ]}), and loosely typed
     * values: no scalar coercion ({@code "maxUses": "3"}), no float for an integer ({@code 1.5}),
     * no number too large for a double ({@code 1e999999999} would be Infinity, which JSON cannot
     * hold): each a 400 {@code invalid} naming the field.
     */
    public static final ObjectMapper JSON = JsonMapper.builder(com.fasterxml.jackson.core.JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .addModule(new com.fasterxml.jackson.databind.module.SimpleModule("finite-numbers")
                    .addDeserializer(Double.class, new FiniteDouble())
                    .addDeserializer(double.class, new FiniteDouble())
                    .addDeserializer(Object.class, new FiniteUntyped()))
            .disable(com.fasterxml.jackson.databind.SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .findAndAddModules()
            .build();

    private Mapper() {
    }

    private static com.fasterxml.jackson.databind.JsonMappingException notFinite(com.fasterxml.jackson.core.JsonParser p,
            com.fasterxml.jackson.databind.DeserializationContext ctxt) throws java.io.IOException {
        return com.fasterxml.jackson.databind.exc.InvalidFormatException.from(p, "number " + p.getText()
                + " is out of range: JSON numbers here must be finite doubles (at most about 1.8e308)", p.getText(), Double.class);
    }

    /** A double that refuses what would be Infinity. */
    private static final class FiniteDouble extends com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer<Double> {
        private final com.fasterxml.jackson.databind.deser.std.NumberDeserializers.DoubleDeserializer inner =
                new com.fasterxml.jackson.databind.deser.std.NumberDeserializers.DoubleDeserializer(Double.class, null);

        FiniteDouble() {
            super(Double.class);
        }

        @Override
        public Double deserialize(com.fasterxml.jackson.core.JsonParser p, com.fasterxml.jackson.databind.DeserializationContext ctxt)
                throws java.io.IOException {
            Double d = inner.deserialize(p, ctxt);
            if (d != null && !Double.isFinite(d)) {
                throw notFinite(p, ctxt);
            }
            return d;
        }
    }

    /** Untyped values (labels, facts trees) with the same check on each float. */
    private static final class FiniteUntyped extends com.fasterxml.jackson.databind.deser.std.UntypedObjectDeserializer {
        @SuppressWarnings("deprecation")
        FiniteUntyped() {
            super();
        }

        @Override
        public Object deserialize(com.fasterxml.jackson.core.JsonParser p, com.fasterxml.jackson.databind.DeserializationContext ctxt)
                throws java.io.IOException {
            if (p.currentToken() == com.fasterxml.jackson.core.JsonToken.VALUE_NUMBER_FLOAT && !Double.isFinite(p.getDoubleValue())) {
                throw notFinite(p, ctxt);
            }
            return super.deserialize(p, ctxt);
        }
    }

    public static String write(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A label column back as a map. */
    public static Map<String, String> labels(String json) {
        try {
            return JSON.readValue(json, new TypeReference<Map<String, String>>() { });
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored labels are not JSON: " + e.getMessage(), e);
        }
    }

    /** A JSON column back as a tree (maps, lists, values) for responses. */
    public static Object tree(String json) {
        if (json == null) {
            return null;
        }
        try {
            return JSON.readValue(json, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored document is not JSON: " + e.getMessage(), e);
        }
    }
}
