package dev.chameleon.sensors.platform;

import dev.chameleon.host.Host;
import dev.chameleon.sensors.Sensor;
import dev.chameleon.sensors.SensorContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code platform} sensor: hypervisor, finer VMM product, cloud, container, a confidence for
 * the combined answer and the evidence behind it.
 *
 * <p>Signals are read in the established order (firmware DMI strings, the CPU's hypervisor flag
 * and signature, hypervisor interfaces, ACPI table OEM ids, PCI ids, container markers), each by
 * its own reader, into one clue list that the {@link Resolver} weighs. Signature strings live in
 * {@code signatures.yaml}. Reading never throws for missing, unreadable or garbled sources.
 */
public final class PlatformSensor implements Sensor {
    private final Signatures.Tables tables;
    private final MetadataProbe.Options metadata;

    public PlatformSensor() {
        this(null);
    }

    /** A sensor with other signature tables (tests); null means the built-in ones. */
    public PlatformSensor(Signatures.Tables tables) {
        this(tables, MetadataProbe.Options.disabled());
    }

    /**
     * A sensor that also asks the cloud metadata service when {@code metadata} is enabled: the
     * answer goes to {@code platform.metadata}, becomes a {@code metadata.<provider>} clue in the
     * evidence, and names the cloud when the local signals left it {@code unknown}.
     */
    public PlatformSensor(Signatures.Tables tables, MetadataProbe.Options metadata) {
        this.tables = tables;
        this.metadata = metadata;
    }

    @Override
    public String name() {
        return "platform";
    }

    /** One detection's facts and provenance, kept in the {@link dev.chameleon.sensors.FactCache}. */
    private record Detected(Map<String, Object> facts, Map<String, String> provenance) {
    }

    /**
     * The platform facts. The whole answer (and the metadata answer, when enabled) is a constant
     * kept in the context's {@link dev.chameleon.sensors.FactCache}: what the machine is does not
     * change while the agent runs, and a daemon that re-ran every reader and command each
     * interval would spend its CPU budget on it; the daemon invalidates {@code platform} on
     * events that can change it (device hotplug, live migration).
     */
    @Override
    public Object sense(SensorContext ctx) {
        Detected d = ctx.constant("answer", () -> {
            Resolver.Answer a = detect(ctx.host());
            Map<String, String> prov = new LinkedHashMap<>();
            a.provenance().forEach((layer, source) -> prov.put("platform." + layer, source));
            prov.put("platform.evidence", "platform sensor: " + a.evidence().size() + " clue(s)");
            Map<String, Object> facts = toFacts(a);
            if (metadata.enabled()) {
                addMetadata(facts, new MetadataProbe(metadata).probe());
                prov.put("platform.metadata", metadata.baseUrl());
            }
            return new Detected(facts, prov);
        });
        d.provenance().forEach(ctx::provenance);
        return d.facts();
    }

    /** Adds a metadata answer to platform facts (see the three-argument constructor). */
    static void addMetadata(Map<String, Object> facts, Map<String, Object> md) {
        facts.put("metadata", md);
        String provider = String.valueOf(md.get("provider"));
        if (provider.equals("none")) {
            return;
        }
        Map<String, Object> clue = new LinkedHashMap<>();
        clue.put("signal", "metadata." + provider);
        clue.put("value", md.get("instanceId"));
        clue.put("source", md.get("source"));
        clue.put("supports", "cloud=" + provider);
        List<Object> evidence = new java.util.ArrayList<>((List<?>) facts.get("evidence"));
        evidence.add(clue);
        facts.put("evidence", evidence);
        if ("unknown".equals(facts.get("cloud"))) {
            facts.put("cloud", provider);
        }
    }

    /** Reads every source of the host and resolves the answer. */
    public Resolver.Answer detect(Host host) {
        Signatures.Tables t = tables != null ? tables : Signatures.standard();
        Probe p = new Probe(host.root(), host.commands(), t);
        // signal order (also the tie-break order): firmware DMI, CPU, hypervisor interfaces,
        // ACPI, PCI, containers; the architecture is found before all of them
        List<Runnable> readers = List.of(
                () -> CpuSignals.readArch(p),
                () -> CloudSignals.read(p, DmiSignals.read(p)),
                () -> CpuSignals.read(p),
                () -> HypervisorSignals.read(p),
                () -> AcpiSignals.read(p),
                () -> PciSignals.read(p),
                () -> ContainerSignals.read(p));
        String[] names = {"arch", "dmi", "cpu", "hypervisor", "acpi", "pci", "container"};
        for (int i = 0; i < readers.size(); i++) {
            try {
                readers.get(i).run();
            } catch (RuntimeException e) {
                // one broken source never loses the others' clues
                p.clues().note("reader." + names[i], "failed: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()), "platform sensor");
            }
        }
        return Resolver.resolve(p.clues(), t);
    }

    /** The plain-value fact map of an answer. */
    public static Map<String, Object> toFacts(Resolver.Answer a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hypervisor", a.hypervisor());
        if (a.vmm() != null) {
            m.put("vmm", a.vmm());
        }
        m.put("cloud", a.cloud());
        m.put("container", a.container());
        m.put("confidence", a.confidence());
        m.put("evidence", a.evidence().stream().map(Evidence::toFact).toList());
        return m;
    }
}
