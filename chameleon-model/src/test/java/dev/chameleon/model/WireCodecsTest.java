package dev.chameleon.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.chameleon.model.event.Event;
import dev.chameleon.model.json.EventCodec;
import dev.chameleon.model.json.FactSetCodec;
import dev.chameleon.model.json.Json;
import dev.chameleon.model.json.PlanCodec;
import dev.chameleon.model.json.StatusCodec;
import dev.chameleon.model.plan.PlanDocument;
import dev.chameleon.model.status.AgentStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The model's wire codecs: what they write is what ObjectMapper writes for the same tree (so the
 * JSON people and programs saw before is unchanged), and what they write reads back equal.
 */
class WireCodecsTest {
    static final ObjectMapper COMPACT = new ObjectMapper();
    static final ObjectMapper INDENTED = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    static Arbitrary<String> text() {
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(20), Arbitraries.of("", "quote \" back\\slash\nnl", "é 日本 \uD83D\uDE00"));
    }

    static Arbitrary<String> maybe() {
        return Arbitraries.oneOf(text(), Arbitraries.just(null));
    }

    @Provide
    Arbitrary<PlanDocument> plans() {
        Arbitrary<PlanDocument.Platform> platform = Combinators.combine(maybe(), maybe(), maybe(), maybe(),
                Arbitraries.oneOf(Arbitraries.doubles().between(0, 1).map(d -> (Number) d), Arbitraries.just(null)))
                .as(PlanDocument.Platform::new);
        Arbitrary<PolicyMode> mode = Arbitraries.of(PolicyMode.class);
        Arbitrary<PlanDocument.PolicyRow> row = Combinators.combine(text(), text(), Arbitraries.integers().between(0, 1000), mode, text(),
                        Arbitraries.of(true, false), maybe(), text().list().ofMaxSize(3))
                .as(PlanDocument.PolicyRow::new);
        Arbitrary<SettingKey> key = Combinators.combine(Arbitraries.of("sysctl", "blockQueue", "file"),
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8)).as(SettingKey::new);
        Arbitrary<PlanDocument.Entry> entry = Combinators.combine(key, Arbitraries.of(PlanDocument.Action.class), text(), text(), maybe(),
                        text(), text(), Arbitraries.integers().between(0, 1000))
                .flatAs((k, a, cur, des, tgt, pol, src, pri) -> Combinators.combine(mode, Arbitraries.of(true, false), text(),
                        text().list().ofMaxSize(3), maybe(), maybe())
                        .as((m, ap, cond, facts, el, note) -> new PlanDocument.Entry(k, a, cur, des, tgt, pol, src, pri, m, ap, cond, facts, el, note)));
        return Combinators.combine(platform, row.list().ofMaxSize(3), entry.list().ofMaxSize(5))
                .as((p, rows, entries) -> new PlanDocument(p, rows, entries, PlanDocument.count(entries)));
    }

    @Property(tries = 200)
    void planDocumentsAreWrittenAsObjectMapperWritesTheTreeAndReadBack(@ForAll("plans") PlanDocument d) throws Exception {
        String json = PlanCodec.write(d);
        assertThat(json).isEqualTo(INDENTED.writeValueAsString(PlanCodec.tree(d)));
        assertThat(PlanCodec.read(json)).isEqualTo(d);
    }

    @Test
    void theSummaryCountsAsThePlanDid() {
        PlanDocument.Entry change = entry(PlanDocument.Action.CHANGE, PolicyMode.ENFORCE, true);
        PlanDocument.Entry audit = entry(PlanDocument.Action.CHANGE, PolicyMode.AUDIT, false);
        PlanDocument.Entry once = entry(PlanDocument.Action.CHANGE, PolicyMode.APPLY_ONCE, false);
        PlanDocument.Entry advice = entry(PlanDocument.Action.ADVICE, PolicyMode.ENFORCE, false);
        PlanDocument.Summary s = PlanDocument.count(List.of(change, audit, once, advice, entry(PlanDocument.Action.OK, PolicyMode.ENFORCE, true)));
        assertThat(s).isEqualTo(new PlanDocument.Summary(1, 1, 0, 0, 1, 1, 1, 0));
        assertThat(once.appliedOnce()).isTrue();
        assertThat(audit.appliedOnce()).isFalse();
        // "unknown" is only written when a simulation had one
        assertThat(PlanCodec.write(new PlanDocument(new PlanDocument.Platform(null, null, null, null, null), List.of(), List.of(), s)))
                .doesNotContain("unknown");
    }

    static PlanDocument.Entry entry(PlanDocument.Action a, PolicyMode m, boolean applies) {
        return new PlanDocument.Entry(SettingKey.parse("sysctl:vm.swappiness"), a, "60", "10", null, "p", "f.yaml:3", 50, m, applies, "true",
                List.of(), null, null);
    }

    @Test
    void aDocumentThatIsNotAPlanIsRefusedNamingTheField() {
        assertThatThrownBy(() -> PlanCodec.read("{\"platform\": {}, \"policies\": [], \"entries\": 3}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("entries: expected a list, found 3");
        assertThatThrownBy(() -> PlanCodec.read("{\"platform\": ")).isInstanceOf(com.fasterxml.jackson.core.JsonParseException.class);
    }

    static final Instant T = Instant.parse("2026-11-29T10:00:00Z");

    static List<Event> everyEvent() {
        Event.GateSettings gate = new Event.GateSettings(true, List.of("/bin/true", "-q"), "http://127.0.0.1:8080/", "30s", "5s");
        Event.GateOutcome failed = new Event.GateOutcome("20261129-100000-000", "failed",
                List.of(new Event.Check("command", "/bin/false", "failed", 1, null, "", 3),
                        new Event.Check("url", "http://127.0.0.1:1/", "error", null, null, "connection refused", 2)),
                "command /bin/false: exit 1", "rolled-back", "health gate failed: ...", List.of("sysctl:vm.swappiness"));
        return List.of(new Event.Start("plan", "PT1M", "/var/lib/chameleon", "/var/lib/chameleon/agent.sock", 42, null),
                new Event.Start("apply", "PT1M", "/s", "/s/agent.sock", 42, "http://127.0.0.1:9465/metrics"),
                new Event.Triggered("uevent+sighup", "2 events, first: add net /devices/x", 2),
                new Event.ConfigReloaded("apply", "PT1M", "PT6S", null), new Event.ConfigReloaded("plan", "PT1M", "PT6S", gate),
                new Event.PoliciesReloaded(12), new Event.Problem("pass failed: x"), new Event.Notice("n"), new Event.Stop("stopping"),
                new Event.PassDone(new Event.PassSummary("2026-11-29T10:00:00Z", "start", "", "plan", true, 1, 0, null, null, null, 12)),
                new Event.PassDone(new Event.PassSummary("2026-11-29T10:00:00Z", "interval", "60000ms", "apply", null, null, null, "cs", "passed",
                        "pass failed", 3)),
                new Event.ChangeSetRecorded("cs", "applied", true, "1 change(s) applied and verified", List.of("verified sysctl:a: 1 -> 2 (undo: x)")),
                new Event.HealthGateJudged(failed),
                new Event.HealthGateJudged(new Event.GateOutcome("cs", "passed", List.of(), null, null, null, null)),
                new Event.HealthGateJudged(new Event.GateOutcome("cs", "not-checked", List.of(), null, null, "stopping", null)),
                new Event.ExternalChange("sysctl:vm.swappiness", "10", "60", "2026-11-29T10:00:00Z", "enforce", "low-swap"),
                new Event.Frozen("sysctl:vm.swappiness", "changed more than 5 times in PT1H"),
                new Event.Tuned("web", "started", "2 trial(s) at most", null, null, null),
                new Event.Tuned("web", "done", "gain +12.0% (95% CI +3.0% .. +21.0%)", "/s/tuning/web.json", "/s/tuning/web.proposal.yaml",
                        "/etc/chameleon/policies.d/tuned-web.yaml"));
    }

    @Test
    void everyEventIsOneLineOfTheEventsFileAndReadsBack() throws Exception {
        for (Event e : everyEvent()) {
            Event.Logged logged = new Event.Logged(T, e);
            String line = EventCodec.write(logged);
            Map<String, Object> tree = new LinkedHashMap<>();
            tree.put("time", T.toString());
            tree.put("event", e.type());
            tree.putAll(e.fields());
            assertThat(line).as(e.type()).isEqualTo(COMPACT.writeValueAsString(tree)).doesNotContain("\n");
            assertThat(EventCodec.read(line)).as(e.type()).isEqualTo(logged);
        }
        assertThatThrownBy(() -> EventCodec.read("{\"time\":\"2026-11-29T10:00:00Z\",\"event\":\"party\"}"))
                .hasMessage("event: 'party' is not an event of the agent");
    }

    @Test
    void theStatusReadsBackAsItWasWritten() throws Exception {
        Event.GateSettings gate = new Event.GateSettings(false, List.of(), "", "30s", "5s");
        Map<String, Object> platform = new LinkedHashMap<>();
        platform.put("hypervisor", "kvm");
        platform.put("confidence", 0.77);
        platform.put("evidence", List.of(Map.of("signal", "cpu.flag")));
        AgentStatus first = new AgentStatus(7, "plan", "2026-11-29T10:00:00Z", "PT1M", "none", 0, Map.of(), null, List.of(), List.of(),
                List.of(), new AgentStatus.Gate(gate, null), new AgentStatus.Cost(null, null, null, 12L, null), "/s/events.jsonl", List.of());
        String line = StatusCodec.write(first);
        assertThat(line).contains("\"lastPass\":{}").contains("\"last\":null");
        assertThat(StatusCodec.read(line)).isEqualTo(first);
        AgentStatus later = new AgentStatus(7, "apply", "2026-11-29T10:00:00Z", "PT1M", "netlink", 3, platform,
                new Event.PassSummary("2026-11-29T10:02:00Z", "interval", "60000ms", "apply", false, 1, 1, "cs", "failed", null, 9),
                List.of("sysctl:vm.swappiness: 60 -> 10"), List.of(new AgentStatus.Drift("sysctl:vm.swappiness", "10", "60", "2026-11-29T10:01:00Z")),
                List.of("sysctl:vm.swappiness"), new AgentStatus.Gate(gate, new AgentStatus.Last("2026-11-29T10:02:01Z",
                new Event.GateOutcome("cs", "passed", List.of(), null, null, null, null))),
                new AgentStatus.Cost(50_000L, 60_000L, 1200L, 9000L, 14L), "/s/events.jsonl",
                List.of("Tuning web assigned; not run: the agent is in plan mode"));
        assertThat(StatusCodec.read(StatusCodec.write(later))).isEqualTo(later);
        // an older agent's status has no tunings: read as none
        assertThat(StatusCodec.read(StatusCodec.write(first).replace(",\"tunings\":[]", "")).tunings()).isEmpty();
        assertThat(COMPACT.readTree(StatusCodec.write(later)).path("healthGate").path("last").path("at").asText()).isEqualTo("2026-11-29T10:02:01Z");
    }

    @Test
    void factsReadBackWithTheirTypes() throws Exception {
        Map<String, Object> tree = new LinkedHashMap<>();
        tree.put("cpu", Map.of("logicalCount", 4L, "flags", List.of("sse2")));
        tree.put("platform", Map.of("confidence", 0.5, "hypervisor", "kvm"));
        tree.put("meta", Map.of("ok", true));
        FactSet f = FactSet.of(tree, Map.of());
        String json = FactSetCodec.write(f);
        assertThat(json).isEqualTo(INDENTED.writeValueAsString(f.asMap()));
        assertThat(FactSetCodec.read(json)).isEqualTo(f);
        assertThat(Json.read("[1, 2.5, \"x\", null, true, 123456789012345678901234]"))
                .isEqualTo(java.util.Arrays.asList(1L, 2.5, "x", null, true, "123456789012345678901234"));
    }
}
