package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.model.SettingKey;
import java.util.Optional;

/**
 * One kind of setting ({@code sysctl}, {@code sysfs}, {@code service}, …): read current → plan →
 * apply → verify → undo, and "not applicable here, because …", through a {@link Host} only.
 *
 * <p>The contract is split by what needs the machine. <b>Reading</b> ({@link #unavailable},
 * {@link #read}, the checks in {@link #target}) and <b>writing</b> ({@link #write}) go through
 * the host. <b>Deciding</b> is pure: {@link #normalize}, {@link #resolve} (the value to write,
 * relative values resolved against a current value) and {@link #satisfies} (is the current value
 * the target) take values only, so the control plane's simulation decides with this very code
 * from an agent's reported values; {@link #machineCheck} says what {@link #target} checks on top
 * that only the machine can answer (the schedulers a disk offers).
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

    /** The value in the form {@link #read} reports, for comparing ({@code " 10\n"} → {@code 10}). Pure. */
    default String normalize(SettingKey key, String value) {
        return value.strip().replaceAll("\\s+", " ");
    }

    /**
     * Pure: the exact normalised value to write and then verify, given the current value and
     * nothing else: relative values resolved ({@code >=4096} against {@code 8192} is {@code 8192},
     * against {@code 1024} is {@code 4096}); {@link Current#notApplicable} for a value this key
     * never takes ("state must be loaded or unloaded"); {@link Current#unknown} when the value
     * itself depends on something only the machine can tell (an owner name's id). The default
     * normalises the desired value.
     *
     * @param current the current value as {@link #read} reports it
     */
    default Current resolve(SettingKey key, String desired, String current) {
        return Current.value(normalize(key, desired));
    }

    /**
     * What {@link #target} checks beyond {@link #resolve} on the machine, in words for a plan note
     * ("whether the kernel offers the scheduler 'bfq' for this disk"); empty when {@link #resolve}
     * is the whole answer. Pure.
     */
    default Optional<String> machineCheck(SettingKey key, String desired) {
        return Optional.empty();
    }

    /**
     * {@link #resolve} against the machine: the same value, or {@link Current#notApplicable} when
     * the value is not allowed here ("'bfq' is not offered here (choices: none, mq-deadline)").
     * The default is {@link #resolve}.
     *
     * @param current what {@link #read} returned; always a value
     */
    default Current target(Host host, SettingKey key, String desired, Current current) {
        return resolve(key, desired, current.value());
    }

    /**
     * True when the machine's {@code found} value fulfils {@code target}; used by the plan (ok vs
     * change) and by verify. Default: equal. A kind whose reads are more precise than its targets
     * overrides it (a package target {@code installed} is fulfilled by {@code installed 5.2-1}). Pure.
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
