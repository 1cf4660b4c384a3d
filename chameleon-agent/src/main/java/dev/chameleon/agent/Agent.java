package dev.chameleon.agent;

import dev.chameleon.actuators.Actuators;
import dev.chameleon.actuators.Applier;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.actuators.Journal;
import dev.chameleon.model.JournalEntry;
import dev.chameleon.agent.loop.AgentMetrics;
import dev.chameleon.agent.loop.Cost;
import dev.chameleon.agent.loop.Drift;
import dev.chameleon.agent.loop.EventLog;
import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.model.json.Json;
import dev.chameleon.agent.loop.Triggers.Trigger;
import dev.chameleon.host.Host;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.sensors.FactCache;
import dev.chameleon.sensors.SensorSuite;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The loop of {@code chameleon run}: sense → evaluate → plan → (apply → verify) → report, every
 * interval plus a random splay, and at once on a {@link Trigger}; a burst of triggers within the
 * debounce time is one pass. Time and randomness are injected so tests are deterministic.
 * Stopping it changes nothing on the machine.
 */
final class Agent {
    record Settings(boolean apply, Duration interval, Duration splay, Duration debounce, long maxPasses,
                    int flapLimit, Duration flapWindow) {
    }

    /** What a configuration reload (SIGHUP) hands the running agent: its new settings and health gate. */
    record Reconfiguration(Settings settings, HealthGate gate) {
    }

    private final Host host;
    private final Supplier<PolicySet> loader;
    private final Journal journal;
    private volatile Settings settings;
    private volatile Supplier<Reconfiguration> reconfigure;
    private final EventLog events;
    private final Clock clock;
    private final RandomGenerator random;
    private final BlockingQueue<Trigger> queue = new LinkedBlockingQueue<>();
    private final FactCache cache = new FactCache();
    private volatile SensorSuite sensors = SensorSuite.standard();
    private final Drift drift;
    private final Instant started;
    private volatile PolicySet policies;
    private volatile Map<String, Object> lastPass = Map.of();
    private volatile Map<String, Object> platform = Map.of();
    private volatile List<String> pending = List.of();
    private volatile long passes;
    private volatile String ueventSource = "none";
    private volatile HealthGate gate;
    private volatile Map<String, Object> lastGate;
    private final AgentMetrics metrics = new AgentMetrics();
    // the last evaluation and what it was made from (pass thread only)
    private PolicySet.Evaluation evaluation;
    private PolicySet evaluatedPolicies;
    private Map<String, Object> evaluatedFacts;

    Agent(Host host, Supplier<PolicySet> loader, Journal journal, Settings settings, EventLog events, Clock clock,
          RandomGenerator random) {
        this.host = host;
        this.loader = loader;
        this.journal = journal;
        this.settings = settings;
        this.events = events;
        this.clock = clock;
        this.random = random;
        this.drift = new Drift(settings.flapLimit(), settings.flapWindow());
        this.started = clock.instant();
        this.policies = loader.get();
        metrics.policies(policies.policies().size());
    }

    BlockingQueue<Trigger> queue() {
        return queue;
    }

    void ueventSource(String s) {
        ueventSource = s;
    }

    /**
     * On SIGHUP, before policies are reloaded: asks {@code r} for the configuration read again; it
     * throws {@link UserError} for a file that does not read, and the previous configuration stays.
     */
    void onReconfigure(Supplier<Reconfiguration> r) {
        reconfigure = r;
    }

    /** Senses with {@code s} (the standard suite until called; the cloud metadata probe is configured there). */
    void sensors(SensorSuite s) {
        sensors = s;
    }

    /** Checks every change set this agent applies with {@code g} (off until called). */
    void healthGate(HealthGate g) {
        gate = g;
    }

    /** What the agent counts about its passes, for the metrics endpoint. */
    AgentMetrics metrics() {
        return metrics;
    }

