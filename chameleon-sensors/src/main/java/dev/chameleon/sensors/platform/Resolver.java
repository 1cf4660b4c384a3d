package dev.chameleon.sensors.platform;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the clue list into one answer per layer.
 *
 * <p>Hypervisor: every named hypervisor scores the largest weight among its clues; interface
 * clues (a CPUID signature and what derives from it) for a hypervisor nothing else names are
 * read as the hypervisor that lends that interface when firmware names one
 * ({@code sharedInterfaces}); QEMU-family clues ({@code family=qemu}) compete as one candidate
 * together with kvm and qemu clues and are resolved to kvm (any kvm clue, or a product that only
 * runs on KVM), qemu (a TCG signature, an emulation hint, or every readable KVM signal showing no
 * KVM: {@code kvm.absent}), and kvm by default only when nothing could tell, at reduced
 * confidence with a {@code resolver.default} note. The strongest candidate wins (ties: the clue read first,
 * which follows the signal order DMI, CPU, hypervisor interfaces, ACPI, PCI). Bare metal
 * ({@code none}) wins only when its evidence is stronger than every VM clue; a VM clue without a
 * name gives {@code unknown}. Cloud clues that contradict the resolved hypervisor (Azure runs
 * only Hyper-V) are set aside; clues conditional on a VM ({@code ifVm}) apply only when the
 * machine is shown to be a VM by other clues. See docs/platform-detection.md.
 */
public final class Resolver {
    /** Prefix of supports that apply only when other clues show a VM. */
    public static final String IF_VM = "ifvm:";

    /** The combined answer. */
    public record Answer(String hypervisor, String vmm, String cloud, String container, double confidence,
                         Map<String, Double> layerConfidence, List<Evidence> evidence, Map<String, String> provenance) {
    }

    private Resolver() {
    }

    /**
     * Signals that name a paravirtual interface rather than the hypervisor itself: the CPUID
     * signature (and {@code lscpu}, which reads it), the kernel's log line and paravirtual clock
     * derived from it. A hypervisor may present another's ({@code sharedInterfaces}).
     */
    static final Set<String> INTERFACE_SIGNALS = Set.of("cpuid.signature", "lscpu.hypervisor-vendor", "kernel.log",
            "clocksource.available", "clocksource.current");

