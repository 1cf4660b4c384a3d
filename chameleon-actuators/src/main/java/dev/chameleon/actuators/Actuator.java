package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.model.SettingKey;

/**
 * One kind of setting ({@code sysctl}, {@code kernelModule}, {@code blockQueue}): read current →
 * plan → apply → verify → undo, through a {@link Host} only.
 *
 * <p>Planning and applying call the same {@link #read} and {@link #normalize}, so a dry run cannot
 * disagree with a real run. {@link #write} is used both to apply a desired value and to undo to a
 * recorded previous value.
 */
public interface Actuator {
    /** The setting kind this actuator owns, as in {@link SettingKey#kind()}. */
    String kind();

    /** Reads the current value, or why the setting does not exist here. Never throws. */
    Current read(Host host, SettingKey key);

    /** The value in the form {@link #read} reports, for comparing ({@code " 10\n"} → {@code 10}). */
    default String normalize(SettingKey key, String value) {
        return value.strip().replaceAll("\\s+", " ");
    }

    /**
     * Makes the machine hold {@code value}.
     *
     * @param before the value read just before, so actuators can decide the direction (load vs unload)
     * @throws ActuatorException naming the setting, the value, and what the system answered
     */
    void write(Host host, SettingKey key, String value, String before) throws ActuatorException;

    /** The command a person would run to put {@code value} back by hand. */
    String manualCommand(SettingKey key, String value);
}