    /** The wait before the next timed pass: the interval plus a uniform random splay in [0, splay]. */
    Duration nextDelay() {
        long splay = settings.splay().toMillis();
        return settings.interval().plusMillis(splay <= 0 ? 0 : random.nextLong(splay + 1));
    }

    /** Runs passes until interrupted or {@code maxPasses} is reached. */
    void loop() throws InterruptedException {
        Trigger why = new Trigger("start", "", false);
        while (true) {
            pass(why);
            if (settings.maxPasses() > 0 && passes >= settings.maxPasses()) {
                return;
            }
            Duration wait = nextDelay();
            Trigger t = queue.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
            why = t == null ? new Trigger("interval", wait.toMillis() + "ms", false) : debounce(t);
        }
    }

    /** Collects the triggers that follow {@code first} within the debounce time into one. */
    Trigger debounce(Trigger first) throws InterruptedException {
        List<Trigger> all = new ArrayList<>(List.of(first));
        long deadline = System.nanoTime() + settings.debounce().toNanos() * 4;
        Trigger t;
        while ((t = queue.poll(settings.debounce().toMillis(), TimeUnit.MILLISECONDS)) != null) {
            all.add(t);
            if (System.nanoTime() > deadline) {
                break;
            }
        }
        boolean reload = all.stream().anyMatch(Trigger::reload);
        String sources = all.stream().map(Trigger::source).distinct().reduce((a, b) -> a + "+" + b).orElse("");
        String detail = all.size() == 1 ? first.detail() : all.size() + " events, first: " + first.detail();
        events.emit("trigger", ordered("source", sources, "detail", detail, "events", all.size()));
        return new Trigger(sources, detail, reload);
    }

