package dev.chameleon.agent.loop;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.chameleon.host.SysRoot;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The agent's Prometheus endpoint: {@code GET /metrics} on a loopback address answers the text
 * exposition format ({@code text/plain; version=0.0.4}); any other path is 404, any other method
 * 405. Served by the JDK's {@link HttpServer} on one thread; the meters (Micrometer) read
 * {@link AgentMetrics} and this process's {@code /proc/self/status} at each scrape.
 *
 * <p>Metrics (names as scraped; docs/agent-loop.md lists them for operators):
 * {@code chameleon_passes_total{trigger}}, {@code chameleon_pass_duration_seconds} (count, sum),
 * {@code chameleon_last_pass_duration_seconds}, {@code chameleon_last_pass_timestamp_seconds},
 * {@code chameleon_settings_changed_total}, {@code _applied_total}, {@code _failed_total},
 * {@code _rolled_back_total}, {@code chameleon_pending_changes}, {@code chameleon_drift_events_total{kind}},
 * {@code chameleon_frozen_settings}, {@code chameleon_policies_loaded},
 * {@code chameleon_agent_resident_memory_bytes}, {@code chameleon_agent_resident_memory_peak_bytes},
 * {@code chameleon_agent_cpu_seconds_total}.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer http;
    private final PrometheusMeterRegistry registry;
    private final AgentMetrics metrics;
    private final Set<String> triggers = new HashSet<>();
    private final Set<String> kinds = new HashSet<>();

    private MetricsServer(HttpServer http, PrometheusMeterRegistry registry, AgentMetrics metrics) {
        this.http = http;
        this.registry = registry;
        this.metrics = metrics;
    }

    /**
     * Listens on {@code listen} (port 0: a free port, see {@link #address()}) and serves until closed.
     *
     * @param listen  a loopback address and port, as {@link MetricsListen#parse} returns
     * @param metrics the agent's counters
     * @param proc    where {@code /proc/self/status} is read (the live root: the agent's own process)
     * @throws IOException the address cannot be bound; a port in use is a {@link BindException}
     *                     whose message names the address
     */
    public static MetricsServer start(InetSocketAddress listen, AgentMetrics metrics, SysRoot proc) throws IOException {
        // The JDK server's idle-connection timer wakes every 10 s by default (about 1 ms of
        // interpreted CPU each time); once a minute is plenty for one local scraper. Read when the
        // server's classes load, so set before the first HttpServer; an operator's -D value wins.
        if (System.getProperty("sun.net.httpserver.clockTick") == null) {
            System.setProperty("sun.net.httpserver.clockTick", "60000");
        }
        HttpServer http;
        try {
            http = HttpServer.create(listen, 8);
        } catch (BindException e) {
            BindException b = new BindException("cannot listen on " + MetricsListen.format(listen) + ": " + e.getMessage()
                    + " (another agent or exporter holds the port? choose another with metrics.listen or --metrics)");
            b.initCause(e);
            throw b;
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MetricsServer s = new MetricsServer(http, registry, metrics);
        s.register(proc);
        http.createContext("/", s::handle);
        http.setExecutor(null); // the dispatcher thread answers: scrapes are rare and short
        http.start();
        return s;
    }

    /** The address served, with the port chosen when 0 was asked. */
    public InetSocketAddress address() {
        return http.getAddress();
    }

    /**
     * The exposition text, as {@code GET /metrics} answers it: rendered at the first scrape after
     * each pass and served from memory until the next pass. Every counter and gauge moves only
     * during a pass, so a Prometheus server scraping every 15 s against the 60 s interval gets the
     * same numbers four times; rendering them in the interpreted JVM is what a scrape costs
     * (about 9 ms of CPU), so it is done once. The agent's own memory and CPU figures are those
     * read at that first scrape.
     */
    public synchronized String scrape() {
        long generation = metrics.passCount();
        if (rendered == null || generation != renderedAt) {
            syncLabels();
            rendered = registry.scrape(PrometheusTextFormatWriter.CONTENT_TYPE);
            renderedAt = generation;
        }
        return rendered;
    }

    private String rendered;
    private long renderedAt = -1;

    private void register(SysRoot proc) {
        FunctionTimer.builder("chameleon.pass.duration", metrics, AgentMetrics::passCount, AgentMetrics::passNanos,
                TimeUnit.NANOSECONDS).description("Passes (sense, evaluate, plan, apply, verify, report) and their total time")
                .register(registry);
        gauge("chameleon.last.pass.duration", "seconds", "Duration of the last pass", m -> m.lastPassNanos() / 1e9);
        gauge("chameleon.last.pass.timestamp", "seconds", "End of the last pass, Unix time; 0 before the first",
                m -> m.lastPassEpochMillis() / 1e3);
        counter("chameleon.settings.changed", "Settings the agent wrote (entries of its change sets, any outcome)",
                AgentMetrics::settingsChanged);
        counter("chameleon.settings.applied", "Settings written and verified in an applied change set", AgentMetrics::settingsApplied);
        counter("chameleon.settings.failed", "Settings whose write, verify or undo failed", AgentMetrics::settingsFailed);
        counter("chameleon.settings.rolled.back", "Settings undone because their change set failed", AgentMetrics::settingsRolledBack);
        gauge("chameleon.pending.changes", null, "Changes the last pass found pending", AgentMetrics::pending);
        gauge("chameleon.frozen.settings", null, "Settings frozen by anti-flap, left alone until restart", AgentMetrics::frozen);
        gauge("chameleon.policies.loaded", null, "Policies compiled and in use", AgentMetrics::policies);
        // meters hold their object weakly: the process root is held strongly here
        Gauge.builder("chameleon.agent.resident.memory", proc, p -> kib(p, "VmRSS")).baseUnit("bytes").strongReference(true)
                .description("Resident memory of the agent process (/proc/self/status VmRSS)").register(registry);
        Gauge.builder("chameleon.agent.resident.memory.peak", proc, p -> kib(p, "VmHWM")).baseUnit("bytes").strongReference(true)
                .description("Peak resident memory of the agent process (/proc/self/status VmHWM)").register(registry);
        FunctionCounter.builder("chameleon.agent.cpu", this, s -> {
                    long ms = Cost.cpuMillis();
                    return ms < 0 ? Double.NaN : ms / 1e3;
                }).baseUnit("seconds").description("User and system CPU time of the agent process")
                .register(registry);
        syncLabels();
    }

    private static double kib(SysRoot proc, String field) {
        return Cost.selfStatusKiB(proc, field).map(v -> v * 1024.0).orElse(Double.NaN);
    }

    private void gauge(String name, String unit, String help, ToDoubleFunction<AgentMetrics> f) {
        Gauge.Builder<AgentMetrics> b = Gauge.builder(name, metrics, f).description(help).strongReference(true);
        if (unit != null) {
            b.baseUnit(unit);
        }
        b.register(registry);
    }

    private void counter(String name, String help, ToDoubleFunction<AgentMetrics> f) {
        FunctionCounter.builder(name, metrics, f).description(help).register(registry);
    }

    /** Labels appear as the agent meets them (a trigger, a setting kind): registered before each scrape. */
    private synchronized void syncLabels() {
        for (String t : metrics.passes().keySet()) {
            if (triggers.add(t)) {
                FunctionCounter.builder("chameleon.passes", metrics, m -> m.passes().getOrDefault(t, 0L))
                        .tag("trigger", t).description("Passes by what triggered them").register(registry);
            }
        }
        for (String k : metrics.drift().keySet()) {
            if (kinds.add(k)) {
                FunctionCounter.builder("chameleon.drift.events", metrics, m -> m.drift().getOrDefault(k, 0L))
                        .tag("kind", k).description("Managed settings found changed by someone else (external-change), by setting kind")
                        .register(registry);
            }
        }
    }

    private void handle(HttpExchange x) throws IOException {
        try (x) {
            String path = x.getRequestURI().getPath();
            boolean head = x.getRequestMethod().equals("HEAD");
            if (!path.equals("/metrics")) {
                reply(x, 404, "text/plain; charset=utf-8", "not found; metrics are at /metrics\n", !head);
            } else if (!head && !x.getRequestMethod().equals("GET")) {
                x.getResponseHeaders().set("Allow", "GET, HEAD");
                reply(x, 405, "text/plain; charset=utf-8", "GET or HEAD\n", true);
            } else {
                reply(x, 200, PrometheusTextFormatWriter.CONTENT_TYPE, scrape(), !head);
            }
        }
    }

    private static void reply(HttpExchange x, int code, String type, String body, boolean withBody) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(code, withBody ? b.length : -1);
        if (withBody) {
            try (OutputStream o = x.getResponseBody()) {
                o.write(b);
            }
        }
    }

    /** Stops listening (at once: a scrape in flight is cut) and drops the meters. */
    @Override
    public void close() {
        http.stop(0);
        registry.close();
    }
}
