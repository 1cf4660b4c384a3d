package dev.chameleon.agent.tuning;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chameleon.host.HostCommandRunner;
import dev.chameleon.policy.Tuning;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@link Probe}: numbers from a command's output (a real /bin/sh), a pattern, and a Prometheus exposition. */
class ProbeTest {
    static Probe command(String script, String pattern) {
        return command(script, pattern, Duration.ofSeconds(10));
    }

    static Probe command(String script, String pattern, Duration timeout) {
        return new Probe(new Tuning.Probe(Tuning.ProbeType.COMMAND, List.of("/bin/sh", "-c", script), null, null,
                pattern == null ? null : Pattern.compile(pattern), timeout, 1, 1), new HostCommandRunner());
    }

    @Test
    void theLastNumberOfACommandsOutput() throws Exception {
        assertThat(command("echo 'run 3 of 3: 1.5e3 req/s'", null).measure()).isEqualTo(1500.0);
        assertThat(command("echo 'p50=3.2 p99=17.25 max=40'", "p99=([0-9.]+)").measure()).isEqualTo(17.25);
    }

    @Test
    void aFailedCommandOrNoNumberIsAFailedMeasurement() {
        assertThatThrownBy(() -> command("echo broken >&2; exit 3", null).measure()).isInstanceOf(Probe.Failed.class)
                .hasMessageContaining("exit 3").hasMessageContaining("broken");
        assertThatThrownBy(() -> command("echo no numbers", null).measure()).isInstanceOf(Probe.Failed.class)
                .hasMessageContaining("no number in the output");
        assertThatThrownBy(() -> command("echo 'p50=3'", "p99=([0-9.]+)").measure()).isInstanceOf(Probe.Failed.class)
                .hasMessageContaining("no match of p99=");
        assertThatThrownBy(() -> command("sleep 5", null, Duration.ofMillis(300)).measure()).isInstanceOf(Probe.Failed.class)
                .hasMessageContaining("killed");
    }

    @Test
    void aProgramThatIsNotAnAbsolutePathIsRefusedBeforeAnythingRuns() {
        assertThatThrownBy(() -> new Probe(new Tuning.Probe(Tuning.ProbeType.COMMAND, List.of("iperf3"), null, null, null,
                Duration.ofSeconds(1), 1, 1), new HostCommandRunner())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must be an absolute path");
    }

    @Test
    void prometheusSamplesByNameAndLabels() throws Exception {
        String text = """
                # HELP http_request_duration_seconds latency
                # TYPE http_request_duration_seconds summary
                http_request_duration_seconds{quantile="0.5",route="/"} 0.012
                http_request_duration_seconds{quantile="0.99",route="/"} 0.25
                http_request_duration_seconds_count{route="/"} 1027
                up 1
                """;
        assertThat(Probe.prometheus(text, "http_request_duration_seconds{quantile=\"0.99\"}")).isEqualTo(0.25);
        assertThat(Probe.prometheus(text, "http_request_duration_seconds_count")).isEqualTo(1027.0);
        assertThat(Probe.prometheus(text, "up")).isEqualTo(1.0);
        assertThatThrownBy(() -> Probe.prometheus(text, "http_request_duration_seconds{quantile=\"0.9\"}"))
                .isInstanceOf(Probe.Failed.class).hasMessageContaining("no such sample");
    }
}
