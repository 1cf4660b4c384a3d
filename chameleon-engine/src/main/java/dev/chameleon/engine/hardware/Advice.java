package dev.chameleon.engine.hardware;

import dev.chameleon.host.Host;
import dev.chameleon.model.FactSet;
import dev.chameleon.policy.HardwareProfile;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The hardware advice an agent sends to the control plane: {@code chameleon hardware check}
 * against the {@code general} profile, and, when {@code migration.target} names a platform,
 * {@code chameleon readiness --target} for it. The same code as the two commands; the shapes are
 * theirs (docs/hardware.md, "JSON shapes").
 *
 * <p>Shape: {@code {"summary": "…", "hardware": {profile, platform, findings, summary},
 * "readiness": {target, findings, summary}}}; {@code readiness} only with a target, or
 * {@code "readinessError": "…"} when the target is none of the known platforms.
 */
public final class Advice {
    /** The profile an agent checks against: what every VM should have. */
    public static final String PROFILE = "general";

    private Advice() {
    }

    /** The advice for the machine of {@code host}, whose facts are {@code facts} (a whole collection). Reads files; may list the initramfs. */
    public static Map<String, Object> of(Host host, FactSet facts) {
        HardwareProfile profile = HardwareProfiles.builtin().get(PROFILE);
        HardwareCheck.Report hw = HardwareCheck.check(profile, facts, host.root());
        Map<String, Object> out = new LinkedHashMap<>();
        StringBuilder summary = new StringBuilder("hardware (" + PROFILE + "): " + gaps(hw.findings()));
        Optional<String> target = facts.getString("migration.target");
        Map<String, Object> readiness = null;
        String readinessError = null;
        if (target.isPresent()) {
            Optional<Platforms.Platform> p = Platforms.get(target.get());
            if (p.isPresent()) {
                Readiness.Report r = Readiness.check(p.get(), host, facts);
                readiness = r.toMap();
                summary.append("; readiness for ").append(target.get()).append(": ").append(gaps(r.findings()));
            } else {
                readinessError = "migration target '" + target.get() + "' is none of " + String.join(", ", Platforms.NAMES);
                summary.append("; ").append(readinessError);
            }
        }
        out.put("summary", summary.toString());
        out.put("hardware", hw.toMap());
        if (readiness != null) {
            out.put("readiness", readiness);
        }
        if (readinessError != null) {
            out.put("readinessError", readinessError);
        }
        return out;
    }

    /** "no gaps" or "2 failing (nic.model, cpu.count)", with the unknown ones counted. */
    static String gaps(List<Finding> findings) {
        List<String> failing = findings.stream().filter(f -> f.status() == Finding.Status.FAIL).map(Finding::check).toList();
        long unknown = findings.stream().filter(f -> f.status() == Finding.Status.UNKNOWN).count();
        return (failing.isEmpty() ? "nothing failing" : failing.size() + " failing (" + String.join(", ", failing) + ")")
                + (unknown > 0 ? ", " + unknown + " unknown" : "");
    }
}
