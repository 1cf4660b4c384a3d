package dev.chameleon.server.service;

import dev.chameleon.policy.FleetSelector;
import dev.chameleon.policy.PolicyError;
import dev.chameleon.policy.PolicyException;
import dev.chameleon.server.auth.Grant;
import dev.chameleon.server.auth.Secrets;
import dev.chameleon.server.store.AgentStore;
import dev.chameleon.server.store.AuditStore;
import dev.chameleon.server.store.Database;
import dev.chameleon.server.store.EventStore;
import dev.chameleon.server.store.PolicyStore;
import dev.chameleon.server.store.RolloutStore;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Assignments (a policy set for the agents a selector picks) and staged rollouts of a version:
 * the canary set first (agent ids and/or a selector), then each percentage step, then all;
 * advanced by an operator or every {@code intervalSeconds}; paused and resumed; rolled back.
 *
 * <p>Rolling back puts the agents back on the version they had (the assignment's stable
 * version), and every agent whose bundle content changes gets a new, higher bundle version, so
 * agents, which refuse downgrades, take it. Every change bumps the {@code config} counter,
 * which wakes the agents' long polls on every replica.
 */
public final class Rollouts {
    /** Most percentage steps in one rollout. */
    public static final int MAX_STEPS = 10;
    /** Most canary agents named by id. */
    public static final int MAX_CANARIES = 100;

    private final Database db;
    private final Clock clock;
    private final Notifier notifier;
    private final FactsCache facts;
    private volatile FleetConfig config;

    public Rollouts(Database db, Clock clock, Notifier notifier, FactsCache facts) {
        this.db = db;
        this.clock = clock;
        this.notifier = notifier;
        this.facts = facts;
        notifier.everyTick(this::advanceDue);
    }

    /**
     * The configuration as of the {@code config} counter this replica last read (at most
     * {@link Notifier#PERIOD} old, and read at once after a write here); a change on another
     * replica wakes long polls when the counter is read, which then decide again.
     */
    public FleetConfig config() {
        long gen = notifier.current("config");
        FleetConfig cur = config;
        if (cur != null && cur.generation() >= gen) {
            return cur;
        }
        FleetConfig next = db.read(c -> {
            long g2 = Database.one(c, "SELECT n FROM counters WHERE name = 'config'", rs -> rs.getLong(1)).orElse(0L);
            return FleetConfig.of(g2, RolloutStore.assignments(c), RolloutStore.active(c));
        });
        config = next;
        return next;
    }

    private static FleetSelector compileSelector(String field, String text) {
        if (text == null) {
            throw ApiException.invalid(field + " is required");
        }
        try {
            return FleetSelector.compile(text);
        } catch (PolicyException e) {
            throw ApiException.unprocessable(field + " does not compile", e.errors().stream().map(PolicyError::format).toList());
        }
    }

    /** An assignment as the API shows it, with its active rollout and how many agents it selects now. */
    public record AssignmentView(String name, String policy, String selector, Integer stableVersion, Instant createdAt,
                                 String createdBy, Instant updatedAt, RolloutView rollout, Integer matchedAgents) {
    }

    /**
     * A rollout as the API shows it.
     *
     * @param percent        the share of the selected agents (besides canaries) on the new version now
     * @param includedAgents how many selected agents get the new version now (null in lists)
     */
    public record RolloutView(String id, String assignment, Integer fromVersion, int toVersion, List<String> canaryAgents,
                              String canarySelector, List<Integer> steps, int stage, int percent, String state,
                              Integer intervalSeconds, Instant nextStepAt, Instant startedAt, Instant updatedAt, String createdBy,
                              Integer includedAgents) {
    }

    private static RolloutView view(RolloutStore.Rollout r, Integer included) {
        List<Integer> steps = readInts(r.steps());
        return new RolloutView(r.id(), r.assignment(), r.fromVersion(), r.toVersion(), readStrings(r.canaryAgents()),
                r.canarySelector(), steps, r.stage(), r.stage() == 0 ? 0 : steps.get(r.stage() - 1), r.state(), r.intervalSeconds(),
                r.nextStepAt(), r.startedAt(), r.updatedAt(), r.createdBy(), included);
    }

