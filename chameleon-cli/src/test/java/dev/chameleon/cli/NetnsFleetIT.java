package dev.chameleon.cli;

import static dev.chameleon.cli.NetnsAgents.at;
import static dev.chameleon.cli.NetnsAgents.outputs;
import static dev.chameleon.cli.NetnsAgents.waitFor;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chameleon.cli.NetnsAgents.NsAgent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane end to end: a server (chameleon-server on the host's loopback, embedded
 * database) and three real agents ({@code java -jar chameleon.jar}), each in its own network,
 * mount and PID namespace with the fact tree of a different captured machine (VMware, KVM,
 * Hyper-V from ../shared/fixtures) as {@code --root}, whose {@code /proc/sys} is the namespace's
 * real one (bind-mounted), so the {@code net.*} sysctls they apply are applied for real in their
 * own namespace. Enrollment with {@code chameleon enroll}; a policy rolled out to a canary, then to
 * the rest its selector picks; the simulation of the next version agreeing with what the agents
 * then did; an outage (the server stopped: the agents keep enforcing the last good bundle, put
 * back a sysctl changed behind their back, queue their reports); the server started again: the
 * outboxes drain, and the server holds exactly the reports each agent made.
 */
@Timeout(600)
class NetnsFleetIT {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void needsRoot() throws Exception {
        NetnsAgents.requireRoot();
    }

    static String policy(int somaxconn) {
        return """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: fleet-backlog}
                spec:
                  priority: 70
                  settings:
                    - sysctl: {key: net.core.somaxconn, value: %d}
                """.formatted(somaxconn);
    }





    static String reportId(Path report) {
        try {
            return FleetServer.JSON.readTree(Files.readString(report)).path("id").asText();
        } catch (IOException e) {
            return "?";
        }
    }

    static String kind(Path report) {
        try {
            return FleetServer.JSON.readTree(Files.readString(report)).path("kind").asText();
        } catch (IOException e) {
            return "?";
        }
    }

