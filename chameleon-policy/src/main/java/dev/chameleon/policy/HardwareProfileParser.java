package dev.chameleon.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads {@code HardwareProfile} documents with the positioned YAML reading policies use
 * ({@link Syntax}): every problem is a {@link PolicyError} at {@code file:line:column}, and
 * reading never throws for bad input. A file may hold several documents ({@code ---}).
 *
 * <pre>
 * apiVersion: chameleon/v1
 * kind: HardwareProfile
 * metadata: {name: database, description: ...}
 * spec:
 *   nic: {model: paravirtual, minQueues: 4}
 *   disk: {model: paravirtual}
 *   cpu: {minCount: 4, maxThreadsPerCore: 2, flags: [aes, avx2]}
 *   memory: {minMiB: 16384, hugePageBacking: true}
 *   gpu: {passthrough: true}
 *   tpm: true
 *   secureBoot: true
 * </pre>
 */
public final class HardwareProfileParser extends Syntax {
    private HardwareProfileParser() {
    }

    /** The profiles of one file, or none when the file has any problem (each added to {@code errors}). */
    public static List<HardwareProfile> parse(String fileName, String text, List<PolicyError> errors) {
        HardwareProfileParser p = new HardwareProfileParser();
        p.src = new SourceText(fileName, text);
        List<HardwareProfile> out = new ArrayList<>();
        p.composeDocuments(PolicyParser.MAX_FILE_BYTES, "profile files", doc -> {
            int before = p.errorCount();
            HardwareProfile hp = p.document(doc);
            if (hp != null && p.errorCount() == before) {
                out.add(hp);
            }
        });
        errors.addAll(p.errors);
        return p.errors.isEmpty() ? out : List.of(); // a file with a problem gives no profile: it is fixed, not half-read
    }

    private HardwareProfile document(Node doc) {
        Header h = header(doc, HardwareProfile.KIND, "database", n -> WORD.matcher(n).matches() ? null
                : "metadata.name must be one word (letters, digits, _ . + -), found '" + n + "'", ", e.g. spec: {nic: {model: paravirtual}}");
        if (h == null) {
            return null;
        }
        String name = h.name();
        String description = h.description();
        Node specNode = h.spec();
        Map<String, NodeTuple> spec = mapping(specNode, "spec", Set.of("nic", "disk", "cpu", "memory", "gpu", "tpm", "secureBoot"));
        if (spec == null) {
            return null;
        }
        if (spec.isEmpty()) {
            err(specNode, "spec is empty; give at least one requirement (nic, disk, cpu, memory, gpu, tpm, secureBoot)");
        }
        String nicModel = null;
        Long nicQueues = null;
        Map<String, NodeTuple> nic = section(spec, "nic", Set.of("model", "minQueues"));
        if (nic != null) {
            nicModel = model(nic, "spec.nic");
            nicQueues = positive(nic, "minQueues", "spec.nic");
        }
        String diskModel = null;
        Map<String, NodeTuple> disk = section(spec, "disk", Set.of("model"));
        if (disk != null) {
            diskModel = model(disk, "spec.disk");
        }
        Long vcpus = null;
        Long tpc = null;
        List<String> flags = List.of();
        Map<String, NodeTuple> cpu = section(spec, "cpu", Set.of("minCount", "maxThreadsPerCore", "flags"));
        if (cpu != null) {
            vcpus = positive(cpu, "minCount", "spec.cpu");
            tpc = positive(cpu, "maxThreadsPerCore", "spec.cpu");
            flags = words(cpu, "flags", "spec.cpu");
        }
        Long mib = null;
        Boolean huge = null;
        Map<String, NodeTuple> mem = section(spec, "memory", Set.of("minMiB", "hugePageBacking"));
        if (mem != null) {
            mib = positive(mem, "minMiB", "spec.memory");
            huge = bool(mem, "hugePageBacking", "spec.memory");
        }
        Boolean gpu = null;
        Map<String, NodeTuple> g = section(spec, "gpu", Set.of("passthrough"));
        if (g != null) {
            gpu = bool(g, "passthrough", "spec.gpu");
        }
        Boolean tpm = bool(spec, "tpm", "spec");
        Boolean sb = bool(spec, "secureBoot", "spec");
        return new HardwareProfile(name, description, src.name(), nicModel, nicQueues, diskModel, vcpus, tpc, flags, mib,
                huge, gpu, tpm, sb);
    }

    private Map<String, NodeTuple> section(Map<String, NodeTuple> spec, String key, Set<String> allowed) {
        NodeTuple t = spec.get(key);
        return t == null ? null : mapping(t.getValueNode(), "spec." + key, allowed);
    }

    private String model(Map<String, NodeTuple> m, String what) {
        String v = scalar(m, "model", what, true);
        if (v != null && !v.equals(HardwareProfile.PARAVIRTUAL)) {
            err(m.get("model").getValueNode(), what + ".model must be '" + HardwareProfile.PARAVIRTUAL
                    + "' (the detected platform's paravirtual device), found '" + v + "'");
            return null;
        }
        return v;
    }

    /** The largest count each field takes: NR_CPUS's maximum, SMT8 (POWER), 1 PiB in MiB, a NIC's most queues (ethtool). */
    static final Map<String, Long> MAX = Map.of("minCount", 8192L, "maxThreadsPerCore", 8L, "minMiB", 1L << 30, "minQueues", 4096L);

    private Long positive(Map<String, NodeTuple> m, String key, String what) {
        return wholeInRange(m, key, what, 1, MAX.get(key));
    }

    private Boolean bool(Map<String, NodeTuple> m, String key, String what) {
        NodeTuple t = m.get(key);
        if (t == null) {
            return null;
        }
        if (t.getValueNode() instanceof ScalarNode s && s.getTag().equals(Tag.BOOL)) {
            return Boolean.parseBoolean(s.getValue().toLowerCase(java.util.Locale.ROOT));
        }
        err(t.getValueNode(), what + "." + key + " must be true or false, found " + describe(t.getValueNode()));
        return null;
    }

    private List<String> words(Map<String, NodeTuple> m, String key, String what) {
        NodeTuple t = m.get(key);
        if (t == null) {
            return List.of();
        }
        if (!(t.getValueNode() instanceof SequenceNode seq)) {
            err(t.getValueNode(), what + "." + key + " must be a list, e.g. [aes, avx2], found " + describe(t.getValueNode()));
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Node n : seq.getValue()) {
            if (!(n instanceof ScalarNode s) || !s.getValue().matches("[a-z0-9_]{1,40}")) {
                err(n, what + "." + key + " holds /proc/cpuinfo flag names (lower case, digits, _), found " + describe(n));
                continue;
            }
            out.add(s.getValue());
        }
        return out;
    }
}
