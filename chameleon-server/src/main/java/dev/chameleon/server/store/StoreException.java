package dev.chameleon.server.store;

/** The database failed (unreachable, constraint, SQL error); the transaction was rolled back. */
public final class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
