package dev.chameleon.model;

import java.util.List;

/**
 * Why a setting is desired: the policy that wants it, where that policy was written, its
 * priority and condition, and the facts the condition read.
 *
 * @param policy    the policy's {@code metadata.name}
 * @param source    the file and line of the setting in the policy ({@code pack/vmware.yaml:12})
 * @param priority  the policy's priority; higher wins
 * @param condition the policy's {@code when:} expression as written, or {@code true}
 * @param facts     the facts the condition referenced, each as {@code path = value}
 * @param element   for per-element settings, which element was selected (e.g. {@code disk vda}), else empty
 */
public record Reason(String policy, String source, int priority, String condition, List<String> facts, String element) {
    public Reason {
        facts = List.copyOf(facts);
        element = element == null ? "" : element;
    }

    /**
     * The policy name of a {@link #describe()} line (what the journal records as an entry's
     * reason); empty when {@code described} is not one.
     */
    public static java.util.Optional<String> policyOf(String described) {
        if (described == null || !described.startsWith("policy ")) {
            return java.util.Optional.empty();
        }
        int end = described.indexOf(" (", 7);
        return end < 0 ? java.util.Optional.empty() : java.util.Optional.of(described.substring(7, end));
    }

    /** One line for people: {@code policy vmware-guest (pack/vmware.yaml:9) when platform.hypervisor == "vmware"}. */
    public String describe() {
        String s = "policy " + policy + " (" + source + ")";
        if (!condition.equals("true")) {
            s += " when " + condition;
        }
        if (!element.isEmpty()) {
            s += " for " + element;
        }
        return s;
    }
}
