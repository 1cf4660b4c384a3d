package dev.chameleon.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The healthGate mapping of agent.yaml: values, defaults, and every problem at its file:line:column. */
class HealthGateConfigTest {
    @TempDir
    Path tmp;

    Path file(String text) throws IOException {
        return Files.writeString(tmp.resolve("agent.yaml"), text);
    }

    @Test
    void theShippedFileHasTheGateOff() {
        Path shipped = Path.of(System.getProperty("chameleon.repo", "../"), "chameleon-packaging/src/deb/files/agent.yaml");
        HealthGate.Settings s = HealthGateConfig.read(shipped);
        assertThat(s.enabled()).isFalse();
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.settle()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void readsEveryKey() throws IOException {
        HealthGate.Settings s = HealthGateConfig.read(file("""
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
    void emptyOrMissingIsOff() throws IOException {
        assertThat(HealthGateConfig.read(file("version: 1\n")).enabled()).isFalse();
        assertThat(HealthGateConfig.read(file("healthGate:\n")).enabled()).isFalse();
        assertThat(HealthGateConfig.read(file("healthGate: {command: [], url: \"\"}\n")).enabled()).isFalse();
        HealthGate.Settings onlyUrl = HealthGateConfig.read(file("healthGate:\n  url: http://127.0.0.1:9/x\n"));
        assertThat(onlyUrl.command()).isEmpty();
        assertThat(onlyUrl.settle()).isEqualTo(HealthGate.Settings.DEFAULT_SETTLE);
    }

    /** Each bad value: the message starts with file:line:column of the value, names the key, and shows the line with a caret. */
    @Test
    void problemsArePositioned() throws IOException {
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
        bad(head + "  timeout: 30\n", 3, 12, "healthGate.timeout", "a bare number would be a guess");
        bad(head + "  timeout: 0s\n", 3, 12, "healthGate.timeout", "must be more than 0");
        bad(head + "  settle: soon\n", 3, 11, "healthGate.settle", "'soon' is not a duration");
        bad(head + "  settle: 2h\n", 3, 11, "healthGate.settle", "must be from 0s to 10m");
        bad(head + "  timeout: 1s\n  retries: 3\n", 4, 3, "healthGate.retries", "unknown setting");
        bad("healthGate: [/bin/true]\n", 1, 13, "healthGate", "must be a mapping");
        // found by a trial of run --config: a port past 65535 was taken
        bad(head + "  url: http://127.0.0.1:99999/\n", 3, 8, "healthGate.url", "port 99999 is out of range (1-65535)");
    }

    void bad(String yaml, int line, int column, String key, String why) throws IOException {
        Path f = file(yaml);
        String excerpt = yaml.lines().toList().get(line - 1);
        assertThatThrownBy(() -> HealthGateConfig.read(f)).as(yaml)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(f + ":" + line + ":" + column + ": error: " + key + " ")
                .hasMessageContaining(why)
                .hasMessageEndingWith("\n  " + excerpt + "\n  " + " ".repeat(column - 1) + "^");
    }

    @Test
    void settingsAreImmutable() throws IOException {
        HealthGate.Settings s = HealthGateConfig.read(file("healthGate: {command: [/bin/true]}\n"));
        assertThatThrownBy(() -> s.command().add("x")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(s.describe()).containsEntry("command", List.of("/bin/true")).containsEntry("timeout", "30s")
                .containsEntry("settle", "5s").containsEntry("url", "");
    }
}
