package dev.chameleon.server.service;

import dev.chameleon.engine.Fingerprint;
import dev.chameleon.model.FactSet;
import dev.chameleon.policy.FactSchema;
import dev.chameleon.server.store.AgentStore;
import dev.chameleon.server.store.Database;
import dev.chameleon.server.store.EventStore;
import dev.chameleon.server.store.ReportStore;
import dev.chameleon.wire.BundleSigner;
import dev.chameleon.wire.Json;
import dev.chameleon.wire.Report;
import dev.chameleon.wire.ReportBatch;
import dev.chameleon.wire.ReportKind;
import dev.chameleon.wire.ReportReceipt;
import dev.chameleon.wire.WireFormatException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Takes agents' report batches, once each: a report id this agent sent before is acknowledged as a
 * duplicate and changes nothing. A batch is one transaction: all of it is stored or none.
 *
 * <p>Per kind: {@code facts} replace the agent's facts when their canonical JSON changed (and
 * the platform columns the summary groups by); {@code plan} replaces its plan and pending count
 * ({@code summary.change}); {@code current-values} replace its current values (for the
 * simulation of part 2); {@code status} updates mode, pending changes, drift and running bundle
 * and is kept (the agent's cost over time); {@code change-set} and {@code event} are kept as its
 * history and appear in the fleet-wide feed.
 */
public final class Reports {
    private static final Pattern EVENT_TYPE = ReportShapes.EVENT_TYPE;

    private final Database db;
    private final Clock clock;
    private final Notifier notifier;
    private volatile java.util.function.Consumer<String> factsChanged = id -> { };

    /**
     * Told, after the transaction, the id of an agent whose facts changed (the bundle service
     * decides again whether its selectors still pick it, and wakes its long poll when its bundle moved).
     */
    public void onFactsChanged(java.util.function.Consumer<String> listener) {
        factsChanged = java.util.Objects.requireNonNull(listener);
    }

    public Reports(Database db, Clock clock, Notifier notifier) {
        this.db = db;
        this.clock = clock;
        this.notifier = notifier;
    }

    /**
     * A fact tree checked to be plain values, with its canonical hash, platform columns and
     * {@code failingSensors}: see {@link #failingSensors(Map)}.
     */
    record Facts(String json, String hash, String hypervisor, String cloud, String container, int failingSensors) {
    }

    /**
     * How many sensors of a fact tree failed or met problems: entries of {@code meta.sensors} whose
     * {@code status} is {@code failed} or {@code timeout}, or whose {@code problems} list (sources
     * that were there but unusable, e.g. an unreadable file; dev.chameleon.sensors.SensorSuite) is
     * not empty. A sensor switched off ({@code disabled}) is not failing. 0 when the tree has no
     * {@code meta.sensors}.
     */
    static int failingSensors(Map<?, ?> tree) {
        if (!(tree.get("meta") instanceof Map<?, ?> meta) || !(meta.get("sensors") instanceof Map<?, ?> sensors)) {
            return 0;
        }
        int n = 0;
        for (Object st : sensors.values()) {
            if (st instanceof Map<?, ?> m && ("failed".equals(m.get("status")) || "timeout".equals(m.get("status"))
                    || m.get("problems") instanceof List<?> l && !l.isEmpty())) {
                n++;
            }
        }
        return n;
    }

    /** Checks a facts payload; 400 naming the problem when it is not a plain fact tree. */
    Facts facts(String json) {
        Object tree;
        try {
            tree = Json.parse(json);
        } catch (WireFormatException e) {
            throw ApiException.invalid("facts: " + e.getMessage());
        }
        if (!(tree instanceof Map<?, ?> m)) {
            throw ApiException.invalid("facts must be a JSON object");
        }
        if (m.containsKey("meta")) {
            // the sensors' outcomes are counted (failingSensors): their shape is checked as strictly as the other kinds'
            List<String> meta = new ArrayList<>();
            ReportShapes.FACTS_META.check("meta", m.get("meta"), meta);
            refuseMisfit("facts", meta.size() > 20 ? meta.subList(0, 20) : meta);
        }
        FactSet fs;
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> typed = (Map<String, Object>) m;
            fs = FactSet.of(typed, Map.of());
        } catch (IllegalArgumentException e) {
            throw ApiException.invalid("facts: " + e.getMessage());
        }
        // known facts must have their schema's types (selectors read them); facts the schema does not
        // name yet are kept (a newer agent may report more)
        List<String> wrong = FactSchema.standard().check(fs.asMap()).stream().filter(p -> !p.startsWith("unknown fact")).toList();
        if (!wrong.isEmpty()) {
            throw ApiException.invalid("facts do not fit the fact schema", wrong.size() > 20 ? wrong.subList(0, 20) : wrong);
        }
        String canonical = Json.canonical(tree);
        return new Facts(json, BundleSigner.sha256(canonical.getBytes(StandardCharsets.UTF_8)),
                column(fs, "platform.hypervisor"), column(fs, "platform.cloud"), column(fs, "platform.container"), failingSensors(m));
    }

    private static String column(FactSet fs, String path) {
        return fs.getString(path).map(s -> s.length() > 40 ? s.substring(0, 40) : s).orElse(null);
    }

    static long nextRev(Database db, Connection c) throws SQLException {
        return db.nextval(c, "agent_revisions");
    }

    /** Stores facts on the agent's row when they differ from what is there; whether they did. */
    boolean storeFacts(Connection c, String agentId, Facts f, Instant at) throws SQLException {
        AgentStore.FactsState before = AgentStore.factsState(c, agentId);
        if (before != null && before.hash() != null && before.hash().strip().equals(f.hash())) {
            if (before.failingSensors() == null) {
                // the same facts as before the failing_sensors column came: fill it, nothing else moved
                AgentStore.failingSensors(c, agentId, f.failingSensors());
            }
            return false;
        }
        AgentStore.facts(c, agentId, f.json(), f.hash(), f.hypervisor(), f.cloud(), f.container(), f.failingSensors(), at,
                nextRev(db, c));
        return true;
    }

    /**
     * Stores a batch from an agent.
     *
     * @throws ApiException 400 when a payload does not fit its kind (nothing of the batch is stored)
     */
    public ReportReceipt ingest(String agentId, ReportBatch batch) {
        // check every payload before touching the database
        List<Object> checked = new ArrayList<>();
        for (Report r : batch.reports()) {
            checked.add(check(r));
        }
        checkProposals(agentId, batch, checked);
        boolean[] wake = {false};
        boolean[] newFacts = {false};
        ReportReceipt receipt = db.tx(c -> {
            Instant now = clock.instant();
            List<String> accepted = new ArrayList<>();
            List<String> duplicates = new ArrayList<>();
            boolean events = false;
            for (int i = 0; i < batch.reports().size(); i++) {
                Report r = batch.reports().get(i);
                boolean keep = r.kind() == ReportKind.CHANGE_SET || r.kind() == ReportKind.EVENT || r.kind() == ReportKind.STATUS;
                if (!ReportStore.insertOnce(c, agentId, r.id(), r.kind().wire(), Instant.parse(r.time()), now, keep ? r.payload() : null)) {
                    duplicates.add(r.id());
                    continue;
                }
                accepted.add(r.id());
                if (r.kind() == ReportKind.FACTS) {
                    newFacts[0] |= storeFacts(c, agentId, (Facts) checked.get(i), Instant.parse(r.time()));
                    continue;
                }
                events |= apply(c, agentId, r, checked.get(i), now);
            }
            AgentStore.seen(c, agentId, now);
            if (events) {
                wake[0] = true;
            }
            return new ReportReceipt(accepted, duplicates);
        });
        if (wake[0]) {
            notifier.poke();
        }
        if (newFacts[0]) {
            try {
                factsChanged.accept(agentId);
            } catch (RuntimeException e) {
                // the bundle is decided again at the agent's next fetch anyway
            }
        }
        return receipt;
    }

    /**
     * What a payload was checked into: Facts, or the payload tree checked against its kind's shape
     * ({@link ReportShapes}); 400 naming the report, its kind and the first field that does not fit
     * (every such field in {@code errors}, at most 20).
     */
    private Object check(Report r) {
        if (r.kind() == ReportKind.FACTS) {
            try {
                return facts(r.payload());
            } catch (ApiException e) {
                throw ApiException.invalid("report " + r.id() + " (facts): " + e.getMessage(), e.errors());
            }
        }
        Object tree;
        try {
            tree = Json.parse(r.payload());
        } catch (WireFormatException e) {
            throw ApiException.invalid("report " + r.id() + ": " + e.getMessage());
        }
        ReportShapes.Shape shape = switch (r.kind()) {
            case STATUS -> ReportShapes.STATUS;
            case PLAN -> ReportShapes.PLAN;
            case CURRENT_VALUES -> ReportShapes.CURRENT_VALUES;
            case CHANGE_SET -> ReportShapes.CHANGE_SET;
            case EVENT -> ReportShapes.event(tree instanceof Map<?, ?> m ? m.get("type") : null);
            default -> throw new IllegalStateException(r.kind().toString());
        };
        refuseMisfit("report " + r.id() + " (" + r.kind().wire() + ")", ReportShapes.check(shape, tree));
        return tree;
    }

    /**
     * Checks each {@code tuning-proposal} event against its sender: the fingerprint's key must be
     * the one its fields make ({@link Fingerprint#fromFields}, the agent's own code), and its
     * platform fields must be those of the agent's last facts (the latest facts report earlier in
     * the batch, else the facts stored for it); 400 naming the field otherwise. The apps are not
     * compared (a workload may start or stop between the tuning run and the report).
     */
    private void checkProposals(String agentId, ReportBatch batch, List<Object> checked) {
        String[] stored = null;
        Facts latest = null;
        for (int i = 0; i < batch.reports().size(); i++) {
            Report r = batch.reports().get(i);
            if (r.kind() == ReportKind.FACTS) {
                latest = (Facts) checked.get(i);
                continue;
            }
            if (r.kind() != ReportKind.EVENT || !(checked.get(i) instanceof Map<?, ?> ev) || !"tuning-proposal".equals(ev.get("type"))) {
                continue;
            }
            String what = "report " + r.id() + " (event tuning-proposal)";
            Map<?, ?> fp = (Map<?, ?>) ev.get("fingerprint"); // checked: an object with a string key
            Fingerprint sent = Fingerprint.fromFields(fp);
            if (!sent.key().equals(fp.get("key"))) {
                throw ApiException.invalid(what + ": fingerprint.key: is \"" + Names.shorten((String) fp.get("key"))
                        + "\", but the fingerprint's fields make \"" + Names.shorten(sent.key()) + "\"");
            }
            String factsJson;
            if (latest != null) {
                factsJson = latest.json();
            } else {
                if (stored == null) {
                    stored = new String[] {db.read(c -> AgentStore.factsText(c, agentId))};
                }
                factsJson = stored[0];
            }
            if (factsJson == null) {
                throw ApiException.invalid(what + ": fingerprint: agent " + agentId + " has sent no facts yet to check it against");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> tree = (Map<String, Object>) parse(factsJson);
            Fingerprint own = Fingerprint.of(FactSet.of(tree, Map.of()));
            mustMatch(what, "hypervisor", "platform.hypervisor", sent.hypervisor(), own.hypervisor());
            mustMatch(what, "cloud", "platform.cloud", sent.cloud(), own.cloud());
            mustMatch(what, "cpuModel", "cpu.model", sent.cpuModel(), own.cpuModel());
            mustMatch(what, "memoryTierGiB", "memory.totalBytes", sent.memoryTierGiB(), own.memoryTierGiB());
        }
    }

    private static Object parse(String json) {
        try {
            return Json.parse(json);
        } catch (WireFormatException e) {
            throw new IllegalStateException("stored facts do not read: " + e.getMessage(), e);
        }
    }

    private static void mustMatch(String what, String field, String fact, java.util.Optional<?> sent, java.util.Optional<?> own) {
        if (!sent.equals(own)) {
            throw ApiException.invalid(what + ": fingerprint." + field + ": is " + sent.map(v -> "\"" + Names.shorten(String.valueOf(v)) + "\"")
                    .orElse("absent") + ", but the agent's last facts make it " + own.map(v -> "\"" + Names.shorten(String.valueOf(v)) + "\"")
                    .orElse("absent") + " (from " + fact + "): a proposal is accepted only for the platform of the agent that sends it");
        }
    }

    private static void refuseMisfit(String what, List<String> errors) {
        if (!errors.isEmpty()) {
            throw ApiException.invalid(what + ": " + errors.get(0) + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : ""),
                    errors);
        }
    }

    @SuppressWarnings("unchecked")
    private boolean apply(Connection c, String agentId, Report r, Object checked, Instant now) throws SQLException {
        Instant at = Instant.parse(r.time());
        switch (r.kind()) {
            case FACTS:
                storeFacts(c, agentId, (Facts) checked, at);
                return false;
            case PLAN: {
                Map<String, Object> plan = (Map<String, Object>) checked;
                Integer pending = plan.get("summary") instanceof Map<?, ?> s && s.get("change") instanceof Long n
                        ? (int) Math.min(Integer.MAX_VALUE, n) : null;
                AgentStore.plan(c, agentId, r.payload(), pending, at);
                return false;
            }
            case CURRENT_VALUES:
                AgentStore.currentValues(c, agentId, r.payload(), at);
                return false;
            case STATUS: {
                Map<String, Object> s = (Map<String, Object>) checked;
                String mode = (String) s.get("mode"); // checked: one of ReportShapes.MODES
                AgentStore.status(c, agentId, r.payload(), mode, intOf(s.get("pendingChanges")), intOf(s.get("drift")),
                        s.get("bundleVersion") instanceof Long v ? v : null, at);
                return false;
            }
            case CHANGE_SET: {
                Map<String, Object> cs = (Map<String, Object>) checked;
                int n = cs.get("entries") instanceof List<?> l ? l.size() : 0;
                String status = cs.get("status") instanceof String st ? st : "reported";
                EventStore.append(c, now, agentId, "change-set", "agent " + agentId + ": change set " + text(cs.get("id")) + " "
                        + status + ", " + n + " setting" + (n == 1 ? "" : "s"), r.payload());
                return true;
            }
            case EVENT: {
                Map<String, Object> ev = (Map<String, Object>) checked;
                String type = ev.get("type") instanceof String t && EVENT_TYPE.matcher(t).matches() ? t : "event";
                String summary = ev.get("summary") instanceof String s ? s : ev.get("message") instanceof String m ? m : type;
                EventStore.append(c, now, agentId, "agent." + type, "agent " + agentId + ": " + Names.shorten(summary), r.payload());
                return true;
            }
            default:
                throw new IllegalStateException(r.kind().toString());
        }
    }

    private static Integer intOf(Object o) {
        return o instanceof Long n && n >= 0 && n <= Integer.MAX_VALUE ? n.intValue() : null;
    }

    private static String text(Object o) {
        return o instanceof String s ? Names.shorten(s) : "?";
    }
}
