package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.chameleon.actuators.Journal;
import dev.chameleon.agent.Agent;
import dev.chameleon.agent.loop.EventLog;
import dev.chameleon.agent.loop.MetricsServer;
import dev.chameleon.agent.loop.Triggers.Trigger;
import dev.chameleon.host.Host;
import dev.chameleon.host.SysRoot;
import dev.chameleon.policy.PolicySet;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus endpoint of 'chameleon run', for real: the agent's passes on a machine tree in a
 * temporary folder, the endpoint on a free loopback port, scraped with the JDK's HTTP client.
 */
class MetricsEndpointTest {
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)$");

    @TempDir
    Path tmp;
    Path root;
    Path state;
    Path policies;
    Clock clock = Clock.fixed(Instant.parse("2026-11-29T10:00:00Z"), ZoneOffset.UTC);

    @BeforeEach
    void tree() throws IOException {
        root = tmp.resolve("root");
        state = tmp.resolve("state");
        MachineTree.vmwareGuest(root);
        MachineTree.write(root, "/proc/sys/vm/swappiness", "60\n");
        policies = Files.createDirectories(tmp.resolve("policies"));
        Files.writeString(policies.resolve("swap.yaml"), "apiVersion: chameleon/v1\nkind: Policy\nmetadata: {name: low-swap}\n"
                + "spec: {settings: [{sysctl: {key: vm.swappiness, value: 10}}]}\n");
    }

    /** Sample name (with its labels) → value, of the exposition text; every line is a comment or a sample. */
    static Map<String, Double> samples(String text) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                continue;
            }
            Matcher s = SAMPLE.matcher(line);
            assertThat(s.matches()).as("a sample line: " + line).isTrue();
            m.put(s.group(1) + (s.group(2) == null ? "" : s.group(2)), Double.parseDouble(s.group(3)));
        }
        return m;
    }

    static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsMoveWithEachPass() throws Exception {
        dev.chameleon.engine.Engine engine = dev.chameleon.engine.Engine.of(dev.chameleon.engine.EngineConfig.builder().root(root)
                .stateDir(state).build());
        EventLog events = new EventLog(state.resolve("events.jsonl"), new PrintWriter(new StringWriter(), true), false, clock);
        String policy = Files.readString(policies.resolve("swap.yaml"));
        Agent a = new Agent(engine, e -> dev.chameleon.engine.Engine.compile(List.of(new PolicySet.Source("swap.yaml", policy)),
                new ArrayList<>()),
                new Agent.Settings(true, Duration.ofSeconds(60), Duration.ZERO, Duration.ofMillis(10), 0, 1, Duration.ofHours(1)),
                events, clock, RandomGenerator.getDefault());
        try (MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0), a.metrics(), SysRoot.live())) {
            URI uri = URI.create("http://127.0.0.1:" + server.address().getPort() + "/metrics");
            HttpResponse<String> before = get(uri);
            assertThat(before.statusCode()).isEqualTo(200);
            assertThat(before.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
            Map<String, Double> m0 = samples(before.body());
            assertThat(m0).containsEntry("chameleon_pass_duration_seconds_count", 0.0).containsEntry("chameleon_policies_loaded", 1.0)
                    .containsEntry("chameleon_last_pass_timestamp_seconds", 0.0)
                    .containsEntry("chameleon_passes_total{trigger=\"start\"}", 0.0)
                    .containsEntry("chameleon_passes_total{trigger=\"policy-change\"}", 0.0);
            assertThat(before.body()).contains("# TYPE chameleon_passes_total counter").contains("# TYPE chameleon_pass_duration_seconds summary")
                    .doesNotContain("chameleon_drift_events_total{");
            assertThat(m0.get("chameleon_agent_resident_memory_bytes")).as("VmRSS of this JVM").isGreaterThan(1 << 20);
            assertThat(m0.get("chameleon_agent_resident_memory_peak_bytes")).isGreaterThanOrEqualTo(m0.get("chameleon_agent_resident_memory_bytes"));
            assertThat(m0.get("chameleon_agent_cpu_seconds_total")).isPositive();

            a.pass(new Trigger("start", "", false));
            String body1 = get(uri).body();
            Map<String, Double> m1 = samples(body1);
            // between passes nothing moves: the text rendered at the first scrape after the pass is served again
            assertThat(get(uri).body()).isEqualTo(body1);
            assertThat(server.scrape()).as("not rendered again").isSameAs(server.scrape());
            assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).isEqualTo("10");
            assertThat(m1).containsEntry("chameleon_passes_total{trigger=\"start\"}", 1.0)
                    .containsEntry("chameleon_pass_duration_seconds_count", 1.0)
                    .containsEntry("chameleon_pending_changes", 1.0)
                    .containsEntry("chameleon_settings_changed_total", 1.0)
                    .containsEntry("chameleon_settings_applied_total", 1.0)
                    .containsEntry("chameleon_settings_failed_total", 0.0)
                    .containsEntry("chameleon_frozen_settings", 0.0)
                    .containsEntry("chameleon_last_pass_timestamp_seconds", (double) clock.instant().getEpochSecond());
            assertThat(m1.get("chameleon_pass_duration_seconds_sum")).isPositive();

            // someone else sets it: reported as drift (by kind) and put back; again: frozen (limit 1)
            MachineTree.write(root, "/proc/sys/vm/swappiness", "30\n");
            a.pass(new Trigger("interval", "", false));
            MachineTree.write(root, "/proc/sys/vm/swappiness", "40\n");
            a.pass(new Trigger("uevent+sighup", "", true));
            Map<String, Double> m2 = samples(get(uri).body());
            assertThat(m2).containsEntry("chameleon_passes_total{trigger=\"start\"}", 1.0)
                    .containsEntry("chameleon_passes_total{trigger=\"interval\"}", 1.0)
                    .containsEntry("chameleon_passes_total{trigger=\"sighup+uevent\"}", 1.0)
                    .containsEntry("chameleon_pass_duration_seconds_count", 3.0)
                    .containsEntry("chameleon_drift_events_total{kind=\"sysctl\"}", 2.0)
                    .containsEntry("chameleon_settings_applied_total", 2.0)
                    .containsEntry("chameleon_frozen_settings", 1.0);
            assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).as("frozen: left as found").isEqualTo("40");
        }
    }

    @Test
    void onlyMetricsIsServed() throws Exception {
        try (MetricsServer server = MetricsServer.start(new InetSocketAddress("127.0.0.1", 0),
                new dev.chameleon.agent.loop.AgentMetrics(), SysRoot.live())) {
            String base = "http://127.0.0.1:" + server.address().getPort();
            assertThat(get(URI.create(base + "/")).statusCode()).isEqualTo(404);
            assertThat(get(URI.create(base + "/metrics/x")).statusCode()).isEqualTo(404);
            assertThat(get(URI.create(base + "/metricsx")).statusCode()).isEqualTo(404);
            HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);
            HttpResponse<String> head = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(head.statusCode()).isEqualTo(200);
            assertThat(head.body()).isEmpty();
        }
    }

    @Test
    void runServesMetricsWhileItRunsAndStopsServingWhenItStops() throws Exception {
        Path events = tmp.resolve("events.jsonl");
        AtomicReference<CliTest.Run> result = new AtomicReference<>();
        Thread run = new Thread(() -> result.set(CliTest.cli("run", "--root", root.toString(), "--no-default-policies",
                "--policies", policies.toString(), "--state-dir", state.toString(), "--events-file", events.toString(),
                "--interval", "1h", "--max-passes", "2", "--metrics", "127.0.0.1:0")));
        run.start();
        String url = waitFor(events, "pass").get("start").path("metrics").asText();
        assertThat(url).matches("http://127\\.0\\.0\\.1:\\d+/metrics");
        Map<String, Double> m = samples(get(URI.create(url)).body());
        assertThat(m).containsEntry("chameleon_passes_total{trigger=\"start\"}", 1.0).containsEntry("chameleon_pending_changes", 1.0);
        Files.writeString(policies.resolve("more.yaml"), "# a policy change triggers the second, last pass\n");
        run.join(60_000);
        assertThat(run.isAlive()).isFalse();
        assertThat(result.get().code()).as(result.get().err()).isEqualTo(0);
        assertThat(MachineTree.read(root, "/proc/sys/vm/swappiness")).as("plan mode").isEqualTo("60");
        try {
            get(URI.create(url));
            throw new AssertionError("still served after the agent stopped: " + url);
        } catch (ConnectException e) {
            // closed with the agent
        }
    }

    /** Waits (up to a minute, as a safety net, not a measurement) until the events file has an event of this type; the first of each type. */
    static Map<String, com.fasterxml.jackson.databind.JsonNode> waitFor(Path events, String type) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        ObjectMapper json = new ObjectMapper();
        while (System.nanoTime() < deadline) {
            Map<String, com.fasterxml.jackson.databind.JsonNode> first = new LinkedHashMap<>();
            if (Files.exists(events)) {
                for (String line : Files.readAllLines(events)) {
                    var n = json.readTree(line);
                    first.putIfAbsent(n.path("event").asText(), n);
                }
            }
            if (first.containsKey(type)) {
                return first;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("no " + type + " event in " + events);
    }

    @Test
    void aBadListenAddressIsBadInputAtItsPosition() throws IOException {
        Path cfg = tmp.resolve("agent.yaml");
        for (String[] c : new String[][]{
                {"0.0.0.0:9465", "4:11: error: metrics.listen '0.0.0.0:9465': 0.0.0.0 is not a loopback address"},
                {"10.20.30.40:9465", "4:11: error: metrics.listen '10.20.30.40:9465': 10.20.30.40 is not a loopback address"},
                {"metrics.example.invalid:9465", "4:11: error: metrics.listen 'metrics.example.invalid:9465': metrics.example.invalid is not an address as a number"},
                {"localhost:9465", "4:11: error: metrics.listen 'localhost:9465': localhost is not an address as a number"},
                {"127.0.0.1:99999", "4:11: error: metrics.listen '127.0.0.1:99999': port '99999' is not a number from 0 to 65535"},
                {"127.0.0.1", "4:11: error: metrics.listen '127.0.0.1' has no port"}}) {
            Files.writeString(cfg, "version: 1\nmetrics:\n  enabled: true\n  listen: " + c[0] + "\n");
            var r = CliTest.cli("run", "--config", cfg.toString(), "--root", root.toString(), "--state-dir", state.toString(),
                    "--max-passes", "1", "--no-uevents");
            assertThat(r.code()).as(c[0] + ": " + r.err()).isEqualTo(ExitCode.BAD_INPUT);
            assertThat(r.err()).as(c[0]).contains("--config " + cfg + ":" + c[1]).contains("\n    listen: " + c[0] + "\n            ^");
        }
        assertThat(state.resolve("events.jsonl")).as("refused before the agent started").doesNotExist();
        var flag = CliTest.cli("run", "--root", root.toString(), "--state-dir", state.toString(), "--max-passes", "1",
                "--metrics", "0.0.0.0:9465");
        assertThat(flag.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(flag.err()).contains("--metrics '0.0.0.0:9465': 0.0.0.0 is not a loopback address");
    }

    @Test
    void aPortInUseIsAClearError() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            var r = CliTest.cli("run", "--root", root.toString(), "--no-default-policies", "--policies", policies.toString(),
                    "--state-dir", state.toString(), "--max-passes", "1", "--metrics", "127.0.0.1:" + port);
            assertThat(r.code()).isEqualTo(ExitCode.FAILED);
            assertThat(r.err()).contains("metrics: cannot listen on 127.0.0.1:" + port + ": Address already in use")
                    .contains("choose another with metrics.listen or --metrics");
        }
    }
}
