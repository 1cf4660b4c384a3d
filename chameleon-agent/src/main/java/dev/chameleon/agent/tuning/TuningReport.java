package dev.chameleon.agent.tuning;

import dev.chameleon.engine.Fingerprint;
import dev.chameleon.policy.Tuning;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.hipparchus.distribution.continuous.TDistribution;

/**
 * What a tuning run found: the baseline, every trial, the best one, the gain with its 95 %
 * confidence interval, and the proposed policy. Values are in the probe's own unit.
 *
 * @param tuning       the document run
 * @param optimizer    the optimiser's name ({@code gp-ei}, {@code random})
 * @param fingerprint  the platform measured on
 * @param startValues  each knob's {@code KEY=VALUE} at the start (what was put back)
 * @param baseline     the measurements before any trial
 * @param baselineAfter the measurements after every trial was undone, or null (the run was stopped)
 * @param trials       the trials in order
 * @param best         the trial with the best complete mean, or null
 * @param confirmation the best trial applied again and measured afresh, or null
 * @param stoppedBy    {@code trials} (the budget's count), {@code time} or {@code stopped} (a signal)
 * @param elapsed      the run's duration
 * @param notBack      knobs whose value at the end differs from the start (empty: everything was put back)
 * @param scope        the options that select the machine and state folder the run used ({@code " --root R --state-dir S"},
 *                     {@code EngineConfig.scopeOptions()}), kept in the commands the proposal suggests
 * @param policiesDir  the folder an approved proposal goes to ({@code /etc/chameleon/policies.d} under the run's root)
 */