    private static List<Integer> readInts(String json) {
        try {
            return List.of(Mapper.JSON.readValue(json, Integer[].class));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> readStrings(String json) {
        try {
            return List.of(Mapper.JSON.readValue(json, String[].class));
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public AssignmentView createAssignment(Grant g, String name, String policy, String selector) {
        Names.name("name", name);
        Names.name("policy", policy);
        compileSelector("selector", selector);
        db.tx(c -> {
            if (PolicyStore.latest(c, policy) == 0) {
                throw ApiException.notFound("no policy set " + policy + "; upload it first");
            }
            if (RolloutStore.assignment(c, name).isPresent()) {
                throw ApiException.conflict("assignment " + name + " exists");
            }
            Instant now = clock.instant();
            try {
                RolloutStore.insertAssignment(c, new RolloutStore.Assignment(name, policy, selector, null, now,
                        g.actorName() + " (" + g.actorId() + ")", now));
            } catch (SQLException e) {
                if ("23505".equals(e.getSQLState())) {
                    throw ApiException.conflict("assignment " + name + " exists");
                }
                throw e;
            }
            AuditStore.record(c, g, now, "assignment.create", name, Mapper.write(Map.of("policy", policy, "selector", selector)));
            Database.next(c, "config");
            return null;
        });
        notifier.pokeNow();
        return assignment(g, name);
    }

    public AssignmentView updateSelector(Grant g, String name, String selector) {
        compileSelector("selector", selector);
        db.tx(c -> {
            RolloutStore.Assignment a = RolloutStore.lockAssignment(c, name)
                    .orElseThrow(() -> ApiException.notFound("no assignment " + Names.shorten(name)));
            Instant now = clock.instant();
            RolloutStore.updateSelector(c, name, selector, now);
            AuditStore.record(c, g, now, "assignment.update", name, Mapper.write(Map.of("from", a.selector(), "to", selector)));
            Database.next(c, "config");
            return null;
        });
        notifier.pokeNow();
        return assignment(g, name);
    }

    public void deleteAssignment(Grant g, String name) {
        db.tx(c -> {
            if (RolloutStore.lockAssignment(c, name).isEmpty()) {
                throw ApiException.notFound("no assignment " + Names.shorten(name));
            }
            RolloutStore.deleteAssignment(c, name);
            Instant now = clock.instant();
            AuditStore.record(c, g, now, "assignment.delete", name, null);
            EventStore.append(c, now, null, "assignment.deleted", "assignment " + name + " deleted by " + g.actorName(), null);
            Database.next(c, "config");
            return null;
        });
        notifier.pokeNow();
    }

    public List<AssignmentView> assignments(Grant g) {
        return db.read(c -> {
            List<AssignmentView> out = new ArrayList<>();
            for (RolloutStore.Assignment a : RolloutStore.assignments(c)) {
                out.add(new AssignmentView(a.name(), a.policy(), a.selector(), a.stableVersion(), a.createdAt(), a.createdBy(),
                        a.updatedAt(), RolloutStore.active(c, a.name()).map(r -> view(r, null)).orElse(null), null));
            }
            return out;
        });
    }

    /** One assignment, with how many agents its selector and its rollout pick now (read over every agent's facts). */
    public AssignmentView assignment(Grant g, String name) {
        RolloutStore.Assignment a = db.read(c -> RolloutStore.assignment(c, name))
                .orElseThrow(() -> ApiException.notFound("no assignment " + Names.shorten(name)));
        FleetConfig cfg = config();
        FleetConfig.Rule rule = cfg.rules().stream().filter(r -> r.assignment().name().equals(name)).findFirst().orElse(null);
        int matched = 0;
        int included = 0;
        if (rule != null) {
            for (FactsCache.Entry e : facts.refresh().values()) {
                if (rule.selector().matches(e.facts(), e.labels()).holds()) {
                    matched++;
                    if (rule.rollout() != null && rule.rollout().includes(e.id(), e.facts(), e.labels())) {
                        included++;
                    }
                }
            }
        }
        Integer inc = rule != null && rule.rollout() != null ? included : null;
        RolloutView rv = rule != null && rule.rollout() != null ? view(rule.rollout().rollout(), inc) : null;
        return new AssignmentView(a.name(), a.policy(), a.selector(), a.stableVersion(), a.createdAt(), a.createdBy(), a.updatedAt(),
                rv, matched);
    }

    /**
     * Starts a rollout of a policy-set version to an assignment's agents.
     *
     * @param canaryAgents    agent ids that get it first (at most {@value #MAX_CANARIES})
     * @param canarySelector  a selector picking canaries too, or null
     * @param steps           percentages after the canaries, rising, ending at 100 (default {@code [100]})
     * @param intervalSeconds advance automatically this long after each step, or null for by hand
     */
    public RolloutView start(Grant g, String assignment, int version, List<String> canaryAgents, String canarySelector,
                             List<Integer> steps, Integer intervalSeconds) {
        List<String> canaries = canaryAgents == null ? List.of() : List.copyOf(canaryAgents);
        if (canaries.size() > MAX_CANARIES) {
            throw ApiException.invalid("canaryAgents names " + canaries.size() + " agents; at most " + MAX_CANARIES);
        }
        if (canarySelector != null) {
            compileSelector("canarySelector", canarySelector);
        }
        List<Integer> st = steps == null || steps.isEmpty() ? List.of(100) : List.copyOf(steps);
        if (st.size() > MAX_STEPS) {
            throw ApiException.invalid("steps has " + st.size() + " entries; at most " + MAX_STEPS);
        }
        for (int i = 0; i < st.size(); i++) {
            Integer p = st.get(i);
            if (p == null || p < 1 || p > 100 || (i > 0 && p <= st.get(i - 1))) {
                throw ApiException.invalid("steps must be rising percentages from 1 to 100, got " + st);
            }
        }
        if (st.get(st.size() - 1) != 100) {
            throw ApiException.invalid("steps must end at 100, got " + st);
        }
        if (intervalSeconds != null && (intervalSeconds < 10 || intervalSeconds > 7 * 86400)) {
            throw ApiException.invalid("intervalSeconds must be 10 to " + 7 * 86400 + ", got " + intervalSeconds);
        }
        String id = Secrets.newId("ro");
        db.tx(c -> {
            RolloutStore.Assignment a = RolloutStore.lockAssignment(c, assignment)
                    .orElseThrow(() -> ApiException.notFound("no assignment " + Names.shorten(assignment)));
            if (PolicyStore.get(c, a.policy(), version).isEmpty()) {
                throw ApiException.notFound("no policy set " + a.policy() + " version " + version);
            }
            Optional<RolloutStore.Rollout> active = RolloutStore.active(c, assignment);
            if (active.isPresent()) {
                throw ApiException.conflict("assignment " + assignment + " has rollout " + active.get().id() + " "
                        + active.get().state() + "; finish, or roll it back, first");
            }
            if (a.stableVersion() != null && a.stableVersion() == version) {
                throw ApiException.conflict("version " + version + " is what assignment " + assignment + " gives already");
            }
            for (String agent : canaries) {
                if (AgentStore.find(c, agent).isEmpty()) {
                    throw ApiException.invalid("canaryAgents: no agent " + Names.shorten(agent));
                }
            }
            Instant now = clock.instant();
            // without canaries the first step is the first percentage; a single step of 100 % deploys at once
            boolean noCanaries = canaries.isEmpty() && canarySelector == null;
            int stage = noCanaries ? 1 : 0;
            boolean done = noCanaries && st.get(0) == 100;
            RolloutStore.insertRollout(c, new RolloutStore.Rollout(id, assignment, a.stableVersion(), version, Mapper.write(canaries),
                    canarySelector, Mapper.write(st), stage, done ? "completed" : "running", intervalSeconds,
                    intervalSeconds == null || done ? null : now.plusSeconds(intervalSeconds), now, now,
                    g.actorName() + " (" + g.actorId() + ")"));
            if (done) {
                RolloutStore.stable(c, assignment, version, now);
            }
            Map<String, Object> detail = new LinkedHashMap<>();
            detail.put("version", version);
            detail.put("canaryAgents", canaries);
            detail.put("canarySelector", canarySelector);
            detail.put("steps", st);
            detail.put("intervalSeconds", intervalSeconds);
            AuditStore.record(c, g, now, "rollout.start", assignment + "/" + id, Mapper.write(detail));
            EventStore.append(c, now, null, "rollout.started", "rollout " + id + " of " + a.policy() + " version " + version
                    + " to assignment " + assignment + " started by " + g.actorName() + (done ? ": every selected agent at once"
                    : noCanaries ? ": " + st.get(0) + " % first" : ": canaries first"), null);
            Database.next(c, "config");
            return null;
        });
        notifier.pokeNow();
        return rollout(g, id);
    }

    public RolloutView rollout(Grant g, String id) {
        RolloutStore.Rollout r = db.read(c -> RolloutStore.rollout(c, id))
                .orElseThrow(() -> ApiException.notFound("no rollout " + Names.shorten(id)));
        Integer included = null;
        if (r.state().equals("running") || r.state().equals("paused")) {
            RolloutView v = assignment(g, r.assignment()).rollout();
            included = v == null ? null : v.includedAgents();
        }
        return view(r, included);
    }

    public List<RolloutView> history(Grant g, String assignment) {
        return db.read(c -> RolloutStore.ofAssignment(c, assignment)).stream().map(r -> view(r, null)).toList();
    }

    /** Moves a running rollout to its next step (completing it after 100 %). */
    public RolloutView advance(Grant g, String id) {
        change(g, id, "advance");
        return rollout(g, id);
    }

    public RolloutView pause(Grant g, String id) {
        change(g, id, "pause");
        return rollout(g, id);
    }

    public RolloutView resume(Grant g, String id) {
        change(g, id, "resume");
        return rollout(g, id);
    }

    /**
     * Rolls back: a running or paused rollout ends and its agents go back to the stable version;
     * a completed one (the newest of its assignment) makes its previous version stable again.
     */
    public RolloutView rollback(Grant g, String id) {
        change(g, id, "rollback");
        return rollout(g, id);
    }

    private void change(Grant g, String id, String action) {
        db.tx(c -> {
            RolloutStore.Rollout r = RolloutStore.rollout(c, id).orElseThrow(() -> ApiException.notFound("no rollout " + Names.shorten(id)));
            RolloutStore.lockAssignment(c, r.assignment());
            r = RolloutStore.rollout(c, id).orElseThrow();
            Instant now = clock.instant();
            String summary = step(c, r, action, now);
            AuditStore.record(c, g, now, "rollout." + action, r.assignment() + "/" + id, null);
            EventStore.append(c, now, null, "rollout." + action, summary + " by " + g.actorName(), null);
            Database.next(c, "config");
            return null;
        });
        notifier.pokeNow();
    }

    /** One state change; the words for the event. Refuses changes that do not fit the state (409). */
    private static String step(Connection c, RolloutStore.Rollout r, String action, Instant now) throws SQLException {
        List<Integer> steps = readInts(r.steps());
        String name = "rollout " + r.id() + " (" + r.assignment() + " version " + r.toVersion() + ")";
        switch (action) {
            case "advance": {
                if (!r.state().equals("running")) {
                    throw ApiException.conflict(name + " is " + r.state() + (r.state().equals("paused") ? "; resume it first" : ""));
                }
                int next = r.stage() + 1;
                if (steps.get(next - 1) == 100) {
                    move(c, r, next, "completed", null, now);
                    RolloutStore.stable(c, r.assignment(), r.toVersion(), now);
                    return name + " completed: every selected agent gets version " + r.toVersion();
                }
                move(c, r, next, "running", r.intervalSeconds() == null ? null : now.plusSeconds(r.intervalSeconds()), now);
                return name + " advanced to " + steps.get(next - 1) + " %";
            }
            case "pause":
                if (!r.state().equals("running")) {
                    throw ApiException.conflict(name + " is " + r.state() + ", not running");
                }
                move(c, r, r.stage(), "paused", null, now);
                return name + " paused at " + (r.stage() == 0 ? "the canaries" : steps.get(r.stage() - 1) + " %");
            case "resume":
                if (!r.state().equals("paused")) {
                    throw ApiException.conflict(name + " is " + r.state() + ", not paused");
                }
                move(c, r, r.stage(), "running", r.intervalSeconds() == null ? null : now.plusSeconds(r.intervalSeconds()), now);
                return name + " resumed";
            case "rollback": {
                if (r.state().equals("running") || r.state().equals("paused")) {
                    move(c, r, r.stage(), "rolled-back", null, now);
                    return name + " rolled back: agents go back to " + (r.fromVersion() == null ? "no version" : "version " + r.fromVersion());
                }
                if (r.state().equals("completed")) {
                    RolloutStore.Rollout newest = RolloutStore.ofAssignment(c, r.assignment()).get(0);
                    if (!newest.id().equals(r.id())) {
                        throw ApiException.conflict(name + " is not the newest rollout of " + r.assignment() + " (" + newest.id() + " is)");
                    }
                    move(c, r, r.stage(), "rolled-back", null, now);
                    RolloutStore.stable(c, r.assignment(), r.fromVersion(), now);
                    return name + " rolled back after completion: agents go back to "
                            + (r.fromVersion() == null ? "no version" : "version " + r.fromVersion());
                }
                throw ApiException.conflict(name + " is already " + r.state());
            }
            default:
                throw new IllegalArgumentException(action);
        }
    }

    private static void move(Connection c, RolloutStore.Rollout r, int stage, String state, Instant next, Instant now) throws SQLException {
        if (!RolloutStore.move(c, r, stage, state, next, now)) {
            throw ApiException.conflict("rollout " + r.id() + " changed at the same moment; look again");
        }
    }

    /** Advances running rollouts whose interval passed (each replica tries; the first move wins). */
    void advanceDue() {
        Instant now = clock.instant();
        List<RolloutStore.Rollout> due = db.read(c -> RolloutStore.due(c, now));
        for (RolloutStore.Rollout r : due) {
            try {
                db.tx(c -> {
                    RolloutStore.lockAssignment(c, r.assignment());
                    RolloutStore.Rollout cur = RolloutStore.rollout(c, r.id()).orElse(null);
                    if (cur == null || !cur.state().equals("running") || cur.nextStepAt() == null || cur.nextStepAt().isAfter(now)) {
                        return null;
                    }
                    String summary = step(c, cur, "advance", now);
                    EventStore.append(c, now, null, "rollout.advance", summary + " (automatic step after "
                            + cur.intervalSeconds() + " s)", null);
                    Database.next(c, "config");
                    return null;
                });
            } catch (ApiException e) {
                // another replica moved it first
            }
        }
        if (!due.isEmpty()) {
            notifier.pokeNow();
        }
    }
}
