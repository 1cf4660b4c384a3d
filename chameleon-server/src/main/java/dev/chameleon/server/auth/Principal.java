package dev.chameleon.server.auth;

/** Who a request is from, once its credential checked out. */
public sealed interface Principal {
    /** An operator's API token. */
    record Operator(String tokenId, String name, Role role) implements Principal {
    }

    /** An enrolled agent. */
    record Agent(String agentId, String hostname) implements Principal {
    }
}
