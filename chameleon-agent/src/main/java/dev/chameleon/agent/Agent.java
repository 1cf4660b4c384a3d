package dev.chameleon.agent;

import dev.chameleon.actuators.Applier;
import dev.chameleon.agent.loop.AgentMetrics;
import dev.chameleon.agent.loop.Cost;
import dev.chameleon.agent.loop.Drift;
import dev.chameleon.agent.loop.EventLog;
import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.agent.loop.Triggers.Trigger;
import dev.chameleon.engine.Engine;
import dev.chameleon.engine.EngineException;
import dev.chameleon.engine.Pass;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.JournalEntry;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.model.event.Event;
import dev.chameleon.model.json.StatusCodec;
import dev.chameleon.model.status.AgentStatus;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.sensors.FactCache;
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
 * debounce time is one pass. Each pass is the engine's ({@link Engine#pass}); what apply may touch
 * is the engine's {@link dev.chameleon.engine.ApplyScope}, narrowed by this loop's own memory
 * (keys it froze for flapping or a failed health gate). Time and randomness are injected so tests
 * are deterministic. Stopping it changes nothing on the machine.
 */
public final class Agent {
    /** The loop's settings, as {@link AgentConfig} gives them. */
    public record Settings(boolean apply, Duration interval, Duration splay, Duration debounce, long maxPasses,
                    int flapLimit, Duration flapWindow) {
    }

    /** What a configuration reload (SIGHUP) hands the running agent: its new settings, health gate and engine. */
    public record Reconfiguration(Settings settings, HealthGate gate, Engine engine) {
    }

    /** Compiles the policies an engine's configuration names (tests give policies of their own). */
    public interface PolicyLoader {
        PolicySet load(Engine engine);
    }

    private volatile Engine engine;
    private final PolicyLoader loader;
    private volatile Settings settings;
    private volatile Supplier<Reconfiguration> reconfigure;
    private final EventLog events;
    private final Clock clock;
    private final RandomGenerator random;
    private final BlockingQueue<Trigger> queue = new LinkedBlockingQueue<>();
    private final FactCache cache = new FactCache();
    /** How long each for: policy's condition has held, across passes and reloads (PolicySet.evaluate). */
    private final dev.chameleon.policy.ConditionHistory history;
    private final Drift drift;
    private final Instant started;
    private volatile PolicySet policies;
    private volatile Event.PassSummary lastPass;
    private volatile Map<String, Object> platform = Map.of();
    private volatile List<String> pending = List.of();
    private volatile long passes;
    private volatile String ueventSource = "none";
    private volatile HealthGate gate;
    private volatile AgentStatus.Last lastGate;
    private volatile Pass last;
    /** The newest facts and when they were sensed (System.nanoTime), with the engine that sensed them: what clients are served. */
    private volatile Sensed sensed;
    private final AgentMetrics metrics = new AgentMetrics();
    private volatile java.util.function.BiConsumer<Pass, Event.PassSummary> afterPass = (p, s) -> { };
    private volatile java.util.function.Supplier<java.util.Set<String>> heldOut = java.util.Set::of;
    private volatile java.util.function.Supplier<List<String>> tuningStatus = List::of;
    // the last evaluation and what it was made from (pass thread only)
    private PolicySet.Evaluation evaluation;
    private PolicySet evaluatedPolicies;
    private Map<String, Object> evaluatedFacts;

    /**
     * @param engine the engine the passes run on (its configuration: machine, sensors, policies, state folder)
     * @param loader compiles the policies; reloads (SIGHUP, a policy folder changed) call it again
     */
    public Agent(Engine engine, PolicyLoader loader, Settings settings, EventLog events, Clock clock, RandomGenerator random) {
        this.engine = engine;
        this.loader = loader;
        this.settings = settings;
        this.events = events;
        this.clock = clock;
        this.random = random;
        this.drift = new Drift(settings.flapLimit(), settings.flapWindow());
        this.started = clock.instant();
        this.history = new dev.chameleon.policy.ConditionHistory(clock);
        this.policies = loader.load(engine);
        metrics.policies(policies.policies().size());
    }

