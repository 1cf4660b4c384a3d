package dev.chameleon.server.store;

import static dev.chameleon.server.store.Database.instant;
import static dev.chameleon.server.store.Database.query;
import static dev.chameleon.server.store.Database.update;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/** SQL of agents' reports; (agent, report id) is stored once. */
public final class ReportStore {
    private ReportStore() {
    }

    /**
     * Stores a report unless this agent already sent one with this id.
     *
     * @return true when stored now, false for a duplicate
     */
    public static boolean insertOnce(Connection c, String agentId, String reportId, String kind, Instant agentTime, Instant now,
                                     String payload) throws SQLException {
        return update(c, "INSERT INTO reports (agent_id, report_id, kind, agent_time, received_at, payload) VALUES (?, ?, ?, ?, ?, ?)"
                + " ON CONFLICT DO NOTHING", agentId, reportId, kind, agentTime, now, payload) == 1;
    }

    /** A stored report. */
    public record Row(long seq, String reportId, String kind, Instant agentTime, Instant receivedAt, String payload) {
    }

    /** An agent's reports of some kinds, newest first, before a sequence number (0: from the newest). */
    public static List<Row> list(Connection c, String agentId, List<String> kinds, long before, int limit) throws SQLException {
        String marks = String.join(", ", java.util.Collections.nCopies(kinds.size(), "?"));
        Object[] params = new Object[kinds.size() + 3];
        params[0] = agentId;
        for (int i = 0; i < kinds.size(); i++) {
            params[i + 1] = kinds.get(i);
        }
        params[kinds.size() + 1] = before <= 0 ? Long.MAX_VALUE : before;
        params[kinds.size() + 2] = limit;
        return query(c, "SELECT id, report_id, kind, agent_time, received_at, payload FROM reports WHERE agent_id = ? AND kind IN ("
                + marks + ") AND id < ? ORDER BY id DESC LIMIT ?", rs -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3),
                instant(rs, "agent_time"), instant(rs, "received_at"), rs.getString(6)), params);
    }

    /** Counts an agent's stored reports (tests, and the outage check of part 2). */
    public static long count(Connection c, String agentId) throws SQLException {
        return Database.one(c, "SELECT COUNT(*) FROM reports WHERE agent_id = ?", rs -> rs.getLong(1), agentId).orElse(0L);
    }
}
