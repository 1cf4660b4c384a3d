package dev.chameleon.server;

/** Every refusal, checked in the database: on Postgres. */
class PostgresSecurityTest extends SecurityContract {
    @Override
    Fleet.Db db() {
        return Fleet.Db.POSTGRESQL;
    }
}
