package dev.chameleon.wire;

import java.util.List;

/**
 * The one JSON error shape of the server, for every status from 400 up.
 *
 * @param message   what went wrong, for people
 * @param code      a stable word for programs: {@code invalid}, {@code unauthenticated},
 *                  {@code forbidden}, {@code reenroll}, {@code not-found}, {@code conflict},
 *                  {@code too-large}, {@code unsupported-media-type}, {@code internal}, ...
 * @param errors    details, e.g. positioned policy errors ({@code file:line:column: message}); may be empty
 * @param requestId the id of the request in the server's log ({@code X-Request-Id})
 */
public record ErrorBody(String message, String code, List<String> errors, String requestId) {
    /** The code telling an agent that the server no longer knows it: enroll again. */
    public static final String REENROLL = "reenroll";

    public ErrorBody {
        errors = errors == null ? List.of() : List.copyOf(errors);
    }
}
