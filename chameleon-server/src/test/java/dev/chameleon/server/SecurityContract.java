package dev.chameleon.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.server.http.Route;
import io.javalin.http.HandlerType;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every refusal: the right status, the one error shape, and nothing written (row counts of
 * every table and the counters, read from the database, unchanged). Run on H2 and PostgreSQL.
 */
abstract class SecurityContract {
    static final String SQL = "'; DROP TABLE agents; --";

    abstract Fleet.Db db();

    Fleet fleet;
    MovableClock clock;
    Fleet.Agent a;
    Fleet.Agent b;
    String viewer;
    String operator;

    @BeforeEach
    void start() {
        clock = new MovableClock();
        // a route whose handler forgets to check authorization (the safety net must fail it)
        Route forgetful = new Route(HandlerType.GET, "/api/v1/test/forgetful", Route.Who.VIEWER, "test", "forgets its check",
                List.of(), null, 200, null, List.of(), ctx -> ctx.result("secret"));
        fleet = Fleet.start(db(), clock, List.of(forgetful));
        String enroll = fleet.enrollToken(Map.of("ring", "canary"), 2);
        a = fleet.enroll(enroll, "a-1", Fleet.facts("vmware", "none", false));
        b = fleet.enroll(enroll, "b-1", Fleet.facts("kvm", "none", false));
        viewer = fleet.token("viewer");
        operator = fleet.token("operator");
        fleet.http.put("/api/v1/policies/web-tier", fleet.admin, "application/yaml", FleetApiContract.POLICY);
    }

    @AfterEach
    void stop() {
        fleet.close();
    }

    /** Sends, checks the status and error shape, and that no table changed. */
    private Http.Response refused(int status, Supplier<Http.Response> call) {
        Map<String, Long> before = fleet.counts();
        Http.Response r = call.get();
        assertThat(r.status()).as(r.toString()).isEqualTo(status);
        assertThat(r.json().get("message").asText()).isNotBlank();
        assertThat(r.json().get("requestId").asText()).isNotBlank();
        assertThat(r.json().has("errors")).isTrue();
        assertThat(fleet.counts()).as("nothing written").isEqualTo(before);
        return r;
    }

    private String report(String id) {
        return Http.json(Map.of("reports", List.of(Fleet.report(id, "status", Map.of("mode", "apply")))));
    }

    @Test
    void noToken() {
        refused(401, () -> fleet.http.get("/api/v1/agents", null));
        refused(401, () -> fleet.http.put("/api/v1/policies/x", null, "application/yaml", FleetApiContract.POLICY));
        refused(401, () -> fleet.http.post("/api/v1/agents/" + a.id() + "/reports", null, report("n1")));
        refused(401, () -> fleet.http.post("/api/v1/tokens", "not-a-token", Http.json(Map.of("name", "x", "role", "admin"))));
        refused(401, () -> fleet.http.send("GET", "/api/v1/agents", null, null, null, Map.of("Authorization", "Basic YTpi"),
                Duration.ofSeconds(10)));
    }

    @Test
    void revokedToken() {
        String t = fleet.token("operator");
        String id = t.substring(4, t.indexOf('.'));
        assertThat(fleet.http.delete("/api/v1/tokens/" + id, fleet.admin).status()).isEqualTo(204);
        Http.Response r = refused(401, () -> fleet.http.put("/api/v1/policies/other", t, "application/yaml", FleetApiContract.POLICY));
        assertThat(r.json().get("message").asText()).contains("revoked");
        refused(409, () -> fleet.http.delete("/api/v1/tokens/" + id, fleet.admin));
        // a right id with a wrong secret
        refused(401, () -> fleet.http.get("/api/v1/agents", t.substring(0, t.indexOf('.') + 1) + "A".repeat(43)));
    }

