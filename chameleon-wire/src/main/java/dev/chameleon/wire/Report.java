package dev.chameleon.wire;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One report from an agent, as it sits in the agent's outbox and as the server stores it.
 *
 * @param id      the idempotency key, chosen by the agent when the report is queued and kept
 *                across retries: {@code [A-Za-z0-9._:-]}, 1 to {@value #MAX_ID_CHARS} characters. A report
 *                whose id the server has seen from this agent is acknowledged and not stored again.
 * @param kind    what the payload is
 * @param time    when the agent produced it, ISO-8601 UTC ({@code 2026-12-04T13:00:00Z}), as the agent's clock says
 * @param payload the report itself, compact JSON text of one object, in the shape the agent's
 *                model codecs produce for its kind (opaque at this level)
 */
public record Report(String id, ReportKind kind, String time, String payload) {
    /** Longest idempotency key. */
    public static final int MAX_ID_CHARS = 128;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_ID_CHARS + "}");

    public Report {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(payload, "payload");
        if (!validId(id)) {
            throw new IllegalArgumentException("report id must be 1 to " + MAX_ID_CHARS + " of A-Z a-z 0-9 . _ : -, got '" + id + "'");
        }
    }

    /** Whether a string is a well-formed idempotency key. */
    public static boolean validId(String id) {
        return ID.matcher(id).matches();
    }
}
