package dev.chameleon.server.service;

import static dev.chameleon.server.store.Database.instant;
import static dev.chameleon.server.store.Database.query;

import dev.chameleon.engine.Fingerprint;
import dev.chameleon.model.FactSet;
import dev.chameleon.server.auth.Grant;
import dev.chameleon.server.store.Database;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Proposals of learned tuning that agents made (an assigned {@code Tuning} run by the agent,
 * docs/tuning.md), offered to similar VMs: agents send each as an {@code event} report of type
 * {@code tuning-proposal} carrying its platform fingerprint ({@link Fingerprint#fields()}, with
 * its {@code key}) and the proposed policy's YAML, so it is stored with the agent's events (kind
 * {@code agent.tuning-proposal}, kept for the retention's {@code keepHistory}) and appears in the
 * event feed. This lists them by fingerprint key: the one given, or an agent's own, computed from
 * the facts it last reported with the same {@link Fingerprint} the agent uses. An operator turns
 * one into a policy with the policy upload ({@code PUT /api/v1/policies/{name}}): the proposal
 * is a complete {@code kind: Policy} document whose {@code when} matches that platform.
 */
public final class TuningProposals {
    /** The event kind proposals are stored under. */
    public static final String KIND = "agent.tuning-proposal";

    private final Database db;
    private final Inventory inventory;

    public TuningProposals(Database db, Inventory inventory) {
        this.db = db;
        this.inventory = inventory;
    }

    /**
     * One proposal as an agent sent it.
     *
     * @param agentId        the agent that measured it
     * @param seq            the event's sequence number in the feed
     * @param at             when the server stored it
     * @param tuning         the Tuning's {@code metadata.name}
     * @param fingerprintKey the platform it was measured on ({@code hypervisor=kvm cloud=none cpu="..." memory<=8GiB})
     * @param fingerprint    the fingerprint's parts as the agent sent them (hypervisor, cloud, cpuModel, memoryTierGiB, apps, key)
     * @param summary        one line: the tuning, the platform and the gain with its 95% interval
     * @param objective      {@code maximise PROBE} or {@code minimise PROBE} (the probe's command line, URL or metric); null from an agent
     *                       that did not send it
     * @param baseline       the baseline series as {@code chameleon tune -o json} gives it (measurements, mean, sd, stealPercent, load1); null when absent
     * @param best           the best trial as {@code chameleon tune -o json} gives it (trial, settings, mean, ...); null when absent
     * @param gain           the gain as {@code chameleon tune -o json} gives it (percent, ci95Low, ci95High, from, significant); null when absent
     * @param proposal       the proposed policy, YAML (a {@code kind: Policy} document with its evidence in comments)
     */
    public record Proposal(String agentId, long seq, Instant at, String tuning, String fingerprintKey, Object fingerprint, String summary,
                           String objective, Object baseline, Object best, Object gain, String proposal) {
    }

    /** The fingerprint key of agent {@code id}, from the facts it last reported; 404 when no such agent or no facts yet. */
    public String keyOf(Grant g, String id) {
        Object facts = inventory.document(g, id, "facts").document();
        if (!(facts instanceof Map<?, ?> m)) {
            throw ApiException.notFound("agent " + Names.shorten(id) + " has sent no facts yet");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> tree = (Map<String, Object>) m;
        return Fingerprint.of(FactSet.of(tree, Map.of())).key();
    }

    /** Every proposal whose fingerprint key is {@code key}, newest first. */
    public List<Proposal> matching(Grant g, String key) {
        List<Proposal> all = db.read(c -> query(c, "SELECT * FROM events WHERE kind = ? ORDER BY seq DESC", TuningProposals::row, KIND));
        return all.stream().filter(p -> key.equals(p.fingerprintKey())).toList();
    }

    private static Proposal row(ResultSet rs) throws SQLException {
        String detail = rs.getString("detail");
        Map<?, ?> m = detail == null ? Map.of() : Mapper.tree(detail) instanceof Map<?, ?> t ? t : Map.of();
        Object fp = m.get("fingerprint");
        String key = fp instanceof Map<?, ?> f && f.get("key") instanceof String k ? k : null;
        return new Proposal(rs.getString("agent_id"), rs.getLong("seq"), instant(rs, "at"), m.get("tuning") instanceof String t ? t : null,
                key, fp, m.get("summary") instanceof String s ? s : rs.getString("summary"), m.get("objective") instanceof String o ? o : null,
                m.get("baseline"), m.get("best"), m.get("gain"),
                m.get("proposal") instanceof String p ? p : null);
    }
}