    /** New-user trial: an admin could revoke the last admin token over the API and lock every operator out. */
    @Test
    void theLastAdminTokenIsNotRevoked() {
        String adminId = fleet.admin.substring(4, fleet.admin.indexOf('.'));
        Http.Response r = refused(409, () -> fleet.http.delete("/api/v1/tokens/" + adminId, fleet.admin));
        assertThat(r.json().get("message").asText()).contains("last admin token").contains("POST /api/v1/tokens");
        assertThat(fleet.http.get("/api/v1/agents", fleet.admin).status()).isEqualTo(200);
        // with a second admin, either may go; then the one left is the last again
        Http.Response made = fleet.http.post("/api/v1/tokens", fleet.admin, Http.json(Map.of("name", "admin two", "role", "admin")));
        assertThat(made.status()).isEqualTo(201);
        String second = made.json().get("token").asText();
        assertThat(fleet.http.delete("/api/v1/tokens/" + second.substring(4, second.indexOf('.')), fleet.admin).status()).isEqualTo(204);
        refused(409, () -> fleet.http.delete("/api/v1/tokens/" + adminId, fleet.admin));
        // other roles are revoked as before
        String op = operator.substring(4, operator.indexOf('.'));
        assertThat(fleet.http.delete("/api/v1/tokens/" + op, fleet.admin).status()).isEqualTo(204);
    }

    private String adminToken(String name, Long expiresInSeconds) {
        Map<String, Object> body = new java.util.LinkedHashMap<>(Map.of("name", name, "role", "admin"));
        if (expiresInSeconds != null) {
            body.put("expiresInSeconds", expiresInSeconds);
        }
        Http.Response made = fleet.http.post("/api/v1/tokens", fleet.admin, Http.json(body));
        assertThat(made.status()).as(made.toString()).isEqualTo(201);
        return made.json().get("token").asText();
    }

    private static String idOf(String token) {
        return token.substring(4, token.indexOf('.'));
    }

    /**
     * New-user trial: the last-admin rule counted expired admin tokens and ones expiring sooner,
     * so revoking the one lasting admin left the API with none once they expired.
     */
    @Test
    void anExpiredOrSoonerExpiringAdminTokenDoesNotCountAsAnotherAdmin() {
        String c = fleet.admin;
        // (A) D has expired: C is the last usable admin token
        String d = adminToken("admin d", 60L);
        clock.advance(Duration.ofMinutes(2));
        assertThat(fleet.http.get("/api/v1/agents", d).status()).isEqualTo(401);
        Http.Response r = refused(409, () -> fleet.http.delete("/api/v1/tokens/" + idOf(c), c));
        assertThat(r.json().get("message").asText()).contains("Create another admin token first");
        // (B) E expires in an hour, C never: revoking C with E would lock everyone out in an hour
        String e = adminToken("admin e", 3600L);
        refused(409, () -> fleet.http.delete("/api/v1/tokens/" + idOf(c), e));
        refused(409, () -> fleet.http.delete("/api/v1/tokens/" + idOf(c), c));
        // E may go: C outlasts it
        String f = adminToken("admin f", 7200L);
        refused(409, () -> fleet.http.delete("/api/v1/tokens/" + idOf(c), f));
        assertThat(fleet.http.delete("/api/v1/tokens/" + idOf(e), c).status()).isEqualTo(204);
        // a never-expiring G lets C go; then G is the last usable one, and the expired D may go
        String g = adminToken("admin g", null);
        assertThat(fleet.http.delete("/api/v1/tokens/" + idOf(c), g).status()).isEqualTo(204);
        refused(409, () -> fleet.http.delete("/api/v1/tokens/" + idOf(g), g));
        assertThat(fleet.http.delete("/api/v1/tokens/" + idOf(d), g).status()).isEqualTo(204);
        // F (expires in 2 h) revoked: it expires before G, which stays
        assertThat(fleet.http.delete("/api/v1/tokens/" + idOf(f), g).status()).isEqualTo(204);
        assertThat(fleet.http.get("/api/v1/agents", g).status()).isEqualTo(200);
    }

