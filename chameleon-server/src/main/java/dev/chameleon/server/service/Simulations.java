package dev.chameleon.server.service;

import dev.chameleon.engine.Simulation;
import dev.chameleon.model.SettingKey;
import dev.chameleon.model.plan.PlanDocument;
import dev.chameleon.policy.FleetSelector;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.server.auth.Grant;
import dev.chameleon.server.store.AgentStore;
import dev.chameleon.server.store.Database;
import dev.chameleon.wire.Json;
import dev.chameleon.wire.WireFormatException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code POST /api/v1/simulate}: what a candidate policy set would do on every agent, before it
 * ships. The candidate is compiled with the built-in pack as the server compiles bundles
 * ({@link Policies#compile}); for each agent (or those {@code where} picks) the engine's
 * {@link Simulation#plan} decides from the agent's last reported facts and current values, with
 * the same code as {@code plan} and {@code apply} on the agent. Only the candidate's own entries are
 * answered (the pack's would be there without it too).
 *
 * <p>Said, not guessed: an agent that sent no facts is counted under {@code noFacts}; a setting
 * whose current value it did not report is {@code unknown}; a policy whose condition cannot be
 * evaluated on an agent's facts (a fact it reads is absent there) is listed under
 * {@code undecidable}. Apply-once history is not reported by agents, so an apply-once change
 * shows as a change. Read-only; no audit entry.
 */
public final class Simulations {
    private final Database db;
    private final FactsCache facts;

    public Simulations(Database db, FactsCache facts) {
        this.db = db;
        this.facts = facts;
    }

    /** One setting that would change on one agent. */
    public record Change(String key, String from, String to, String policy, String note) {
    }

    /** A setting the simulation cannot decide for one agent, and why. */
    public record Unknown(String key, String policy, String note) {
    }

    /** One agent where the candidate would do something, or could not be decided. */
    public record AgentResult(String agentId, String hostname, List<Change> changes, List<Unknown> unknown, List<String> undecidable) {
    }

    /**
     * The answer.
     *
     * @param policySet     the candidate's name
     * @param agents        agents simulated (with facts)
     * @param changing      agents with at least one change
     * @param unchanged     agents where the candidate changes nothing and everything was decided
     * @param undecided     agents with an unknown entry or an undecidable condition
     * @param noFacts       agents that never sent facts (not simulated)
     * @param changes       changes over all agents
     * @param results       per agent with a change, an unknown or an undecidable condition, by id
     * @param elapsedMillis wall time of the simulation (compile excluded)
     */
    public record Result(String policySet, int agents, int changing, int unchanged, int undecided, int noFacts, long changes,
                         List<AgentResult> results, long elapsedMillis) {
    }

    public Result simulate(Grant g, String name, String yaml, String where) {
        Names.name("name", name);
        String file = Policies.fileName(name);
        PolicySet candidate = relevant(Policies.compile(List.of(new PolicySet.Source(file, yaml))), file);
        FleetSelector sel = null;
        if (where != null && !where.isBlank()) {
            try {
                sel = FleetSelector.compile(where);
            } catch (dev.chameleon.policy.PolicyException e) {
                throw ApiException.unprocessable("where does not compile",
                        e.errors().stream().map(dev.chameleon.policy.PolicyError::format).toList());
            }
        }
        long t0 = System.nanoTime();
        TreeMap<String, FactsCache.Entry> all = new TreeMap<>(facts.refresh());
        Map<String, String> currents = db.read(AgentStore::allCurrentValues);
        int simulated = 0;
        int changing = 0;
        int unchanged = 0;
        int undecided = 0;
        int noFacts = 0;
        long changeCount = 0;
        List<AgentResult> results = new ArrayList<>();
        FleetSelector selector = sel;
        // one agent's plan does not depend on another's: decided in parallel (Simulation is stateless), gathered in id order
        List<Object> decided = all.values().parallelStream().map(e -> {
            if (e.facts().asMap().isEmpty()) {
                return (Object) "no-facts";
            }
            if (selector != null && !selector.matches(e.facts(), e.labels()).holds()) {
                return null;
            }
            return decide(candidate, file, e, currents.get(e.id()));
        }).toList();
        for (Object o : decided) {
            if (o == null) {
                continue;
            }
            if (o instanceof String) {
                noFacts++;
                continue;
            }
            AgentResult r = (AgentResult) o;
            simulated++;
            changeCount += r.changes().size();
            if (!r.changes().isEmpty()) {
                changing++;
            }
            if (!r.unknown().isEmpty() || !r.undecidable().isEmpty()) {
                undecided++;
            }
            if (r.changes().isEmpty() && r.unknown().isEmpty() && r.undecidable().isEmpty()) {
                unchanged++;
            } else {
                results.add(r);
            }
        }
        return new Result(name, simulated, changing, unchanged, undecided, noFacts, changeCount, results,
                (System.nanoTime() - t0) / 1_000_000);
    }

    /**
     * The candidate of {@link #warmUp()}: one sysctl under a condition on common facts, so the
     * pack's policies for the same setting are evaluated with it, as for an operator's candidate.
     */
    static final String WARM_UP = """
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: warm-up}
            spec:
              priority: 50
              when: platform.hypervisor != "" && memory.totalBytes > 1073741824
              settings:
                - sysctl: {key: vm.dirty_ratio, value: 10}
            """;

    /**
     * One simulation of {@link #WARM_UP} over every cached agent, answers discarded, run once by the
     * server after its facts cache is warm at start: the first operator's simulation after a start
     * then runs compiled code (the engine's evaluation, the actuators' comparisons, the current
     * values read and parsed), not the interpreter the JVM starts with, which cost it several times
     * a warm call. Reads only; holds one agent's plan at a time per core.
     */
    public void warmUp() {
        String file = Policies.fileName("warm-up");
        PolicySet candidate = relevant(Policies.compile(List.of(new PolicySet.Source(file, WARM_UP))), file);
        Map<String, String> currents = db.read(AgentStore::allCurrentValues);
        facts.refresh().values().parallelStream().filter(e -> !e.facts().asMap().isEmpty())
                .forEach(e -> decide(candidate, file, e, currents.get(e.id())));
    }

    /** One agent's simulated plan, reduced to the candidate's changes, unknowns and undecidable conditions. */
    private static AgentResult decide(PolicySet candidate, String file, FactsCache.Entry e, String currentValues) {
        PlanDocument doc = Simulation.plan(candidate, e.facts(), parseCurrents(currentValues), Map.of());
        List<Change> changes = new ArrayList<>();
        List<Unknown> unknown = new ArrayList<>();
        List<String> undecidable = new ArrayList<>();
        for (PlanDocument.PolicyRow row : doc.policies()) {
            if (ours(row.source(), file) && row.error() != null && !row.error().isEmpty()) {
                undecidable.add("policy " + row.name() + " (" + row.source() + "): " + row.error());
            }
        }
        for (PlanDocument.Entry en : doc.entries()) {
            if (!ours(en.source(), file)) {
                continue;
            }
            if (en.action() == PlanDocument.Action.CHANGE && en.applies()) {
                changes.add(new Change(en.key().toString(), en.current(), en.writes(), en.policy(), en.note()));
            } else if (en.action() == PlanDocument.Action.UNKNOWN) {
                unknown.add(new Unknown(en.key().toString(), en.policy(), en.note()));
            }
        }
        return new AgentResult(e.id(), e.hostname(), changes, unknown, undecidable);
    }

    /**
     * The compiled set (candidate and pack) narrowed to the candidate's policies and the pack's
     * policies that set a setting of the same kind and target (or of the same kind per element):
     * only those can decide the candidate's settings, so the answer is the same, and evaluating
     * the whole pack on every agent is what costs (about 50 times a candidate of one policy).
     */
    static PolicySet relevant(PolicySet all, String file) {
        List<dev.chameleon.policy.SettingRule> ours = new ArrayList<>();
        for (dev.chameleon.policy.Policy p : all.policies()) {
            if (ours(p.file(), file)) {
                ours.addAll(p.settings());
            }
        }
        return all.restrictTo(p -> ours(p.file(), file) || p.settings().stream().anyMatch(r -> ours.stream().anyMatch(o ->
                o.kind().equals(r.kind()) && (java.util.Objects.equals(o.target(), r.target()) || o.select().isPresent()
                        || r.select().isPresent()))));
    }

    /** Whether a policy's or entry's source ({@code web.yaml:3:1}, {@code pack:...}) is the candidate's file. */
    private static boolean ours(String source, String file) {
        return source != null && (source.equals(file) || source.startsWith(file + ":"));
    }

    /** {@code {"sysctl:vm.swappiness": "60", ...}} → keys and values; a key that does not parse is left out (unknown). */
    static Map<SettingKey, String> parseCurrents(String json) {
        if (json == null) {
            return Map.of();
        }
        Map<SettingKey, String> out = new LinkedHashMap<>();
        try {
            if (Json.parse(json) instanceof Map<?, ?> m) {
                m.forEach((k, v) -> {
                    if (v instanceof String s) {
                        try {
                            out.put(SettingKey.parse(String.valueOf(k)), s);
                        } catch (IllegalArgumentException ex) {
                            // not a key this server knows: unknown, as if not reported
                        }
                    }
                });
            }
        } catch (WireFormatException e) {
            return Map.of();
        }
        return out;
    }
}
