package dev.chameleon.sensors;

import dev.chameleon.host.Host;
import dev.chameleon.host.HostFile;
import dev.chameleon.host.SysRoot;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * What a sensor gets: the host to read, a place to note where each value came from, a place to
 * note sources that were there but could not be used ("problems", reported under
 * {@code meta.sensors.<name>.problems}), and the {@link FactCache} for constants.
 *
 * <p>The read helpers keep absent, failed and unknown apart: an absent file gives an empty
 * result and no note; a file that exists but cannot be read (permission denied, a directory, a
 * symlink loop, an I/O error) or holds garbage where a number belongs gives an empty result and
 * a problem with the reason.
 */
public final class SensorContext {
    private final Host host;
    private final FactCache cache;
    private final String sensor;
    private final Map<String, String> provenance;
    private final Map<String, List<Map<String, Object>>> problems;
    private final AtomicInteger cacheHits = new AtomicInteger();

    /** A context for one collection with a fresh cache (tests, one-shot use). */
    public SensorContext(Host host) {
        this(host, new FactCache(), "", new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
    }

    private SensorContext(Host host, FactCache cache, String sensor, Map<String, String> provenance,
                          Map<String, List<Map<String, Object>>> problems) {
        this.host = host;
        this.cache = cache;
        this.sensor = sensor;
        this.provenance = provenance;
        this.problems = problems;
    }

    /** A context for one collection that keeps constants in {@code cache}. */
    static SensorContext of(Host host, FactCache cache) {
        return new SensorContext(host, cache, "", new ConcurrentHashMap<>(), new ConcurrentHashMap<>());
    }

    /** The same collection seen by one sensor: problems and cache keys are filed under its name. */
    SensorContext forSensor(String name) {
        return new SensorContext(host, cache, name, provenance, problems);
    }

    public Host host() {
        return host;
    }

    public SysRoot root() {
        return host.root();
    }

    /** Records that the fact at {@code path} (dotted, e.g. {@code cpu.vendor}) came from {@code source}. */
    public void provenance(String path, String source) {
        provenance.put(path, source);
    }

    /** Notes that {@code source} was there but could not be used, and why. */
    public void problem(String source, String error) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("source", source);
        p.put("error", error);
        problems.computeIfAbsent(sensor, k -> Collections.synchronizedList(new ArrayList<>())).add(p);
    }

    /**
     * A value that does not change while the machine runs, read once per {@link FactCache}
     * (key is filed under this sensor's name).
     */
    public <T> T constant(String key, Supplier<T> read) {
        return cache.get(sensor + "." + key, read, cacheHits::incrementAndGet);
    }

    /** The text of a file; empty when absent (no note) or unreadable (a problem is noted). */
    public Optional<String> text(String path) {
        HostFile f = host.root().read(path);
        if (f.isPresent()) {
            return Optional.of(f.text());
        }
        if (f.status() == HostFile.Status.UNREADABLE) {
            problem(path, f.error());
        }
        return Optional.empty();
    }

    /** The trimmed text of a file, as sysfs values are read; see {@link #text(String)}. */
    public Optional<String> value(String path) {
        return text(path).map(t -> t.replace('\0', ' ').strip());
    }

    /** A decimal number in a file; a present non-number is a problem ("not a number"). */
    public Optional<Long> longValue(String path) {
        Optional<String> v = value(path);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        Optional<Long> n = Sensors.parseLong(v.get());
        if (n.isEmpty()) {
            problem(path, "not a number: " + abbreviate(v.get()));
        }
        return n;
    }

    static String abbreviate(String s) {
        String one = s.replaceAll("[\\p{Cntrl}\\uFFFD]", "?");
        return one.length() > 40 ? one.substring(0, 40) + "…" : one;
    }

    Map<String, String> provenance() {
        return provenance;
    }

    List<Map<String, Object>> problemsOf(String name) {
        List<Map<String, Object>> l = problems.get(name);
        if (l == null) {
            return List.of();
        }
        synchronized (l) {
            return List.copyOf(l);
        }
    }

    int cacheHits() {
        return cacheHits.get();
    }
}
