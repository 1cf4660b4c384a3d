package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chameleon.actuators.Journal;
import dev.chameleon.agent.Agent;
import dev.chameleon.agent.loop.ControlSocket;
import dev.chameleon.agent.loop.EventLog;
import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.agent.loop.LoopbackServer;
import dev.chameleon.agent.loop.Poll;
import dev.chameleon.agent.loop.Triggers.Trigger;
import dev.chameleon.host.Host;
import dev.chameleon.host.HostCommandRunner;
import dev.chameleon.policy.PolicySet;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
    AtomicReference<String> settings = new AtomicReference<>("- sysctl: {key: vm.swappiness, value: 10}");
    AtomicReference<String> when = new AtomicReference<>("'true'");
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
        write("/proc/sys/vm/dirty_ratio", "20\n");
        write("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
    }

    PolicySet policies() {
        return dev.chameleon.engine.Engine.compile(List.of(new PolicySet.Source("swap.yaml", """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: low-swap}
                spec:
                  mode: %s
                  when: %s
                  settings:
                    %s
                """.formatted(mode.get(), when.get(), settings.get().replace("\n", "\n    ")))), new ArrayList<>());
    }

    Agent agent(boolean apply, int flapLimit, RandomGenerator random) {
        dev.chameleon.engine.Engine engine = dev.chameleon.engine.Engine.of(dev.chameleon.engine.EngineConfig.builder().root(root)
                .stateDir(state).build());
        EventLog events = new EventLog(state.resolve("events.jsonl"), new PrintWriter(log, true), false, clock);
        return new Agent(engine, e -> policies(), new Agent.Settings(apply, Duration.ofSeconds(60),
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

    /** An idle pass re-reads the facts and the settings but decides again only when facts or policies changed. */
    @Test
    void policiesAreEvaluatedAgainOnlyWhenFactsOrPoliciesChange() throws IOException {
        when.set("'nics.exists(n, n.name == \"eth1\")'");
        write("/sys/class/net/eth0/mtu", "1500\n");
        Agent a = agent(false, 5, RandomGenerator.getDefault());
        a.pass(new Trigger("start", "", false));
        a.pass(INTERVAL);
        write("/sys/class/net/eth1/mtu", "1500\n"); // a NIC appears: the condition now holds
        a.pass(INTERVAL);
        a.pass(INTERVAL);
        a.pass(new Trigger("sighup", "", true)); // policies reloaded (the same text): decided again
        List<JsonNode> passes = events("pass");
        assertThat(passes).extracting(p -> p.path("evaluated").asBoolean()).containsExactly(true, false, true, false, true);
        assertThat(passes).extracting(p -> p.path("pending").asInt()).containsExactly(0, 0, 1, 1, 1);
        // an unchanged decision still sees the setting move under it
        write("/proc/sys/vm/swappiness", "10\n");
        a.pass(INTERVAL);
        assertThat(events("pass").get(5).path("evaluated").asBoolean()).isFalse();
        assertThat(events("pass").get(5).path("pending").asInt()).isZero();
    }

    @Test
    void comparableFactsIgnoreOnlyTimings() {
        Map<String, Object> a = Map.of("cpu", Map.of("logicalCount", 2L), "meta", Map.of("collectedAt", "t1",
                "sensors", Map.of("cpu", Map.of("status", "ok", "durationMs", 1.5))));
        Map<String, Object> b = Map.of("cpu", Map.of("logicalCount", 2L), "meta", Map.of("collectedAt", "t2",
                "sensors", Map.of("cpu", Map.of("status", "ok", "durationMs", 9.0, "cachedValues", 1L))));
        Map<String, Object> failed = Map.of("cpu", Map.of("logicalCount", 2L), "meta", Map.of("collectedAt", "t2",
                "sensors", Map.of("cpu", Map.of("status", "timeout", "durationMs", 9.0))));
        Map<String, Object> more = Map.of("cpu", Map.of("logicalCount", 4L), "meta", Map.of("collectedAt", "t1",
                "sensors", Map.of("cpu", Map.of("status", "ok", "durationMs", 1.5))));
        assertThat(Agent.comparable(a)).isEqualTo(Agent.comparable(b));
        assertThat(Agent.comparable(a)).isNotEqualTo(Agent.comparable(failed)).isNotEqualTo(Agent.comparable(more));
        assertThat(Agent.comparable(Map.of("os", Map.of()))).isEqualTo(Map.of("os", Map.of()));
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

    /** Regression: right after an apply pass, status listed the settings that pass had just applied as pending. */
    @Test
    void settingsAppliedByAPassAreNotPendingInTheStatus() throws IOException {
        settings.set("- sysctl: {key: vm.swappiness, value: 10}\n- sysctl: {key: vm.dirty_ratio, value: 15}");
        Agent a = agent(true, 5, RandomGenerator.getDefault());
        a.pass(new Trigger("start", "", false));
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("10");
        assertThat(a.status()).contains("\"pending\":[]").doesNotContain("sysctl:vm.swappiness: 60 -> 10");
        assertThat(events("pass").get(0).path("pending").asInt()).isZero();
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
                    .contains("Health gate: off").contains("Cost: RSS");
            JsonNode n = new ObjectMapper().readTree(ControlSocket.ask(sock, "status"));
            assertThat(n.path("cost").path("rssKiB").asLong()).isPositive();
            assertThat(n.path("lastPass").path("trigger").asText()).isEqualTo("start");
        }
        var none = CliTest.cli("status", "--socket", sock.toString());
        assertThat(none.code()).isEqualTo(1);
        assertThat(none.err()).contains("is 'chameleon run' running?");
    }

    /** What waits for a boot (Chameleon's record and Debian's /run/reboot-required) is in status, as text and in -o json. */
    @Test
    void statusSaysWhatWaitsForAReboot() throws Exception {
        Agent a = agent(false, 5, RandomGenerator.getDefault());
        a.pass(new Trigger("start", "", false));
        Path sock = state.resolve("agent.sock");
        try (ControlSocket c = ControlSocket.open(sock, a::status)) {
            var quiet = CliTest.cli("status", "--root", root.toString(), "--socket", sock.toString());
            assertThat(quiet.code()).as(quiet.err()).isEqualTo(0);
            assertThat(quiet.out()).doesNotContain("Reboot required");
            Files.createDirectories(root.resolve("run/chameleon"));
            Files.writeString(root.resolve("run/chameleon/reboot-required"), "# changes chameleon made\n"
                    + "package:intel-microcode\tinstalled 2.0-1 (was 1.0-1); loaded at the next boot\n");
            Files.writeString(root.resolve("run/reboot-required"), "*** System restart required ***\n");
            Files.writeString(root.resolve("run/reboot-required.pkgs"), "linux-image-6.1.0-28-amd64\nlinux-image-6.1.0-28-amd64\n");
            var run = CliTest.cli("status", "--root", root.toString(), "--socket", sock.toString());
            assertThat(run.code()).as(run.err()).isEqualTo(0);
            assertThat(run.out()).contains("Reboot required (chameleon does not reboot):\n"
                    + "  package:intel-microcode: installed 2.0-1 (was 1.0-1); loaded at the next boot\n"
                    + "  /run/reboot-required: asked by linux-image-6.1.0-28-amd64\n");
            var json = CliTest.cli("status", "--root", root.toString(), "--socket", sock.toString(), "-o", "json");
            assertThat(json.code()).as(json.err()).isEqualTo(0);
            JsonNode n = new ObjectMapper().readTree(json.out());
            assertThat(n.path("rebootRequired")).hasSize(2);
            assertThat(n.path("rebootRequired").get(0).asText()).startsWith("package:intel-microcode: installed 2.0-1");
            assertThat(n.path("mode").asText()).isEqualTo("plan");
        }
        try {
            // no agent answers: the reboot is still said (on standard error, with the failure)
            var none = CliTest.cli("status", "--root", root.toString(), "--socket", sock.toString());
            assertThat(none.code()).isEqualTo(1);
            assertThat(none.err()).contains("chameleon: reboot required (chameleon does not reboot): package:intel-microcode: installed 2.0-1")
                    .contains("is 'chameleon run' running?");
        } finally {
            Files.deleteIfExists(root.resolve("run/chameleon/reboot-required"));
            Files.deleteIfExists(root.resolve("run/reboot-required"));
            Files.deleteIfExists(root.resolve("run/reboot-required.pkgs"));
        }
    }

    @Test
    void runWithMaxPassesStopsAndLeavesTheMachineAsItIs() throws IOException {
        Path pol = policyFolder("10");
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
        // found by a new user: the end of --max-passes wrote no stop event (only SIGTERM did)
        List<String> lines = Files.readAllLines(tmp.resolve("events.jsonl"));
        assertThat(lines.get(lines.size() - 1)).contains("\"event\":\"stop\"");

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

    /**
     * The daemon as 'chameleon run' starts it (in this JVM, on a thread): a policy file added or
     * changed while it runs is picked up through the WatchService; stopping it (the interrupt its
     * SIGTERM hook sends) undoes nothing and leaves the journal as it was.
     */
    @Test
    void aPolicyFolderChangeWhileRunningIsAppliedAndStoppingUndoesNothing() throws Exception {
        Path pol = policyFolder("10");
        AtomicReference<CliTest.Run> result = new AtomicReference<>();
        Thread daemon = new Thread(() -> result.set(CliTest.cli("run", "--mode", "apply", "--root", root.toString(),
                "--no-default-policies", "--policies", pol.toString(), "--state-dir", state.toString(), "--interval", "1h",
                "--splay", "0s", "--debounce", "50ms", "--no-uevents")), "chameleon-run-under-test");
        daemon.start();
        Map<Path, String> journalBeforeStop;
        try {
            assertThat(Poll.until(() -> value("/proc/sys/vm/swappiness").equals("10"))).as("first pass applied").isTrue();
            Files.writeString(pol.resolve("dirty.yaml"), """
                    apiVersion: chameleon/v1
                    kind: Policy
                    metadata: {name: dirty}
                    spec:
                      settings:
                        - sysctl: {key: vm.dirty_ratio, value: 5}
                    """);
            assertThat(Poll.until(() -> value("/proc/sys/vm/dirty_ratio").equals("5"))).as("a new policy file is picked up").isTrue();
            Files.writeString(pol.resolve("swap.yaml"), policies.formatted("20"));
            assertThat(Poll.until(() -> value("/proc/sys/vm/swappiness").equals("20"))).as("a changed policy file is picked up").isTrue();
            // stop between passes (the pass that applied 20 has reported; any later one has nothing to write)
            assertThat(Poll.until(() -> idle())).isTrue();
            journalBeforeStop = journalFiles();
        } finally {
            daemon.interrupt();
            daemon.join(60_000);
        }
        assertThat(daemon.isAlive()).as("stopped").isFalse();
        assertThat(result.get().code()).as(result.get().err()).isEqualTo(0);
        assertThat(events("trigger")).extracting(n -> n.path("source").asText()).contains("policy-change");
        assertThat(events("reload")).isNotEmpty();
        assertThat(read("/proc/sys/vm/swappiness")).as("nothing undone on stop").isEqualTo("20");
        assertThat(read("/proc/sys/vm/dirty_ratio")).as("nothing undone on stop").isEqualTo("5");
        assertThat(journalFiles()).as("the journal as it was").isEqualTo(journalBeforeStop);
        assertThat(journal()).extracting(dev.chameleon.model.ChangeSet::status).containsOnly("applied").hasSize(3);
    }

    String value(String path) {
        try {
            return read(path);
        } catch (IOException e) {
            return "";
        }
    }

    boolean idle() {
        try {
            List<String> lines = Files.readAllLines(state.resolve("events.jsonl"));
            JsonNode last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
            return last.path("event").asText().equals("pass");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    Map<Path, String> journalFiles() throws IOException {
        Map<Path, String> m = new java.util.TreeMap<>();
        try (var files = Files.list(state.resolve("journal"))) {
            for (Path f : files.toList()) {
                m.put(f.getFileName(), Files.readString(f));
            }
        }
        return m;
    }

    /** A policy folder with swap.yaml setting vm.swappiness to {@code swappiness}. */
    Path policyFolder(String swappiness) throws IOException {
        Path pol = tmp.resolve("pol");
        Files.createDirectories(pol);
        Files.writeString(pol.resolve("swap.yaml"), policies.formatted(swappiness));
        return pol;
    }

    // --- health gates: a real command or a real HTTP server on 127.0.0.1, against the loop ---

    Agent gated(boolean apply, List<String> command, URI url, Duration timeout) {
        Agent a = agent(apply, 5, RandomGenerator.getDefault());
        a.healthGate(new HealthGate(new HealthGate.Settings(command, url, timeout, Duration.ofMillis(20)), new HostCommandRunner()));
        return a;
    }

    List<dev.chameleon.model.ChangeSet> journal() {
        return new Journal(state).list().stream().map(Journal.Loaded::changeSet).toList();
    }

    /** A gate command that counts its runs in a file, says why and fails (or passes, when {@code pass}). */
    List<String> countingGate(Path count, boolean pass) {
        return List.of("/bin/sh", "-c", "echo run >> " + count + "; echo 'service unhealthy'; exit " + (pass ? 0 : 1));
    }

    static long lines(Path f) throws IOException {
        return Files.exists(f) ? Files.readAllLines(f).size() : 0;
    }

    @Test
    void aFailingCommandGateUndoesTheChangeSetInReverseAsRollbackWould() throws IOException {
        settings.set("- sysctl: {key: vm.swappiness, value: 10}\n- sysctl: {key: vm.dirty_ratio, value: 5}");
        Path count = tmp.resolve("gate-runs");
        Agent a = gated(true, countingGate(count, false), null, Duration.ofSeconds(20));
        a.pass(new Trigger("start", "", false));

        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        assertThat(read("/proc/sys/vm/dirty_ratio")).isEqualTo("20");
        var cs = journal();
        assertThat(cs).singleElement().satisfies(c -> {
            assertThat(c.status()).isEqualTo("rolled-back");
            assertThat(c.message()).isEqualTo("health gate failed: command /bin/sh -c echo run >> " + count
                    + "; echo 'service unhealthy'; exit 1: exit 1 (service unhealthy); "
                    + "undone: sysctl:vm.dirty_ratio → 20, sysctl:vm.swappiness → 60");
            assertThat(c.entries()).extracting(dev.chameleon.model.JournalEntry::state).containsExactly("undone", "undone");
        });
        JsonNode gate = events("health-gate").get(0);
        assertThat(gate.path("changeSet").asText()).isEqualTo(cs.get(0).id());
        assertThat(gate.path("outcome").asText()).isEqualTo("failed");
        assertThat(gate.path("checks").get(0).path("check").asText()).isEqualTo("command");
        assertThat(gate.path("checks").get(0).path("exitCode").asInt()).isEqualTo(1);
        assertThat(gate.path("checks").get(0).path("excerpt").asText()).isEqualTo("service unhealthy");
        assertThat(gate.path("rollback").asText()).isEqualTo("rolled-back");
        assertThat(gate.path("frozen").toString()).isEqualTo("[\"sysctl:vm.swappiness\",\"sysctl:vm.dirty_ratio\"]");
        assertThat(events("change-set")).extracting(n -> n.path("status").asText()).containsExactly("applied", "rolled-back");
        assertThat(events("frozen")).hasSize(2);
        assertThat(log.toString()).contains("health-gate changeSet=" + cs.get(0).id() + " outcome=failed");
        assertThat(a.metrics().settingsChanged()).isEqualTo(2);
        assertThat(a.metrics().settingsRolledBack()).as("chameleon_settings_rolled_back_total").isEqualTo(2);

        JsonNode status = new ObjectMapper().readTree(a.status());
        assertThat(status.path("healthGate").path("last").path("outcome").asText()).isEqualTo("failed");
        assertThat(status.path("frozen").toString()).isEqualTo("[\"sysctl:vm.dirty_ratio\",\"sysctl:vm.swappiness\"]");
        try (ControlSocket c = ControlSocket.open(state.resolve("agent.sock"), a::status)) {
            var shown = CliTest.cli("status", "--socket", state.resolve("agent.sock").toString());
            assertThat(shown.out()).contains("Health gate: command /bin/sh -c echo run >> ")
                    .contains("(timeout 20s, settle 20ms)")
                    .contains("  last: failed at 2026-11-29T10:00:00Z, change set " + cs.get(0).id() + ": command /bin/sh")
                    .contains("  rollback: rolled-back: health gate failed: ")
                    .contains("Frozen (flapping or failed the health gate; left alone until the agent restarts): "
                            + "[\"sysctl:vm.dirty_ratio\",\"sysctl:vm.swappiness\"]");
        }

        // the journal reads as after 'chameleon rollback': nothing left to roll back, history says why
        var rollback = CliTest.cli("rollback", "--last", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(rollback.out()).contains("Nothing to roll back");
        var history = CliTest.cli("history", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(history.out()).contains("rolled-back").contains("health gate failed: command");

        // not applied again while the policies want the same values
        a.pass(INTERVAL);
        a.pass(INTERVAL);
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        assertThat(journal()).hasSize(1);
        assertThat(lines(count)).as("the gate ran once").isEqualTo(1);
        assertThat(events("health-gate")).hasSize(1);
        assertThat(events("pass").get(2).path("pending").asInt()).as("still shown as pending").isEqualTo(2);
    }

    @Test
    void aPassingGateKeepsTheChange() throws IOException {
        try (LoopbackServer http = LoopbackServer.start()) {
            Agent a = gated(true, List.of("/bin/true"), http.uri("/healthz"), Duration.ofSeconds(20));
            a.pass(new Trigger("start", "", false));
            assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("10");
            assertThat(journal()).singleElement().satisfies(c -> assertThat(c.status()).isEqualTo("applied"));
            JsonNode gate = events("health-gate").get(0);
            assertThat(gate.path("outcome").asText()).isEqualTo("passed");
            assertThat(gate.path("checks")).extracting(c -> c.path("check").asText()).containsExactly("command", "url");
            assertThat(gate.path("checks").get(1).path("httpStatus").asInt()).isEqualTo(200);
            assertThat(gate.has("rollback")).isFalse();
            assertThat(events("frozen")).isEmpty();
            assertThat(events("pass").get(0).path("healthGate").asText()).isEqualTo("passed");
            JsonNode status = new ObjectMapper().readTree(a.status());
            assertThat(status.path("healthGate").path("last").path("outcome").asText()).isEqualTo("passed");
            assertThat(status.path("healthGate").path("url").asText()).isEqualTo(http.uri("/healthz").toString());
        }
    }

    @Test
    void anHttpGateAnswering503UndoesTheSet() throws IOException {
        try (LoopbackServer http = LoopbackServer.start()) {
            http.answer(503, "cache warming");
            Agent a = gated(true, List.of(), http.uri("/ready"), Duration.ofSeconds(20));
            a.pass(new Trigger("start", "", false));
            assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
            assertThat(journal()).singleElement().satisfies(c -> {
                assertThat(c.status()).isEqualTo("rolled-back");
                assertThat(c.message()).startsWith("health gate failed: url " + http.uri("/ready") + ": HTTP 503 (cache warming)");
            });
            JsonNode check = events("health-gate").get(0).path("checks").get(0);
            assertThat(check.path("httpStatus").asInt()).isEqualTo(503);
            assertThat(check.path("excerpt").asText()).isEqualTo("cache warming");
        }
    }

    @Test
    void anHttpGateThatNeverAnswersUndoesTheSet() throws IOException {
        try (LoopbackServer http = LoopbackServer.start()) {
            http.hang();
            Agent a = gated(true, List.of(), http.uri("/ready"), Duration.ofMillis(500));
            a.pass(new Trigger("start", "", false));
            assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
            assertThat(journal().get(0).status()).isEqualTo("rolled-back");
            JsonNode gate = events("health-gate").get(0);
            assertThat(gate.path("checks").get(0).path("outcome").asText()).isEqualTo("timeout");
            assertThat(gate.path("failed").asText()).contains("no answer in time");
        }
    }

    @Test
    void theGateRunsOnlyAfterAChangeSetTheAgentApplied() throws IOException {
        Path count = tmp.resolve("gate-runs");
        Agent plan = gated(false, countingGate(count, true), null, Duration.ofSeconds(20));
        plan.pass(new Trigger("start", "", false));
        assertThat(lines(count)).as("plan mode applies nothing, so checks nothing").isZero();

        Agent a = gated(true, countingGate(count, true), null, Duration.ofSeconds(20));
        a.pass(new Trigger("start", "", false));
        assertThat(lines(count)).isEqualTo(1);
        a.pass(INTERVAL);
        assertThat(lines(count)).as("nothing changed, nothing checked").isEqualTo(1);
        write("/proc/sys/vm/swappiness", "30\n");
        a.pass(INTERVAL);
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("10");
        assertThat(lines(count)).as("putting drift back is a change set too").isEqualTo(2);
        assertThat(events("health-gate")).extracting(n -> n.path("outcome").asText()).containsExactly("passed", "passed");
    }

    @Test
    void aFailedValueIsLeftAloneButAnotherValueIsTried() throws IOException {
        Path flag = Files.writeString(tmp.resolve("unhealthy"), "");
        Agent a = gated(true, List.of("/bin/sh", "-c", "test ! -e " + flag), null, Duration.ofSeconds(20));
        a.pass(new Trigger("start", "", false));
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");
        Files.delete(flag);
        a.pass(new Trigger("sighup", "", true));
        assertThat(read("/proc/sys/vm/swappiness")).as("10 failed the gate: not again").isEqualTo("60");
        settings.set("- sysctl: {key: vm.swappiness, value: 20}");
        a.pass(new Trigger("sighup", "", true));
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("20");
        assertThat(journal()).extracting(dev.chameleon.model.ChangeSet::status).containsExactly("rolled-back", "applied");
    }

    @Test
    void runTakesTheGateFromFlagsAndConfigFlagsWinning() throws IOException {
        Path pol = policyFolder("10");
        String[] common = {"run", "--mode", "apply", "--root", root.toString(), "--no-default-policies", "--policies", pol.toString(),
                "--max-passes", "1", "--no-uevents", "--log-format", "json"};
        var flag = CliTest.cli(concat(common, "--state-dir", tmp.resolve("s1").toString(), "--health-command", "/bin/false",
                "--health-settle", "0s"));
        assertThat(flag.code()).as(flag.err()).isEqualTo(0);
        assertThat(flag.out()).contains("\"event\":\"health-gate\"").contains("\"outcome\":\"failed\"").contains("\"exitCode\":1");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");

        Path cfg = Files.writeString(tmp.resolve("agent.yaml"), """
                version: 1
                healthGate:
                  command: [/bin/sh, -c, 'echo not ready; exit 4']
                  settle: 0s
                  timeout: 10s
                """);
        var file = CliTest.cli(concat(common, "--state-dir", tmp.resolve("s2").toString(), "--config", cfg.toString()));
        assertThat(file.code()).as(file.err()).isEqualTo(0);
        assertThat(file.out()).contains("\"exitCode\":4").contains("not ready");
        assertThat(read("/proc/sys/vm/swappiness")).isEqualTo("60");

        var off = CliTest.cli(concat(common, "--state-dir", tmp.resolve("s3").toString(), "--config", cfg.toString(),
                "--health-command", ""));
        assertThat(off.code()).as(off.err()).isEqualTo(0);
        assertThat(off.out()).doesNotContain("health-gate");
        assertThat(read("/proc/sys/vm/swappiness")).as("--health-command \"\" turned the file's gate off").isEqualTo("10");
    }

    @Test
    void badGateSettingsAreBadInput() throws IOException {
        String[] run = {"run", "--root", root.toString(), "--max-passes", "1", "--no-uevents"};
        assertBad(concat(run, "--health-url", "https://127.0.0.1/healthz"), "--health-url 'https://127.0.0.1/healthz': https is not supported");
        assertBad(concat(run, "--health-url", "http://192.0.2.1/"), "is not a loopback address");
        assertBad(concat(run, "--health-command", "check --quick"), "--health-command check --quick: word 1 'check' must be an absolute path");
        assertBad(concat(run, "--health-timeout", "0s"), "--health-timeout 0s: must be more than 0");
        assertBad(concat(run, "--health-settle", "soon"), "--health-settle soon: not a duration");
        Path cfg = Files.writeString(tmp.resolve("bad.yaml"), "version: 1\nhealthGate:\n  command: [/bin/true]\n  url: http://example.com/\n");
        assertBad(concat(run, "--config", cfg.toString()), "--config " + cfg + ":4:8: error: healthGate.url 'http://example.com/'");
        Files.writeString(cfg, "version: 1\nhealthGate:\n  command: [/bin/true, '']\n");
        assertBad(concat(run, "--config", cfg.toString()), "--config " + cfg + ":3:24: error: healthGate.command[1] is empty");
        Files.writeString(cfg, "version: 1\nhealthGate:\n  settle: 5\n");
        assertBad(concat(run, "--config", cfg.toString()), "--config " + cfg + ":3:11: error: healthGate.settle must be a duration with a unit");
    }

    void assertBad(String[] args, String message) {
        var r = CliTest.cli(args);
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).contains(message);
    }

    static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static final String policies = """
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: low-swap}
            spec:
              settings:
                - sysctl: {key: vm.swappiness, value: %s}
            """;
}
