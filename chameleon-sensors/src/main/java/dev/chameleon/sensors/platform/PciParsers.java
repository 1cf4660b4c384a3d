package dev.chameleon.sensors.platform;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Pure parsers for PCI identity sources. */
public final class PciParsers {
    private PciParsers() {
    }

    /** "vvvv:dddd" ids of /proc/bus/pci/devices (second column: vendor and device, 8 hex digits). */
    public static List<String> procBusPciIds(String text) {
        List<String> out = new ArrayList<>();
        for (String raw : (text == null ? "" : text).split("\r?\n")) {
            String[] cols = raw.strip().split("\\s+");
            if (cols.length >= 2 && cols[1].matches("[0-9a-fA-F]{8}")) {
                String id = cols[1].toLowerCase(Locale.ROOT);
                out.add(id.substring(0, 4) + ":" + id.substring(4));
            }
        }
        return out;
    }

    /** A sysfs id value ("0x15ad\n") as four lower-case hex digits, or empty when it is not one. */
    public static String sysfsId(String text) {
        if (text == null) {
            return "";
        }
        String s = text.strip().toLowerCase(Locale.ROOT);
        if (s.startsWith("0x")) {
            s = s.substring(2);
        }
        return s.matches("[0-9a-f]{4}") ? s : "";
    }
}
