package dev.chameleon.agent.tuning;

import dev.chameleon.actuators.Applier;
import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.engine.Engine;
import dev.chameleon.engine.EngineException;
import dev.chameleon.engine.Fingerprint;
import dev.chameleon.engine.Pass;
import dev.chameleon.model.ChangeSet;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.FactSet;
import dev.chameleon.model.PlanEntry;
import dev.chameleon.policy.Condition;
import dev.chameleon.policy.PolicySet;
import dev.chameleon.policy.Tuning;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.BooleanSupplier;

/**
 * Learned tuning: measures the baseline, tries settings proposed by an {@link Optimizer}, and
 * puts everything back. Every trial is a {@code kind: Policy} document ({@link PolicyText})
 * compiled and evaluated by the policy engine, planned against the machine
 * ({@link Engine#plan}), and applied as one journalled change set through
 * {@link Engine#applySettings} — the path of {@code chameleon apply} — then rolled back through
 * the journal ({@link Engine#rollback(String, boolean, String)}). A trial is stopped and undone
 * at once when the health check fails, a measurement fails, or a measurement is worse than the
 * baseline by more than the guardrail allows.
 *
 * <p>The journal marks each trial's change set with the trigger {@value #TRIGGER} N: a run that
 * was killed leaves at most one such change set applied (or one unfinished), and
 * {@link #recover(Engine)} (run at the start of every tuning run, and by
 * {@code chameleon tune --recover}) rolls it back, as does every other recovery
 * ({@code chameleon apply}, the agent's start): {@link Engine.Changes#recover()}. A run holds the
 * state folder's tuning lock ({@code STATE/tune.lock}) from its start to its end, which tells its
 * trial under way from a trial a killed run left.
 */
public final class Tuner {
    /** The journal trigger of a trial's change set: {@code tune trial 3: sysctl:net.core.somaxconn=1024}. */
    public static final String TRIGGER = dev.chameleon.engine.Recovery.TRIAL_TRIGGER;

    private final Engine engine;
    private final Tuning tuning;
    private final Probe probe;
    private final HealthGate gate;
    private final Optimizer optimizer;
    private final Consumer<String> progress;
    private final Clock clock;
    private final BooleanSupplier stopping;
    private final boolean confirm;

    /**
     * @param gate      the trial's health check, or null for none
     * @param progress  one line per step, for people (the table output prints them as they come)
     * @param stopping  true once the run should end early (a SIGTERM): the trial under way is undone and the run ends
     * @param confirm   after the trials, apply the best again and measure it afresh (the gain's interval comes from
     *                  these measurements, free of the selection of the best)
     */
    public Tuner(Engine engine, Tuning tuning, Probe probe, HealthGate gate, Optimizer optimizer, Consumer<String> progress, Clock clock,
                 BooleanSupplier stopping, boolean confirm) {
        this.engine = engine;
        this.tuning = tuning;
        this.probe = probe;
        this.gate = gate;
        this.optimizer = optimizer;
        this.progress = progress;
        this.clock = clock;
        this.stopping = stopping;
        this.confirm = confirm;
    }

    // --- before anything runs ---

    /**
     * Why the tuning may not run now, or empty: its condition does not hold (or cannot be
     * evaluated) for {@code facts}, or the local time is outside its window.
     */
    public Optional<String> notNow(FactSet facts) {
        return notNow(tuning, facts, clock);
    }

    /** {@link #notNow(FactSet)} of {@code tuning} at {@code clock}'s time. */
    public static Optional<String> notNow(Tuning tuning, FactSet facts, Clock clock) {
        if (tuning.when().isPresent()) {
            Condition c = tuning.when().get();
            Condition.Outcome o = c.evaluate(facts, null, null);
            if (o.failed()) {
                return Optional.of("spec.when.condition cannot be evaluated here: " + o.error());
            }
            if (!o.holds()) {
                return Optional.of("spec.when.condition is false here: " + c.text());
            }
        }
        if (tuning.window().isPresent() && !tuning.window().get().contains(LocalTime.now(clock))) {
            return Optional.of("the local time " + LocalTime.now(clock).withNano(0) + " is outside spec.when.window "
                    + tuning.window().get());
        }
        return Optional.empty();
    }

