package dev.chameleon.server.store;

import static dev.chameleon.server.store.Database.instant;
import static dev.chameleon.server.store.Database.one;
import static dev.chameleon.server.store.Database.optLong;
import static dev.chameleon.server.store.Database.query;
import static dev.chameleon.server.store.Database.update;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** SQL of enrolled agents and what they last reported. */
public final class AgentStore {
    private AgentStore() {
    }

    /** The columns every listing shows (no large documents). */
    public record Summary(String id, String hostname, String agentVersion, String labels, Instant enrolledAt,
                          Instant lastSeenAt, String hypervisor, String cloud, String container, String mode,
                          Integer pendingChanges, Integer drift, Long runningBundle, long bundleVersion, Instant factsAt,
                          Integer failingSensors) {
    }

    private static final String SUMMARY_COLUMNS = "id, hostname, agent_version, labels, enrolled_at, last_seen_at, hypervisor,"
            + " cloud, container, mode, pending_changes, drift, running_bundle, bundle_version, facts_at,"
            + " failing_sensors";

    private static Summary summary(ResultSet rs) throws SQLException {
        Long pending = optLong(rs, "pending_changes");
        Long drift = optLong(rs, "drift");
        Long failing = optLong(rs, "failing_sensors");
        return new Summary(rs.getString("id"), rs.getString("hostname"), rs.getString("agent_version"), rs.getString("labels"),
                instant(rs, "enrolled_at"), instant(rs, "last_seen_at"), rs.getString("hypervisor"), rs.getString("cloud"),
                rs.getString("container"), rs.getString("mode"), pending == null ? null : pending.intValue(),
                drift == null ? null : drift.intValue(), optLong(rs, "running_bundle"), rs.getLong("bundle_version"),
                instant(rs, "facts_at"), failing == null ? null : failing.intValue());
    }

    /** What authenticating an agent needs. */
    public record Auth(String id, String hostname, String secretHash) {
    }

    public static Optional<Auth> auth(Connection c, String id) throws SQLException {
        return one(c, "SELECT id, hostname, secret_hash FROM agents WHERE id = ?",
                rs -> new Auth(rs.getString(1), rs.getString(2), rs.getString(3)), id);
    }

    public static void insert(Connection c, String id, String hostname, String agentVersion, String labels, String secretHash,
                              String enrollTokenId, Instant now, long rev) throws SQLException {
        update(c, "INSERT INTO agents (id, hostname, agent_version, labels, secret_hash, enroll_token_id, enrolled_at, last_seen_at, rev)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", id, hostname, agentVersion, labels, secretHash, enrollTokenId, now, now, rev);
    }

    public static Optional<Summary> find(Connection c, String id) throws SQLException {
        return one(c, "SELECT " + SUMMARY_COLUMNS + " FROM agents WHERE id = ?", AgentStore::summary, id);
    }

    /** Agents by id after a cursor, ascending. */
    public static List<Summary> page(Connection c, String after, int limit) throws SQLException {
        return query(c, "SELECT " + SUMMARY_COLUMNS + " FROM agents WHERE id > ? ORDER BY id LIMIT ?", AgentStore::summary,
                after == null ? "" : after, limit);
    }

    /** Agents with these ids (at most a page), ascending. */
    public static List<Summary> byIds(Connection c, List<String> ids) throws SQLException {
        if (ids.isEmpty()) {
            return List.of();
        }
        String marks = String.join(", ", java.util.Collections.nCopies(ids.size(), "?"));
        return query(c, "SELECT " + SUMMARY_COLUMNS + " FROM agents WHERE id IN (" + marks + ") ORDER BY id", AgentStore::summary,
                ids.toArray());
    }

    public static long count(Connection c) throws SQLException {
        return Database.count(c, "agents");
    }

    public static int delete(Connection c, String id) throws SQLException {
        return update(c, "DELETE FROM agents WHERE id = ?", id);
    }

    /** One document column of an agent ({@code facts}, {@code plan}, {@code current_values}, {@code status}) and when it came. */
    public record Document(String json, Instant at) {
    }

    public static Optional<Document> document(Connection c, String id, String column) throws SQLException {
        if (!List.of("facts", "plan", "current_values", "status").contains(column)) {
            throw new IllegalArgumentException(column);
        }
        return one(c, "SELECT " + column + ", " + column + "_at FROM agents WHERE id = ?",
                rs -> rs.getString(1) == null ? null : new Document(rs.getString(1), instant(rs, column + "_at")), id);
    }

    public static void seen(Connection c, String id, Instant now) throws SQLException {
        update(c, "UPDATE agents SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?", now, id, now);
    }

    /** The hash of the facts stored now (null: none) and their failing-sensor count (null: not counted yet). */
    public record FactsState(String hash, Integer failingSensors) {
    }

    /** What is stored of an agent's facts now, or null when there is no such agent. */
    public static FactsState factsState(Connection c, String id) throws SQLException {
        return one(c, "SELECT facts_hash, failing_sensors FROM agents WHERE id = ?", rs -> {
            Long n = optLong(rs, "failing_sensors");
            return new FactsState(rs.getString(1), n == null ? null : n.intValue());
        }, id).orElse(null);
    }

