package dev.chameleon.wire;

import java.util.List;

/**
 * Reports sent in one request, oldest first; at most {@value #MAX_REPORTS}.
 *
 * @param reports the reports, each with its own idempotency key
 */
public record ReportBatch(List<Report> reports) {
    /** Most reports in one batch. */
    public static final int MAX_REPORTS = 500;

    public ReportBatch {
        reports = List.copyOf(reports);
    }
}
