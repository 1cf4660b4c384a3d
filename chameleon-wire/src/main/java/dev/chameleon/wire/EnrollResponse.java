package dev.chameleon.wire;

/**
 * The server's answer to an enrollment.
 *
 * @param agentId    the agent's id in the fleet ({@code ag_...})
 * @param credential the agent's own secret credential ({@code cha_...}): shown once, stored by the
 *                   agent 0600 under its state folder, sent as {@code Authorization: Bearer} on every call
 * @param bundleKey  the key every bundle for this agent is signed with: pin it
 */
public record EnrollResponse(String agentId, String credential, BundleKey bundleKey) {
}
