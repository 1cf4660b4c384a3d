package dev.chameleon.server.service;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.chameleon.model.FactSet;
import dev.chameleon.policy.FleetSelector;
import dev.chameleon.policy.PolicyException;
import dev.chameleon.server.store.RolloutStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What agents get, compiled once per configuration generation: every assignment with its
 * selector, and its running or paused rollout. Decides, for one agent's facts and labels, which
 * policy-set versions belong in its bundle. Immutable; replicas rebuild it when the
 * {@code config} counter moves.
 *
 * @param generation the {@code config} counter it was read at
 * @param rules      assignments in name order
 */
public record FleetConfig(long generation, List<Rule> rules) {
    /** An assignment, its compiled selector, and its active rollout or null. */
    public record Rule(RolloutStore.Assignment assignment, FleetSelector selector, Stage rollout) {
    }

    /** A running or paused rollout, compiled. */
    public record Stage(RolloutStore.Rollout rollout, Set<String> canaryAgents, FleetSelector canarySelector, List<Integer> steps) {
        /** The percentage of agents (besides the canaries) that get the new version now. */
        public int percent() {
            return rollout.stage() == 0 ? 0 : steps.get(rollout.stage() - 1);
        }

        /** Whether this agent gets the rollout's version at the current stage. */
        public boolean includes(String agentId, FactSet facts, Map<String, String> labels) {
            if (canaryAgents.contains(agentId)) {
                return true;
            }
            if (canarySelector != null && canarySelector.matches(facts, labels).holds()) {
                return true;
            }
            return bucket(rollout.id(), agentId) < percent();
        }
    }

    /** One policy-set version in an agent's bundle. */
    public record Entry(String assignment, String policy, int version) {
    }

    /**
     * A stable bucket 0..99 of an agent within a rollout (SHA-256 of rollout id and agent id), so
     * that each percentage step adds agents and never swaps them, and different rollouts pick
     * different agents first.
     */
    public static int bucket(String rolloutId, String agentId) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest((rolloutId + ":" + agentId).getBytes(StandardCharsets.UTF_8));
            long v = ((d[0] & 0xffL) << 24) | ((d[1] & 0xffL) << 16) | ((d[2] & 0xffL) << 8) | (d[3] & 0xffL);
            return (int) (v % 100);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Compiles stored assignments and rollouts (stored selectors compiled when written). */
    static FleetConfig of(long generation, List<RolloutStore.Assignment> assignments, List<RolloutStore.Rollout> active) {
        List<Rule> rules = new ArrayList<>();
        for (RolloutStore.Assignment a : assignments) {
            Stage stage = null;
            for (RolloutStore.Rollout r : active) {
                if (r.assignment().equals(a.name())) {
                    stage = new Stage(r, Set.copyOf(readList(r.canaryAgents(), new TypeReference<List<String>>() { })),
                            r.canarySelector() == null ? null : selector(r.canarySelector()),
                            List.copyOf(readList(r.steps(), new TypeReference<List<Integer>>() { })));
                }
            }
            rules.add(new Rule(a, selector(a.selector()), stage));
        }
        return new FleetConfig(generation, List.copyOf(rules));
    }

    private static <T> List<T> readList(String json, TypeReference<List<T>> type) {
        try {
            return Mapper.JSON.readValue(json, type);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored rollout list is not JSON: " + e.getMessage(), e);
        }
    }

    static FleetSelector selector(String text) {
        try {
            return FleetSelector.compile(text);
        } catch (PolicyException e) {
            throw new IllegalStateException("stored selector no longer compiles: " + e.getMessage(), e);
        }
    }

    /** The policy-set versions one agent gets, in assignment name order. */
    public List<Entry> entries(String agentId, FactSet facts, Map<String, String> labels) {
        List<Entry> out = new ArrayList<>();
        for (Rule r : rules) {
            if (!r.selector().matches(facts, labels).holds()) {
                continue;
            }
            Integer version = r.rollout() != null && r.rollout().includes(agentId, facts, labels)
                    ? Integer.valueOf(r.rollout().rollout().toVersion()) : r.assignment().stableVersion();
            if (version != null) {
                out.add(new Entry(r.assignment().name(), r.assignment().policy(), version));
            }
        }
        return out;
    }
}