    /** New-user trial: RFC 7235 makes the auth-scheme case-insensitive; {@code bearer TOKEN} was refused. */
    @Test
    void theBearerSchemeInAnyCase() {
        for (String scheme : List.of("bearer", "BEARER", "bEaReR")) {
            Http.Response r = fleet.http.send("GET", "/api/v1/agents", null, null, null,
                    Map.of("Authorization", scheme + " " + fleet.admin), Duration.ofSeconds(10));
            assertThat(r.status()).as(scheme + ": " + r).isEqualTo(200);
        }
        refused(401, () -> fleet.http.send("GET", "/api/v1/agents", null, null, null,
                Map.of("Authorization", "Bearerx " + fleet.admin), Duration.ofSeconds(10)));
        refused(401, () -> fleet.http.send("GET", "/api/v1/agents", null, null, null,
                Map.of("Authorization", "Token " + fleet.admin), Duration.ofSeconds(10)));
    }

    @Test
    void anotherAgentsCredential() {
        refused(403, () -> fleet.http.post("/api/v1/agents/" + a.id() + "/reports", b.credential(), report("x1")));
        refused(403, () -> fleet.http.get("/api/v1/agents/" + a.id() + "/bundle", b.credential()));
        refused(403, () -> fleet.http.get("/api/v1/agents", a.credential()));
        refused(403, () -> fleet.http.get("/api/v1/agents/" + b.id() + "/facts", a.credential()));
        refused(403, () -> fleet.http.delete("/api/v1/agents/" + b.id(), a.credential()));
        // an operator token cannot write an agent's reports either
        refused(403, () -> fleet.http.post("/api/v1/agents/" + a.id() + "/reports", fleet.admin, report("x2")));
    }

    @Test
    void viewerWriting() {
        refused(403, () -> fleet.http.put("/api/v1/policies/web-tier", viewer, "application/yaml", FleetApiContract.POLICY + "\n"));
        refused(403, () -> fleet.http.post("/api/v1/tokens", viewer, Http.json(Map.of("name", "x", "role", "admin"))));
        refused(403, () -> fleet.http.post("/api/v1/enroll-tokens", viewer, Http.json(Map.of("name", "x"))));
        refused(403, () -> fleet.http.delete("/api/v1/agents/" + a.id(), viewer));
        refused(403, () -> fleet.http.put("/api/v1/agents/" + a.id() + "/labels", viewer, "application/json",
                Http.json(Map.of("labels", Map.of()))));
        refused(403, () -> fleet.http.post("/api/v1/assignments", viewer, Http.json(Map.of("name", "w", "policy", "web-tier",
                "selector", "true"))));
        // an operator cannot make tokens (admin only)
        refused(403, () -> fleet.http.post("/api/v1/tokens", operator, Http.json(Map.of("name", "x", "role", "admin"))));
        // reading is fine
        assertThat(fleet.http.get("/api/v1/agents", viewer).status()).isEqualTo(200);
    }

    @Test
    void enrollmentTokenPastItsUsesExpiryOrRevoked() {
        Map<String, Object> body = Map.of("hostname", "c-1", "agentVersion", "0.1.0");
        String used = fleet.enrollToken(Map.of(), 1);
        fleet.enroll(used, "first", Map.of());
        Http.Response r = refused(401, () -> fleet.http.post("/api/v1/enroll", null, Http.json(with(body, used))));
        assertThat(r.json().get("message").asText()).contains("used up");

        String expiring = fleet.enrollToken(Map.of(), 5);
        clock.advance(Duration.ofHours(2));
        assertThat(refused(401, () -> fleet.http.post("/api/v1/enroll", null, Http.json(with(body, expiring))))
                .json().get("message").asText()).contains("expired");

        String revoked = fleet.enrollToken(Map.of(), 5);
        fleet.http.delete("/api/v1/enroll-tokens/" + revoked.substring(4, revoked.indexOf('.')), fleet.admin);
        assertThat(refused(401, () -> fleet.http.post("/api/v1/enroll", null, Http.json(with(body, revoked))))
                .json().get("message").asText()).contains("revoked");
        refused(401, () -> fleet.http.post("/api/v1/enroll", null, Http.json(with(body, "che_en-0000000000000000." + "A".repeat(43)))));
        refused(401, () -> fleet.http.post("/api/v1/enroll", null, Http.json(with(body, a.credential()))));
    }

