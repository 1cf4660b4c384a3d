package dev.chameleon.server.service;

import dev.chameleon.policy.PolicySet;
import dev.chameleon.server.store.AgentStore;
import dev.chameleon.server.store.Database;
import dev.chameleon.server.store.EventStore;
import dev.chameleon.wire.Bundle;
import dev.chameleon.wire.BundleFile;
import dev.chameleon.wire.BundleManifest;
import dev.chameleon.wire.BundleSigner;
import dev.chameleon.wire.Json;
import dev.chameleon.wire.Wire;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each agent's signed bundle: the policy-set versions its assignments and rollouts give it,
 * one file each, a manifest and the signature file.
 *
 * <p>Versions: an agent's bundle version changes exactly when its content changes, and the new
 * version comes from a database sequence, so it is higher than any it had (rollbacks included):
 * agents refuse lower ones. The content is decided on every fetch from the agent's facts,
 * labels and the fleet configuration; before an agent is moved to new content, that content
 * is compiled with the pack as the agent will (two assignments that conflict keep the agent on
 * its last bundle, and a {@code bundle.refused} event says why).
 *
 * <p>Fetches carry the ETag {@code "KEYID-VERSION"}; with {@code If-None-Match} equal to it the
 * answer is 304, after waiting 80 to 100 % of {@code wait} seconds for a change (a long poll woken
 * by the {@code config} counter on any replica; the spread keeps a fleet that started together
 * from polling together).
 */
public final class Bundles {
    /** Longest long-poll wait. */
    public static final int MAX_WAIT_SECONDS = 300;
    private static final Logger LOG = LoggerFactory.getLogger(Bundles.class);

    private final Database db;
    private final Clock clock;
    private final BundleSigner signer;
    private final Rollouts rollouts;
    private final Policies policies;
    private final FactsCache facts;
    private final Notifier notifier;
    private final Map<String, Optional<String>> compiled = new ConcurrentHashMap<>();
    private final Map<String, String> yaml = new ConcurrentHashMap<>();
    /** Per agent, the content key whose refusal was last reported as a bundle.refused event (once per key and replica). */
    private final Map<String, String> refusalReported = new ConcurrentHashMap<>();

    public Bundles(Database db, Clock clock, BundleSigner signer, Rollouts rollouts, Policies policies, FactsCache facts,
                   Notifier notifier) {
        this.db = db;
        this.clock = clock;
        this.signer = signer;
        this.rollouts = rollouts;
        this.policies = policies;
        this.facts = facts;
        this.notifier = notifier;
    }

    /** An answer: 200 with the bundle's JSON, or 304; always with the ETag. */
    public record Answer(int status, String etag, long version, String body) {
    }

    /** The current content of an agent's bundle and its version. */
    record Current(long version, List<FleetConfig.Entry> entries, Instant at) {
    }

    private String etag(long version) {
        return "\"" + signer.keyId() + "-" + version + "\"";
    }

    /** Long polls of this replica, by agent, woken when the agent's own facts moved its bundle. */
    private final java.util.Map<String, java.util.Set<CompletableFuture<Long>>> agentWaiters = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * An agent's facts changed (a report on this replica): decides its content again now, and when
     * that moved its bundle to a new version, answers its long polls on this replica at once. (A
     * long poll of the same agent on another replica picks it up when it ends, after at most its wait.)
     */
    public void factsChanged(String agentId) {
        long before = db.read(c -> AgentStore.state(c, agentId)).map(st -> st.bundle() == null ? 0L : st.bundle().version()).orElse(-1L);
        if (before < 0) {
            return;
        }
        Current cur = current(agentId);
        if (cur.version() != before) {
            java.util.Set<CompletableFuture<Long>> q = agentWaiters.remove(agentId);
            if (q != null) {
                q.forEach(f -> f.complete(-1L));
            }
        }
    }

