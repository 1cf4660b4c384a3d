package dev.chameleon.sensors.platform;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * The signature tables of the platform sensor, loaded once from
 * {@code dev/chameleon/sensors/platform/signatures.yaml}. Adding a platform is an edit of that
 * file; this class only gives the tables types.
 */
public final class Signatures {
    public static final String RESOURCE = "/dev/chameleon/sensors/platform/signatures.yaml";

    /** A DMI rule: every field test in {@code when} must hold (field names may be joined with '|': any of them). */
    public record DmiRule(Map<String, String> when, List<String> supports, Double weight, List<String> ifVm, String note) {
        public DmiRule {
            supports = supports == null ? List.of() : List.copyOf(supports);
            ifVm = ifVm == null ? List.of() : List.copyOf(ifVm);
        }

        public double weightOr(double d) {
            return weight == null ? d : weight;
        }
    }

    /** A text pattern (see {@link Match}) and what a hit supports. */
    public record TextRule(String match, String field, List<String> supports, Double weight, String name) {
        public TextRule {
            supports = supports == null ? List.of() : List.copyOf(supports);
        }

        public double weightOr(double d) {
            return weight == null ? d : weight;
        }
    }

    /**
     * A path whose existence is a clue; optionally only when its text matches {@code contains},
     * or, with {@code nonEmpty}, only when it is a directory with at least one entry.
     */
    public record FileRule(String path, String contains, Boolean nonEmpty, String arch, List<String> supports, Double weight,
                           String name) {
        public FileRule {
            supports = supports == null ? List.of() : List.copyOf(supports);
        }

        public double weightOr(double d) {
            return weight == null ? d : weight;
        }
    }

    /** An ACPI table header rule: OEM ID and/or OEM table ID tests. */
    public record AcpiRule(String oemId, String oemTableId, List<String> supports, Double weight, String name) {
        public AcpiRule {
            supports = supports == null ? List.of() : List.copyOf(supports);
        }

        public double weightOr(double d) {
            return weight == null ? d : weight;
        }
    }

    /** What a PCI vendor id or vendor:device pair means. */
    public record PciId(String name, List<String> supports, Double weight) {
        public PciId {
            supports = supports == null ? List.of() : List.copyOf(supports);
        }

        public double weightOr(double d) {
            return weight == null ? d : weight;
        }
    }

    /** The whole file. */
    public record Tables(
            List<DmiRule> dmi,
            Map<String, List<String>> cpuid,
            Map<String, List<String>> lscpuHypervisorVendor,
            List<TextRule> cpuinfo,
            Map<String, PciId> pciVendors,
            Map<String, PciId> pciDevices,
            List<TextRule> lspci,
            List<AcpiRule> acpi,
            Map<String, List<String>> acpiDevices,
            Map<String, List<String>> modules,
            List<FileRule> files,
            Map<String, List<String>> deviceTreeHypervisor,
            Map<String, List<String>> virtioPorts,
            Map<String, String> containerEnv,
            List<TextRule> cgroup,
            List<TextRule> mountinfo,
            List<TextRule> kernelRelease,
            Map<String, String> vmmHypervisor,
            Map<String, List<String>> cloudHypervisors,
            Map<String, List<String>> clocksources,
            List<TextRule> kernelLog,
            Map<String, List<String>> sharedInterfaces) {
        public Tables {
            dmi = nz(dmi);
            cpuid = nz(cpuid);
            lscpuHypervisorVendor = nz(lscpuHypervisorVendor);
            cpuinfo = nz(cpuinfo);
            pciVendors = nz(pciVendors);
            pciDevices = nz(pciDevices);
            lspci = nz(lspci);
            acpi = nz(acpi);
            acpiDevices = nz(acpiDevices);
            modules = nz(modules);
            files = nz(files);
            deviceTreeHypervisor = nz(deviceTreeHypervisor);
            virtioPorts = nz(virtioPorts);
            containerEnv = nz(containerEnv);
            cgroup = nz(cgroup);
            mountinfo = nz(mountinfo);
            kernelRelease = nz(kernelRelease);
            vmmHypervisor = nz(vmmHypervisor);
            cloudHypervisors = nz(cloudHypervisors);
            clocksources = nz(clocksources);
            kernelLog = nz(kernelLog);
            sharedInterfaces = nz(sharedInterfaces);
        }

        private static <T> List<T> nz(List<T> l) {
            return l == null ? List.of() : List.copyOf(l);
        }

        private static <K, V> Map<K, V> nz(Map<K, V> m) {
            return m == null ? Map.of() : new LinkedHashMap<>(m);
        }
    }

