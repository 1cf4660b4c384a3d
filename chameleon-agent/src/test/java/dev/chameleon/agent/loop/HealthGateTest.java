package dev.chameleon.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chameleon.host.HostCommandRunner;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import dev.chameleon.policy.Durations;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The health gate's checks with real parts: real programs, a real HTTP server on 127.0.0.1. */
class HealthGateTest {
    @TempDir
    Path tmp;

    static HealthGate gate(List<String> command, URI url, Duration timeout) {
        return new HealthGate(new HealthGate.Settings(command, url, timeout, Duration.ZERO), new HostCommandRunner());
    }

    @Test
    void aCommandExitingZeroPasses() {
        HealthGate.Verdict v = gate(List.of("/bin/true"), null, Duration.ofSeconds(20)).check();
        assertThat(v.passed()).isTrue();
        assertThat(v.checks()).singleElement().satisfies(c -> {
            assertThat(c.check()).isEqualTo("command");
            assertThat(c.outcome()).isEqualTo("passed");
            assertThat(c.exitCode()).isZero();
        });
        assertThat(v.describe()).isEmpty();
    }

    @Test
    void aCommandExitingNonZeroFailsWithItsExitCodeAndOutput() {
        HealthGate.Verdict v = gate(List.of("/bin/sh", "-c", "echo 'db:   down'; echo refused >&2; exit 3"), null,
                Duration.ofSeconds(20)).check();
        assertThat(v.passed()).isFalse();
        HealthGate.Check c = v.checks().get(0);
        assertThat(c.outcome()).isEqualTo("failed");
        assertThat(c.exitCode()).isEqualTo(3);
        assertThat(c.excerpt()).isEqualTo("db: down refused");
        assertThat(v.describe()).isEqualTo("command /bin/sh -c echo 'db:   down'; echo refused >&2; exit 3: exit 3 (db: down refused)");
    }

    @Test
    void aCommandPastItsTimeoutFailsAndIsKilledWithItsChildren() throws Exception {
        Path pids = tmp.resolve("pids");
        HealthGate.Verdict v = gate(List.of("/bin/sh", "-c", "/bin/sleep 300 & echo $$ $! > " + pids + "; wait"), null,
                Duration.ofSeconds(2)).check();
        assertThat(v.passed()).isFalse();
        assertThat(v.checks().get(0).outcome()).isEqualTo("timeout");
        assertThat(v.checks().get(0).exitCode()).isNull();
        assertThat(v.describe()).contains("no answer in time").contains("killed after 2s");
        for (String pid : Files.readString(pids).strip().split(" ")) {
            assertThat(Poll.until(() -> !running(Long.parseLong(pid)))).as("process %s killed", pid).isTrue();
        }
    }

    @Test
    void aProgramThatIsGoneFailsAsAnError() throws IOException {
        Path script = tmp.resolve("check");
        Files.writeString(script, "#!/bin/sh\nexit 0\n");
        script.toFile().setExecutable(true);
        HealthGate g = gate(List.of(script.toString()), null, Duration.ofSeconds(20));
        assertThat(g.check().passed()).isTrue();
        Files.delete(script);
        HealthGate.Check c = g.check().checks().get(0);
        assertThat(c.outcome()).isEqualTo("error");
        assertThat(c.excerpt()).contains("not installed");
    }

    @Test
    void aUrlAnswering2xxPassesAndAnythingElseFails() throws IOException {
        try (LoopbackServer s = LoopbackServer.start()) {
            HealthGate g = gate(List.of(), s.uri("/healthz"), Duration.ofSeconds(20));
            HealthGate.Verdict ok = g.check();
            assertThat(ok.passed()).isTrue();
            assertThat(ok.checks().get(0).httpStatus()).isEqualTo(200);

            s.answer(204, "");
            assertThat(g.check().passed()).isTrue();

            s.answer(503, "database\nunreachable");
            HealthGate.Verdict bad = g.check();
            assertThat(bad.passed()).isFalse();
            assertThat(bad.checks().get(0).fields()).containsEntry("check", "url").containsEntry("outcome", "failed")
                    .containsEntry("httpStatus", 503).containsEntry("excerpt", "database unreachable").doesNotContainKey("exitCode");
            assertThat(bad.describe()).isEqualTo("url " + s.uri("/healthz") + ": HTTP 503 (database unreachable)");

            s.answer(302, "");
            assertThat(g.check().passed()).as("redirects are not followed").isFalse();
            assertThat(s.hits()).isEqualTo(4);
        }
    }

    @Test
    void aLargeBodyIsCutToAnExcerpt() throws IOException {
        try (LoopbackServer s = LoopbackServer.start()) {
            s.answer(500, "x".repeat(1_000_000));
            HealthGate.Check c = gate(List.of(), s.uri("/"), Duration.ofSeconds(20)).check().checks().get(0);
            assertThat(c.httpStatus()).isEqualTo(500);
            assertThat(c.excerpt()).hasSize(HealthGate.EXCERPT_CHARS).endsWith("…");
        }
    }

    @Test
    void aUrlThatNeverAnswersTimesOut() throws IOException {
        try (LoopbackServer s = LoopbackServer.start()) {
            s.hang();
            HealthGate.Verdict v = gate(List.of(), s.uri("/slow"), Duration.ofSeconds(1)).check();
            assertThat(v.passed()).isFalse();
            assertThat(v.checks().get(0).outcome()).isEqualTo("timeout");
            assertThat(v.checks().get(0).httpStatus()).isNull();
            assertThat(s.hits()).isEqualTo(1);
        }
    }

