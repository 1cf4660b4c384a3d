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

/** SQL of assignments and rollouts. */
public final class RolloutStore {
    private RolloutStore() {
    }

    public record Assignment(String name, String policy, String selector, Integer stableVersion, Instant createdAt,
                             String createdBy, Instant updatedAt) {
    }

    private static Assignment assignment(ResultSet rs) throws SQLException {
        int v = rs.getInt("stable_version");
        Integer stable = rs.wasNull() ? null : v;
        return new Assignment(rs.getString("name"), rs.getString("policy"), rs.getString("selector"), stable,
                instant(rs, "created_at"), rs.getString("created_by"), instant(rs, "updated_at"));
    }

    public static void insertAssignment(Connection c, Assignment a) throws SQLException {
        update(c, "INSERT INTO assignments (name, policy, selector, stable_version, created_at, created_by, updated_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?)", a.name(), a.policy(), a.selector(), a.stableVersion(), a.createdAt(),
                a.createdBy(), a.updatedAt());
    }

    public static Optional<Assignment> assignment(Connection c, String name) throws SQLException {
        return one(c, "SELECT * FROM assignments WHERE name = ?", RolloutStore::assignment, name);
    }

    /** Locks an assignment's row for the rest of the transaction (one rollout change at a time). */
    public static Optional<Assignment> lockAssignment(Connection c, String name) throws SQLException {
        return one(c, "SELECT * FROM assignments WHERE name = ? FOR UPDATE", RolloutStore::assignment, name);
    }

    public static List<Assignment> assignments(Connection c) throws SQLException {
        return query(c, "SELECT * FROM assignments ORDER BY name", RolloutStore::assignment);
    }

    public static int updateSelector(Connection c, String name, String selector, Instant now) throws SQLException {
        return update(c, "UPDATE assignments SET selector = ?, updated_at = ? WHERE name = ?", selector, now, name);
    }

    public static int stable(Connection c, String name, Integer version, Instant now) throws SQLException {
        return update(c, "UPDATE assignments SET stable_version = ?, updated_at = ? WHERE name = ?", version, now, name);
    }

    public static int deleteAssignment(Connection c, String name) throws SQLException {
        return update(c, "DELETE FROM assignments WHERE name = ?", name);
    }

    /** {@code canaryAgents}, {@code steps}: JSON arrays. */
    public record Rollout(String id, String assignment, Integer fromVersion, int toVersion, String canaryAgents,
                          String canarySelector, String steps, int stage, String state, Integer intervalSeconds,
                          Instant nextStepAt, Instant startedAt, Instant updatedAt, String createdBy) {
    }

    private static Rollout rollout(ResultSet rs) throws SQLException {
        int from = rs.getInt("from_version");
        boolean noFrom = rs.wasNull();
        int interval = rs.getInt("interval_seconds");
        boolean noInterval = rs.wasNull();
        return new Rollout(rs.getString("id"), rs.getString("assignment"), noFrom ? null : from, rs.getInt("to_version"),
                rs.getString("canary_agents"), rs.getString("canary_selector"), rs.getString("steps"), rs.getInt("stage"),
                rs.getString("state"), noInterval ? null : interval, instant(rs, "next_step_at"), instant(rs, "started_at"),
                instant(rs, "updated_at"), rs.getString("created_by"));
    }

    public static void insertRollout(Connection c, Rollout r) throws SQLException {
        update(c, "INSERT INTO rollouts (id, assignment, from_version, to_version, canary_agents, canary_selector, steps, stage, state,"
                        + " interval_seconds, next_step_at, started_at, updated_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                r.id(), r.assignment(), r.fromVersion(), r.toVersion(), r.canaryAgents(), r.canarySelector(), r.steps(), r.stage(),
                r.state(), r.intervalSeconds(), r.nextStepAt(), r.startedAt(), r.updatedAt(), r.createdBy());
    }

    public static Optional<Rollout> rollout(Connection c, String id) throws SQLException {
        return one(c, "SELECT * FROM rollouts WHERE id = ?", RolloutStore::rollout, id);
    }

    /** The running or paused rollout of an assignment, if any. */
    public static Optional<Rollout> active(Connection c, String assignment) throws SQLException {
        return one(c, "SELECT * FROM rollouts WHERE assignment = ? AND state IN ('running', 'paused')", RolloutStore::rollout, assignment);
    }

    /** Every running or paused rollout. */
    public static List<Rollout> active(Connection c) throws SQLException {
        return query(c, "SELECT * FROM rollouts WHERE state IN ('running', 'paused') ORDER BY assignment", RolloutStore::rollout);
    }

    public static List<Rollout> ofAssignment(Connection c, String assignment) throws SQLException {
        return query(c, "SELECT * FROM rollouts WHERE assignment = ? ORDER BY started_at DESC, id", RolloutStore::rollout, assignment);
    }

    /** Running rollouts whose next automatic step is due. */
    public static List<Rollout> due(Connection c, Instant now) throws SQLException {
        return query(c, "SELECT * FROM rollouts WHERE state = 'running' AND next_step_at IS NOT NULL AND next_step_at <= ?",
                RolloutStore::rollout, now);
    }

    /**
     * Moves a rollout from the stage and state read to new ones, if nobody moved it since.
     *
     * @return whether it moved
     */
    public static boolean move(Connection c, Rollout from, int stage, String state, Instant nextStepAt, Instant now) throws SQLException {
        return update(c, "UPDATE rollouts SET stage = ?, state = ?, next_step_at = ?, updated_at = ? WHERE id = ? AND stage = ? AND state = ?",
                stage, state, nextStepAt, now, from.id(), from.stage(), from.state()) == 1;
    }
}
