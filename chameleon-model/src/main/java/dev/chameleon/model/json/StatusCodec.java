package dev.chameleon.model.json;

import com.fasterxml.jackson.core.JsonParseException;
import dev.chameleon.model.event.Event;
import dev.chameleon.model.status.AgentStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The one codec of {@link AgentStatus}: one line of JSON, as the control socket answers {@code status}, and back. */
public final class StatusCodec {
    private StatusCodec() {
    }

    /** One line of JSON (no newline). */
    public static String write(AgentStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pid", s.pid());
        m.put("mode", s.mode());
        m.put("startedAt", s.startedAt());
        m.put("interval", s.interval());
        m.put("uevents", s.uevents());
        m.put("passes", s.passes());
        m.put("platform", s.platform());
        m.put("lastPass", s.lastPass() == null ? Map.of() : s.lastPass().fields());
        m.put("pending", s.pending());
        List<Object> drift = new ArrayList<>();
        for (AgentStatus.Drift d : s.drift()) {
            drift.add(Event.ordered("key", d.key(), "before", d.before(), "after", d.after(), "when", d.when()));
        }
        m.put("drift", drift);
        m.put("frozen", s.frozen());
        Map<String, Object> gate = new LinkedHashMap<>(s.healthGate().settings().fields());
        AgentStatus.Last last = s.healthGate().last();
        if (last == null) {
            gate.put("last", null);
        } else {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("at", last.at());
            l.putAll(last.outcome().fields());
            gate.put("last", l);
        }
        m.put("healthGate", gate);
        Map<String, Object> cost = new LinkedHashMap<>();
        AgentStatus.Cost c = s.cost();
        putIf(cost, "rssKiB", c.rssKiB());
        putIf(cost, "peakRssKiB", c.peakRssKiB());
        putIf(cost, "cpuMillis", c.cpuMillis());
        putIf(cost, "heapUsedKiB", c.heapUsedKiB());
        putIf(cost, "threads", c.threads());
        m.put("cost", cost);
        m.put("eventsFile", s.eventsFile());
        m.put("tunings", s.tunings());
        return Json.compact(m);
    }

    private static void putIf(Map<String, Object> m, String k, Object v) {
        if (v != null) {
            m.put(k, v);
        }
    }

    /**
     * Reads a status line.
     *
     * @throws JsonParseException not JSON
     * @throws IllegalArgumentException JSON, but not a status: names the field
     */
    public static AgentStatus read(String json) throws JsonParseException {
        Map<String, Object> m = Fields.map(Json.read(json.strip()), "the status");
        Map<String, Object> lp = Fields.map(m.get("lastPass"), "lastPass");
        Event.PassSummary lastPass = lp.isEmpty() ? null : EventCodec.passSummary(lp);
        List<AgentStatus.Drift> drift = new ArrayList<>();
        for (Object o : Fields.list(m.get("drift"), "drift")) {
            Map<String, Object> d = Fields.map(o, "drift[]");
            drift.add(new AgentStatus.Drift(Fields.text(d, "key"), Fields.text(d, "before"), Fields.text(d, "after"), Fields.text(d, "when")));
        }
        Map<String, Object> g = Fields.map(m.get("healthGate"), "healthGate");
        AgentStatus.Last last = null;
        if (g.get("last") != null) {
            Map<String, Object> l = Fields.map(g.get("last"), "healthGate.last");
            last = new AgentStatus.Last(Fields.text(l, "at"), EventCodec.gateOutcome(l));
        }
        Map<String, Object> c = Fields.map(m.get("cost"), "cost");
        return new AgentStatus(Fields.number(m, "pid"), Fields.text(m, "mode"), Fields.text(m, "startedAt"), Fields.text(m, "interval"),
                Fields.text(m, "uevents"), Fields.number(m, "passes"), Fields.map(m.get("platform"), "platform"), lastPass,
                Fields.texts(m, "pending"), drift, Fields.texts(m, "frozen"),
                new AgentStatus.Gate(EventCodec.gateSettings(g), last),
                new AgentStatus.Cost(Fields.optNumber(c, "rssKiB"), Fields.optNumber(c, "peakRssKiB"), Fields.optNumber(c, "cpuMillis"),
                        Fields.optNumber(c, "heapUsedKiB"), Fields.optNumber(c, "threads")),
                Fields.text(m, "eventsFile"), m.containsKey("tunings") ? Fields.texts(m, "tunings") : List.of()); // absent from an older agent
    }
}