    public static void facts(Connection c, String id, String json, String hash, String hypervisor, String cloud, String container,
                             int failingSensors, Instant at, long rev) throws SQLException {
        update(c, "UPDATE agents SET facts = ?, facts_hash = ?, hypervisor = ?, cloud = ?, container = ?, failing_sensors = ?,"
                + " facts_at = ?, rev = ? WHERE id = ?", json, hash, hypervisor, cloud, container, failingSensors, at, rev, id);
    }

    public static void failingSensors(Connection c, String id, int failingSensors) throws SQLException {
        update(c, "UPDATE agents SET failing_sensors = ? WHERE id = ?", failingSensors, id);
    }

    public static void plan(Connection c, String id, String json, Integer pending, Instant at) throws SQLException {
        update(c, "UPDATE agents SET plan = ?, plan_at = ?, pending_changes = COALESCE(?, pending_changes) WHERE id = ?",
                json, at, pending, id);
    }

    public static void currentValues(Connection c, String id, String json, Instant at) throws SQLException {
        update(c, "UPDATE agents SET current_values = ?, current_values_at = ? WHERE id = ?", json, at, id);
    }

    public static void status(Connection c, String id, String json, String mode, Integer pending, Integer drift, Long running,
                              Instant at) throws SQLException {
        update(c, "UPDATE agents SET status = ?, status_at = ?, mode = COALESCE(?, mode), pending_changes = COALESCE(?, pending_changes),"
                + " drift = COALESCE(?, drift), running_bundle = COALESCE(?, running_bundle) WHERE id = ?",
                json, at, mode, pending, drift, running, id);
    }

    public static int labels(Connection c, String id, String labels, long rev) throws SQLException {
        return update(c, "UPDATE agents SET labels = ?, rev = ? WHERE id = ?", labels, rev, id);
    }

    /** Every agent's revision (facts and labels), for readers keeping parsed facts. */
    public static Map<String, Long> revisions(Connection c) throws SQLException {
        Map<String, Long> out = new HashMap<>();
        query(c, "SELECT id, rev FROM agents", rs -> out.put(rs.getString(1), rs.getLong(2)));
        return out;
    }

    /** What selectors and inventory queries read of one agent. */
    public record Selectable(String id, long rev, String hostname, String labels, String facts) {
    }

    public static List<Selectable> selectable(Connection c, List<String> ids) throws SQLException {
        if (ids.isEmpty()) {
            return List.of();
        }
        String marks = String.join(", ", java.util.Collections.nCopies(ids.size(), "?"));
        return query(c, "SELECT id, rev, hostname, labels, facts FROM agents WHERE id IN (" + marks + ")",
                rs -> new Selectable(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5)), ids.toArray());
    }

    /**
     * What a bundle fetch needs of an agent in one read: the revision of its facts and labels,
     * its labels, and the bundle it was last given (its facts are read separately, only when the
     * revision moved).
     */
    public record State(String id, long rev, String hostname, String labels, BundleState bundle) {
    }

    public static Optional<State> state(Connection c, String id) throws SQLException {
        return one(c, "SELECT id, rev, hostname, labels, bundle_key, bundle_version, bundle_at, bundle_entries FROM agents WHERE id = ?",
                rs -> new State(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                        new BundleState(rs.getString(5) == null ? null : rs.getString(5).strip(), rs.getLong(6), instant(rs, "bundle_at"),
                                rs.getString(8))), id);
    }

    /** An agent's facts text, or null. */
    public static String factsText(Connection c, String id) throws SQLException {
        return one(c, "SELECT facts FROM agents WHERE id = ?", rs -> rs.getString(1), id).orElse(null);
    }

    /** The bundle an agent was last given: the content key and its version. */
    public record BundleState(String key, long version, Instant at, String entries) {
    }

    public static Optional<BundleState> bundle(Connection c, String id) throws SQLException {
        return one(c, "SELECT bundle_key, bundle_version, bundle_at, bundle_entries FROM agents WHERE id = ?",
                rs -> new BundleState(rs.getString(1) == null ? null : rs.getString(1).strip(), rs.getLong(2), instant(rs, "bundle_at"),
                        rs.getString(4)), id);
    }

    /**
     * Moves an agent to new bundle content with a new version, if no other replica moved it first.
     *
     * @return whether this call moved it
     */
    public static boolean moveBundle(Connection c, String id, String oldKey, String newKey, String entries, long version, Instant now)
            throws SQLException {
        if (oldKey == null) {
            return update(c, "UPDATE agents SET bundle_key = ?, bundle_entries = ?, bundle_version = ?, bundle_at = ? WHERE id = ?"
                    + " AND bundle_key IS NULL", newKey, entries, version, now, id) == 1;
        }
        return update(c, "UPDATE agents SET bundle_key = ?, bundle_entries = ?, bundle_version = ?, bundle_at = ? WHERE id = ?"
                + " AND bundle_key = ?", newKey, entries, version, now, id, oldKey) == 1;
    }

    /** Every agent's last reported current values (JSON text, or null when it sent none), by id. */
    public static Map<String, String> allCurrentValues(Connection c) throws SQLException {
        Map<String, String> out = new HashMap<>();
        query(c, "SELECT id, current_values FROM agents", rs -> out.put(rs.getString(1), rs.getString(2)));
        return out;
    }
}
