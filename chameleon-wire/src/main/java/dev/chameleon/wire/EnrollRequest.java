package dev.chameleon.wire;

import java.util.Map;

/**
 * An agent asking to join the fleet ({@code POST /api/v1/enroll}).
 *
 * @param enrollToken  the enrollment token an operator created ({@code che_...})
 * @param hostname     the machine's host name, for people (1 to 253 characters)
 * @param agentVersion the agent's version ({@code 0.1.0})
 * @param facts        the agent's fact tree at enrollment, or an empty map
 */
public record EnrollRequest(String enrollToken, String hostname, String agentVersion, Map<String, Object> facts) {
    public EnrollRequest {
        facts = facts == null ? Map.of() : facts;
    }
}
