package dev.chameleon.actuators;

/** A write or undo that failed; the message names the setting, the value and the kernel's answer. */
public final class ActuatorException extends Exception {
    public ActuatorException(String message) {
        super(message);
    }

    public ActuatorException(String message, Throwable cause) {
        super(message, cause);
    }
}
