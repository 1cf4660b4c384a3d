package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.agent.loop.ControlSocket;
import dev.chameleon.agent.loop.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 'chameleon run' refuses a bad agent.yaml or bad options with the place and the reason, before
 * it senses or changes anything; and one state folder has one agent. Runs against a fixture
 * tree (--root), never the live machine.
 */
class RunConfigTest {
    @TempDir
    Path tmp;
    Path root;
    Path cfg;

    @BeforeEach
    void tree() throws IOException {
        root = tmp.resolve("root");
        MachineTree.vmwareGuest(root);
        MachineTree.write(root, "/proc/sys/vm/swappiness", "60\n");
        cfg = tmp.resolve("agent.yaml");
    }

    String[] run(String... more) {
        return AgentLoopTest.concat(new String[] {"run", "--root", root.toString(), "--state-dir", tmp.resolve("state").toString(),
                "--max-passes", "1", "--no-uevents"}, more);
    }

    CliTest.Run bad(String yaml, String... more) throws IOException {
        Files.writeString(cfg, yaml);
        var r = CliTest.cli(run(AgentLoopTest.concat(new String[] {"--config", cfg.toString()}, more)));
        assertThat(r.code()).as(r.out() + r.err()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.out()).as("nothing ran").doesNotContain("pass ");
        return r;
    }

    @Test
    void aRepeatedKeyIsAnErrorNotTheLastOneWins() throws IOException {
        var r = bad("version: 1\nmode: plan\ninterval: 60s\nmode: apply\n");
        assertThat(r.err()).contains("--config " + cfg + ":4:1: error: duplicate key 'mode' (also at line 2)").contains("  mode: apply");
    }

    @Test
    void enumeratedValuesAreExact() throws IOException {
        assertThat(bad("mode: APPLY\n").err()).contains(cfg + ":1:7: error: mode is plan or apply, found 'APPLY'");
        assertThat(bad("log:\n  format: JSON\n").err()).contains(cfg + ":2:11: error: log.format is text or json, found 'JSON'");
        assertThat(bad("mode: [apply]\n").err()).contains(cfg + ":1:7: error: mode is plan or apply");
    }

    @Test
    void durationsAreCheckedAtTheirPlace() throws IOException {
        assertThat(bad("interval: 60\n").err()).contains(cfg + ":1:11: error: interval must be a duration with its unit")
                .doesNotContain("--interval");
        assertThat(bad("interval: soon\n").err()).contains(cfg + ":1:11: error: interval is not a duration");
        assertThat(bad("interval: 500ms\n").err()).contains(cfg + ":1:11: error: interval must be at least 1s, found '500ms'");
        assertThat(bad("interval: 10s\nsplay: 1m\n").err()).contains(cfg + ":2:8: error: splay must be between 0s and the interval (10s)");
        assertThat(bad("antiFlap:\n  window: 0s\n").err()).contains(cfg + ":2:11: error: antiFlap.window must be longer than 0s");
        assertThat(bad("antiFlap:\n  maxChanges: 2.5\n").err()).contains(cfg + ":2:15: error: antiFlap.maxChanges must be a whole number");
        assertThat(bad("cloudMetadata:\n  timeout: abc\n").err()).contains(cfg + ":2:12: error: cloudMetadata.timeout is not a duration");
        assertThat(bad("cloudMetadata:\n  timeout: 0s\n").err()).contains("cloudMetadata.timeout must be longer than 0s");
        // the command line wins, but a typo in the file is still a typo
        assertThat(bad("interval: 5\n", "--interval", "60s").err()).contains(cfg + ":1:11: error: interval must be a duration");
    }

    @Test
    void pathsAreAbsolute() throws IOException {
        assertThat(bad("stateDir: relative/dir\n").err()).contains(cfg + ":1:11: error: stateDir must be an absolute path, found 'relative/dir'");
        assertThat(bad("events:\n  file: rel.jsonl\n").err()).contains(cfg + ":2:9: error: events.file must be an absolute path");
        assertThat(bad("policies:\n  dirs: [/etc/chameleon/policies.d, local]\n").err())
                .contains(cfg + ":2:37: error: policies.dirs.1 must be an absolute path, found 'local'");
    }

