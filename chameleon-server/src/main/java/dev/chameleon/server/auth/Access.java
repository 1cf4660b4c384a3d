package dev.chameleon.server.auth;

import dev.chameleon.server.service.ApiException;

/**
 * One request's authorization, checked by the handler for what it does (Fleet's authz model).
 *
 * <p>Every handler of an authenticated route must call one of the {@code require} methods before
 * it reads or writes anything; the HTTP layer fails any such request whose handler never did
 * (a safety net, like Fleet's authzcheck middleware), and services only write with a
 * {@link Grant}, which only {@link #require(Role)} hands out.
 */
public final class Access {
    private final Principal principal;
    private final String remoteAddr;
    private final String requestId;
    private boolean checked;

    public Access(Principal principal, String remoteAddr, String requestId) {
        this.principal = principal;
        this.remoteAddr = remoteAddr;
        this.requestId = requestId;
    }

    public Principal principal() {
        return principal;
    }

    public String requestId() {
        return requestId;
    }

    public String remoteAddr() {
        return remoteAddr;
    }

    /** Whether a {@code require} method was called (passed or not). */
    public boolean checked() {
        return checked;
    }

    /**
     * Requires an operator with at least this role.
     *
     * @throws ApiException 403 for an agent or a lower role
     */
    public Grant require(Role role) {
        checked = true;
        if (principal instanceof Principal.Operator o) {
            if (o.role().includes(role)) {
                return new Grant(o.tokenId(), o.name(), o.role(), remoteAddr, requestId);
            }
            throw ApiException.forbidden("this needs the " + role.wire() + " role; token " + o.tokenId() + " is " + o.role().wire());
        }
        throw ApiException.forbidden("this needs an operator token with the " + role.wire() + " role, not an agent credential");
    }

    /**
     * Requires the agent itself.
     *
     * @throws ApiException 403 for another agent or an operator
     */
    public Principal.Agent requireAgent(String agentId) {
        checked = true;
        if (principal instanceof Principal.Agent a) {
            if (a.agentId().equals(agentId)) {
                return a;
            }
            throw ApiException.forbidden("agent " + a.agentId() + " may only use its own records, not " + agentId + "'s");
        }
        throw ApiException.forbidden("only agent " + agentId + " itself may do this");
    }

    /** Requires the agent itself or an operator with at least {@code role}; true for the agent. */
    public boolean requireAgentOr(String agentId, Role role) {
        if (principal instanceof Principal.Agent) {
            requireAgent(agentId);
            return true;
        }
        require(role);
        return false;
    }
}