    /**
     * What a run would do, changing nothing: each knob with its current value and its values, the
     * budget, the guardrail, and why it could not run now (if so).
     *
     * @throws EngineException.BadInput a knob cannot be planned here (not applicable, unreadable)
     */
    public TuningReport.Plan plan(FactSet facts) {
        List<String> current = currentValues(facts);
        offeredHere(facts);
        List<TuningReport.KnobPlan> knobs = new ArrayList<>();
        for (int i = 0; i < tuning.knobs().size(); i++) {
            Tuning.Knob k = tuning.knobs().get(i);
            knobs.add(new TuningReport.KnobPlan(k.key(), current.get(i), k.values().size(), k.values().get(0),
                    k.values().get(k.values().size() - 1)));
        }
        return new TuningReport.Plan(tuning, optimizer.name(), knobs, Fingerprint.of(facts), notNow(facts));
    }

    /**
     * The current value of each knob's setting, read through its actuator by a plan of the
     * knobs at their first values.
     *
     * @throws EngineException.BadInput a knob is not applicable here or cannot be read
     */
    List<String> currentValues(FactSet facts) {
        List<String> first = tuning.knobs().stream().map(k -> k.values().get(0)).toList();
        Pass pass = pass(facts, "tune-plan", first);
        List<String> out = new ArrayList<>();
        List<String> problems = new ArrayList<>(); // every knob's, at once, as a file's errors are
        for (Tuning.Knob k : tuning.knobs()) {
            List<PlanEntry> es = entries(pass, k);
            if (es.isEmpty()) {
                problems.add(atKnob(k, "knob " + k.key()
                        + (k.perElement() ? " matches no " + element(k) + " here (its select holds for none of the facts' "
                        + element(k) + "s; see 'chameleon facts')" : " gives no setting here") + "; nothing was changed"));
                continue;
            }
            for (PlanEntry e : es) {
                if (e.action() != PlanEntry.Action.CHANGE && e.action() != PlanEntry.Action.OK) {
                    problems.add(atKnob(k, "knob " + e.key() + " cannot be tuned here (" + e.action().label()
                            + (e.note() == null || e.note().isEmpty() ? "" : ": " + e.note()) + "); nothing was changed"));
                }
            }
            out.add(current(k, es));
        }
        if (!problems.isEmpty()) {
            throw new EngineException.BadInput(String.join("\n", problems));
        }
        return out;
    }

    /**
     * {@code FILE:LINE:COLUMN: message} at a knob, then the knob's line of the file and a caret
     * under its column, as the reader's errors show them (without them when the file cannot be read
     * again, e.g. a bundle's).
     */
    private String atKnob(Tuning.Knob k, String message) {
        String head = tuning.file() + ":" + k.line() + ":" + k.column() + ": " + message;
        String excerpt = "";
        try {
            String[] lines = java.nio.file.Files.readString(java.nio.file.Path.of(tuning.file())).split("\n", -1);
            excerpt = k.line() <= lines.length ? lines[k.line() - 1].replace("\r", "").replace("\t", " ") : "";
        } catch (java.io.IOException | RuntimeException e) {
            return head;
        }
        String shown = new dev.chameleon.policy.PolicyError(tuning.file(), k.line(), k.column(), message, excerpt).format();
        int nl = shown.indexOf('\n');
        return nl < 0 ? head : head + shown.substring(nl);
    }

    /**
     * The plan's entries of one knob: its setting, or for a per-element knob the setting of each
     * element its select matched (in key order).
     */
    private static List<PlanEntry> entries(Pass pass, Tuning.Knob k) {
        return pass.plan().entries().stream().filter(x -> k.covers(x.key().toString()))
                .sorted(java.util.Comparator.comparing(x -> x.key().toString())).toList();
    }

    /**
     * A knob's current value: its setting's, or for a per-element knob the one value its elements
     * share, else each element's ({@code v0=1 v1=0}, in key order).
     */
    private static String current(Tuning.Knob k, List<PlanEntry> es) {
        if (!k.perElement() || es.stream().map(PlanEntry::current).distinct().count() == 1) {
            return es.get(0).current();
        }
        List<String> each = new ArrayList<>();
        for (PlanEntry e : es) {
            String key = e.key().toString();
            each.add(key.substring(key.indexOf(':') + 1, key.lastIndexOf('/')) + "=" + e.current());
        }
        return String.join(" ", each);
    }

    /** What a per-element knob's select picks: a disk (blockQueue) or a NIC (nicSysctl). */
    private static String element(Tuning.Knob k) {
        return k.kind().equals("blockQueue") ? "disk" : k.kind().equals("nicSysctl") ? "NIC" : "element";
    }

    /** Most values of one knob checked against the machine before a run (a choice list; a long range is the kind's to bound). */
    static final int MAX_CHECKED_VALUES = 64;

