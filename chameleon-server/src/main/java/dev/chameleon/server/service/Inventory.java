package dev.chameleon.server.service;

import dev.chameleon.policy.FleetSelector;
import dev.chameleon.policy.PolicyError;
import dev.chameleon.policy.PolicyException;
import dev.chameleon.server.auth.Grant;
import dev.chameleon.server.store.AgentStore;
import dev.chameleon.server.store.AuditStore;
import dev.chameleon.server.store.Database;
import dev.chameleon.server.store.EventStore;
import dev.chameleon.server.store.ReportStore;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fleet as operators see it: agents (paged, filtered by a CEL selector over facts and
 * labels), one agent's facts, plan, change history, events and status history, the fleet
 * summary (aggregated in the database), removal and labels.
 */
public final class Inventory {
    /** Largest page. */
    public static final int MAX_LIMIT = 500;

    private final Database db;
    private final Clock clock;
    private final FactsCache facts;
    private final Notifier notifier;

    public Inventory(Database db, Clock clock, FactsCache facts, Notifier notifier) {
        this.db = db;
        this.clock = clock;
        this.facts = facts;
        this.notifier = notifier;
    }

    /**
     * An agent in a listing. {@code lastSeen}: the last time any call of it reached a replica.
     * {@code failingSensors}: sensors that failed, timed out or met problems in its last facts
     * ({@code meta.sensors}); null when it sent no facts yet.
     */
    public record AgentView(String id, String hostname, String agentVersion, Map<String, String> labels, Instant enrolledAt,
                            Instant lastSeen, Map<String, String> platform, String mode, Integer pendingChanges, Integer drift,
                            long bundleVersion, Long runningBundle, Instant factsAt, Integer failingSensors) {
    }

    static AgentView view(AgentStore.Summary s) {
        Map<String, String> platform = new LinkedHashMap<>();
        if (s.hypervisor() != null) {
            platform.put("hypervisor", s.hypervisor());
        }
        if (s.cloud() != null) {
            platform.put("cloud", s.cloud());
        }
        if (s.container() != null) {
            platform.put("container", s.container());
        }
        return new AgentView(s.id(), s.hostname(), s.agentVersion(), Mapper.labels(s.labels()), s.enrolledAt(), s.lastSeenAt(),
                platform, s.mode(), s.pendingChanges(), s.drift(), s.bundleVersion(), s.runningBundle(), s.factsAt(),
                s.failingSensors());
    }

    /**
     * A page of agents.
     *
     * @param items     the agents, by id
     * @param next      the cursor for the next page ({@code after=}), or null at the end
     * @param total     how many agents match in all
     * @param undecided agents the selector could not be decided for (a fact it reads is absent there); not in {@code items}
     */
    public record Page(List<AgentView> items, String next, long total, long undecided) {
    }

    /**
     * Agents after a cursor, ascending by id, optionally only those a selector picks.
     *
     * @throws ApiException 422 with positioned errors when the selector does not compile
     */
    public Page agents(Grant g, String where, String after, int limit) {
        int lim = Math.max(1, Math.min(MAX_LIMIT, limit));
        String cursor = after == null ? "" : after;
        if (where == null || where.isBlank()) {
            return db.read(c -> {
                List<AgentStore.Summary> rows = AgentStore.page(c, cursor, lim + 1);
                boolean more = rows.size() > lim;
                List<AgentView> items = rows.stream().limit(lim).map(Inventory::view).toList();
                return new Page(items, more ? items.get(items.size() - 1).id() : null, AgentStore.count(c), 0);
            });
        }
        FleetSelector sel;
        try {
            sel = FleetSelector.compile(where);
        } catch (PolicyException e) {
            throw ApiException.unprocessable("where does not compile", e.errors().stream().map(PolicyError::format).toList());
        }
        TreeMap<String, FactsCache.Entry> all = new TreeMap<>(facts.refresh());
        List<String> matched = new ArrayList<>();
        long undecided = 0;
        for (FactsCache.Entry e : all.values()) {
            var o = sel.matches(e.facts(), e.labels());
            if (o.holds()) {
                matched.add(e.id());
            } else if (o.failed()) {
                undecided++;
            }
        }
        List<String> page = new ArrayList<>();
        for (String id : matched) {
            if (id.compareTo(cursor) > 0 && page.size() <= lim) {
                page.add(id);
            }
        }
        boolean more = page.size() > lim;
        List<String> ids = more ? page.subList(0, lim) : page;
        List<AgentView> items = db.read(c -> AgentStore.byIds(c, ids)).stream().map(Inventory::view).toList();
        return new Page(items, more ? ids.get(ids.size() - 1) : null, matched.size(), undecided);
    }

