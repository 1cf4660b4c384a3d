package dev.chameleon.agent;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chameleon.actuators.Journal;
import dev.chameleon.agent.loop.ControlSocket;
import dev.chameleon.agent.loop.EventLog;
import dev.chameleon.agent.loop.Triggers.Trigger;
import dev.chameleon.host.Host;
import dev.chameleon.policy.PolicySet;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loop of 'chameleon run' against a fixture tree: plan mode, apply, drift, enforce/audit, anti-flap, status. */
class AgentLoopTest {
    @TempDir
    Path tmp;
    Path root;
    Path state;
    StringWriter log = new StringWriter();
    AtomicReference<String> mode = new AtomicReference<>("enforce");
    Clock clock = Clock.fixed(Instant.parse("2026-11-29T10:00:00Z"), ZoneOffset.UTC);

    void write(String path, String text) throws IOException {
        MachineTree.write(root, path, text);
    }

    String read(String path) throws IOException {
        return MachineTree.read(root, path);
    }

    @BeforeEach
    void tree() throws IOException {
        root = tmp.resolve("root");
        state = tmp.resolve("state");
        MachineTree.vmwareGuest(root);
        write("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu hypervisor\n\n");
        write("/proc/sys/vm/swappiness", "60\n");
        write("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
    }

    PolicySet policies() {
        return PolicyOptions.compile(List.of(new PolicySet.Source("swap.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: low-swap}
                spec:
                  mode: %s
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """.formatted(mode.get()))), new ArrayList<>());
    }

    Agent agent(boolean apply, int flapLimit, RandomGenerator random) {
        Host host = Host.forOptions(root, null);
        EventLog events = new EventLog(state.resolve("events.jsonl"), new PrintWriter(log, true), false, clock);
        return new Agent(host, this::policies, new Journal(state), new Agent.Settings(apply, Duration.ofSeconds(60),
                Duration.ofSeconds(6), Duration.ofMillis(10), 0, flapLimit, Duration.ofHours(1)), events, clock, random);
    }

    List<JsonNode> events(String type) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        ObjectMapper m = new ObjectMapper();
        for (String line : Files.readAllLines(state.resolve("events.jsonl"))) {
            JsonNode n = m.readTree(line);
            if (n.path("event").asText().equals(type)) {
                out.add(n);
            }
        }
        return out;
    }

    static final Trigger INTERVAL = new Trigger("interval", "", false);

    @Test
    void planModeReportsAndChangesNothing() throws IOException {
        Agent a = agent(false, 5, RandomGenerator.getDefault());
        a.pass(new Trigger("start", "", false));
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        JsonNode pass = events("pass").get(0);
        assertThat(pass.path("pending").asInt()).isEqualTo(1);
        assertThat(pass.path("mode").asText()).isEqualTo("plan");
        assertThat(a.status()).contains("sysctl:vm.swappiness: 60 -> 10").contains("\"platform\"");
        assertThat(Files.exists(state.resolve("changes"))).isFalse();
    }

    @Test
    void intervalHasARandomSplayFromTheInjectedGenerator() {
        RandomGenerator fixed = new RandomGenerator() {
            @Override
            public long nextLong() {
                return 0;
            }

            @Override
            public long nextLong(long bound) {
                return bound - 1;
            }
        };
        assertThat(agent(false, 5, fixed).nextDelay()).isEqualTo(Duration.ofSeconds(66));
    }

    @Test
    void externalChangeIsReportedAndPutBackInEnforceMode() throws IOException {
        Agent a = agent(true, 5, RandomGenerator.getDefault());
        a.pass(new Trigger("start", "", false));
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("10");
        assertThat(events("change-set")).hasSize(1);
        write("/proc/sys/vm/swappiness", "30\n");
        a.pass(INTERVAL);
        JsonNode drift = events("external-change").get(0);
        assertThat(drift.path("key").asText()).isEqualTo("sysctl:vm.swappiness");
        assertThat(drift.path("before").asText()).isEqualTo("10");
        assertThat(drift.path("after").asText()).isEqualTo("30");
        assertThat(drift.path("when").asText()).isEqualTo("2026-11-29T10:00:00Z");
        assertThat(read("/proc/sys/vm/swappiness")).as("enforce puts it back").isEqualTo("10");
        a.pass(INTERVAL);
        assertThat(events("external-change")).as("reported once").hasSize(1);
        assertThat(events("change-set")).hasSize(2);
    }

    @Test
    void auditPoliciesOnlyReportDrift() throws IOException {
        Agent a = agent(true, 5, RandomGenerator.getDefault());
        a.pass(new Trigger("start", "", false));
        mode.set("audit");
        write("/proc/sys/vm/swappiness", "30\n");
        a.pass(new Trigger("sighup", "", true));
        assertThat(events("external-change")).hasSize(1);
        assertThat(events("external-change").get(0).path("mode").asText()).isEqualTo("audit");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("30");
        assertThat(a.status()).contains("\"drift\":[{\"key\":\"sysctl:vm.swappiness\"");
    }

    @Test
    void aSettingThatKeepsBeingChangedIsFrozen() throws IOException {
        Agent a = agent(true, 2, RandomGenerator.getDefault());
        a.pass(new Trigger("start", "", false));
        for (int i = 0; i < 3; i++) {
            write("/proc/sys/vm/swappiness", (30 + i) + "\n");
            a.pass(INTERVAL);
        }
        assertThat(events("frozen")).hasSize(1);
        assertThat(events("frozen").get(0).path("key").asText()).isEqualTo("sysctl:vm.swappiness");
        assertThat(read("/proc/sys/vm/swappiness")).as("frozen: left as it is").isEqualTo("32");
        assertThat(events("change-set")).as("the first apply and two corrections").hasSize(3);
    }

    @Test
    void statusAnswersOverTheControlSocket() throws Exception {
        Agent a = agent(false, 5, RandomGenerator.getDefault());
        a.pass(new Trigger("start", "", false));
        Path sock = state.resolve("agent.sock");
        try (ControlSocket c = ControlSocket.open(sock, a::status)) {
            var run = CliTest.cli("status", "--socket", sock.toString());
            assertThat(run.code()).as(run.err()).isEqualTo(0);
            assertThat(run.out()).contains("mode plan").contains("Pending changes:").contains("sysctl:vm.swappiness: 60 -> 10")
                    .contains("Cost: RSS");
            JsonNode n = new ObjectMapper().readTree(ControlSocket.ask(sock, "status"));
            assertThat(n.path("cost").path("rssKiB").asLong()).isPositive();
            assertThat(n.path("lastPass").path("trigger").asText()).isEqualTo("start");
        }
        var none = CliTest.cli("status", "--socket", sock.toString());
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.err()).contains("is 'chameleon run' running?");
    }

    @Test
    void runWithMaxPassesStopsAndLeavesTheMachineAsItIs() throws IOException {
        Path pol = tmp.resolve("pol");
        Files.createDirectories(pol);
        Files.writeString(pol.resolve("swap.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: low-swap}
                spec:
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                """);
        var run = CliTest.cli("run", "--root", root.toString(), "--no-default-policies", "--policies", pol.toString(),
                "--state-dir", state.toString(), "--max-passes", "1", "--no-uevents", "--log-format", "json");
        assertThat(run.code()).as(run.err()).isEqualTo(0);
        assertThat(run.out()).contains("\"event\":\"start\"").contains("\"event\":\"pass\"");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        var bad = CliTest.cli("run", "--root", root.toString(), "--interval", "soon");
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--interval soon: not a duration");
    }

    /**
     * Regression: the agent.yaml the .deb installs (docs/agent-config.md) was refused by 'run
     * --config' ("unknown setting 'version'"), so the packaged service could never start.
     */
    @Test
    void runReadsTheAgentYamlThePackageInstalls() throws IOException {
        Path shipped = Path.of(System.getProperty("chameleon.repo"), "chameleon-packaging/src/deb/files/agent.yaml");
        assertThat(shipped).isRegularFile();
        Path state = tmp.resolve("state-cfg");
        var run = CliTest.cli("run", "--config", shipped.toString(), "--root", root.toString(), "--state-dir", state.toString(),
                "--events-file", tmp.resolve("events.jsonl").toString(), "--max-passes", "1", "--no-uevents");
        assertThat(run.code()).as(run.err()).isEqualTo(0);
        assertThat(run.out()).contains("start mode=plan").contains("pass ");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");

        Path cfg = tmp.resolve("agent.yaml");
        Files.writeString(cfg, Files.readString(shipped).replace("mode: plan", "mode: plan\nintervall: 5m"));
        var typo = CliTest.cli("run", "--config", cfg.toString(), "--root", root.toString(), "--max-passes", "1", "--no-uevents");
        assertThat(typo.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(typo.err()).contains("intervall unknown setting");

        Files.writeString(cfg, Files.readString(shipped).replaceFirst("enabled: false", "enabled: true")
                .replace("listen: 127.0.0.1:9465", "listen: 127.0.0.1:0"));
        var metrics = CliTest.cli("run", "--config", cfg.toString(), "--root", root.toString(), "--state-dir", state.toString(),
                "--events-file", tmp.resolve("events.jsonl").toString(), "--max-passes", "1", "--no-uevents");
        assertThat(metrics.code()).as(metrics.err()).isEqualTo(0);
        assertThat(metrics.out()).containsPattern("start mode=plan .* metrics=http://127\\.0\\.0\\.1:\\d+/metrics");
    }
}
