package dev.chameleon.server.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chameleon.wire.BundleKey;
import dev.chameleon.wire.BundleVerifier;
import dev.chameleon.wire.Wire;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * N simulated agents in one process against a control plane (Fleet's cmd/osquery-perf model):
 * enrolled with start-ups spread over a period (credentials saved to a file, so a rerun reuses
 * them), each sending a report batch every interval (status every time; facts when they change,
 * a plan, change sets and events now and then, all from a seeded random), each long-polling its
 * bundle with its ETag and verifying every bundle it gets against the pinned key. Report
 * latency (request sent to answer read) goes into an HdrHistogram; stats every 10 s; a JSON
 * summary at the end.
 *
 * <p>Run by {@code bench/server-load.sh}; {@code LoadGeneratorTest} runs a small, bounded one.
 * Only loopback servers are targets.
 */
public final class LoadGenerator {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Options. {@code servers}: replicas; agents are split between them round-robin. */
    public record Options(List<String> servers, String adminToken, int agents, Duration interval, Duration duration,
                          Duration startup, Duration longPoll, long seed, Path keys, Path templates, double retryShare,
                          Path out, boolean quiet, Duration warmup) {
        /** Options with a warm-up of one interval. */
        public Options(List<String> servers, String adminToken, int agents, Duration interval, Duration duration,
                       Duration startup, Duration longPoll, long seed, Path keys, Path templates, double retryShare,
                       Path out, boolean quiet) {
            this(servers, adminToken, agents, interval, duration, startup, longPoll, seed, keys, templates, retryShare, out, quiet,
                    interval);
        }
    }

    /**
     * Totals of a run. Rates and latencies are of the measured period (after enrollment and one
     * interval); {@code reportsAccepted} and {@code reportDuplicates} count from the start.
     *
     * @param batchesPerSecond report requests (one batch per agent per interval) answered per second
     * @param reportsPerSecond reports (a batch holds one to five) sent per second
     * @param p50Ms            report request latency, sent to answer read, milliseconds
     */
    public record Result(int agents, long reportsSent, long reportsAccepted, long reportDuplicates, long reportErrors,
                         long batchesRetried, double batchesPerSecond, double reportsPerSecond, double p50Ms, double p99Ms, double maxMs,
                         long bundles200, long bundles304, long bundleErrors, long bundleRefused, double measuredSeconds) {
    }

    private final Options o;
    private final List<HttpClient> clients = new ArrayList<>();
    private final List<ObjectNode> templates = new ArrayList<>();
    private final Recorder latency = new Recorder(3);
    private final Histogram total = new Histogram(3);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong b200 = new AtomicLong();
    private final AtomicLong b304 = new AtomicLong();
    private final AtomicLong bErr = new AtomicLong();
    private final AtomicLong bRefused = new AtomicLong();
    private final ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
    private volatile boolean measuring;
    private volatile boolean stopping;

    public LoadGenerator(Options o) throws IOException {
        this.o = o;
        for (int i = 0; i < o.servers().size(); i++) {
            clients.add(HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                    .executor(Executors.newFixedThreadPool(2, r -> {
                        Thread t = new Thread(r, "loadgen-http");
                        t.setDaemon(true);
                        return t;
                    })).build());
        }
        try (var s = Files.list(o.templates())) {
            for (Path p : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                templates.add((ObjectNode) JSON.readTree(p.toFile()));
            }
        }
        if (templates.isEmpty()) {
            throw new IllegalArgumentException("no *.json fact templates in " + o.templates());
        }
    }

    /** One simulated agent. */
    final class Agent {
        final int n;
        final Random rnd;
        final HttpClient http;
        final String server;
        String id;
        String credential;
        BundleVerifier verifier;
        String etag;
        long bundleVersion;
        long seq;
        ObjectNode facts;
        long memory;
        int backoff = 1;

        /** This agent's facts now: its template with its own memory figures. */
        ObjectNode facts(long available) {
            ObjectNode f = facts.deepCopy();
            ((ObjectNode) f.with("memory")).put("totalBytes", memory).put("availableBytes", available);
            return f;
        }

        Agent(int n) {
            this.n = n;
            this.rnd = new Random(o.seed() * 1_000_003L + n);
            this.http = clients.get(n % clients.size());
            this.server = o.servers().get(n % o.servers().size());
            // agents share their platform's template tree; a changed facts report sends a patched copy
            this.facts = templates.get(rnd.nextInt(templates.size()));
            this.memory = (4L + rnd.nextInt(60)) << 30;
        }
    }

    private static String sha(String s) {
        return dev.chameleon.wire.BundleSigner.sha256(s.getBytes(StandardCharsets.UTF_8)).substring(0, 12);
    }

    /** Runs the whole load; the totals of the measured period. */
    public Result run() throws Exception {
        List<Agent> agents = new ArrayList<>();
        for (int i = 0; i < o.agents(); i++) {
            agents.add(new Agent(i));
        }
        enrollAll(agents);
        ScheduledExecutorService timer = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "loadgen-timer");
            t.setDaemon(true);
            return t;
        });
        long intervalMs = o.interval().toMillis();
        for (Agent a : agents) {
            long phase = (long) (a.rnd.nextDouble() * intervalMs);
            timer.scheduleAtFixedRate(() -> report(a), phase, intervalMs, TimeUnit.MILLISECONDS);
            poll(a);
        }
        // warm-up (at least one interval): every agent has reported once, and the enrollment wave
        // has drained, before measuring
        Thread.sleep(Math.max(intervalMs, o.warmup().toMillis()));
        latency.getIntervalHistogram();
        long start = System.nanoTime();
        long sent0 = sent.get();
        measuring = true;
        long end = start + o.duration().toNanos();
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(10_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            Histogram h = latency.getIntervalHistogram();
            total.add(h);
            if (!o.quiet()) {
                System.err.printf("loadgen: %6.1f s  reports %d (+%d) p50 %.1f ms p99 %.1f ms max %.1f ms  errors %d  bundles 200:%d 304:%d err:%d%n",
                        (System.nanoTime() - start) / 1e9, sent.get(), h.getTotalCount(), h.getValueAtPercentile(50) / 1000.0,
                        h.getValueAtPercentile(99) / 1000.0, h.getMaxValue() / 1000.0, errors.get(), b200.get(), b304.get(), bErr.get());
            }
        }
        measuring = false;
        stopping = true;
        double secs = (System.nanoTime() - start) / 1e9;
        timer.shutdownNow();
        // every report sent gets its answer counted (at most a minute)
        for (int i = 0; i < 600 && inFlight.get() > 0; i++) {
            Thread.sleep(100);
        }
        total.add(latency.getIntervalHistogram());
        Result r = new Result(o.agents(), sent.get() - sent0, accepted.get(), duplicates.get(), errors.get(), retried.get(),
                total.getTotalCount() / secs, (sent.get() - sent0) / secs, total.getValueAtPercentile(50) / 1000.0, total.getValueAtPercentile(99) / 1000.0,
                total.getMaxValue() / 1000.0, b200.get(), b304.get(), bErr.get(), bRefused.get(), secs);
        if (o.out() != null) {
            Files.writeString(o.out(), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r));
        }
        if (!problems.isEmpty() && !o.quiet()) {
            System.err.println("loadgen: first problems: " + problems.stream().limit(5).toList());
        }
        return r;
    }

    /** Totals since the start (tests compare them with the server's counts). */
    public long acceptedSoFar() {
        return accepted.get();
    }

    public List<String> problems() {
        return List.copyOf(problems);
    }

    private void enrollAll(List<Agent> agents) throws Exception {
        Map<Integer, JsonNode> saved = new LinkedHashMap<>();
        if (o.keys() != null && Files.exists(o.keys())) {
            JsonNode k = JSON.readTree(o.keys().toFile());
            k.fields().forEachRemaining(e -> saved.put(Integer.parseInt(e.getKey()), e.getValue()));
        }
        String enroll = null;
        if (saved.size() < agents.size()) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(o.servers().get(0) + "/api/v1/enroll-tokens"))
                    .header("Authorization", "Bearer " + o.adminToken()).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("name", "load generator",
                            "maxUses", agents.size(), "ttlSeconds", 86400, "labels", Map.of("fleet", "load")))))
                    .timeout(Duration.ofSeconds(30)).build();
            HttpResponse<String> r = clients.get(0).send(req, HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 201) {
                throw new IllegalStateException("cannot create an enrollment token: " + r.statusCode() + " " + r.body());
            }
            enroll = JSON.readTree(r.body()).get("token").asText();
        }
        Semaphore enrolling = new Semaphore(64);
        CountDownLatch done = new CountDownLatch(agents.size());
        ScheduledExecutorService spread = Executors.newSingleThreadScheduledExecutor();
        String token = enroll;
        for (Agent a : agents) {
            JsonNode s = saved.get(a.n);
            if (s != null) {
                a.id = s.get("agentId").asText();
                a.credential = s.get("credential").asText();
                a.verifier = new BundleVerifier(new BundleKey(s.at("/bundleKey/keyId").asText(), s.at("/bundleKey/algorithm").asText(),
                        s.at("/bundleKey/publicKey").asText()), a.id);
                done.countDown();
                continue;
            }
            long at = (long) (a.rnd.nextDouble() * o.startup().toMillis());
            spread.schedule(() -> {
                try {
                    enrolling.acquire();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("enrollToken", token);
                body.put("hostname", "load-" + a.n + "-" + sha(o.seed() + ":" + a.n));
                body.put("agentVersion", "0.1.0");
                body.put("facts", a.facts(a.memory / 2));
                a.http.sendAsync(HttpRequest.newBuilder(URI.create(a.server + "/api/v1/enroll")).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(write(body))).timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
                            enrolling.release();
                            try {
                                if (e != null || r.statusCode() != 201) {
                                    throw new IllegalStateException("enroll " + a.n + ": " + (e != null ? e : r.statusCode() + " " + r.body()));
                                }
                                var resp = Wire.readEnrollResponse(r.body());
                                a.id = resp.agentId();
                                a.credential = resp.credential();
                                a.verifier = new BundleVerifier(resp.bundleKey(), a.id);
                                synchronized (saved) {
                                    saved.put(a.n, JSON.readTree(r.body()));
                                }
                            } catch (Exception x) {
                                problems.add(x.getMessage());
                            } finally {
                                done.countDown();
                            }
                        });
            }, at, TimeUnit.MILLISECONDS);
        }
        if (!done.await(o.startup().toSeconds() + 300, TimeUnit.SECONDS)) {
            throw new IllegalStateException("enrollment did not finish");
        }
        spread.shutdown();
        long missing = agents.stream().filter(a -> a.id == null).count();
        if (missing > 0) {
            throw new IllegalStateException(missing + " agents did not enroll: " + problems.stream().limit(3).toList());
        }
        if (o.keys() != null) {
            Map<String, JsonNode> out = new LinkedHashMap<>();
            saved.forEach((k, v) -> out.put(String.valueOf(k), v));
            Files.writeString(o.keys(), JSON.writeValueAsString(out));
        }
    }

    private static String write(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, Object> one(Agent a, String kind, Object payload) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("id", "r-" + a.n + "-" + (++a.seq));
        r.put("kind", kind);
        r.put("time", Instant.now().toString());
        r.put("payload", payload);
        return r;
    }

    private void report(Agent a) {
        if (stopping) {
            return;
        }
        List<Map<String, Object>> batch = new ArrayList<>();
        synchronized (a) {
            if (a.rnd.nextInt(30) == 0) {
                batch.add(one(a, "facts", a.facts((long) a.rnd.nextInt(1 << 30))));
            }
            if (a.seq % 10 == 0) {
                batch.add(one(a, "plan", Map.of("entries", List.of(), "summary", Map.of("change", a.rnd.nextInt(4)))));
            }
            if (a.rnd.nextInt(100) == 0) {
                batch.add(one(a, "event", Map.of("type", "drift", "summary", "sysctl:vm.swappiness changed outside chameleon")));
            }
            if (a.rnd.nextInt(200) == 0) {
                batch.add(one(a, "change-set", Map.of("id", "cs-" + a.seq, "status", "applied",
                        "entries", List.of(Map.of("key", "sysctl:vm.swappiness", "before", "60", "after", "10")))));
            }
            batch.add(one(a, "status", Map.of("mode", "plan", "pendingChanges", a.rnd.nextInt(4), "drift", a.rnd.nextInt(2),
                    "bundleVersion", a.bundleVersion, "rssBytes", 50_000_000 + a.rnd.nextInt(10_000_000), "cpuPercent", 0.05)));
        }
        boolean retry = a.rnd.nextDouble() < o.retryShare();
        send(a, write(Map.of("reports", batch)), batch.size(), retry);
    }

    private void send(Agent a, String body, int count, boolean retryAfter) {
        long t0 = System.nanoTime();
        sent.addAndGet(count);
        inFlight.incrementAndGet();
        a.http.sendAsync(HttpRequest.newBuilder(URI.create(a.server + "/api/v1/agents/" + a.id + "/reports"))
                        .header("Authorization", "Bearer " + a.credential).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
                    try {
                        long us = (System.nanoTime() - t0) / 1000;
                        latency.recordValue(Math.max(1, us));
                        if (e != null || r.statusCode() != 200) {
                            errors.addAndGet(count);
                            problems.add("report " + a.n + ": " + (e != null ? e.toString() : r.statusCode() + " " + r.body()));
                            return;
                        }
                        try {
                            JsonNode j = JSON.readTree(r.body());
                            accepted.addAndGet(j.get("accepted").size());
                            duplicates.addAndGet(j.get("duplicates").size());
                        } catch (IOException x) {
                            problems.add(x.toString());
                        }
                        if (retryAfter && !stopping) {
                            // an outbox that did not see the answer sends the same batch again
                            retried.incrementAndGet();
                            send(a, body, count, false);
                        }
                    } finally {
                        inFlight.decrementAndGet();
                    }
                });
    }

    private void poll(Agent a) {
        if (stopping) {
            return;
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(a.server + "/api/v1/agents/" + a.id + "/bundle?wait="
                + o.longPoll().toSeconds())).header("Authorization", "Bearer " + a.credential)
                .timeout(o.longPoll().plusSeconds(30)).GET();
        if (a.etag != null) {
            b.header("If-None-Match", a.etag);
        }
        a.http.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
            if (e != null || (r.statusCode() != 200 && r.statusCode() != 304)) {
                bErr.incrementAndGet();
                if (!stopping) {
                    problems.add("bundle " + a.n + ": " + (e != null ? e.toString() : r.statusCode() + " " + r.body()));
                }
                a.backoff = Math.min(60, a.backoff * 2);
                CompletableFuture.delayedExecutor(a.backoff + a.rnd.nextInt(a.backoff + 1), TimeUnit.SECONDS).execute(() -> poll(a));
                return;
            }
            a.backoff = 1;
            if (r.statusCode() == 304) {
                b304.incrementAndGet();
            } else {
                try {
                    BundleVerifier.Verified v = a.verifier.verify(Wire.readBundle(r.body()), a.bundleVersion);
                    a.bundleVersion = v.version();
                    a.etag = r.headers().firstValue("ETag").orElse(null);
                    b200.incrementAndGet();
                } catch (Exception x) {
                    bRefused.incrementAndGet();
                    problems.add("bundle refused " + a.n + ": " + x.getMessage());
                }
            }
            poll(a);
        });
    }

    /** {@code --server URL [--server URL2] --token T --agents N --interval S --duration S ...}. */
    public static void main(String[] args) throws Exception {
        List<String> servers = new ArrayList<>();
        String token = null;
        int agents = 100;
        long interval = 60;
        long duration = 120;
        long startup = 60;
        long longPoll = 60;
        long seed = 1;
        Path keys = null;
        Path templates = Path.of("bench/fleet/templates");
        double retry = 0.01;
        long warmup = -1;
        Path out = null;
        for (int i = 0; i < args.length; i += 2) {
            String v = args[i + 1];
            switch (args[i]) {
                case "--server" -> servers.add(v);
                case "--token" -> token = v;
                case "--agents" -> agents = Integer.parseInt(v);
                case "--interval" -> interval = Long.parseLong(v);
                case "--duration" -> duration = Long.parseLong(v);
                case "--startup" -> startup = Long.parseLong(v);
                case "--long-poll" -> longPoll = Long.parseLong(v);
                case "--seed" -> seed = Long.parseLong(v);
                case "--keys" -> keys = Path.of(v);
                case "--templates" -> templates = Path.of(v);
                case "--retry-share" -> retry = Double.parseDouble(v);
                case "--out" -> out = Path.of(v);
                case "--warmup" -> warmup = Long.parseLong(v);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        for (String s : servers) {
            String host = URI.create(s).getHost();
            if (!java.net.InetAddress.getByName(host).isLoopbackAddress()) {
                throw new IllegalArgumentException("the load generator only targets loopback servers, not " + s);
            }
        }
        Result r = new LoadGenerator(new Options(servers, token, agents, Duration.ofSeconds(interval), Duration.ofSeconds(duration),
                Duration.ofSeconds(startup), Duration.ofSeconds(longPoll), seed, keys, templates, retry, out, false,
                Duration.ofSeconds(warmup < 0 ? interval : warmup))).run();
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(r));
        System.exit(0);
    }
}