    @Test
    void enrollCanaryRolloutSimulationOutageAndExactCounts() throws Exception {
        List<NsAgent> agents = new ArrayList<>();
        try (FleetServer server = new FleetServer(tmp.resolve("server"))) {
            int port = server.port();
            String token = server.enrollToken(3);
            Map<String, String> fixtures = new LinkedHashMap<>();
            fixtures.put("vm-vmware", "glpi-agent-rhel-6.2-vmware-2vcpus");
            fixtures.put("vm-kvm", "cloud-init-LXD-kvm");
            fixtures.put("vm-hyperv", "glpi-agent-dmidecode-hyperv-gen1");
            for (Map.Entry<String, String> f : fixtures.entrySet()) {
                Path sock = tmp.resolve(f.getKey() + ".sock");
                LoopRelay.unixToTcp(sock, port);
                agents.add(NetnsAgents.start(tmp, f.getKey(), f.getValue(), token, sock));
            }
            try {
                assertThat(waitFor(() -> server.get("/api/v1/agents").json().path("total").asInt() == 3)).as(outputs(agents)).isTrue();
                Map<String, String> ids = new LinkedHashMap<>();
                Map<String, String> hv = new LinkedHashMap<>();
                for (JsonNode a : server.get("/api/v1/agents").json().path("items")) {
                    ids.put(a.path("hostname").asText(), a.path("id").asText());
                    hv.put(a.path("hostname").asText(), a.path("platform").path("hypervisor").asText());
                }
                // three different machines, as their fact trees say
                assertThat(hv).containsEntry("vm-vmware", "vmware").containsEntry("vm-kvm", "kvm").containsEntry("vm-hyperv", "hyperv");
                NsAgent vmware = agents.get(0);
                NsAgent kvm = agents.get(1);
                NsAgent hyperv = agents.get(2);
                assertThat(waitFor(() -> !hyperv.somaxconn().isEmpty())).isTrue();
                String start = hyperv.somaxconn();

                // v1, canary first: only the VMware agent, then the KVM one; the Hyper-V agent is not selected
                server.putPolicy("backlog", policy(8192));
                server.assign("backlog", "backlog", "platform.hypervisor in [\"vmware\", \"kvm\"]");
                String rollout = server.rollout("backlog", 1, List.of(ids.get("vm-vmware")), List.of(100));
                assertThat(waitFor(() -> vmware.somaxconn().equals("8192"))).as(outputs(agents)).isTrue();
                assertThat(kvm.somaxconn()).as("the canary goes first").isNotEqualTo("8192");
                assertThat(server.post("/api/v1/rollouts/" + rollout + "/advance", Map.of()).status()).isEqualTo(200);
                assertThat(waitFor(() -> kvm.somaxconn().equals("8192"))).as(outputs(agents)).isTrue();
                for (String h : List.of("vm-vmware", "vm-kvm")) {
                    assertThat(waitFor(() -> server.get("/api/v1/agents/" + ids.get(h) + "/current-values").body()
                            .contains("\"sysctl:net.core.somaxconn\":\"8192\""))).isTrue();
                }

                // v2 simulated, then rolled out: the agents do what the simulation said, the unselected one nothing
                FleetServer.Response sim = server.call("POST", "/api/v1/simulate?name=backlog", "application/yaml", policy(16384));
                assertThat(sim.status()).as(sim.body()).isEqualTo(200);
                Map<String, String> predicted = new LinkedHashMap<>();
                for (JsonNode r : sim.json().path("results")) {
                    for (JsonNode c : r.path("changes")) {
                        predicted.put(r.path("hostname").asText(), c.path("key").asText() + ":" + c.path("from").asText() + "->" + c.path("to").asText());
                    }
                }
                // the simulation runs the candidate on every agent; the Hyper-V agent never managed the key (unknown there)
                assertThat(predicted).containsEntry("vm-vmware", "sysctl:net.core.somaxconn:8192->16384")
                        .containsEntry("vm-kvm", "sysctl:net.core.somaxconn:8192->16384").doesNotContainKey("vm-hyperv");
                server.putPolicy("backlog", policy(16384));
                server.rollout("backlog", 2, List.of(), List.of(100));
                assertThat(waitFor(() -> vmware.somaxconn().equals("16384") && kvm.somaxconn().equals("16384"))).as(outputs(agents)).isTrue();
                assertThat(hyperv.somaxconn()).isEqualTo(start);

                // the outage: the last good bundle is enforced, reports wait on disk
                assertThat(waitFor(() -> agents.stream().allMatch(a -> a.outbox().isEmpty()))).isTrue();
                server.stop();
                vmware.signal("drift");
                assertThat(waitFor(() -> !Files.exists(tmp.resolve("vm-vmware.drift")))).isTrue();
                assertThat(waitFor(() -> vmware.somaxconn().equals("16384"))).as("put back without the server\n" + outputs(agents)).isTrue();
                assertThat(waitFor(() -> agents.stream().allMatch(a -> a.outbox().size() >= 3))).as("reports queue on disk").isTrue();

                server.restart(port);
                assertThat(waitFor(() -> server.get("/api/v1/agents/" + ids.get("vm-vmware") + "/events").body().contains("external-change")))
                        .as(outputs(agents)).isTrue();
            } finally {
                NetnsAgents.stopAll(agents);
            }
            // exact counts: what the server stored plus what is still in an outbox is every report the agent made
            for (NsAgent a : agents) {
                String out = Files.readString(a.output());
                Map<String, String> kv = at(out);
                assertThat(kv).as(out).containsEntry("relay", "0").containsEntry("enroll.rc", "0").doesNotContainKey("agent.died");
                String id = server.get("/api/v1/agents").json().path("items").findValues("hostname").stream()
                        .anyMatch(h -> h.asText().equals(a.name())) ? idOf(server, a.name()) : null;
                List<Path> left = a.outbox();
                // a report the server stored may still be in the outbox: the agent was stopped after the
                // server's answer and before it removed the file (it sends it again at its next start, and
                // the server keeps it once); counted once
                java.util.Set<String> storedStatus = id == null ? java.util.Set.of() : server.reportIds(id, "status");
                java.util.Set<String> storedChanges = id == null ? java.util.Set.of() : server.reportIds(id, "change-set");
                long leftStatus = left.stream().filter(p -> kind(p).equals("status") && !storedStatus.contains(reportId(p))).count();
                long leftChanges = left.stream().filter(p -> kind(p).equals("change-set") && !storedChanges.contains(reportId(p))).count();
                assertThat(server.reports(id, "status") + leftStatus).as("status reports of " + a.name() + "\n" + out)
                        .isEqualTo(Long.parseLong(kv.get("passes")));
                assertThat(server.reports(id, "change-set") + leftChanges).as("change sets of " + a.name() + "\n" + out)
                        .isEqualTo(Long.parseLong(kv.get("changesets")));
            }
            assertThat(at(Files.readString(agents.get(0).output()))).containsEntry("somaxconn.end", "16384");
            assertThat(at(Files.readString(agents.get(2).output())).get("changesets")).isEqualTo("0");
        }
    }

    static String idOf(FleetServer server, String hostname) {
        for (JsonNode a : server.get("/api/v1/agents").json().path("items")) {
            if (a.path("hostname").asText().equals(hostname)) {
                return a.path("id").asText();
            }
        }
        throw new AssertionError("no agent " + hostname);
    }

}
