package dev.chameleon.sensors;

import dev.chameleon.host.Host;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** What a sensor gets: the host to read and a place to note where each value came from. */
public final class SensorContext {
    private final Host host;
    private final Map<String, String> provenance = new ConcurrentHashMap<>();

    public SensorContext(Host host) {
        this.host = host;
    }

    public Host host() {
        return host;
    }

    /** Records that the fact at {@code path} (dotted, e.g. {@code cpu.vendor}) came from {@code source}. */
    public void provenance(String path, String source) {
        provenance.put(path, source);
    }

    Map<String, String> provenance() {
        return provenance;
    }
}