    private static volatile Tables standard;

    private Signatures() {
    }

    /** The built-in tables, parsed on first use. */
    public static Tables standard() {
        Tables t = standard;
        if (t == null) {
            synchronized (Signatures.class) {
                t = standard;
                if (t == null) {
                    try (InputStream in = Signatures.class.getResourceAsStream(RESOURCE)) {
                        if (in == null) {
                            throw new IllegalStateException("missing resource " + RESOURCE);
                        }
                        t = load(in);
                    } catch (IOException e) {
                        throw new UncheckedIOException("cannot read " + RESOURCE, e);
                    }
                    standard = t;
                }
            }
        }
        return t;
    }

    /**
     * Parses a signature file; unknown keys are an error so that typos do not go unnoticed.
     *
     * <p>Read with SnakeYAML into plain maps and typed here by hand rather than through a
     * data-binding library: this runs in every one-shot {@code chameleon facts}, where binding
     * by reflection cost several times the parse.
     */
    public static Tables load(InputStream in) throws IOException {
        Object doc;
        try {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        } catch (YAMLException e) {
            throw new IOException("malformed signature file: " + e.getMessage(), e);
        }
        Map<String, Object> m = map(doc, "the signature file");
        keys(m, "the signature file", Set.of("dmi", "cpuid", "lscpuHypervisorVendor", "cpuinfo", "pciVendors",
                "pciDevices", "lspci", "acpi", "acpiDevices", "modules", "files", "deviceTreeHypervisor", "virtioPorts",
                "containerEnv", "cgroup", "mountinfo", "kernelRelease", "vmmHypervisor", "cloudHypervisors", "clocksources",
                "kernelLog", "sharedInterfaces"));
        Tables t = new Tables(
                list(m.get("dmi"), "dmi", Signatures::dmiRule),
                stringLists(m.get("cpuid"), "cpuid"),
                stringLists(m.get("lscpuHypervisorVendor"), "lscpuHypervisorVendor"),
                list(m.get("cpuinfo"), "cpuinfo", Signatures::textRule),
                pciIds(m.get("pciVendors"), "pciVendors"),
                pciIds(m.get("pciDevices"), "pciDevices"),
                list(m.get("lspci"), "lspci", Signatures::textRule),
                list(m.get("acpi"), "acpi", Signatures::acpiRule),
                stringLists(m.get("acpiDevices"), "acpiDevices"),
                stringLists(m.get("modules"), "modules"),
                list(m.get("files"), "files", Signatures::fileRule),
                stringLists(m.get("deviceTreeHypervisor"), "deviceTreeHypervisor"),
                stringLists(m.get("virtioPorts"), "virtioPorts"),
                strings(m.get("containerEnv"), "containerEnv"),
                list(m.get("cgroup"), "cgroup", Signatures::textRule),
                list(m.get("mountinfo"), "mountinfo", Signatures::textRule),
                list(m.get("kernelRelease"), "kernelRelease", Signatures::textRule),
                strings(m.get("vmmHypervisor"), "vmmHypervisor"),
                stringLists(m.get("cloudHypervisors"), "cloudHypervisors"),
                stringLists(m.get("clocksources"), "clocksources"),
                list(m.get("kernelLog"), "kernelLog", Signatures::textRule),
                stringLists(m.get("sharedInterfaces"), "sharedInterfaces"));
        validate(t);
        return t;
    }

    private interface Reader<T> {
        T read(Map<String, Object> m, String where);
    }

    private static DmiRule dmiRule(Map<String, Object> m, String where) {
        keys(m, where, Set.of("when", "supports", "weight", "ifVm", "note"));
        return new DmiRule(strings(m.get("when"), where + ".when"), stringList(m.get("supports"), where + ".supports"),
                number(m.get("weight"), where + ".weight"), stringList(m.get("ifVm"), where + ".ifVm"), string(m.get("note"), where + ".note"));
    }

    private static TextRule textRule(Map<String, Object> m, String where) {
        keys(m, where, Set.of("match", "field", "supports", "weight", "name"));
        return new TextRule(string(m.get("match"), where + ".match"), string(m.get("field"), where + ".field"),
                stringList(m.get("supports"), where + ".supports"), number(m.get("weight"), where + ".weight"),
                string(m.get("name"), where + ".name"));
    }

