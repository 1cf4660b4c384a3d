package dev.chameleon.sensors.platform;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads the firmware identity (SMBIOS/DMI) from sysfs, {@code dmidecode}, {@code dmidecode -s
 * system-manufacturer} and the raw type-1 entry, and applies the {@code dmi} signature rules.
 */
public final class DmiSignals {
    static final String SYSFS = "/sys/class/dmi/id/";
    static final List<String> SYSFS_FIELDS = List.of("sys_vendor", "product_name", "product_version",
            "product_serial", "product_uuid", "product_family", "bios_vendor", "bios_version", "board_vendor",
            "board_name", "board_asset_tag", "chassis_vendor", "chassis_version", "chassis_asset_tag");
    static final Command DMIDECODE = Command.of("dmidecode");
    static final Command DMIDECODE_MANUFACTURER = Command.of("dmidecode", "-s", "system-manufacturer");
    static final String RAW_TYPE1 = "/sys/firmware/dmi/entries/1-0/raw";
    static final String DMI_TABLES = "/sys/firmware/dmi/tables/DMI";

    /** The DMI strings found, by normalized field name, with where each came from. */
    public record DmiData(Map<String, String> values, Map<String, String> sources) {
        public String get(String field) {
            return values.getOrDefault(field, "");
        }

        public boolean has(String field) {
            return values.containsKey(field) && !DmiParsers.isPlaceholder(values.get(field));
        }
    }

    private DmiSignals() {
    }

    public static DmiData read(Probe p) {
        Map<String, String> values = new LinkedHashMap<>();
        Map<String, String> sources = new LinkedHashMap<>();
        Clues c = p.clues();
        int sysfsCount = 0;
        for (String f : SYSFS_FIELDS) {
            Optional<String> t = p.text(SYSFS + f, "dmi." + f);
            if (t.isPresent()) {
                String v = sanitize(t.get());
                values.put(f, v);
                sources.put(f, SYSFS + f);
                sysfsCount++;
            }
        }
        // On the live machine, dmidecode reads /sys/firmware/dmi/tables or else /dev/mem; with
        // neither (containers, Firecracker) it can only fail, so it is not started (saves a spawn).
        boolean noTables = p.root().isLive() && !p.exists(DMI_TABLES) && !p.exists("/dev/mem");
        CommandResult dd = noTables ? CommandResult.notAvailable(Probe.source(DMIDECODE), "no SMBIOS tables")
                : p.run(DMIDECODE);
        if (noTables) {
            c.note("dmi.dmidecode", "not run: no " + DMI_TABLES + " and no /dev/mem", Probe.source(DMIDECODE));
        }
        boolean fullDump = false;
        if (dd.status() == CommandResult.Status.RAN) {
            DmiParsers.Dmidecode parsed = DmiParsers.parseDmidecode(dd.stdout());
            if (parsed.isEmpty()) {
                c.note("dmi.dmidecode", dd.stdout().isBlank() ? "no output, exit " + dd.exitCode()
                        : firstLine(dd.stdout()), Probe.source(DMIDECODE));
            } else {
                fullDump = parsed.sections().contains("system") && parsed.sections().contains("bios");
                parsed.fields().forEach((k, v) -> {
                    if (!values.containsKey(k)) {
                        values.put(k, sanitize(v));
                        sources.put(k, Probe.source(DMIDECODE));
                    }
                });
                if (!parsed.biosCharacteristics().isEmpty()) {
                    values.put("bios_characteristics", String.join("; ", parsed.biosCharacteristics()));
                    sources.put("bios_characteristics", Probe.source(DMIDECODE));
                }
            }
        }
        if (!values.containsKey("sys_vendor") && !noTables) {
            p.output(DMIDECODE_MANUFACTURER).map(DmiSignals::sanitize).filter(s -> !s.isEmpty()).ifPresent(v -> {
                values.put("sys_vendor", v);
                sources.put("sys_vendor", Probe.source(DMIDECODE_MANUFACTURER));
            });
        }
        p.bytes(RAW_TYPE1, 4096).map(DmiParsers::parseRawSystemEntry).ifPresent(m -> m.forEach((k, v) -> {
            if (!values.containsKey(k)) {
                values.put(k, sanitize(v));
                sources.put(k, RAW_TYPE1);
            }
        }));
        if (values.isEmpty() && !p.exists("/sys/class/dmi")) {
            c.note("dmi", "no DMI: /sys/class/dmi absent" + (dd.status() == CommandResult.Status.RAN ? "" : ", dmidecode not available"),
                    SYSFS);
        }
        c.dmiSystemSeen = values.keySet().stream().anyMatch(k -> k.startsWith("sys_") || k.startsWith("product_")
                || k.startsWith("bios_") || k.startsWith("chassis_") || k.startsWith("board_"));
        c.dmiFull = fullDump || sysfsCount >= 6;
        DmiData data = new DmiData(values, sources);
        applyRules(p, data);
        return data;
    }