    private static Map<String, Object> with(Map<String, Object> body, String token) {
        Map<String, Object> m = new java.util.LinkedHashMap<>(body);
        m.put("enrollToken", token);
        return m;
    }

    @Test
    void oversizedBodies() {
        String big = "{\"reports\":[{\"id\":\"big\",\"kind\":\"event\",\"time\":\"2026-12-04T13:00:00Z\",\"payload\":{\"x\":\""
                + "a".repeat(5 << 20) + "\"}}]}";
        refused(413, () -> fleet.http.post("/api/v1/agents/" + a.id() + "/reports", a.credential(), big));
        refused(413, () -> fleet.http.put("/api/v1/policies/huge", fleet.admin, "application/yaml",
                FleetApiContract.POLICY + "#" + "x".repeat(2 << 20) + "\n"));
        refused(413, () -> fleet.http.post("/api/v1/tokens", fleet.admin, Http.json(Map.of("name", "x".repeat(100_000), "role", "viewer"))));
    }

    /** Sends one report of {@code kind} with {@code payload}; expects 400 naming {@code field} and nothing written. */
    private Http.Response misfit(String kind, Object payload, String field) {
        Http.Response r = refused(400, () -> fleet.report(a, List.of(Fleet.report("bad-1", kind, payload))));
        assertThat(r.json().get("code").asText()).isEqualTo("invalid");
        assertThat(r.json().get("message").asText()).as(r.toString()).contains("report bad-1 (" + kind + ")").contains(field + ": ");
        return r;
    }

    @Test
    void reportPayloadsThatDoNotFitTheirKindAreRefusedNamingTheFieldAndNothingIsStored() {
        // status: the mode is an enum (it was stored and counted in the summary), the counts are whole numbers
        Http.Response mode = misfit("status", Map.of("mode", "bogus-mode", "pendingChanges", 0), "mode");
        assertThat(mode.json().get("message").asText()).contains("\"bogus-mode\"").contains("plan, apply");
        misfit("status", Map.of("pendingChanges", 1), "mode");
        misfit("status", Map.of("mode", "plan", "pendingChanges", "3"), "pendingChanges");
        misfit("status", Map.of("mode", "plan", "drift", -1), "drift");
        misfit("status", Map.of("mode", "plan", "cpuPercent", "high"), "cpuPercent");
        misfit("status", Map.of("mode", "plan", "trigger", "t".repeat(257)), "trigger");
        // a payload that is no object at all is refused by the wire reader, positioned
        assertThat(refused(400, () -> fleet.report(a, List.of(Fleet.report("bad-0", "status", List.of("mode", "plan"))))).json()
                .get("message").asText()).contains("reports[0].payload must be a JSON object");
        // plan, current values, change sets, events
        misfit("plan", Map.of("entries", List.of()), "summary");
        misfit("plan", Map.of("summary", Map.of("change", 1.5)), "summary.change");
        misfit("plan", Map.of("summary", Map.of("change", 1), "entries", "none"), "entries");
        misfit("current-values", Map.of("sysctl:vm.swappiness", 60), "sysctl:vm.swappiness");
        misfit("current-values", Map.of("no kind here", "1"), "no kind here");
        misfit("change-set", Map.of("id", "cs-1", "status", "exploded", "entries", List.of()), "status");
        misfit("change-set", Map.of("status", "applied", "entries", List.of()), "id");
        misfit("change-set", Map.of("id", "cs-1", "status", "applied", "entries", List.of(7)), "entries[0]");
        misfit("event", Map.of("summary", "no type"), "type");
        misfit("event", Map.of("type", "Not A Type"), "type");
        misfit("event", Map.of("type", "drift", "summary", List.of("x")), "summary");
        misfit("event", Map.of("type", "advice", "advice", "fine"), "advice");
        // a batch with one misfit stores none of it, the good report included
        Http.Response batch = refused(400, () -> fleet.report(a, List.of(Fleet.report("good-1", "status", Map.of("mode", "apply")),
                Fleet.report("bad-2", "status", Map.of("mode", "sideways")))));
        assertThat(batch.json().get("message").asText()).startsWith("report bad-2 (status): mode: ");
        // the summary never saw a bogus mode
        assertThat(fleet.http.get("/api/v1/fleet/summary", fleet.admin).json().get("modes").toString()).doesNotContain("bogus")
                .doesNotContain("sideways");
    }