    public static Answer resolve(Clues clues, Signatures.Tables tables) {
        List<Evidence> all = new ArrayList<>(clues.evidence());
        List<Evidence> notes = new ArrayList<>();
        // 1. hypervisor without the conditional clues: is this a VM?
        List<Evidence> base = interfaces(all.stream().filter(e -> !e.supports().startsWith(IF_VM)).toList(), tables, new ArrayList<>());
        Hv first = hypervisor(base, tables);
        boolean vm = !first.answer.equals("none") && (first.answer.equals("unknown") ? first.vmScore > 0 : true);
        List<Evidence> used = new ArrayList<>();
        for (Evidence e : all) {
            if (e.supports().startsWith(IF_VM)) {
                if (vm) {
                    used.add(e.withSupports(e.supports().substring(IF_VM.length()), e.weight()));
                }
            } else {
                used.add(e);
            }
        }
        used = interfaces(used, tables, notes);
        Hv hv = vm ? hypervisor(used, tables) : first;
        if (hv.family && hv.member.equals(DEFAULT) && !clues.noKvmSeen.isEmpty()) {
            // a QEMU-family machine whose kernel-side KVM signals were read and show no KVM:
            // emulated, as systemd-detect-virt answers qemu from DMI when CPUID shows no KVM
            used.add(new Evidence("kvm.absent", String.join("; ", clues.noKvmSeen), String.join(", ",
                    new java.util.LinkedHashSet<>(clues.noKvmSources)), "accel=tcg", NO_KVM_WEIGHT));
            hv = hypervisor(used, tables);
        } else if (hv.family && hv.member.equals(DEFAULT)) {
            notes.add(new Evidence("resolver.default", "kvm assumed: QEMU family, and no CPUID signature, clocksource or kernel log"
                    + " to tell KVM from emulation", "platform sensor", "nothing", 0));
        }
        String hypervisor = hv.answer;

        // 2. vmm consistent with the hypervisor
        String vmm = null;
        double vmmW = 0;
        for (Evidence e : used) {
            if (!e.layer().equals("vmm")) {
                continue;
            }
            String needs = tables.vmmHypervisor().get(e.answer());
            if (needs != null && !needs.equals(hypervisor)) {
                continue;
            }
            if (e.weight() > vmmW) {
                vmm = e.answer();
                vmmW = e.weight();
            }
        }

        // 3. cloud
        Map<String, Double> cloudScores = new LinkedHashMap<>();
        List<Evidence> rejected = new ArrayList<>();
        for (Evidence e : used) {
            if (!e.layer().equals("cloud") || e.answer().equals("none")) {
                continue;
            }
            List<String> allowed = tables.cloudHypervisors().get(e.answer());
            if (allowed != null && !hypervisor.equals("unknown") && !allowed.contains(hypervisor)) {
                rejected.add(new Evidence("resolver.rejected", e.signal() + "=" + e.value() + " points to " + e.supports()
                        + ", but " + e.answer() + " does not run on hypervisor=" + hypervisor, e.source(), "nothing", 0));
                continue;
            }
            cloudScores.merge(e.answer(), e.weight(), Math::max);
        }
        String cloud = best(cloudScores, used, "cloud");
        double cloudConf;
        if (cloud != null) {
            cloudConf = confidence(used, "cloud", cloud);
        } else if (clues.dmiSystemSeen) {
            cloud = "none";
            cloudConf = clues.dmiFull ? 0.6 : 0.35;
        } else if (hypervisor.equals("none")) {
            cloud = "none";
            cloudConf = 0.3;
        } else {
            cloud = "unknown";
            cloudConf = 0.2;
        }

        // 4. container
        Map<String, Double> cScores = new LinkedHashMap<>();
        double cNone = 0;
        for (Evidence e : used) {
            if (!e.layer().equals("container")) {
                continue;
            }
            if (e.answer().equals("none")) {
                cNone = Math.max(cNone, e.weight());
            } else {
                cScores.merge(e.answer(), e.weight(), Math::max);
            }
        }
        String container = best(cScores, used, "container");
        double containerConf;
        if (container != null && cScores.get(container) >= cNone) {
            containerConf = confidence(used, "container", container);
        } else if (cNone > 0) {
            container = "none";
            containerConf = Math.max(0.5, confidence(used, "container", "none"));
        } else {
            container = "none";
            containerConf = clues.containerSourcesSeen ? 0.6 : 0.25;
        }

        double hvConf = hv.confidence;
        double overall = Math.round((0.5 * hvConf + 0.25 * cloudConf + 0.25 * containerConf) * 100) / 100.0;
        Map<String, Double> layers = new LinkedHashMap<>();
        layers.put("hypervisor", round(hvConf));
        layers.put("cloud", round(cloudConf));
        layers.put("container", round(containerConf));

        List<Evidence> evidence = new ArrayList<>(dedupe(used));
        evidence.addAll(notes);
        evidence.addAll(rejected);
        Map<String, String> prov = new LinkedHashMap<>();
        prov.put("hypervisor", mainSource(used, hypervisor.equals("unknown") ? Set.of("vm") : supportsFor(hypervisor, hv)));
        if (vmm != null) {
            prov.put("vmm", mainSource(used, Set.of("vmm=" + vmm)));
        }
        prov.put("cloud", mainSource(used, Set.of("cloud=" + cloud)));
        prov.put("container", mainSource(used, Set.of("container=" + container)));
        return new Answer(hypervisor, vmm, cloud, container, Math.max(0.0, Math.min(1.0, overall)), layers, evidence, prov);
    }

    /** How a QEMU-family member was chosen: a clue named it, only hints did, or nothing did. */
    static final String NAMED = "named";
    static final String HINT = "hint";
    static final String DEFAULT = "default";
    /** Weight of "every readable KVM signal shows no KVM" as an emulation hint. */
    static final double NO_KVM_WEIGHT = 0.5;

    private record Hv(String answer, double score, double vmScore, double confidence, boolean family, String member) {
    }

