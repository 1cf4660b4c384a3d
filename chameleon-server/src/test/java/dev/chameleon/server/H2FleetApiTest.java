package dev.chameleon.server;

/** The API contract on the embedded default database. */
class H2FleetApiTest extends FleetApiContract {
    @Override
    Fleet.Db db() {
        return Fleet.Db.H2;
    }
}
