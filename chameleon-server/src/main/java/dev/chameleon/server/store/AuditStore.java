package dev.chameleon.server.store;

import static dev.chameleon.server.store.Database.instant;
import static dev.chameleon.server.store.Database.query;
import static dev.chameleon.server.store.Database.update;

import dev.chameleon.server.auth.Grant;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/** SQL of the operators' audit log. */
public final class AuditStore {
    private AuditStore() {
    }

    /** One audited write. */
    public record Entry(long seq, Instant at, String actorId, String actorName, String role, String action, String target,
                        String remoteAddr, String requestId, String detail) {
    }

    /** Records a write inside the caller's transaction (so it exists exactly when the write does). */
    public static void record(Connection c, Grant g, Instant at, String action, String target, String detail) throws SQLException {
        long seq = Database.next(c, "audit");
        update(c, "INSERT INTO audit (seq, at, actor_id, actor_name, role, action, target, remote_addr, request_id, detail)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", seq, at, g.actorId(), g.actorName(), g.role().wire(), action,
                target.length() > 300 ? target.substring(0, 300) : target, g.remoteAddr(), g.requestId(), detail);
    }

    /** Entries after a sequence number, oldest first. */
    public static List<Entry> after(Connection c, long after, int limit) throws SQLException {
        return query(c, "SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT ?", rs -> new Entry(rs.getLong("seq"),
                instant(rs, "at"), rs.getString("actor_id"), rs.getString("actor_name"), rs.getString("role"),
                rs.getString("action"), rs.getString("target"), rs.getString("remote_addr"), rs.getString("request_id"),
                rs.getString("detail")), after, limit);
    }
}
