package dev.chameleon.server.store;

import static dev.chameleon.server.store.Database.instant;
import static dev.chameleon.server.store.Database.one;
import static dev.chameleon.server.store.Database.query;
import static dev.chameleon.server.store.Database.update;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** SQL of operators' API tokens and enrollment tokens. */
public final class TokenStore {
    private TokenStore() {
    }

    /** An API token row (the hash never leaves the service layer). {@code expiresAt}: null when it never expires. */
    public record ApiToken(String id, String name, String role, String secretHash, Instant createdAt, String createdBy,
                           Instant revokedAt, Instant expiresAt) {
    }

    private static ApiToken api(ResultSet rs) throws SQLException {
        return new ApiToken(rs.getString("id"), rs.getString("name"), rs.getString("role"), rs.getString("secret_hash"),
                instant(rs, "created_at"), rs.getString("created_by"), instant(rs, "revoked_at"), instant(rs, "expires_at"));
    }

    public static void insertApi(Connection c, ApiToken t) throws SQLException {
        update(c, "INSERT INTO api_tokens (id, name, role, secret_hash, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                t.id(), t.name(), t.role(), t.secretHash(), t.createdAt(), t.createdBy(), t.expiresAt());
    }

    public static Optional<ApiToken> findApi(Connection c, String id) throws SQLException {
        return one(c, "SELECT * FROM api_tokens WHERE id = ?", TokenStore::api, id);
    }

    public static List<ApiToken> listApi(Connection c) throws SQLException {
        return query(c, "SELECT * FROM api_tokens ORDER BY created_at, id", TokenStore::api);
    }

    /** An admin token not revoked: its id and when it expires (null: never). */
    public record LiveAdmin(String id, Instant expiresAt) {
    }

    /**
     * The admin tokens not revoked (expired ones included: the caller judges expiry against its
     * clock), their rows locked until the transaction ends (so two revocations at once cannot both
     * see another admin left).
     */
    public static List<LiveAdmin> lockActiveAdmins(Connection c) throws SQLException {
        return query(c, "SELECT id, expires_at FROM api_tokens WHERE role = 'admin' AND revoked_at IS NULL ORDER BY id FOR UPDATE",
                rs -> new LiveAdmin(rs.getString("id"), instant(rs, "expires_at")));
    }

    public static int revokeApi(Connection c, String id, Instant now) throws SQLException {
        return update(c, "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id);
    }

    /** An enrollment token row. {@code labels}: JSON object text. */
    public record EnrollToken(String id, String name, String secretHash, String labels, int maxUses, int uses,
                              Instant expiresAt, Instant createdAt, String createdBy, Instant revokedAt) {
    }

    private static EnrollToken enroll(ResultSet rs) throws SQLException {
        return new EnrollToken(rs.getString("id"), rs.getString("name"), rs.getString("secret_hash"), rs.getString("labels"),
                rs.getInt("max_uses"), rs.getInt("uses"), instant(rs, "expires_at"), instant(rs, "created_at"),
                rs.getString("created_by"), instant(rs, "revoked_at"));
    }

    public static void insertEnroll(Connection c, EnrollToken t) throws SQLException {
        update(c, "INSERT INTO enroll_tokens (id, name, secret_hash, labels, max_uses, uses, expires_at, created_at, created_by)"
                        + " VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
                t.id(), t.name(), t.secretHash(), t.labels(), t.maxUses(), t.expiresAt(), t.createdAt(), t.createdBy());
    }

    public static Optional<EnrollToken> findEnroll(Connection c, String id) throws SQLException {
        return one(c, "SELECT * FROM enroll_tokens WHERE id = ?", TokenStore::enroll, id);
    }

    public static List<EnrollToken> listEnroll(Connection c) throws SQLException {
        return query(c, "SELECT * FROM enroll_tokens ORDER BY created_at, id", TokenStore::enroll);
    }

    public static int revokeEnroll(Connection c, String id, Instant now) throws SQLException {
        return update(c, "UPDATE enroll_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", now, id);
    }

    /**
     * Takes one use of an enrollment token if it has one left, is not revoked and not expired;
     * atomic, so concurrent enrollments never take more uses than allowed.
     *
     * @return whether a use was taken
     */
    public static boolean use(Connection c, String id, Instant now) throws SQLException {
        return update(c, "UPDATE enroll_tokens SET uses = uses + 1 WHERE id = ? AND uses < max_uses AND revoked_at IS NULL"
                + " AND expires_at > ?", id, now) == 1;
    }
}
