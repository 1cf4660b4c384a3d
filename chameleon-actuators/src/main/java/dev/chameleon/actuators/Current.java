package dev.chameleon.actuators;

/**
 * What an actuator found on the machine for one setting.
 *
 * @param state {@link State#VALUE} with a normalised value; {@link State#NOT_APPLICABLE} when the
 *              setting cannot exist here (the note says why); {@link State#ERROR} when reading failed;
 *              {@link State#UNKNOWN} when only the machine can answer and it was not asked
 *              ({@link Actuator#resolve} without a host; the note says what it would take)
 * @param value the normalised current value, or empty
 * @param note  why not applicable, or what went wrong; for a value, an optional remark such as
 *              {@code pending-reboot: the running kernel was booted without it}; else empty
 */
public record Current(State state, String value, String note) {
    public enum State { VALUE, NOT_APPLICABLE, ERROR, UNKNOWN }

    public Current {
        value = value == null ? "" : value;
        note = note == null ? "" : note;
    }

    public static Current value(String v) {
        return new Current(State.VALUE, v, "");
    }

    /** A value with a remark for people (shown in the plan, not compared). */
    public static Current value(String v, String note) {
        return new Current(State.VALUE, v, note);
    }

    public static Current notApplicable(String why) {
        return new Current(State.NOT_APPLICABLE, "", why);
    }

    public static Current error(String what) {
        return new Current(State.ERROR, "", what);
    }

    /** Not decidable without the machine: {@code what} it would take ("the running value of sysctl vm.swappiness"). */
    public static Current unknown(String what) {
        return new Current(State.UNKNOWN, "", what);
    }

    public boolean isValue() {
        return state == State.VALUE;
    }

    /** The value, or for other states the note: what to print as "found". */
    public String found() {
        return state == State.VALUE ? value : note;
    }
}
