package dev.chameleon.engine.hardware;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One item of {@code chameleon hardware check} or {@code chameleon readiness}.
 *
 * @param check    what was checked ({@code nic.model}, {@code initramfs.drivers}, {@code fstab.stable-ids})
 * @param status   {@code pass}, {@code fail} (a gap), or {@code unknown} (the machine does not show it, or its source was unreadable)
 * @param expected what the profile or the target asks for, for people
 * @param found    what the machine shows, for people; empty when nothing was found
 * @param evidence where each observation came from: a fact with its source file, or {@code file:line: text}
 * @param fix      the change that closes the gap on the platform, or empty when it passes
 */
public record Finding(String check, Status status, String expected, String found, List<String> evidence, String fix) {
    public enum Status {
        PASS, FAIL, UNKNOWN;

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Finding {
        evidence = List.copyOf(evidence);
        found = found == null ? "" : found;
        fix = fix == null ? "" : fix;
    }

    /** The JSON shape: {@code {check, status, expected, found, evidence: [..], fix}} ({@code fix} only when not passing). */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("check", check);
        m.put("status", status.word());
        m.put("expected", expected);
        m.put("found", found);
        m.put("evidence", evidence);
        if (status != Status.PASS && !fix.isEmpty()) {
            m.put("fix", fix);
        }
        return m;
    }

    /** {@code {pass: N, fail: N, unknown: N}} of {@code findings}. */
    public static Map<String, Object> summary(List<Finding> findings) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Status s : Status.values()) {
            m.put(s.word(), findings.stream().filter(f -> f.status() == s).count());
        }
        return m;
    }
}
