package dev.chameleon.agent.fleet;

import dev.chameleon.agent.Agent;
import dev.chameleon.agent.loop.Triggers.Trigger;
import dev.chameleon.engine.EngineException;
import dev.chameleon.engine.Pass;
import dev.chameleon.model.SettingKey;
import dev.chameleon.model.event.Event;
import dev.chameleon.model.json.Json;
import dev.chameleon.model.json.PlanCodec;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.wire.BundleVerificationException;
import dev.chameleon.wire.BundleVerifier;
import dev.chameleon.wire.Report;
import dev.chameleon.wire.ReportBatch;
import dev.chameleon.wire.ReportKind;
import dev.chameleon.wire.ReportLimits;
import dev.chameleon.wire.ReportReceipt;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * The agent's link to its server ({@code chameleon run --server URL}, or {@code server.url} in
 * agent.yaml, after {@code chameleon enroll}). Two threads:
 *
 * <ul>
 *   <li><b>bundles</b>: {@code GET .../bundle} with the ETag of the running bundle and a long poll
 *   ({@code wait}, 300 s by default): no busy polling. After an answer it waits a random
 *   {@code [0, jitter]}; after an error an exponential backoff from {@code minBackoff} doubling to
 *   {@code maxBackoff}, with full jitter (OPA's download plugin). A new bundle is verified with the
 *   pinned key ({@link BundleVerifier}: unsigned, tampered, mis-keyed, another agent's or older
 *   bundles are refused), then compiled together with the local policies ({@code activation});
 *   only then is it kept on disk with its ETag and the agent told to reload its policies (a
 *   {@code bundle} trigger). A refused bundle leaves the running one in force, is reported as an
 *   {@code error} event, and its ETag is sent in the next long poll so that the server answers
 *   only when it changes again (it is not written to disk: the ETag on disk is always the
 *   running bundle's).</li>
 *   <li><b>reports</b>: sends the {@link Outbox} oldest first in batches of at most 100, removes
 *   what the server acknowledged, retries the rest with the same backoff; a report the server
 *   refuses as malformed (400, sent alone) is dropped and counted, so it cannot block the others.</li>
 * </ul>
 *
 * <p>A 401 never makes the agent throw its credential away (fleet #47650): after three answers in
 * a row saying the server no longer knows the agent ({@code code: reenroll}) it reports once that
 * it needs {@code chameleon enroll --force}, and keeps trying with the credential it has.
 *
 * <p>What is reported ({@link #passed}, {@link #event}): facts when they changed (compared as
 * {@link Agent#comparable}), the plan document and the current values when they changed, a
 * {@code status} heartbeat after every pass, every change set, and the events {@code external-change},
 * {@code health-gate}, {@code frozen}, {@code error} and {@code notice}.
 */
public final class FleetLink implements AutoCloseable {
    /** Timing of the link; {@link #standard()} for the daemon, shorter ones in tests. */
    public record Timing(int waitSeconds, Duration jitter, Duration minBackoff, Duration maxBackoff) {
        public static Timing standard() {
            return new Timing(300, Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofMinutes(5));
        }
    }

    /** Compiles a bundle's sources together with the local policies; throws {@link EngineException.BadInput} when they do not compile. */
    public interface Activation {
        void check(List<PolicySet.Source> bundleSources);
    }

    private static final int BATCH = 100;
    private static final int REENROLL_AFTER = 3;

    private final ServerCredential credential;
    private final ServerClient client;
    private final BundleStore store;
    private final BundleVerifier verifier;
    private final Outbox outbox;
    private final Activation activation;
    private final Consumer<Trigger> wake;
    private final Consumer<Event> emit;
    private final Clock clock;
    private final RandomGenerator random;
    private final Timing timing;
    private final LinkedBlockingQueue<Boolean> kick = new LinkedBlockingQueue<>();
    /** CPU milliseconds and {@link System#nanoTime()} at the last status report ({@code cpuPercent}); -1 before the first. */
    private long lastCpuMillis = -1;
    private long lastWallNanos;
    private volatile BundleStore.Active active = BundleStore.Active.NONE;
    private volatile boolean closed;
    private Thread puller;
    private Thread sender;
    // what was last queued (pass thread only)
    private Map<String, Object> lastFacts;
    private String lastPlan;
    private String lastCurrents;
    /** Computes the hardware advice of a pass (the daemon sets it: {@code engine.hardware.Advice}); null: none is sent. */
    private volatile java.util.function.Function<Pass, Map<String, Object>> adviser;
    private String lastAdvice;
    private Map<String, Object> lastAdviceFacts;
    private java.time.Instant lastAdviceAt;
    /** Advice is computed again when the facts changed, else at most this often (readiness may list the initramfs). */
    static final java.time.Duration ADVICE_EVERY = java.time.Duration.ofMinutes(10);
    private int unknownAgent;

    /**
     * @param activation compiles a bundle with the local policies before it is used
     * @param wake       tells the agent to run a pass reloading its policies (its trigger queue)
     * @param emit       the agent's events (an activated or refused bundle, a dropped report)
     * @throws IOException the outbox folder cannot be made or read
     */
    public FleetLink(ServerCredential credential, FleetFiles files, ServerClient client, Activation activation, Consumer<Trigger> wake,
                     Consumer<Event> emit, Clock clock, RandomGenerator random, Timing timing, int maxReports, long maxBytes) throws IOException {
        this.credential = Objects.requireNonNull(credential);
        this.client = client;
        this.store = new BundleStore(files);
        this.verifier = new BundleVerifier(credential.bundleKey(), credential.agentId());
        this.activation = activation;
        this.wake = wake;
        this.emit = emit;
        this.clock = clock;
        this.random = random;
        this.timing = timing;
        this.outbox = new Outbox(files.outbox(), maxReports, maxBytes, n -> { });
    }

    /**
     * Reads the last good bundle from disk (verified again; one that does not verify is reported
     * and not used). Call before the agent's first policy load.
     */
    public void loadLastGood() {
        try {
            BundleStore.Active a = store.load(verifier);
            activation.check(a.sources());
            active = a;
        } catch (BundleVerificationException e) {
            emit.accept(new Event.Problem("the bundle kept on disk is refused (" + e.reason() + "): " + e.getMessage()
                    + "; running without server policies until the server sends one"));
        } catch (IOException e) {
            emit.accept(new Event.Problem("the bundle kept on disk cannot be read: " + e.getMessage()
                    + "; running without server policies until the server sends one"));
        } catch (EngineException.BadInput e) {
            emit.accept(new Event.Problem("the bundle kept on disk does not compile with the local policies; running without it: "
                    + e.getMessage()));
        }
    }

    /** The running bundle's policies as sources (after the local ones), empty without a bundle. */
    public List<PolicySet.Source> sources() {
        return active.sources();
    }

    /** The running bundle's version, 0 without one. */
    public long bundleVersion() {
        return active.version();
    }

    public Outbox outbox() {
        return outbox;
    }

    /** Starts the two threads. */
    public synchronized void start() {
        puller = new Thread(this::pullLoop, "chameleon-bundles");
        sender = new Thread(this::sendLoop, "chameleon-reports");
        puller.setDaemon(true);
        sender.setDaemon(true);
        puller.start();
        sender.start();
    }

    // ---- reports in ----

    /** After each pass: what changed since the last report, and a status heartbeat. Never blocks on the network. */
    public void passed(Pass pass, Event.PassSummary summary) {
        var now = clock.instant();
        if (pass != null) {
            Map<String, Object> facts = Agent.comparable(pass.facts().asMap());
            if (!facts.equals(lastFacts)) {
                outbox.add(ReportKind.FACTS, now, Json.compact(pass.facts().asMap()));
                lastFacts = facts;
            }
            String plan = Json.compact(PlanCodec.tree(pass.document()));
            if (!plan.equals(lastPlan)) {
                outbox.add(ReportKind.PLAN, now, plan);
                lastPlan = plan;
            }
            Map<String, Object> cur = new LinkedHashMap<>();
            for (Map.Entry<SettingKey, String> e : pass.currentValues().entrySet()) {
                cur.put(e.getKey().toString(), e.getValue());
            }
            String currents = Json.compact(cur);
            if (!currents.equals(lastCurrents)) {
                outbox.add(ReportKind.CURRENT_VALUES, now, currents);
                lastCurrents = currents;
            }
            if (adviser != null && (!facts.equals(lastAdviceFacts) || lastAdviceAt == null || !now.isBefore(lastAdviceAt.plus(ADVICE_EVERY)))) {
                lastAdviceFacts = facts;
                lastAdviceAt = now;
                advise(pass, now);
            }
        }
        Map<String, Object> st = new LinkedHashMap<>();
        st.put("mode", summary.mode());
        st.put("pendingChanges", summary.pending() == null ? 0L : summary.pending().longValue());
        st.put("drift", summary.drift() == null ? 0L : summary.drift().longValue());
        st.put("bundleVersion", active.version());
        st.put("trigger", ReportLimits.shorten(summary.trigger(), ReportLimits.TRIGGER));
        if (summary.error() != null) {
            st.put("error", ReportLimits.shorten(summary.error(), ReportLimits.TEXT));
        }
        st.put("outbox", (long) outbox.size());
        // the agent's own cost, for the console's chart over time: resident memory now (VmRSS of this
        // process) and CPU since the last status (user + system, % of one core over the wall time between)
        dev.chameleon.agent.loop.Cost.selfStatusKiB(dev.chameleon.host.SysRoot.live(), "VmRSS").ifPresent(k -> st.put("rssBytes", k * 1024));
        long cpu = dev.chameleon.agent.loop.Cost.cpuMillis();
        long wall = System.nanoTime();
        if (cpu >= 0 && lastCpuMillis >= 0 && wall - lastWallNanos > 0) {
            double pct = 100.0 * (cpu - lastCpuMillis) / ((wall - lastWallNanos) / 1e6);
            st.put("cpuPercent", Math.round(pct * 100) / 100.0);
        }
        lastCpuMillis = cpu;
        lastWallNanos = wall;
        outbox.add(ReportKind.STATUS, now, Json.compact(st));
        kick.offer(Boolean.TRUE);
    }

    /**
     * Sends the hardware advice of each pass from now on (computed by {@code adviser}), as an
     * {@code event} report of type {@code advice} when it differs from the last one sent:
     * {@code {"type": "advice", "time", "summary", "advice": {...}}}. No new report kind, so a
     * server that does not know advice stores it as one more agent event.
     */
    public void adviseWith(java.util.function.Function<Pass, Map<String, Object>> adviser) {
        this.adviser = adviser;
    }

    private void advise(Pass pass, java.time.Instant now) {
        Map<String, Object> a;
        try {
            a = adviser.apply(pass);
        } catch (RuntimeException e) {
            // advice is for people: a failure to compute it is said, and never stops the reports
            a = new LinkedHashMap<>();
            a.put("summary", "the hardware advice could not be computed: " + e);
            a.put("error", String.valueOf(e));
        }
        String json = Json.compact(a);
        if (json.equals(lastAdvice)) {
            return;
        }
        lastAdvice = json;
        a = new LinkedHashMap<>(a);
        bound(a, "summary", ReportLimits.LINE);
        bound(a, "error", ReportLimits.TEXT);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "advice");
        m.put("time", now.toString());
        m.put("summary", a.get("summary"));
        m.put("advice", a);
        outbox.add(ReportKind.EVENT, now, Json.compact(m));
    }

    /**
     * Sends the proposal of a tuning run the agent made (an assigned Tuning) to the control
     * plane, which offers it to agents with the same platform fingerprint: an {@code event}
     * report of type {@code tuning-proposal},
     * {@code {"type", "time", "summary", "tuning", "fingerprint": {..., "key"}, "objective": "maximise PROBE", "baseline": {...},
     * "best": {...}, "gain": {...}, "proposal": YAML}} (baseline, best, gain: as in {@code chameleon tune -o json})
     * (docs/tuning.md). Like advice, no new report kind: a server that does not know it stores it
     * as one more agent event.
     */
    public void proposal(java.time.Instant now, dev.chameleon.agent.tuning.TuningReport report) {
        if (report.proposal().isEmpty()) {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "tuning-proposal");
        m.put("time", now.toString());
        m.put("summary", "tuning " + report.tuning().name() + ": proposal for " + report.fingerprint().key()
                + report.gain().map(g -> ", gain " + g.describe()).orElse(""));
        m.put("tuning", report.tuning().name());
        m.put("fingerprint", report.fingerprint().fields());
        Map<String, Object> fields = report.fields();
        m.put("objective", (report.tuning().objective().maximise() ? "maximise " : "minimise ")
                + report.tuning().objective().probe().describe());
        for (String k : List.of("baseline", "best", "gain")) {
            if (fields.get(k) != null) {
                m.put(k, fields.get(k));
            }
        }
        m.put("proposal", report.proposal().get());
        bound(m, "summary", ReportLimits.LINE);
        outbox.add(ReportKind.EVENT, now, Json.compact(m));
        kick.offer(Boolean.TRUE);
    }

    /** An event of the agent: change sets, drift, health gates, freezes, errors and notices go to the server. */
    public void event(Event.Logged e) {
        Event ev = e.event();
        ReportKind kind;
        if (ev instanceof Event.ChangeSetRecorded) {
            kind = ReportKind.CHANGE_SET;
        } else if (ev instanceof Event.ExternalChange || ev instanceof Event.HealthGateJudged || ev instanceof Event.Frozen
                || ev instanceof Event.Problem || ev instanceof Event.Notice || ev instanceof Event.Tuned) {
            kind = ReportKind.EVENT;
        } else {
            return;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", ev.type());
        m.put("time", e.time().toString());
        m.putAll(ev.fields());
        bound(m, "summary", ReportLimits.LINE);
        bound(m, "message", ReportLimits.TEXT);
        bound(m, "error", ReportLimits.TEXT);
        outbox.add(kind, e.time(), Json.compact(m));
        kick.offer(Boolean.TRUE);
    }

    /**
     * Shortens the string field {@code key} of {@code m} to the server's limit for it
     * ({@link ReportLimits#shorten}: "… (N more characters)" says how much was cut), so that a long
     * error is sent shortened rather than refused by the server and dropped.
     */
    private static void bound(Map<String, Object> m, String key, int max) {
        if (m.get(key) instanceof String s && s.length() > max) {
            m.put(key, ReportLimits.shorten(s, max));
        }
    }

    // ---- bundles ----

    private void pullLoop() {
        int errors = 0;
        String waitOn = active.etag();
        while (!closed) {
            try {
                Duration pause;
                try {
                    ServerClient.BundleAnswer a = client.bundle(credential.agentId(), credential.credential(), waitOn, timing.waitSeconds());
                    errors = 0;
                    unknownAgent = 0;
                    waitOn = a.unchanged() ? a.etag() : take(a);
                    pause = jitter(timing.jitter());
                } catch (ServerClient.CallFailed e) {
                    errors++;
                    noteFailure(e, "bundle");
                    pause = backoff(errors);
                } catch (IOException e) {
                    errors++;
                    pause = backoff(errors);
                }
                sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Verifies, checks and activates a bundle; the ETag to wait on next. */
    private String take(ServerClient.BundleAnswer a) {
        BundleVerifier.Verified v;
        try {
            v = verifier.verify(a.bundle(), active.version());
        } catch (BundleVerificationException e) {
            emit.accept(new Event.Problem("bundle refused (" + e.reason() + "): " + e.getMessage() + "; keeping bundle version "
                    + active.version()));
            return a.etag();
        }
        List<PolicySet.Source> sources = BundleStore.sources(v);
        try {
            activation.check(sources);
        } catch (EngineException.BadInput e) {
            emit.accept(new Event.Problem("bundle version " + v.version() + " refused: it does not compile with the local policies; keeping "
                    + "bundle version " + active.version() + ": " + e.getMessage()));
            return a.etag();
        }
        try {
            store.save(a.bundle(), a.etag());
        } catch (IOException e) {
            emit.accept(new Event.Problem("bundle version " + v.version() + " not kept on disk (" + e.getMessage()
                    + "); used now, fetched again after a restart"));
        }
        active = new BundleStore.Active(v.version(), a.etag(), v.manifest(), sources);
        emit.accept(new Event.Notice("bundle version " + v.version() + " activated: " + v.manifest().policies().stream()
                .map(p -> p.policy() + " v" + p.version()).toList()));
        wake.accept(new Trigger("bundle", "version " + v.version(), true));
        return a.etag();
    }

    // ---- reports out ----

    private void sendLoop() {
        int errors = 0;
        while (!closed) {
            try {
                if (outbox.size() == 0 && outbox.dropped() == 0) {
                    kick.poll(60, TimeUnit.SECONDS);
                    continue;
                }
                kick.clear();
                List<Report> batch = outbox.oldest(BATCH);
                if (batch.isEmpty()) {
                    continue;
                }
                Duration pause = Duration.ZERO;
                try {
                    send(batch);
                    errors = 0;
                } catch (ServerClient.CallFailed e) {
                    errors++;
                    noteFailure(e, "reports");
                    pause = backoff(errors);
                } catch (IOException e) {
                    errors++;
                    pause = backoff(errors);
                }
                sleep(pause);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void send(List<Report> batch) throws IOException, InterruptedException {
        try {
            ack(client.report(credential.agentId(), credential.credential(), new ReportBatch(batch)));
        } catch (ServerClient.CallFailed e) {
            if (e.status() != 400) {
                throw e;
            }
            // one of them is malformed: send each alone, drop only what is refused alone
            for (Report r : batch) {
                try {
                    ack(client.report(credential.agentId(), credential.credential(), new ReportBatch(List.of(r))));
                } catch (ServerClient.CallFailed one) {
                    if (one.status() != 400) {
                        throw one;
                    }
                    outbox.refuse(r, one.getMessage());
                }
            }
        }
    }

    private void ack(ReportReceipt r) {
        List<String> ids = new ArrayList<>(r.accepted());
        ids.addAll(r.duplicates());
        outbox.acknowledge(ids);
    }

    private void noteFailure(ServerClient.CallFailed e, String what) {
        if (e.status() == 401 && "reenroll".equals(e.code())) {
            if (++unknownAgent == REENROLL_AFTER) {
                emit.accept(new Event.Problem("the server answered " + REENROLL_AFTER + " times that it does not know agent "
                        + credential.agentId() + " (removed?): run 'chameleon enroll " + credential.server()
                        + " --token TOKEN --force'; the credential is kept and tried again meanwhile"));
            }
        }
    }

    private Duration backoff(int errors) {
        long min = timing.minBackoff().toMillis();
        long max = timing.maxBackoff().toMillis();
        long cap = errors >= 30 ? max : Math.min(max, min << Math.min(errors - 1, 30));
        return Duration.ofMillis(Math.max(min / 2, random.nextLong(cap + 1)));
    }

    private Duration jitter(Duration upTo) {
        long ms = upTo.toMillis();
        return Duration.ofMillis(ms <= 0 ? 0 : random.nextLong(ms + 1));
    }

    private void sleep(Duration d) throws InterruptedException {
        if (!d.isZero()) {
            Thread.sleep(d.toMillis());
        }
    }

    /**
     * Stops both threads, waiting at most {@code grace} for the outbox to drain first (what is
     * left stays on disk and goes at the next start).
     */
    public void close(Duration grace) {
        long until = System.nanoTime() + grace.toNanos();
        while (outbox.size() > 0 && System.nanoTime() < until) {
            kick.offer(Boolean.TRUE);
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        close();
    }

    @Override
    public synchronized void close() {
        closed = true;
        client.abort(); // a long poll in flight ends now, not after its wait
        for (Thread t : new Thread[] {puller, sender}) {
            if (t != null) {
                t.interrupt();
                try {
                    t.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
