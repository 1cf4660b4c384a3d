package dev.chameleon.server.service;

import dev.chameleon.server.store.Database;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells waiting requests (long polls, event streams) of this replica that something changed in
 * the database, whichever replica wrote it: one thread reads the {@code counters} table (a few
 * rows) every {@link #PERIOD} and completes the waiters of each counter that moved. A write on
 * this replica calls {@link #poke()} to look at once. Nothing here is state: a restarted replica
 * starts from the database.
 */
public final class Notifier implements AutoCloseable {
    /** How often the counters are read. */
    public static final Duration PERIOD = Duration.ofMillis(250);
    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);

    private final Database db;
    private final ScheduledExecutorService timer;
    private final Map<String, Long> seen = new ConcurrentHashMap<>();
    private final Map<String, java.util.Set<CompletableFuture<Long>>> waiters = new ConcurrentHashMap<>();
    private final List<Runnable> ticks = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Map<String, List<Consumer<Long>>> listeners = new ConcurrentHashMap<>();
    /**
     * Runs what woken long polls do next (read the database, answer): a few threads, not one per
     * wake-up (on two cores the common pool is a thread per task) and never the notifier's own.
     */
    private final java.util.concurrent.ExecutorService wakeups = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "chameleon-wakeup");
        t.setDaemon(true);
        return t;
    });

    public Notifier(Database db) {
        this.db = db;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "chameleon-notifier");
            t.setDaemon(true);
            return t;
        });
        read();
        timer.scheduleWithFixedDelay(this::tick, PERIOD.toMillis(), PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The executor for the work after a wake-up or a long poll's end. */
    public java.util.concurrent.Executor executor() {
        return wakeups;
    }

    /** The counter's value as last read ({@code events}, {@code audit}, {@code config}). */
    public long current(String counter) {
        return seen.getOrDefault(counter, 0L);
    }

    /**
     * A future completed with the counter's new value once it differs from {@code known}, or
     * with the unchanged value after {@code timeout}.
     */
    public CompletableFuture<Long> await(String counter, long known, Duration timeout) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        if (current(counter) != known) {
            f.complete(current(counter));
            return f;
        }
        java.util.Set<CompletableFuture<Long>> q = waiters.computeIfAbsent(counter, k -> ConcurrentHashMap.newKeySet());
        q.add(f);
        if (current(counter) != known) {
            f.complete(current(counter));
        }
        f.completeOnTimeout(known, timeout.toMillis(), TimeUnit.MILLISECONDS);
        f.whenComplete((v, e) -> q.remove(f));
        return f;
    }

    /** Calls {@code listener} with the new value whenever the counter moves (event streams). */
    public Runnable listen(String counter, Consumer<Long> listener) {
        List<Consumer<Long>> l = listeners.computeIfAbsent(counter, k -> new java.util.concurrent.CopyOnWriteArrayList<>());
        l.add(listener);
        return () -> l.remove(listener);
    }

    /** Runs {@code task} on the notifier's thread once per period (rollouts' automatic steps). */
    public void everyTick(Runnable task) {
        ticks.add(task);
    }

    /**
     * Reads the counters on the caller's thread (after a write on this replica that changes what
     * agents get, so the next request here sees it at once).
     */
    public void pokeNow() {
        read();
    }

    /** Reads the counters soon, on the notifier's thread (after a write on this replica). */
    public void poke() {
        try {
            timer.execute(this::read);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void tick() {
        read();
        for (Runnable t : ticks) {
            try {
                t.run();
            } catch (RuntimeException e) {
                LOG.warn("periodic task failed: {}", e.toString());
            }
        }
    }

    private synchronized void read() {
        Map<String, Long> now = new HashMap<>();
        try {
            db.read(c -> Database.query(c, "SELECT name, n FROM counters", rs -> now.put(rs.getString(1), rs.getLong(2))));
        } catch (RuntimeException e) {
            LOG.warn("cannot read the change counters: {}", e.getMessage());
            return;
        }
        for (Map.Entry<String, Long> e : now.entrySet()) {
            Long before = seen.put(e.getKey(), e.getValue());
            if (before != null && !before.equals(e.getValue())) {
                java.util.Set<CompletableFuture<Long>> q = waiters.get(e.getKey());
                if (q != null) {
                    for (CompletableFuture<Long> f : List.copyOf(q)) {
                        q.remove(f);
                        f.complete(e.getValue());
                    }
                }
                for (Consumer<Long> l : listeners.getOrDefault(e.getKey(), List.of())) {
                    try {
                        l.accept(e.getValue());
                    } catch (RuntimeException x) {
                        LOG.warn("listener failed: {}", x.toString());
                    }
                }
            }
        }
    }

    /** How many requests wait now (for the server's own metrics and tests). */
    public int waiting() {
        return waiters.values().stream().mapToInt(java.util.Set::size).sum();
    }

    /** Completes every waiter now with the value it waits on (requests answer as if nothing changed), for a clean stop. */
    public void release() {
        for (Map.Entry<String, java.util.Set<CompletableFuture<Long>>> e : waiters.entrySet()) {
            for (CompletableFuture<Long> f : List.copyOf(e.getValue())) {
                e.getValue().remove(f);
                f.complete(current(e.getKey()));
            }
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        wakeups.shutdown();
        waiters.values().forEach(q -> q.forEach(f -> f.cancel(false)));
    }
}