    /**
     * Plans every value of each knob with at most {@link #MAX_CHECKED_VALUES} values, so a choice
     * the machine does not offer (a congestion control this kernel has not got) refuses the run
     * before anything changes, at the knob's position, instead of failing as a trial. The same
     * plan as {@code apply}: the actuator's {@code target} decides.
     *
     * @throws EngineException.BadInput a value is not applicable or cannot be planned here
     */
    private void offeredHere(FactSet facts) {
        int rounds = tuning.knobs().stream().mapToInt(k -> k.values().size()).filter(n -> n <= MAX_CHECKED_VALUES).max().orElse(1);
        for (int i = 1; i < rounds; i++) {
            int at = i;
            List<String> values = tuning.knobs().stream()
                    .map(k -> k.values().size() <= MAX_CHECKED_VALUES && at < k.values().size() ? k.values().get(at) : k.values().get(0))
                    .toList();
            Pass pass = pass(facts, "tune-check", values);
            for (int j = 0; j < tuning.knobs().size(); j++) {
                Tuning.Knob k = tuning.knobs().get(j);
                String v = values.get(j);
                entries(pass, k).stream()
                        .filter(e -> e.action() != PlanEntry.Action.CHANGE && e.action() != PlanEntry.Action.OK).findFirst()
                        .ifPresent(e -> {
                            throw new EngineException.BadInput(tuning.file() + ":" + k.line() + ":" + k.column() + ": knob " + e.key()
                                    + " value '" + v + "' cannot be set here (" + e.action().label()
                                    + (e.note() == null || e.note().isEmpty() ? "" : ": " + e.note()) + "); nothing was changed");
                        });
            }
        }
    }

    /** The knobs at {@code values} as a policy, evaluated and planned against the machine (the pass {@code apply} makes). */
    private Pass pass(FactSet facts, String name, List<String> values) {
        String text = PolicyText.policy(List.of(), name, "tuning " + tuning.name(), 50, null, tuning.knobs(), values);
        PolicySet ps = Engine.compile(List.of(new PolicySet.Source(name + ".yaml", text)), new ArrayList<>());
        return engine.plan(ps, facts, ps.evaluate(facts));
    }

    // --- recovery ---

    /**
     * Puts back what a killed tuning run left: unfinished change sets (as every {@code apply}
     * does) and applied change sets whose trigger is a trial's, newest first. Takes the state
     * folder's tuning lock for the call, so a live run's trial is never undone under it.
     *
     * @return one line per change set undone (and per journal file that could not be read)
     * @throws EngineException.Refused a tuning run holds the state folder
     */
    public static Recovered recover(Engine engine) {
        try (AutoCloseable lock = engine.stateFolder().tuningLock()) {
            return recoverHolding(engine);
        } catch (EngineException e) {
            throw e;
        } catch (Exception e) {
            throw new EngineException.Failed("cannot release the tuning lock: " + e.getMessage());
        }
    }

    /**
     * What {@link #recover} did.
     *
     * @param lines    for people, one per change set (empty: nothing was left to recover)
     * @param complete every change set found was put back; false when one is left {@code rollback-incomplete}
     *                 (a setting the machine refused to take back), said in its line
     */
    public record Recovered(List<String> lines, boolean complete) {
        public Recovered {
            lines = List.copyOf(lines);
        }
    }

    /** {@link #recover} for a caller that holds the tuning lock. */
    private static Recovered recoverHolding(Engine engine) {
        List<String> lines = new ArrayList<>();
        boolean complete = true;
        try (Engine.Changes c = engine.changes()) {
            dev.chameleon.engine.Recovery r = c.recover(); // trials are left to the next line: this process holds the tuning lock
            lines.addAll(r.lines());
            complete = r.recovered().stream().noneMatch(cs -> dev.chameleon.model.ChangeSet.ROLLBACK_INCOMPLETE.equals(cs.status()));
            for (dev.chameleon.engine.Recovery.TrialUndone t : c.undoTrials()) {
                lines.add(t.line());
                complete &= t.ok();
            }
        }
        return new Recovered(lines, complete);
    }

    // --- the run ---

    /**
     * Runs the tuning: recovery, baseline, trials within the budget, confirmation of the best,
     * the baseline again, and a check that every knob is back at its value from the start.
     *
     * @throws EngineException.Refused  not now ({@link #notNow}), or a trial could not be undone (the run ends there)
     * @throws EngineException.BadInput a knob cannot be tuned here
     */
    public TuningReport run(FactSet facts) throws InterruptedException {
        notNow(facts).ifPresent(why -> {
            throw new EngineException.Refused("not tuning now: " + why + "; nothing was changed");
        });
        AutoCloseable lock = engine.stateFolder().tuningLock();
        try {
            recoverHolding(engine).lines().forEach(progress);
            return runHolding(facts);
        } finally {
            try {
                lock.close();
            } catch (Exception e) {
                progress.accept("warning: cannot release the tuning lock: " + e.getMessage());
            }
        }
    }

