package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.chameleon.agent.AgentConfig;
import dev.chameleon.agent.Daemon;
import dev.chameleon.agent.fleet.Enrollment;
import dev.chameleon.agent.fleet.FleetFiles;
import dev.chameleon.agent.fleet.FleetLink;
import dev.chameleon.agent.fleet.ServerCredential;
import dev.chameleon.agent.loop.Poll;
import dev.chameleon.engine.Engine;
import dev.chameleon.engine.EngineConfig;
import dev.chameleon.wire.Bundle;
import dev.chameleon.wire.BundleFile;
import dev.chameleon.wire.Wire;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real agent ({@link Daemon}, apply mode, over a machine tree) with a real control plane
 * (chameleon-server on loopback, H2): enrollment, a policy set rolled out to it, applied in its
 * tree, reports arriving once each; an outage (last good bundle enforced, outbox drained after,
 * the server's count equal to what the agent queued); a bundle changed on its way refused.
 */
@Timeout(180)
class FleetAgentTest {
    @TempDir
    Path tmp;
    FleetServer server;
    final List<RunningAgent> agents = new ArrayList<>();

    static final String POLICY = """
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: fleet-dirty}
            spec:
              priority: 70
              when: platform.hypervisor == "vmware"
              settings:
                - sysctl: {key: vm.dirty_ratio, value: 12}
            """;

    @BeforeEach
    void start() {
        server = new FleetServer(tmp.resolve("server"));
    }

    @AfterEach
    void stop() {
        agents.forEach(RunningAgent::close);
        server.close();
    }

    /** A machine tree of a VMware guest with dirty_ratio 20. */
    Path tree(String name) throws IOException {
        Path root = tmp.resolve(name);
        MachineTree.vmwareGuest(root);
        MachineTree.write(root, "/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu hypervisor\n\n");
        MachineTree.write(root, "/proc/sys/vm/dirty_ratio", "20\n");
        MachineTree.write(root, "/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
        return root;
    }

    /** An agent process's life in a thread: the daemon over a tree, talking to {@code url}. */
    final class RunningAgent implements AutoCloseable {
        final Path root;
        final Path state;
        final Daemon daemon;
        final Thread thread;
        final StringWriter log = new StringWriter();
        final AtomicReference<Throwable> failed = new AtomicReference<>();

        RunningAgent(Path root, Path state, String url) {
            this.root = root;
            this.state = state;
            AgentConfig cfg = AgentConfig.builder().mode("apply").interval("1s").splay("0s").debounce("20ms").uevents(false)
                    .server(url).engine(e -> e.root(root).stateDir(state).builtinPolicies(false)).build();
            daemon = new Daemon(cfg, new PrintWriter(log, true), () -> cfg, s -> s)
                    .fleetTiming(new FleetLink.Timing(20, Duration.ofMillis(100), Duration.ofMillis(100), Duration.ofMillis(500)));
            thread = new Thread(() -> {
                try {
                    daemon.run();
                } catch (Throwable t) {
                    failed.set(t);
                }
            }, "agent-" + root.getFileName());
            thread.start();
        }

        String value(String path) throws IOException {
            return MachineTree.read(root, path);
        }

        String events() throws IOException {
            Path f = state.resolve("events.jsonl");
            return Files.exists(f) ? Files.readString(f) : "";
        }

        @Override
        public void close() {
            thread.interrupt();
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertThat(thread.isAlive()).as("the agent stops when interrupted").isFalse();
        }
    }

    ServerCredential enroll(Path root, Path state, String url, String token) throws Exception {
        Engine e = Engine.of(EngineConfig.builder().root(root).stateDir(state).builtinPolicies(false).build());
        return Enrollment.enroll(URI.create(url), token, root.getFileName().toString(), e.sense().asMap(), new FleetFiles(state), false,
                Clock.systemUTC());
    }

    RunningAgent run(Path root, Path state, String url) {
        RunningAgent a = new RunningAgent(root, state, url);
        agents.add(a);
        return a;
    }

    static boolean waitFor(java.util.function.BooleanSupplier c) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < until) {
            if (c.getAsBoolean()) {
                return true;
            }
            Thread.sleep(100);
        }
        return c.getAsBoolean();
    }

    static String quiet(IoSupplier s) {
        try {
            return s.get();
        } catch (IOException e) {
            return "";
        }
    }

    interface IoSupplier {
        String get() throws IOException;
    }

    @Test
    void enrolledAgentAppliesTheRolledOutBundleAndReportsEachReportOnce() throws Exception {
        Path root = tree("vm1");
        Path state = tmp.resolve("vm1-state");
        ServerCredential cred = enroll(root, state, server.url(), server.enrollToken(1));
        assertThat(Files.getPosixFilePermissions(new FleetFiles(state).credential())).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.readString(new FleetFiles(state).credential())).contains(cred.bundleKey().keyId());

        server.putPolicy("dirty", POLICY);
        server.assign("vms", "dirty", "platform.hypervisor == \"vmware\"");
        RunningAgent a = run(root, state, server.url());
        // before the rollout the bundle is empty: nothing to apply
        assertThat(waitFor(() -> quiet(a::events).contains("bundle version"))).as(a.log.toString()).isTrue();
        assertThat(a.value("/proc/sys/vm/dirty_ratio")).isEqualTo("20");

        server.rollout("vms", 1, List.of(cred.agentId()), List.of(100));
        assertThat(waitFor(() -> quiet(() -> a.value("/proc/sys/vm/dirty_ratio")).equals("12"))).as(a.log.toString()).isTrue();
        // the change set and the plan reached the server
        assertThat(waitFor(() -> server.reports(cred.agentId(), "change-set") >= 1)).as(a.log.toString()).isTrue();
        JsonNode changes = server.get("/api/v1/agents/" + cred.agentId() + "/changes").json();
        assertThat(changes.toString()).contains("vm.dirty_ratio");
        assertThat(waitFor(() -> server.get("/api/v1/agents/" + cred.agentId() + "/current-values").body().contains("\"sysctl:vm.dirty_ratio\":\"12\"")))
                .as(server.get("/api/v1/agents/" + cred.agentId() + "/current-values").body()).isTrue();
        // the hardware advice (issue 18) reached the server as the agent's latest advice
        assertThat(waitFor(() -> server.get("/api/v1/agents/" + cred.agentId() + "/advice").status() == 200)).as(a.log.toString()).isTrue();
        assertThat(server.get("/api/v1/agents/" + cred.agentId() + "/advice").json().path("summary").asText()).startsWith("hardware (general): ");
        // the status heartbeats carry the agent's own cost (the console's chart): resident bytes, and CPU % from the second on
        JsonNode statuses = server.get("/api/v1/agents/" + cred.agentId() + "/status-history").json();
        assertThat(statuses.size()).as(statuses.toString()).isGreaterThanOrEqualTo(2);
        assertThat(statuses.get(0).at("/payload/rssBytes").asLong()).as(statuses.toString()).isGreaterThan(1L << 20);
        assertThat(statuses.get(0).at("/payload/cpuPercent").isNumber()).as(statuses.toString()).isTrue();
        assertThat(statuses.get(0).at("/payload/cpuPercent").asDouble()).isBetween(0.0, 100.0 * Runtime.getRuntime().availableProcessors());
        // the bundle and its ETag are on disk, 0600
        FleetFiles files = new FleetFiles(state);
        assertThat(Files.readString(files.bundle())).contains("fleet-dirty");
        assertThat(Files.readString(files.etag())).startsWith("\"");

        a.close();
        FleetLink link = a.daemon.fleetLink();
        assertThat(link.outbox().size()).as("the outbox drained before the stop").isZero();
        assertThat(server.reports(cred.agentId(), null)).as("every report stored once").isEqualTo(link.outbox().queued());
    }

    @Test
    void duringAnOutageTheLastGoodBundleIsEnforcedAndTheOutboxDrainsAfter() throws Exception {
        Path root = tree("vm2");
        Path state = tmp.resolve("vm2-state");
        ServerCredential cred = enroll(root, state, server.url(), server.enrollToken(1));
        server.putPolicy("dirty", POLICY);
        server.assign("vms", "dirty", "true");
        server.rollout("vms", 1, List.of(), List.of(100));
        RunningAgent a = run(root, state, server.url());
        assertThat(waitFor(() -> quiet(() -> a.value("/proc/sys/vm/dirty_ratio")).equals("12"))).as(a.log.toString()).isTrue();
        assertThat(waitFor(() -> a.daemon.fleetLink().outbox().size() == 0)).isTrue();

        int port = server.port();
        server.stop();
        // someone changes the setting while the server is away: the agent puts it back from its last good bundle
        MachineTree.write(root, "/proc/sys/vm/dirty_ratio", "33\n");
        assertThat(waitFor(() -> quiet(() -> a.value("/proc/sys/vm/dirty_ratio")).equals("12"))).as(a.log.toString()).isTrue();
        assertThat(waitFor(() -> a.daemon.fleetLink().outbox().size() >= 3)).as("reports wait in the outbox").isTrue();
        assertThat(Files.list(new FleetFiles(state).outbox()).filter(p -> p.toString().endsWith(".json")).count()).isPositive();

        server.restart(port);
        assertThat(waitFor(() -> a.daemon.fleetLink().outbox().size() == 0)).as(a.log.toString()).isTrue();
        a.close();
        FleetLink link = a.daemon.fleetLink();
        assertThat(link.outbox().size()).isZero();
        assertThat(link.outbox().dropped()).isZero();
        assertThat(server.reports(cred.agentId(), null)).as("the server stored exactly what the agent queued").isEqualTo(link.outbox().queued());
        assertThat(server.get("/api/v1/agents/" + cred.agentId() + "/events").body()).contains("external-change");
    }

    /**
     * A loopback proxy between agent and server that rewrites each bundle on its way (a stand-in
     * for an attacker on the network; the server itself only signs what it sends).
     */
    static HttpServer tamperingProxy(String target, UnaryOperator<Bundle> tamper) throws IOException {
        HttpServer p = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        p.createContext("/", ex -> {
            try (ex) {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target + ex.getRequestURI())).timeout(Duration.ofSeconds(60));
                ex.getRequestHeaders().forEach((k, vs) -> {
                    if (List.of("authorization", "content-type", "if-none-match").contains(k.toLowerCase(java.util.Locale.ROOT))) {
                        vs.forEach(v -> b.header(k, v));
                    }
                });
                byte[] body;
                try (InputStream in = ex.getRequestBody()) {
                    body = in.readAllBytes();
                }
                b.method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
                HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
                String out = r.body();
                if (ex.getRequestURI().getPath().endsWith("/bundle") && r.statusCode() == 200) {
                    out = Wire.write(tamper.apply(Wire.readBundle(out)));
                }
                r.headers().firstValue("ETag").ifPresent(v -> ex.getResponseHeaders().add("ETag", v));
                r.headers().firstValue("Content-Type").ifPresent(v -> ex.getResponseHeaders().add("Content-Type", v));
                byte[] bytes = out.getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(r.statusCode(), r.statusCode() == 304 ? -1 : bytes.length);
                if (r.statusCode() != 304) {
                    try (OutputStream os = ex.getResponseBody()) {
                        os.write(bytes);
                    }
                }
            } catch (Exception e) {
                ex.sendResponseHeaders(502, -1);
            }
        });
        p.start();
        return p;
    }

    @Test
    void aBundleChangedOnItsWayOrUnsignedIsRefusedAndNothingApplied() throws Exception {
        server.putPolicy("dirty", POLICY);
        server.assign("vms", "dirty", "true");
        server.rollout("vms", 1, List.of(), List.of(100));
        String token = server.enrollToken(2);
        Map<String, UnaryOperator<Bundle>> attacks = Map.of(
                "CHANGED_FILE", b -> new Bundle(b.files().stream().map(f -> f.name().startsWith("policies/")
                        ? new BundleFile(f.name(), f.content().replace("value: 12", "value: 99")) : f).toList()),
                "UNSIGNED", b -> new Bundle(b.files().stream().filter(f -> !f.name().equals(Bundle.SIGNATURES)).toList()));
        for (Map.Entry<String, UnaryOperator<Bundle>> attack : attacks.entrySet()) {
            HttpServer proxy = tamperingProxy(server.url(), attack.getValue());
            try {
                String via = "http://127.0.0.1:" + proxy.getAddress().getPort();
                Path root = tree("vm-" + attack.getKey());
                Path state = tmp.resolve("state-" + attack.getKey());
                enroll(root, state, via, token);
                RunningAgent a = run(root, state, via);
                assertThat(waitFor(() -> quiet(a::events).contains("bundle refused (" + attack.getKey() + ")"))).as(a.log.toString()).isTrue();
                assertThat(a.value("/proc/sys/vm/dirty_ratio")).as("nothing applied").isEqualTo("20");
                assertThat(Files.exists(new FleetFiles(state).bundle())).as("a refused bundle is not kept").isFalse();
                assertThat(Files.exists(new FleetFiles(state).etag())).isFalse();
                a.close();
            } finally {
                proxy.stop(0);
            }
        }
    }

    @Test
    void theCommandsRefuseBadInputClearly() throws Exception {
        Path root = tree("vm-cli");
        Path state = tmp.resolve("cli-state");
        CliTest.Run notAToken = CliTest.cli("enroll", server.url(), "--token", "cht_x.y", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(notAToken.code()).isEqualTo(2);
        assertThat(notAToken.err()).contains("che_");
        CliTest.Run badUrl = CliTest.cli("enroll", "ftp://x", "--token", "che_x.y", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(badUrl.code()).isEqualTo(2);
        CliTest.Run wrongToken = CliTest.cli("enroll", server.url(), "--token", "che_nope.nope", "--root", root.toString(),
                "--state-dir", state.toString());
        assertThat(wrongToken.code()).as(wrongToken.err()).isEqualTo(2);
        assertThat(wrongToken.err()).contains("HTTP 401");
        assertThat(Files.exists(new FleetFiles(state).credential())).isFalse();

        CliTest.Run notEnrolled = CliTest.cli("run", "--server", server.url(), "--root", root.toString(), "--state-dir", state.toString(),
                "--no-default-policies", "--max-passes", "1");
        assertThat(notEnrolled.code()).isEqualTo(2);
        assertThat(notEnrolled.err()).contains("not enrolled").contains("chameleon enroll");

        CliTest.Run ok = CliTest.cli("enroll", server.url(), "--token", server.enrollToken(1), "--root", root.toString(),
                "--state-dir", state.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).contains("enrolled with").contains("ag")
                .as("issue 17: next: keeps --root, or the agent it suggests would run on the live machine")
                .contains("next: chameleon run --server " + server.url() + " --root " + root + " --state-dir " + state);
        CliTest.Run again = CliTest.cli("enroll", server.url(), "--token", "che_x.y", "--root", root.toString(), "--state-dir", state.toString());
        assertThat(again.code()).isEqualTo(4);
        assertThat(again.err()).contains("already enrolled").contains("--force");
        CliTest.Run other = CliTest.cli("run", "--server", "http://127.0.0.1:1", "--root", root.toString(), "--state-dir", state.toString(),
                "--no-default-policies", "--max-passes", "1");
        assertThat(other.code()).isEqualTo(2);
        assertThat(other.err()).contains("enrolled with " + server.url());
    }

    /** The operator's commands over the API, and a simulation that agrees with what the agents then did. */
    @Test
    void fleetCommandsAndTheSimulationAgreeWithWhatTheAgentsThenDo() throws Exception {
        String[] conn = {"--server", server.url(), "--token", server.admin};
        Path v1 = Files.writeString(tmp.resolve("dirty.yaml"), POLICY);
        CliTest.Run push = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "policies", "push", "dirty", v1.toString()}, conn));
        assertThat(push.code()).as(push.err()).isZero();
        assertThat(push.out()).contains("dirty: version 1 stored");
        server.assign("vms", "dirty", "platform.hypervisor == \"vmware\"");

        String token = server.enrollToken(2);
        List<RunningAgent> two = new ArrayList<>();
        List<String> ids = new ArrayList<>();
        for (String name : List.of("vm-a", "vm-b")) {
            Path root = tree(name);
            Path state = tmp.resolve(name + "-state");
            ids.add(enroll(root, state, server.url(), token).agentId());
            two.add(run(root, state, server.url()));
        }
        CliTest.Run start = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "rollout", "start", "vms", "--version", "1",
                "--canary", ids.get(0), "--steps", "100"}, conn));
        assertThat(start.code()).as(start.err()).isZero();
        assertThat(start.out()).contains("1 agent(s) included");
        // the canary applies; the other agent does not have it yet
        assertThat(waitFor(() -> quiet(() -> two.get(0).value("/proc/sys/vm/dirty_ratio")).equals("12"))).as(two.get(0).log.toString()).isTrue();
        assertThat(two.get(1).value("/proc/sys/vm/dirty_ratio")).isEqualTo("20");
        String rollout = start.out().split(" ")[1];
        CliTest.Run adv = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "rollout", "advance", rollout}, conn));
        assertThat(adv.code()).as(adv.err()).isZero();
        assertThat(waitFor(() -> quiet(() -> two.get(1).value("/proc/sys/vm/dirty_ratio")).equals("12"))).as(two.get(1).log.toString()).isTrue();
        for (String id : ids) {
            assertThat(waitFor(() -> server.get("/api/v1/agents/" + id + "/current-values").body().contains("\"sysctl:vm.dirty_ratio\":\"12\"")))
                    .isTrue();
        }

        // version 2: simulated first, then rolled out; the agents do what the simulation said
        Path v2 = Files.writeString(tmp.resolve("dirty-v2.yaml"), POLICY.replace("value: 12", "value: 15"));
        CliTest.Run sim = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "simulate", v2.toString(), "--name", "dirty", "-o", "json"}, conn));
        assertThat(sim.code()).as(sim.err()).isZero();
        JsonNode j = FleetServer.JSON.readTree(sim.out());
        assertThat(j.get("changing").asInt()).isEqualTo(2);
        for (JsonNode a : j.get("results")) {
            assertThat(a.get("changes").toString()).contains("\"key\":\"sysctl:vm.dirty_ratio\",\"from\":\"12\",\"to\":\"15\"");
        }
        CliTest.Run simTable = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "simulate", v2.toString(), "--name", "dirty"}, conn));
        assertThat(simTable.out()).contains("12 -> 15").contains("2 would change");
        assertThat(CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "policies", "push", "dirty", v2.toString()}, conn)).code()).isZero();
        assertThat(CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "rollout", "start", "vms", "--version", "2"}, conn)).code()).isZero();
        for (RunningAgent a : two) {
            assertThat(waitFor(() -> quiet(() -> a.value("/proc/sys/vm/dirty_ratio")).equals("15"))).as(a.log.toString()).isTrue();
        }

        CliTest.Run agents = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "agents", "--where", "platform.hypervisor == \"vmware\""}, conn));
        assertThat(agents.code()).as(agents.err()).isZero();
        assertThat(agents.out()).contains(ids.get(0)).contains(ids.get(1)).contains("vmware").contains("2 agent(s)");
        CliTest.Run show = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "show", ids.get(0)}, conn));
        assertThat(show.code()).as(show.err()).isZero();
        assertThat(show.out()).contains("hostname").contains("vm-a");
        CliTest.Run events = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "events", "--agent", ids.get(0)}, conn));
        assertThat(events.out()).contains("change-set");
        CliTest.Run noToken = CliTest.cli("fleet", "agents", "--server", server.url(), "--token", "cht_bad.bad");
        assertThat(noToken.code()).isEqualTo(4);
        assertThat(noToken.err()).contains("HTTP 401");
        CliTest.Run badPolicy = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "simulate", Files.writeString(tmp.resolve("bad.yaml"),
                "kind: Nonsense\n").toString()}, conn));
        assertThat(badPolicy.code()).isEqualTo(2);
        assertThat(badPolicy.err()).contains("bad.yaml:1:");
    }

    /**
     * Learned tuning across the fleet: a Tuning pushed as a policy set reaches the agent in its
     * bundle; the agent runs it (over its machine tree: the knob is the tree's vm.dirty_ratio and
     * the objective reads it back, exact), sends the proposal with its platform fingerprint; the
     * control plane offers it to another agent of the same platform ('fleet proposals'), and the
     * operator pushes it as a policy set. The agent approved nothing and put the value back.
     */
    @Test
    void aTuningInTheBundleIsRunByTheAgentAndItsProposalOfferedToAVmLikeIt() throws Exception {
        String[] conn = {"--server", server.url(), "--token", server.admin};
        String token = server.enrollToken(2);
        Path rootA = tree("tuner-a");
        Path stateA = tmp.resolve("tuner-a-state");
        String a = enroll(rootA, stateA, server.url(), token).agentId();
        Path rootB = tree("tuner-b");
        String b = enroll(rootB, tmp.resolve("tuner-b-state"), server.url(), token).agentId(); // enrolled with its facts; never runs
        Path tuning = Files.writeString(tmp.resolve("tune-dirty.yaml"), """
                apiVersion: chameleon/v1
                kind: Tuning
                metadata: {name: dirty}
                spec:
                  objective: {probe: {command: [/bin/cat, %s]}, goal: maximise, repeats: 2}
                  knobs:
                    - sysctl: {key: vm.dirty_ratio}
                      choices: [5, 30]
                  budget: {trials: 2}
                  guardrail: {maxRegression: 90}
                """.formatted(rootA.resolve("proc/sys/vm/dirty_ratio")));
        CliTest.Run push = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "policies", "push", "tune-dirty", tuning.toString()}, conn));
        assertThat(push.code()).as(push.err()).isZero();
        server.assign("tuners", "tune-dirty", "true");
        RunningAgent running = run(rootA, stateA, server.url());
        server.rollout("tuners", 1, List.of(), List.of(100));
        assertThat(waitFor(() -> server.get("/api/v1/tuning/proposals?agent=" + b).body().contains("\"tuning\":\"dirty\"")))
                .as(running.log.toString()).isTrue();
        assertThat(running.value("/proc/sys/vm/dirty_ratio")).as("put back after the run").isEqualTo("20");
        assertThat(Files.readString(stateA.resolve("tuning/dirty.json"))).contains("\"complete\":true");
        assertThat(running.events()).contains("\"event\":\"tuning\",\"tuning\":\"dirty\",\"status\":\"done\"");
        // the evidence the console shows: objective, baseline, best, as the agent measured them
        com.fasterxml.jackson.databind.JsonNode offered = server.get("/api/v1/tuning/proposals?agent=" + b).json().get(0);
        assertThat(offered.get("objective").asText()).isEqualTo("maximise /bin/cat " + rootA.resolve("proc/sys/vm/dirty_ratio"));
        assertThat(offered.at("/baseline/mean").asDouble()).isEqualTo(20.0);
        assertThat(offered.at("/best/mean").asDouble()).isEqualTo(30.0);
        assertThat(offered.at("/best/settings/sysctl:vm.dirty_ratio").asText()).isEqualTo("30");

        CliTest.Run list = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "proposals", "--agent", b}, conn));
        assertThat(list.code()).as(list.err()).isZero();
        assertThat(list.out()).contains(a).contains("dirty").contains("hypervisor=vmware").contains("1 proposal(s)");
        CliTest.Run yaml = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "proposals", "--agent", b, "--yaml"}, conn));
        assertThat(yaml.code()).as(yaml.err()).isZero();
        assertThat(yaml.out()).startsWith("# Proposed by chameleon tune").contains("kind: Policy").contains("value: 30");
        Path proposal = Files.writeString(tmp.resolve("tuned-dirty.yaml"), yaml.out());
        CliTest.Run up = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "policies", "push", "tuned-dirty", proposal.toString()}, conn));
        assertThat(up.code()).as(up.err()).isZero();
        assertThat(up.out()).contains("tuned-dirty: version 1 stored");
        CliTest.Run neither = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "proposals"}, conn));
        assertThat(neither.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(neither.err()).contains("give --agent AGENT or --fingerprint KEY");
        CliTest.Run other = CliTest.cli(AgentLoopTest.concat(new String[] {"fleet", "proposals", "--fingerprint", "hypervisor=kvm", "--yaml"},
                conn));
        assertThat(other.code()).isEqualTo(ExitCode.FAILED);
        assertThat(other.err()).contains("no proposal for hypervisor=kvm");
    }
}
