package dev.chameleon.model.event;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What the agent reports, one record per kind of event (docs/agent-loop.md). Each has its
 * {@link #type()} (the {@code event} word of the events file) and {@link #fields()}: its values
 * as an ordered plain-value map, the order they are written in. {@link Logged} adds the time;
 * {@link dev.chameleon.model.json.EventCodec} is the codec of one line of the events file.
 */
public sealed interface Event {
    /** The event word: {@code start}, {@code trigger}, {@code pass}, ... */
    String type();

    /** The fields after {@code time} and {@code event}, in written order; absent values left out. */
    Map<String, Object> fields();

    /** An event with the time it happened. */
    record Logged(Instant time, Event event) {
        public Logged {
            Objects.requireNonNull(time, "time");
            Objects.requireNonNull(event, "event");
        }
    }

    /** The agent started: its mode, interval, state folder, socket, pid and metrics URL (null when off). */
    record Start(String mode, String interval, String state, String socket, long pid, String metrics) implements Event {
        public String type() {
            return "start";
        }

        public Map<String, Object> fields() {
            Map<String, Object> m = ordered("mode", mode, "interval", interval, "state", state, "socket", socket, "pid", pid);
            putIf(m, "metrics", metrics);
            return m;
        }
    }

    /** Events that start a pass, debounced into one: sources joined with {@code +}, the first one's detail, how many. */
    record Triggered(String source, String detail, int events) implements Event {
        public String type() {
            return "trigger";
        }

        public Map<String, Object> fields() {
            return ordered("source", source, "detail", detail, "events", events);
        }
    }

    /** The configuration was read again (SIGHUP): what now holds; {@code healthGate} null when off. */
    record ConfigReloaded(String mode, String interval, String splay, GateSettings healthGate) implements Event {
        public String type() {
            return "config";
        }

        public Map<String, Object> fields() {
            return ordered("mode", mode, "interval", interval, "splay", splay, "healthGate", healthGate == null ? "off" : healthGate.fields());
        }
    }

    /** The policies were compiled again: how many are loaded. */
    record PoliciesReloaded(int policies) implements Event {
        public String type() {
            return "reload";
        }

        public Map<String, Object> fields() {
            return ordered("policies", policies);
        }
    }

    /** Something went wrong and was reported, not thrown (event {@code error}). */
    record Problem(String message) implements Event {
        public String type() {
            return "error";
        }

        public Map<String, Object> fields() {
            return ordered("message", message);
        }
    }

    /** A remark for the operator (how uevents are heard, ...). */
    record Notice(String message) implements Event {
        public String type() {
            return "notice";
        }

        public Map<String, Object> fields() {
            return ordered("message", message);
        }
    }

    /** The agent stops; the machine is left as it is. */
    record Stop(String message) implements Event {
        public String type() {
            return "stop";
        }

        public Map<String, Object> fields() {
            return ordered("message", message);
        }
    }

    /**
     * The agent ran an assigned Tuning (docs/tuning.md), or could not (event {@code tuning}).
     *
     * @param tuning   the Tuning's {@code metadata.name}
     * @param status   {@code started}, {@code done} (a result; with or without a proposal), {@code stopped} (the agent
     *                 stopped, the window closed; the trial under way undone) or {@code failed} (with why)
     * @param message  for people: the gain with its interval, the trials run and what ended them, or why it failed
     * @param result   the result file in the state folder ({@code STATE/tuning/NAME.json}); null when none was written
     * @param proposal the proposed policy's file in the state folder; null when there is no proposal
     * @param approved the policy file the proposal was approved into ({@code spec.approve: auto}); null when not approved
     */
    record Tuned(String tuning, String status, String message, String result, String proposal, String approved) implements Event {
        public String type() {
            return "tuning";
        }

        public Map<String, Object> fields() {
            Map<String, Object> m = ordered("tuning", tuning, "status", status, "message", message);
            putIf(m, "result", result);
            putIf(m, "proposal", proposal);
            putIf(m, "approved", approved);
            return m;
        }
    }

    /** A pass ended. */
    record PassDone(PassSummary pass) implements Event {
        public String type() {
            return "pass";
        }

        public Map<String, Object> fields() {
            return pass.fields();
        }
    }

    /**
     * The agent applied or rolled back a change set.
     *
     * @param entries each change in words: {@code verified KEY: BEFORE -> AFTER (undo: COMMAND)}
     */
    record ChangeSetRecorded(String id, String status, boolean ok, String message, List<String> entries) implements Event {
        public ChangeSetRecorded {
            entries = List.copyOf(entries);
        }

        public String type() {
            return "change-set";
        }

        public Map<String, Object> fields() {
            return ordered("id", id, "status", status, "ok", ok, "message", message, "entries", entries);
        }
    }

    /** The health gate judged a change set. */
    record HealthGateJudged(GateOutcome outcome) implements Event {
        public String type() {
            return "health-gate";
        }

        public Map<String, Object> fields() {
            return outcome.fields();
        }
    }

    /**
     * A managed setting was found changed by someone else.
     *
     * @param before the value the journal says the agent left
     * @param after  the value found now
     * @param when   when first seen (ISO-8601)
     */
    record ExternalChange(String key, String before, String after, String when, String mode, String policy) implements Event {
        public String type() {
            return "external-change";
        }

        public Map<String, Object> fields() {
            return ordered("key", key, "before", before, "after", after, "when", when, "mode", mode, "policy", policy);
        }
    }

    /** A setting is left alone until the agent restarts (it flapped, or failed the health gate). */
    record Frozen(String key, String reason) implements Event {
        public String type() {
            return "frozen";
        }

        public Map<String, Object> fields() {
            return ordered("key", key, "reason", reason);
        }
    }

    /**
     * What one pass did (the {@code pass} event, and {@code lastPass} of the status). Absent
     * values are null and left out.
     *
     * @param at             when it started (ISO-8601)
     * @param trigger        what started it ({@code start}, {@code interval}, {@code uevent+sighup}, ...)
     * @param mode           {@code plan} or {@code apply}
     * @param evaluated      false when the facts and policies were as last time, so the decisions were reused
     * @param pending        changes the plan found
     * @param drift          settings changed by someone else and not put back
     * @param changeSet      the change set applied this pass
     * @param healthGate     the gate's outcome for it ({@code passed}, {@code failed}, {@code not-checked})
     * @param error          why the pass failed
     * @param durationMillis how long it took, ms
     */
    record PassSummary(String at, String trigger, String detail, String mode, Boolean evaluated, Integer pending, Integer drift,
                       String changeSet, String healthGate, String error, long durationMillis) {
        public Map<String, Object> fields() {
            Map<String, Object> m = ordered("at", at, "trigger", trigger, "detail", detail, "mode", mode);
            putIf(m, "evaluated", evaluated);
            putIf(m, "pending", pending);
            putIf(m, "drift", drift);
            putIf(m, "changeSet", changeSet);
            putIf(m, "healthGate", healthGate);
            putIf(m, "error", error);
            m.put("durationMillis", durationMillis);
            return m;
        }
    }

    /**
     * The health gate's settings as reports show them.
     *
     * @param command the program and its arguments; empty for none
     * @param url     the URL, or empty for none
     * @param timeout {@code 30s}, {@code 500ms}: the largest unit that divides it
     */
    record GateSettings(boolean enabled, List<String> command, String url, String timeout, String settle) {
        public GateSettings {
            command = List.copyOf(command);
        }

        public Map<String, Object> fields() {
            return ordered("enabled", enabled, "command", command, "url", url, "timeout", timeout, "settle", settle);
        }
    }

    /**
     * One health check's result.
     *
     * @param check   {@code command} or {@code url}
     * @param outcome {@code passed}, {@code failed}, {@code timeout} or {@code error}
     * @param exitCode   the command's exit code when it ran, else null
     * @param httpStatus the HTTP status when the URL answered, else null
     */
    record Check(String check, String target, String outcome, Integer exitCode, Integer httpStatus, String excerpt,
                 long durationMillis) {
        public Map<String, Object> fields() {
            Map<String, Object> m = ordered("check", check, "target", target, "outcome", outcome);
            putIf(m, "exitCode", exitCode);
            putIf(m, "httpStatus", httpStatus);
            m.put("excerpt", excerpt);
            m.put("durationMillis", durationMillis);
            return m;
        }
    }

    /**
     * What the health gate did with one change set.
     *
     * @param outcome  {@code passed}, {@code failed} or {@code not-checked}
     * @param failed   the failed checks in words (after a failure), else null
     * @param rollback the change set's status after the rollback ({@code rolled-back},
     *                 {@code rollback-incomplete}, {@code not-started}) after a failure, else null
     * @param message  what was undone, or why nothing was; null when it passed
     * @param frozen   the keys left alone from now on (after a failure), else null
     */
    record GateOutcome(String changeSet, String outcome, List<Check> checks, String failed, String rollback, String message,
                       List<String> frozen) {
        public GateOutcome {
            checks = List.copyOf(checks);
            frozen = frozen == null ? null : List.copyOf(frozen);
        }

        public Map<String, Object> fields() {
            Map<String, Object> m = ordered("changeSet", changeSet, "outcome", outcome, "checks", checks.stream().map(Check::fields).toList());
            putIf(m, "failed", failed);
            putIf(m, "rollback", rollback);
            putIf(m, "message", message);
            putIf(m, "frozen", frozen);
            return m;
        }
    }

    /** A map of the key-value pairs in order. */
    static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static void putIf(Map<String, Object> m, String k, Object v) {
        if (v != null) {
            m.put(k, v);
        }
    }
}
