package dev.chameleon.server.service;

import static dev.chameleon.server.store.Database.instant;
import static dev.chameleon.server.store.Database.one;
import static dev.chameleon.server.store.Database.query;

import dev.chameleon.server.auth.Grant;
import dev.chameleon.server.store.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The hardware advice agents send (the hardware check against the {@code general} profile and,
 * with a migration target, readiness; {@code engine.hardware.Advice}): per agent, the latest one.
 *
 * <p>Agents send advice as an {@code event} report of type {@code advice} when it changed
 * (docs/control-plane.md), so it is stored with the agent's events (kind {@code agent.advice},
 * kept for the retention's {@code keepHistory}) and appears in the event feed; this reads the
 * newest of them.
 */
public final class AdviceViews {
    /** The event kind advice is stored under. */
    public static final String KIND = "agent.advice";

    private final Database db;
    private final Inventory inventory;

    public AdviceViews(Database db, Inventory inventory) {
        this.db = db;
        this.inventory = inventory;
    }

    /**
     * One agent's latest advice.
     *
     * @param agentId the agent
     * @param seq     the event's sequence number in the feed
     * @param at      when the server stored it
     * @param summary one line: {@code hardware (general): 1 failing (nic.model); readiness for kvm: 2 failing (...)}
     * @param advice  {@code {summary, hardware: {...}, readiness: {...}}} as the agent sent it (docs/hardware.md shapes)
     */
    public record AgentAdvice(String agentId, long seq, Instant at, String summary, Object advice) {
    }

    /** The latest advice of agent {@code id}; 404 when there is no such agent or it sent none. */
    public AgentAdvice ofAgent(Grant g, String id) {
        inventory.agent(g, id);
        return db.read(c -> one(c, "SELECT * FROM events WHERE agent_id = ? AND kind = ? ORDER BY seq DESC LIMIT 1", AdviceViews::row, id, KIND))
                .orElseThrow(() -> ApiException.notFound("agent " + Names.shorten(id) + " has sent no hardware advice yet"));
    }

    /** Every agent's latest advice, by agent id; with {@code failingOnly}, only agents whose advice has a failing check. */
    public List<AgentAdvice> fleet(Grant g, boolean failingOnly) {
        List<AgentAdvice> all = db.read(c -> query(c, "SELECT e.* FROM events e JOIN (SELECT agent_id, MAX(seq) AS m FROM events "
                + "WHERE kind = ? GROUP BY agent_id) x ON e.seq = x.m ORDER BY e.agent_id", AdviceViews::row, KIND));
        return failingOnly ? all.stream().filter(AdviceViews::failing).toList() : all;
    }

    static boolean failing(AgentAdvice a) {
        if (!(a.advice() instanceof Map<?, ?> m)) {
            return false;
        }
        for (String part : List.of("hardware", "readiness")) {
            if (m.get(part) instanceof Map<?, ?> p && p.get("summary") instanceof Map<?, ?> s && s.get("fail") instanceof Number n
                    && n.longValue() > 0) {
                return true;
            }
        }
        return false;
    }

    private static AgentAdvice row(ResultSet rs) throws SQLException {
        String detail = rs.getString("detail");
        Object advice = null;
        if (detail != null) {
            Object tree = Mapper.tree(detail);
            advice = tree instanceof Map<?, ?> m && m.containsKey("advice") ? m.get("advice") : tree;
        }
        // the advice's own summary; the event's summary column is the feed's line ("agent ID: ...")
        String summary = advice instanceof Map<?, ?> m && m.get("summary") instanceof String s ? s : rs.getString("summary");
        return new AgentAdvice(rs.getString("agent_id"), rs.getLong("seq"), instant(rs, "at"), summary, advice);
    }
}
