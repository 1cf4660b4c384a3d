package dev.chameleon.sensors.platform;

import dev.chameleon.host.Command;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** PCI vendor and device ids (sysfs, /proc/bus/pci/devices) and {@code lspci}/{@code lshal} text. */
public final class PciSignals {
    static final String SYSFS = "/sys/bus/pci/devices";
    static final String PROC = "/proc/bus/pci/devices";
    static final Command LSPCI = Command.of("lspci");
    static final Command LSHAL = Command.of("lshal");

    private PciSignals() {
    }

    public static void read(Probe p) {
        Map<String, String> ids = new LinkedHashMap<>(); // vvvv:dddd -> where seen first
        for (String dev : p.list(SYSFS)) {
            String base = SYSFS + "/" + dev;
            String v = PciParsers.sysfsId(p.read(base + "/vendor").text());
            String d = PciParsers.sysfsId(p.read(base + "/device").text());
            if (!v.isEmpty()) {
                ids.putIfAbsent(v + ":" + d, base + "/vendor");
            }
        }
        if (ids.isEmpty()) {
            p.text(PROC, "pci.proc").ifPresent(t -> PciParsers.procBusPciIds(t).forEach(id -> ids.putIfAbsent(id, PROC)));
        }
        idClues(p, ids);
        p.output(LSPCI).ifPresent(t -> textClues(p, t, "lspci", Probe.source(LSPCI)));
        p.output(LSHAL).ifPresent(t -> textClues(p, t, "lshal", Probe.source(LSHAL)));
    }

    static void idClues(Probe p, Map<String, String> ids) {
        Clues c = p.clues();
        Map<String, List<String>> byVendor = new LinkedHashMap<>();
        for (String id : ids.keySet()) {
            byVendor.computeIfAbsent(id.substring(0, 4), k -> new ArrayList<>()).add(id);
        }
        for (Map.Entry<String, List<String>> e : byVendor.entrySet()) {
            Signatures.PciId known = p.tables().pciVendors().get(e.getKey());
            if (known != null) {
                String shown = "0x" + e.getKey() + " " + known.name() + " (" + e.getValue().size() + " device id(s): "
                        + String.join(", ", e.getValue()) + ")";
                for (String s : known.supports()) {
                    c.add("pci.vendor", shown, ids.get(e.getValue().get(0)), s, known.weightOr(0.7));
                }
            }
        }
        for (String id : ids.keySet()) {
            Signatures.PciId known = p.tables().pciDevices().get(id);
            if (known != null) {
                for (String s : known.supports()) {
                    c.add("pci.device", id + " " + known.name(), ids.get(id), s, known.weightOr(0.6));
                }
            }
        }
    }

    static void textClues(Probe p, String text, String what, String source) {
        Clues c = p.clues();
        for (Signatures.TextRule r : p.tables().lspci()) {
            Match m = Match.parse(r.match());
            Optional<String> line = text.lines().filter(m::test).findFirst();
            if (line.isPresent()) {
                for (String s : r.supports()) {
                    c.add(what + ".line", line.get().strip(), source, s, r.weightOr(0.7));
                }
            }
        }
    }
}
