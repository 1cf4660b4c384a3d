package dev.chameleon.server;

/** The API contract on a real PostgreSQL ({@link Postgres}). */
class PostgresFleetApiTest extends FleetApiContract {
    @Override
    Fleet.Db db() {
        return Fleet.Db.POSTGRESQL;
    }

    /** A transaction holding an ACCESS EXCLUSIVE lock on agents: every read of agents, the facts warming's first, waits for it. */
    @Override
    AutoCloseable holdWarming() throws Exception {
        java.sql.Connection c = java.sql.DriverManager.getConnection(fleet.dbUrl);
        c.setAutoCommit(false);
        try (var st = c.createStatement()) {
            st.execute("LOCK TABLE agents IN ACCESS EXCLUSIVE MODE");
        }
        return () -> {
            c.rollback();
            c.close();
        };
    }
}
