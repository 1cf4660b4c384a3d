package dev.chameleon.server;

/** Every refusal, checked in the database: on H2. */
class H2SecurityTest extends SecurityContract {
    @Override
    Fleet.Db db() {
        return Fleet.Db.H2;
    }
}
