package dev.chameleon.sensors.platform;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Pure parsers for CPU-related sources: /proc/cpuinfo, lscpu, /proc/sysinfo (s390), lparstat. */
public final class CpuParsers {
    private CpuParsers() {
    }

    /**
     * The parts of /proc/cpuinfo the platform sensor uses.
     *
     * @param fields       first value of each key, keys lower-cased ({@code vendor_id}, {@code model name})
     * @param flags        the CPU flags of the first processor ({@code flags} on x86, {@code features} elsewhere)
     * @param hasFlagsLine whether an x86-style {@code flags} list was present
     */
    public record Cpuinfo(Map<String, String> fields, Set<String> flags, boolean hasFlagsLine) {
        public String get(String key) {
            return fields.getOrDefault(key, "");
        }
    }

    public static Cpuinfo parseCpuinfo(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        Set<String> flags = new LinkedHashSet<>();
        boolean hasFlags = false;
        for (String raw : (text == null ? "" : text).split("\r?\n")) {
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                // some captures are a bare flag list
                List<String> words = List.of(line.split("\\s+"));
                if (!hasFlags && words.contains("fpu") && words.size() > 3) {
                    flags.addAll(words);
                    hasFlags = true;
                }
                continue;
            }
            String key = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).strip();
            fields.putIfAbsent(key, value);
            if (key.equals("flags") && !hasFlags) {
                flags.addAll(List.of(value.split("\\s+")));
                hasFlags = true;
            }
        }
        return new Cpuinfo(fields, flags, hasFlags);
    }

    /** lscpu's "Key: value" lines, keys as printed ({@code Hypervisor vendor}, {@code Flags}). */
    public static Map<String, String> parseLscpu(String text) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String raw : (text == null ? "" : text).split("\r?\n")) {
            int colon = raw.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            out.putIfAbsent(raw.substring(0, colon).strip(), raw.substring(colon + 1).strip());
        }
        return out;
    }

    /**
     * The virtualization levels of an s390 /proc/sysinfo, innermost first: the values of
     * {@code VMnn Control Program} ({@code z/VM 6.1.0}, {@code KVM/Linux}); empty for an LPAR.
     */
    public static List<String> parseSysinfoLevels(String text) {
        List<String> out = new ArrayList<>();
        for (String raw : (text == null ? "" : text).split("\r?\n")) {
            String line = raw.strip();
            if (line.matches("VM\\d\\d Control Program:.*")) {
                out.add(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        return out;
    }

    /** True when /proc/sysinfo shows an LPAR ("LPAR Name:"). */
    public static boolean sysinfoHasLpar(String text) {
        return text != null && text.lines().anyMatch(l -> l.strip().startsWith("LPAR Name:"));
    }
}
