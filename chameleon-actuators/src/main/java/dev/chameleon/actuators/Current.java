package dev.chameleon.actuators;

/**
 * What an actuator found on the machine for one setting.
 *
 * @param state {@link State#VALUE} with a normalised value; {@link State#NOT_APPLICABLE} when the
 *              setting cannot exist here (the note says why); {@link State#ERROR} when reading failed
 * @param value the normalised current value, or empty
 * @param note  why not applicable, or what went wrong; else empty
 */
public record Current(State state, String value, String note) {
    public enum State { VALUE, NOT_APPLICABLE, ERROR }

    public static Current value(String v) {
        return new Current(State.VALUE, v, "");
    }

    public static Current notApplicable(String why) {
        return new Current(State.NOT_APPLICABLE, "", why);
    }

    public static Current error(String what) {
        return new Current(State.ERROR, "", what);
    }
}
