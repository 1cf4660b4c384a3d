package dev.chameleon.server.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chameleon.server.console.Browser;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.openqa.selenium.By;

/**
 * The console at fleet scale (issue 16, "works at 10,000 agents"): loads N agents into a running
 * server through the agents' own API (enroll with facts, then one report batch each: facts,
 * plan, current values, status), then times the API calls the console's pages make, each run
 * sequentially R times after warm-up runs, and the fleet page's load in headless Chromium.
 * Writes a JSON result; every figure carries the load average read right after it.
 *
 * <pre>
 * ConsoleBench --server URL --token ADMIN_TOKEN [--agents 10000] [--runs 20] [--browser-runs 5]
 *              [--templates bench/fleet/templates] [--seed 1] --out FILE
 * </pre>
 *
 * <p>Run by {@code bench/console-10k.sh} (which starts the server on a real PostgreSQL on
 * loopback). Only loopback servers are targets. Not a test: nothing here asserts a time.
 */
public final class ConsoleBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final String server;
    private final String token;

    ConsoleBench(String server, String token) {
        URI u = URI.create(server);
        if (!List.of("127.0.0.1", "localhost", "[::1]", "::1").contains(u.getHost())) {
            throw new IllegalArgumentException("only a loopback server is a target, not " + u.getHost());
        }
        this.server = server;
        this.token = token;
    }

    private HttpResponse<String> send(String method, String path, String bearer, Object body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server + path)).timeout(Duration.ofSeconds(60));
        if (bearer != null) {
            b.header("Authorization", "Bearer " + bearer);
        }
        if (body != null) {
            b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode ok(String method, String path, String bearer, Object body, int status) throws Exception {
        HttpResponse<String> r = send(method, path, bearer, body);
        if (r.statusCode() != status) {
            throw new IllegalStateException(method + " " + path + ": " + r.statusCode() + " " + r.body());
        }
        return r.body().isEmpty() ? null : JSON.readTree(r.body());
    }

    static String loadavg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    /**
     * Enrolls {@code n} agents, each with one of the templates' fact trees (its host name, memory
     * and, for one in 50, a memory sensor that could not read /proc/meminfo varied from the seed),
     * then sends each one report batch; 32 at a time. Returns the agents' ids.
     */
    List<String> load(int n, Path templates, long seed) throws Exception {
        List<ObjectNode> trees = new ArrayList<>();
        try (var s = Files.list(templates)) {
            for (Path p : s.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                trees.add((ObjectNode) JSON.readTree(p.toFile()));
            }
        }
        JsonNode enroll = ok("POST", "/api/v1/enroll-tokens", token, Map.of("name", "console bench", "maxUses", n, "ttlSeconds", 86400,
                "labels", Map.of("fleet", "bench")), 201);
        String enrollToken = enroll.get("token").asText();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        List<Future<String>> ids = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int k = i;
            ids.add(pool.submit(() -> {
                Random rnd = new Random(seed * 1_000_003L + k);
                ObjectNode f = trees.get(rnd.nextInt(trees.size())).deepCopy();
                long mem = (4L + rnd.nextInt(60)) << 30;
                ((ObjectNode) f.with("memory")).put("totalBytes", mem).put("availableBytes", mem / 2);
                boolean failing = rnd.nextInt(50) == 0;
                if (failing) {
                    ObjectNode st = (ObjectNode) f.with("meta").with("sensors").with("memory");
                    ArrayNode problems = st.putArray("problems");
                    problems.addObject().put("source", "/proc/meminfo").put("error", "permission denied");
                }
                String host = String.format("vm-%05d", k);
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("enrollToken", enrollToken);
                body.put("hostname", host);
                body.put("agentVersion", "0.1.0");
                body.put("facts", f);
                JsonNode e = ok("POST", "/api/v1/enroll", null, body, 201);
                String id = e.get("agentId").asText();
                String cred = e.get("credential").asText();
                int pending = rnd.nextInt(10) < 3 ? 1 + rnd.nextInt(4) : 0;
                int drift = rnd.nextInt(20) == 0 ? 1 : 0;
                List<Map<String, Object>> entries = new ArrayList<>();
                for (int j = 0; j < 4; j++) {
                    Map<String, Object> entry = new LinkedHashMap<>();
                    entry.put("key", "sysctl:vm.setting" + j);
                    entry.put("action", j < pending ? "change" : "ok");
                    entry.put("current", "60");
                    entry.put("desired", j < pending ? "10" : "60");
                    entry.put("policy", "bench-" + j);
                    entry.put("source", "pack:bench.yaml:" + (j + 1));
                    entries.add(entry);
                }
                List<Map<String, Object>> reports = List.of(
                        report("p1", "plan", Map.of("entries", entries, "summary", Map.of("change", pending, "ok", 4 - pending))),
                        report("c1", "current-values", Map.of("sysctl:vm.swappiness", "60", "sysctl:net.core.somaxconn", "4096")),
                        report("s1", "status", Map.of("mode", rnd.nextInt(4) == 0 ? "apply" : "plan", "pendingChanges", pending,
                                "drift", drift, "rssBytes", 40_000_000 + rnd.nextInt(20_000_000), "cpuPercent", rnd.nextDouble())));
                ok("POST", "/api/v1/agents/" + id + "/reports", cred, Map.of("reports", reports), 200);
                return id;
            }));
        }
        List<String> out = new ArrayList<>();
        for (Future<String> f : ids) {
            out.add(f.get());
        }
        pool.shutdown();
        System.err.printf("console-bench: %d agents enrolled and reported in %.1f s (load %s)%n", n, (System.nanoTime() - start) / 1e9,
                loadavg());
        return out;
    }

    private static Map<String, Object> report(String id, String kind, Object payload) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", id);
        r.put("kind", kind);
        r.put("time", java.time.Instant.now().toString());
        r.put("payload", payload);
        return r;
    }

    /** One timed figure: milliseconds of {@code runs} sequential calls after warm-up, and the load average right after. */
    record Figure(String what, String request, int runs, double medianMs, double p90Ms, double maxMs, String loadAverage, String answer) {
    }

    interface Call {
        String run() throws Exception;
    }

    static Figure time(String what, String request, int warmup, int runs, Call c) throws Exception {
        String answer = null;
        for (int i = 0; i < warmup; i++) {
            answer = c.run();
        }
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long t = System.nanoTime();
            answer = c.run();
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        Figure f = new Figure(what, request, runs, round(ms[runs / 2]), round(ms[Math.min(runs - 1, (int) Math.ceil(runs * 0.9) - 1)]),
                round(ms[runs - 1]), loadavg(), answer);
        System.err.printf("console-bench: %-46s median %8.1f ms  p90 %8.1f ms  max %8.1f ms  (load %s)  %s%n", what, f.medianMs(), f.p90Ms(),
                f.maxMs(), f.loadAverage(), answer);
        return f;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** A GET timed; the answer summed up in a few words for the result file. */
    Figure get(String what, String path, int runs, java.util.function.Function<JsonNode, String> summary) throws Exception {
        return time(what, "GET " + path, 3, runs, () -> summary.apply(ok("GET", path, token, null, 200)));
    }

    List<Figure> api(List<String> ids, int runs) throws Exception {
        List<Figure> out = new ArrayList<>();
        out.add(get("fleet summary", "/api/v1/fleet/summary", runs, j -> j.get("agents").asText() + " agents, "
                + j.get("platforms").size() + " platform groups, " + j.get("withFailingSensors").asText() + " with failing sensors"));
        out.add(get("agent list, first page (50)", "/api/v1/agents?limit=50", runs, j -> j.get("items").size() + " of "
                + j.get("total").asText()));
        // a deep page: the 50 agents after the 9,950th id (the cursor the console's "Next page" sends)
        List<String> sorted = new ArrayList<>(ids);
        java.util.Collections.sort(sorted);
        String deep = sorted.get(Math.max(0, sorted.size() - 51));
        out.add(get("agent list, deep page (after the " + (sorted.size() - 50) + "th)", "/api/v1/agents?limit=50&after=" + deep, runs,
                j -> j.get("items").size() + " of " + j.get("total").asText()));
        String cel = "platform.hypervisor == \"vmware\" && memory.totalBytes > 34359738368";
        out.add(get("agent list, CEL filter, first page", "/api/v1/agents?limit=50&where=" + URLEncoder.encode(cel, StandardCharsets.UTF_8),
                runs, j -> j.get("items").size() + " of " + j.get("total").asText() + " match"));
        String labels = "labels[\"fleet\"] == \"bench\" && meta.sensors.memory.status == \"ok\"";
        out.add(get("agent list, CEL over labels and meta", "/api/v1/agents?limit=50&where=" + URLEncoder.encode(labels,
                StandardCharsets.UTF_8), runs, j -> j.get("items").size() + " of " + j.get("total").asText() + " match"));
        // one agent's page: the six calls it makes (agentPage in console.js), one after the other
        String id = sorted.get(sorted.size() / 2);
        List<String> calls = List.of("/api/v1/agents/" + id, "/api/v1/agents/" + id + "/facts", "/api/v1/agents/" + id + "/plan",
                "/api/v1/agents/" + id + "/changes?limit=50", "/api/v1/agents/" + id + "/events?limit=50",
                "/api/v1/agents/" + id + "/status-history?limit=200");
        out.add(time("agent page, its 6 API calls in sequence", "GET " + String.join(", ", calls), 3, runs, () -> {
            int bytes = 0;
            for (String c : calls) {
                HttpResponse<String> r = send("GET", c, token, null);
                if (r.statusCode() != 200) {
                    throw new IllegalStateException(c + ": " + r.statusCode() + " " + r.body());
                }
                bytes += r.body().length();
            }
            return bytes + " bytes";
        }));
        return out;
    }

    /** The fleet page in headless Chromium: from navigation to the counts, the chart and the first page of the list shown. */
    List<Figure> browser(int n, int runs) throws Exception {
        List<Figure> out = new ArrayList<>();
        try (Browser b = new Browser(server)) {
            b.signIn(token);
            b.await("signed in", d -> d.findElement(By.id("count-agents")).getText().startsWith(String.valueOf(n)) ? true : null);
            String expect = n + " agents match";
            out.add(time("fleet page in Chromium (counts, chart, first 50 rows)", "open /ui/#/fleet", 2, runs, () -> {
                b.open("/ui/#/events"); // another page first, so the fleet page is built afresh
                b.await("events page", Duration.ofSeconds(60), d -> d.findElement(By.id("feed-state")).isDisplayed() ? true : null);
                b.open("/ui/#/fleet");
                b.await("fleet page", Duration.ofSeconds(60), d -> d.findElement(By.id("agents-total")).getText().startsWith(expect)
                        && d.findElements(By.cssSelector("#platform-chart svg path")).size() >= 3
                        && d.findElements(By.cssSelector("#agents tbody tr")).size() == 50 ? true : null);
                return b.text("count-agents").split("\n")[0] + " agents; " + b.text("agents-total");
            }));
            b.screenshot("bench-fleet-" + n);
        }
        return out;
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            o.put(args[i], args[i + 1]);
        }
        ConsoleBench bench = new ConsoleBench(o.get("--server"), o.get("--token"));
        int n = Integer.parseInt(o.getOrDefault("--agents", "10000"));
        int runs = Integer.parseInt(o.getOrDefault("--runs", "20"));
        int browserRuns = Integer.parseInt(o.getOrDefault("--browser-runs", "5"));
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("agents", n);
        result.put("loadAverageBefore", loadavg());
        List<String> ids = bench.load(n, Path.of(o.getOrDefault("--templates", "bench/fleet/templates")),
                Long.parseLong(o.getOrDefault("--seed", "1")));
        result.put("loadAverageAfterLoading", loadavg());
        List<Figure> figures = new ArrayList<>(bench.api(ids, runs));
        if (browserRuns > 0) {
            figures.addAll(bench.browser(n, browserRuns));
        }
        result.put("figures", figures);
        Files.writeString(Path.of(o.get("--out")), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(result));
    }
}
