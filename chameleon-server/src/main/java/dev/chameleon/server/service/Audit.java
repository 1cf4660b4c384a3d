package dev.chameleon.server.service;

import dev.chameleon.server.auth.Grant;
import dev.chameleon.server.store.AuditStore;
import dev.chameleon.server.store.Database;
import java.util.List;

/** The audit log, read through the API (writes happen in each service's own transaction). */
public final class Audit {
    private final Database db;

    public Audit(Database db) {
        this.db = db;
    }

    /** Entries after a sequence number, oldest first; viewers may read it. */
    public List<AuditStore.Entry> after(Grant g, long after, int limit) {
        return db.read(c -> AuditStore.after(c, after, limit));
    }
}
