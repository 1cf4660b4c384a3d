package dev.chameleon.sensors;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Values that do not change while the machine runs (CPU model and flags, OS release, kernel
 * release and command line, DMI strings), kept between collections of a long-running agent.
 *
 * <p>A sensor asks for a constant with {@link SensorContext#constant(String, Supplier)}; the
 * first call reads, later calls within the same cache return the kept value. Volatile values
 * (available memory, link state, running applications) are never put here and are re-read on
 * every collection. Only present values are kept: an absent or failed read is tried again next
 * time. A one-shot command uses a fresh cache per run; the daemon keeps one and calls
 * {@link #invalidate()} on events that may change "constants" (CPU hotplug, a microcode reload,
 * a kernel or OS update after reboot is a new process anyway). Thread-safe.
 */
public final class FactCache {
    private final Map<String, Object> values = new ConcurrentHashMap<>();
    /** Sensors' memory between collections (samples of counters), not constants: {@link #invalidate()} keeps it. */
    private final Map<String, Object> memory;

    public FactCache() {
        this(new ConcurrentHashMap<>());
    }

    private FactCache(Map<String, Object> memory) {
        this.memory = memory;
    }

    /**
     * A cache with no constants that shares this one's memory: a collection through it reads
     * everything again (a client's {@code --refresh}, {@code facts SENSOR}) and still takes its
     * deltas against the daemon's samples (and adds its own).
     */
    public FactCache sharingMemory() {
        return new FactCache(memory);
    }

    /**
     * The kept value for {@code key}, else the value {@code read} gives, kept when it is neither
     * null nor an empty map/list/string.
     */
    @SuppressWarnings("unchecked")
    <T> T get(String key, Supplier<T> read, Runnable onHit) {
        Object v = values.get(key);
        if (v != null) {
            onHit.run();
            return (T) v;
        }
        T fresh = read.get();
        if (fresh != null && !isEmpty(fresh)) {
            values.put(key, fresh);
        }
        return fresh;
    }

    /**
     * The object a sensor keeps between collections under {@code key} (e.g. the {@link HostHistory}
     * of counter samples), made by {@code create} the first time. Unlike constants it is not dropped
     * by {@link #invalidate()}: a hotplug does not make earlier samples of CPU time wrong.
     */
    @SuppressWarnings("unchecked")
    <T> T memory(String key, Supplier<T> create) {
        return (T) memory.computeIfAbsent(key, k -> create.get());
    }

    private static boolean isEmpty(Object v) {
        return v instanceof Map<?, ?> m && m.isEmpty() || v instanceof java.util.Collection<?> c && c.isEmpty()
                || v instanceof String s && s.isEmpty() || v instanceof java.util.Optional<?> o && o.isEmpty();
    }

    /** Drops every kept value; the next collection reads everything again. */
    public void invalidate() {
        values.clear();
    }

    /** Drops the kept values of one sensor ({@code cpu}), e.g. after a CPU hotplug event. */
    public void invalidate(String sensor) {
        values.keySet().removeIf(k -> k.startsWith(sensor + "."));
    }

    /** How many values are kept. */
    public int size() {
        return values.size();
    }
}
