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
 * <p>Each sensor runs on its own daemon thread, all started together, with a deadline; one
 * failing or slow sensor never fails the set. {@code meta.sensors.<name>} gets
 * {@code {status: ok|failed|timeout|disabled, durationMs, partial?, error?, problems?: [{source, error}],
 * cachedValues?}}: {@code durationMs} is the wall time from the start of the collection (when
 * every sensor starts) to the sensor's answer, or to its deadline when it had none; {@code problems} lists sources that were there but unusable
 * (the facts they would give are absent; a command that timed out or was not started for lack
 * of time is one); {@code cachedValues} counts constants served from the {@link FactCache}. A
 * sensor's timeout is its own {@link Sensor#timeout()} or else the suite's; the sensor sees its
 * deadline through {@link SensorContext#remaining()} and runs commands within it
 * ({@link SensorContext#run}). A sensor past its deadline is {@code timeout} and its thread is
 * interrupted (a command it runs is killed with its process group); the facts it settled before
 * ({@link SensorContext#settle}) are kept, with {@code partial: true}. {@code meta.root} and
 * {@code meta.commands} say which machine was read.
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

    /** A sensor's time: its own {@link Sensor#timeout()}, else the suite's. */
    private Duration limit(Sensor s) {
        return s.timeout() == null ? timeout : s.timeout();
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
        // one thread per sensor: every sensor starts now, so its deadline is its own timeout from now
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, sensors.size()), r -> {
            Thread t = new Thread(r, "sensor");
            t.setDaemon(true);
            return t;
        });
        Map<String, Object> tree = new LinkedHashMap<>();
        Map<String, Object> status = new LinkedHashMap<>();
        long start = System.nanoTime();
        try {
            List<Future<Object>> futures = new ArrayList<>();
            long[] ended = new long[sensors.size()];
            for (int i = 0; i < sensors.size(); i++) {
                Sensor s = sensors.get(i);
                int at = i;
                SensorContext view = ctx.forSensor(s.name(), start, limit(s));
                views.add(view);
                futures.add(pool.submit(() -> {
                    try {
                        return s.sense(view);
                    } finally {
                        ended[at] = System.nanoTime(); // seen by the waiting thread through the future
                    }
                }));
            }
            for (int i = 0; i < sensors.size(); i++) {
                Sensor s = sensors.get(i);
                Duration limit = limit(s);
                long deadline = start + limit.toNanos();
                Map<String, Object> st = new LinkedHashMap<>();
                long end;
                try {
                    Object value = futures.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                    if (value != null) {
                        tree.put(s.name(), value);
                    }
                    st.put("status", "ok");
                    end = ended[i];
                } catch (TimeoutException e) {
                    end = System.nanoTime();
                    futures.get(i).cancel(true); // interrupts the sensor: its running command is killed with its group
                    st.put("status", "timeout");
                    Object partial = views.get(i).settled();
                    if (partial != null) {
                        tree.put(s.name(), partial);
                        st.put("partial", true);
                        st.put("error", "no full answer within " + limit.toMillis() + " ms; the facts settled before then are kept");
                    } else {
                        st.put("error", "no answer within " + limit.toMillis() + " ms");
                    }
                } catch (ExecutionException e) {
                    end = ended[i];
                    Throwable c = e.getCause();
                    st.put("status", "failed");
                    st.put("error", c.getClass().getSimpleName() + (c.getMessage() == null ? "" : ": " + c.getMessage()));
                } catch (InterruptedException e) {
                    end = System.nanoTime();
                    Thread.currentThread().interrupt();
                    st.put("status", "failed");
                    st.put("error", "interrupted");
                }
                // wall time from the start of the collection (every sensor starts then, and its
                // deadline counts from then) to its answer, or to the moment it was given up on
                st.put("durationMs", end > start ? (end - start) / 1_000_000.0 : 0.0);
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
