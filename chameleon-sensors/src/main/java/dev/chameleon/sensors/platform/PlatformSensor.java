package dev.chameleon.sensors.platform;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.CommandRunner;
import dev.chameleon.host.Host;
import dev.chameleon.host.SysRoot;
import dev.chameleon.sensors.Sensor;
import dev.chameleon.sensors.SensorContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The {@code platform} sensor: hypervisor, finer VMM product, cloud, container, a confidence for
 * the combined answer and the evidence behind it.
 *
 * <p>Signals are read in the established order (firmware DMI strings, the CPU's hypervisor flag
 * and signature, hypervisor interfaces, the kernel's own clocksources and log, ACPI table OEM
 * ids, PCI ids, container markers), each by
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

    /**
     * One detection's facts and provenance, kept in the {@link dev.chameleon.sensors.FactCache},
     * and the problems it met (commands that timed out or were not started for lack of time),
     * reported again by every collection that reuses it.
     */
    private record Detected(Map<String, Object> facts, Map<String, String> provenance, List<Map<String, Object>> problems) {
    }

    /**
     * The platform facts. The whole answer (and the metadata answer, when enabled) is a constant
     * kept in the context's {@link dev.chameleon.sensors.FactCache}: what the machine is does not
     * change while the agent runs, and a daemon that re-ran every reader and command each
     * interval would spend its CPU budget on it; the daemon invalidates {@code platform} on
     * events that can change it (device hotplug, live migration).
     *
     * <p>Commands run within the sensor's remaining time ({@link SensorContext#run}): a hung
     * command is killed with its process group when its share runs out, later commands get what
     * is left or are not started, and the answer is resolved from every clue read until then
     * (files, the commands that answered). After each reader the answer so far is settled
     * ({@link SensorContext#settle}), so even a reader stuck past the deadline loses nothing
     * read before it. An answer that lacks a command's output is cached like any other (a
     * command that hangs once on a broken bus hangs again: retrying it every pass would pile up
     * stuck processes); its problems are reported with it each time, until an event drops it.
     */
    @Override
    public Object sense(SensorContext ctx) {
        boolean[] fresh = {false};
        Detected d = ctx.constant("answer", () -> {
            fresh[0] = true;
            List<Map<String, Object>> problems = new ArrayList<>();
            Resolver.Answer a = detect(ctx.host().root(), c -> {
                CommandResult r = ctx.run(c, CommandRunner.DEFAULT_TIMEOUT);
                if (r.status() == CommandResult.Status.TIMED_OUT || r.status() == CommandResult.Status.FAILED_TO_START) {
                    problems.add(Map.of("source", Probe.source(c), "error", r.stderr()));
                }
                return r;
            }, partial -> ctx.settle(toFacts(partial)));
            Map<String, String> prov = new LinkedHashMap<>();
            a.provenance().forEach((layer, source) -> prov.put("platform." + layer, source));
            prov.put("platform.evidence", "platform sensor: " + a.evidence().size() + " clue(s)");
            Map<String, Object> facts = toFacts(a);
            ctx.settle(facts);
            if (metadata.enabled()) {
                addMetadata(facts, new MetadataProbe(metadata).probe());
                prov.put("platform.metadata", metadata.baseUrl());
            }
            return new Detected(facts, prov, List.copyOf(problems));
        });
        if (!fresh[0]) {
            // this collection's problems were noted as they happened; a reused answer repeats its own
            d.problems().forEach(p -> ctx.problem(String.valueOf(p.get("source")), p.get("error") + " (when the kept answer was read)"));
        }
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

    /** Reads every source of the host and resolves the answer; commands get the runner's default timeout. */
    public Resolver.Answer detect(Host host) {
        return detect(host.root(), host.commands()::run, a -> { });
    }

    /**
     * Reads every source under {@code root}, running commands through {@code commands}, and
     * resolves the answer; {@code settled} gets the answer resolved from the clues read so far
     * after each reader.
     */
    Resolver.Answer detect(SysRoot root, Function<Command, CommandResult> commands, Consumer<Resolver.Answer> settled) {
        Signatures.Tables t = tables != null ? tables : Signatures.standard();
        Probe p = new Probe(root, commands, t);
        // signal order (also the tie-break order): firmware DMI, CPU, hypervisor interfaces, the
        // kernel's own conclusions (clocksources, its log), ACPI, PCI, containers; the
        // architecture is found before all of them
        List<Runnable> readers = List.of(
                () -> CpuSignals.readArch(p),
                () -> CloudSignals.read(p, DmiSignals.read(p)),
                () -> CpuSignals.read(p),
                () -> HypervisorSignals.read(p),
                () -> KernelSignals.read(p),
                () -> AcpiSignals.read(p),
                () -> PciSignals.read(p),
                () -> ContainerSignals.read(p));
        String[] names = {"arch", "dmi", "cpu", "hypervisor", "kernel", "acpi", "pci", "container"};
        for (int i = 0; i < readers.size(); i++) {
            try {
                readers.get(i).run();
            } catch (RuntimeException e) {
                // one broken source never loses the others' clues
                p.clues().note("reader." + names[i], "failed: " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()), "platform sensor");
            }
            if (i > 0 && i < readers.size() - 1) {
                settled.accept(Resolver.resolve(p.clues(), t));
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
