package dev.chameleon.wire;

import java.util.List;

/**
 * The {@code .manifest} file of a bundle.
 *
 * @param version  the bundle's version for this agent: grows with every change of its content;
 *                 the agent refuses a version not above the one it runs (no downgrade)
 * @param agentId  the agent the bundle was built for
 * @param keyId    the signing key's id
 * @param created  when the server built it, ISO-8601 UTC
 * @param policies the policy sets in the bundle, one file each
 */
public record BundleManifest(long version, String agentId, String keyId, String created, List<Entry> policies) {
    public BundleManifest {
        policies = List.copyOf(policies);
    }

    /**
     * One policy set in the bundle.
     *
     * @param assignment the assignment that brought it to this agent
     * @param policy     the policy set's name
     * @param version    the policy set's version
     * @param file       the bundle file holding its YAML ({@code policies/NAME.yaml})
     */
    public record Entry(String assignment, String policy, long version, String file) {
    }
}
