package dev.chameleon.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chameleon.wire.Bundle;
import dev.chameleon.wire.BundleKey;
import dev.chameleon.wire.BundleVerifier;
import dev.chameleon.wire.Wire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The control plane's API end to end over real HTTP, on one database; run on the embedded H2
 * ({@link H2FleetApiTest}) and on a real PostgreSQL ({@link PostgresFleetApiTest}).
 */
abstract class FleetApiContract {
    static final String POLICY = """
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: fleet-swappiness}
            spec:
              priority: 77
              when: platform.hypervisor == "vmware"
              settings:
                - sysctl: {key: vm.swappiness, value: 5}
            """;

    abstract Fleet.Db db();

    Fleet fleet;

    @BeforeEach
    void start() {
        fleet = Fleet.start(db());
    }

    @AfterEach
    void stop() {
        fleet.close();
    }

    @Test
    void enrollReportAndSeeTheAgent() {
        String enroll = fleet.enrollToken(Map.of("ring", "canary", "team", "web"), 2);
        Fleet.Agent a = fleet.enroll(enroll, "web-1", Fleet.facts("vmware", "none", true));
        assertThat(a.credential()).startsWith("cha_" + a.id() + ".");
        assertThat(a.enrollment().json().at("/bundleKey/algorithm").asText()).isEqualTo("Ed25519");

        List<Map<String, Object>> batch = List.of(
                Fleet.report("r1", "status", Map.of("mode", "plan", "pendingChanges", 3, "drift", 1, "rssBytes", 50_000_000)),
                Fleet.report("r2", "plan", Map.of("entries", List.of(), "summary", Map.of("change", 4))),
                Fleet.report("r3", "event", Map.of("type", "drift", "summary", "sysctl:vm.swappiness changed by someone else")),
                Fleet.report("r4", "change-set", Map.of("id", "cs-1", "status", "applied", "entries", List.of(Map.of("key", "sysctl:vm.swappiness")))),
                Fleet.report("r5", "current-values", Map.of("sysctl:vm.swappiness", "60")));
        Http.Response r = fleet.report(a, batch);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().get("accepted")).hasSize(5);
        long reports = fleet.count("reports");
        long events = fleet.count("events");

        // sent again (an outbox retry): acknowledged, nothing stored twice
        Http.Response again = fleet.report(a, batch);
        assertThat(again.json().get("accepted")).isEmpty();
        assertThat(again.json().get("duplicates")).hasSize(5);
        assertThat(fleet.count("reports")).isEqualTo(reports);
        assertThat(fleet.count("events")).isEqualTo(events);

        JsonNode agent = fleet.http.get("/api/v1/agents/" + a.id(), fleet.admin).json();
        assertThat(agent.get("hostname").asText()).isEqualTo("web-1");
        assertThat(agent.at("/labels/ring").asText()).isEqualTo("canary");
        assertThat(agent.at("/platform/hypervisor").asText()).isEqualTo("vmware");
        assertThat(agent.get("mode").asText()).isEqualTo("plan");
        assertThat(agent.get("pendingChanges").asInt()).isEqualTo(4);
        assertThat(agent.get("drift").asInt()).isEqualTo(1);

        assertThat(fleet.http.get("/api/v1/agents/" + a.id() + "/facts", fleet.admin).json().at("/document/gpus/0/vendor").asText())
                .isEqualTo("nvidia");
        assertThat(fleet.http.get("/api/v1/agents/" + a.id() + "/plan", fleet.admin).json().at("/document/summary/change").asInt())
                .isEqualTo(4);
        assertThat(fleet.http.get("/api/v1/agents/" + a.id() + "/current-values", fleet.admin).json()
                .at("/document/sysctl:vm.swappiness").asText()).isEqualTo("60");
        assertThat(fleet.http.get("/api/v1/agents/" + a.id() + "/changes", fleet.admin).json().get(0).at("/payload/id").asText())
                .isEqualTo("cs-1");
        assertThat(fleet.http.get("/api/v1/agents/" + a.id() + "/status-history", fleet.admin).json().get(0).at("/payload/rssBytes")
                .asLong()).isEqualTo(50_000_000L);
        List<String> kinds = new ArrayList<>();
        fleet.http.get("/api/v1/events?after=0", fleet.admin).json().forEach(e -> kinds.add(e.get("kind").asText()));
        assertThat(kinds).containsSubsequence("agent.enrolled", "agent.drift", "change-set");

