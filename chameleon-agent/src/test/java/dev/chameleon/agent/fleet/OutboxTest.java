package dev.chameleon.agent.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.wire.Report;
import dev.chameleon.wire.ReportKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's on-disk outbox: order, idempotency keys kept across restarts, acknowledgement, the bound and its counted drops. */
class OutboxTest {
    @TempDir
    Path tmp;
    static final Instant T = Instant.parse("2026-12-04T13:00:00Z");

    @Test
    void reportsSurviveARestartWithTheirIdsAndLeaveOnlyWhenAcknowledged() throws Exception {
        Path dir = tmp.resolve("outbox");
        Outbox o = new Outbox(dir, 100, 1 << 20, n -> { });
        String a = o.add(ReportKind.FACTS, T, "{\"platform\":{}}");
        String b = o.add(ReportKind.STATUS, T, "{\"mode\":\"plan\"}");
        assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(PosixFilePermissions.fromString("rwx------"));

        Outbox again = new Outbox(dir, 100, 1 << 20, n -> { });
        List<Report> waiting = again.oldest(10);
        assertThat(waiting).extracting(Report::id).containsExactly(a, b);
        assertThat(waiting.get(0).payload()).isEqualTo("{\"platform\":{}}");
        assertThat(waiting.get(1).kind()).isEqualTo(ReportKind.STATUS);
        String c = again.add(ReportKind.PLAN, T, "{}");
        assertThat(c).isNotIn(a, b);

        again.acknowledge(List.of(a));
        assertThat(again.oldest(10)).extracting(Report::id).containsExactly(b, c);
        again.acknowledge(List.of(b, c, "r-unknown-999"));
        assertThat(again.size()).isZero();
        assertThat(again.bytes()).isZero();
        assertThat(new Outbox(dir, 100, 1 << 20, n -> { }).size()).isZero();
    }

    @Test
    void aFullOutboxDropsTheOldestCountsThemAndReportsTheCountOnce() throws Exception {
        AtomicLong told = new AtomicLong();
        Outbox o = new Outbox(tmp.resolve("outbox"), 3, 1 << 20, told::addAndGet);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(o.add(ReportKind.STATUS, T, "{\"n\":" + i + "}"));
        }
        assertThat(o.size()).isEqualTo(3);
        assertThat(o.dropped()).isEqualTo(2);
        assertThat(told.get()).isEqualTo(2);
        List<Report> batch = o.oldest(10);
        assertThat(batch.get(0).kind()).isEqualTo(ReportKind.EVENT);
        assertThat(batch.get(0).payload()).contains("\"type\":\"reports-dropped\"").contains("\"dropped\":2");
        assertThat(batch.subList(1, 4)).extracting(Report::id).containsExactlyElementsOf(ids.subList(2, 5));
        // the count survives a restart until the server acknowledged it
        assertThat(new Outbox(tmp.resolve("outbox"), 3, 1 << 20, n -> { }).dropped()).isEqualTo(2);
        o.acknowledge(batch.stream().map(Report::id).toList());
        assertThat(o.dropped()).isZero();
        assertThat(o.oldest(10)).isEmpty();
    }

    @Test
    void theByteBoundDropsTooAndAnUnreadableFileIsCountedNotSent() throws Exception {
        Outbox o = new Outbox(tmp.resolve("outbox"), 1000, 64 * 1024, n -> { });
        String big = "{\"x\":\"" + "a".repeat(30_000) + "\"}";
        for (int i = 0; i < 4; i++) {
            o.add(ReportKind.PLAN, T, big);
        }
        assertThat(o.bytes()).isLessThanOrEqualTo(64 * 1024);
        assertThat(o.dropped()).isEqualTo(2);
        try (var files = Files.list(tmp.resolve("outbox"))) {
            Path first = files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().findFirst().orElseThrow();
            Files.writeString(first, "{not json");
        }
        List<Report> batch = o.oldest(10);
        assertThat(batch).hasSize(2); // the drop event and the one readable report
        assertThat(o.dropped()).isEqualTo(3);
    }
}
