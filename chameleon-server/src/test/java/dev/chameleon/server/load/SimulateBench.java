package dev.chameleon.server.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chameleon.server.ControlPlane;
import dev.chameleon.server.ServerConfig;
import dev.chameleon.server.auth.Role;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * The simulation's budget (issue 14: one policy over 10,000 agents' facts in at most 2 s): a server
 * (in this process, {@code --db URL} or the embedded H2 in a temp folder) with N agents enrolled
 * over HTTP, each with the facts of a platform template from bench/fleet/templates and current
 * values of the candidate's settings; then the server is stopped and started again on the same database, and {@code POST /api/v1/simulate} of one
 * policy is called {@code --first-after S} seconds after that start (the first call: the facts cache
 * is warmed in the background from the start, or is filled by this call with
 * {@code -Dchameleon.server.warmFacts=false}), then {@code runs} more times. Prints one line per call:
 * seconds after the start, whether the cache was warm, wall time of the HTTP call, the server's
 * own {@code elapsedMillis} and the load average; then when the warming ended and the process's
 * resident memory (now and peak). Run by bench/simulate.sh.
 *
 * <pre>SimulateBench [--agents 10000] [--runs 5] [--first-after 10] [--db JDBC_URL] [--templates bench/fleet/templates]</pre>
 */
public final class SimulateBench {
    public static final String CANDIDATE = """
            apiVersion: chameleon/v1
            kind: Policy
            metadata: {name: kvm-writeback}
            spec:
              priority: 73
              when: platform.hypervisor == "kvm" && memory.totalBytes > 1073741824
              settings:
                - sysctl: {key: vm.dirty_ratio, value: 12}
                - sysctl: {key: vm.dirty_background_ratio, value: 4}
                - sysctl: {key: net.core.somaxconn, value: 4096}
            """;

    public static void main(String[] args) throws Exception {
        int agents = 10_000;
        int runs = 5;
        String db = null;
        double firstAfter = 10;
        Path templates = Path.of("bench/fleet/templates");
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--agents" -> agents = Integer.parseInt(args[i + 1]);
                case "--runs" -> runs = Integer.parseInt(args[i + 1]);
                case "--db" -> db = args[i + 1];
                case "--templates" -> templates = Path.of(args[i + 1]);
                case "--first-after" -> firstAfter = Double.parseDouble(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        ObjectMapper json = new ObjectMapper();
        List<ObjectNode> trees = new ArrayList<>();
        try (var s = Files.list(templates)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                trees.add((ObjectNode) json.readTree(p.toFile()));
            }
        }
        Path dir = Files.createTempDirectory("chameleon-simulate-bench-");
        ServerConfig cfg = ServerConfig.defaults(dir).withPort(0);
        ServerConfig config = db == null ? cfg : cfg.withDb(db);
        String admin;
        try (ControlPlane cp = ControlPlane.start(config)) {
            admin = cp.tokens().createFromCommandLine("bench", Role.ADMIN, "bench").token();
            enroll(cp, admin, agents, trees, db, json);
        }
        // the server started again on the same database: its first simulation, FIRST_AFTER seconds after the start
        long started = System.nanoTime();
        try (ControlPlane cp = ControlPlane.start(config)) {
            double startSeconds = (System.nanoTime() - started) / 1e9;
            long[] warmedAt = {-1};
            cp.factsWarmed().thenRun(() -> warmedAt[0] = System.nanoTime());
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            long waitNanos = (long) (firstAfter * 1e9) - (System.nanoTime() - started);
            if (waitNanos > 0) {
                Thread.sleep(waitNanos / 1_000_000);
            }
            for (int r = 0; r <= runs; r++) {
                double after = (System.nanoTime() - started) / 1e9;
                boolean warm = cp.factsWarmed().isDone();
                String state = "false".equals(System.getProperty("chameleon.server.warmFacts")) ? "not warmed at start" : warm ? "warm" : "still warming";
                long s = System.nanoTime();
                HttpResponse<String> resp = send(http, HttpRequest.newBuilder(URI.create(cp.url() + "/api/v1/simulate?name=kvm-writeback"))
                        .timeout(Duration.ofSeconds(300)).header("Authorization", "Bearer " + admin).header("Content-Type", "application/yaml")
                        .POST(HttpRequest.BodyPublishers.ofString(CANDIDATE)).build());
                long wall = (System.nanoTime() - s) / 1_000_000;
                if (resp.statusCode() != 200) {
                    throw new IllegalStateException(resp.statusCode() + " " + resp.body());
                }
                JsonNode res = json.readTree(resp.body());
                System.out.printf("%s %.1f s after start (facts cache %s): %d ms wall (server: %d ms), %d agents simulated, %d would change "
                                + "(%d settings), %d undecided, answer %d KiB; load average %s%n", r == 0 ? "first call" : "run " + r, after,
                        state, wall, res.get("elapsedMillis").asLong(), res.get("agents").asInt(),
                        res.get("changing").asInt(), res.get("changes").asLong(), res.get("undecided").asInt(), resp.body().length() / 1024,
                        loadavg());
            }
            if ("false".equals(System.getProperty("chameleon.server.warmFacts"))) {
                System.out.printf("simulate-bench: server started in %.1f s; facts cache warming switched off (-Dchameleon.server.warmFacts=false)%n",
                        startSeconds);
            } else {
                int n = cp.factsWarmed().join();
                System.out.printf("simulate-bench: server started in %.1f s; its facts cache warmed (%d agents) %.1f s after start%n", startSeconds,
                        n, (warmedAt[0] - started) / 1e9);
            }
            System.out.printf("simulate-bench: RSS of this process (server and client) now %s, peak %s%n", status("VmRSS"), status("VmHWM"));
        }
    }

