package dev.chameleon.sensors;

import java.util.Map;

/**
 * Reads one top-level part of the facts ({@code platform}, {@code cpu}, ...) from the machine.
 *
 * <p>A sensor reads only through {@link SensorContext#host()} (files under the root, commands
 * through the runner), returns a plain-value map, and records provenance for what it read. It
 * may throw; the {@link SensorSuite} turns a throw into {@code status: failed} under
 * {@code meta.sensors} without failing the other sensors.
 */
public interface Sensor {
    /** The top-level fact key this sensor fills, e.g. {@code cpu}. */
    String name();

    /**
     * Reads the facts.
     *
     * @return a map of plain values (see {@code FactSet}); an empty map means "nothing here"
     * @throws Exception any failure; it is reported, not propagated
     */
    Object sense(SensorContext ctx) throws Exception;

    /** How long this sensor may take; null means the suite's default. */
    default java.time.Duration timeout() {
        return null;
    }
}
