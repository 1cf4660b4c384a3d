package dev.chameleon.sensors.platform;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** OEM ids in the headers of the ACPI tables under /sys/firmware/acpi/tables. */
public final class AcpiSignals {
    static final String DIR = "/sys/firmware/acpi/tables";

    private AcpiSignals() {
    }

    public static void read(Probe p) {
        Clues c = p.clues();
        Map<String, List<String>> tablesByOem = new LinkedHashMap<>();
        Map<String, String> firstPath = new LinkedHashMap<>();
        Map<String, List<String>> tableIds = new LinkedHashMap<>();
        int unreadable = 0;
        for (String name : p.list(DIR)) {
            String path = DIR + "/" + name;
            if (p.root().isDirectory(path)) {
                continue;
            }
            Optional<byte[]> bytes = p.bytes(path, AcpiHeader.HEADER_BYTES);
            if (bytes.isEmpty()) {
                unreadable++;
                continue;
            }
            Optional<AcpiHeader> h = AcpiHeader.parse(bytes.get());
            if (h.isEmpty()) {
                continue;
            }
            String oem = h.get().oemId();
            tablesByOem.computeIfAbsent(oem, k -> new ArrayList<>()).add(h.get().signature() + " " + h.get().oemTableId());
            tableIds.computeIfAbsent(oem, k -> new ArrayList<>()).add(h.get().oemTableId());
            firstPath.putIfAbsent(oem, path);
        }
        if (unreadable > 0) {
            c.note("acpi.tables", unreadable + " table(s) unreadable", DIR);
        }
        for (Map.Entry<String, List<String>> e : tablesByOem.entrySet()) {
            String oem = e.getKey();
            String shown = oem + " (" + String.join(", ", e.getValue()) + ")";
            for (Signatures.AcpiRule r : p.tables().acpi()) {
                boolean idOk = r.oemId() == null || Match.parse(r.oemId()).test(oem);
                boolean tableOk = r.oemTableId() == null
                        || tableIds.get(oem).stream().anyMatch(Match.parse(r.oemTableId())::test);
                if (!idOk || !tableOk) {
                    continue;
                }
                for (String s : r.supports()) {
                    c.add("acpi.oem-id", shown, firstPath.get(oem), s, r.weightOr(0.75));
                }
            }
        }
    }
}