        JsonNode summary = fleet.http.get("/api/v1/fleet/summary", fleet.admin).json();
        assertThat(summary.get("agents").asInt()).isEqualTo(1);
        assertThat(summary.get("withPendingChanges").asInt()).isEqualTo(1);
        assertThat(summary.at("/platforms/0/hypervisor").asText()).isEqualTo("vmware");
        // each platform group's health, for the console's overview: counted by the database
        assertThat(summary.at("/platforms/0/agents").asInt()).isEqualTo(1);
        assertThat(summary.at("/platforms/0/seenLast5Minutes").asInt()).isEqualTo(1);
        assertThat(summary.at("/platforms/0/withPendingChanges").asInt()).isEqualTo(1);
        assertThat(summary.at("/platforms/0/pendingChanges").asInt()).isEqualTo(4);
        assertThat(summary.at("/platforms/0/withDrift").asInt()).isEqualTo(1);
        assertThat(summary.at("/modes/plan").asInt()).isEqualTo(1);
    }

    /** Issue 14 items 3 and 4: unknown envelope fields and non-UTC times are refused before anything is used up or stored. */
    @Test
    void unknownRequestFieldsAndOffsetTimesAreRefusedBeforeAnythingIsConsumed() {
        String enroll = fleet.enrollToken(Map.of(), 1);
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("enrollToken", enroll);
        body.put("hostname", "web-1");
        body.put("agentVersion", "0.1.0");
        body.put("bogus", 1);
        Http.Response bogus = fleet.http.post("/api/v1/enroll", null, Http.json(body));
        assertThat(bogus.status()).as(bogus.toString()).isEqualTo(400);
        assertThat(bogus.json().get("message").asText()).contains("enrollment request has the unknown field 'bogus'")
                .contains("known: enrollToken, hostname, agentVersion, facts");
        // the token's one use was not taken
        Fleet.Agent a = fleet.enroll(enroll, "web-1", Fleet.facts("vmware", "none", false));
        long before = fleet.count("reports");

        Map<String, Object> status = Fleet.report("s1", "status", Map.of("mode", "plan"));
        Http.Response extra = fleet.http.post("/api/v1/agents/" + a.id() + "/reports", a.credential(),
                Http.json(Map.of("reports", List.of(status), "extra", 1)));
        assertThat(extra.status()).as(extra.toString()).isEqualTo(400);
        assertThat(extra.json().get("message").asText()).contains("a report batch has the unknown field 'extra' (known: reports)");

        Map<String, Object> junk = new java.util.LinkedHashMap<>(status);
        junk.put("junk", true);
        Http.Response perReport = fleet.report(a, List.of(junk));
        assertThat(perReport.status()).as(perReport.toString()).isEqualTo(400);
        assertThat(perReport.json().get("message").asText()).contains("reports[0] has the unknown field 'junk' (known: id, kind, time, payload)");

        Map<String, Object> offset = new java.util.LinkedHashMap<>(status);
        offset.put("time", "2026-12-04T18:00:00+05:00");
        Http.Response notUtc = fleet.report(a, List.of(offset));
        assertThat(notUtc.status()).as(notUtc.toString()).isEqualTo(400);
        assertThat(notUtc.json().get("message").asText()).contains("reports[0].time must be an ISO-8601 UTC time");

        // a payload field the shape table does not name is still kept (a newer agent may report more)
        Http.Response newer = fleet.report(a, List.of(Fleet.report("s2", "status", Map.of("mode", "plan", "futureField", 7))));
        assertThat(newer.status()).as(newer.toString()).isEqualTo(200);
        assertThat(fleet.count("reports")).isEqualTo(before + 1);
    }

    /** Issue 14 item 1: the agent's shortening (ReportLimits, the constants of the shape table) gives a message the server takes. */
    @Test
    void aMessageShortenedToTheLimitIsAcceptedWhereTheWholeOneIsRefused() {
        Fleet.Agent a = fleet.enroll(fleet.enrollToken(Map.of(), 1), "web-1", Fleet.facts("vmware", "none", false));
        String errors = "policies.d/web.yaml:1:3: unknown setting\n".repeat(4_500); // 182 KB, as 700 errors gave
        Http.Response whole = fleet.report(a, List.of(Fleet.report("e1", "event", Map.of("type", "error", "message", errors))));
        assertThat(whole.status()).isEqualTo(400);
        assertThat(whole.json().get("message").asText()).contains("message: is " + errors.length() + " characters long, at most 65536");
        String shortened = dev.chameleon.wire.ReportLimits.shorten(errors, dev.chameleon.wire.ReportLimits.TEXT);
        Http.Response ok = fleet.report(a, List.of(Fleet.report("e2", "event", Map.of("type", "error", "message", shortened,
                "summary", dev.chameleon.wire.ReportLimits.shorten(errors, dev.chameleon.wire.ReportLimits.LINE)))));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
        assertThat(fleet.http.get("/api/v1/agents/" + a.id() + "/events", fleet.admin).body()).contains("more characters)");
    }

    /** Issue 14 item 4: lengths in characters (code points), numbers beyond a double and deep nesting said plainly. */
    @Test
    void lengthsCountCharactersAndOutOfRangeNumbersAndDeepNestingAreSaidPlainly() {
        Fleet.Agent a = fleet.enroll(fleet.enrollToken(Map.of(), 1), "web-1", Fleet.facts("vmware", "none", false));
        String emoji = "\uD83D\uDE00";
        // 3000 emoji are 3000 characters (6000 UTF-16 units): within the summary's 4,096
        Http.Response ok = fleet.report(a, List.of(Fleet.report("e1", "event", Map.of("type", "notice", "summary", emoji.repeat(3000)))));
        assertThat(ok.status()).as(ok.toString()).isEqualTo(200);
        Http.Response tooLong = fleet.report(a, List.of(Fleet.report("e2", "event", Map.of("type", "notice", "summary", emoji.repeat(5000)))));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.json().get("message").asText()).contains("summary: is 5000 characters long, at most 4096");

        String path = "/api/v1/agents/" + a.id() + "/reports";
        Http.Response inf = fleet.http.post(path, a.credential(),
                "{\"reports\":[{\"id\":\"s1\",\"kind\":\"status\",\"time\":\"2026-12-04T13:00:00Z\",\"payload\":{\"mode\":\"plan\",\"cpuPercent\":1e999999}}]}");
        assertThat(inf.status()).as(inf.toString()).isEqualTo(400);
        assertThat(inf.json().get("message").asText()).contains("out of range").doesNotContain("Infinity");

        String deep = "[".repeat(65) + "]".repeat(65);
        Http.Response nested = fleet.http.post(path, a.credential(),
                "{\"reports\":[{\"id\":\"s2\",\"kind\":\"status\",\"time\":\"2026-12-04T13:00:00Z\",\"payload\":{\"mode\":\"plan\",\"x\":" + deep + "}}]}");
        assertThat(nested.status()).as(nested.toString()).isEqualTo(400);
        assertThat(nested.json().get("message").asText()).contains("nested deeper than 64 levels").doesNotContain("StreamReadConstraints")
                .containsPattern("1:\\d+");
        Http.Response nestedApi = fleet.http.post("/api/v1/enroll-tokens", fleet.admin, "{\"name\":\"e\",\"labels\":" + "{\"a\":".repeat(65) + "1" + "}".repeat(65) + "}");
        assertThat(nestedApi.status()).as(nestedApi.toString()).isEqualTo(400);
        assertThat(nestedApi.json().get("message").asText()).contains("nested deeper than 64 levels").doesNotContain("StreamReadConstraints");
    }

    @Test
    void queryAgentsByAnyFactWithCel() {
        String enroll = fleet.enrollToken(Map.of(), 10);
        Fleet.Agent gpu = fleet.enroll(enroll, "gpu-1", Fleet.facts("vmware", "none", true));
        fleet.enroll(enroll, "vm-2", Fleet.facts("vmware", "none", false));
        fleet.enroll(enroll, "kvm-3", Fleet.facts("kvm", "aws", true));
        JsonNode page = fleet.http.get("/api/v1/agents?where=" + java.net.URLEncoder.encode(
                "platform.hypervisor == \"vmware\" && gpus.exists(g, g.vendor == \"nvidia\")", java.nio.charset.StandardCharsets.UTF_8),
                fleet.admin).json();
        assertThat(page.get("total").asInt()).isEqualTo(1);
        assertThat(page.at("/items/0/id").asText()).isEqualTo(gpu.id());
        // paging without a filter
        JsonNode first = fleet.http.get("/api/v1/agents?limit=2", fleet.admin).json();
        assertThat(first.get("items")).hasSize(2);
        JsonNode second = fleet.http.get("/api/v1/agents?limit=2&after=" + first.get("next").asText(), fleet.admin).json();
        assertThat(second.get("items")).hasSize(1);
        assertThat(second.get("next").isNull()).isTrue();
    }

    @Test
    void policyVersionsDiffAndPositionedErrors() {
        Http.Response v1 = fleet.http.put("/api/v1/policies/web-tier", fleet.admin, "application/yaml", POLICY);
        assertThat(v1.status()).as(v1.toString()).isEqualTo(201);
        assertThat(v1.json().get("version").asInt()).isEqualTo(1);
        assertThat(v1.json().at("/summary/policies/0").asText()).isEqualTo("fleet-swappiness");
        // the same text again stores nothing
        Http.Response same = fleet.http.put("/api/v1/policies/web-tier", fleet.admin, "application/yaml", POLICY);
        assertThat(same.status()).isEqualTo(200);
        assertThat(same.json().get("unchanged").asBoolean()).isTrue();

        Map<String, Long> before = fleet.counts();
        Http.Response broken = fleet.http.put("/api/v1/policies/web-tier", fleet.admin, "application/yaml",
                POLICY.replace("platform.hypervisor", "platform.hypervisr"));
        assertThat(broken.status()).isEqualTo(422);
        assertThat(broken.json().get("errors").get(0).asText()).startsWith("web-tier.yaml:6:").contains("hypervisr").contains("^");
        assertThat(fleet.counts()).isEqualTo(before);

        Http.Response v2 = fleet.http.put("/api/v1/policies/web-tier?comment=lower", fleet.admin, "application/yaml",
                POLICY.replace("value: 5", "value: 1"));
        assertThat(v2.json().get("version").asInt()).isEqualTo(2);
        JsonNode diff = fleet.http.get("/api/v1/policies/web-tier/diff?from=1&to=2", fleet.admin).json();
        assertThat(diff.get("unified").asText()).contains("-    - sysctl: {key: vm.swappiness, value: 5}")
                .contains("+    - sysctl: {key: vm.swappiness, value: 1}");
        assertThat(diff.get("changed").get(0).asText()).isEqualTo("fleet-swappiness");
        assertThat(fleet.http.get("/api/v1/policies/web-tier", fleet.admin).json()).hasSize(2);
        assertThat(fleet.http.get("/api/v1/policies/web-tier/versions/1", fleet.admin).json().get("yaml").asText()).isEqualTo(POLICY);
        Http.Response valid = fleet.http.send("POST", "/api/v1/policies/validate?name=draft", fleet.admin, "application/yaml",
                "kind: Nonsense\n", Map.of(), Duration.ofSeconds(30));
        assertThat(valid.status()).isEqualTo(422);
        assertThat(valid.json().get("errors").get(0).asText()).startsWith("draft.yaml:1:");
    }

    private static Bundle bundle(Http.Response r) throws Exception {
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return Wire.readBundle(r.body());
    }

    private static BundleVerifier verifier(Fleet.Agent a) throws Exception {
        BundleKey k = Wire.readEnrollResponse(a.enrollment().body()).bundleKey();
        return new BundleVerifier(k, a.id());
    }

    @Test
    void canaryRolloutAdvanceLongPollAndRollback() throws Exception {
        fleet.http.put("/api/v1/policies/web-tier", fleet.admin, "application/yaml", POLICY);
        String enroll = fleet.enrollToken(Map.of(), 10);
        Fleet.Agent canary = fleet.enroll(enroll, "canary-1", Fleet.facts("vmware", "none", false));
        Fleet.Agent other = fleet.enroll(enroll, "web-2", Fleet.facts("vmware", "none", false));
        Fleet.Agent kvm = fleet.enroll(enroll, "kvm-1", Fleet.facts("kvm", "none", false));

        Http.Response asg = fleet.http.post("/api/v1/assignments", fleet.admin, Http.json(Map.of("name", "web",
                "policy", "web-tier", "selector", "platform.hypervisor == \"vmware\"")));
        assertThat(asg.status()).as(asg.toString()).isEqualTo(201);
        assertThat(asg.json().get("matchedAgents").asInt()).isEqualTo(2);

        // before any rollout: an empty, signed bundle
        Http.Response b0 = fleet.http.get("/api/v1/agents/" + other.id() + "/bundle", other.credential());
        BundleVerifier.Verified v0 = verifier(other).verify(bundle(b0), 0);
        assertThat(v0.manifest().policies()).isEmpty();
        String etag0 = b0.header("ETag");

        Http.Response ro = fleet.http.post("/api/v1/assignments/web/rollouts", fleet.admin, Http.json(Map.of("version", 1,
                "canaryAgents", List.of(canary.id()), "steps", List.of(50, 100))));
        assertThat(ro.status()).as(ro.toString()).isEqualTo(201);
        String rollout = ro.json().get("id").asText();
        assertThat(ro.json().get("includedAgents").asInt()).isEqualTo(1);

        BundleVerifier.Verified c1 = verifier(canary).verify(bundle(fleet.http.get("/api/v1/agents/" + canary.id() + "/bundle",
                canary.credential())), 0);
        assertThat(c1.manifest().policies()).extracting(e -> e.policy() + "@" + e.version()).containsExactly("web-tier@1");
        assertThat(c1.bundle().file("policies/web.yaml").orElseThrow().content()).isEqualTo(POLICY);
        // the kvm agent is not selected at all
        assertThat(verifier(kvm).verify(bundle(fleet.http.get("/api/v1/agents/" + kvm.id() + "/bundle", kvm.credential())), 0)
                .manifest().policies()).isEmpty();

        // the other agent long-polls with its ETag; the rollout completing wakes it with the new bundle
        // (the wait asked is longer than this test waits: only a wake-up answers in time)
        CompletableFuture<Http.Response> poll = CompletableFuture.supplyAsync(() -> fleet.http.send("GET",
                "/api/v1/agents/" + other.id() + "/bundle?wait=300", other.credential(), null, null, Map.of("If-None-Match", etag0),
                Duration.ofSeconds(60)));
        Thread.sleep(500);
        assertThat(poll).isNotDone();
        JsonNode adv = fleet.http.post("/api/v1/rollouts/" + rollout + "/advance", fleet.admin, "{}").json();
        if (adv.get("state").asText().equals("running")) {
            fleet.http.post("/api/v1/rollouts/" + rollout + "/advance", fleet.admin, "{}");
        }
        assertThat(fleet.http.get("/api/v1/rollouts/" + rollout, fleet.admin).json().get("state").asText()).isEqualTo("completed");
        Http.Response woke = poll.get(40, java.util.concurrent.TimeUnit.SECONDS);
        BundleVerifier.Verified o1 = verifier(other).verify(bundle(woke), v0.version());
        assertThat(o1.version()).isGreaterThan(v0.version());
        assertThat(o1.manifest().policies()).extracting(e -> e.policy() + "@" + e.version()).containsExactly("web-tier@1");

        // unchanged: 304 with the same ETag, at once without wait
        Http.Response same = fleet.http.send("GET", "/api/v1/agents/" + other.id() + "/bundle", other.credential(), null, null,
                Map.of("If-None-Match", woke.header("ETag")), Duration.ofSeconds(30));
        assertThat(same.status()).isEqualTo(304);
        assertThat(same.header("ETag")).isEqualTo(woke.header("ETag"));

        // roll back the completed rollout: back to no policy, as a new higher version
        Http.Response back = fleet.http.post("/api/v1/rollouts/" + rollout + "/rollback", fleet.admin, "{}");
        assertThat(back.json().get("state").asText()).isEqualTo("rolled-back");
        BundleVerifier.Verified o2 = verifier(other).verify(bundle(fleet.http.get("/api/v1/agents/" + other.id() + "/bundle",
                other.credential())), o1.version());
        assertThat(o2.version()).isGreaterThan(o1.version());
        assertThat(o2.manifest().policies()).isEmpty();

        List<String> actions = new ArrayList<>();
        fleet.http.get("/api/v1/audit", fleet.admin).json().forEach(e -> actions.add(e.get("action").asText()));
        assertThat(actions).containsSubsequence("policy.upload", "assignment.create", "rollout.start", "rollout.advance",
                "rollout.rollback");
    }

    @Test
    void apiTokensWithAnExpiryStopWorkingThenAndSaySo() {
        fleet.close();
        MovableClock clock = new MovableClock();
        fleet = Fleet.start(db(), clock, List.of());
        Http.Response made = fleet.http.post("/api/v1/tokens", fleet.admin, Http.json(Map.of("name", "ci", "role", "operator",
                "expiresInSeconds", 3600)));
        assertThat(made.status()).as(made.toString()).isEqualTo(201);
        String id = made.json().get("id").asText();
        String token = made.json().get("token").asText();
        java.time.Instant expires = java.time.Instant.parse(made.json().get("expiresAt").asText());
        assertThat(expires).isEqualTo(clock.instant().plusSeconds(3600).truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
        JsonNode listed = null;
        for (JsonNode t : fleet.http.get("/api/v1/tokens", fleet.admin).json()) {
            if (t.get("id").asText().equals(id)) {
                listed = t;
            }
        }
        assertThat(listed).isNotNull();
        assertThat(java.time.Instant.parse(listed.get("expiresAt").asText())).isEqualTo(expires);
        // a token made without one never expires
        JsonNode forever = fleet.http.post("/api/v1/tokens", fleet.admin, Http.json(Map.of("name", "forever", "role", "viewer"))).json();
        assertThat(forever.get("expiresAt").isNull()).isTrue();

        clock.advance(Duration.ofMinutes(59));
        assertThat(fleet.http.get("/api/v1/whoami", token).status()).isEqualTo(200);

        // past its expiry: 401 token-expired, and the write it asked for is not done
        clock.advance(Duration.ofMinutes(2));
        Map<String, Long> before = fleet.counts();
        Http.Response refused = fleet.http.put("/api/v1/policies/web-tier", token, "application/yaml", POLICY);
        assertThat(refused.status()).as(refused.toString()).isEqualTo(401);
        assertThat(refused.json().get("code").asText()).isEqualTo("token-expired");
        assertThat(refused.json().get("message").asText()).contains("API token " + id + " expired at " + expires);
        assertThat(fleet.counts()).isEqualTo(before);
        assertThat(fleet.http.get("/api/v1/agents", token).json().get("code").asText()).isEqualTo("token-expired");
        assertThat(fleet.http.get("/api/v1/whoami", forever.get("token").asText()).status()).isEqualTo(200);

        // the life is bounded, and nonsense is a 400 naming the field; nothing is stored
        long tokens = fleet.count("api_tokens");
        for (Object bad : List.of(59, 0, -5, 316_224_001L, Long.MAX_VALUE)) {
            Http.Response r = fleet.http.post("/api/v1/tokens", fleet.admin, Http.json(Map.of("name", "x", "role", "viewer",
                    "expiresInSeconds", bad)));
            assertThat(r.status()).as(bad + ": " + r).isEqualTo(400);
            assertThat(r.json().get("message").asText()).contains("expiresInSeconds must be 60 to 316224000");
        }
        for (Object bad : List.of("30d", 1.5, List.of(1), Map.of())) {
            Http.Response r = fleet.http.post("/api/v1/tokens", fleet.admin, Http.json(Map.of("name", "x", "role", "viewer",
                    "expiresInSeconds", bad)));
            assertThat(r.status()).as(bad + ": " + r).isEqualTo(400);
            assertThat(r.json().get("code").asText()).isEqualTo("invalid");
            assertThat(r.json().get("message").asText()).as(r.toString()).contains("expiresInSeconds");
        }
        assertThat(fleet.count("api_tokens")).isEqualTo(tokens);
    }

    @Test
    void automaticStepsPauseAndResume() throws Exception {
        fleet.close();
        MovableClock clock = new MovableClock();
        fleet = Fleet.start(db(), clock, List.of());
        fleet.http.put("/api/v1/policies/web-tier", fleet.admin, "application/yaml", POLICY);
        fleet.http.post("/api/v1/assignments", fleet.admin, Http.json(Map.of("name", "web", "policy", "web-tier", "selector", "true")));
        JsonNode started = fleet.http.post("/api/v1/assignments/web/rollouts", fleet.admin, Http.json(Map.of("version", 1,
                "steps", List.of(10, 50, 100), "intervalSeconds", 3600))).json();
        String id = started.get("id").asText();
        assertThat(started.get("percent").asInt()).as("no canaries: the first step at once").isEqualTo(10);

        // an hour later the notifier's tick takes the next step by itself
        clock.advance(Duration.ofMinutes(61));
        assertThat(waitFor(id, "percent", "50")).isTrue();

        assertThat(fleet.http.post("/api/v1/rollouts/" + id + "/pause", fleet.admin, "{}").json().get("state").asText()).isEqualTo("paused");
        clock.advance(Duration.ofHours(5));
        Thread.sleep(1000); // several ticks: a paused rollout does not move
        assertThat(fleet.http.get("/api/v1/rollouts/" + id, fleet.admin).json().get("percent").asInt()).isEqualTo(50);
        Http.Response refused = fleet.http.post("/api/v1/rollouts/" + id + "/advance", fleet.admin, "{}");
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.json().get("message").asText()).contains("resume it first");
        assertThat(fleet.http.post("/api/v1/rollouts/" + id + "/resume", fleet.admin, "{}").json().get("state").asText()).isEqualTo("running");
        JsonNode done = fleet.http.post("/api/v1/rollouts/" + id + "/advance", fleet.admin, "{}").json();
        assertThat(done.get("state").asText()).isEqualTo("completed");
        assertThat(fleet.http.get("/api/v1/assignments/web", fleet.admin).json().get("stableVersion").asInt()).isEqualTo(1);
    }

    private boolean waitFor(String rollout, String field, String value) throws InterruptedException {
        for (int i = 0; i < 100; i++) {
            if (fleet.http.get("/api/v1/rollouts/" + rollout, fleet.admin).json().get(field).asText().equals(value)) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    @Test
    void removedAgentIsToldToReenroll() {
        Fleet.Agent a = fleet.enroll(fleet.enrollToken(Map.of(), 1), "gone-1", Map.of());
        assertThat(fleet.http.delete("/api/v1/agents/" + a.id(), fleet.admin).status()).isEqualTo(204);
        Http.Response r = fleet.report(a, List.of(Fleet.report("x", "status", Map.of())));
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.json().get("code").asText()).isEqualTo("reenroll");
        assertThat(r.header("Chameleon-Reenroll")).isEqualTo("true");
        assertThat(fleet.http.get("/api/v1/events", fleet.admin).json().findValuesAsText("kind")).contains("agent.removed");
    }

    @Test
    void summaryCountsAgentsWithAFailedHealthGateOrAnErrorOnce() {
        String enroll = fleet.enrollToken(Map.of(), 3);
        Fleet.Agent a = fleet.enroll(enroll, "gate-1", Map.of());
        Fleet.Agent b = fleet.enroll(enroll, "gate-2", Map.of());
        fleet.enroll(enroll, "quiet", Map.of());
        // a's gate failed twice (one agent, counted once); b's gate passed and b reported an error
        fleet.report(a, List.of(Fleet.report("g1", "event", Map.of("type", "health-gate", "changeSet", "cs-1", "outcome", "failed")),
                Fleet.report("g2", "event", Map.of("type", "health-gate", "changeSet", "cs-2", "outcome", "failed"))));
        fleet.report(b, List.of(Fleet.report("g3", "event", Map.of("type", "health-gate", "changeSet", "cs-3", "outcome", "passed")),
                Fleet.report("e1", "event", Map.of("type", "error", "message", "sensor disks failed: /sys/block unreadable"))));
        JsonNode summary = fleet.http.get("/api/v1/fleet/summary", fleet.admin).json();
        assertThat(summary.get("agents").asInt()).isEqualTo(3);
        assertThat(summary.get("withHealthGateFailures").asInt()).isEqualTo(1);
        assertThat(summary.get("withErrors").asInt()).isEqualTo(1);
    }

    @Test
    void summaryCountsAgentsWithFailingSensorsKeptWhenTheirFactsAreStored() {
        String enroll = fleet.enrollToken(Map.of(), 4);
        // real fact trees the sensors produced from captured machines; the KVM one reported again as an agent does when
        // /proc/meminfo is unreadable (one sensor with problems)
        Map<String, Object> kvm = Fleet.golden("qemu-q35-virtio");
        Fleet.Agent good = fleet.enroll(enroll, "kvm-ok", kvm);
        Fleet.Agent bad = fleet.enroll(enroll, "kvm-meminfo", kvm);
        Fleet.Agent xen = fleet.enroll(enroll, "xen-1", Fleet.golden("virt-what-rhel5-xen-domU-pv"));
        Fleet.Agent none = fleet.enroll(enroll, "no-meta", Map.of());
        assertThat(fleet.report(bad, List.of(Fleet.report("f1", "facts", Fleet.withUnreadableMeminfo(kvm)))).status()).isEqualTo(200);

        JsonNode summary = fleet.http.get("/api/v1/fleet/summary", fleet.admin).json();
        assertThat(summary.get("agents").asInt()).isEqualTo(4);
        assertThat(summary.get("withFailingSensors").asInt()).isEqualTo(1);
        JsonNode qemu = null;
        for (JsonNode p : summary.get("platforms")) {
            if ("qemu".equals(p.path("hypervisor").asText())) {
                qemu = p;
            } else {
                assertThat(p.get("withFailingSensors").asInt()).as(p.toString()).isZero();
            }
        }
        assertThat(qemu).as(summary.toString()).isNotNull();
        assertThat(qemu.get("agents").asInt()).isEqualTo(2);
        assertThat(qemu.get("withFailingSensors").asInt()).isEqualTo(1);
        assertThat(fleet.http.get("/api/v1/agents/" + bad.id(), fleet.admin).json().get("failingSensors").asInt()).isEqualTo(1);
        assertThat(fleet.http.get("/api/v1/agents/" + good.id(), fleet.admin).json().get("failingSensors").asInt()).isZero();
        assertThat(fleet.http.get("/api/v1/agents/" + xen.id(), fleet.admin).json().get("failingSensors").asInt()).isZero();
        // facts without meta.sensors: nothing failing
        assertThat(fleet.http.get("/api/v1/agents/" + none.id(), fleet.admin).json().get("failingSensors").asInt()).isZero();

        // the file readable again: the next facts clear it
        assertThat(fleet.report(bad, List.of(Fleet.report("f2", "facts", kvm))).status()).isEqualTo(200);
        assertThat(fleet.http.get("/api/v1/fleet/summary", fleet.admin).json().get("withFailingSensors").asInt()).isZero();
        assertThat(fleet.http.get("/api/v1/agents/" + bad.id(), fleet.admin).json().get("failingSensors").asInt()).isZero();
    }

    @Test
    void eventsLongPollWakesOnANewEvent() throws Exception {
        Fleet.Agent a = fleet.enroll(fleet.enrollToken(Map.of(), 1), "ev-1", Map.of());
        long last = fleet.http.get("/api/v1/events", fleet.admin).json().get(0).get("seq").asLong();
        CompletableFuture<Http.Response> poll = CompletableFuture.supplyAsync(() -> fleet.http.send("GET",
                "/api/v1/events?wait=60&after=" + last, fleet.admin, null, null, Map.of(), Duration.ofSeconds(60)));
        Thread.sleep(500);
        assertThat(poll).isNotDone();
        fleet.report(a, List.of(Fleet.report("e1", "event", Map.of("type", "health-gate", "summary", "gate failed"))));
        JsonNode got = poll.get(40, java.util.concurrent.TimeUnit.SECONDS).json();
        assertThat(got.get(0).get("kind").asText()).isEqualTo("agent.health-gate");
    }

    @Test
    void eventsStreamAsServerSentEvents() throws Exception {
        Fleet.Agent a = fleet.enroll(fleet.enrollToken(Map.of(), 1), "sse-1", Map.of());
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(fleet.server.url()
                        + "/api/v1/events/stream")).header("Authorization", "Bearer " + fleet.admin)
                .header("Accept", "text/event-stream").header("Last-Event-ID", "0").timeout(Duration.ofSeconds(60)).build();
        java.net.http.HttpResponse<java.util.stream.Stream<String>> r = client.send(req,
                java.net.http.HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        CompletableFuture<List<String>> lines = CompletableFuture.supplyAsync(() -> {
            List<String> seen = new ArrayList<>();
            java.util.Iterator<String> it = r.body().iterator();
            while (it.hasNext()) {
                String l = it.next();
                seen.add(l);
                if (l.startsWith("event: agent.health-gate")) {
                    break;
                }
            }
            return seen;
        });
        // the stream starts after Last-Event-ID 0 (the enrollment), then a new event arrives live
        fleet.report(a, List.of(Fleet.report("s1", "event", Map.of("type", "health-gate", "summary", "gate failed"))));
        List<String> seen = lines.get(40, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(seen).contains("event: agent.enrolled").contains("event: agent.health-gate");
        assertThat(seen).anyMatch(l -> l.startsWith("id: "));
        r.body().close();
    }

    @Test
    void eventsStreamStartsWithTheNewestBacklogWhenAsked() throws Exception {
        Fleet.Agent a = fleet.enroll(fleet.enrollToken(Map.of(), 1), "sse-2", Map.of());
        fleet.report(a, List.of(Fleet.report("b1", "event", Map.of("type", "notice", "summary", "first")),
                Fleet.report("b2", "event", Map.of("type", "notice", "summary", "second"))));
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(fleet.server.url()
                        + "/api/v1/events/stream?backlog=2")).header("Authorization", "Bearer " + fleet.admin)
                .header("Accept", "text/event-stream").timeout(Duration.ofSeconds(60)).build();
        java.net.http.HttpResponse<java.util.stream.Stream<String>> r = client.send(req,
                java.net.http.HttpResponse.BodyHandlers.ofLines());
        assertThat(r.statusCode()).isEqualTo(200);
        List<String> data = new ArrayList<>();
        java.util.Iterator<String> it = r.body().iterator();
        while (data.size() < 2 && it.hasNext()) {
            String l = it.next();
            if (l.startsWith("data: ")) {
                data.add(l);
            }
        }
        r.body().close();
        // the two newest events, oldest first; the enrollment before them is not sent
        assertThat(data).hasSize(2);
        assertThat(data.get(0)).contains("first");
        assertThat(data.get(1)).contains("second");
        assertThat(fleet.http.get("/api/v1/events/stream?backlog=501", fleet.admin).status()).isEqualTo(400);
        assertThat(fleet.http.get("/api/v1/events/stream?backlog=x", fleet.admin).status()).isEqualTo(400);
    }

    static final String CANDIDATE = """
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: dirty}
            spec:
              priority: 71
              when: platform.hypervisor == "vmware"
              settings:
                - sysctl: {key: vm.dirty_ratio, value: 12}
                - sysctl: {key: vm.swappiness, value: 10}
            ---
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: big-memory}
            spec:
              priority: 72
              when: memory.totalBytes > 1000
              settings:
                - sysctl: {key: vm.min_free_kbytes, value: 65536}
            """;

    /** The simulation answers from each agent's last facts and current values, with the engine's decisions. */
    @Test
    void simulateSaysWhichAgentsWouldChangeWhatAndWhatCannotBeDecided() throws Exception {
        String enroll = fleet.enrollToken(Map.of(), 10);
        Fleet.Agent vm = fleet.enroll(enroll, "vm-1", Fleet.facts("vmware", "none", false));
        Fleet.Agent kvm = fleet.enroll(enroll, "kvm-1", Fleet.facts("kvm", "none", false));
        Map<String, Object> noMemory = new java.util.LinkedHashMap<>(Fleet.facts("vmware", "none", false));
        noMemory.remove("memory");
        Fleet.Agent bare = fleet.enroll(enroll, "vm-2", noMemory);
        assertThat(fleet.report(vm, List.of(Fleet.report("cv1", "current-values",
                Map.of("sysctl:vm.dirty_ratio", "20", "sysctl:vm.swappiness", "10", "sysctl:vm.min_free_kbytes", "65536")))).status()).isEqualTo(200);
        assertThat(fleet.report(kvm, List.of(Fleet.report("cv1", "current-values", Map.of("sysctl:vm.min_free_kbytes", "1024")))).status())
                .isEqualTo(200);
        String viewer = fleet.token("viewer");
        long before = fleet.count("events") + fleet.count("audit") + fleet.count("policy_versions");

        Http.Response r = fleet.http.send("POST", "/api/v1/simulate?name=dirty", viewer, "application/yaml", CANDIDATE,
                Map.of(), Duration.ofSeconds(30));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode j = r.json();
        assertThat(j.get("agents").asInt()).isEqualTo(3);
        Map<String, JsonNode> by = new java.util.HashMap<>();
        j.get("results").forEach(n -> by.put(n.get("agentId").asText(), n));
        // vm-1: dirty_ratio 20 -> 12; swappiness and min_free_kbytes already as desired
        assertThat(by.get(vm.id()).get("changes").toString()).contains("\"key\":\"sysctl:vm.dirty_ratio\",\"from\":\"20\",\"to\":\"12\"");
        assertThat(by.get(vm.id()).get("changes")).hasSize(1);
        assertThat(by.get(vm.id()).get("unknown")).isEmpty();
        // kvm-1: only the memory policy holds: 1024 -> 65536
        assertThat(by.get(kvm.id()).get("changes").toString()).contains("\"from\":\"1024\",\"to\":\"65536\"");
        assertThat(by.get(kvm.id()).get("changes")).hasSize(1);
        // vm-2 sent no current values (unknown) and has no memory facts (undecidable)
        assertThat(by.get(bare.id()).get("unknown").toString()).contains("sysctl:vm.dirty_ratio");
        assertThat(by.get(bare.id()).get("undecidable").toString()).contains("big-memory");
        assertThat(j.get("changing").asInt()).isEqualTo(2);
        assertThat(j.get("undecided").asInt()).isEqualTo(1);
        // only some agents, by selector
        Http.Response only = fleet.http.send("POST", "/api/v1/simulate?where=" + java.net.URLEncoder.encode("platform.hypervisor == \"kvm\"",
                java.nio.charset.StandardCharsets.UTF_8), fleet.admin, "application/yaml", CANDIDATE, Map.of(), Duration.ofSeconds(30));
        assertThat(only.json().get("agents").asInt()).isEqualTo(1);
        // bad input: positioned compile errors, a selector that does not compile; nothing stored either way
        Http.Response bad = fleet.http.send("POST", "/api/v1/simulate?name=dirty", fleet.admin, "application/yaml",
                "apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: x}\nspec:\n  when: nope.nope == 1\n", Map.of(), Duration.ofSeconds(30));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.json().get("errors").get(0).asText()).startsWith("dirty.yaml:5:");
        Http.Response badWhere = fleet.http.send("POST", "/api/v1/simulate?where=%28%28", fleet.admin, "application/yaml", CANDIDATE,
                Map.of(), Duration.ofSeconds(30));
        assertThat(badWhere.status()).isEqualTo(422);
        assertThat(fleet.count("events") + fleet.count("audit") + fleet.count("policy_versions")).isEqualTo(before);
    }

    /** The simulation's answer without its timing, to compare two answers. */
    static String simulation(Fleet f, String token) {
        Http.Response r = f.http.send("POST", "/api/v1/simulate?name=dirty", token, "application/yaml", CANDIDATE, Map.of(), Duration.ofSeconds(60));
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        JsonNode j = r.json();
        ((com.fasterxml.jackson.databind.node.ObjectNode) j).remove("elapsedMillis");
        return j.toString();
    }

    /** Holds something the restarted server's facts warming meets until {@code release} (PostgreSQL: a lock on agents); null if none. */
    AutoCloseable holdWarming() throws Exception {
        return null;
    }

    @Test
    @org.junit.jupiter.api.Timeout(180)
    void aStartedServerWarmsEveryAgentsFactsAndASimulationMeanwhileAnswersTheSame() throws Exception {
        String enroll = fleet.enrollToken(Map.of(), 40);
        for (int i = 0; i < 40; i++) {
            Fleet.Agent a = fleet.enroll(enroll, "warm-" + i, Fleet.facts(i % 3 == 0 ? "kvm" : "vmware", "none", i % 5 == 0));
            assertThat(fleet.report(a, List.of(Fleet.report("cv1", "current-values", Map.of("sysctl:vm.dirty_ratio", String.valueOf(10 + i % 20),
                    "sysctl:vm.min_free_kbytes", "1024"))))).extracting(Http.Response::status).isEqualTo(200);
        }
        String before = simulation(fleet, fleet.admin);
        assertThat(before).contains("\"agents\":40");

        AutoCloseable hold = holdWarming();
        fleet.restart();
        CompletableFuture<Integer> warmed = fleet.server.factsWarmed();
        if (hold != null) {
            // the warming cannot finish while held: the simulation below certainly arrives during it, waits, and answers the same
            CompletableFuture<String> during = CompletableFuture.supplyAsync(() -> simulation(fleet, fleet.admin));
            Thread.sleep(500);
            assertThat(warmed).as("warming held").isNotDone();
            assertThat(during).as("the simulation waits for the warming").isNotDone();
            hold.close();
            assertThat(during.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(before);
        } else {
            // the embedded database has no lock a reader waits on: the first call may land during the warming or after it
            assertThat(simulation(fleet, fleet.admin)).isEqualTo(before);
        }
        assertThat(warmed.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(40);
        assertThat(simulation(fleet, fleet.admin)).isEqualTo(before);
    }

    /** An agent's own new facts that make a selector pick it wake its long poll with the new bundle (not only at its end). */
    @Test
    void newFactsThatChangeTheSelectionWakeTheAgentsLongPoll() throws Exception {
        fleet.http.put("/api/v1/policies/web-tier", fleet.admin, "application/yaml", POLICY);
        Http.Response asg = fleet.http.post("/api/v1/assignments", fleet.admin, Http.json(Map.of("name", "kvm-only",
                "policy", "web-tier", "selector", "platform.hypervisor == \"kvm\"")));
        assertThat(asg.status()).as(asg.toString()).isEqualTo(201);
        assertThat(fleet.http.post("/api/v1/assignments/kvm-only/rollouts", fleet.admin, Http.json(Map.of("version", 1))).status())
                .isEqualTo(201);
        Fleet.Agent a = fleet.enroll(fleet.enrollToken(Map.of(), 1), "moving-vm", Fleet.facts("vmware", "none", false));
        Http.Response b0 = fleet.http.get("/api/v1/agents/" + a.id() + "/bundle", a.credential());
        BundleVerifier.Verified v0 = verifier(a).verify(bundle(b0), 0);
        assertThat(v0.manifest().policies()).isEmpty();

        CompletableFuture<Http.Response> poll = CompletableFuture.supplyAsync(() -> fleet.http.send("GET",
                "/api/v1/agents/" + a.id() + "/bundle?wait=300", a.credential(), null, null, Map.of("If-None-Match", b0.header("ETag")),
                Duration.ofSeconds(60)));
        Thread.sleep(500);
        assertThat(poll).isNotDone();
        // the VM was migrated: its facts now say KVM
        assertThat(fleet.report(a, List.of(Fleet.report("f2", "facts", Fleet.facts("kvm", "none", false)))).status()).isEqualTo(200);
        Http.Response woke = poll.get(40, java.util.concurrent.TimeUnit.SECONDS);
        BundleVerifier.Verified v1 = verifier(a).verify(bundle(woke), v0.version());
        assertThat(v1.manifest().policies()).extracting(e -> e.policy() + "@" + e.version()).containsExactly("web-tier@1");
    }

    /** Retention: status history and idempotency keys go after --keep-status, change sets and events after --keep-history; the agent's last documents stay. */
    @Test
    void retentionPrunesStatusHistoryThenTheAgentsHistory() throws Exception {
        fleet.close();
        MovableClock clock = new MovableClock();
        fleet = Fleet.start(db(), clock, List.of());
        fleet.server.retention(new dev.chameleon.server.service.Retention(Duration.ofDays(2), Duration.ofDays(30)));
        Fleet.Agent a = fleet.enroll(fleet.enrollToken(Map.of(), 1), "old-vm", Fleet.facts("kvm", "none", false));
        assertThat(fleet.report(a, List.of(Fleet.report("s1", "status", Map.of("mode", "plan")),
                Fleet.report("f1", "facts", Fleet.facts("kvm", "none", true)),
                Fleet.report("c1", "change-set", Map.of("id", "cs-1", "status", "applied", "entries", List.of())),
                Fleet.report("e1", "event", Map.of("type", "external-change", "summary", "drift")))).status()).isEqualTo(200);
        long events = fleet.count("events");
        clock.advance(Duration.ofDays(3));
        assertThat(fleet.report(a, List.of(Fleet.report("s2", "status", Map.of("mode", "apply")))).status()).isEqualTo(200);

        var pruned = fleet.server.prune();
        assertThat(pruned.statusReports()).isEqualTo(2); // s1 and the key of f1
        assertThat(pruned.historyReports()).isZero();
        assertThat(fleet.count("reports")).isEqualTo(3);
        // the agent's last facts and status stay on its row
        assertThat(fleet.http.get("/api/v1/agents/" + a.id() + "/facts", fleet.admin).status()).isEqualTo(200);
        assertThat(fleet.http.get("/api/v1/agents/" + a.id() + "/status", fleet.admin).body()).contains("apply");

        clock.advance(Duration.ofDays(31));
        pruned = fleet.server.prune();
        assertThat(pruned.historyReports()).isEqualTo(2);
        assertThat(pruned.events()).isEqualTo(events);
        assertThat(pruned.statusReports()).isEqualTo(1);
        assertThat(fleet.count("reports")).isZero();
        assertThat(fleet.server.prune()).isEqualTo(new dev.chameleon.server.service.Retention.Pruned(0, 0, 0));
        assertThat(fleet.count("audit")).as("the audit log is never pruned").isPositive();
    }
}
