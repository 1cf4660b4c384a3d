package dev.chameleon.host;

/**
 * What running a {@link Command} gave.
 *
 * @param status   {@link Status#RAN} when the program ran (whatever its exit code),
 *                 {@link Status#NOT_AVAILABLE} when it is not installed or commands are off,
 *                 {@link Status#TIMED_OUT}, or {@link Status#FAILED_TO_START}
 * @param exitCode the exit status when it ran, else -1
 * @param stdout   standard output, decoded as UTF-8
 * @param stderr   standard error, decoded as UTF-8
 * @param source   where the answer came from: {@code command: lscpu} or {@code canned: DIR/lscpu}
 */
public record CommandResult(Status status, int exitCode, String stdout, String stderr, String source) {
    public enum Status { RAN, NOT_AVAILABLE, TIMED_OUT, FAILED_TO_START }

    public static CommandResult notAvailable(String source, String why) {
        return new CommandResult(Status.NOT_AVAILABLE, -1, "", why, source);
    }

    /** True when the program ran and exited 0. */
    public boolean ok() {
        return status == Status.RAN && exitCode == 0;
    }
}
