package dev.chameleon.server.service;

import dev.chameleon.server.auth.Secrets;
import dev.chameleon.server.store.AgentStore;
import dev.chameleon.server.store.Database;
import dev.chameleon.server.store.EventStore;
import dev.chameleon.server.store.TokenStore;
import dev.chameleon.wire.BundleKey;
import dev.chameleon.wire.EnrollRequest;
import dev.chameleon.wire.EnrollResponse;
import dev.chameleon.wire.Json;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Exchanges an enrollment token for an agent's own credential (Fleet's enroll: a shared secret
 * in, a random per-agent key out; only its hash is kept).
 */
public final class Enrollment {
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?");
    private static final Pattern VERSION = Pattern.compile("[A-Za-z0-9.+_~-]{0,64}");

    private final Database db;
    private final Clock clock;
    private final BundleKey bundleKey;
    private final Reports reports;
    private final Notifier notifier;

    public Enrollment(Database db, Clock clock, BundleKey bundleKey, Reports reports, Notifier notifier) {
        this.db = db;
        this.clock = clock;
        this.bundleKey = bundleKey;
        this.reports = reports;
        this.notifier = notifier;
    }

    /**
     * Enrolls an agent.
     *
     * @throws ApiException 400 for a malformed host name, version or facts; 401 for an enrollment
     *                      token that is unknown, wrong, revoked, expired or used up (the message says which)
     */
    public EnrollResponse enroll(EnrollRequest req, String remoteAddr) {
        Secrets.Credential cred = Secrets.parse(req.enrollToken()).filter(c -> c.prefix().equals(Secrets.ENROLL))
                .orElseThrow(() -> ApiException.unauthenticated("enrollToken is not an enrollment token (che_...)"));
        if (!HOSTNAME.matcher(req.hostname()).matches()) {
            throw ApiException.invalid("hostname must be 1 to 253 of A-Z a-z 0-9 . _ -, got '" + Names.shorten(req.hostname()) + "'");
        }
        if (!VERSION.matcher(req.agentVersion()).matches()) {
            throw ApiException.invalid("agentVersion must be at most 64 of A-Z a-z 0-9 . + _ ~ -");
        }
        Reports.Facts facts = req.facts().isEmpty() ? null : reports.facts(Json.write(req.facts()));
        EnrollResponse out = db.tx(c -> {
            Instant now = clock.instant();
            TokenStore.EnrollToken t = TokenStore.findEnroll(c, cred.id())
                    .orElseThrow(() -> ApiException.unauthenticated("unknown enrollment token " + cred.id()));
            if (!Secrets.matches(cred.secret(), t.secretHash())) {
                throw ApiException.unauthenticated("wrong secret for enrollment token " + cred.id());
            }
            if (t.revokedAt() != null) {
                throw ApiException.unauthenticated("enrollment token " + t.id() + " was revoked at " + t.revokedAt());
            }
            if (!t.expiresAt().isAfter(now)) {
                throw ApiException.unauthenticated("enrollment token " + t.id() + " expired at " + t.expiresAt());
            }
            if (!TokenStore.use(c, t.id(), now)) {
                throw ApiException.unauthenticated("enrollment token " + t.id() + " is used up (" + t.maxUses() + " of "
                        + t.maxUses() + " uses)");
            }
            String id = Secrets.newId("ag");
            String secret = Secrets.newSecret();
            AgentStore.insert(c, id, req.hostname(), req.agentVersion(), t.labels(), Secrets.hash(secret), t.id(), now,
                    Reports.nextRev(db, c));
            if (facts != null) {
                reports.storeFacts(c, id, facts, now);
            }
            EventStore.append(c, now, id, "agent.enrolled", "agent " + id + " (" + req.hostname() + ") enrolled with token "
                    + t.id() + " from " + remoteAddr, Mapper.write(Map.of("hostname", req.hostname(), "labels", Mapper.labels(t.labels()))));
            return new EnrollResponse(id, Secrets.credential(Secrets.AGENT, id, secret), bundleKey);
        });
        notifier.poke();
        return out;
    }
}