    private static FileRule fileRule(Map<String, Object> m, String where) {
        keys(m, where, Set.of("path", "contains", "nonEmpty", "arch", "supports", "weight", "name"));
        Object nonEmpty = m.get("nonEmpty");
        if (nonEmpty != null && !(nonEmpty instanceof Boolean)) {
            throw new IllegalArgumentException(where + ".nonEmpty must be true or false");
        }
        return new FileRule(string(m.get("path"), where + ".path"), string(m.get("contains"), where + ".contains"),
                (Boolean) nonEmpty,
                string(m.get("arch"), where + ".arch"), stringList(m.get("supports"), where + ".supports"),
                number(m.get("weight"), where + ".weight"), string(m.get("name"), where + ".name"));
    }

    private static AcpiRule acpiRule(Map<String, Object> m, String where) {
        keys(m, where, Set.of("oemId", "oemTableId", "supports", "weight", "name"));
        return new AcpiRule(string(m.get("oemId"), where + ".oemId"), string(m.get("oemTableId"), where + ".oemTableId"),
                stringList(m.get("supports"), where + ".supports"), number(m.get("weight"), where + ".weight"),
                string(m.get("name"), where + ".name"));
    }

    private static Map<String, PciId> pciIds(Object o, String where) {
        if (o == null) {
            return null;
        }
        Map<String, PciId> out = new LinkedHashMap<>();
        map(o, where).forEach((k, v) -> {
            Map<String, Object> e = map(v, where + "." + k);
            keys(e, where + "." + k, Set.of("name", "supports", "weight"));
            out.put(k, new PciId(string(e.get("name"), where + "." + k + ".name"),
                    stringList(e.get("supports"), where + "." + k + ".supports"), number(e.get("weight"), where + "." + k + ".weight")));
        });
        return out;
    }

    private static <T> List<T> list(Object o, String where, Reader<T> reader) {
        if (o == null) {
            return null;
        }
        if (!(o instanceof List<?> l)) {
            throw new IllegalArgumentException(where + " must be a list");
        }
        List<T> out = new ArrayList<>();
        for (int i = 0; i < l.size(); i++) {
            out.add(reader.read(map(l.get(i), where + "[" + i + "]"), where + "[" + i + "]"));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o, String where) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(where + " must be a mapping");
        }
        for (Object k : m.keySet()) {
            if (!(k instanceof String)) {
                throw new IllegalArgumentException(where + " has a key that is not a string: " + k);
            }
        }
        return (Map<String, Object>) m;
    }

    private static void keys(Map<String, Object> m, String where, Set<String> allowed) {
        for (String k : m.keySet()) {
            if (!allowed.contains(k)) {
                throw new IllegalArgumentException("unknown key '" + k + "' in " + where);
            }
        }
    }

    private static String string(Object o, String where) {
        if (o == null) {
            return null;
        }
        if (o instanceof Map || o instanceof List) {
            throw new IllegalArgumentException(where + " must be a single value");
        }
        return String.valueOf(o);
    }

    private static Double number(Object o, String where) {
        if (o == null) {
            return null;
        }
        if (!(o instanceof Number n)) {
            throw new IllegalArgumentException(where + " must be a number, found " + o);
        }
        return n.doubleValue();
    }

    private static List<String> stringList(Object o, String where) {
        if (o == null) {
            return null;
        }
        if (!(o instanceof List<?> l)) {
            throw new IllegalArgumentException(where + " must be a list");
        }
        List<String> out = new ArrayList<>();
        for (Object e : l) {
            out.add(string(e, where));
        }
        return out;
    }

    private static Map<String, String> strings(Object o, String where) {
        if (o == null) {
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        map(o, where).forEach((k, v) -> out.put(k, string(v, where + "." + k)));
        return out;
    }

    private static Map<String, List<String>> stringLists(Object o, String where) {
        if (o == null) {
            return null;
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        map(o, where).forEach((k, v) -> out.put(k, stringList(v, where + "." + k)));
        return out;
    }

    private static void validate(Tables t) {
        // compile every match once so that a bad pattern fails at load, not at detection time
        for (DmiRule r : t.dmi()) {
            if (r.when() == null || r.when().isEmpty()) {
                throw new IllegalArgumentException("dmi rule without 'when': " + r);
            }
            r.when().values().forEach(Match::parse);
        }
        for (List<TextRule> l : List.of(t.cpuinfo(), t.lspci(), t.cgroup(), t.mountinfo(), t.kernelRelease(), t.kernelLog())) {
            l.forEach(r -> Match.parse(r.match()));
        }
        for (AcpiRule r : t.acpi()) {
            if (r.oemId() != null) {
                Match.parse(r.oemId());
            }
            if (r.oemTableId() != null) {
                Match.parse(r.oemTableId());
            }
        }
    }
}