    @Test
    void aUrlWithNothingListeningIsAnError() throws IOException {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            port = free.getLocalPort();
        }
        HealthGate.Check c = gate(List.of(), URI.create("http://127.0.0.1:" + port + "/"), Duration.ofSeconds(20)).check().checks().get(0);
        assertThat(c.outcome()).isEqualTo("error");
        assertThat(c.excerpt()).isEqualTo("connection refused");
    }

    @Test
    void bothMustPassAndTheUrlIsNotAskedAfterAFailedCommand() throws IOException {
        try (LoopbackServer s = LoopbackServer.start()) {
            HealthGate.Verdict both = gate(List.of("/bin/true"), s.uri("/"), Duration.ofSeconds(20)).check();
            assertThat(both.passed()).isTrue();
            assertThat(both.checks()).extracting(HealthGate.Check::check).containsExactly("command", "url");

            s.answer(500, "no");
            assertThat(gate(List.of("/bin/true"), s.uri("/"), Duration.ofSeconds(20)).check().passed()).isFalse();

            int hits = s.hits();
            HealthGate.Verdict first = gate(List.of("/bin/false"), s.uri("/"), Duration.ofSeconds(20)).check();
            assertThat(first.passed()).isFalse();
            assertThat(first.checks()).extracting(HealthGate.Check::check).containsExactly("command");
            assertThat(s.hits()).isEqualTo(hits);
        }
    }

    @Test
    void onlyHttpOnALoopbackAddressIsAccepted() {
        assertThat(HealthGate.urlProblem("http://127.0.0.1:8080/healthz")).isEmpty();
        assertThat(HealthGate.urlProblem("http://127.1.2.3/")).isEmpty();
        assertThat(HealthGate.urlProblem("http://[::1]:9000/ready")).isEmpty();
        assertThat(HealthGate.urlProblem("https://127.0.0.1/")).hasValueSatisfying(p -> assertThat(p).contains("https is not supported"));
        assertThat(HealthGate.urlProblem("http://10.0.0.1/")).hasValueSatisfying(p -> assertThat(p).contains("not a loopback address"));
        assertThat(HealthGate.urlProblem("http://localhost:8080/")).hasValueSatisfying(p -> assertThat(p).contains("a name could resolve elsewhere"));
        assertThat(HealthGate.urlProblem("http://127.0.0.300/")).isPresent();
        assertThat(HealthGate.urlProblem("http://[::2]/")).isPresent();
        assertThat(HealthGate.urlProblem("ftp://127.0.0.1/")).hasValueSatisfying(p -> assertThat(p).contains("must start with http://"));
        assertThat(HealthGate.urlProblem("127.0.0.1:8080")).isPresent();
        assertThat(HealthGate.urlProblem("http://127.0.0.1:8080/a b")).hasValueSatisfying(p -> assertThat(p).contains("is not a URL"));
    }

    @Test
    void theProgramIsAnAbsoluteExecutableAndNoWordIsEmpty() throws IOException {
        assertThat(HealthGate.wordProblem(0, "/bin/true")).isEmpty();
        assertThat(HealthGate.wordProblem(0, "true")).hasValueSatisfying(p -> assertThat(p).contains("must be an absolute path"));
        assertThat(HealthGate.wordProblem(0, "./check")).hasValueSatisfying(p -> assertThat(p).contains("must be an absolute path"));
        Path plain = Files.writeString(tmp.resolve("plain"), "not a program");
        assertThat(HealthGate.wordProblem(0, plain.toString())).hasValueSatisfying(p -> assertThat(p).contains("not an executable file"));
        assertThat(HealthGate.wordProblem(0, tmp.toString())).as("a folder").isPresent();
        assertThat(HealthGate.wordProblem(2, "")).hasValueSatisfying(p -> assertThat(p).contains("is empty"));
        assertThat(HealthGate.wordProblem(1, "relative/is/fine/as/an/argument")).isEmpty();
        assertThatThrownBy(() -> new HealthGate.Settings(List.of("/bin/true", ""), null, Duration.ofSeconds(1), Duration.ZERO))
                .hasMessageContaining("command[1] is empty");
        assertThatThrownBy(() -> new HealthGate.Settings(List.of(), null, Duration.ZERO, Duration.ZERO))
                .hasMessageContaining("timeout must be more than 0");
        assertThatThrownBy(() -> new HealthGate.Settings(List.of(), null, Duration.ofSeconds(1), Duration.ofMinutes(11)))
                .hasMessageContaining("settle must be from 0s to 10m");
        assertThat(HealthGate.Settings.off().enabled()).isFalse();
    }

    @Test
    void durationsAsTheConfigFileWritesThem() {
        assertThat(Durations.read("500ms", Durations.CHECK_TIMEOUT).value()).contains(Duration.ofMillis(500));
        assertThat(Durations.read("30s", Durations.CHECK_TIMEOUT).value()).contains(Duration.ofSeconds(30));
        assertThat(Durations.read("5m", Durations.CHECK_TIMEOUT).value()).contains(Duration.ofMinutes(5));
        assertThat(Durations.read("30", Durations.CHECK_TIMEOUT).value()).isEmpty();
        assertThat(Durations.read("PT30S", Durations.CHECK_TIMEOUT).value()).isEmpty();
        assertThat(Durations.read("-5s", Durations.CHECK_TIMEOUT).value()).isEmpty();
        assertThat(HealthGate.text(Duration.ofMillis(1500))).isEqualTo("1500ms");
        assertThat(HealthGate.text(Duration.ofSeconds(90))).isEqualTo("90s");
        assertThat(HealthGate.text(Duration.ZERO)).isEqualTo("0s");
    }

    /** Running: /proc/PID exists and is not a zombie. */
    static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }
}
