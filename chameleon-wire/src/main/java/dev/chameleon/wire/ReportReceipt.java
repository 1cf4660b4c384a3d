package dev.chameleon.wire;

import java.util.List;

/**
 * The server's answer to a batch: every report id is in exactly one list, and the agent drops
 * both from its outbox.
 *
 * @param accepted   ids stored now
 * @param duplicates ids the server already had from this agent (a retry); nothing stored again
 */
public record ReportReceipt(List<String> accepted, List<String> duplicates) {
    public ReportReceipt {
        accepted = List.copyOf(accepted);
        duplicates = List.copyOf(duplicates);
    }
}
