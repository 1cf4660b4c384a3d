package dev.chameleon.server;

/** The API contract on a real PostgreSQL ({@link Postgres}). */
class PostgresFleetApiTest extends FleetApiContract {
    @Override
    Fleet.Db db() {
        return Fleet.Db.POSTGRESQL;
    }
}