    public AgentView agent(Grant g, String id) {
        return db.read(c -> AgentStore.find(c, id)).map(Inventory::view)
                .orElseThrow(() -> ApiException.notFound("no agent " + Names.shorten(id)));
    }

    /** An agent's last document of one kind (facts, plan, current values, status) and when it came. */
    public record Document(Instant at, Object document) {
    }

    public Document document(Grant g, String id, String column) {
        agent(g, id);
        AgentStore.Document d = db.read(c -> AgentStore.document(c, id, column))
                .orElseThrow(() -> ApiException.notFound("agent " + id + " has sent no " + column.replace('_', ' ') + " yet"));
        return new Document(d.at(), Mapper.tree(d.json()));
    }

    /** A stored report in a history. */
    public record ReportView(long seq, String id, String kind, Instant agentTime, Instant receivedAt, Object payload) {
    }

    /** An agent's reports of some kinds, newest first, before a sequence number. */
    public List<ReportView> history(Grant g, String id, List<String> kinds, long before, int limit) {
        agent(g, id);
        int lim = Math.max(1, Math.min(MAX_LIMIT, limit));
        return db.read(c -> ReportStore.list(c, id, kinds, before, lim)).stream()
                .map(r -> new ReportView(r.seq(), r.reportId(), r.kind(), r.agentTime(), r.receivedAt(), Mapper.tree(r.payload())))
                .toList();
    }

    public List<EventStore.Event> events(Grant g, String id, long before, int limit) {
        agent(g, id);
        return db.read(c -> EventStore.ofAgent(c, id, before, Math.max(1, Math.min(MAX_LIMIT, limit))));
    }

    /**
     * The fleet at a glance, counted by the database.
     *
     * @param withHealthGateFailures agents with a failed {@code health-gate} event (a change set the health gate failed and
     *                               rolled back) in the last 24 hours
     * @param withErrors             agents with an {@code error} event or a refused bundle in the last 24 hours
     * @param withFailingSensors     agents whose last facts have a sensor that failed, timed out or met problems
     *                               ({@code meta.sensors}; kept at ingest in the column {@code failing_sensors})
     * @param platforms              agents per (hypervisor, cloud, container); null parts: not reported
     */
    public record Summary(long agents, long seenLast5Minutes, long seenLastHour, long withPendingChanges, long withDrift,
                          long withHealthGateFailures, long withErrors, long withFailingSensors, Map<String, Long> modes,
                          List<PlatformCount> platforms) {
    }

    /** The window of {@link Summary#withHealthGateFailures()} and {@link Summary#withErrors()}: the last 24 hours. */
    public static final java.time.Duration HEALTH_WINDOW = java.time.Duration.ofHours(24);

    /**
     * One platform group (hypervisor, cloud, container; null: not reported) and its health.
     *
     * @param agents             agents in the group
     * @param seenLast5Minutes   of them, seen in the last 5 minutes
     * @param withPendingChanges of them, whose last plan has changes to make
     * @param pendingChanges     the group's pending changes added up
     * @param withDrift          of them, reporting drift
     * @param withFailingSensors of them, whose last facts have a sensor that failed, timed out or met problems
     */
    public record PlatformCount(String hypervisor, String cloud, String container, long agents, long seenLast5Minutes,
                                long withPendingChanges, long pendingChanges, long withDrift, long withFailingSensors) {
    }

