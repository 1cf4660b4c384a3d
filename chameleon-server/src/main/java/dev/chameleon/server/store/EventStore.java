package dev.chameleon.server.store;

import static dev.chameleon.server.store.Database.instant;
import static dev.chameleon.server.store.Database.one;
import static dev.chameleon.server.store.Database.query;
import static dev.chameleon.server.store.Database.update;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/** SQL of the fleet-wide event feed. */
public final class EventStore {
    private EventStore() {
    }

    /** One event. {@code agentId} is null for fleet events (rollouts); {@code detail} is JSON text or null. */
    public record Event(long seq, Instant at, String agentId, String kind, String summary, String detail) {
    }

    /** Appends an event inside the caller's transaction; its sequence number. */
    public static long append(Connection c, Instant at, String agentId, String kind, String summary, String detail) throws SQLException {
        long seq = Database.next(c, "events");
        update(c, "INSERT INTO events (seq, at, agent_id, kind, summary, detail) VALUES (?, ?, ?, ?, ?, ?)",
                seq, at, agentId, kind, summary, detail);
        return seq;
    }

    /** Events after a sequence number, oldest first, optionally of one agent. */
    public static List<Event> after(Connection c, long after, String agentId, int limit) throws SQLException {
        if (agentId == null) {
            return query(c, "SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?", EventStore::event, after, limit);
        }
        return query(c, "SELECT * FROM events WHERE seq > ? AND agent_id = ? ORDER BY seq LIMIT ?", EventStore::event,
                after, agentId, limit);
    }

    /** An agent's events, newest first, before a sequence number (0: from the newest). */
    public static List<Event> ofAgent(Connection c, String agentId, long before, int limit) throws SQLException {
        return query(c, "SELECT * FROM events WHERE agent_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?", EventStore::event,
                agentId, before <= 0 ? Long.MAX_VALUE : before, limit);
    }

    public static long last(Connection c) throws SQLException {
        return one(c, "SELECT n FROM counters WHERE name = 'events'", rs -> rs.getLong(1)).orElse(0L);
    }

    private static Event event(java.sql.ResultSet rs) throws SQLException {
        return new Event(rs.getLong("seq"), instant(rs, "at"), rs.getString("agent_id"), rs.getString("kind"),
                rs.getString("summary"), rs.getString("detail"));
    }
}