    private TuningReport runHolding(FactSet facts) throws InterruptedException {
        Instant start = clock.instant();
        List<String> before = currentValues(facts);
        offeredHere(facts);
        progress.accept("current values: " + String.join(", ", PolicyText.assignments(tuning.knobs(), before)));
        int[] sizes = tuning.knobs().stream().mapToInt(k -> k.values().size()).toArray();

        TuningReport.Measured baseline = measure("baseline", null);
        if (baseline.values().isEmpty()) {
            throw new EngineException.Failed("the baseline cannot be measured (" + baseline.status() + "); nothing was changed");
        }
        progress.accept("baseline: " + baseline.describe());
        double base = baseline.mean();

        List<TuningReport.Trial> trials = new ArrayList<>();
        List<int[]> tried = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        String stoppedBy = "trials";
        Instant lastStart = null;
        for (int n = 1; n <= tuning.budget().trials(); n++) {
            if (stopping.getAsBoolean()) {
                stoppedBy = "stopped";
                break;
            }
            if (lastStart != null && !tuning.budget().spacing().isZero()) {
                Duration wait = Duration.between(clock.instant(), lastStart.plus(tuning.budget().spacing()));
                if (tuning.budget().time().isPresent() && Duration.between(start, clock.instant()).plus(wait)
                        .compareTo(tuning.budget().time().get()) >= 0) {
                    stoppedBy = "time";
                    break;
                }
                if (!wait.isNegative() && !wait.isZero()) {
                    progress.accept("waiting " + wait.toSeconds() + " s (budget.trialsPerHour " + tuning.budget().trialsPerHour().get() + ")");
                    Thread.sleep(wait.toMillis());
                }
            }
            if (tuning.budget().time().isPresent() && Duration.between(start, clock.instant()).compareTo(tuning.budget().time().get()) >= 0) {
                stoppedBy = "time";
                break;
            }
            lastStart = clock.instant();
            int[] point = optimizer.next(sizes, tried, scores);
            List<String> values = values(point);
            TuningReport.Trial t = trial(facts, n, values, base);
            trials.add(t);
            tried.add(point);
            scores.add(score(t, baseline));
            progress.accept("trial " + n + ": " + String.join(", ", PolicyText.assignments(tuning.knobs(), values)) + " -> "
                    + t.measured().describe());
        }

        TuningReport.Trial best = null;
        for (TuningReport.Trial t : trials) {
            if (t.measured().complete() && (best == null || better(t.measured().mean(), best.measured().mean()))) {
                best = t;
            }
        }
        TuningReport.Trial confirmation = null;
        if (confirm && best != null && better(best.measured().mean(), base) && !stopping.getAsBoolean()) {
            confirmation = trial(facts, 0, best.values(), base);
            progress.accept("confirmation of trial " + best.number() + ": " + confirmation.measured().describe());
        }
        TuningReport.Measured after = stopping.getAsBoolean() ? null : measure("baseline again", null);
        if (after != null) {
            progress.accept("baseline again: " + after.describe());
        }
        List<String> now = currentValues(facts);
        List<String> notBack = new ArrayList<>();
        for (int i = 0; i < before.size(); i++) {
            if (!before.get(i).equals(now.get(i))) {
                notBack.add(tuning.knobs().get(i).key() + " is " + now.get(i) + ", was " + before.get(i));
            }
        }
        return new TuningReport(tuning, optimizer.name(), Fingerprint.of(facts), PolicyText.assignments(tuning.knobs(), before), baseline,
                after, trials, best, confirmation, stoppedBy, Duration.between(start, clock.instant()), notBack, engine.config().scopeOptions(),
                engine.host().root().resolve(dev.chameleon.engine.EngineConfig.SYSTEM_POLICIES).toString());
    }

    private List<String> values(int[] point) {
        List<String> v = new ArrayList<>();
        for (int k = 0; k < point.length; k++) {
            v.add(tuning.knobs().get(k).values().get(point[k]));
        }
        return v;
    }

    boolean better(double a, double b) {
        return tuning.objective().maximise() ? a > b : a < b;
    }

