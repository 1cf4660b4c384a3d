package dev.chameleon.sensors.platform;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Pure parsers for DMI/SMBIOS data: {@code dmidecode} text and raw SMBIOS structures. */
public final class DmiParsers {
    private DmiParsers() {
    }

    /**
     * The identity strings of a dmidecode dump.
     *
     * @param fields              normalized field name ({@code sys_vendor}, {@code bios_version},
     *                            {@code chassis_asset_tag}, ... as in /sys/class/dmi/id) to value
     * @param biosCharacteristics the lines listed under the BIOS characteristics
     * @param sections            which of {@code bios}, {@code system}, {@code board}, {@code chassis} were present
     */
    public record Dmidecode(Map<String, String> fields, List<String> biosCharacteristics, List<String> sections) {
        public boolean isEmpty() {
            return sections.isEmpty();
        }
    }

    /**
     * Parses {@code dmidecode} output. Tolerant of tabs or spaces, of missing indentation, and of
     * the old 2.x format ("System Information Block" with "Vendor:"/"Product:").
     */
    public static Dmidecode parseDmidecode(String text) {
        Map<String, String> fields = new LinkedHashMap<>();
        List<String> characteristics = new ArrayList<>();
        List<String> sections = new ArrayList<>();
        String section = null;
        boolean inCharacteristics = false;
        if (text == null) {
            text = "";
        }
        for (String raw : text.split("\r?\n")) {
            String line = raw.strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("Handle ") || line.startsWith("DMI type") || line.startsWith("#")) {
                section = line.startsWith("Handle ") ? null : section;
                inCharacteristics = false;
                continue;
            }
            String title = sectionOf(line);
            if (title != null) {
                section = title;
                inCharacteristics = false;
                if (!sections.contains(title)) {
                    sections.add(title);
                }
                continue;
            }
            if (section == null) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon < 0) {
                if (inCharacteristics && section.equals("bios")) {
                    characteristics.add(line);
                }
                continue;
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            if (value.isEmpty() && (key.equals("Characteristics") || key.equals("Characteristics Extension")
                    || key.equals("Capabilities"))) {
                inCharacteristics = true;
                continue;
            }
            if (inCharacteristics && section.equals("bios") && raw.startsWith("\t\t")) {
                characteristics.add(line);
                continue;
            }
            inCharacteristics = false;
            String name = fieldName(section, key);
            if (name != null && !fields.containsKey(name)) {
                fields.put(name, value);
            }
        }
        return new Dmidecode(fields, List.copyOf(characteristics), List.copyOf(sections));
    }

    private static String sectionOf(String line) {
        if (line.contains(":")) {
            return null;
        }
        String l = line.toLowerCase(Locale.ROOT);
        if (l.startsWith("bios information")) {
            return "bios";
        }
        if (l.startsWith("system information")) {
            return "system";
        }
        if (l.startsWith("base board information") || l.startsWith("board information")) {
            return "board";
        }
        if (l.startsWith("chassis information")) {
            return "chassis";
        }
        if (l.endsWith("information") || l.endsWith("information block") || l.startsWith("end of table")
                || l.startsWith("oem") || l.contains(" device") || l.startsWith("inactive")) {
            return "other";
        }
        return null;
    }

    private static String fieldName(String section, String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return switch (section) {
            case "bios" -> switch (k) {
                case "vendor" -> "bios_vendor";
                case "version" -> "bios_version";
                default -> null;
            };
            case "system" -> switch (k) {
                case "manufacturer", "vendor" -> "sys_vendor";
                case "product name", "product" -> "product_name";
                case "version" -> "product_version";
                case "serial number" -> "product_serial";
                case "uuid" -> "product_uuid";
                case "family" -> "product_family";
                default -> null;
            };
            case "board" -> switch (k) {
                case "manufacturer", "vendor" -> "board_vendor";
                case "product name", "product" -> "board_name";
                case "asset tag" -> "board_asset_tag";
                default -> null;
            };
            case "chassis" -> switch (k) {
                case "manufacturer", "vendor" -> "chassis_vendor";
                case "version" -> "chassis_version";
                case "asset tag" -> "chassis_asset_tag";
                default -> null;
            };
            default -> null;
        };
    }

    /**
     * The strings of a raw SMBIOS type 1 (System Information) structure as in
     * {@code /sys/firmware/dmi/entries/1-0/raw}: manufacturer, product, version, serial.
     * Returns an empty map when the bytes are not such a structure.
     */
    public static Map<String, String> parseRawSystemEntry(byte[] raw) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw == null || raw.length < 8 || (raw[0] & 0xff) != 1) {
            return out;
        }
        int formatted = raw[1] & 0xff;
        if (formatted < 8 || formatted > raw.length) {
            return out;
        }
        List<String> strings = new ArrayList<>();
        int i = formatted;
        while (i < raw.length) {
            int start = i;
            while (i < raw.length && raw[i] != 0) {
                i++;
            }
            if (i == start) {
                break;
            }
            strings.add(new String(raw, start, i - start, StandardCharsets.ISO_8859_1));
            i++;
        }
        String[] names = {"sys_vendor", "product_name", "product_version", "product_serial"};
        for (int f = 0; f < names.length; f++) {
            int idx = raw[4 + f] & 0xff;
            if (idx >= 1 && idx <= strings.size()) {
                out.put(names[f], strings.get(idx - 1).strip());
            }
        }
        return out;
    }

    /** True for DMI placeholder values that say nothing ("Not Specified", "To be filled by O.E.M.", "--"). */
    public static boolean isPlaceholder(String v) {
        if (v == null) {
            return true;
        }
        String s = v.strip().toLowerCase(Locale.ROOT);
        return s.isEmpty() || s.equals("--") || s.equals("none") || s.equals("not specified")
                || s.equals("not applicable") || s.equals("n/a") || s.startsWith("to be filled by o.e.m")
                || s.equals("default string") || s.equals("system product name") || s.equals("system manufacturer")
                || s.equals("0") || s.equals("unknown") || s.matches("[0-]+") || s.equals("0123456789");
    }
}
