package dev.chameleon.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hardware advice on the control plane (issue 18): agents send it as an {@code event} report of
 * type {@code advice}; the server keeps it with the agent's events and answers the latest per
 * agent ({@code GET /api/v1/agents/{id}/advice}) and for the fleet ({@code GET /api/v1/advice}).
 * A real server on loopback, with H2 and with a real PostgreSQL (the latest-per-agent query is SQL both run).
 */
@Timeout(120)
class AdviceApiTest {
    Fleet fleet;

    @AfterEach
    void stop() {
        if (fleet != null) {
            fleet.close();
        }
    }

    /** An advice event as FleetLink sends it, with {@code fail} failing hardware checks. */
    static Map<String, Object> advice(String summary, int fail) {
        Map<String, Object> finding = new LinkedHashMap<>();
        finding.put("check", "nic.model");
        finding.put("status", fail > 0 ? "fail" : "pass");
        finding.put("expected", "paravirtual NICs (vmxnet3)");
        finding.put("found", fail > 0 ? "not paravirtual: eth0 (e1000)" : "vmxnet3");
        finding.put("evidence", List.of("nics.eth0.driver = e1000 (/sys/class/net/eth0/device/driver)"));
        Map<String, Object> hardware = new LinkedHashMap<>();
        hardware.put("profile", "general");
        hardware.put("findings", List.of(finding));
        hardware.put("summary", Map.of("pass", fail > 0 ? 0 : 1, "fail", fail, "unknown", 0));
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("summary", summary);
        a.put("hardware", hardware);
        Map<String, Object> ev = new LinkedHashMap<>();
        ev.put("type", "advice");
        ev.put("time", "2026-12-04T20:00:00Z");
        ev.put("summary", summary);
        ev.put("advice", a);
        return ev;
    }

    @ParameterizedTest
    @EnumSource(Fleet.Db.class)
    void theLatestAdvicePerAgentIsAnsweredAndShownInTheFeed(Fleet.Db db) {
        fleet = Fleet.start(db);
        Http.Response et = fleet.http.post("/api/v1/enroll-tokens", fleet.admin, Http.json(Map.of("name", "e", "maxUses", 3)));
        String token = et.json().get("token").asText();
        Fleet.Agent a = fleet.enroll(token, "vm-a", Fleet.facts("vmware", "none", false));
        Fleet.Agent b = fleet.enroll(token, "vm-b", Fleet.facts("kvm", "none", false));

        Http.Response none = fleet.http.get("/api/v1/agents/" + a.id() + "/advice", fleet.admin);
        assertThat(none.status()).isEqualTo(404);
        assertThat(none.body()).contains("has sent no hardware advice yet");

        assertThat(fleet.report(a, List.of(Fleet.report("a1", "event", advice("hardware (general): 1 failing (nic.model)", 1)))).status())
                .isEqualTo(200);
        assertThat(fleet.report(a, List.of(Fleet.report("a2", "event", advice("hardware (general): nothing failing", 0)))).status())
                .isEqualTo(200);
        assertThat(fleet.report(b, List.of(Fleet.report("b1", "event", advice("hardware (general): 1 failing (nic.model)", 1)))).status())
                .isEqualTo(200);

        JsonNode latest = fleet.http.get("/api/v1/agents/" + a.id() + "/advice", fleet.admin).json();
        assertThat(latest.get("agentId").asText()).isEqualTo(a.id());
        assertThat(latest.get("summary").asText()).isEqualTo("hardware (general): nothing failing");
        assertThat(latest.at("/advice/hardware/findings/0/check").asText()).isEqualTo("nic.model");
        assertThat(latest.at("/advice/hardware/summary/fail").asInt()).isZero();

        JsonNode all = fleet.http.get("/api/v1/advice", fleet.admin).json();
        assertThat(all).hasSize(2);
        JsonNode failing = fleet.http.get("/api/v1/advice?failing=true", fleet.admin).json();
        assertThat(failing).singleElement().satisfies(n -> assertThat(n.get("agentId").asText()).isEqualTo(b.id()));
        assertThat(fleet.http.get("/api/v1/advice?failing=maybe", fleet.admin).status()).isEqualTo(400);

        // the feed shows each advice as an agent event
        assertThat(fleet.http.get("/api/v1/agents/" + a.id() + "/events", fleet.admin).body()).contains("agent.advice")
                .contains("1 failing (nic.model)");
        // a viewer needs a token: no anonymous advice
        assertThat(fleet.http.get("/api/v1/advice", null).status()).isEqualTo(401);
    }
}
