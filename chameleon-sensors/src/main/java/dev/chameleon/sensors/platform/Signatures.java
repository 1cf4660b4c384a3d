package dev.chameleon.sensors.platform;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

    /** A path whose existence (and optionally content) is a clue. */
    public record FileRule(String path, String contains, String arch, List<String> supports, Double weight, String name) {
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
            Map<String, List<String>> cloudHypervisors) {
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

    /** Parses a signature file; unknown keys are an error so that typos do not go unnoticed. */
    public static Tables load(InputStream in) throws IOException {
        ObjectMapper m = new ObjectMapper(new YAMLFactory())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        Tables t = m.readValue(in, Tables.class);
        validate(t);
        return t;
    }

    private static void validate(Tables t) {
        // compile every match once so that a bad pattern fails at load, not at detection time
        for (DmiRule r : t.dmi()) {
            if (r.when() == null || r.when().isEmpty()) {
                throw new IllegalArgumentException("dmi rule without 'when': " + r);
            }
            r.when().values().forEach(Match::parse);
        }
        for (List<TextRule> l : List.of(t.cpuinfo(), t.lspci(), t.cgroup(), t.mountinfo(), t.kernelRelease())) {
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
