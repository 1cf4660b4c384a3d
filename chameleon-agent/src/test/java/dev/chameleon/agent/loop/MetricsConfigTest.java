package dev.chameleon.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The metrics mapping of agent.yaml: defaults, and every mistake at its file:line:column with a caret. */
class MetricsConfigTest {
    @TempDir
    Path tmp;

    Path file(String text) throws IOException {
        Path f = tmp.resolve("agent.yaml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void offOnTheDefaultAddressUnlessAsked() throws IOException {
        MetricsConfig.Settings none = MetricsConfig.read(file("version: 1\nmode: plan\n"));
        assertThat(none.enabled()).isFalse();
        assertThat(MetricsListen.format(none.listen())).isEqualTo("127.0.0.1:9465");
        assertThat(MetricsConfig.read(file("metrics:\n")).enabled()).isFalse();
        assertThat(MetricsConfig.read(file("")).enabled()).isFalse();

        MetricsConfig.Settings on = MetricsConfig.read(file("""
                version: 1
                metrics:
                  enabled: true
                  listen: "[::1]:9100"
                healthGate: {command: []}
                """));
        assertThat(on.enabled()).isTrue();
        assertThat(on.listen().getPort()).isEqualTo(9100);
        assertThat(on.listen().getAddress().isLoopbackAddress()).isTrue();
    }

    @Test
    void aListenAddressOffLoopbackIsAnErrorAtItsPositionEvenWhenMetricsAreOff() throws IOException {
        Path f = file("""
                version: 1
                metrics:
                  enabled: false
                  listen: 0.0.0.0:9465
                """);
        assertThatThrownBy(() -> MetricsConfig.read(f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(f + ":4:11: error: metrics.listen '0.0.0.0:9465': 0.0.0.0 is not a loopback address")
                .hasMessageEndingWith("\n    listen: 0.0.0.0:9465\n            ^");
    }

    @Test
    void everyMistakeIsPositioned() throws IOException {
        error("metrics:\n  enabled: true\n  listen: 10.0.0.5:9465\n", ":3:11: error: metrics.listen '10.0.0.5:9465': 10.0.0.5 is not a loopback address");
        error("metrics:\n  listen: metrics.example.invalid:9465\n", ":2:11: error: metrics.listen 'metrics.example.invalid:9465': "
                + "metrics.example.invalid is not an address as a number");
        error("metrics:\n  listen: 127.0.0.1\n", ":2:11: error: metrics.listen '127.0.0.1' has no port");
        error("metrics:\n  listen: 9465\n", ":2:11: error: metrics.listen must be HOST:PORT on loopback, such as 127.0.0.1:9465, found '9465'");
        error("metrics:\n  listen: [::1]\n", ":2:11: error: metrics.listen must be HOST:PORT on loopback, such as 127.0.0.1:9465, "
                + "found a list (quote an IPv6 address: \"[::1]:9465\")");
        error("metrics:\n  enabled: \"yes\"\n", ":2:12: error: metrics.enabled must be true or false, found 'yes'");
        error("metrics:\n  enabled: true\n  port: 9465\n", ":3:3: error: metrics.port unknown setting (known here: enabled, listen)");
        error("mode: plan\nmetrics: on\n", ":2:10: error: metrics must be a mapping (enabled, listen)");
    }

    private void error(String yaml, String message) throws IOException {
        Path f = file(yaml);
        assertThatThrownBy(() -> MetricsConfig.read(f)).as(yaml).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(f + message);
    }
}