    @Test
    void unknownKeysAndBrokenYamlArePositioned() throws IOException {
        assertThat(bad("version: 1\nantiFlap:\n  maxChange: 3\n").err())
                .contains(cfg + ":3:3: error: antiFlap.maxChange unknown setting (known here: maxChanges, window)");
        var yaml = bad("version: 1\nhealthGate: {url: \"\"\n");
        assertThat(yaml.err()).contains("--config " + cfg + ":").contains("error: not YAML:").doesNotContain("[Source:");
    }

    /** Found by a second trial: nulls, odd versions, a second document, overridden values and huge files. */
    @Test
    void moreBadFilesAreRefusedAtTheirPlace() throws IOException {
        assertThat(bad("mode: ~\n").err()).contains(cfg + ":1:7: error: mode has no value; leave the key out to take its default");
        assertThat(bad("version: 1\nmode:\n").err()).contains(cfg + ":2:").contains("mode has no value");
        assertThat(bad("healthGate:\n  timeout: ~\n").err()).contains(cfg + ":2:12: error: healthGate.timeout has no value");
        for (String v : new String[] {"true", "\"1\"", "1.0", "2"}) {
            assertThat(bad("version: " + v + "\n").err()).as(v).contains(cfg + ":1:10: error: version must be 1");
        }
        assertThat(bad("mode: plan\n---\nmode: apply\n").err()).contains(cfg + ":3:1: error: a second YAML document");
        // the file's own values are checked even where a flag wins
        assertThat(bad("interval: 0s\n", "--interval", "60s").err()).contains(cfg + ":1:11: error: interval must be at least 1s");
        assertThat(bad("debounce: 11s\n", "--debounce", "1s").err()).contains(cfg + ":1:11: error: debounce must be between 0s and 10s");
        assertThat(bad("antiFlap:\n  window: 0s\n", "--flap-window", "1h").err()).contains(cfg + ":2:11: error: antiFlap.window must be longer");
        assertThat(bad("interval: 60s\nsplay: 2m\n", "--splay", "1s").err()).contains(cfg + ":2:8: error: splay must be between 0s and the interval (60s)");
        // size and long lines
        var big = bad("mode: plan\n" + "#".repeat((int) dev.chameleon.agent.loop.YamlTree.MAX_BYTES) + "\n");
        assertThat(big.err()).contains("a configuration file has at most 1048576");
        var longLine = bad("mode: " + "a".repeat(100_000) + "\n");
        assertThat(longLine.err()).contains(cfg + ":1:7: error: mode is plan or apply").hasSizeLessThan(1500);
        var missing = CliTest.cli(run("--config", tmp.resolve("nowhere.yaml").toString()));
        assertThat(missing.code()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(missing.err()).contains("--config " + tmp.resolve("nowhere.yaml") + ": no such file");
    }

    /** Found by a second trial: a socket path that names a file or a folder deleted it. */
    @Test
    void aSocketPathThatIsNotASocketIsLeftAloneAndRefused() throws IOException {
        Path victim = Files.writeString(tmp.resolve("victim.txt"), "precious");
        var r = CliTest.cli(run("--socket", victim.toString()));
        assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(r.err()).contains(victim + " exists and is not a socket (a regular file)");
        assertThat(victim).hasContent("precious");
        Path folder = Files.createDirectories(tmp.resolve("folder"));
        Files.writeString(folder.resolve("x"), "x");
        var d = CliTest.cli(run("--socket", folder.toString()));
        assertThat(d.code()).as(d.err()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(d.err()).contains("(a folder)");
        assertThat(folder.resolve("x")).exists();
        var longPath = CliTest.cli(run("--socket", tmp.resolve("s".repeat(120)).toString()));
        assertThat(longPath.code()).as(longPath.err()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(longPath.err()).contains("too long for a Unix socket");
    }

    @Test
    void optionsOutOfRangeAreRefused() {
        for (String[] opts : new String[][] {{"--interval", "100ms"}, {"--splay", "2m", "--interval", "1m"}, {"--flap-limit", "0"},
                {"--flap-window", "0s"}, {"--debounce", "1m"}}) {
            var r = CliTest.cli(run(opts));
            assertThat(r.code()).as(String.join(" ", opts) + ": " + r.err()).isEqualTo(ExitCode.BAD_INPUT);
            assertThat(r.err()).contains(opts[0] + " " + opts[1] + ": must");
        }
        for (String n : new String[] {"0", "-1"}) {
            var r = CliTest.cli("run", "--root", root.toString(), "--state-dir", tmp.resolve("state").toString(), "--no-uevents",
                    "--max-passes", n);
            assertThat(r.code()).as(r.err()).isEqualTo(ExitCode.BAD_INPUT);
            assertThat(r.err()).contains("--max-passes " + n + ": must be at least 1");
        }
    }

    /** Regression: a second agent on the same state folder started, and on exit deleted the first one's socket. */
    @Test
    void aSecondAgentOnTheSameStateFolderIsRefusedAndTheFirstKeepsItsSocket() throws Exception {
        Path state = tmp.resolve("shared-state");
        AtomicReference<CliTest.Run> first = new AtomicReference<>();
        Thread daemon = new Thread(() -> first.set(CliTest.cli("run", "--root", root.toString(), "--state-dir", state.toString(),
                "--interval", "1h", "--no-uevents")), "first-agent");
        daemon.start();
        Path sock = state.resolve("agent.sock");
        try {
            assertThat(Poll.until(() -> {
                try {
                    return ControlSocket.ask(sock, "status").contains("\"passes\":1");
                } catch (IOException e) {
                    return false;
                }
            })).as("first agent answers").isTrue();
            var second = CliTest.cli("run", "--root", root.toString(), "--state-dir", state.toString(), "--max-passes", "1", "--no-uevents");
            assertThat(second.code()).as(second.err()).isEqualTo(ExitCode.REFUSED);
            assertThat(second.err()).contains("another agent (pid " + ProcessHandle.current().pid() + ") runs with the state folder " + state);
            // another state folder but the same socket: the agent answering there is named
            var sameSocket = CliTest.cli("run", "--root", root.toString(), "--state-dir", tmp.resolve("other-state").toString(),
                    "--socket", sock.toString(), "--max-passes", "1", "--no-uevents");
            assertThat(sameSocket.code()).as(sameSocket.err()).isEqualTo(ExitCode.REFUSED);
            assertThat(sameSocket.err()).contains("another agent (pid " + ProcessHandle.current().pid() + ") answers on " + sock);
            assertThat(ControlSocket.ask(sock, "status")).as("the first agent still answers").contains("\"passes\":1");
            // another socket does not make it another agent: the state folder is locked
            var fourth = CliTest.cli("run", "--root", root.toString(), "--state-dir", state.toString(), "--socket",
                    tmp.resolve("other.sock").toString(), "--max-passes", "1", "--no-uevents");
            assertThat(fourth.code()).as(fourth.err()).isEqualTo(ExitCode.REFUSED);
            assertThat(fourth.err()).contains("runs with the state folder " + state);
            var status = CliTest.cli("status", "--state-dir", state.toString());
            assertThat(status.code()).as(status.err()).isZero();
            assertThat(status.out()).contains("Platform: hypervisor vmware, cloud none, container none, confidence")
                    .as("evidence stays in --json").doesNotContain("evidence");
        } finally {
            daemon.interrupt();
            daemon.join(10_000);
        }
        assertThat(first.get().code()).isZero();
        // the first agent is gone: a socket file nobody listens on (left by a killed agent) is stale and replaced
        try (var stale = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            stale.bind(java.net.UnixDomainSocketAddress.of(sock));
        }
        assertThat(sock).exists();
        var third = CliTest.cli("run", "--root", root.toString(), "--state-dir", state.toString(), "--max-passes", "1", "--no-uevents");
        assertThat(third.code()).as(third.err()).isZero();
        assertThat(sock).doesNotExist();
    }
}
