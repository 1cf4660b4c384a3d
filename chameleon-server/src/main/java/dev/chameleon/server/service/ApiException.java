package dev.chameleon.server.service;

import java.util.List;

/**
 * A typed failure of a request, mapped in one place (the HTTP layer's error handler) to its status
 * and the one JSON error body.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String code;
    private final List<String> errors;

    public ApiException(int status, String code, String message, List<String> errors) {
        super(message);
        this.status = status;
        this.code = code;
        this.errors = List.copyOf(errors);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<String> errors() {
        return errors;
    }

    public static ApiException invalid(String message, List<String> errors) {
        return new ApiException(400, "invalid", message, errors);
    }

    public static ApiException invalid(String message) {
        return invalid(message, List.of());
    }

    /** 422: the document was read but does not compile (policies, selectors). */
    public static ApiException unprocessable(String message, List<String> errors) {
        return new ApiException(422, "invalid", message, errors);
    }

    public static ApiException unauthenticated(String message) {
        return new ApiException(401, "unauthenticated", message, List.of());
    }

    /** 401 with the re-enroll code: the agent is unknown here (removed); enroll again. */
    /** 401 {@code token-expired}: an API token past its expiry (a client should ask for a new token, not retry). */
    public static ApiException tokenExpired(String message) {
        return new ApiException(401, "token-expired", message, List.of());
    }

    public static ApiException reenroll(String message) {
        return new ApiException(401, "reenroll", message, List.of());
    }

    public static ApiException forbidden(String message) {
        return new ApiException(403, "forbidden", message, List.of());
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, "not-found", message, List.of());
    }

    public static ApiException conflict(String message) {
        return new ApiException(409, "conflict", message, List.of());
    }

    public static ApiException tooLarge(String message) {
        return new ApiException(413, "too-large", message, List.of());
    }
}