    /** The optimiser's score (larger is better): the trial's mean, or for a stopped trial the penalty below the baseline. */
    private double score(TuningReport.Trial t, TuningReport.Measured baseline) {
        double sign = tuning.objective().maximise() ? 1 : -1;
        double penalty = sign * baseline.mean() - Math.abs(baseline.mean()) * Math.max(tuning.guardrail().maxRegressionPercent(), 10) / 100;
        if (t.measured().values().isEmpty()) {
            return penalty;
        }
        double s = sign * t.measured().mean();
        return t.measured().complete() ? s : Math.min(s, penalty);
    }

    /**
     * One trial: apply the knobs at {@code values} as a change set, check health, measure with
     * the guardrail, and undo. {@code number} 0 is the confirmation of the best.
     */
    private TuningReport.Trial trial(FactSet facts, int number, List<String> values, double base) throws InterruptedException {
        String label = number == 0 ? "tune confirmation" : TRIGGER + " " + number;
        Pass pass = pass(facts, number == 0 ? "tune-confirmation" : "tune-trial-" + number, values);
        List<PlanEntry> refused = pass.plan().entries().stream().filter(e -> e.action() == PlanEntry.Action.ERROR
                || e.action() == PlanEntry.Action.NOT_APPLICABLE).toList();
        if (!refused.isEmpty()) {
            return new TuningReport.Trial(number, values, null, new TuningReport.Measured(List.of(), "failed: cannot apply: "
                    + refused.get(0).key() + ": " + refused.get(0).note(), null), false);
        }
        List<DesiredSetting> todo = pass.scope().todo(List.of());
        // a trial's trigger starts with TRIGGER so that recover() finds it after a kill; the confirmation too
        Applier.Result applied = engine.applySettings(todo, (number == 0 ? TRIGGER + " 0 (confirmation)" : label) + ": "
                + String.join(", ", PolicyText.assignments(tuning.knobs(), values)));
        ChangeSet cs = applied.changeSet();
        if (!applied.ok()) {
            return new TuningReport.Trial(number, values, cs == null ? null : cs.id(),
                    new TuningReport.Measured(List.of(), "failed: apply: " + applied.message(), null), true);
        }
        TuningReport.Measured m;
        try {
            m = guarded(base);
        } finally {
            if (cs != null) {
                Applier.Result undo = engine.rollback(cs.id(), false, "tune: " + label + " done");
                if (!undo.ok()) {
                    throw new EngineException.Refused("trial change set " + cs.id() + " could not be undone: " + undo.message()
                            + "; the run stops here ('chameleon rollback --changeset " + cs.id() + engine.config().machineOptions()
                            + "' or 'chameleon tune --recover" + engine.config().machineOptions() + "')");
                }
            }
        }
        return new TuningReport.Trial(number, values, cs == null ? null : cs.id(), m, true);
    }

    /** After a trial's settings are applied: settle, health check, then the measurements with the guardrail. */
    private TuningReport.Measured guarded(double base) throws InterruptedException {
        if (!tuning.guardrail().settle().isZero()) {
            Thread.sleep(tuning.guardrail().settle().toMillis());
        }
        if (gate != null && gate.enabled()) {
            HealthGate.Verdict v = gate.check();
            if (!v.passed()) {
                return new TuningReport.Measured(List.of(), "stopped: health check failed: " + v.describe(), null);
            }
        }
        return measure("trial", base);
    }

    /**
     * {@code repeats} measurements; with a baseline mean, stops at the first one worse than it by
     * more than the guardrail's percent.
     */
    private TuningReport.Measured measure(String what, Double base) throws InterruptedException {
        List<Double> values = new ArrayList<>();
        Noise.Window w = Noise.start(engine.host().root());
        for (int i = 0; i < tuning.objective().repeats(); i++) {
            if (stopping.getAsBoolean()) {
                return new TuningReport.Measured(values, "stopped: the run is stopping", w.end());
            }
            double v;
            try {
                v = probe.measure();
            } catch (Probe.Failed e) {
                return new TuningReport.Measured(values, (base == null ? "failed: " : "stopped: measurement failed: ") + e.getMessage(), w.end());
            }
            values.add(v);
            if (base != null) {
                double worse = tuning.objective().maximise() ? base - v : v - base;
                double limit = Math.abs(base) * tuning.guardrail().maxRegressionPercent() / 100;
                if (worse > limit) {
                    return new TuningReport.Measured(values, String.format(java.util.Locale.ROOT,
                            "stopped: guardrail: %s is %.1f%% worse than the baseline %s (maxRegression %s%%)", TuningReport.num(v),
                            100 * worse / Math.abs(base), TuningReport.num(base), TuningReport.num(tuning.guardrail().maxRegressionPercent())),
                            w.end());
                }
            }
        }
        return new TuningReport.Measured(values, "measured", w.end());
    }
}