    /**
     * Reads interface clues as their hypervisor's when the machine shows another: a clue from an
     * {@link #INTERFACE_SIGNALS interface signal} for hypervisor H, where nothing but interface
     * signals names H, is taken as supporting S when {@code sharedInterfaces[H]} lists S and a
     * firmware, device or product clue names S (for kvm: any QEMU-family clue, since QEMU
     * offers Hyper-V enlightenments only with KVM). A note says which were read so.
     */
    static List<Evidence> interfaces(List<Evidence> ev, Signatures.Tables tables, List<Evidence> notes) {
        if (tables.sharedInterfaces().isEmpty()) {
            return ev;
        }
        Map<String, Double> firm = new LinkedHashMap<>();
        for (Evidence e : ev) {
            String s = e.supports();
            if (s.equals("family=qemu")) {
                firm.merge("kvm", e.weight(), Math::max);
            } else if (s.startsWith("vmm=") && tables.vmmHypervisor().containsKey(e.answer())) {
                firm.merge(tables.vmmHypervisor().get(e.answer()), e.weight() * 0.9, Math::max);
            } else if (s.startsWith("hypervisor=") && !INTERFACE_SIGNALS.contains(e.signal())) {
                firm.merge(e.answer(), e.weight(), Math::max);
            }
        }
        List<Evidence> out = new ArrayList<>(ev.size());
        Set<String> noted = new LinkedHashSet<>();
        for (Evidence e : ev) {
            if (INTERFACE_SIGNALS.contains(e.signal()) && e.supports().startsWith("hypervisor=")
                    && firm.getOrDefault(e.answer(), 0.0) == 0.0) {
                String presenter = null;
                double w = 0;
                for (String s : tables.sharedInterfaces().getOrDefault(e.answer(), List.of())) {
                    double f = firm.getOrDefault(s, 0.0);
                    if (f > w) {
                        presenter = s;
                        w = f;
                    }
                }
                if (presenter != null) {
                    out.add(e.withSupports("hypervisor=" + presenter, e.weight()));
                    if (noted.add(e.signal() + "=" + e.value())) {
                        notes.add(new Evidence("resolver.interface", e.signal() + " \"" + e.value() + "\" names the " + e.answer()
                                + " interface, which " + presenter + " also presents; other clues name " + presenter, e.source(),
                                "nothing", 0));
                    }
                    continue;
                }
            }
            out.add(e);
        }
        return out;
    }

    private static Hv hypervisor(List<Evidence> ev, Signatures.Tables tables) {
        Map<String, Double> named = new LinkedHashMap<>();
        Map<String, Integer> order = new LinkedHashMap<>();
        double family = 0;
        double tcg = 0;
        double vmScore = 0;
        double none = 0;
        int i = 0;
        for (Evidence e : ev) {
            i++;
            String s = e.supports();
            double w = e.weight();
            if (s.equals("vm")) {
                vmScore = Math.max(vmScore, w);
            } else if (s.equals("family=qemu")) {
                family = Math.max(family, w);
                order.putIfAbsent("#qemu", i);
            } else if (s.equals("accel=tcg")) {
                tcg = Math.max(tcg, w);
            } else if (s.equals("hypervisor=none")) {
                none = Math.max(none, w);
            } else if (s.startsWith("hypervisor=") && !s.equals("hypervisor=unknown")) {
                String h = e.answer();
                named.merge(h, w, Math::max);
                order.putIfAbsent(h.equals("kvm") || h.equals("qemu") ? "#qemu" : h, i);
            } else if (s.equals("hypervisor=unknown")) {
                vmScore = Math.max(vmScore, w);
            } else if (s.startsWith("vmm=")) {
                String needs = tables.vmmHypervisor().get(e.answer());
                if (needs != null) {
                    named.merge(needs, w * 0.9, Math::max);
                    order.putIfAbsent(needs.equals("kvm") ? "#qemu" : needs, i);
                }
            }
        }
        double kvm = named.getOrDefault("kvm", 0.0);
        double qemu = named.getOrDefault("qemu", 0.0);
        Map<String, Double> cand = new LinkedHashMap<>();
        for (Map.Entry<String, Double> e : named.entrySet()) {
            if (!e.getKey().equals("kvm") && !e.getKey().equals("qemu")) {
                cand.put(e.getKey(), e.getValue());
            }
        }
        double fam = Math.max(family, Math.max(kvm, qemu));
        if (fam > 0) {
            cand.put("#qemu", fam);
        }
        String best = null;
        double bestW = 0;
        for (Map.Entry<String, Double> e : cand.entrySet()) {
            double w = e.getValue();
            if (w > bestW || (w == bestW && best != null && order.getOrDefault(e.getKey(), 0) < order.getOrDefault(best, 0))) {
                best = e.getKey();
                bestW = w;
            }
        }
        boolean isFamily = "#qemu".equals(best);
        String member = NAMED;
        if (isFamily) {
            if (kvm > 0 && kvm >= qemu) {
                best = "kvm";
            } else if (qemu > 0) {
                best = "qemu";
            } else if (tcg > 0) {
                best = "qemu";
                member = HINT;
            } else {
                best = "kvm";
                member = DEFAULT;
            }
        }
        double vmStrength = Math.max(bestW, vmScore);
        String answer;
        double conf;
        if (none > vmStrength) {
            answer = "none";
            conf = agree(ev, Set.of("hypervisor=none")) * (1 - 0.5 * vmStrength);
        } else if (best != null) {
            answer = best;
            Set<String> sup = new LinkedHashSet<>(Set.of("hypervisor=" + best));
            if (isFamily) {
                sup.add("family=qemu");
                if (best.equals("qemu")) {
                    sup.add("accel=tcg");
                }
            }
            double conflict = none;
            for (Map.Entry<String, Double> e : cand.entrySet()) {
                String k = e.getKey().equals("#qemu") ? (isFamily ? best : "kvm") : e.getKey();
                if (!k.equals(best) && !(isFamily && e.getKey().equals("#qemu"))) {
                    conflict = Math.max(conflict, e.getValue());
                }
            }
            double a = Math.max(agree(ev, sup), bestW);
            if (isFamily && member.equals(DEFAULT)) {
                a *= 0.6; // a QEMU-family machine; kvm taken by default, nothing could tell
            } else if (isFamily && member.equals(HINT)) {
                a *= 0.85; // emulation from hints (no KVM where KVM would show), not from TCG's own signature
            }
            conf = a * (1 - 0.4 * conflict);
        } else if (vmScore > 0) {
            answer = "unknown";
            conf = vmScore * 0.8 * (1 - 0.4 * none);
        } else if (none > 0) {
            answer = "none";
            conf = agree(ev, Set.of("hypervisor=none"));
        } else {
            answer = "unknown";
            conf = 0.1;
        }
        return new Hv(answer, bestW, vmScore, Math.max(0.05, Math.min(0.99, conf)), isFamily && !answer.equals("none"), member);
    }