    @Test
    void tuningProposalsWithGarbageFieldsAndSensorsOfTheWrongShapeAreRefused() {
        Map<String, Object> good = TuningProposalsApiTest.proposal(Fleet.facts("vmware", "none", false), "backlog");
        Map<String, Object> ev = new java.util.LinkedHashMap<>(good);
        ev.put("fingerprint", "hypervisor=vmware");
        misfit("event", ev, "fingerprint");
        ev = new java.util.LinkedHashMap<>(good);
        ev.put("gain", Map.of("percent", "a lot", "significant", "yes"));
        Http.Response gain = misfit("event", ev, "gain.percent");
        assertThat(gain.json().get("errors").toString()).contains("gain.significant");
        ev = new java.util.LinkedHashMap<>(good);
        ev.put("tuning", "Not/A Name");
        misfit("event", ev, "tuning");
        ev = new java.util.LinkedHashMap<>(good);
        ev.remove("proposal");
        misfit("event", ev, "proposal");
        ev = new java.util.LinkedHashMap<>(good);
        ev.put("fingerprint", Map.of("key", "k", "memoryTierGiB", "eight", "apps", "postgresql"));
        Http.Response fp = misfit("event", ev, "fingerprint.memoryTierGiB");
        assertThat(fp.json().get("errors").toString()).contains("fingerprint.apps");

        // facts: meta.sensors is counted (failingSensors), so its shape is checked too, in reports and at enrollment
        Map<String, Object> facts = Fleet.golden("qemu-q35-virtio");
        for (Object[] c : new Object[][] {
                {List.of("memory"), "meta.sensors"},
                {Map.of("memory", "failed"), "meta.sensors.memory"},
                {Map.of("memory", Map.of("status", "broken")), "meta.sensors.memory.status"},
                {Map.of("memory", Map.of("status", "ok", "problems", "unreadable")), "meta.sensors.memory.problems"},
                {Map.of("memory", Map.of("status", "ok", "problems", List.of(Map.of("source", 1)))), "meta.sensors.memory.problems[0].source"}}) {
            Map<String, Object> f = new java.util.LinkedHashMap<>(facts);
            Map<String, Object> meta = new java.util.LinkedHashMap<>(Map.of("sensors", c[0]));
            f.put("meta", meta);
            Http.Response r = misfit("facts", f, (String) c[1]);
            assertThat(r.json().get("message").asText()).contains("report bad-1 (facts): facts: " + c[1] + ": ");
            Map<String, Object> body = new java.util.LinkedHashMap<>();
            body.put("enrollToken", fleet.enrollToken(Map.of(), 1));
            body.put("hostname", "bad-facts");
            body.put("agentVersion", "0.1.0");
            body.put("facts", f);
            Http.Response e = refused(400, () -> fleet.http.post("/api/v1/enroll", null, Http.json(body)));
            assertThat(e.json().get("message").asText()).contains(c[1] + ": ");
        }
    }

