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

/** SQL of uploaded policy sets and their versions. */
public final class PolicyStore {
    private PolicyStore() {
    }

    /**
     * One version of a policy set. {@code summary}: JSON {@code {"policies": [...], "profiles": [...], "tests": n}}.
     */
    public record Version(String name, int version, String yaml, String sha256, String summary, String comment,
                          Instant createdAt, String createdBy) {
    }

    private static Version version(ResultSet rs) throws SQLException {
        return new Version(rs.getString("name"), rs.getInt("version"), rs.getString("yaml"), rs.getString("sha256").strip(),
                rs.getString("summary"), rs.getString("comment"), instant(rs, "created_at"), rs.getString("created_by"));
    }

    public static int latest(Connection c, String name) throws SQLException {
        return one(c, "SELECT MAX(version) FROM policy_versions WHERE name = ?", rs -> rs.getInt(1), name).orElse(0);
    }

    /** Inserts a version; the primary key refuses a version another replica took first. */
    public static void insert(Connection c, Version v) throws SQLException {
        update(c, "INSERT INTO policy_versions (name, version, yaml, sha256, summary, comment, created_at, created_by)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", v.name(), v.version(), v.yaml(), v.sha256(), v.summary(), v.comment(),
                v.createdAt(), v.createdBy());
    }

    public static Optional<Version> get(Connection c, String name, int version) throws SQLException {
        return one(c, "SELECT * FROM policy_versions WHERE name = ? AND version = ?", PolicyStore::version, name, version);
    }

    /** Every version of a set, newest first. */
    public static List<Version> versions(Connection c, String name) throws SQLException {
        return query(c, "SELECT * FROM policy_versions WHERE name = ? ORDER BY version DESC", PolicyStore::version, name);
    }

    /** The newest version of every set, by name. */
    public static List<Version> latestOfEach(Connection c) throws SQLException {
        return query(c, "SELECT p.* FROM policy_versions p JOIN (SELECT name, MAX(version) AS v FROM policy_versions GROUP BY name) m"
                + " ON p.name = m.name AND p.version = m.v ORDER BY p.name", PolicyStore::version);
    }
}