    static String loadavg() throws java.io.IOException {
        return Files.readString(Path.of("/proc/loadavg")).strip();
    }

    static String status(String key) throws java.io.IOException {
        return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith(key + ":")).findFirst().orElse("?")
                .replaceAll("\\s+", " ").replace(key + ": ", "");
    }

    /** N agents enrolled over HTTP with template facts and current values of the candidate's settings. */
    static void enroll(ControlPlane cp, String admin, int agents, List<ObjectNode> trees, String db, ObjectMapper json) throws Exception {
        {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            String base = cp.url();
            String enroll = json.readTree(send(http, post(base + "/api/v1/enroll-tokens", admin,
                    "{\"name\":\"bench\",\"maxUses\":" + agents + ",\"ttlSeconds\":86400}")).body()).get("token").asText();
            Random rnd = new Random(1);
            Semaphore inFlight = new Semaphore(16);
            List<CompletableFuture<Void>> all = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < agents; i++) {
                ObjectNode facts = trees.get(i % trees.size());
                Map<String, Object> cv = new LinkedHashMap<>();
                cv.put("sysctl:vm.dirty_ratio", String.valueOf(List.of(10, 12, 20, 40).get(rnd.nextInt(4))));
                cv.put("sysctl:vm.dirty_background_ratio", String.valueOf(List.of(4, 5, 10).get(rnd.nextInt(3))));
                if (rnd.nextInt(10) > 0) {
                    cv.put("sysctl:net.core.somaxconn", String.valueOf(List.of(4096, 128).get(rnd.nextInt(2))));
                }
                String body = "{\"enrollToken\":\"" + enroll + "\",\"hostname\":\"vm-" + i + "\",\"agentVersion\":\"0.1.0\",\"facts\":"
                        + json.writeValueAsString(facts) + "}";
                String values = json.writeValueAsString(Map.of("reports", List.of(Map.of("id", "cv-1", "kind", "current-values",
                        "time", "2026-12-04T13:00:00Z", "payload", cv))));
                inFlight.acquire();
                all.add(http.sendAsync(post(base + "/api/v1/enroll", null, body), HttpResponse.BodyHandlers.ofString())
                        .thenCompose(r -> {
                            try {
                                JsonNode e = json.readTree(r.body());
                                return http.sendAsync(post(base + "/api/v1/agents/" + e.get("agentId").asText() + "/reports",
                                        e.get("credential").asText(), values), HttpResponse.BodyHandlers.ofString());
                            } catch (Exception ex) {
                                throw new IllegalStateException("enroll: " + r.statusCode() + " " + r.body(), ex);
                            }
                        }).thenAccept(r -> {
                            if (r.statusCode() != 200) {
                                throw new IllegalStateException("report: " + r.statusCode() + " " + r.body());
                            }
                        }).whenComplete((x, e) -> inFlight.release()));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
            System.out.printf("simulate-bench: %d agents enrolled with facts and current values in %.1f s (%s database), load average %s%n",
                    agents, (System.nanoTime() - t0) / 1e9, db == null ? "H2" : "PostgreSQL", Files.readString(Path.of("/proc/loadavg")).strip());
        }
    }

    static HttpRequest post(String url, String token, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b.build();
    }

    static HttpResponse<String> send(HttpClient http, HttpRequest r) throws Exception {
        return http.send(r, HttpResponse.BodyHandlers.ofString());
    }
}
