package dev.chameleon.agent.tuning;

import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.engine.Engine;
import dev.chameleon.engine.EngineException;
import dev.chameleon.host.CommandRunner;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.event.Event;
import dev.chameleon.model.json.Json;
import dev.chameleon.policy.PolicyError;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.policy.Tuning;
import dev.chameleon.policy.TuningParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The daemon's runner of assigned Tunings: {@code kind: Tuning} documents among its policy
 * sources (policies.d, configured folders, the control plane's bundle). After each pass in apply
 * mode it starts, on a thread of its own, the first assigned Tuning that has no result yet and
 * may run now ({@link Tuner#notNow}); one run at a time, with the same {@link Tuner} as
 * {@code chameleon tune --yes} (trials through {@code Engine.plan}/{@code applySettings}/
 * {@code rollback}, the guardrail, the budget). While a run lasts its knobs are held out of the
 * agent's reconcile ({@link #heldOut()}), and it stops (undoing the trial under way) when the
 * agent stops or the Tuning's window closes.
 *
 * <p>Results go to {@code STATE/tuning/NAME.json} (the report as {@code chameleon tune -o json}
 * prints it, with the Tuning's digest; a run that ended early is not complete and runs again
 * from the start at the next chance) and the proposal to {@code STATE/tuning/NAME.proposal.yaml};
 * each step is a {@code tuning} event. A proposal is approved (written into policies.d) only when
 * the Tuning says {@code spec.approve: auto}. A Tuning whose text changes runs again.
 */
public final class AssignedTunings implements AutoCloseable {
    /**
     * One assigned Tuning and the digest of its document's text (SHA-256 hex, then {@code #N} for
     * the N-th document of a file with several).
     */
    public record Assigned(Tuning tuning, String digest) {
    }

    /** The Tunings among {@code sources} ({@link Engine#tuningSources}); files with errors give none (the policy load reports them). */
    public static List<Assigned> of(List<PolicySet.Source> sources) {
        List<Assigned> out = new ArrayList<>();
        for (PolicySet.Source s : Engine.tuningSources(sources)) {
            List<Tuning> ts = TuningParser.parse(s.name(), s.text(), new ArrayList<PolicyError>());
            String d = sha256(s.text());
            for (int i = 0; i < ts.size(); i++) {
                out.add(new Assigned(ts.get(i), ts.size() == 1 ? d : d + "#" + i));
            }
        }
        return out;
    }

    private final Path dir;
    private final Consumer<Event> events;
    private final Consumer<String> log;
    private final CommandRunner runner;
    private final Clock clock;
    private final AtomicBoolean stopping = new AtomicBoolean();
    private volatile Thread running;
    private volatile Set<String> held = Set.of();
    private volatile Consumer<TuningReport> results = r -> { };
    /** One line per assigned Tuning, by name, for {@code chameleon status}. */
    private final Map<String, String> lines = new java.util.concurrent.ConcurrentSkipListMap<>();
    /** The digests of the Tunings already reported as not run in plan mode (once each, until an apply-mode pass). */
    private final Set<String> notedInPlanMode = new java.util.HashSet<>();

    /**
     * @param state  the state folder; results go to its {@code tuning/} folder
     * @param events where {@code tuning} events go (the agent's event log)
     * @param log    the run's progress lines, for people (the agent's log)
     * @param runner runs the probe and health commands
     */
    public AssignedTunings(Path state, Consumer<Event> events, Consumer<String> log, CommandRunner runner, Clock clock) {
        this.dir = state.resolve("tuning");
        this.events = events;
        this.log = log;
        this.runner = runner;
        this.clock = clock;
    }

    /** Called with the report of each complete run (the daemon sends its proposal to the control plane). */
    public void onResult(Consumer<TuningReport> listener) {
        results = java.util.Objects.requireNonNull(listener);
    }

    /** The knobs ({@code kind:target}) of the run under way; empty when none runs. */
    public Set<String> heldOut() {
        return held;
    }

    /** True while a run is under way. */
    public boolean busy() {
        Thread t = running;
        return t != null && t.isAlive();
    }

    /** The result file of a Tuning named {@code name}. */
    public Path resultFile(String name) {
        return dir.resolve(name + ".json");
    }

    /** The proposal file of a Tuning named {@code name}. */
    public Path proposalFile(String name) {
        return dir.resolve(name + ".proposal.yaml");
    }

    /** What {@code chameleon status} shows of the assigned Tunings: one line each, by name; empty when none is assigned. */
    public List<String> statusLines() {
        return List.copyOf(lines.values());
    }

    /**
     * After a pass in plan mode: nothing is run (a trial changes the machine). Each assigned
     * Tuning is reported once, as a {@code tuning} event with status {@code not-run} and the
     * message {@code Tuning NAME assigned; not run: the agent is in plan mode}, which is also its
     * status line; again after an apply-mode pass or when its text changes.
     */
    public synchronized void planMode(List<Assigned> assigned) {
        keepOnly(assigned);
        for (Assigned a : assigned) {
            String line = "Tuning " + a.tuning().name() + " assigned; not run: the agent is in plan mode";
            lines.put(a.tuning().name(), line);
            if (notedInPlanMode.add(a.digest())) {
                events.accept(new Event.Tuned(a.tuning().name(), "not-run", line, null, null, null));
            }
        }
    }

    /** Drops the status lines of Tunings no longer assigned (a run under way keeps its line). */
    private void keepOnly(List<Assigned> assigned) {
        Set<String> names = assigned.stream().map(a -> a.tuning().name()).collect(Collectors.toSet());
        lines.keySet().removeIf(n -> !names.contains(n) && !busy());
        notedInPlanMode.removeIf(d -> assigned.stream().noneMatch(a -> a.digest().equals(d)));
    }

    /**
     * After a pass in apply mode: starts the first of {@code assigned} with no complete result for
     * its digest that may run now against {@code facts}, unless a run is under way.
     *
     * @param gate the agent's health gate: a trial's health check when the Tuning gives none (null: none)
     */
    public synchronized void passed(Engine engine, FactSet facts, List<Assigned> assigned, HealthGate gate) {
        keepOnly(assigned);
        notedInPlanMode.clear();
        if (busy() || stopping.get()) {
            return;
        }
        for (Assigned a : assigned) {
            if (complete(a)) {
                lines.putIfAbsent(a.tuning().name(), "Tuning " + a.tuning().name() + " assigned; done (result " + resultFile(a.tuning().name()) + ")");
                continue;
            }
            Tuning t = a.tuning();
            Optional<String> notNow = Tuner.notNow(t, facts, clock);
            if (notNow.isPresent()) {
                lines.put(t.name(), "Tuning " + t.name() + " assigned; not run now: " + notNow.get());
                continue;
            }
            lines.put(t.name(), "Tuning " + t.name() + " running");
            Thread th = new Thread(() -> run(engine, facts, a, gate), "chameleon-tuning");
            th.setDaemon(true);
            running = th;
            held = t.knobs().stream().map(Tuning.Knob::key).collect(Collectors.toUnmodifiableSet());
            th.start();
            return;
        }
    }

    /** True when the result file holds a complete run (done or failed) of this digest. */
    boolean complete(Assigned a) {
        Path f = resultFile(a.tuning().name());
        if (!Files.isRegularFile(f)) {
            return false;
        }
        try {
            Object tree = Json.read(Files.readString(f, StandardCharsets.UTF_8));
            return tree instanceof Map<?, ?> m && a.digest().equals(m.get("digest")) && Boolean.TRUE.equals(m.get("complete"));
        } catch (IOException | RuntimeException e) {
            return false; // unreadable: run again, and write it afresh
        }
    }

    private void run(Engine engine, FactSet facts, Assigned a, HealthGate agentGate) {
        Tuning t = a.tuning();
        try {
            events.accept(new Event.Tuned(t.name(), "started", "from " + t.location() + ": " + t.knobs().size() + " knob(s), at most "
                    + t.budget().trials() + " trial(s)" + t.budget().time().map(d -> " in " + d).orElse(""), null, null, null));
            Probe probe = TuningSetup.probe(t, runner);
            HealthGate gate = TuningSetup.gate(t, runner, agentGate != null && agentGate.enabled() ? agentGate : null);
            Optimizer opt = TuningSetup.optimizer("gp", seed(a.digest()), t);
            Supplier<Boolean> windowClosed = () -> t.window().isPresent() && !t.window().get().contains(LocalTime.now(clock));
            Tuner tuner = new Tuner(engine, t, probe, gate, opt, line -> log.accept("tuning " + t.name() + ": " + line), clock,
                    () -> stopping.get() || windowClosed.get(), true);
            TuningReport report = tuner.run(facts);
            boolean complete = !"stopped".equals(report.stoppedBy());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("digest", a.digest());
            m.put("complete", complete);
            m.put("finished", clock.instant().toString());
            m.putAll(report.fields());
            String proposal = null;
            if (report.proposal().isPresent()) {
                write(proposalFile(t.name()), report.proposal().get());
                proposal = proposalFile(t.name()).toString();
            }
            String approved = null;
            String message = summary(report, complete, windowClosed.get());
            if (t.autoApprove() && complete && report.proposal().isPresent()) {
                try {
                    approved = TuningSetup.approve(engine, report).toString();
                    m.put("approved", Map.of("written", true, "file", approved));
                    // approve: auto: the proposal does not wait; say where it went
                    message = message.replace("; a proposal waits for approval", "; the proposal was approved (approve: auto) and written to "
                            + approved);
                } catch (EngineException e) {
                    m.put("approved", Map.of("written", false, "why", e.getMessage()));
                    message += "; not approved: " + e.getMessage();
                }
            }
            write(resultFile(t.name()), Json.compact(m) + "\n");
            lines.put(t.name(), "Tuning " + t.name() + " " + (complete ? "done" : "stopped") + ": " + message);
            events.accept(new Event.Tuned(t.name(), complete ? "done" : "stopped", message, resultFile(t.name()).toString(), proposal,
                    approved));
            if (complete) {
                results.accept(report);
            }
        } catch (EngineException | IOException e) {
            failed(a, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            events.accept(new Event.Tuned(t.name(), "stopped", "interrupted", null, null, null));
        } catch (RuntimeException e) {
            failed(a, e.toString());
        } finally {
            held = Set.of();
        }
    }

    private static String summary(TuningReport r, boolean complete, boolean windowClosed) {
        StringBuilder sb = new StringBuilder();
        sb.append(r.trials().size()).append(" trial(s), ended by ").append(complete ? r.stoppedBy() : windowClosed ? "the window closing"
                : "the agent stopping");
        Optional<TuningReport.Gain> g = r.gain();
        sb.append(g.map(x -> "; gain " + x.describe()).orElse("; no trial beat the baseline"));
        sb.append(r.notBack().isEmpty() ? "; everything was put back" : "; NOT put back: " + String.join(", ", r.notBack()));
        sb.append(r.proposal().isPresent() ? "; a proposal waits for approval" : "");
        return sb.toString();
    }

    private void failed(Assigned a, String why) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("digest", a.digest());
        m.put("complete", true); // the same document fails the same way: it runs again when its text changes
        m.put("finished", clock.instant().toString());
        m.put("tuning", a.tuning().name());
        m.put("failed", why);
        String result = null;
        try {
            write(resultFile(a.tuning().name()), Json.compact(m) + "\n");
            result = resultFile(a.tuning().name()).toString();
        } catch (IOException e) {
            why += "; and the result cannot be written: " + e.getMessage();
        }
        lines.put(a.tuning().name(), "Tuning " + a.tuning().name() + " failed: " + why);
        events.accept(new Event.Tuned(a.tuning().name(), "failed", why, result, null, null));
    }

    private void write(Path f, String text) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + f.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** The optimiser's seed: from the document's digest, so a run is repeatable for the same document. */
    private static long seed(String digest) {
        return Long.parseUnsignedLong(digest.substring(0, 15), 16);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Stops the run under way (its trial undone by the tuner) and waits up to {@code max} for it. */
    public void stop(Duration max) {
        stopping.set(true);
        Thread t = running;
        if (t != null) {
            try {
                t.join(max.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(30));
    }
}
