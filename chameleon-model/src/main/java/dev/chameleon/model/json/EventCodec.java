package dev.chameleon.model.json;

import com.fasterxml.jackson.core.JsonParseException;
import dev.chameleon.model.event.Event;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one codec of {@link Event}: one line of the events file,
 * {@code {"time": ISO-8601, "event": TYPE, FIELDS...}}, and back.
 */
public final class EventCodec {
    private EventCodec() {
    }

    /** One line of JSON (no newline): {@code time}, {@code event}, then the event's fields in order. */
    public static String write(Event.Logged e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("time", e.time().toString());
        m.put("event", e.event().type());
        m.putAll(e.event().fields());
        return Json.compact(m);
    }

    /**
     * Reads one line of the events file.
     *
     * @throws JsonParseException not JSON
     * @throws IllegalArgumentException JSON, but not an event: an unknown {@code event} word or a
     *                                  field of the wrong shape, named
     */
    public static Event.Logged read(String line) throws JsonParseException {
        Map<String, Object> m = Fields.map(Json.read(line.strip()), "the event");
        Instant time;
        try {
            time = Instant.parse(Fields.text(m, "time"));
        } catch (DateTimeParseException ex) {
            throw new IllegalArgumentException("time: not an ISO-8601 instant: '" + m.get("time") + "'");
        }
        String type = Fields.text(m, "event");
        Event e = switch (type) {
            case "start" -> new Event.Start(Fields.text(m, "mode"), Fields.text(m, "interval"), Fields.text(m, "state"),
                    Fields.text(m, "socket"), Fields.number(m, "pid"), Fields.optText(m, "metrics"));
            case "trigger" -> new Event.Triggered(Fields.text(m, "source"), Fields.text(m, "detail"), (int) Fields.number(m, "events"));
            case "config" -> new Event.ConfigReloaded(Fields.text(m, "mode"), Fields.text(m, "interval"), Fields.text(m, "splay"),
                    m.get("healthGate") instanceof Map<?, ?> ? gateSettings(Fields.map(m.get("healthGate"), "healthGate")) : null);
            case "reload" -> new Event.PoliciesReloaded((int) Fields.number(m, "policies"));
            case "error" -> new Event.Problem(Fields.text(m, "message"));
            case "notice" -> new Event.Notice(Fields.text(m, "message"));
            case "stop" -> new Event.Stop(Fields.text(m, "message"));
            case "pass" -> new Event.PassDone(passSummary(m));
            case "change-set" -> new Event.ChangeSetRecorded(Fields.text(m, "id"), Fields.text(m, "status"), Fields.bool(m, "ok"),
                    Fields.text(m, "message"), Fields.texts(m, "entries"));
            case "health-gate" -> new Event.HealthGateJudged(gateOutcome(m));
            case "external-change" -> new Event.ExternalChange(Fields.text(m, "key"), Fields.text(m, "before"), Fields.text(m, "after"),
                    Fields.text(m, "when"), Fields.text(m, "mode"), Fields.text(m, "policy"));
            case "frozen" -> new Event.Frozen(Fields.text(m, "key"), Fields.text(m, "reason"));
            case "tuning" -> new Event.Tuned(Fields.text(m, "tuning"), Fields.text(m, "status"), Fields.text(m, "message"),
                    Fields.optText(m, "result"), Fields.optText(m, "proposal"), Fields.optText(m, "approved"));
            default -> throw new IllegalArgumentException("event: '" + type + "' is not an event of the agent");
        };
        return new Event.Logged(time, e);
    }

    static Event.PassSummary passSummary(Map<String, Object> m) {
        Long pending = Fields.optNumber(m, "pending");
        Long drift = Fields.optNumber(m, "drift");
        return new Event.PassSummary(Fields.text(m, "at"), Fields.text(m, "trigger"), Fields.text(m, "detail"), Fields.text(m, "mode"),
                m.get("evaluated") == null ? null : Fields.bool(m, "evaluated"), pending == null ? null : pending.intValue(),
                drift == null ? null : drift.intValue(), Fields.optText(m, "changeSet"), Fields.optText(m, "healthGate"),
                Fields.optText(m, "error"), Fields.number(m, "durationMillis"));
    }

    static Event.GateSettings gateSettings(Map<String, Object> m) {
        return new Event.GateSettings(Fields.bool(m, "enabled"), Fields.texts(m, "command"), Fields.text(m, "url"), Fields.text(m, "timeout"),
                Fields.text(m, "settle"));
    }

    static Event.GateOutcome gateOutcome(Map<String, Object> m) {
        List<Event.Check> checks = new ArrayList<>();
        for (Object o : Fields.list(m.get("checks"), "checks")) {
            Map<String, Object> c = Fields.map(o, "checks[]");
            Long exit = Fields.optNumber(c, "exitCode");
            Long http = Fields.optNumber(c, "httpStatus");
            checks.add(new Event.Check(Fields.text(c, "check"), Fields.text(c, "target"), Fields.text(c, "outcome"),
                    exit == null ? null : exit.intValue(), http == null ? null : http.intValue(), Fields.text(c, "excerpt"),
                    Fields.number(c, "durationMillis")));
        }
        return new Event.GateOutcome(Fields.text(m, "changeSet"), Fields.text(m, "outcome"), checks, Fields.optText(m, "failed"),
                Fields.optText(m, "rollback"), Fields.optText(m, "message"), m.get("frozen") == null ? null : Fields.texts(m, "frozen"));
    }
}
