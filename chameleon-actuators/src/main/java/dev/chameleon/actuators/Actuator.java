package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.model.SettingKey;
import java.util.Optional;

/**
 * One kind of setting ({@code sysctl}, {@code sysfs}, {@code service}, …): read current → plan →
 * apply → verify → undo, and "not applicable here, because …", through a {@link Host} only.
 *
 * <p>The {@link Planner} calls {@link #unavailable}, {@link #read} and {@link #target} for every
 * setting; the {@link Applier} runs that very planner, then {@link #write}s each target, reads it
 * back and compares with the target. Undo is a {@link #write} of the journalled previous value,
 * so every value {@link #read} reports must be writable back as it is. A dry run therefore cannot
 * disagree with a real run.
 */
public interface Actuator {
    /** The setting kind this actuator owns, as in {@link SettingKey#kind()}. */
    String kind();

    /**
     * Why this whole kind cannot work on this machine ("no systemd: /run/systemd/system does not
     * exist"), or empty when it can. Checked before {@link #read}. Never throws.
     */
    default Optional<String> unavailable(Host host) {
        return Optional.empty();
    }

    /** Reads the current value in normalised form, or why the setting does not exist here. Never throws. */
    Current read(Host host, SettingKey key);

    /** The value in the form {@link #read} reports, for comparing ({@code " 10\n"} → {@code 10}). */
    default String normalize(SettingKey key, String value) {
        return value.strip().replaceAll("\\s+", " ");
    }

    /**
     * Resolves a desired value against the machine: the exact normalised value to write and then
     * verify, or {@link Current#notApplicable} when the value is not allowed here ("'bfq' is not
     * offered here (choices: none, mq-deadline)"). Relative values are resolved here: {@code >=4096}
     * against a current {@code 8192} is {@code 8192} (nothing to do), against {@code 1024} is
     * {@code 4096}. The default normalises the desired value.
     *
     * @param current what {@link #read} returned; always a value
     */
    default Current target(Host host, SettingKey key, String desired, Current current) {
        return Current.value(normalize(key, desired));
    }

    /**
     * True when the machine's {@code found} value fulfils {@code target}; used by the plan (ok vs
     * change) and by verify. Default: equal. A kind whose reads are more precise than its targets
     * overrides it (a package target {@code installed} is fulfilled by {@code installed 5.2-1}).
     */
    default boolean satisfies(SettingKey key, String target, String found) {
        return target.equals(found);
    }

    /**
     * Makes the machine hold {@code value}, a value {@link #target} or {@link #read} produced.
     *
     * @param before the value read just before, so actuators can decide the direction (load vs unload)
     * @throws ActuatorException naming the setting, the value, and what the system answered
     */
    void write(Host host, SettingKey key, String value, String before) throws ActuatorException;

    /** The command a person would run to put {@code value} back by hand. */
    String manualCommand(SettingKey key, String value);
}
