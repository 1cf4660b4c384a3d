package dev.chameleon.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chameleon.wire.BundleKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two replicas on one real PostgreSQL, no balancer: agents split between them see one fleet,
 * a change made on one wakes long polls on the other, and a replica with another signing key
 * (or none) refuses to start.
 */
class ReplicasTest {
    Fleet fleet;
    ControlPlane second;
    Http other;

    @BeforeEach
    void start() {
        fleet = Fleet.start(Fleet.Db.POSTGRESQL);
        second = fleet.replica();
        other = new Http(second.url());
    }

    @AfterEach
    void stop() {
        second.close();
        fleet.close();
    }

    @Test
    void sameFleetViewFromBoth() throws Exception {
        String enroll = fleet.enrollToken(Map.of(), 10);
        List<Fleet.Agent> agents = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Http via = i % 2 == 0 ? fleet.http : other;
            Http.Response r = via.post("/api/v1/enroll", null, Http.json(Map.of("enrollToken", enroll, "hostname", "vm-" + i,
                    "facts", Fleet.facts(i < 3 ? "vmware" : "kvm", "none", false))));
            assertThat(r.status()).as(r.toString()).isEqualTo(201);
            Fleet.Agent a = new Fleet.Agent(r.json().get("agentId").asText(), r.json().get("credential").asText(), r);
            agents.add(a);
            Http.Response rep = via.post("/api/v1/agents/" + a.id() + "/reports", a.credential(), Http.json(Map.of("reports",
                    List.of(Fleet.report("s" + i, "status", Map.of("mode", "plan", "pendingChanges", i))))));
            assertThat(rep.status()).isEqualTo(200);
            // the retry goes to the other replica: still a duplicate
            Http.Response retry = (i % 2 == 0 ? other : fleet.http).post("/api/v1/agents/" + a.id() + "/reports", a.credential(),
                    Http.json(Map.of("reports", List.of(Fleet.report("s" + i, "status", Map.of("mode", "plan", "pendingChanges", i))))));
            assertThat(retry.json().get("duplicates")).hasSize(1);
        }
        for (String path : List.of("/api/v1/agents", "/api/v1/fleet/summary", "/api/v1/events",
                "/api/v1/agents?where=platform.hypervisor%20%3D%3D%20%22vmware%22")) {
            JsonNode one = withoutTimes(fleet.http.get(path, fleet.admin).json());
            JsonNode two = withoutTimes(other.get(path, fleet.admin).json());
            assertThat(two).as(path).isEqualTo(one);
        }
        assertThat(fleet.http.get("/api/v1/agents", fleet.admin).json().get("total").asInt()).isEqualTo(6);
        assertThat(other.get("/api/v1/agents?where=platform.hypervisor%20%3D%3D%20%22vmware%22", fleet.admin).json()
                .get("total").asInt()).isEqualTo(3);
        // the same agent gets the same bundle bytes and version from either replica
        Fleet.Agent a = agents.get(0);
        Http.Response b1 = fleet.http.get("/api/v1/agents/" + a.id() + "/bundle", a.credential());
        Http.Response b2 = other.get("/api/v1/agents/" + a.id() + "/bundle", a.credential());
        assertThat(b2.header("ETag")).isEqualTo(b1.header("ETag"));
        assertThat(b2.body()).isEqualTo(b1.body());
    }

    /** Replicas answer "now"-relative counts at slightly different instants; compare the rest. */
    private static JsonNode withoutTimes(JsonNode n) {
        if (n.isObject()) {
            ((com.fasterxml.jackson.databind.node.ObjectNode) n).remove(List.of("seenLast5Minutes", "seenLastHour"));
            n.forEach(ReplicasTest::withoutTimes);
        } else if (n.isArray()) {
            n.forEach(ReplicasTest::withoutTimes);
        }
        return n;
    }

    @Test
    void aRolloutOnOneReplicaWakesLongPollsOnTheOther() throws Exception {
        fleet.http.put("/api/v1/policies/web-tier", fleet.admin, "application/yaml", FleetApiContract.POLICY);
        Fleet.Agent a = fleet.enroll(fleet.enrollToken(Map.of(), 1), "vm-1", Fleet.facts("vmware", "none", false));
        fleet.http.post("/api/v1/assignments", fleet.admin, Http.json(Map.of("name", "web", "policy", "web-tier",
                "selector", "platform.hypervisor == \"vmware\"")));
        Http.Response first = other.get("/api/v1/agents/" + a.id() + "/bundle", a.credential());
        CompletableFuture<Http.Response> poll = CompletableFuture.supplyAsync(() -> other.send("GET",
                "/api/v1/agents/" + a.id() + "/bundle?wait=300", a.credential(), null, null, Map.of("If-None-Match", first.header("ETag")),
                Duration.ofSeconds(60)));
        Thread.sleep(500);
        assertThat(poll).isNotDone();
        Http.Response ro = fleet.http.post("/api/v1/assignments/web/rollouts", fleet.admin, Http.json(Map.of("version", 1)));
        assertThat(ro.status()).as(ro.toString()).isEqualTo(201);
        Http.Response got = poll.get(40, TimeUnit.SECONDS);
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.body()).contains("web-tier");
    }

    @Test
    void aReplicaWithAnotherKeyOrNoneRefusesToStart() throws Exception {
        Path none = Files.createTempDirectory("chameleon-nokey-");
        assertThatThrownBy(() -> ControlPlane.start(ServerConfig.defaults(none).withPort(0).withDb(fleet.dbUrl)))
                .hasMessageContaining("copy bundle-signing.key");
        Path wrong = Files.createTempDirectory("chameleon-wrongkey-");
        Files.writeString(wrong.resolve("bundle-signing.key"), BundleKeys.toPem(BundleKeys.generate()));
        assertThatThrownBy(() -> ControlPlane.start(ServerConfig.defaults(wrong).withPort(0).withDb(fleet.dbUrl)))
                .hasMessageContaining("agents pinned the first");
    }
}