    @Test
    void malformedJsonAndYaml() {
        Http.Response r = refused(400, () -> fleet.http.post("/api/v1/agents/" + a.id() + "/reports", a.credential(),
                "{\"reports\": [\n  {\"id\": \"a\",,}]}"));
        assertThat(r.json().get("message").asText()).startsWith("2:");
        refused(400, () -> fleet.http.post("/api/v1/enroll", null, "{\"enrollToken\": "));
        refused(400, () -> fleet.http.post("/api/v1/tokens", fleet.admin, "[1, 2"));
        refused(400, () -> fleet.http.post("/api/v1/tokens", fleet.admin, "{\"name\": \"x\", \"role\": \"viewer\", \"extra\": 1}"));
        refused(400, () -> fleet.http.post("/api/v1/tokens", fleet.admin, "null"));
        // new-user trial: content after the body was accepted on some routes; every JSON body is strict
        for (String trailing : List.of("{\"name\":\"e\",\"maxUses\":1}{\"x\":1}", "{\"name\":\"e\",\"maxUses\":1} ]")) {
            Http.Response t = refused(400, () -> fleet.http.post("/api/v1/enroll-tokens", fleet.admin, trailing));
            assertThat(t.json().get("code").asText()).isEqualTo("invalid");
        }
        assertThat(refused(400, () -> fleet.http.post("/api/v1/tokens", fleet.admin, "{\"name\":\"x\",\"role\":\"viewer\"} trailing"))
                .json().get("code").asText()).isEqualTo("invalid");
        refused(400, () -> fleet.http.post("/api/v1/enroll", null, "{\"enrollToken\":\"x\",\"hostname\":\"h\"} {}"));
        refused(400, () -> fleet.http.put("/api/v1/agents/" + a.id() + "/labels", fleet.admin, "application/json",
                "{\"labels\":{}} 1"));
        // numbers out of range and values of the wrong shape are the client's error (they were 500s),
        // said without Java class names
        Http.Response big = refused(400, () -> fleet.http.post("/api/v1/enroll-tokens", fleet.admin,
                "{\"name\": \"e2\", \"ttlSeconds\": 99999999999999999999}"));
        assertThat(big.json().get("code").asText()).isEqualTo("invalid");
        refused(400, () -> fleet.http.post("/api/v1/assignments/w/rollouts", fleet.admin, "{\"version\": 99999999999999999999}"));
        Http.Response shape = refused(400, () -> fleet.http.post("/api/v1/tokens", fleet.admin, "[\"x\"]"));
        assertThat(shape.json().get("message").asText()).doesNotContain("dev.chameleon").doesNotContain("java.lang");
        refused(415, () -> fleet.http.put("/api/v1/agents/" + a.id() + "/labels", fleet.admin, "text/html", "{}"));
        String unknownKind = Http.json(Map.of("reports", List.of(Fleet.report("f2", "status", Map.of()))))
                .replace("\"status\"", "\"unknown-kind\"");
        refused(400, () -> fleet.http.post("/api/v1/agents/" + a.id() + "/reports", a.credential(), unknownKind));
        // a batch with one bad report stores none of it
        refused(400, () -> fleet.http.post("/api/v1/agents/" + a.id() + "/reports", a.credential(), Http.json(Map.of("reports",
                List.of(Fleet.report("ok-1", "status", Map.of("mode", "plan")), Fleet.report("f1", "facts", Map.of("platform", "x")
                ))))));
        Http.Response y = refused(422, () -> fleet.http.put("/api/v1/policies/web-tier", fleet.admin, "application/yaml",
                "apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: x\nspec: [\n"));
        assertThat(y.json().get("errors").get(0).asText()).matches("(?s)web-tier\\.yaml:\\d+:\\d+: error: .*");
        refused(400, () -> fleet.http.put("/api/v1/policies/empty", fleet.admin, "application/yaml", "   \n"));
    }

    @Test
    void hostileSelectors() {
        String[] bad = {"platform.hypervisor ==", "platform.hypervisr == 'x'", "true||".repeat(700) + "true",
                "(".repeat(500) + "true" + ")".repeat(500), SQL, "1 + 1"};
        for (String sel : bad) {
            refused(422, () -> fleet.http.post("/api/v1/assignments", fleet.admin, Http.json(Map.of("name", "w", "policy", "web-tier",
                    "selector", sel))));
            refused(422, () -> fleet.http.get("/api/v1/agents?where=" + URLEncoder.encode(sel, StandardCharsets.UTF_8), viewer));
        }
        // longer than a URI may be: Jetty's refusal, in the same error shape. Jetty closes the connection after it; sent
        // with a client of its own, so the shared client's next request cannot pick that closed connection from its pool
        // (it once failed with "HTTP/1.1 header parser received no bytes")
        Http.Response tooLong = refused(414, () -> new Http(fleet.server.url()).get("/api/v1/agents?where=" + "x".repeat(20_000), viewer));
        assertThat(tooLong.json().get("code").asText()).isEqualTo("too-large");
        // Jetty closes a connection it could not parse; the answer says so, so the client's next
        // request (below) goes on a new connection instead of the closed one
        assertThat(tooLong.headers()).containsEntry("connection", "close");
        fleet.http.post("/api/v1/assignments", fleet.admin, Http.json(Map.of("name", "w", "policy", "web-tier", "selector", "true")));
        refused(422, () -> fleet.http.post("/api/v1/assignments/w/rollouts", fleet.admin, Http.json(Map.of("version", 1,
                "canarySelector", "labels.ring == 1"))));
    }

