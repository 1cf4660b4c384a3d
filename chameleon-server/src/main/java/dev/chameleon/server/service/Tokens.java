package dev.chameleon.server.service;

import dev.chameleon.server.auth.Grant;
import dev.chameleon.server.auth.Principal;
import dev.chameleon.server.auth.Role;
import dev.chameleon.server.auth.Secrets;
import dev.chameleon.server.store.AgentStore;
import dev.chameleon.server.store.AuditStore;
import dev.chameleon.server.store.Database;
import dev.chameleon.server.store.TokenStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Operators' API tokens, enrollment tokens, and authenticating every request's credential.
 */
public final class Tokens {
    /** Longest life of an enrollment token. */
    public static final Duration MAX_ENROLL_LIFE = Duration.ofDays(366);
    /** Most uses of one enrollment token. */
    public static final int MAX_ENROLL_USES = 1_000_000;

    private final Database db;
    private final Clock clock;

    public Tokens(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /** A credential made now: its id, and the secret string shown this once. */
    public record Created(String id, String token) {
    }

    /** An API token as listed (never the secret or its hash). */
    public record ApiTokenView(String id, String name, String role, Instant createdAt, String createdBy, Instant revokedAt) {
    }

    public Created createApiToken(Grant g, String name, String role) {
        Role r = Role.of(role == null ? "" : role).orElseThrow(() -> ApiException.invalid("role must be admin, operator or viewer, got '"
                + Names.shorten(role) + "'"));
        String n = Names.text("name", name, 200, true);
        return db.tx(c -> {
            Created made = insertApi(c, n, r, g.actorName() + " (" + g.actorId() + ")");
            AuditStore.record(c, g, clock.instant(), "token.create", made.id(), Mapper.write(Map.of("name", n, "role", r.wire())));
            return made;
        });
    }

    private Created insertApi(java.sql.Connection c, String name, Role role, String by) throws java.sql.SQLException {
        String id = Secrets.newId("tk");
        String secret = Secrets.newSecret();
        TokenStore.insertApi(c, new TokenStore.ApiToken(id, name, role.wire(), Secrets.hash(secret), clock.instant(), by, null));
        return new Created(id, Secrets.credential(Secrets.API, id, secret));
    }

    /**
     * Creates an API token from the server's own command line ({@code chameleon server token create}),
     * which has the database but no token yet: how the first admin token comes to be. Audited as
     * actor {@code server-cli}.
     */
    public Created createFromCommandLine(String name, Role role, String host) {
        String n = Names.text("name", name, 200, true);
        return db.tx(c -> {
            Created made = insertApi(c, n, role, "server-cli");
            AuditStore.record(c, new Grant("server-cli", "chameleon server token create", Role.ADMIN, host, "cli"),
                    clock.instant(), "token.create", made.id(), Mapper.write(Map.of("name", n, "role", role.wire())));
            return made;
        });
    }

    public List<ApiTokenView> listApiTokens(Grant g) {
        return db.read(c -> TokenStore.listApi(c).stream().map(t -> new ApiTokenView(t.id(), t.name(), t.role(), t.createdAt(),
                t.createdBy(), t.revokedAt())).toList());
    }

    public void revokeApiToken(Grant g, String id) {
        db.tx(c -> {
            Optional<TokenStore.ApiToken> t = TokenStore.findApi(c, id);
            if (t.isEmpty()) {
                throw ApiException.notFound("no API token " + Names.shorten(id));
            }
            if (t.get().revokedAt() != null) {
                throw ApiException.conflict("API token " + id + " was revoked at " + t.get().revokedAt());
            }
            if (t.get().role().equals(Role.ADMIN.wire())) {
                List<String> admins = TokenStore.lockActiveAdmins(c);
                if (admins.size() <= 1 && admins.contains(id)) {
                    throw ApiException.conflict("API token " + id + " is the last admin token; revoking it would lock every operator out."
                            + " Create another admin token first (POST /api/v1/tokens with role admin), then revoke this one");
                }
            }
            TokenStore.revokeApi(c, id, clock.instant());
            AuditStore.record(c, g, clock.instant(), "token.revoke", id, null);
            return null;
        });
    }

    /** An enrollment token as listed. */
    public record EnrollTokenView(String id, String name, Map<String, String> labels, int maxUses, int uses, Instant expiresAt,
                                  Instant createdAt, String createdBy, Instant revokedAt) {
    }

    /**
     * Creates an enrollment token.
     *
     * @param ttlSeconds how long it is valid, 60 s to {@link #MAX_ENROLL_LIFE}
     * @param maxUses    how many agents may enroll with it, 1 to {@value #MAX_ENROLL_USES}
     * @param labels     attached to every agent enrolling with it
     */
    public Created createEnrollToken(Grant g, String name, long ttlSeconds, int maxUses, Map<String, ?> labels) {
        String n = Names.text("name", name, 200, true);
        if (ttlSeconds < 60 || ttlSeconds > MAX_ENROLL_LIFE.toSeconds()) {
            throw ApiException.invalid("ttlSeconds must be 60 to " + MAX_ENROLL_LIFE.toSeconds() + ", got " + ttlSeconds);
        }
        if (maxUses < 1 || maxUses > MAX_ENROLL_USES) {
            throw ApiException.invalid("maxUses must be 1 to " + MAX_ENROLL_USES + ", got " + maxUses);
        }
        Map<String, String> l = Names.labels("labels", labels);
        return db.tx(c -> {
            String id = Secrets.newId("en");
            String secret = Secrets.newSecret();
            Instant now = clock.instant();
            TokenStore.insertEnroll(c, new TokenStore.EnrollToken(id, n, Secrets.hash(secret), Mapper.write(l), maxUses, 0,
                    now.plusSeconds(ttlSeconds), now, g.actorName() + " (" + g.actorId() + ")", null));
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("name", n);
            detail.put("maxUses", maxUses);
            detail.put("ttlSeconds", ttlSeconds);
            detail.put("labels", l);
            AuditStore.record(c, g, now, "enroll-token.create", id, Mapper.write(detail));
            return new Created(id, Secrets.credential(Secrets.ENROLL, id, secret));
        });
    }

    public List<EnrollTokenView> listEnrollTokens(Grant g) {
        return db.read(c -> TokenStore.listEnroll(c).stream().map(t -> new EnrollTokenView(t.id(), t.name(), Mapper.labels(t.labels()),
                t.maxUses(), t.uses(), t.expiresAt(), t.createdAt(), t.createdBy(), t.revokedAt())).toList());
    }

    public void revokeEnrollToken(Grant g, String id) {
        db.tx(c -> {
            Optional<TokenStore.EnrollToken> t = TokenStore.findEnroll(c, id);
            if (t.isEmpty()) {
                throw ApiException.notFound("no enrollment token " + Names.shorten(id));
            }
            if (t.get().revokedAt() != null) {
                throw ApiException.conflict("enrollment token " + id + " was revoked at " + t.get().revokedAt());
            }
            TokenStore.revokeEnroll(c, id, clock.instant());
            AuditStore.record(c, g, clock.instant(), "enroll-token.revoke", id, null);
            return null;
        });
    }

    /**
     * Who an {@code Authorization: Bearer} credential is.
     *
     * @throws ApiException 401 {@code unauthenticated} for a missing, malformed, unknown, revoked or
     *                      wrong credential; 401 {@code reenroll} for an agent credential of an agent
     *                      the server does not know (removed): the agent should enroll again
     */
    public Principal authenticate(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            throw ApiException.unauthenticated("no credential: send Authorization: Bearer TOKEN");
        }
        if (!authorization.startsWith("Bearer ")) {
            throw ApiException.unauthenticated("the Authorization header must be 'Bearer TOKEN'");
        }
        Secrets.Credential cred = Secrets.parse(authorization.substring(7).strip())
                .orElseThrow(() -> ApiException.unauthenticated("not a Chameleon credential (cht_..., cha_...)"));
        return switch (cred.prefix()) {
            case Secrets.API -> db.read(c -> {
                TokenStore.ApiToken t = TokenStore.findApi(c, cred.id())
                        .orElseThrow(() -> ApiException.unauthenticated("unknown API token " + cred.id()));
                if (!Secrets.matches(cred.secret(), t.secretHash())) {
                    throw ApiException.unauthenticated("wrong secret for API token " + cred.id());
                }
                if (t.revokedAt() != null) {
                    throw ApiException.unauthenticated("API token " + cred.id() + " was revoked at " + t.revokedAt());
                }
                return new Principal.Operator(t.id(), t.name(), Role.of(t.role()).orElseThrow());
            });
            case Secrets.AGENT -> db.read(c -> {
                AgentStore.Auth a = AgentStore.auth(c, cred.id())
                        .orElseThrow(() -> ApiException.reenroll("agent " + cred.id() + " is not enrolled here (removed?): enroll again"));
                if (!Secrets.matches(cred.secret(), a.secretHash())) {
                    throw ApiException.unauthenticated("wrong secret for agent " + cred.id());
                }
                return new Principal.Agent(a.id(), a.hostname());
            });
            default -> throw ApiException.unauthenticated("an enrollment token is only good for POST /api/v1/enroll");
        };
    }
}
