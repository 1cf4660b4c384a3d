package dev.chameleon.server.http;

import dev.chameleon.wire.BundleKey;
import java.util.List;
import java.util.Map;

/** Request and response bodies of the API that are not service records. */
public final class Dto {
    private Dto() {
    }

    /** {@code POST /api/v1/tokens}: role is admin, operator or viewer. */
    /**
     * {@code POST /api/v1/tokens}.
     *
     * @param expiresInSeconds optional: the token expires this many seconds from now (60 to 316224000, 3,660 days);
     *                         absent: it never expires
     */
    public record TokenRequest(String name, String role, Long expiresInSeconds) {
    }

    /**
     * {@code POST /api/v1/enroll-tokens}.
     *
     * @param ttlSeconds how long it is valid (default 86400)
     * @param maxUses    how many agents may enroll with it (default 1)
     * @param labels     attached to every agent enrolling with it
     */
    public record EnrollTokenRequest(String name, Long ttlSeconds, Integer maxUses, Map<String, Object> labels) {
    }

    public record LabelsRequest(Map<String, Object> labels) {
    }

    public record AssignmentRequest(String name, String policy, String selector) {
    }

    public record SelectorRequest(String selector) {
    }

    /** {@code POST /api/v1/assignments/{name}/rollouts}; see docs/control-plane.md#rollouts. */
    public record RolloutRequest(Integer version, List<String> canaryAgents, String canarySelector, List<Integer> steps,
                                 Integer intervalSeconds) {
    }

    /** Who the credential is: an operator token (id, name, role) or an agent (id, hostname; role {@code agent}). */
    public record WhoAmI(String id, String name, String role) {
    }

    /**
     * @param version   the server's version
     * @param database  {@code h2} (embedded) or {@code postgresql}
     * @param bundleKey the key bundles are signed with (agents pin it at enrollment)
     */
    public record ServerInfo(String version, String database, BundleKey bundleKey) {
    }

    public record Health(String status, String database) {
    }
}