    /**
     * The agent's bundle, or 304 when {@code ifNoneMatch} is its ETag (after waiting up to
     * {@code waitSeconds} for it to change).
     *
     * @throws ApiException 404 when the agent is unknown
     */
    public CompletableFuture<Answer> fetch(String agentId, String ifNoneMatch, int waitSeconds) {
        long known = notifier.current("config");
        Current cur = current(agentId);
        String etag = etag(cur.version());
        if (ifNoneMatch == null || !ifNoneMatch.strip().equals(etag)) {
            return CompletableFuture.completedFuture(build(agentId, cur));
        }
        if (waitSeconds <= 0) {
            return CompletableFuture.completedFuture(new Answer(304, etag, cur.version(), null));
        }
        // 80 to 100 % of the wait asked, so a fleet that started together does not come back together
        long waitNanos = (long) (Duration.ofSeconds(waitSeconds).toNanos() * (0.8 + 0.2 * java.util.concurrent.ThreadLocalRandom.current().nextDouble()));
        long deadline = System.nanoTime() + waitNanos;
        return waitFor(agentId, etag, known, deadline);
    }

    private CompletableFuture<Answer> waitFor(String agentId, String etag, long known, long deadline) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            long v = Long.parseLong(etag.substring(etag.lastIndexOf('-') + 1, etag.length() - 1));
            return CompletableFuture.completedFuture(new Answer(304, etag, v, null));
        }
        CompletableFuture<Long> config = notifier.await("config", known, Duration.ofNanos(left));
        CompletableFuture<Long> own = new CompletableFuture<>();
        java.util.Set<CompletableFuture<Long>> mine = agentWaiters.computeIfAbsent(agentId, k -> java.util.concurrent.ConcurrentHashMap.newKeySet());
        mine.add(own);
        config.whenComplete((v, e) -> {
            mine.remove(own);
            own.complete(v == null ? known : v);
        });
        return own.thenComposeAsync(gen -> {
            if (gen == -1L) {
                config.complete(known); // this wait is over; the notifier forgets it
                gen = known;
                Current now = current(agentId);
                if (!etag(now.version()).equals(etag)) {
                    return CompletableFuture.completedFuture(build(agentId, now));
                }
            }
            Current cur = current(agentId);
            if (!etag(cur.version()).equals(etag)) {
                return CompletableFuture.completedFuture(build(agentId, cur));
            }
            if (gen == known) {
                return CompletableFuture.completedFuture(new Answer(304, etag, cur.version(), null));
            }
            return waitFor(agentId, etag, gen, deadline);
        }, notifier.executor());
    }

    /** Decides the agent's content now and moves it to a new version when the content changed. */
    Current current(String agentId) {
        FleetConfig cfg = rollouts.config();
        // one connection: the agent's row (and its facts only when they changed since cached)
        Object[] read = db.read(c -> {
            AgentStore.State st = AgentStore.state(c, agentId).orElse(null);
            return st == null ? null : new Object[] {st, facts.one(c, st)};
        });
        if (read == null) {
            throw ApiException.notFound("no agent " + Names.shorten(agentId));
        }
        AgentStore.State row = (AgentStore.State) read[0];
        FactsCache.Entry agent = (FactsCache.Entry) read[1];
        AgentStore.BundleState state = row.bundle();
        List<FleetConfig.Entry> entries = cfg.entries(agentId, agent.facts(), agent.labels());
        String key = key(entries);
        if (key.equals(state.key())) {
            refusalReported.remove(agentId);
            return new Current(state.version(), stored(state), state.at());
        }
        List<FleetConfig.Entry> wanted = entries;
        String wantedKey = key;
        Optional<String> problem = compiled.computeIfAbsent(key, k -> check(wanted));
        if (problem.isPresent()) {
            if (state.key() != null) {
                // stay on the last bundle that compiled; its entries are what it was built from. The operator is told
                // once per refused content (per replica: a second replica may say it once more), not on every poll
                if (!key.equals(refusalReported.put(agentId, key))) {
                    String why = problem.get();
                    db.tx(c -> {
                        EventStore.append(c, clock.instant(), agentId, "bundle.refused", "agent " + agentId
                                + " stays on its last bundle: " + Names.shorten(why), Mapper.write(Map.of("error", why)));
                        return null;
                    });
                }
                return new Current(state.version(), stored(state), state.at());
            }
            entries = List.of();
            key = key(entries);
        }
        String newKey = key;
        Optional<String> why = problem;
        List<FleetConfig.Entry> finalEntries = entries;
        AgentStore.BundleState moved = db.tx(c -> {
            long version = db.nextval(c, "bundle_versions");
            Instant now = clock.instant();
            if (AgentStore.moveBundle(c, agentId, state.key(), newKey, Mapper.write(finalEntries), version, now) && why.isPresent()) {
                refusalReported.put(agentId, wantedKey); // said once: the next fetch of the same content stays silent
                EventStore.append(c, now, agentId, "bundle.refused", "agent " + agentId + " stays on its last bundle: "
                        + Names.shorten(why.get()), Mapper.write(Map.of("error", why.get())));
            }
            return AgentStore.bundle(c, agentId).orElseThrow(() -> ApiException.notFound("no agent " + Names.shorten(agentId)));
        });
        if (!newKey.equals(moved.key())) {
            return current(agentId); // another replica moved it to other content meanwhile: decide again
        }
        return new Current(moved.version(), stored(moved), moved.at());
    }

    /** The entries of the bundle an agent holds, as stored with its version (the same on every replica). */
    private static List<FleetConfig.Entry> stored(AgentStore.BundleState state) {
        if (state.entries() == null) {
            return List.of();
        }
        try {
            return List.of(Mapper.JSON.readValue(state.entries(), FleetConfig.Entry[].class));
        } catch (java.io.IOException e) {
            throw new IllegalStateException("stored bundle entries are not JSON: " + e.getMessage(), e);
        }
    }

    private static String key(List<FleetConfig.Entry> entries) {
        List<Object> t = new ArrayList<>();
        for (FleetConfig.Entry e : entries) {
            t.add(List.of(e.assignment(), e.policy(), (long) e.version()));
        }
        return BundleSigner.sha256(Json.canonical(t).getBytes(StandardCharsets.UTF_8));
    }

    private Optional<String> check(List<FleetConfig.Entry> entries) {
        if (entries.isEmpty()) {
            return Optional.empty();
        }
        List<PolicySet.Source> sources = new ArrayList<>();
        for (FleetConfig.Entry e : entries) {
            sources.add(new PolicySet.Source(file(e), policyText(e)));
        }
        try {
            Policies.compile(sources);
            return Optional.empty();
        } catch (ApiException e) {
            LOG.warn("bundle content {} does not compile: {}", entries, e.errors());
            return Optional.of(String.join("; ", e.errors()));
        }
    }

    private String policyText(FleetConfig.Entry e) {
        return yaml.computeIfAbsent(e.policy() + "@" + e.version(), k -> policies.yaml(e.policy(), e.version()));
    }

    private static String file(FleetConfig.Entry e) {
        return "policies/" + e.assignment() + ".yaml";
    }

    private Answer build(String agentId, Current cur) {
        List<BundleManifest.Entry> m = new ArrayList<>();
        List<BundleFile> files = new ArrayList<>();
        for (FleetConfig.Entry e : cur.entries()) {
            m.add(new BundleManifest.Entry(e.assignment(), e.policy(), e.version(), file(e)));
        }
        Instant at = cur.at() == null ? Instant.EPOCH : cur.at();
        files.add(new BundleFile(Bundle.MANIFEST, Wire.write(new BundleManifest(cur.version(), agentId, signer.keyId(),
                at.toString(), m))));
        for (FleetConfig.Entry e : cur.entries()) {
            files.add(new BundleFile(file(e), policyText(e)));
        }
        Bundle b = signer.sign(cur.version(), files);
        return new Answer(200, etag(cur.version()), cur.version(), Wire.write(b));
    }

    /** What an operator sees of an agent's bundle: version and content, without fetching it as the agent. */
    public Map<String, Object> describe(String agentId) {
        Current cur = current(agentId);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", cur.version());
        out.put("etag", etag(cur.version()));
        out.put("keyId", signer.keyId());
        out.put("policies", cur.entries());
        return out;
    }
}