    private static Set<String> supportsFor(String hypervisor, Hv hv) {
        Set<String> s = new LinkedHashSet<>();
        s.add("hypervisor=" + hypervisor);
        if (hv.family) {
            s.add("family=qemu");
        }
        return s;
    }

    /** 1 - Π(1 - w) over distinct signals supporting any of {@code supports}. */
    static double agree(List<Evidence> ev, Set<String> supports) {
        Map<String, Double> bySignal = new LinkedHashMap<>();
        for (Evidence e : ev) {
            if (supports.contains(e.supports())) {
                bySignal.merge(e.signal(), e.weight(), Math::max);
            }
        }
        double miss = 1;
        for (double w : bySignal.values()) {
            miss *= 1 - w;
        }
        return Math.min(0.99, 1 - miss);
    }

    private static double confidence(List<Evidence> ev, String layer, String answer) {
        double a = agree(ev, Set.of(layer + "=" + answer));
        double conflict = 0;
        for (Evidence e : ev) {
            if (e.layer().equals(layer) && !e.answer().equals(answer) && !e.answer().equals("none")) {
                conflict = Math.max(conflict, e.weight());
            }
        }
        return Math.max(0.05, a * (1 - 0.4 * conflict));
    }

    private static String best(Map<String, Double> scores, List<Evidence> ev, String layer) {
        String best = null;
        double w = 0;
        for (Map.Entry<String, Double> e : scores.entrySet()) {
            if (e.getValue() > w) {
                best = e.getKey();
                w = e.getValue();
            }
        }
        return best;
    }

    private static String mainSource(List<Evidence> ev, Set<String> supports) {
        Evidence best = null;
        for (Evidence e : ev) {
            if (supports.contains(e.supports()) && (best == null || e.weight() > best.weight())) {
                best = e;
            }
        }
        return best == null ? "no direct evidence" : best.source();
    }

    private static List<Evidence> dedupe(List<Evidence> ev) {
        Map<String, Evidence> out = new LinkedHashMap<>();
        for (Evidence e : ev) {
            String k = e.signal() + "\u0000" + e.value() + "\u0000" + e.source() + "\u0000" + e.supports();
            out.merge(k, e, (a, b) -> a.weight() >= b.weight() ? a : b);
        }
        return new ArrayList<>(out.values());
    }

    private static double round(double d) {
        return Math.round(d * 100) / 100.0;
    }
}
