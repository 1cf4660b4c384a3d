package dev.chameleon.agent.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.chameleon.model.event.Event;
import dev.chameleon.wire.BundleKeys;
import dev.chameleon.wire.Report;
import dev.chameleon.wire.ReportKind;
import dev.chameleon.wire.ReportLimits;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 1: a long agent error (a policy file with 700 errors, 182 KB) is shortened to the
 * server's limits before it is queued, and a report the server refuses alone is reported with the
 * server's reason, not as a "full outbox".
 */
@Timeout(60)
class FleetLinkLimitsTest {
    @TempDir
    Path tmp;
    static final Instant T = Instant.parse("2026-12-05T03:00:00Z");

    private FleetLink link(URI server) throws Exception {
        ServerCredential c = new ServerCredential(server, "ag-test", "cha_x.y", BundleKeys.describe(BundleKeys.generate().getPublic()),
                T.toString());
        return new FleetLink(c, new FleetFiles(tmp.resolve("state")), new ServerClient(server, "test"), s -> { }, t -> { }, e -> { },
                Clock.systemUTC(), new Random(1), new FleetLink.Timing(1, Duration.ZERO, Duration.ofMillis(50), Duration.ofMillis(200)),
                100, 1 << 24);
    }

    @Test
    void aLongErrorIsShortenedToTheServersLimitSayingHowMuchWasCut() throws Exception {
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= 700; i++) {
            b.append("policies.d/web.yaml:").append(i).append(":3: unknown setting 'sysctl:net.core.somaxconn").append(i)
                    .append("' (the pack knows no such sysctl; did you mean net.core.somaxconn?) ").append("x".repeat(150)).append('\n');
        }
        String message = b.toString();
        assertThat(message.length()).isGreaterThan(180_000);
        try (FleetLink link = link(URI.create("http://127.0.0.1:9/"))) {
            link.event(new Event.Logged(T, new Event.Problem(message)));
            List<Report> waiting = link.outbox().oldest(10);
            assertThat(waiting).hasSize(1);
            @SuppressWarnings("unchecked")
            Map<String, Object> p = (Map<String, Object>) dev.chameleon.wire.Json.parse(waiting.get(0).payload());
            String sent = (String) p.get("message");
            assertThat(sent.length()).isLessThanOrEqualTo(ReportLimits.TEXT);
            assertThat(sent).startsWith(message.substring(0, 1000))
                    .endsWith("… (" + (message.length() - sent.indexOf("… (")) + " more characters)");
            assertThat(p.get("type")).isEqualTo("error");
        }
    }

    @Test
    void shorteningKeepsShortTextAndNeverSplitsASurrogatePair() {
        assertThat(ReportLimits.shorten("short", 64)).isEqualTo("short");
        assertThat(ReportLimits.shorten(null, 64)).isNull();
        String emoji = "\uD83D\uDE00".repeat(100); // 200 UTF-16 units
        for (int max = 64; max < 200; max++) {
            String s = ReportLimits.shorten(emoji, max);
            assertThat(s.length()).isLessThanOrEqualTo(max);
            assertThat(Character.isHighSurrogate(s.charAt(s.indexOf("… (") - 1))).isFalse();
        }
    }

    /** A real HTTP server on loopback standing in for the control plane's refusal (the server module cannot be a test dependency of the agent). */
    @Test
    void aReportRefusedAloneIsReportedWithTheServersReasonNotAsAFullOutbox() throws Exception {
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        java.util.concurrent.CopyOnWriteArrayList<String> bodies = new java.util.concurrent.CopyOnWriteArrayList<>();
        http.createContext("/", ex -> {
            try (ex) {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                bodies.add(body);
                byte[] out;
                int status;
                if (body.contains("\"kind\":\"plan\",\"time\"")) {
                    status = 400;
                    out = "{\"message\":\"report r-1 (plan): summary.change: is missing\",\"code\":\"invalid\",\"errors\":[],\"requestId\":\"x\"}"
                            .getBytes(StandardCharsets.UTF_8);
                } else {
                    status = 200;
                    // acknowledge every id of the batch
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"id\":\"([^\"]+)\"").matcher(body);
                    StringBuilder ids = new StringBuilder();
                    while (m.find()) {
                        ids.append(ids.length() == 0 ? "" : ",").append('"').append(m.group(1)).append('"');
                    }
                    out = ("{\"accepted\":[" + ids + "],\"duplicates\":[]}").getBytes(StandardCharsets.UTF_8);
                }
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(status, out.length);
                try (OutputStream o = ex.getResponseBody()) {
                    o.write(out);
                }
            }
        });
        http.start();
        try (FleetLink link = link(URI.create("http://127.0.0.1:" + http.getAddress().getPort() + "/"))) {
            link.outbox().add(ReportKind.PLAN, T, "{\"entries\":[]}");
            link.outbox().add(ReportKind.STATUS, T, "{\"mode\":\"plan\"}");
            link.start();
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while ((link.outbox().size() > 0 || bodies.stream().noneMatch(s -> s.contains("report-refused"))) && System.nanoTime() < until) {
                Thread.sleep(50);
            }
            assertThat(link.outbox().size()).isZero();
            assertThat(link.outbox().dropped()).isZero();
            assertThat(String.join("\n", bodies)).doesNotContain("reports-dropped").doesNotContain("full outbox")
                    .contains("report-refused").contains("was refused by the server and dropped: HTTP 400: report r-1 (plan): summary.change: is missing");
        } finally {
            http.stop(0);
        }
    }
}
