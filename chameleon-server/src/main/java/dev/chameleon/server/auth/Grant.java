package dev.chameleon.server.auth;

/**
 * Proof that a request's authorization was checked for an operator action; services take it for
 * every write and the audit log records it.
 *
 * @param actorId    the API token's id
 * @param actorName  the API token's name
 * @param role       the token's role
 * @param remoteAddr the client address the request came from
 * @param requestId  the request's id
 */
public record Grant(String actorId, String actorName, Role role, String remoteAddr, String requestId) {
}
