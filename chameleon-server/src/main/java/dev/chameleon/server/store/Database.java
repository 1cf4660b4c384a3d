package dev.chameleon.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * The server's database: a HikariCP pool, the schema brought up to date by Flyway at start, and
 * small JDBC helpers. Two kinds: the embedded default (H2, one file under the data folder) and
 * PostgreSQL for fleets with several replicas. Migrations live in one folder per database on
 * one version line ({@code db/migration/h2}, {@code db/migration/postgresql}), as hawkBit keeps
 * them, because the two need different DDL; queries are shared, H2 running in its PostgreSQL
 * compatibility mode.
 */
public final class Database implements AutoCloseable {
    /** Which database this is. */
    public enum Kind {
        H2("h2"), POSTGRESQL("postgresql");

        private final String folder;

        Kind(String folder) {
            this.folder = folder;
        }

        /** The migration folder on the classpath. */
        public String migrations() {
            return "classpath:db/migration/" + folder;
        }
    }

    private final HikariDataSource pool;
    private final Kind kind;

    private Database(HikariDataSource pool, Kind kind) {
        this.pool = pool;
        this.kind = kind;
    }

    /** The JDBC URL of the embedded default under a data folder. */
    public static String embeddedUrl(Path dataDir) {
        // PostgreSQL mode: ON CONFLICT DO NOTHING and the functions the shared queries use;
        // lower-case names like PostgreSQL; a lock wait long enough for a burst of writers; closed by
        // the server's own shutdown, after the last request, not by H2's exit hook
        return "jdbc:h2:file:" + dataDir.toAbsolutePath().resolve("chameleon") + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE"
                + ";DEFAULT_NULL_ORDERING=HIGH;LOCK_TIMEOUT=10000;DB_CLOSE_ON_EXIT=FALSE"
                // no chameleon.trace.db beside the database: errors are reported by the server itself
                + ";TRACE_LEVEL_FILE=0";
    }

    /** The embedded database is open in another process (H2 error 90020): a running server holds it. */
    public static final class InUse extends IllegalStateException {
        InUse(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Opens a pool on a JDBC URL and migrates the schema.
     *
     * @param url      {@code jdbc:postgresql://...} or {@code jdbc:h2:...}
     * @param poolSize most connections (PostgreSQL default max_connections is 100: leave room for replicas)
     * @throws IllegalArgumentException for a URL of another database
     * @throws IllegalStateException    when the database cannot be reached or migrated, with the cause
     */
    public static Database open(String url, int poolSize) {
        Kind kind;
        if (url.startsWith("jdbc:postgresql:")) {
            kind = Kind.POSTGRESQL;
        } else if (url.startsWith("jdbc:h2:")) {
            kind = Kind.H2;
        } else {
            throw new IllegalArgumentException("--db must be a jdbc:postgresql://HOST:PORT/DATABASE URL (or jdbc:h2:...), got '"
                    + url.replaceAll("password=[^&;]*", "password=***") + "'");
        }
        if (kind == Kind.H2) {
            // one plain connection first: a file another process holds is said in one line, not
            // logged by the pool with its stack trace
            try (java.sql.Connection probe = java.sql.DriverManager.getConnection(url)) {
                probe.isValid(1);
            } catch (java.sql.SQLException e) {
                if (e.getErrorCode() == 90020) {
                    throw new InUse("the embedded database " + url.replaceFirst("^jdbc:h2:file:", "").replaceFirst(";.*", "")
                            + ".mv.db is in use by another process (a running chameleon server)", e);
                }
                throw new IllegalStateException("cannot connect to the database: " + rootMessage(e), e);
            }
        }
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setMaximumPoolSize(poolSize);
        c.setMinimumIdle(Math.min(2, poolSize));
        c.setPoolName("chameleon-" + kind.folder);
        c.setConnectionTimeout(10_000);
        c.setInitializationFailTimeout(15_000);
        HikariDataSource ds;
        try {
            ds = new HikariDataSource(c);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot connect to the database: " + rootMessage(e), e);
        }
        try {
            Flyway.configure().dataSource(ds).locations(kind.migrations()).load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw new IllegalStateException("cannot migrate the database schema: " + rootMessage(e), e);
        }
        return new Database(ds, kind);
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage();
    }

    public Kind kind() {
        return kind;
    }

    public DataSource dataSource() {
        return pool;
    }

    @Override
    public void close() {
        pool.close();
    }

    /** Work inside one transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    /**
     * Runs work in one transaction: committed when it returns, rolled back when it throws
     * (so a refused request writes nothing). SQL errors become {@link StoreException}.
     */
    public <T> T tx(Work<T> work) {
        try (Connection c = pool.getConnection()) {
            c.setAutoCommit(false);
            try {
                T t = work.run(c);
                c.commit();
                return t;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        } catch (SQLException e) {
            throw new StoreException("database error: " + e.getMessage(), e);
        }
    }

    /** Read-only work on one connection (autocommit). */
    public <T> T read(Work<T> work) {
        try (Connection c = pool.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            throw new StoreException("database error: " + e.getMessage(), e);
        }
    }

    /** Maps one row. */
    @FunctionalInterface
    public interface Row<T> {
        T map(ResultSet rs) throws SQLException;
    }

    /** Every row of a query with parameters bound in order. */
    public static <T> List<T> query(Connection c, String sql, Row<T> row, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            try (ResultSet rs = ps.executeQuery()) {
                List<T> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(row.map(rs));
                }
                return out;
            }
        }
    }

    /** The first row of a query, or empty. */
    public static <T> Optional<T> one(Connection c, String sql, Row<T> row, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            ps.setMaxRows(1);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.ofNullable(row.map(rs)) : Optional.empty();
            }
        }
    }

