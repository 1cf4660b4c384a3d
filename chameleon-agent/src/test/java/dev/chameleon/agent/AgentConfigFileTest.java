package dev.chameleon.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chameleon.agent.loop.HealthGate;
import dev.chameleon.agent.loop.MetricsListen;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one reader of agent.yaml: every section from one parse, each value with its default, and
 * every problem at its file:line:column with the line and a caret. (The healthGate and metrics
 * cases were HealthGateConfigTest and MetricsConfigTest when each section read the file again.)
 */
class AgentConfigFileTest {
    @TempDir
    Path tmp;

    Path file(String text) throws IOException {
        return Files.writeString(tmp.resolve("agent.yaml"), text);
    }

    static HealthGate.Settings gate(Path f) {
        HealthGate.Settings s = AgentConfigFile.read(f).healthGate;
        return s == null ? HealthGate.Settings.off() : s;
    }

    @Test
    void theShippedFileReadsWithTheGateAndMetricsOff() {
        Path shipped = Path.of(System.getProperty("chameleon.repo", "../"), "chameleon-packaging/src/deb/files/agent.yaml");
        AgentConfigFile f = AgentConfigFile.read(shipped);
        HealthGate.Settings s = f.healthGate;
        assertThat(s.enabled()).isFalse();
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.settle()).isEqualTo(Duration.ofSeconds(5));
        assertThat(f.metricsEnabled).isFalse();
        assertThat(MetricsListen.format(f.metricsListen)).isEqualTo("127.0.0.1:9465");
        assertThat(f.mode).isEqualTo("plan");
        assertThat(f.sensors).hasSize(10).containsValue(true).doesNotContainValue(false);
    }

    @Test
    void readsEveryHealthGateKey() throws IOException {
        HealthGate.Settings s = gate(file("""
                version: 1
                mode: apply
                healthGate:
                  command: [/bin/sh, -c, 'curl -fsS http://127.0.0.1:8080/ >/dev/null', 7]
                  url: "http://[::1]:8080/healthz"
                  timeout: 500ms
                  settle: 0s
                antiFlap: {maxChanges: 3}
                """));
        assertThat(s.command()).containsExactly("/bin/sh", "-c", "curl -fsS http://127.0.0.1:8080/ >/dev/null", "7");
        assertThat(s.url()).isEqualTo(URI.create("http://[::1]:8080/healthz"));
        assertThat(s.timeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.settle()).isZero();
        assertThat(s.enabled()).isTrue();
    }

    @Test
    void emptyOrMissingGateIsOff() throws IOException {
        assertThat(gate(file("version: 1\n")).enabled()).isFalse();
        assertThat(gate(file("healthGate: {command: [], url: \"\"}\n")).enabled()).isFalse();
        HealthGate.Settings onlyUrl = gate(file("healthGate:\n  url: http://127.0.0.1:9/x\n"));
        assertThat(onlyUrl.command()).isEmpty();
        assertThat(onlyUrl.settle()).isEqualTo(HealthGate.Settings.DEFAULT_SETTLE);
        // one reader for the whole file: a key without a value is an error everywhere, healthGate too
        Path nothing = file("healthGate:\n");
        assertThatThrownBy(() -> AgentConfigFile.read(nothing)).hasMessageStartingWith(nothing + ":")
                .hasMessageContaining("error: healthGate has no value; leave the key out to take its default");
    }

    /** Each bad value: the message starts with file:line:column of the value, names the key, and shows the line with a caret. */
    @Test
    void healthGateProblemsArePositioned() throws IOException {
        String head = "version: 1\nhealthGate:\n";
        bad(head + "  url: https://127.0.0.1:8443/healthz\n", 3, 8, "healthGate.url", "https is not supported");
        bad(head + "  url: http://192.168.1.10/healthz\n", 3, 8, "healthGate.url", "not a loopback address");
        bad(head + "  url: http://localhost:8080/\n", 3, 8, "healthGate.url", "a name could resolve elsewhere");
        bad(head + "  url: [http://127.0.0.1/]\n", 3, 8, "healthGate.url", "must be a string");
        bad(head + "  command: [check, --quick]\n", 3, 13, "healthGate.command[0]", "must be an absolute path");
        bad(head + "  command:\n    - /bin/true\n    - \"\"\n", 5, 7, "healthGate.command[1]", "is empty");
        bad(head + "  command: \"/bin/true --quick\"\n", 3, 12, "healthGate.command", "must be a list of strings");
        bad(head + "  command: [/bin/true, {a: 1}]\n", 3, 24, "healthGate.command[1]", "must be a string");
        bad(head + "  command: [" + tmp + "]\n", 3, 13, "healthGate.command[0]", "is not an executable file");
        bad(head + "  timeout: 30\n", 3, 12, "healthGate.timeout", "a number alone has no unit: write 30s or 30m");
        bad(head + "  timeout: 0s\n", 3, 12, "healthGate.timeout", "must be more than 0s");
        bad(head + "  settle: soon\n", 3, 11, "healthGate.settle", "must be a duration with a unit (h, m, s or ms: 500ms, 30s, 5m, 1h30m), found 'soon'");
        bad(head + "  settle: 2h\n", 3, 11, "healthGate.settle", "must be at most 10m, found '2h'");
        bad(head + "  timeout: 1s\n  retries: 3\n", 4, 3, "healthGate.retries", "unknown setting");
        bad("healthGate: [/bin/true]\n", 1, 13, "healthGate", "must be a mapping");
        // found by a trial of run --config: a port past 65535 was taken
        bad(head + "  url: http://127.0.0.1:99999/\n", 3, 8, "healthGate.url", "port 99999 is out of range (1-65535)");
    }

    void bad(String yaml, int line, int column, String key, String why) throws IOException {
        Path f = file(yaml);
        String excerpt = yaml.lines().toList().get(line - 1);
        assertThatThrownBy(() -> AgentConfigFile.read(f)).as(yaml)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(f + ":" + line + ":" + column + ": error: " + key + " ")
                .hasMessageContaining(why)
                .hasMessageEndingWith("\n  " + excerpt + "\n  " + " ".repeat(column - 1) + "^");
    }

    @Test
    void gateSettingsAreImmutable() throws IOException {
        HealthGate.Settings s = gate(file("healthGate: {command: [/bin/true]}\n"));
        assertThatThrownBy(() -> s.command().add("x")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(s.describe()).containsEntry("command", List.of("/bin/true")).containsEntry("timeout", "30s")
                .containsEntry("settle", "5s").containsEntry("url", "");
    }

    @Test
    void metricsAreOffOnTheDefaultAddressUnlessAsked() throws IOException {
        AgentConfigFile none = AgentConfigFile.read(file("version: 1\nmode: plan\n"));
        assertThat(none.metricsEnabled).isNull();
        assertThat(AgentConfigFile.read(file("")).metricsEnabled).isNull();
        AgentConfigFile on = AgentConfigFile.read(file("""
                version: 1
                metrics:
                  enabled: true
                  listen: "[::1]:9100"
                healthGate: {command: []}
                """));
        assertThat(on.metricsEnabled).isTrue();
        assertThat(on.metricsListen.getPort()).isEqualTo(9100);
        assertThat(on.metricsListen.getAddress().isLoopbackAddress()).isTrue();
    }

    @Test
    void aListenAddressOffLoopbackIsAnErrorAtItsPositionEvenWhenMetricsAreOff() throws IOException {
        Path f = file("""
                version: 1
                metrics:
                  enabled: false
                  listen: 0.0.0.0:9465
                """);
        assertThatThrownBy(() -> AgentConfigFile.read(f)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(f + ":4:11: error: metrics.listen '0.0.0.0:9465': 0.0.0.0 is not a loopback address")
                .hasMessageEndingWith("\n    listen: 0.0.0.0:9465\n            ^");
    }

    @Test
    void everyMetricsMistakeIsPositioned() throws IOException {
        error("metrics:\n  enabled: true\n  listen: 10.0.0.5:9465\n", ":3:11: error: metrics.listen '10.0.0.5:9465': 10.0.0.5 is not a loopback address");
        error("metrics:\n  listen: metrics.example.invalid:9465\n", ":2:11: error: metrics.listen 'metrics.example.invalid:9465': "
                + "metrics.example.invalid is not an address as a number");
        error("metrics:\n  listen: 127.0.0.1\n", ":2:11: error: metrics.listen '127.0.0.1' has no port");
        error("metrics:\n  listen: 9465\n", ":2:11: error: metrics.listen must be HOST:PORT on loopback, such as 127.0.0.1:9465, found '9465'");
        error("metrics:\n  listen: [127.0.0.1, 9465]\n", ":2:11: error: metrics.listen must be HOST:PORT on loopback, such as 127.0.0.1:9465, "
                + "found a list (quote an IPv6 address: \"[::1]:9465\")");
        // an unquoted [::1]:9465 is not even YAML; the one parse of the file says so first (as 'run --config' always did)
        error("metrics:\n  listen: [::1]\n", ":2:12: error: not YAML: while parsing a flow node");
        error("metrics:\n  enabled: \"yes\"\n", ":2:12: error: metrics.enabled must be true or false, found 'yes'");
        error("metrics:\n  enabled: true\n  port: 9465\n", ":3:3: error: metrics.port unknown setting (known here: enabled, listen)");
        error("mode: plan\nmetrics: on\n", ":2:10: error: metrics must be a mapping (enabled, listen)");
    }

    @Test
    void sensorsAreSwitchedByName() throws IOException {
        AgentConfigFile f = AgentConfigFile.read(file("sensors:\n  apps: false\n  gpus: true\n"));
        assertThat(f.sensors).containsEntry("apps", false).containsEntry("gpus", true);
        error("sensors:\n  gpu: false\n", ":2:3: error: sensors.gpu unknown setting (known here: platform, cpu, memory, gpus, nics, disks, "
                + "os, kernel, security, apps, migration, host, updates)");
        error("sensors:\n  apps: \"no\"\n", ":2:9: error: sensors.apps must be true or false, found \"no\"");
    }

    private void error(String yaml, String message) throws IOException {
        Path f = file(yaml);
        assertThatThrownBy(() -> AgentConfigFile.read(f)).as(yaml).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(f + message);
    }

    @Test
    void serverUrlIsReadAndABadOneIsAnErrorAtItsPlace() throws IOException {
        assertThat(AgentConfigFile.read(file("server:\n  url: https://fleet.example:8443\n")).server)
                .isEqualTo(URI.create("https://fleet.example:8443"));
        assertThat(AgentConfig.builder().file(AgentConfigFile.read(file("server: {url: 'http://127.0.0.1:8780'}\n"))).build().server())
                .isEqualTo(URI.create("http://127.0.0.1:8780"));
        // the command line's "" turns the file's server off
        assertThat(AgentConfig.builder().file(AgentConfigFile.read(file("server: {url: 'http://127.0.0.1:8780'}\n"))).server("").build()
                .server()).isNull();
        assertThatThrownBy(() -> AgentConfigFile.read(file("mode: plan\nserver:\n  url: ftp://fleet\n")))
                .hasMessageContaining("agent.yaml:3:8").hasMessageContaining("server.url").hasMessageContaining("https://");
        assertThatThrownBy(() -> AgentConfigFile.read(file("server:\n  adress: https://fleet\n")))
                .hasMessageContaining("agent.yaml:2:3").hasMessageContaining("adress");
    }
}
