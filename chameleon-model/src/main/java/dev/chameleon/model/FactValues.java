package dev.chameleon.model;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Helpers for the plain-value trees that facts are made of. */
public final class FactValues {
    private FactValues() {
    }

    /**
     * Deep-copies a value into an unmodifiable plain tree. Integers widen to {@link Long},
     * floats to {@link Double}.
     *
     * @throws IllegalArgumentException naming the path when a value is not a plain value
     */
    public static Object deepCopy(Object v, String path) {
        if (v == null) {
            throw new IllegalArgumentException("fact " + path + " is null; leave an absent fact out instead");
        }
        if (v instanceof String || v instanceof Long || v instanceof Double || v instanceof Boolean) {
            return v;
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        if (v instanceof Float f) {
            return f.doubleValue();
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String k)) {
                    throw new IllegalArgumentException("fact " + path + " has a non-string key " + e.getKey());
                }
                if (e.getValue() == null) {
                    continue;
                }
                out.put(k, deepCopy(e.getValue(), path.isEmpty() ? k : path + "." + k));
            }
            return Collections.unmodifiableMap(out);
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) {
                if (l.get(i) != null) {
                    out.add(deepCopy(l.get(i), path + "." + i));
                }
            }
            return Collections.unmodifiableList(out);
        }
        throw new IllegalArgumentException("fact " + path + " has unsupported type " + v.getClass().getName());
    }

    static void flatten(String prefix, Object v, List<Map.Entry<String, Object>> out) {
        if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                out.add(new AbstractMap.SimpleImmutableEntry<>(prefix, v));
            }
            for (Map.Entry<?, ?> e : m.entrySet()) {
                flatten(prefix.isEmpty() ? (String) e.getKey() : prefix + "." + e.getKey(), e.getValue(), out);
            }
        } else if (v instanceof List<?> l && !l.isEmpty() && (l.get(0) instanceof Map || l.get(0) instanceof List)) {
            for (int i = 0; i < l.size(); i++) {
                flatten(prefix + "." + i, l.get(i), out);
            }
        } else {
            out.add(new AbstractMap.SimpleImmutableEntry<>(prefix, v));
        }
    }
}
