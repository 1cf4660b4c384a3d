package dev.chameleon.sensors;

import dev.chameleon.host.Host;
import dev.chameleon.model.FactSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs sensors and assembles their output into a {@link FactSet}.
 *
 * <p>Each sensor runs on its own daemon thread with a timeout; one failing or slow sensor never
 * fails the set. {@code meta.sensors.<name>} gets {@code {status: ok|failed|timeout|disabled, durationMs,
 * error?, problems?: [{source, error}], cachedValues?}}: {@code problems} lists sources that were
 * there but unusable (the facts they would give are absent), {@code cachedValues} counts
 * constants served from the {@link FactCache}. A sensor's timeout is its own
 * {@link Sensor#timeout()} or else the suite's; a sensor past it is {@code timeout} and its
 * thread is interrupted. {@code meta.root} and {@code meta.commands} say which machine was read.
 */
public final class SensorSuite {
    private final List<Sensor> sensors;
    private final Duration timeout;
    /** Sensors switched off, in report order: not run, reported as {@code status: disabled}. */
    private final List<String> disabled;

    public SensorSuite(List<Sensor> sensors, Duration timeout) {
        this(sensors, timeout, List.of());
    }

    private SensorSuite(List<Sensor> sensors, Duration timeout, List<String> disabled) {
        this.sensors = List.copyOf(sensors);
        this.timeout = timeout;
        this.disabled = List.copyOf(disabled);
    }

    /**
     * The suite with the named sensors switched off (node_exporter's {@code --no-collector.X}): they
     * do not run, their facts are absent, and {@code meta.sensors.NAME} says
     * {@code {status: disabled}}, so a policy reading them is told why (absent ≠ failed ≠ disabled).
     *
     * @throws IllegalArgumentException a name that is no sensor of the suite, naming the known ones
     */
    public SensorSuite without(java.util.Collection<String> off) {
        for (String n : off) {
            if (sensors.stream().noneMatch(s -> s.name().equals(n)) && !disabled.contains(n)) {
                throw new IllegalArgumentException("no sensor named '" + n + "'; known: " + names());
            }
        }
        List<String> all = names();
        List<String> nowOff = all.stream().filter(n -> off.contains(n) || disabled.contains(n)).toList();
        return new SensorSuite(sensors.stream().filter(s -> !nowOff.contains(s.name())).toList(), timeout, nowOff);
    }

    /** Every sensor's name, switched off or not, in report order. */
    public List<String> names() {
        List<String> out = new ArrayList<>();
        for (String n : Sensors.NAMES) {
            if (disabled.contains(n) || sensors.stream().anyMatch(s -> s.name().equals(n))) {
                out.add(n);
            }
        }
        sensors.stream().map(Sensor::name).filter(n -> !out.contains(n)).forEach(out::add);
        return out;
    }

    /** The sensors switched off, in report order. */
    public List<String> disabled() {
        return disabled;
    }

    /** The first-cut sensors, in report order. */
    public static SensorSuite standard() {
        return new SensorSuite(Sensors.all(), Duration.ofSeconds(20));
    }

    /** The standard suite with the cloud metadata probe configured by {@code metadata}. */
    public static SensorSuite standard(dev.chameleon.sensors.platform.MetadataProbe.Options metadata) {
        return new SensorSuite(Sensors.all(metadata), Duration.ofSeconds(20));
    }

    /**
     * A suite with only the named sensors (unknown names are an error naming the known ones; a
     * sensor switched off stays off and is reported {@code disabled}).
     */
    public SensorSuite only(List<String> names) {
        List<Sensor> chosen = new ArrayList<>();
        List<String> off = new ArrayList<>();
        for (String n : names) {
            if (disabled.contains(n)) {
                off.add(n);
                continue;
            }
            chosen.add(sensors.stream().filter(s -> s.name().equals(n)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("no sensor named '" + n + "'; known: " + names())));
        }
        return new SensorSuite(chosen, timeout, off);
    }

    public List<Sensor> sensors() {
        return sensors;
    }

    /** One collection with a fresh {@link FactCache}: everything is read. */
    public FactSet collect(Host host) {
        return collect(host, new FactCache());
    }

    /**
     * One collection that keeps constants in {@code cache} between calls (the daemon): constant
     * values come from the cache after the first collection, volatile ones are re-read.
     */
    public FactSet collect(Host host, FactCache cache) {
        SensorContext ctx = SensorContext.of(host, cache);
        List<SensorContext> views = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(4, sensors.size())), r -> {
            Thread t = new Thread(r, "sensor");
            t.setDaemon(true);
            return t;
        });
        Map<String, Object> tree = new LinkedHashMap<>();
        Map<String, Object> status = new LinkedHashMap<>();
        try {
            List<Future<Object>> futures = new ArrayList<>();
            List<long[]> timing = new ArrayList<>();
            for (Sensor s : sensors) {
                long[] t = new long[2];
                timing.add(t);
                SensorContext view = ctx.forSensor(s.name());
                views.add(view);
                futures.add(pool.submit(() -> {
                    t[0] = System.nanoTime();
                    try {
                        return s.sense(view);
                    } finally {
                        t[1] = System.nanoTime();
                    }
                }));
            }
            long start = System.nanoTime();
            for (int i = 0; i < sensors.size(); i++) {
                Sensor s = sensors.get(i);
                Duration limit = s.timeout() == null ? timeout : s.timeout();
                long deadline = start + limit.toNanos();
                Map<String, Object> st = new LinkedHashMap<>();
                try {
                    Object value = futures.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (value != null) {
                        tree.put(s.name(), value);
                    }
                    st.put("status", "ok");
                } catch (TimeoutException e) {
                    futures.get(i).cancel(true);
                    st.put("status", "timeout");
                    st.put("error", "no answer within " + limit.toMillis() + " ms");
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    st.put("status", "failed");
                    st.put("error", c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    st.put("status", "failed");
                    st.put("error", "interrupted");
                }
                long[] t = timing.get(i);
                st.put("durationMs", t[1] > t[0] ? (t[1] - t[0]) / 1_000_000.0 : 0.0);
                List<Map<String, Object>> problems = ctx.problemsOf(s.name());
                if (!problems.isEmpty()) {
                    st.put("problems", problems);
                }
                int hits = views.get(i).cacheHits();
                if (hits > 0) {
                    st.put("cachedValues", (long) hits);
                }
                status.put(s.name(), st);
            }
        } finally {
            pool.shutdownNow();
        }
        if (!disabled.isEmpty()) {
            // in report order, switched-off ones where they would have been
            Map<String, Object> ordered = new LinkedHashMap<>();
            for (String n : names()) {
                if (disabled.contains(n)) {
                    ordered.put(n, new LinkedHashMap<>(Map.of("status", "disabled")));
                } else if (status.containsKey(n)) {
                    ordered.put(n, status.get(n));
                }
            }
            status = ordered;
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("root", host.root().root().toString());
        meta.put("commands", host.commands().describe());
        meta.put("collectedAt", Instant.now().toString());
        meta.put("sensors", status);
        tree.put("meta", meta);
        return FactSet.of(tree, new TreeMap<>(ctx.provenance()));
    }
}