    /** Runs an insert, update or delete; the number of rows touched. */
    public static int update(Connection c, String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            bind(ps, params);
            return ps.executeUpdate();
        }
    }

    /** Counts rows of a table (for tests checking that nothing was written). */
    public static long count(Connection c, String table) throws SQLException {
        if (!table.matches("[a-z_]+")) {
            throw new IllegalArgumentException("table " + table);
        }
        return one(c, "SELECT COUNT(*) FROM " + table, rs -> rs.getLong(1)).orElse(0L);
    }

    /**
     * Takes the next number of a counter ({@code events}, {@code audit}, {@code config}) inside the
     * caller's transaction. The counter's row stays locked until commit, so numbers become visible
     * in the order they were taken: a reader paging "after N" never skips a row committed late.
     */
    public static long next(Connection c, String counter) throws SQLException {
        if (update(c, "UPDATE counters SET n = n + 1 WHERE name = ?", counter) != 1) {
            throw new SQLException("no counter " + counter);
        }
        return one(c, "SELECT n FROM counters WHERE name = ?", rs -> rs.getLong(1), counter).orElseThrow();
    }

    /** The next value of a sequence (monotonic, not ordered with commits). */
    public long nextval(Connection c, String sequence) throws SQLException {
        return one(c, "SELECT nextval('" + sequence + "')", rs -> rs.getLong(1)).orElseThrow();
    }

    private static void bind(PreparedStatement ps, Object... params) throws SQLException {
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            if (p == null) {
                ps.setNull(i + 1, Types.NULL);
            } else if (p instanceof Instant t) {
                ps.setObject(i + 1, java.time.OffsetDateTime.ofInstant(t, java.time.ZoneOffset.UTC));
            } else if (p instanceof String s) {
                ps.setString(i + 1, s);
            } else if (p instanceof Long l) {
                ps.setLong(i + 1, l);
            } else if (p instanceof Integer n) {
                ps.setInt(i + 1, n);
            } else if (p instanceof Boolean b) {
                ps.setBoolean(i + 1, b);
            } else {
                throw new IllegalArgumentException("cannot bind " + p.getClass().getName());
            }
        }
    }

    /** A timestamp column as an instant, or null. */
    public static Instant instant(ResultSet rs, String column) throws SQLException {
        java.time.OffsetDateTime t = rs.getObject(column, java.time.OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    /** A nullable long column. */
    public static Long optLong(ResultSet rs, String column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }
}
