package dev.chameleon.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /openapi.json} against the server: every route Javalin serves is documented and every
 * documented route is served, every reference resolves, and real answers of every GET route
 * (and the writes of a rollout) validate against the documented schemas.
 */
class OpenApiTest {
    Fleet fleet;
    JsonNode doc;

    @BeforeEach
    void start() {
        fleet = Fleet.start(Fleet.Db.H2);
        Http.Response r = fleet.http.get("/openapi.json", null);
        assertThat(r.status()).isEqualTo(200);
        doc = r.json();
    }

    @AfterEach
    void stop() {
        fleet.close();
    }

    @Test
    void everyRouteDocumentedAndEveryDocumentedRouteServed() {
        TreeSet<String> documented = new TreeSet<>();
        doc.get("paths").fields().forEachRemaining(p -> p.getValue().fieldNames()
                .forEachRemaining(m -> documented.add(m.toUpperCase(java.util.Locale.ROOT) + " " + p.getKey())));
        assertThat(documented).isEqualTo(new TreeSet<>(fleet.server.registeredRoutes()));
        assertThat(documented).hasSizeGreaterThan(35);
        // every operation says who may call it and what errors look like
        doc.get("paths").forEach(p -> p.forEach(op -> {
            assertThat(op.has("x-chameleon-who")).isTrue();
            assertThat(op.get("responses").has("500")).isTrue();
        }));
        List<String> refs = new ArrayList<>();
        collectRefs(doc, refs);
        assertThat(refs).isNotEmpty();
        for (String ref : refs) {
            assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
        }
    }

    private static void collectRefs(JsonNode n, List<String> out) {
        if (n.isObject()) {
            if (n.has("$ref")) {
                out.add(n.get("$ref").asText());
            }
            n.forEach(c -> collectRefs(c, out));
        } else if (n.isArray()) {
            n.forEach(c -> collectRefs(c, out));
        }
    }

    /** Validates an answer against the documented schema of its route and status. */
    private void conforms(String method, String path, Http.Response r) {
        JsonNode content = doc.at("/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method + "/responses/" + r.status()
                + "/content/application~1json/schema");
        assertThat(content.isMissingNode()).as(method + " " + path + " " + r.status() + " is documented").isFalse();
        ObjectNode schema = ((ObjectNode) content.deepCopy());
        schema.set("components", doc.get("components"));
        Schema s = SchemaRegistry.withDefaultDialect(Dialects.getOpenApi30()).getSchema(schema);
        assertThat(s.validate(r.json())).as(method + " " + path + ": " + r.body()).isEmpty();
    }

    @Test
    void answersConformToTheirSchemas() {
        fleet.http.put("/api/v1/policies/web-tier", fleet.admin, "application/yaml", FleetApiContract.POLICY);
        Http.Response et = fleet.http.post("/api/v1/enroll-tokens", fleet.admin, Http.json(Map.of("name", "e", "maxUses", 3,
                "labels", Map.of("ring", "canary"))));
        conforms("post", "/api/v1/enroll-tokens", et);
        Fleet.Agent a = fleet.enroll(et.json().get("token").asText(), "vm-1", Fleet.facts("vmware", "none", true));
        conforms("post", "/api/v1/enroll", a.enrollment());
        Http.Response rep = fleet.report(a, List.of(Fleet.report("r1", "status", Map.of("mode", "plan")),
                Fleet.report("r2", "plan", Map.of("summary", Map.of("change", 1))),
                Fleet.report("r3", "change-set", Map.of("id", "cs", "status", "applied", "entries", List.of())),
                Fleet.report("r4", "current-values", Map.of("sysctl:vm.swappiness", "60")),
                Fleet.report("r5", "event", AdviceApiTest.advice("hardware (general): nothing failing", 0)),
                Fleet.report("r6", "event", TuningProposalsApiTest.proposal(Fleet.facts("vmware", "none", true), "backlog"))));
        conforms("post", "/api/v1/agents/{id}/reports", rep);
        Http.Response asg = fleet.http.post("/api/v1/assignments", fleet.admin, Http.json(Map.of("name", "web", "policy", "web-tier",
                "selector", "true")));
        conforms("post", "/api/v1/assignments", asg);
        Http.Response ro = fleet.http.post("/api/v1/assignments/web/rollouts", fleet.admin, Http.json(Map.of("version", 1,
                "canaryAgents", List.of(a.id()), "steps", List.of(50, 100))));
        conforms("post", "/api/v1/assignments/{name}/rollouts", ro);
        String rollout = ro.json().get("id").asText();
        conforms("post", "/api/v1/rollouts/{id}/pause", fleet.http.post("/api/v1/rollouts/" + rollout + "/pause", fleet.admin, "{}"));
        conforms("post", "/api/v1/tokens", fleet.http.post("/api/v1/tokens", fleet.admin, Http.json(Map.of("name", "v", "role", "viewer"))));
        fleet.http.put("/api/v1/policies/web-tier", fleet.admin, "application/yaml", FleetApiContract.POLICY.replace("5", "6"));

        Map<String, String> params = Map.of("{id}", a.id(), "{name}", "web-tier", "{version}", "1");
        int checked = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = doc.get("paths").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            if (!p.getValue().has("get") || p.getKey().endsWith("/stream") || p.getKey().endsWith("/bundle")) {
                continue;
            }
            String path = p.getKey();
            for (Map.Entry<String, String> e : params.entrySet()) {
                path = path.replace(e.getKey(), e.getValue());
            }
            if (p.getKey().startsWith("/api/v1/assignments/{name}")) {
                path = p.getKey().replace("{name}", "web");
            }
            if (p.getKey().startsWith("/api/v1/rollouts/")) {
                path = p.getKey().replace("{id}", rollout);
            }
            if (p.getKey().endsWith("/diff")) {
                path += "?from=1&to=2";
            }
            if (p.getKey().equals("/api/v1/tuning/proposals")) {
                path += "?agent=" + a.id();
            }
            Http.Response r = fleet.http.get(path, fleet.admin);
            assertThat(r.status()).as(path + ": " + r.body()).isEqualTo(200);
            if (!p.getKey().equals("/openapi.json")) {
                conforms("get", p.getKey(), r);
            }
            checked++;
        }
        assertThat(checked).isGreaterThan(20);
        // and the error shape
        conforms("get", "/api/v1/agents/{id}", fleet.http.get("/api/v1/agents/ag-0000000000000000", fleet.admin));
    }
}