    /** One pass; never throws for a failing sensor, policy reload or apply (they are reported). */
    synchronized void pass(Trigger why) {
        long t0 = System.nanoTime();
        Instant now = clock.instant();
        if (why.reload() && why.source().contains("sighup") && reconfigure != null) {
            try {
                Reconfiguration r = reconfigure.get();
                settings = r.settings();
                gate = r.gate();
                drift.limits(settings.flapLimit(), settings.flapWindow());
                events.emit("config", ordered("mode", settings.apply() ? "apply" : "plan", "interval", settings.interval().toString(),
                        "splay", settings.splay().toString(), "healthGate", r.gate() == null ? "off" : r.gate().settings().describe()));
            } catch (UserError e) {
                events.emit("error", ordered("message", "configuration not reloaded, the previous one stays: " + e.getMessage()));
            }
        }
        if (why.reload()) {
            try {
                policies = loader.get();
                events.emit("reload", ordered("policies", policies.policies().size()));
                metrics.policies(policies.policies().size());
            } catch (UserError e) {
                events.emit("error", ordered("message", "policies not reloaded, the previous ones stay: " + e.getMessage()));
            }
        }
        if (why.source().contains("uevent") || why.source().contains("sighup")) {
            cache.invalidate(); // hardware changed, or the operator asked to read everything again
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        try {
            FactSet facts = sensors.collect(host, cache);
            Map<String, Object> seen = comparable(facts.asMap());
            PolicySet current = policies;
            PolicySet.Evaluation ev;
            if (current == evaluatedPolicies && seen.equals(evaluatedFacts)) {
                ev = evaluation; // same policies, same facts: the same decisions; only the settings are read again
                summary.put("evaluated", false);
            } else {
                ev = current.evaluate(facts);
                evaluation = ev;
                evaluatedPolicies = current;
                evaluatedFacts = seen;
                summary.put("evaluated", true);
            }
            Session s = Session.plan(host, facts, current, ev);
            platform = s.facts().get("platform").filter(Map.class::isInstance).map(m -> castMap(m)).orElse(Map.of());
            Map<String, String> baseline = Drift.baseline(journal);
            for (PlanEntry e : s.plan().entries()) {
                String key = e.setting().key().toString();
                if (e.action() == PlanEntry.Action.ERROR || e.action() == PlanEntry.Action.NOT_APPLICABLE) {
                    continue;
                }
                drift.observe(key, baseline.get(key), e.current(), now).ifPresent(c -> {
                    metrics.drift(c.key());
                    events.emit("external-change", ordered("key", c.key(), "before", c.before(), "after", c.after(),
                            "when", c.when().toString(), "mode", s.evaluation().mode(e.setting().key()).label(),
                            "policy", e.setting().reason().policy()));
                });
            }
            List<PlanEntry> changes = s.plan().changes();
            pending = changes.stream().map(e -> e.setting().key() + ": " + e.current() + " -> " + e.target()).toList();
            for (String err : s.policyErrors()) {
                events.emit("error", ordered("message", "could not evaluate, left out: " + err));
            }
            summary.put("pending", changes.size());
            metrics.pending(changes.size());
            summary.put("drift", drift.open().size());
            if (settings.apply() && !changes.isEmpty()) {
                apply(s, baseline, now, summary);
            }
        } catch (RuntimeException e) {
            summary.put("error", e.toString());
            events.emit("error", ordered("message", "pass failed: " + e));
        }
        passes++;
        long nanos = System.nanoTime() - t0;
        summary.put("durationMillis", nanos / 1_000_000);
        metrics.frozen(drift.frozen().size());
        metrics.pass(why.source(), nanos, clock.instant());
        Map<String, Object> last = ordered("at", now.toString(), "trigger", why.source(), "detail", why.detail(),
                "mode", settings.apply() ? "apply" : "plan");
        last.putAll(summary);
        lastPass = last;
        events.emit("pass", last);
    }

    private void apply(Session s, Map<String, String> baseline, Instant now, Map<String, Object> summary) {
        Map<dev.chameleon.model.SettingKey, String> once = ApplyCommand.leftAlone(s.evaluation(), journal);
        Map<String, String> changing = new java.util.HashMap<>();
        s.plan().changes().forEach(e -> changing.put(e.setting().key().toString(), e.target()));
        List<DesiredSetting> todo = new ArrayList<>();
        for (DesiredSetting d : s.evaluation().applicable()) {
            String key = d.key().toString();
            if (once.containsKey(d.key()) || !changing.containsKey(key) || drift.isFrozen(key, changing.get(key))) {
                continue;
            }
            if (drift.open().containsKey(key) && drift.corrected(key, now)) {
                events.emit("frozen", ordered("key", key, "reason", "changed more than " + settings.flapLimit() + " times in "
                        + settings.flapWindow() + "; left as it is until the agent restarts"));
                continue;
            }
            todo.add(d);
        }
        if (todo.isEmpty()) {
            return;
        }
        Applier applier = new Applier(Actuators.standard(), journal);
        try (AutoCloseable lock = journal.lock()) {
            Applier.Result r = applier.apply(host, todo, "run --mode apply");
            ChangeSet cs = r.changeSet();
            if (cs != null) {
                metrics.changeSet(cs);
                List<String> entries = new ArrayList<>();
                for (JournalEntry e : cs.entries()) {
                    entries.add(e.state() + " " + e.key() + ": " + e.before() + " -> " + e.after() + " (undo: " + e.undoCommand() + ")");
                }
                events.emit("change-set", ordered("id", cs.id(), "status", cs.status(), "ok", r.ok(), "message", r.message(),
                        "entries", entries));
                summary.put("changeSet", cs.id());
                HealthGate g = gate;
                if (r.ok() && cs.status().equals("applied") && g != null && g.enabled()) {
                    summary.put("healthGate", judge(g, applier, cs));
                }
            }
        } catch (Exception e) {
            events.emit("error", ordered("message", "not applied this pass: " + e.getMessage()));
        }
    }

    /**
     * Runs the health gate on a change set just applied (the journal lock held); on failure it is
     * rolled back and its settings frozen at the values that failed. Reports a
     * {@code health-gate} event (and a {@code change-set} event for the rollback); returns the outcome.
     */
    private String judge(HealthGate g, Applier applier, ChangeSet cs) {
        HealthGate.Outcome o = g.judge(host, applier, cs);
        if (o.rollback() != null) {
            ChangeSet rb = o.rollback().changeSet();
            metrics.gateRolledBack(rb);
            List<String> entries = new ArrayList<>();
            for (JournalEntry e : rb.entries()) {
                entries.add(e.state() + " " + e.key() + ": " + e.after() + " -> " + e.before());
            }
            events.emit("change-set", ordered("id", rb.id(), "status", rb.status(), "ok", o.rollback().ok(), "message",
                    o.rollback().message(), "entries", entries));
        }
        o.failedValues().forEach(drift::gateFailed);
        Map<String, Object> f = o.fields();
        events.emit("health-gate", f);
        Map<String, Object> last = ordered("at", clock.instant().toString());
        last.putAll(f);
        lastGate = last;
        o.failedValues().forEach((key, value) -> events.emit("frozen", ordered("key", key, "reason", "change set " + cs.id()
                + " failed the health gate; " + value + " is not applied again until the agent restarts")));
        return o.outcome();
    }

    /**
     * The facts as far as policies are concerned: the tree without the parts of {@code meta} that
     * change every collection (when it ran, how long each sensor took). Two passes whose
     * comparable facts are equal make the same decisions under the same policies. Left out:
     * {@code meta.collectedAt} and, per sensor, {@code durationMs} and {@code cachedValues}
     * (how many constants came from the cache: none on the first pass).
     */
    static Map<String, Object> comparable(Map<String, Object> tree) {
        Map<String, Object> out = new LinkedHashMap<>(tree);
        if (tree.get("meta") instanceof Map<?, ?> meta) {
            Map<String, Object> m = new LinkedHashMap<>();
            meta.forEach((k, v) -> {
                if (k.equals("sensors") && v instanceof Map<?, ?> sensors) {
                    Map<String, Object> ss = new LinkedHashMap<>();
                    sensors.forEach((name, st) -> {
                        if (st instanceof Map<?, ?> stm) {
                            Map<String, Object> c = new LinkedHashMap<>();
                            stm.forEach((sk, sv) -> {
                                if (!sk.equals("durationMs") && !sk.equals("cachedValues")) {
                                    c.put(String.valueOf(sk), sv);
                                }
                            });
                            ss.put(String.valueOf(name), c);
                        } else {
                            ss.put(String.valueOf(name), st);
                        }
                    });
                    m.put("sensors", ss);
                } else if (!k.equals("collectedAt")) {
                    m.put(String.valueOf(k), v);
                }
            });
            out.put("meta", m);
        }
        return out;
    }

    /** The status document {@code chameleon status} shows, as JSON. */
    String status() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid", ProcessHandle.current().pid());
        m.put("mode", settings.apply() ? "apply" : "plan");
        m.put("startedAt", started.toString());
        m.put("interval", settings.interval().toString());
        m.put("uevents", ueventSource);
        m.put("passes", passes);
        m.put("platform", platform);
        m.put("lastPass", lastPass);
        m.put("pending", pending);
        List<Map<String, Object>> d = new ArrayList<>();
        drift.open().values().forEach(c -> d.add(ordered("key", c.key(), "before", c.before(), "after", c.after(), "when", c.when().toString())));
        m.put("drift", d);
        m.put("frozen", List.copyOf(drift.frozen()));
        HealthGate g = gate;
        Map<String, Object> hg = new LinkedHashMap<>((g == null ? HealthGate.Settings.off() : g.settings()).describe());
        hg.put("last", lastGate);
        m.put("healthGate", hg);
        m.put("cost", Cost.now(host.root().isLive() ? host.root() : dev.chameleon.host.SysRoot.live()));
        m.put("eventsFile", String.valueOf(events.file()));
        return Json.compact(m);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }

    static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }
}
