package dev.chameleon.model.json;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Typed access to a plain-value tree read by {@link Json#read}, for the codecs; a wrong shape names the field. */
final class Fields {
    private Fields() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object v, String what) {
        if (!(v instanceof Map<?, ?>)) {
            throw new IllegalArgumentException(what + ": expected an object, found " + shape(v));
        }
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object v, String what) {
        if (!(v instanceof List<?>)) {
            throw new IllegalArgumentException(what + ": expected a list, found " + shape(v));
        }
        return (List<Object>) v;
    }

    static String text(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException(k + ": expected a string, found " + shape(v));
        }
        return s;
    }

    static String optText(Map<String, Object> m, String k) {
        return m.get(k) == null ? null : text(m, k);
    }

    static long number(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (!(v instanceof Long l)) {
            throw new IllegalArgumentException(k + ": expected a whole number, found " + shape(v));
        }
        return l;
    }

    static Long optNumber(Map<String, Object> m, String k) {
        return m.get(k) == null ? null : number(m, k);
    }

    static boolean bool(Map<String, Object> m, String k) {
        Object v = m.get(k);
        if (!(v instanceof Boolean b)) {
            throw new IllegalArgumentException(k + ": expected true or false, found " + shape(v));
        }
        return b;
    }

    static List<String> texts(Map<String, Object> m, String k) {
        List<String> out = new ArrayList<>();
        for (Object o : list(m.get(k), k)) {
            if (!(o instanceof String s)) {
                throw new IllegalArgumentException(k + "[]: expected a string, found " + shape(o));
            }
            out.add(s);
        }
        return out;
    }

    static String shape(Object v) {
        if (v == null) {
            return "nothing";
        }
        if (v instanceof Map<?, ?>) {
            return "an object";
        }
        if (v instanceof List<?>) {
            return "a list";
        }
        return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
    }
}
