package dev.chameleon.server.service;

import dev.chameleon.model.FactSet;
import dev.chameleon.server.store.AgentStore;
import dev.chameleon.server.store.Database;
import dev.chameleon.wire.Json;
import dev.chameleon.wire.WireFormatException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every agent's last facts and labels, parsed, for selectors over the whole fleet (inventory
 * queries, rollout counts, and the simulation of part 2). A cache of the database, not state:
 * each {@link #refresh()} reads every agent's revision (two columns) and re-reads only the rows
 * whose revision moved, so a replica sees what any replica wrote.
 */
public final class FactsCache {
    /** One agent as selectors see it. */
    public record Entry(String id, long rev, String hostname, Map<String, String> labels, FactSet facts) {
    }

    private static final int CHUNK = 500;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(FactsCache.class);
    private final Database db;
    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final java.util.concurrent.CompletableFuture<Integer> warmed = new java.util.concurrent.CompletableFuture<>();
    private volatile boolean closed;

    public FactsCache(Database db) {
        this.db = db;
    }

    /** Brings the cache up to date with the database and returns a snapshot, by agent id. */
    public synchronized Map<String, Entry> refresh() {
        Map<String, Long> revs = db.read(AgentStore::revisions);
        entries.keySet().retainAll(revs.keySet());
        List<String> stale = new ArrayList<>();
        for (Map.Entry<String, Long> r : revs.entrySet()) {
            Entry e = entries.get(r.getKey());
            if (e == null || e.rev() != r.getValue()) {
                stale.add(r.getKey());
            }
        }
        for (int i = 0; i < stale.size() && !closed; i += CHUNK) {
            List<String> ids = stale.subList(i, Math.min(stale.size(), i + CHUNK));
            for (AgentStore.Selectable s : db.read(c -> AgentStore.selectable(c, ids))) {
                entries.put(s.id(), entry(s));
            }
        }
        return new HashMap<>(entries);
    }

    /**
     * Fills the cache with every agent's facts on a background thread ({@code chameleon-facts-warm}),
     * so the first simulation or fleet query after a start does not parse them all (10,000 agents:
     * seconds of parsing), then, when there are agents, runs {@code then} on the same thread (the server runs one
     * simulation there: see {@link Simulations#warmUp()}). The same {@link #refresh()} as a
     * query's, so memory is what the warm cache holds anyway plus one chunk of rows in flight; a
     * query arriving meanwhile waits for it (the refresh is one at a time) and then reads only what
     * changed since, so it answers as it would have. A failure (the database away) is logged; the
     * next query fills the cache itself. {@link #warmed()} completes when both are done.
     */
    public Thread warmInBackground(Runnable then) {
        Thread t = new Thread(() -> {
            long start = System.nanoTime();
            try {
                int n = refresh().size();
                LOG.info("facts cache warm: {} agents' facts parsed in {} ms", n, (System.nanoTime() - start) / 1_000_000);
                if (!closed && n > 0) {
                    // nothing to simulate without agents (and no pack to compile for it at every start of an empty server)
                    long s = System.nanoTime();
                    then.run();
                    LOG.info("simulation warmed up over {} agents in {} ms", n, (System.nanoTime() - s) / 1_000_000);
                }
                warmed.complete(n);
            } catch (RuntimeException e) {
                if (!closed) {
                    LOG.warn("facts cache not warmed at start (the first query fills it): {}", e.toString());
                }
                warmed.completeExceptionally(e);
            }
        }, "chameleon-facts-warm");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Completes with the number of agents cached once the warming of {@link #warmInBackground(Runnable)} is done. */
    public java.util.concurrent.CompletableFuture<Integer> warmed() {
        return warmed;
    }

    /** Stops a warming under way at its next chunk (the server is stopping). */
    public void close() {
        closed = true;
    }

    /**
     * One agent as selectors see it, given its row's state read on the caller's connection: the
     * cached entry when its revision is current, else its facts read and parsed now.
     */
    public Entry one(java.sql.Connection c, AgentStore.State state) throws java.sql.SQLException {
        Entry cached = entries.get(state.id());
        if (cached != null && cached.rev() == state.rev()) {
            return cached;
        }
        Entry e = entry(new AgentStore.Selectable(state.id(), state.rev(), state.hostname(), state.labels(),
                AgentStore.factsText(c, state.id())));
        entries.put(state.id(), e);
        return e;
    }

    @SuppressWarnings("unchecked")
    static Entry entry(AgentStore.Selectable s) {
        FactSet facts = FactSet.empty();
        if (s.facts() != null) {
            try {
                facts = FactSet.of(dev.chameleon.policy.FactSchema.standard().conform((Map<String, Object>) Json.parse(s.facts())), Map.of());
            } catch (WireFormatException | ClassCastException | IllegalArgumentException e) {
                facts = FactSet.empty(); // checked when stored; an unreadable row selects nothing
            }
        }
        return new Entry(s.id(), s.rev(), s.hostname(), Mapper.labels(s.labels()), facts);
    }
}
