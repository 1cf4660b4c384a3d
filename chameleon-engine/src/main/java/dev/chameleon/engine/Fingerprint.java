package dev.chameleon.engine;

import dev.chameleon.model.FactSet;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * The platform a tuning result was measured on, so a result can be offered to similar VMs: from
 * the facts {@code platform.hypervisor}, {@code platform.cloud}, {@code cpu.model},
 * {@code memory.totalBytes} (as a tier: the next power of two in GiB) and the applications the
 * apps sensor recognised ({@code apps[].name}). A fact the sensors did not report is absent
 * here, never guessed.
 *
 * @param hypervisor   {@code platform.hypervisor}, or empty
 * @param cloud        {@code platform.cloud}, or empty
 * @param cpuModel     {@code cpu.model}, or empty
 * @param memoryTierGiB the smallest power of two (GiB) at least {@code memory.totalBytes}, or empty
 * @param apps         the recognised applications' names, sorted
 */
public record Fingerprint(Optional<String> hypervisor, Optional<String> cloud, Optional<String> cpuModel, Optional<Long> memoryTierGiB,
                          List<String> apps) {
    public Fingerprint {
        apps = List.copyOf(apps);
    }

    /** The fingerprint of {@code facts}. */
    public static Fingerprint of(FactSet facts) {
        Optional<Long> tier = facts.get("memory.totalBytes").filter(Number.class::isInstance).map(v -> tier(((Number) v).longValue()));
        TreeSet<String> apps = new TreeSet<>();
        for (Object a : facts.getList("apps")) {
            if (a instanceof Map<?, ?> m && m.get("name") instanceof String n) {
                apps.add(n);
            }
        }
        return new Fingerprint(facts.getString("platform.hypervisor"), facts.getString("platform.cloud"), facts.getString("cpu.model"),
                tier, new ArrayList<>(apps));
    }

    /**
     * The fingerprint whose {@link #fields()} are {@code fields} (as an agent sends them in a
     * {@code tuning-proposal}; {@code key} is ignored: {@link #key()} recomputes it), so the control
     * plane checks a sent key with the same code the agent made it with. A part of the wrong type
     * is left absent: the key then differs from the one sent.
     */
    public static Fingerprint fromFields(Map<?, ?> fields) {
        List<String> apps = new ArrayList<>();
        if (fields.get("apps") instanceof List<?> l) {
            l.stream().filter(String.class::isInstance).map(String.class::cast).forEach(apps::add);
        }
        return new Fingerprint(text(fields.get("hypervisor")), text(fields.get("cloud")), text(fields.get("cpuModel")),
                fields.get("memoryTierGiB") instanceof Long n ? Optional.of(n)
                        : fields.get("memoryTierGiB") instanceof Integer n ? Optional.of(n.longValue()) : Optional.empty(), apps);
    }

    private static Optional<String> text(Object o) {
        return o instanceof String s ? Optional.of(s) : Optional.empty();
    }

    /** The smallest power of two, in GiB, at least {@code bytes} (1 for anything up to 1 GiB). */
    public static long tier(long bytes) {
        long gib = 1;
        while (gib < (1L << 40) && gib * (1L << 30) < bytes) {
            gib *= 2;
        }
        return gib;
    }

    /** Its parts in a fixed order, absent ones left out ({@code -o json}, the proposal's header). */
    public Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        hypervisor.ifPresent(v -> m.put("hypervisor", v));
        cloud.ifPresent(v -> m.put("cloud", v));
        cpuModel.ifPresent(v -> m.put("cpuModel", v));
        memoryTierGiB.ifPresent(v -> m.put("memoryTierGiB", v));
        m.put("apps", apps);
        m.put("key", key());
        return m;
    }

    /** One line: {@code hypervisor=kvm cloud=none cpu="AMD EPYC 7B13" memory<=8GiB apps=postgresql}. */
    public String describe() {
        String k = key();
        return (k.equals("any") ? "" : k + " ") + "apps=" + (apps.isEmpty() ? "none" : String.join(",", apps));
    }

    /**
     * The platform part, which similar VMs share and the control plane matches proposals by:
     * {@link #describe()} without the apps ({@code hypervisor=kvm cloud=none cpu="AMD EPYC 7B13"
     * memory<=8GiB}; {@code any} when no fact is known), the same facts as {@link #condition()}.
     */
    public String key() {
        List<String> parts = new ArrayList<>();
        hypervisor.ifPresent(v -> parts.add("hypervisor=" + v));
        cloud.ifPresent(v -> parts.add("cloud=" + v));
        cpuModel.ifPresent(v -> parts.add("cpu=\"" + v + "\""));
        memoryTierGiB.ifPresent(v -> parts.add("memory<=" + v + "GiB"));
        return parts.isEmpty() ? "any" : String.join(" ", parts);
    }

    /**
     * The CEL condition matching this platform (not the apps: the tuned workload may not be one
     * the sensors name): hypervisor, cloud, CPU model and memory tier, each fact guarded with
     * {@code has()} so a machine without it simply does not match.
     */
    public String condition() {
        List<String> terms = new ArrayList<>();
        hypervisor.ifPresent(v -> terms.add("has(platform.hypervisor) && platform.hypervisor == " + quote(v)));
        cloud.ifPresent(v -> terms.add("has(platform.cloud) && platform.cloud == " + quote(v)));
        cpuModel.ifPresent(v -> terms.add("has(cpu.model) && cpu.model == " + quote(v)));
        memoryTierGiB.ifPresent(v -> terms.add("has(memory.totalBytes) && memory.totalBytes > gib(" + (v / 2)
                + ") && memory.totalBytes <= gib(" + v + ")"));
        return terms.isEmpty() ? "true" : String.join(" && ", terms);
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
