package dev.chameleon.server.service;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** What names and labels may look like; refusals say which field and what is allowed. */
public final class Names {
    /** Policy sets and assignments: like Kubernetes names. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final Pattern LABEL_KEY = Pattern.compile("[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?");
    /** Most labels on one agent or token. */
    public static final int MAX_LABELS = 32;

    private Names() {
    }

    /** Checks a policy-set or assignment name. */
    public static String name(String field, String value) {
        if (value == null || !NAME.matcher(value).matches()) {
            throw ApiException.invalid(field + " must be 1 to 63 of a-z 0-9 -, starting and ending with a letter or digit, got '"
                    + shorten(value) + "'");
        }
        return value;
    }

    /** Checks a free-text field (token names, comments): printable, bounded. */
    public static String text(String field, String value, int max, boolean required) {
        if (value == null || value.isBlank()) {
            if (required) {
                throw ApiException.invalid(field + " is required");
            }
            return "";
        }
        if (value.length() > max) {
            throw ApiException.invalid(field + " is " + value.length() + " characters long; at most " + max);
        }
        if (value.chars().anyMatch(ch -> ch < 0x20 && ch != '\t')) {
            throw ApiException.invalid(field + " contains control characters");
        }
        return value;
    }

    /** Checks labels: at most {@value #MAX_LABELS}, keys like {@code ring} or {@code team/web}, values of a-z A-Z 0-9 . _ -. */
    public static Map<String, String> labels(String field, Map<String, ?> labels) {
        Map<String, String> out = new LinkedHashMap<>();
        if (labels == null) {
            return out;
        }
        if (labels.size() > MAX_LABELS) {
            throw ApiException.invalid(field + " has " + labels.size() + " labels; at most " + MAX_LABELS);
        }
        for (Map.Entry<String, ?> e : labels.entrySet()) {
            if (!LABEL_KEY.matcher(e.getKey()).matches()) {
                throw ApiException.invalid(field + " key '" + shorten(e.getKey())
                        + "' must be 1 to 63 of a-z 0-9 . _ / -, starting and ending with a letter or digit");
            }
            if (!(e.getValue() instanceof String v) || !LABEL_VALUE.matcher(v).matches()) {
                throw ApiException.invalid(field + "." + e.getKey() + " must be a string of at most 63 of A-Z a-z 0-9 . _ -, got '"
                        + shorten(String.valueOf(e.getValue())) + "'");
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    static String shorten(String s) {
        if (s == null) {
            return "";
        }
        return s.length() > 80 ? s.substring(0, 77) + "..." : s;
    }
}
