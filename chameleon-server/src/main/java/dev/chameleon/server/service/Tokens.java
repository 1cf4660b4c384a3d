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
    /** Shortest and longest life of an API token that expires (one without an expiry never does). */
    public static final Duration MIN_API_LIFE = Duration.ofMinutes(1);
    public static final Duration MAX_API_LIFE = Duration.ofDays(3660);
    /** Most uses of one enrollment token. */
    public static final int MAX_ENROLL_USES = 1_000_000;

    private final Database db;
    private final Clock clock;

    public Tokens(Database db, Clock clock) {
        this.db = db;
        this.clock = clock;
    }

    /**
     * A credential made now: its id, the secret string shown this once, and when it expires
     * (null: an API token that never does).
     */
    public record Created(String id, String token, Instant expiresAt) {
    }

    /** An API token as listed (never the secret or its hash). {@code expiresAt}: null when it never expires. */
    public record ApiTokenView(String id, String name, String role, Instant createdAt, String createdBy, Instant revokedAt,
                               Instant expiresAt) {
    }

    /**
     * Creates an API token.
     *
     * @param expiresInSeconds null: it never expires; else how long it is good for,
     *                         {@link #MIN_API_LIFE} to {@link #MAX_API_LIFE}
     * @throws ApiException 400 for a bad role, name or life
     */
    public Created createApiToken(Grant g, String name, String role, Long expiresInSeconds) {
        Role r = Role.of(role == null ? "" : role).orElseThrow(() -> ApiException.invalid("role must be admin, operator or viewer, got '"
                + Names.shorten(role) + "'"));
        String n = Names.text("name", name, 200, true);
        if (expiresInSeconds != null && (expiresInSeconds < MIN_API_LIFE.toSeconds() || expiresInSeconds > MAX_API_LIFE.toSeconds())) {
            throw ApiException.invalid("expiresInSeconds must be " + MIN_API_LIFE.toSeconds() + " to " + MAX_API_LIFE.toSeconds()
                    + " (1 minute to " + MAX_API_LIFE.toDays() + " days), got " + expiresInSeconds);
        }
        Duration life = expiresInSeconds == null ? null : Duration.ofSeconds(expiresInSeconds);
        return db.tx(c -> {
            Created made = insertApi(c, n, r, g.actorName() + " (" + g.actorId() + ")", life);
            AuditStore.record(c, g, clock.instant(), "token.create", made.id(), Mapper.write(detail(n, r, made)));
            return made;
        });
    }

    private static Map<String, Object> detail(String name, Role role, Created made) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", name);
        d.put("role", role.wire());
        if (made.expiresAt() != null) {
            d.put("expiresAt", made.expiresAt().toString());
        }
        return d;
    }

    private Created insertApi(java.sql.Connection c, String name, Role role, String by, Duration life) throws java.sql.SQLException {
        String id = Secrets.newId("tk");
        String secret = Secrets.newSecret();
        Instant now = clock.instant();
        // to the second: what is shown, listed and stored is the same instant
        Instant expires = life == null ? null : now.plus(life).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        TokenStore.insertApi(c, new TokenStore.ApiToken(id, name, role.wire(), Secrets.hash(secret), now, by, null, expires));
        return new Created(id, Secrets.credential(Secrets.API, id, secret), expires);
    }

    /**
     * Creates an API token from the server's own command line ({@code chameleon server token create}),
     * which has the database but no token yet: how the first admin token comes to be. Audited as
     * actor {@code server-cli}.
     *
     * @param life null: it never expires; else {@link #MIN_API_LIFE} to {@link #MAX_API_LIFE}
     * @throws IllegalArgumentException for a life outside the bounds
     */
    public Created createFromCommandLine(String name, Role role, String host, Duration life) {
        String n = Names.text("name", name, 200, true);
        if (life != null && (life.compareTo(MIN_API_LIFE) < 0 || life.compareTo(MAX_API_LIFE) > 0)) {
            throw new IllegalArgumentException("--expires-in must be 1m to " + MAX_API_LIFE.toDays() + "d, got " + life.toMinutes() + "m");
        }
        return db.tx(c -> {
            Created made = insertApi(c, n, role, "server-cli", life);
            AuditStore.record(c, new Grant("server-cli", "chameleon server token create", Role.ADMIN, host, "cli"),
                    clock.instant(), "token.create", made.id(), Mapper.write(detail(n, role, made)));
            return made;
        });
    }

    /** {@link #createFromCommandLine(String, Role, String, Duration)} of a token that never expires. */
    public Created createFromCommandLine(String name, Role role, String host) {
        return createFromCommandLine(name, role, host, null);
    }

    /** Every API token, oldest first (also the revoked and expired ones). */
    public List<ApiTokenView> listApiTokens(Grant g) {
        return listApiTokens();
    }

    /** Every API token, for the server's own command line ({@code chameleon server token list}). */
    public List<ApiTokenView> listApiTokens() {
        return db.read(c -> TokenStore.listApi(c).stream().map(t -> new ApiTokenView(t.id(), t.name(), t.role(), t.createdAt(),
                t.createdBy(), t.revokedAt(), t.expiresAt())).toList());
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
                List<TokenStore.LiveAdmin> admins = TokenStore.lockActiveAdmins(c);
                Instant now = clock.instant();
                Instant revokedExpiry = t.get().expiresAt();
                // another admin must remain usable at least as long as this one would have been:
                // not expired now, and (null = never) not expiring before the one revoked
                boolean another = admins.stream().anyMatch(a -> !a.id().equals(id)
                        && (a.expiresAt() == null || a.expiresAt().isAfter(now))
                        && (a.expiresAt() == null || (revokedExpiry != null && !a.expiresAt().isBefore(revokedExpiry))));
                if (!another) {
                    throw ApiException.conflict("API token " + id + " is the last admin token that stays valid (the other admin tokens"
                            + " are expired or expire before it); revoking it could lock every operator out."
                            + " Create another admin token first (POST /api/v1/tokens with role admin, no expiry or one no earlier"
                            + " than this token's), then revoke this one");
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
            return new Created(id, Secrets.credential(Secrets.ENROLL, id, secret), now.plusSeconds(ttlSeconds));
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
     *                      wrong credential; 401 {@code token-expired} for an API token past its expiry; 401 {@code reenroll} for an agent credential of an agent
     *                      the server does not know (removed): the agent should enroll again
     */
    public Principal authenticate(String authorization) {
        if (authorization == null || authorization.isBlank()) {
            throw ApiException.unauthenticated("no credential: send Authorization: Bearer TOKEN");
        }
        // RFC 7235 section 2.1: the auth-scheme is case-insensitive
        if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
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
                if (t.expiresAt() != null && !t.expiresAt().isAfter(clock.instant())) {
                    throw ApiException.tokenExpired("API token " + cred.id() + " expired at " + t.expiresAt()
                            + ": an admin can make a new one (chameleon server token create, POST /api/v1/tokens)");
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