    /** Applies the {@code dmi} table; when no rule names a VM, a full identity is bare-metal evidence. */
    static void applyRules(Probe p, DmiData d) {
        Clues c = p.clues();
        boolean vmMarker = false;
        for (Signatures.DmiRule r : p.tables().dmi()) {
            String firstField = null;
            StringBuilder shown = new StringBuilder();
            boolean all = true;
            for (Map.Entry<String, String> w : r.when().entrySet()) {
                Match m = Match.parse(w.getValue());
                String hit = null;
                for (String f : w.getKey().split("\\|")) {
                    String v = d.values().get(f.strip());
                    if (v != null && m.test(v)) {
                        hit = f.strip();
                        break;
                    }
                }
                if (hit == null) {
                    all = false;
                    break;
                }
                if (firstField == null) {
                    firstField = hit;
                    shown.append(d.get(hit));
                } else {
                    shown.append(" / ").append(hit).append('=').append(d.get(hit));
                }
            }
            if (!all) {
                continue;
            }
            double w = r.weightOr(0.9);
            String source = d.sources().getOrDefault(firstField, SYSFS + firstField);
            String signal = "dmi." + firstField;
            for (String s : r.supports()) {
                c.add(signal, shown.toString(), source, s, w);
                if (s.startsWith("hypervisor=") && !s.equals("hypervisor=none") || s.equals("vm")
                        || s.startsWith("family=") || s.startsWith("vmm=")) {
                    vmMarker = true;
                }
            }
            for (String s : r.ifVm()) {
                c.add(signal, shown.toString(), source, Resolver.IF_VM + s, Math.min(w, 0.7));
            }
        }
        if (!vmMarker && (d.has("sys_vendor") || d.has("product_name")) && c.dmiFull) {
            String f = d.has("sys_vendor") ? "sys_vendor" : "product_name";
            c.add("dmi." + f, d.get(f) + (d.has("product_name") && f.equals("sys_vendor") ? " / " + d.get("product_name") : ""),
                    d.sources().get(f), "hypervisor=none", 0.6);
        } else if (!vmMarker) {
            // a vendor and a product (the system's, else the board's: a Surface's board is
            // "Microsoft Corporation" / "Surface Pro 7+") and no VM marker: weak bare-metal evidence
            String vendor = d.has("sys_vendor") ? "sys_vendor" : d.has("board_vendor") ? "board_vendor" : null;
            String product = d.has("product_name") ? "product_name" : d.has("board_name") ? "board_name" : null;
            if (vendor != null && product != null) {
                c.add("dmi." + vendor, d.get(vendor) + " / " + d.get(product), d.sources().get(vendor), "hypervisor=none", 0.4);
            }
        }
    }

    /** DMI values as a detector compares them: control characters (NUL included) dropped, trimmed. */
    static String sanitize(String raw) {
        StringBuilder sb = new StringBuilder(raw.length());
        for (int i = 0; i < raw.length() && sb.length() < 256; i++) {
            char ch = raw.charAt(i);
            if (ch == '\uFFFD' || Character.isISOControl(ch) && ch != '\t') {
                continue;
            }
            sb.append(ch);
        }
        return sb.toString().strip();
    }

    private static String firstLine(String s) {
        return s.lines().filter(l -> !l.isBlank()).reduce((a, b) -> b).orElse("").strip();
    }
}
