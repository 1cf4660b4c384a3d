package dev.chameleon.server.service;

import dev.chameleon.server.store.Database;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long the server keeps what agents report, and the pruning that keeps it so. At 10,000
 * agents each sending a status every 60 s the status history alone is 14 million rows a day.
 *
 * <ul>
 *   <li>{@code status} reports (the agents' cost over time) and the idempotency rows of
 *   {@code facts}, {@code plan} and {@code current-values} reports (the last of each is on the
 *   agent's row and is never pruned): {@code keepStatus}, default 2 days. A retry of such a report
 *   older than that would be stored again, which for these kinds only replaces the last one.</li>
 *   <li>{@code change-set} and {@code event} reports (each agent's history) and the fleet's
 *   events feed: {@code keepHistory}, default 180 days.</li>
 * </ul>
 *
 * <p>Pruned by every replica every 10 minutes ({@link #prune}), in batches of 5,000 rows per
 * statement so no transaction holds many locks; replicas pruning at once only find less to do.
 * The audit log is never pruned.
 *
 * @param keepStatus  how long status reports and idempotency keys of facts, plans and current values are kept
 * @param keepHistory how long change sets, agent events and the fleet's events are kept
 */
public record Retention(Duration keepStatus, Duration keepHistory) {
    private static final Logger LOG = LoggerFactory.getLogger(Retention.class);
    private static final int BATCH = 5000;
    private static final Pattern DURATION = Pattern.compile("(\\d{1,6})(m|h|d)");

    public Retention {
        if (keepStatus.compareTo(Duration.ofHours(1)) < 0 || keepHistory.compareTo(keepStatus) < 0) {
            throw new IllegalArgumentException("--keep-status must be at least 1h and --keep-history at least as long as --keep-status");
        }
    }

    public static Retention defaults() {
        return new Retention(Duration.ofDays(2), Duration.ofDays(180));
    }

    /** {@code 90m}, {@code 48h}, {@code 180d}; empty when it is none of these. */
    public static Optional<Duration> parse(String text) {
        Matcher m = DURATION.matcher(text.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        long n = Long.parseLong(m.group(1));
        return Optional.of(switch (m.group(2)) {
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        });
    }

    /** What one pruning removed. */
    public record Pruned(long statusReports, long historyReports, long events) {
    }

    /** Deletes what is older than the retention, in batches; never throws for a database problem (logged, tried again next time). */
    public Pruned prune(Database db, Clock clock) {
        Instant now = clock.instant();
        try {
            long s = batches(db, "DELETE FROM reports WHERE id IN (SELECT id FROM reports WHERE kind IN ('status', 'facts', 'plan', "
                    + "'current-values') AND received_at < ? ORDER BY id LIMIT " + BATCH + ")", now.minus(keepStatus));
            long h = batches(db, "DELETE FROM reports WHERE id IN (SELECT id FROM reports WHERE kind IN ('change-set', 'event') "
                    + "AND received_at < ? ORDER BY id LIMIT " + BATCH + ")", now.minus(keepHistory));
            long e = batches(db, "DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE at < ? ORDER BY seq LIMIT " + BATCH + ")",
                    now.minus(keepHistory));
            if (s + h + e > 0) {
                LOG.info("retention: removed {} status report(s) and idempotency key(s), {} history report(s), {} event(s)", s, h, e);
            }
            return new Pruned(s, h, e);
        } catch (RuntimeException ex) {
            LOG.warn("retention: pruning failed, tried again later: {}", ex.toString());
            return new Pruned(0, 0, 0);
        }
    }

    private static long batches(Database db, String sql, Instant before) {
        long total = 0;
        while (true) {
            int n = db.tx(c -> Database.update(c, sql, before));
            total += n;
            if (n < BATCH) {
                return total;
            }
        }
    }
}
