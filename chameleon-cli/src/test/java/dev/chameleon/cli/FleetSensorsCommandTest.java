package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chameleon.agent.fleet.Enrollment;
import dev.chameleon.agent.fleet.FleetFiles;
import dev.chameleon.agent.fleet.ServerCredential;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code fleet agents} and {@code fleet show} give each agent's failing-sensors count (sensors of
 * its last facts that failed, timed out or met problems), as the console does, in the table and in
 * JSON. Agents enroll with the agent's own enrollment code and real fact trees the sensors made
 * from captured machines (chameleon-sensors' golden files), against a real server on loopback.
 */
@Timeout(120)
class FleetSensorsCommandTest {
    static final Path GOLDEN = Path.of("..", "chameleon-sensors", "src", "test", "resources", "golden");

    @TempDir
    Path tmp;
    FleetServer server;

    @BeforeEach
    void start() {
        server = new FleetServer(tmp.resolve("server"));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> golden(String machine) throws Exception {
        return new ObjectMapper().readValue(GOLDEN.resolve(machine + ".json").toFile(), Map.class);
    }

    /**
     * The tree as an agent reports it when the memory sensor cannot read /proc/meminfo: a problem
     * on meta.sensors.memory (made from the real tree: as root, this test's user, nothing is unreadable).
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> withUnreadableMeminfo(Map<String, Object> facts) {
        Map<String, Object> f = new LinkedHashMap<>(facts);
        Map<String, Object> meta = new LinkedHashMap<>((Map<String, Object>) f.get("meta"));
        Map<String, Object> sensors = new LinkedHashMap<>((Map<String, Object>) meta.get("sensors"));
        Map<String, Object> memory = new LinkedHashMap<>((Map<String, Object>) sensors.get("memory"));
        memory.put("problems", List.of(Map.of("source", "/proc/meminfo", "error", "permission denied")));
        sensors.put("memory", memory);
        meta.put("sensors", sensors);
        f.put("meta", meta);
        return f;
    }

    String enroll(String host, Map<String, Object> facts) throws Exception {
        ServerCredential c = Enrollment.enroll(URI.create(server.url()), server.enrollToken(1), host, facts,
                new FleetFiles(tmp.resolve("state-" + host)), false, Clock.systemUTC());
        return c.agentId();
    }

    @Test
    void agentsAndShowGiveTheFailingSensorsCountInTheTableAndInJson() throws Exception {
        Map<String, Object> kvm = golden("qemu-q35-virtio");
        String good = enroll("kvm-ok", kvm);
        String bad = enroll("kvm-meminfo", withUnreadableMeminfo(kvm));
        String[] conn = {"--server", server.url(), "--token", server.admin};

        CliTest.Run table = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "agents"}, conn));
        assertThat(table.code()).as(table.err()).isZero();
        List<String> lines = table.out().lines().toList();
        assertThat(lines.get(0)).contains("FAILING SENSORS");
        int col = lines.get(0).indexOf("FAILING SENSORS");
        String goodLine = lines.stream().filter(l -> l.startsWith(good)).findFirst().orElseThrow();
        String badLine = lines.stream().filter(l -> l.startsWith(bad)).findFirst().orElseThrow();
        assertThat(badLine.substring(col).split("\\s+")[0]).as(table.out()).isEqualTo("1");
        assertThat(goodLine.substring(col).split("\\s+")[0]).as(table.out()).isEqualTo("0");

        CliTest.Run json = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "agents", "-o", "json"}, conn));
        assertThat(json.code()).as(json.err()).isZero();
        JsonNode items = new ObjectMapper().readTree(json.out()).get("items");
        for (JsonNode a : items) {
            assertThat(a.get("failingSensors").asInt()).as(a.toString()).isEqualTo(a.get("id").asText().equals(bad) ? 1 : 0);
        }
        assertThat(items).hasSize(2);

        CliTest.Run show = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "show", bad}, conn));
        assertThat(show.code()).as(show.err()).isZero();
        assertThat(show.out()).containsPattern("(?m)^failingSensors +1$");
        CliTest.Run showGood = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "show", good}, conn));
        assertThat(showGood.out()).containsPattern("(?m)^failingSensors +0$");
        CliTest.Run showJson = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "show", bad, "-o", "json"}, conn));
        assertThat(new ObjectMapper().readTree(showJson.out()).at("/agent/failingSensors").asInt()).isEqualTo(1);
    }
}