    @Test
    void sqlLookingStringsInEveryField() {
        // refused by validation: names, labels, host names, report ids, versions, path and query parameters
        refused(400, () -> fleet.http.put("/api/v1/policies/" + URLEncoder.encode(SQL, StandardCharsets.UTF_8).replace("+", "%20"),
                fleet.admin, "application/yaml", FleetApiContract.POLICY));
        refused(400, () -> fleet.http.post("/api/v1/assignments", fleet.admin, Http.json(Map.of("name", SQL, "policy", "web-tier",
                "selector", "true"))));
        refused(400, () -> fleet.http.post("/api/v1/enroll-tokens", fleet.admin, Http.json(Map.of("name", "x", "labels", Map.of(SQL, "v")))));
        refused(400, () -> fleet.http.post("/api/v1/enroll-tokens", fleet.admin, Http.json(Map.of("name", "x", "labels", Map.of("k", SQL)))));
        refused(400, () -> fleet.http.put("/api/v1/agents/" + a.id() + "/labels", fleet.admin, "application/json",
                Http.json(Map.of("labels", Map.of("team", SQL)))));
        refused(400, () -> fleet.http.post("/api/v1/tokens", fleet.admin, Http.json(Map.of("name", "x", "role", SQL))));
        refused(400, () -> fleet.http.post("/api/v1/agents/" + a.id() + "/reports", a.credential(), report(SQL)));
        String enroll = fleet.enrollToken(Map.of(), 1);
        refused(400, () -> fleet.http.post("/api/v1/enroll", null, Http.json(Map.of("enrollToken", enroll, "hostname", SQL))));
        refused(401, () -> fleet.http.post("/api/v1/enroll", null, Http.json(Map.of("enrollToken", SQL, "hostname", "h"))));
        refused(400, () -> fleet.http.get("/api/v1/policies/web-tier/versions/" + URLEncoder.encode(SQL, StandardCharsets.UTF_8), viewer));
        refused(400, () -> fleet.http.get("/api/v1/events?after=" + URLEncoder.encode(SQL, StandardCharsets.UTF_8), viewer));
        refused(404, () -> fleet.http.get("/api/v1/agents/" + URLEncoder.encode(SQL, StandardCharsets.UTF_8), viewer));
        refused(403, () -> fleet.http.post("/api/v1/agents/" + URLEncoder.encode(SQL, StandardCharsets.UTF_8) + "/reports",
                a.credential(), report("s1")));
        // accepted as data and stored verbatim: free text, cursors, filters
        Http.Response t = fleet.http.post("/api/v1/tokens", fleet.admin, Http.json(Map.of("name", SQL, "role", "viewer")));
        assertThat(t.status()).isEqualTo(201);
        assertThat(fleet.http.get("/api/v1/tokens", fleet.admin).json().findValuesAsText("name")).contains(SQL);
        assertThat(fleet.http.get("/api/v1/agents?after=" + URLEncoder.encode(SQL, StandardCharsets.UTF_8), viewer).json()
                .get("items")).hasSize(2);
        assertThat(fleet.http.get("/api/v1/events?agent=" + URLEncoder.encode(SQL, StandardCharsets.UTF_8), viewer).json()).isEmpty();
        Http.Response ev = fleet.http.post("/api/v1/agents/" + a.id() + "/reports", a.credential(), Http.json(Map.of("reports",
                List.of(Fleet.report("sql-1", "event", Map.of("type", "drift", "summary", SQL))))));
        assertThat(ev.status()).isEqualTo(200);
        assertThat(fleet.http.get("/api/v1/agents/" + a.id() + "/events", viewer).json().get(0).get("summary").asText()).contains(SQL);
        assertThat(fleet.count("agents")).isEqualTo(2);
    }