    public Summary summary(Grant g) {
        Instant now = clock.instant();
        return db.read(c -> {
            long[] t = Database.one(c, "SELECT COUNT(*), SUM(CASE WHEN last_seen_at >= ? THEN 1 ELSE 0 END),"
                    + " SUM(CASE WHEN last_seen_at >= ? THEN 1 ELSE 0 END), SUM(CASE WHEN pending_changes > 0 THEN 1 ELSE 0 END),"
                    + " SUM(CASE WHEN drift > 0 THEN 1 ELSE 0 END), SUM(CASE WHEN failing_sensors > 0 THEN 1 ELSE 0 END) FROM agents",
                    rs -> new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6)},
                    now.minusSeconds(300), now.minusSeconds(3600)).orElseThrow();
            Map<String, Long> modes = new TreeMap<>();
            Database.query(c, "SELECT COALESCE(mode, 'unknown'), COUNT(*) FROM agents GROUP BY COALESCE(mode, 'unknown')",
                    rs -> modes.put(rs.getString(1), rs.getLong(2)));
            List<PlatformCount> platforms = Database.query(c, "SELECT hypervisor, cloud, container, COUNT(*),"
                    + " SUM(CASE WHEN last_seen_at >= ? THEN 1 ELSE 0 END), SUM(CASE WHEN pending_changes > 0 THEN 1 ELSE 0 END),"
                    + " COALESCE(SUM(pending_changes), 0), SUM(CASE WHEN drift > 0 THEN 1 ELSE 0 END),"
                    + " SUM(CASE WHEN failing_sensors > 0 THEN 1 ELSE 0 END) FROM agents"
                    + " GROUP BY hypervisor, cloud, container ORDER BY COUNT(*) DESC, hypervisor, cloud, container",
                    rs -> new PlatformCount(rs.getString(1), rs.getString(2), rs.getString(3), rs.getLong(4), rs.getLong(5),
                            rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9)), now.minusSeconds(300));
            // agents whose health gate failed a change set (and rolled it back), and agents that reported an error or had a
            // bundle refused, in the last 24 hours (events by kind and time: index events_kind_at). A health-gate event is
            // sent for every judged change set; its detail is the agent's compact JSON, where a failure reads
            // "outcome":"failed" (dev.chameleon.model.event.Event.GateOutcome)
            long gate = Database.one(c, "SELECT COUNT(DISTINCT agent_id) FROM events WHERE kind = 'agent.health-gate' AND at >= ?"
                    + " AND detail LIKE '%\"outcome\":\"failed\"%'", rs -> rs.getLong(1), now.minus(HEALTH_WINDOW)).orElse(0L);
            long errors = Database.one(c, "SELECT COUNT(DISTINCT agent_id) FROM events WHERE kind IN ('agent.error', 'bundle.refused')"
                    + " AND at >= ?", rs -> rs.getLong(1), now.minus(HEALTH_WINDOW)).orElse(0L);
            return new Summary(t[0], t[1], t[2], t[3], t[4], gate, errors, t[5], modes, platforms);
        });
    }

    /** Removes an agent and its reports; its credential stops working (it is told to re-enroll). */
    public void remove(Grant g, String id) {
        db.tx(c -> {
            AgentStore.Summary a = AgentStore.find(c, id).orElseThrow(() -> ApiException.notFound("no agent " + Names.shorten(id)));
            AgentStore.delete(c, id);
            Instant now = clock.instant();
            AuditStore.record(c, g, now, "agent.remove", id, Mapper.write(Map.of("hostname", a.hostname())));
            EventStore.append(c, now, id, "agent.removed", "agent " + id + " (" + a.hostname() + ") removed by " + g.actorName(), null);
            return null;
        });
        notifier.pokeNow();
    }

    /** Replaces an agent's labels (selectors see them at once; bundles follow on every replica). */
    public AgentView labels(Grant g, String id, Map<String, ?> labels) {
        Map<String, String> l = Names.labels("labels", labels);
        db.tx(c -> {
            AgentStore.Summary a = AgentStore.find(c, id).orElseThrow(() -> ApiException.notFound("no agent " + Names.shorten(id)));
            AgentStore.labels(c, id, Mapper.write(l), db.nextval(c, "agent_revisions"));
            AuditStore.record(c, g, clock.instant(), "agent.labels", id, Mapper.write(Map.of("from", Mapper.labels(a.labels()), "to", l)));
            Database.next(c, "config");
            return null;
        });
        notifier.pokeNow();
        return agent(g, id);
    }
}
