package dev.chameleon.sensors.platform;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A string test written compactly in the signature file: {@code "VMware, Inc."} (equal, ignoring
 * case and surrounding blanks), {@code "prefix:Parallels"}, {@code "suffix:.brightbox.com"},
 * {@code "contains:amazon"}, or {@code "re:^[a-z0-9-]+\\.metal$"} (a regular expression searched
 * anywhere, ignoring case).
 */
public final class Match {
    private enum Kind { EQUALS, PREFIX, SUFFIX, CONTAINS, REGEX }

    private final Kind kind;
    private final String text;
    private final Pattern regex;
    private final String spec;

    private Match(Kind kind, String text, String spec) {
        this.kind = kind;
        this.spec = spec;
        this.text = kind == Kind.REGEX ? text : text.toLowerCase(Locale.ROOT);
        this.regex = kind == Kind.REGEX ? Pattern.compile(text, Pattern.CASE_INSENSITIVE | Pattern.MULTILINE) : null;
    }

    public static Match parse(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("empty match");
        }
        if (spec.startsWith("re:")) {
            return new Match(Kind.REGEX, spec.substring(3), spec);
        }
        if (spec.startsWith("prefix:")) {
            return new Match(Kind.PREFIX, spec.substring(7), spec);
        }
        if (spec.startsWith("suffix:")) {
            return new Match(Kind.SUFFIX, spec.substring(7), spec);
        }
        if (spec.startsWith("contains:")) {
            return new Match(Kind.CONTAINS, spec.substring(9), spec);
        }
        if (spec.startsWith("equals:")) {
            return new Match(Kind.EQUALS, spec.substring(7).strip(), spec);
        }
        return new Match(Kind.EQUALS, spec.strip(), spec);
    }

    public boolean test(String value) {
        if (value == null) {
            return false;
        }
        if (kind == Kind.REGEX) {
            return regex.matcher(value).find();
        }
        String v = value.toLowerCase(Locale.ROOT);
        return switch (kind) {
            case EQUALS -> v.strip().equals(text);
            case PREFIX -> v.stripLeading().startsWith(text);
            case SUFFIX -> v.stripTrailing().endsWith(text);
            case CONTAINS -> v.contains(text);
            default -> false;
        };
    }

    @Override
    public String toString() {
        return spec;
    }
}