    @Test
    void handlerThatNeverCheckedAuthorizationIsRefused() {
        Http.Response r = refused(403, () -> fleet.http.get("/api/v1/test/forgetful", fleet.admin));
        assertThat(r.body()).doesNotContain("secret");
        assertThat(fleet.server.api().unchecked()).isEqualTo(1);
    }

    @Test
    void unknownRoutesAndMethodsAnswerTheErrorShape() {
        refused(404, () -> fleet.http.get("/api/v1/nothing-here", fleet.admin));
        // new-user trial: a wrong method on an existing route was 404; the docs say 405
        Http.Response m = refused(405, () -> fleet.http.delete("/api/v1/agents", fleet.admin));
        assertThat(m.header("Allow")).isEqualTo("GET, HEAD");
        assertThat(m.json().get("code").asText()).isEqualTo("method-not-allowed");
        Http.Response p = refused(405, () -> fleet.http.send("PATCH", "/api/v1/agents/" + a.id(), fleet.admin, "application/json", "{}",
                Map.of(), Duration.ofSeconds(10)));
        assertThat(p.header("Allow")).isEqualTo("GET, HEAD, DELETE");
        assertThat(refused(405, () -> fleet.http.post("/api/v1/policies/web-tier", fleet.admin, "{}")).header("Allow"))
                .isEqualTo("GET, HEAD, PUT");
    }

    /** New-user trial: loosely typed JSON was coerced ("3" → 3, 1.5 → 1, 1e999999999 → Infinity) and limit=-1 taken. */
    @Test
    void looselyTypedJsonAndOutOfRangeQueryParametersAreInvalid() {
        for (String body : List.of("{\"name\": \"e3\", \"maxUses\": \"3\"}", "{\"name\": \"e3\", \"maxUses\": 1.5}",
                "{\"name\": \"e3\", \"ttlSeconds\": \"60\"}", "{\"name\": \"e3\", \"maxUses\": true}")) {
            Http.Response r = refused(400, () -> fleet.http.post("/api/v1/enroll-tokens", fleet.admin, body));
            assertThat(r.json().get("code").asText()).isEqualTo("invalid");
            assertThat(r.json().get("message").asText()).as(body).containsPattern("field '(maxUses|ttlSeconds)'");
        }
        Http.Response inf = refused(400, () -> fleet.http.put("/api/v1/agents/" + a.id() + "/labels", fleet.admin, "application/json",
                "{\"labels\": {\"rack\": 1e999999999}}"));
        assertThat(inf.json().get("message").asText()).contains("field 'labels.rack'").contains("out of range");
        refused(400, () -> fleet.http.post("/api/v1/assignments/w/rollouts", fleet.admin, "{\"version\": 1, \"steps\": [10, 50.5]}"));
        for (String q : List.of("/api/v1/agents?limit=-1", "/api/v1/agents?limit=0", "/api/v1/agents?limit=100000",
                "/api/v1/audit?after=-5", "/api/v1/agents/" + a.id() + "/events?limit=-1", "/api/v1/events?wait=-1")) {
            Http.Response r = refused(400, () -> fleet.http.get(q, fleet.admin));
            assertThat(r.json().get("message").asText()).as(q).startsWith("the query parameter ").containsPattern("(limit|after|wait) must be");
        }
        assertThat(fleet.http.get("/api/v1/agents?limit=500", fleet.admin).status()).isEqualTo(200);
        // a label that is a plain finite number is still taken
        assertThat(fleet.http.put("/api/v1/agents/" + a.id() + "/labels", fleet.admin, "application/json",
                "{\"labels\": {\"rack\": \"r1\"}}").status()).isEqualTo(200);
    }
}
