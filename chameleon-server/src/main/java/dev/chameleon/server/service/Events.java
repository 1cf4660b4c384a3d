package dev.chameleon.server.service;

import dev.chameleon.server.auth.Grant;
import dev.chameleon.server.store.Database;
import dev.chameleon.server.store.EventStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** The fleet-wide event feed: paged "after N", long-polled, or streamed (the HTTP layer's SSE). */
public final class Events {
    /** Longest long-poll wait. */
    public static final int MAX_WAIT_SECONDS = 60;

    private final Database db;
    private final Notifier notifier;

    public Events(Database db, Notifier notifier) {
        this.db = db;
        this.notifier = notifier;
    }

    /** Events after {@code after}, oldest first, optionally of one agent. */
    public List<EventStore.Event> after(Grant g, long after, String agentId, int limit) {
        return db.read(c -> EventStore.after(c, after, agentId, limit));
    }

    /**
     * Events after {@code after}; when there are none, waits up to {@code waitSeconds} for some
     * (a long poll), then answers what there is (possibly nothing).
     */
    public CompletableFuture<List<EventStore.Event>> poll(Grant g, long after, String agentId, int limit, int waitSeconds) {
        long known = notifier.current("events");
        List<EventStore.Event> now = after(g, after, agentId, limit);
        if (!now.isEmpty() || waitSeconds <= 0) {
            return CompletableFuture.completedFuture(now);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(waitSeconds).toNanos();
        return waitMore(g, after, agentId, limit, known, deadline);
    }

    private CompletableFuture<List<EventStore.Event>> waitMore(Grant g, long after, String agentId, int limit, long known, long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            return CompletableFuture.completedFuture(List.of());
        }
        return notifier.await("events", known, Duration.ofNanos(left)).thenComposeAsync(v -> {
            List<EventStore.Event> now = after(g, after, agentId, limit);
            if (!now.isEmpty() || v == known) {
                return CompletableFuture.completedFuture(now);
            }
            return waitMore(g, after, agentId, limit, v, deadline); // another agent's event: keep waiting
        }, notifier.executor());
    }

    /** The newest event's sequence number (a stream without Last-Event-ID starts there). */
    public long last() {
        return db.read(EventStore::last);
    }
}
