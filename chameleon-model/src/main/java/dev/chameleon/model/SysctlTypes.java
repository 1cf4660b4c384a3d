package dev.chameleon.model;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the kernel documents about a sysctl's values, and the form the kernel prints them in: the
 * one place policy validation (refuse {@code somaxconn: -5} before it reaches the kernel) and the
 * sysctl actuator (compare {@code 8080,8081,8082} with the kernel's {@code 8080-8082}) read it.
 *
 * <p>The types come from the data file {@code sysctl-types.tsv} beside this class, each line citing
 * the kernel document it is taken from ({@code Documentation/admin-guide/sysctl/*.rst},
 * {@code Documentation/networking/ip-sysctl.rst}). A name not listed there has no type: its values
 * are checked by the kernel only.
 *
 * <p>Names are in the dotted form (see {@link #dotted}): a dot inside one part, such as the
 * interface {@code v0.10}, is written {@code /} as sysctl(8) does ({@code net.ipv4.conf.v0/10.rp_filter}).
 */
public final class SysctlTypes {
    /** Largest port number; a {@code ports} value lists ports from 0 to this. */
    private static final int MAX_PORT = 65535;

    /**
     * One documented type.
     *
     * @param pattern dotted name; a part {@code *} stands for any one part (an interface name)
     * @param type    {@code int}, {@code bool}, {@code ints}, {@code range}, {@code ports},
     *                {@code write-only} or {@code read-only}
     * @param count   how many numbers an {@code ints} value has; 1 for {@code int}/{@code bool},
     *                2 for {@code range}, 0 otherwise
     * @param min     least value of each number, or null for none
     * @param max     greatest value of each number, or null for none
     * @param source  the kernel document (or source file) this type is taken from
     */
    public record Type(String pattern, String type, int count, Long min, Long max, String source) {
        /** True for a trigger that has no value to read back ({@code net.ipv4.route.flush}). */
        public boolean writeOnly() {
            return type.equals("write-only");
        }

        /** True for a value the kernel reports and never takes ({@code kernel.osrelease}). */
        public boolean readOnly() {
            return type.equals("read-only");
        }

        /** True when the value is whole numbers ({@code int}, {@code bool}, {@code ints}, {@code range}). */
        public boolean numeric() {
            return count > 0;
        }
    }

    private static final List<Type> TYPES = load();

    private SysctlTypes() {
    }

    /** Every documented type, in the data file's order. */
    public static List<Type> all() {
        return TYPES;
    }

    /**
     * The documented type of a sysctl, by its dotted name ({@code net.ipv4.conf.eth0.rp_filter}
     * matches {@code net.ipv4.conf.*.rp_filter}); empty when the name is not documented here.
     */
    public static Optional<Type> of(String name) {
        String[] parts = name.split("\\.", -1);
        for (Type t : TYPES) {
            String[] p = t.pattern().split("\\.", -1);
            if (p.length != parts.length) {
                continue;
            }
            boolean ok = true;
            for (int i = 0; i < p.length && ok; i++) {
                ok = p[i].equals("*") ? !parts[i].isEmpty() : p[i].equals(parts[i]);
            }
            if (ok) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /**
     * sysctl(8)'s key convention: a name whose first separator is {@code /}
     * ({@code net/ipv4/conf/v0.10/rp_filter}) is turned into the dotted form by swapping the two
     * characters ({@code net.ipv4.conf.v0/10.rp_filter}); a dotted name is returned as it is.
     */
    public static String dotted(String key) {
        int dot = key.indexOf('.');
        int slash = key.indexOf('/');
        if (slash < 0 || dot >= 0 && dot < slash) {
            return key;
        }
        return swap(key);
    }

    /**
     * The file under {@code /proc/sys} of a dotted name: dots become {@code /} and a {@code /}
     * inside a part becomes a dot ({@code net.ipv4.conf.v0/10.rp_filter} →
     * {@code net/ipv4/conf/v0.10/rp_filter}).
     */
    public static String path(String dottedName) {
        return swap(dottedName);
    }

    private static String swap(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            b.append(c == '.' ? '/' : c == '/' ? '.' : c);
        }
        return b.toString();
    }

    /**
     * Why the kernel's documentation refuses {@code value} for sysctl {@code name}, in words
     * naming the document ({@code "net.core.somaxconn takes a whole number ... found '1.5'"}); empty
     * when the value fits the documented type or the name has no documented type. A relative
     * value ({@code >=N}, {@code <=N}) is checked by its number.
     */
    public static Optional<String> refusal(String name, String value) {
        Optional<Type> t = of(name);
        if (t.isEmpty()) {
            return Optional.empty();
        }
        Type type = t.get();
        String cite = " (" + type.source() + ")";
        if (type.writeOnly()) {
            return Optional.of(name + " is a write-only trigger: writing it acts once and there is no value to read back, "
                    + "so a policy cannot hold it at a value; run it from a service or a hook instead" + cite);
        }
        if (type.readOnly()) {
            return Optional.of(name + " is read-only: the kernel reports it and takes no value" + cite);
        }
        String v = value.strip();
        if (SettingEncodings.isRelative(v)) {
            if (type.count() != 1) {
                return Optional.of(name + " is " + describe(type) + "; atLeast/atMost take one number" + cite);
            }
            v = v.substring(2).strip();
        }
        if (type.type().equals("ports")) {
            return ports(v).isPresent() ? Optional.empty()
                    : Optional.of(name + " takes a comma-separated list of ports and port ranges from 0 to " + MAX_PORT
                    + " (such as 8080,9000-9010), found '" + value + "'" + cite);
        }
        if (!type.numeric()) {
            return Optional.empty();
        }
        String[] words = v.isEmpty() ? new String[0] : v.split("\\s+");
        if (words.length != type.count()) {
            return Optional.of(name + " is " + describe(type) + ", found '" + value + "'" + cite);
        }
        long[] n = new long[words.length];
        for (int i = 0; i < words.length; i++) {
            String w = words[i];
            if (w.matches("[+-]?0[xX][0-9a-fA-F]+|[+-]?0[0-7]+")) {
                return Optional.of(name + ": '" + w + "' is read by the kernel as " + (w.toLowerCase().contains("x") ? "a hexadecimal" : "an octal")
                        + " number and printed in decimal; write the decimal number" + cite);
            }
            if (!w.matches("-?\\d{1,19}")) {
                return Optional.of(name + " is " + describe(type) + ", found '" + value + "'" + cite);
            }
            try {
                n[i] = Long.parseLong(w);
            } catch (NumberFormatException e) {
                return Optional.of(name + " is " + describe(type) + ", found '" + value + "' (too large)" + cite);
            }
            if (type.min() != null && n[i] < type.min() || type.max() != null && n[i] > type.max()) {
                return Optional.of(name + " is " + describe(type) + ", found '" + value + "'" + cite);
            }
        }
        if (type.type().equals("range") && n[0] > n[1]) {
            return Optional.of(name + " is " + describe(type) + "; the first must not be above the second, found '" + value + "'" + cite);
        }
        return Optional.empty();
    }

    /** The type in words: "a whole number from 0 to 2", "0 or 1", "3 whole numbers of at least 1". */
    public static String describe(Type t) {
        String bounds = t.min() != null && t.max() != null ? " from " + t.min() + " to " + t.max()
                : t.min() != null ? " of at least " + t.min() : t.max() != null ? " of at most " + t.max() : "";
        return switch (t.type()) {
            case "bool" -> "0 or 1";
            case "int" -> "a whole number" + bounds;
            case "range" -> "two whole numbers" + bounds + ", low and high";
            case "ints" -> t.count() + " whole numbers" + bounds;
            case "ports" -> "a list of ports and port ranges";
            default -> t.type();
        };
    }

    /**
     * The value as the kernel prints it, blanks collapsed: a {@code ports} list sorted, merged and
     * with consecutive ports as ranges ({@code "8082,8080, 8081"} → {@code "8080-8082"}); other
     * values (and a list that does not parse) with runs of blanks as one space. Pure.
     */
    public static String canonical(String name, String value) {
        String v = value.strip().replaceAll("\\s+", " ");
        Optional<Type> t = of(name);
        if (t.isPresent() && t.get().type().equals("ports") && !SettingEncodings.isRelative(v)) {
            return ports(v).orElse(v);
        }
        return v;
    }

    /** A list of ports and ranges in the kernel's form, or empty when it does not parse. */
    private static Optional<String> ports(String v) {
        String s = v.replace(" ", "");
        if (s.isEmpty()) {
            return Optional.of("");
        }
        TreeMap<Integer, Integer> ranges = new TreeMap<>();
        for (String item : s.split(",", -1)) {
            String[] ab = item.split("-", -1);
            if (ab.length > 2 || !ab[0].matches("\\d{1,5}") || ab.length == 2 && !ab[1].matches("\\d{1,5}")) {
                return Optional.empty();
            }
            int a = Integer.parseInt(ab[0]);
            int b = ab.length == 2 ? Integer.parseInt(ab[1]) : a;
            if (a > MAX_PORT || b > MAX_PORT || b < a) {
                return Optional.empty();
            }
            ranges.merge(a, b, Math::max);
        }
        List<int[]> merged = new ArrayList<>();
        for (var e : ranges.entrySet()) {
            int[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
            if (last != null && e.getKey() <= last[1] + 1) {
                last[1] = Math.max(last[1], e.getValue());
            } else {
                merged.add(new int[] {e.getKey(), e.getValue()});
            }
        }
        List<String> out = new ArrayList<>();
        for (int[] r : merged) {
            out.add(r[0] == r[1] ? String.valueOf(r[0]) : r[0] + "-" + r[1]);
        }
        return Optional.of(String.join(",", out));
    }

    private static List<Type> load() {
        InputStream in = SysctlTypes.class.getResourceAsStream("sysctl-types.tsv");
        if (in == null) {
            throw new IllegalStateException("sysctl-types.tsv is missing from the model module");
        }
        List<Type> out = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] c = line.split("\t", -1);
                if (c.length != 5) {
                    throw new IllegalStateException("sysctl-types.tsv:" + no + ": expected 5 tab-separated columns, found " + c.length);
                }
                String type = c[1];
                int count;
                if (type.startsWith("ints:")) {
                    count = Integer.parseInt(type.substring(5));
                    type = "ints";
                } else {
                    count = switch (type) {
                        case "int", "bool" -> 1;
                        case "range" -> 2;
                        case "ports", "write-only", "read-only" -> 0;
                        default -> throw new IllegalStateException("sysctl-types.tsv:" + no + ": unknown type '" + type + "'");
                    };
                }
                out.add(new Type(c[0], type, count, c[2].equals("-") ? null : Long.valueOf(c[2]),
                        c[3].equals("-") ? null : Long.valueOf(c[3]), c[4]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(out);
    }
}