public record TuningReport(Tuning tuning, String optimizer, Fingerprint fingerprint, List<String> startValues, Measured baseline,
                           Measured baselineAfter, List<Trial> trials, Trial best, Trial confirmation, String stoppedBy, Duration elapsed,
                           List<String> notBack, String scope, String policiesDir) {
    /** Priority of a proposed policy: above the built-in pack's generic defaults (50-60), below an operator's overrides. */
    public static final int PROPOSAL_PRIORITY = 70;

    public TuningReport {
        startValues = List.copyOf(startValues);
        trials = List.copyOf(trials);
        notBack = List.copyOf(notBack);
        scope = scope == null ? "" : scope;
        policiesDir = policiesDir == null ? dev.chameleon.engine.EngineConfig.SYSTEM_POLICIES : policiesDir;
    }

    /** A report of a run on this machine with the default state folder (no scoping option). */
    public TuningReport(Tuning tuning, String optimizer, Fingerprint fingerprint, List<String> startValues, Measured baseline,
                        Measured baselineAfter, List<Trial> trials, Trial best, Trial confirmation, String stoppedBy, Duration elapsed,
                        List<String> notBack) {
        this(tuning, optimizer, fingerprint, startValues, baseline, baselineAfter, trials, best, confirmation, stoppedBy, elapsed, notBack,
                "", dev.chameleon.engine.EngineConfig.SYSTEM_POLICIES);
    }

    /**
     * One series of measurements.
     *
     * @param values the measurements taken, in order
     * @param status {@code measured} (all repeats), {@code stopped: ...} (the guardrail, a failed health check or
     *               measurement, a signal) or {@code failed: ...}
     * @param noise  steal and load over the series, or null when nothing ran
     */
    public record Measured(List<Double> values, String status, Noise noise) {
        public Measured {
            values = List.copyOf(values);
        }

        /** All repeats were taken. */
        public boolean complete() {
            return status.equals("measured") && !values.isEmpty();
        }

        public double mean() {
            return values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        }

        /** Sample standard deviation; 0 for one value. */
        public double sd() {
            double m = mean();
            return values.size() < 2 ? 0 : Math.sqrt(values.stream().mapToDouble(v -> (v - m) * (v - m)).sum() / (values.size() - 1));
        }

        /** {@code 25.1 ± 0.4 (n=3; steal 0.0%, load 1.9)} or the status. */
        public String describe() {
            String s = values.isEmpty() ? "" : num(mean()) + " ± " + num(sd()) + " (n=" + values.size() + noiseText() + ")";
            return complete() ? s : (s.isEmpty() ? status : s + " " + status);
        }

        private String noiseText() {
            if (noise == null) {
                return "";
            }
            return noise.stealPercent().map(v -> String.format(Locale.ROOT, "; steal %.1f%%", v)).orElse("")
                    + noise.load1().map(v -> String.format(Locale.ROOT, "; load %.2f", v)).orElse("");
        }

        Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("status", status);
            m.put("measurements", values);
            if (!values.isEmpty()) {
                m.put("mean", mean());
                m.put("sd", sd());
            }
            if (noise != null) {
                noise.stealPercent().ifPresent(v -> m.put("stealPercent", v));
                noise.load1().ifPresent(v -> m.put("load1", v));
            }
            return m;
        }
    }

    /**
     * One trial.
     *
     * @param number    1, 2, ... (0: the confirmation of the best)
     * @param values    each knob's value, in the knobs' order
     * @param changeSet the journal's change set id, or null when nothing had to change (or nothing could)
     * @param measured  what was measured
     * @param applied   false when the settings could not even be planned here
     */
    public record Trial(int number, List<String> values, String changeSet, Measured measured, boolean applied) {
        public Trial {
            values = List.copyOf(values);
        }
    }

    /** A knob in the plan: its key, current value, how many values and the first and last. */
    public record KnobPlan(String key, String current, int count, String first, String last) {
    }

    /**
     * What {@code chameleon tune FILE} without {@code --yes} shows.
     *
     * @param notNow why it would not run now, or empty
     */
    public record Plan(Tuning tuning, String optimizer, List<KnobPlan> knobs, Fingerprint fingerprint, Optional<String> notNow) {
        /** For people, one line each. */
        public List<String> lines() {
            return lines("");
        }

        /**
         * As {@link #lines()}, the suggested command ending {@code Run 'chameleon tune OPTIONS FILE --yes'} with
         * {@code options} (the options that scoped this plan: {@code " --root R --state-dir S"}, or empty).
         */
        public List<String> lines(String options) {
            Tuning t = tuning;
            List<String> out = new ArrayList<>();
            out.add("Tuning " + t.name() + " (" + t.location() + ") on " + fingerprint.describe());
            out.add("objective: " + (t.objective().maximise() ? "maximise " : "minimise ") + t.objective().probe().describe() + ", "
                    + t.objective().repeats() + " measurement(s) each");
            out.add("knobs:");
            for (KnobPlan k : knobs) {
                out.add("  " + k.key() + ": now " + k.current() + "; " + k.count() + " value(s), " + k.first() + " .. " + k.last());
            }
            out.add("budget: " + t.budget().trials() + " trial(s)" + t.budget().time().map(d -> ", at most " + d.toSeconds() + " s").orElse("")
                    + t.budget().trialsPerHour().map(n -> ", at most " + n + " per hour").orElse(""));
            out.add("guardrail: a measurement more than " + num(t.guardrail().maxRegressionPercent()) + "% worse than the baseline stops and undoes"
                    + " the trial" + (t.guardrail().healthCommand().isEmpty() && t.guardrail().healthUrl() == null ? ""
                    : "; so does a failed health check"));
            out.add("optimiser: " + optimizer);
            out.add("The run would: measure the baseline " + t.objective().repeats() + " time(s); for each trial apply the knobs as one"
                    + " journalled change set, measure, undo; apply the best again to confirm it; measure the baseline again;"
                    + " check every knob is back. It proposes a policy and applies nothing learned.");
            notNow.ifPresent(w -> out.add("It would not run now: " + w));
            out.add("Nothing was changed. Run 'chameleon tune" + options + " " + t.file() + " --yes' to run the trials.");
            return out;
        }

        public Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tuning", tuning.name());
            m.put("file", tuning.file());
            m.put("changed", false);
            m.put("fingerprint", fingerprint.fields());
            m.put("optimizer", optimizer);
            m.put("knobs", knobs.stream().map(k -> (Object) Map.of("key", k.key(), "current", k.current(), "values", k.count(),
                    "first", k.first(), "last", k.last())).toList());
            m.put("trials", tuning.budget().trials());
            m.put("repeats", tuning.objective().repeats());
            notNow.ifPresent(w -> m.put("notNow", w));
            return m;
        }
    }

    /**
     * The gain of the best over the baseline, in percent of the baseline (positive is better, for
     * either goal), with a 95 % Welch t interval; from the confirmation's measurements when it ran
     * completely, else from the best trial's own.
     *
     * @param percent the gain
     * @param low     the interval's lower end, or NaN (fewer than two measurements on a side); the gain itself when
     *                neither side has any spread
     * @param high    the upper end, or NaN
     * @param from    {@code confirmation} or {@code trial}
     */
    public record Gain(double percent, double low, double high, String from) {
        /** The interval is known and above 0. */
        public boolean significant() {
            return !Double.isNaN(low) && low > 0;
        }

        public String describe() {
            return String.format(Locale.ROOT, "%+.1f%%", percent) + (Double.isNaN(low) ? " (no interval: too few measurements)"
                    : String.format(Locale.ROOT, " (95%% CI %+.1f%% .. %+.1f%%, from the %s)", low, high, from));
        }
    }

    /** All the baseline's measurements, before and after the trials. */
    public List<Double> baselineValues() {
        List<Double> v = new ArrayList<>(baseline.values());
        if (baselineAfter != null) {
            v.addAll(baselineAfter.values());
        }
        return v;
    }

    /** The gain, or empty when no trial was measured completely. */
    public Optional<Gain> gain() {
        if (best == null) {
            return Optional.empty();
        }
        boolean confirmed = confirmation != null && confirmation.measured().complete();
        Measured b = new Measured(baselineValues(), "measured", null);
        Measured t = confirmed ? confirmation.measured() : best.measured();
        double sign = tuning.objective().maximise() ? 1 : -1;
        double base = Math.abs(b.mean());
        double d = sign * (t.mean() - b.mean());
        double low = Double.NaN;
        double high = Double.NaN;
        int n1 = b.values().size();
        int n2 = t.values().size();
        double v1 = b.sd() * b.sd() / n1;
        double v2 = t.sd() * t.sd() / n2;
        if (n1 >= 2 && n2 >= 2 && v1 + v2 == 0) {
            low = high = 100 * d / base; // no spread on either side: the difference is exact
        } else if (n1 >= 2 && n2 >= 2) {
            double df = (v1 + v2) * (v1 + v2) / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1));
            double q = new TDistribution(df).inverseCumulativeProbability(0.975);
            double se = Math.sqrt(v1 + v2);
            low = 100 * (d - q * se) / base;
            high = 100 * (d + q * se) / base;
        }
        return Optional.of(new Gain(100 * d / base, low, high, confirmed ? "confirmation" : "trial"));
    }

    /** The trials run (the confirmation not counted). */
    public int trialsRun() {
        return trials.size();
    }

    /**
     * The proposed policy's text, or empty when no trial beat the baseline: the best trial's
     * values, its condition the platform's fingerprint, the evidence in its header and description.
     */
    public Optional<String> proposal() {
        Optional<Gain> g = gain();
        if (g.isEmpty() || g.get().percent() <= 0) {
            return Optional.empty();
        }
        String evidence = "baseline " + num(new Measured(baselineValues(), "measured", null).mean()) + ", trial " + best.number() + " "
                + num(best.measured().mean()) + (confirmation != null && confirmation.measured().complete()
                ? ", confirmed " + num(confirmation.measured().mean()) : "") + ", gain " + g.get().describe();
        List<String> header = List.of("Proposed by chameleon tune from " + tuning.location() + " (tuning " + tuning.name() + ", optimiser "
                        + optimizer + ", " + trialsRun() + " trial(s))",
                "platform: " + fingerprint.describe(),
                "objective: " + (tuning.objective().maximise() ? "maximise " : "minimise ") + tuning.objective().probe().describe(),
                "evidence: " + evidence,
                "Nothing learned is applied until an operator approves it: chameleon tune " + tuning.file() + " --yes --approve" + scope
                        + ", or copy this file into " + policiesDir + "/.");
        return Optional.of(PolicyText.policy(header, proposalName(), "Learned by chameleon tune: " + evidence, PROPOSAL_PRIORITY,
                fingerprint.condition(), tuning.knobs(), best.values()));
    }

    /** The proposed policy's name: {@code tuned-} and the tuning's name. */
    public String proposalName() {
        String n = "tuned-" + tuning.name();
        return n.length() > 63 ? n.substring(0, 63).replaceAll("[.-]+$", "") : n;
    }

    /** For people: the evidence and the trials table. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("Tuning " + tuning.name() + " on " + fingerprint.describe() + " (optimiser " + optimizer + ")");
        out.add("baseline: " + baseline.describe() + (baselineAfter == null ? "" : "; after the trials: " + baselineAfter.describe()));
        out.add(String.format(Locale.ROOT, "%-5s %-10s %-8s %-24s %s", "trial", "mean", "sd", "change set", "values / status"));
        for (Trial t : trials) {
            out.add(String.format(Locale.ROOT, "%-5d %-10s %-8s %-24s %s", t.number(), t.measured().values().isEmpty() ? "-" : num(t.measured().mean()),
                    t.measured().values().isEmpty() ? "-" : num(t.measured().sd()), t.changeSet() == null ? "-" : t.changeSet(),
                    String.join(", ", PolicyText.assignments(tuning.knobs(), t.values()))
                            + (t.measured().complete() ? "" : "  [" + t.measured().status() + "]")));
        }
        if (best == null) {
            out.add("No trial was measured completely; nothing to propose.");
        } else {
            out.add("best: trial " + best.number() + ": " + best.measured().describe());
            if (confirmation != null) {
                out.add("confirmation: " + confirmation.measured().describe());
            }
            gain().ifPresent(g -> out.add("gain: " + g.describe()));
        }
        out.add("budget: " + trialsRun() + " of " + tuning.budget().trials() + " trial(s) in " + elapsed.toSeconds() + " s; ended by " + stoppedBy);
        out.add(notBack.isEmpty() ? "Everything was put back: " + String.join(", ", startValues)
                : "NOT put back: " + String.join("; ", notBack));
        return out;
    }

    /** The report as {@code -o json} prints it (docs/tuning.md). */
    public Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tuning", tuning.name());
        m.put("file", tuning.file());
        m.put("fingerprint", fingerprint.fields());
        m.put("optimizer", optimizer);
        m.put("goal", tuning.objective().maximise() ? "maximise" : "minimise");
        m.put("startValues", startValues);
        m.put("baseline", baseline.fields());
        if (baselineAfter != null) {
            m.put("baselineAfter", baselineAfter.fields());
        }
        List<Object> ts = new ArrayList<>();
        for (Trial t : trials) {
            ts.add(trialFields(t));
        }
        m.put("trials", ts);
        if (best != null) {
            m.put("best", trialFields(best));
        }
        if (confirmation != null) {
            m.put("confirmation", confirmation.measured().fields());
        }
        gain().ifPresent(g -> {
            Map<String, Object> gm = new LinkedHashMap<>();
            gm.put("percent", g.percent());
            if (!Double.isNaN(g.low())) {
                gm.put("ci95Low", g.low());
                gm.put("ci95High", g.high());
            }
            gm.put("from", g.from());
            gm.put("significant", g.significant());
            m.put("gain", gm);
        });
        Map<String, Object> budget = new LinkedHashMap<>();
        budget.put("trialsRun", trialsRun());
        budget.put("trials", tuning.budget().trials());
        budget.put("elapsedSeconds", elapsed.toMillis() / 1000.0);
        budget.put("stoppedBy", stoppedBy);
        m.put("budget", budget);
        m.put("restored", notBack.isEmpty());
        if (!notBack.isEmpty()) {
            m.put("notBack", notBack);
        }
        proposal().ifPresent(p -> m.put("proposal", p));
        return m;
    }

    private Map<String, Object> trialFields(Trial t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("trial", t.number());
        Map<String, Object> v = new LinkedHashMap<>();
        for (int i = 0; i < t.values().size(); i++) {
            v.put(tuning.knobs().get(i).key(), t.values().get(i));
        }
        m.put("settings", v);
        if (t.changeSet() != null) {
            m.put("changeSet", t.changeSet());
        }
        m.putAll(t.measured().fields());
        return m;
    }

    /** A number for people: up to 4 significant digits, no exponent for ordinary sizes. */
    static String num(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
    }
}