    public BlockingQueue<Trigger> queue() {
        return queue;
    }

    public void ueventSource(String s) {
        ueventSource = s;
    }

    /**
     * On SIGHUP, before policies are reloaded: asks {@code r} for the configuration read again and
     * a new engine built from it; it throws for a file that does not read, and the previous
     * configuration and engine stay whole.
     */
    public void onReconfigure(Supplier<Reconfiguration> r) {
        reconfigure = r;
    }

    /** Checks every change set this agent applies with {@code g} (off until called). */
    public void healthGate(HealthGate g) {
        gate = g;
    }

    /**
     * Waits up to {@code max} for a pass under way (passes hold this agent's monitor) to end; at
     * once when none is. The stop hook's: a pass's event and its reports are written together.
     */
    public void awaitPass(java.time.Duration max) {
        Thread t = new Thread(() -> {
            synchronized (this) {
                // entered: no pass is under way
            }
        }, "chameleon-await-pass");
        t.setDaemon(true);
        t.start();
        try {
            t.join(Math.max(1, max.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Settings ({@code kind:target}; {@code kind:*}{@code /attribute}: that attribute of every element) the passes leave alone while {@code keys} gives them: no
     * drift is observed and nothing is applied for them. The tuning runner's knobs while a trial
     * of an assigned Tuning runs, so the reconcile does not fight the trial's values.
     */
    public void holdOut(java.util.function.Supplier<java.util.Set<String>> keys) {
        heldOut = java.util.Objects.requireNonNull(keys);
    }

    /** The lines {@code chameleon status} shows about the assigned Tunings (the tuning runner's). */
    public void tuningStatus(java.util.function.Supplier<List<String>> lines) {
        tuningStatus = java.util.Objects.requireNonNull(lines);
    }

    /** Whether the setting {@code key} is one of the held knobs' (a per-element knob holds its attribute on every element). */
    private static boolean isHeld(java.util.Set<String> held, String key) {
        return held.stream().anyMatch(k -> dev.chameleon.policy.Tuning.Knob.covers(k, key));
    }

    /**
     * Called at the end of every pass with the pass (null when it failed before planning) and its
     * summary, on the pass thread: the control plane's reports. It must not block.
     */
    public void afterPass(java.util.function.BiConsumer<Pass, Event.PassSummary> listener) {
        afterPass = java.util.Objects.requireNonNull(listener);
    }

    /** What the agent counts about its passes, for the metrics endpoint. */
    public AgentMetrics metrics() {
        return metrics;
    }

    /** The engine the next pass runs on. */
    public Engine engine() {
        return engine;
    }

    /**
     * The last pass: its facts, its plan document and the current values it read (what a client
     * of the running agent asks for instead of sensing again); null before the first.
     */
    public Pass lastPass() {
        return last;
    }

    /** How long each {@code for:} policy's condition has held, as the passes judged it (read it through {@code copy()} to judge). */
    public dev.chameleon.policy.ConditionHistory conditionHistory() {
        return history;
    }

    /** The policies the next pass evaluates (compiled once; reloaded on SIGHUP or a change in a policy folder). */
    public PolicySet policies() {
        return policies;
    }

    private record Sensed(FactSet facts, long at, Engine engine) {
    }

    /**
     * Facts for a client of the running agent ({@code chameleon facts}, {@code plan}, ... asking
     * over the control socket): those of the last pass (or of the last client's refresh) when
     * sensed less than {@code maxAge} ago by the current engine; else sensed now, constants from
     * the agent's cache, or, with {@code refresh}, everything read again. Safe to call while a
     * pass runs (sensing only reads).
     */
    public FactSet facts(Duration maxAge, boolean refresh) {
        Sensed s = sensed;
        Engine e = engine;
        long now = System.nanoTime();
        if (!refresh && s != null && s.engine() == e && now - s.at() < maxAge.toNanos()) {
            return s.facts();
        }
        FactSet f = e.sense(refresh ? cache.sharingMemory() : cache); // a refresh reads every constant again; deltas still have the passes' samples
        sensed = new Sensed(f, now, e);
        return f;
    }

    /**
     * What {@code suite} (some of the sensors, for {@code chameleon facts SENSOR...}) finds now,
     * everything read again, the deltas of the host sensor taken against the passes' samples.
     */
    public FactSet sense(dev.chameleon.sensors.SensorSuite suite) {
        return suite.collect(engine.host(), cache.sharingMemory());
    }

    /** The wait before the next timed pass: the interval plus a uniform random splay in [0, splay]. */
    public Duration nextDelay() {
        long splay = settings.splay().toMillis();
        return settings.interval().plusMillis(splay <= 0 ? 0 : random.nextLong(splay + 1));
    }

    /** Runs passes until interrupted or {@code maxPasses} is reached. */
    public void loop() throws InterruptedException {
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
    public Trigger debounce(Trigger first) throws InterruptedException {
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
        events.emit(new Event.Triggered(sources, detail, all.size()));
        return new Trigger(sources, detail, reload);
    }

    /** What one pass found, filled as it goes (the pass event's fields). */
    private static final class Summary {
        Boolean evaluated;
        Integer pending;
        Integer drift;
        String changeSet;
        String healthGate;
        String error;
    }

    /** One pass; never throws for a failing sensor, policy reload or apply (they are reported). */
    public synchronized void pass(Trigger why) {
        long t0 = System.nanoTime();
        Instant now = clock.instant();
        if (why.reload() && why.source().contains("sighup") && reconfigure != null) {
            try {
                Reconfiguration r = reconfigure.get();
                settings = r.settings();
                gate = r.gate();
                engine = r.engine();
                drift.limits(settings.flapLimit(), settings.flapWindow());
                events.emit(new Event.ConfigReloaded(settings.apply() ? "apply" : "plan", settings.interval().toString(),
                        settings.splay().toString(), r.gate() == null ? null : r.gate().settings().report()));
            } catch (EngineException e) {
                events.emit(new Event.Problem("configuration not reloaded, the previous one stays: " + e.getMessage()));
            }
        }
        if (why.reload()) {
            try {
                policies = loader.load(engine);
                events.emit(new Event.PoliciesReloaded(policies.policies().size()));
                metrics.policies(policies.policies().size());
            } catch (EngineException e) {
                events.emit(new Event.Problem("policies not reloaded, the previous ones stay: " + e.getMessage()));
            }
        }
        if (why.source().contains("uevent") || why.source().contains("sighup")) {
            cache.invalidate(); // hardware changed, or the operator asked to read everything again
        }
        Summary summary = new Summary();
        Pass made = null;
        Engine e0 = engine;
        try {
            long sensedAt = System.nanoTime();
            FactSet facts = e0.sense(cache);
            sensed = new Sensed(facts, sensedAt, e0);
            Map<String, Object> seen = comparable(facts.asMap());
            PolicySet current = policies;
            PolicySet.Evaluation ev;
            if (current == evaluatedPolicies && seen.equals(evaluatedFacts) && !history.inTransition()) {
                // same policies, same facts, no for: policy pending or winding down: the same decisions;
                // only the settings are read again
                ev = evaluation;
                summary.evaluated = false;
            } else {
                ev = current.evaluate(facts, history);
                evaluation = ev;
                evaluatedPolicies = current;
                evaluatedFacts = seen;
                summary.evaluated = true;
            }
            Pass s = e0.plan(current, facts, ev);
            last = s;
            made = s;
            platform = s.facts().get("platform").filter(Map.class::isInstance).map(m -> castMap(m)).orElse(Map.of());
            Map<String, String> baseline = Drift.baseline(e0.journal());
            java.util.Set<String> held = heldOut.get();
            for (PlanEntry e : s.plan().entries()) {
                String key = e.setting().key().toString();
                if (e.action() == PlanEntry.Action.ERROR || e.action() == PlanEntry.Action.NOT_APPLICABLE || isHeld(held, key)) {
                    continue;
                }
                drift.observe(key, baseline.get(key), e.current(), now).ifPresent(c -> {
                    metrics.drift(c.key());
                    events.emit(new Event.ExternalChange(c.key(), c.before(), c.after(), c.when().toString(),
                            s.evaluation().mode(e.setting().key()).label(), e.setting().reason().policy()));
                });
            }
            List<PlanEntry> changes = s.plan().changes();
            pending = changes.stream().map(e -> e.setting().key() + ": " + e.current() + " -> " + e.target()).toList();
            for (String err : s.policyErrors()) {
                events.emit(new Event.Problem("could not evaluate, left out: " + err));
            }
            summary.pending = changes.size();
            metrics.pending(changes.size());
            summary.drift = drift.open().size();
            if (settings.apply() && !changes.isEmpty()) {
                ChangeSet done = apply(e0, s, now, summary);
                if (done != null && done.status().equals(ChangeSet.APPLIED)) {
                    // what this pass applied and verified is no longer pending (status showed it as pending until the next pass)
                    java.util.Set<String> verified = new java.util.HashSet<>();
                    done.entries().stream().filter(x -> x.state().equals("verified")).forEach(x -> verified.add(x.key()));
                    List<PlanEntry> left = changes.stream().filter(x -> !verified.contains(x.setting().key().toString())).toList();
                    pending = left.stream().map(x -> x.setting().key() + ": " + x.current() + " -> " + x.target()).toList();
                    summary.pending = left.size(); // the metric stays what the pass planned (docs/agent-loop.md)
                }
            }
        } catch (RuntimeException e) {
            summary.error = e.toString();
            events.emit(new Event.Problem("pass failed: " + e));
        }
        passes++;
        long nanos = System.nanoTime() - t0;
        metrics.frozen(drift.frozen().size());
        metrics.pass(why.source(), nanos, clock.instant());
        Event.PassSummary done = new Event.PassSummary(now.toString(), why.source(), why.detail(), settings.apply() ? "apply" : "plan",
                summary.evaluated, summary.pending, summary.drift, summary.changeSet, summary.healthGate, summary.error, nanos / 1_000_000);
        lastPass = done;
        events.emit(new Event.PassDone(done));
        try {
            afterPass.accept(made, done);
        } catch (RuntimeException e) {
            events.emit(new Event.Problem("report not queued: " + e));
        }
    }

    /** Applies this pass's changes (those not frozen or backing off); the change set it recorded, or null. */
    private ChangeSet apply(Engine e0, Pass s, Instant now, Summary summary) {
        List<DesiredSetting> todo = new ArrayList<>();
        java.util.Set<String> held = heldOut.get();
        for (DesiredSetting d : s.scope().changes(s.plan(), drift::isFrozen)) {
            String key = d.key().toString();
            if (isHeld(held, key)) {
                continue; // a knob of a tuning trial under way: the trial's value stands until the tuner undoes it
            }
            if (drift.backingOff(key, now)) {
                continue; // its change failed lately; tried again after the back-off (Drift.failed)
            }
            if (drift.open().containsKey(key) && drift.corrected(key, now)) {
                events.emit(new Event.Frozen(key, "changed more than " + settings.flapLimit() + " times in "
                        + settings.flapWindow() + "; left as it is until the agent restarts"));
                continue;
            }
            todo.add(d);
        }
        if (todo.isEmpty()) {
            return null;
        }
        try (Engine.Changes changes = e0.changes()) {
            Applier.Result r = changes.apply(todo, "run --mode apply");
            ChangeSet cs = r.changeSet();
            if (cs != null) {
                metrics.changeSet(cs);
                List<String> entries = new ArrayList<>();
                for (JournalEntry e : cs.entries()) {
                    entries.add(e.state() + " " + e.key() + ": " + e.before() + " -> " + e.after() + " (undo: " + e.undoCommand() + ")");
                }
                events.emit(new Event.ChangeSetRecorded(cs.id(), cs.status(), r.ok(), r.message(), entries));
                List<String> reboot = e0.rebootPending(cs);
                if (!reboot.isEmpty()) {
                    events.emit(new Event.Notice("reboot required (chameleon does not reboot; fact updates.reboot): " + String.join("; ", reboot)));
                }
                summary.changeSet = cs.id();
                countFailures(cs, now);
                HealthGate g = gate;
                if (r.ok() && cs.status().equals(ChangeSet.APPLIED) && g != null && g.enabled()) {
                    summary.healthGate = judge(g, changes, cs);
                }
                return journalAgain(e0, cs);
            }
        } catch (Exception e) {
            events.emit(new Event.Problem("not applied this pass: " + e.getMessage()));
        }
        return null;
    }

    /** The change set as the journal holds it now (a health gate may have rolled it back since). */
    private static ChangeSet journalAgain(Engine e0, ChangeSet cs) {
        for (var l : e0.journal().list()) {
            if (l.ok() && l.changeSet().id().equals(cs.id())) {
                return l.changeSet();
            }
        }
        return cs;
    }

    /**
     * Counts the failed settings of a change set toward their back-off and freeze (so a setting the
     * kernel keeps refusing is not written again every pass), and forgets the failures of settings
     * it verified. Reports a {@code frozen} event when a setting froze, an {@code error} event
     * saying when it is tried again otherwise.
     */
    private void countFailures(ChangeSet cs, Instant now) {
        for (JournalEntry e : cs.entries()) {
            if (e.state().equals("verified") && cs.status().equals(ChangeSet.APPLIED)) {
                drift.succeeded(e.key());
            } else if (e.state().equals("failed")) {
                Drift.Failure f = drift.failed(e.key(), now, settings.interval());
                if (f.frozen()) {
                    events.emit(new Event.Frozen(e.key(), "its change failed " + f.failures() + " times in " + settings.flapWindow()
                            + "; left as it is until the agent restarts (last error: " + e.error() + ")"));
                } else if (f.retryAt() != null) {
                    events.emit(new Event.Problem(e.key() + ": its change failed (" + f.failures() + " time(s) in "
                            + settings.flapWindow() + "); not tried again before " + f.retryAt()));
                }
            }
        }
    }

    /**
     * Runs the health gate on a change set just applied (the change lock held); on failure it is
     * rolled back and its settings frozen at the values that failed. Reports a
     * {@code health-gate} event (and a {@code change-set} event for the rollback); returns the outcome.
     */
    private String judge(HealthGate g, Engine.Changes changes, ChangeSet cs) {
        HealthGate.Outcome o = g.judge(changes, cs);
        if (o.rollback() != null) {
            ChangeSet rb = o.rollback().changeSet();
            metrics.gateRolledBack(rb);
            List<String> entries = new ArrayList<>();
            for (JournalEntry e : rb.entries()) {
                entries.add(e.state() + " " + e.key() + ": " + e.after() + " -> " + e.before());
            }
            events.emit(new Event.ChangeSetRecorded(rb.id(), rb.status(), o.rollback().ok(), o.rollback().message(), entries));
        }
        o.failedValues().forEach(drift::gateFailed);
        Event.GateOutcome report = o.report();
        events.emit(new Event.HealthGateJudged(report));
        lastGate = new AgentStatus.Last(clock.instant().toString(), report);
        o.failedValues().forEach((key, value) -> events.emit(new Event.Frozen(key, "change set " + cs.id()
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
    public static Map<String, Object> comparable(Map<String, Object> tree) {
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

    /** What {@code chameleon status} shows: the agent's status record. */
    public AgentStatus report() {
        List<AgentStatus.Drift> d = new ArrayList<>();
        drift.open().values().forEach(c -> d.add(new AgentStatus.Drift(c.key(), c.before(), c.after(), c.when().toString())));
        HealthGate g = gate;
        Engine e = engine;
        return new AgentStatus(ProcessHandle.current().pid(), settings.apply() ? "apply" : "plan", started.toString(),
                settings.interval().toString(), ueventSource, passes, platform, lastPass, pending, d, List.copyOf(drift.frozen()),
                new AgentStatus.Gate((g == null ? HealthGate.Settings.off() : g.settings()).report(), lastGate),
                Cost.report(e.host().root().isLive() ? e.host().root() : dev.chameleon.host.SysRoot.live()), String.valueOf(events.file()),
                tuningStatus.get());
    }

    /** The status document {@code chameleon status} shows, as one line of JSON. */
    public String status() {
        return StatusCodec.write(report());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object o) {
        return (Map<String, Object>) o;
    }
}
