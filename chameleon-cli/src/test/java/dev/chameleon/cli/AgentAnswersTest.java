package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.agent.loop.ControlSocket;
import dev.chameleon.agent.loop.Poll;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The running agent answers {@code facts}, {@code detect}, {@code plan}, {@code explain} and
 * {@code status} for the client ({@link AgentClient}) with the bytes the standalone path prints,
 * declines what it cannot answer so, and a client facing a stale, foreign, other-build or hanging
 * socket answers alone, says why on stderr and never prints a partial or wrong answer. A real
 * agent ({@code chameleon run} on a machine tree) on a real Unix socket; the misbehaving peers
 * are real listening sockets.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AgentAnswersTest {
    @TempDir
    Path tmp;
    Path root;
    Path policies;
    Path sock;
    Thread daemon;
    final AtomicReference<CliTest.Run> agentRun = new AtomicReference<>();

    @BeforeEach
    void agent() throws Exception {
        root = tmp.resolve("root");
        MachineTree.vmwareGuest(root);
        MachineTree.write(root, "/proc/sys/vm/swappiness", "60\n");
        MachineTree.write(root, "/proc/sys/vm/dirty_ratio", "20\n");
        MachineTree.write(root, "/proc/modules", "ext4 1000 1 - Live 0x0\n");
        policies = Files.createDirectories(tmp.resolve("policies"));
        Files.writeString(policies.resolve("p.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: tuned}
                spec:
                  when: platform.hypervisor == "vmware"
                  settings:
                    - sysctl: {key: vm.swappiness, value: 10}
                    - sysctl: {key: vm.dirty_ratio, value: 20}
                    - advice: {key: numa-pin, text: Pin the database to one NUMA node}
                ---
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: lower}
                spec:
                  priority: 10
                  settings:
                    - sysctl: {key: vm.swappiness, value: 30}
                """);
        sock = root.resolve("var/lib/chameleon/agent.sock");
        daemon = new Thread(() -> agentRun.set(CliTest.cli("run", "--root", root.toString(), "--policies", policies.toString(),
                "--interval", "1h", "--no-uevents")), "agent");
        daemon.start();
        Poll.until(() -> {
            try {
                return !daemon.isAlive() || ControlSocket.ask(sock, "status").contains("\"passes\":1");
            } catch (IOException e) {
                return false;
            }
        });
        assertThat(daemon.isAlive()).as("the agent runs: %s", agentRun.get()).isTrue();
        assertThat(ControlSocket.ask(sock, "status")).as("the agent answers on %s", sock).contains("\"passes\":1");
    }

    @AfterEach
    void stop() throws InterruptedException {
        daemon.interrupt();
        daemon.join(30_000);
        assertThat(daemon.isAlive()).as("the agent stopped").isFalse();
        assertThat(agentRun.get().code()).as(agentRun.get().err()).isZero();
    }

    /** What the client printed, its exit code, or null when it left the question to the standalone path. */
    record Client(Integer code, String out, String err) {
    }

    static Client client(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Integer code = AgentClient.serve(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Client(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Output less what differs between two collections of the same machine: the collection's time and each sensor's duration. */
    static String stable(String text) {
        return text.replaceAll("(?m)^(.*(collectedAt|durationMs)\\W*).*$", "$1");
    }

    @Test
    void everyCommandAndFormatPrintsWhatTheStandalonePathPrints() {
        String[] host = {"--root", root.toString()};
        String[] all = {"--root", root.toString(), "--policies", policies.toString()};
        List<String[]> asked = new ArrayList<>();
        for (String[] format : List.of(new String[0], new String[] {"-o", "json"}, new String[] {"-o", "yaml"}, new String[] {"--output=json"})) {
            asked.add(CliTest.concat(CliTest.concat(new String[] {"facts"}, host), format));
            asked.add(CliTest.concat(CliTest.concat(new String[] {"detect"}, host), format));
            asked.add(CliTest.concat(CliTest.concat(new String[] {"plan"}, all), format));
            asked.add(CliTest.concat(CliTest.concat(new String[] {"explain", "sysctl:vm.swappiness"}, all), format));
            asked.add(CliTest.concat(CliTest.concat(new String[] {"explain", "sysctl:vm.dirty_ratio", "--refresh"}, all), format));
        }
        asked.add(CliTest.concat(new String[] {"facts", "cpu", "platform"}, host));
        asked.add(CliTest.concat(new String[] {"facts", "--refresh", "-o", "json"}, host));
        asked.add(CliTest.concat(new String[] {"plan", "--exit-code"}, all));
        asked.add(CliTest.concat(new String[] {"explain", "sysctl:no.such.key"}, all));
        asked.add(CliTest.concat(new String[] {"explain", "nosuchkind:x"}, all));
        asked.add(CliTest.concat(new String[] {"facts", "nosuchsensor"}, host));
        for (String[] args : asked) {
            Client served = client(args);
            CliTest.Run alone = CliTest.cli(CliTest.concat(args, new String[] {"--standalone"}));
            String what = String.join(" ", args);
            assertThat(served.code()).as("the agent answered: " + what + "; stderr: " + served.err()).isNotNull();
            assertThat(served.code()).as(what).isEqualTo(alone.code());
            assertThat(stable(served.out())).as(what).isEqualTo(stable(alone.out()));
            assertThat(served.err()).as(what).isEqualTo(alone.err());
        }
        // the volatile lines masked above are there, and only those differ
        assertThat(client(CliTest.concat(new String[] {"facts", "-o", "json"}, host)).out()).contains("\"durationMs\"").contains("\"platform\"");
        assertThat(client(CliTest.concat(new String[] {"plan"}, all)).out()).contains("sysctl:vm.swappiness").contains("60 -> 10");
    }

    @Test
    void statusPrintsWhatTheFullCommandLinePrints() {
        for (String[] args : List.of(new String[] {"status", "--socket", sock.toString()}, new String[] {"status", "--root", root.toString(), "--json"})) {
            Client served = client(args);
            CliTest.Run full = CliTest.cli(args);
            assertThat(served.code()).as(served.err()).isEqualTo(0);
            assertThat(full.code()).as(full.err()).isZero();
            // the agent's cost (RSS, CPU, heap) moves between two asks; everything else is the same
            String mask = "(?m)^Cost: .*$|\"cost\":\\{[^}]*\\}";
            assertThat(served.out().replaceAll(mask, "")).isEqualTo(full.out().replaceAll(mask, "")).contains("vmware");
        }
    }

    @Test
    void whatTheAgentCannotAnswerAsTheStandalonePathWouldIsLeftToIt() throws IOException {
        String[] host = {"--root", root.toString()};
        // other options than the agent runs with: other policies, no policies folder, a sensor off
        assertThat(client(CliTest.concat(new String[] {"plan", "--no-default-policies"}, CliTest.concat(host, new String[] {"--policies", policies.toString()})))
                .code()).isNull();
        Client other = client(CliTest.concat(new String[] {"plan"}, host));
        assertThat(other.code()).isNull();
        assertThat(other.err()).as("a decline is not a problem to report").isEmpty();
        assertThat(client(CliTest.concat(new String[] {"facts", "--no-sensor", "apps"}, host)).code()).isNull();
        // the same folder named relatively, from another working folder, is another question
        assertThat(client("plan", "--root", root.toString(), "--policies", "policies").code()).isNull();
        // a command line that does not parse, help and --standalone: the full command line answers
        assertThat(client(CliTest.concat(new String[] {"plan", "--no-such-option"}, host)).code()).isNull();
        assertThat(client(CliTest.concat(new String[] {"facts", "--help"}, host)).code()).isNull();
        assertThat(client(CliTest.concat(new String[] {"facts", "--standalone"}, host)).code()).isNull();
        // a policy file changed since the agent compiled it: not its compiled policies
        String[] all = CliTest.concat(new String[] {"plan", "-o", "json"}, CliTest.concat(host, new String[] {"--policies", policies.toString()}));
        assertThat(client(all).code()).isZero();
        Files.writeString(policies.resolve("p.yaml"), Files.readString(policies.resolve("p.yaml")).replace("value: 10", "value: 11"));
        Client changed = client(all);
        assertThat(changed.code()).as("declined until the agent has compiled the new file").isNull();
        assertThat(CliTest.cli(CliTest.concat(all, new String[] {"--standalone"})).out()).contains("\"11\"");
        // the agent reloads the folder it watches; then it answers again, with the new value
        try {
            assertThat(Poll.until(() -> client(all).code() != null)).as("served again after the reload").isTrue();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
        assertThat(client(all).out()).contains("\"11\"");
    }

    @Test
    void theAgentDeclinesARequestFromAnotherBuild() throws IOException {
        byte[] req = AgentClient.request(new String[] {"facts", "--root", root.toString()});
        String text = new String(req, StandardCharsets.UTF_8).replace(AgentClient.build(), "0.0.1+other");
        String reply = raw(sock, text.getBytes(StandardCharsets.UTF_8));
        assertThat(reply).isEqualTo(AgentClient.MAGIC + " " + AgentClient.build() + " other-build\n");
        assertThat(raw(sock, "chameleon/1\0garbage".getBytes(StandardCharsets.UTF_8))).startsWith(AgentClient.MAGIC + " ").contains("decline");
        // the agent still answers after both
        assertThat(client("facts", "--root", root.toString(), "-o", "json").code()).isZero();
    }

    private static String raw(Path sock, byte[] request) throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(sock))) {
            c.write(ByteBuffer.wrap(request));
            c.shutdownOutput();
            return new String(java.nio.channels.Channels.newInputStream(c).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** A peer on {@code path} that reads each request and then answers with {@code behaviour}, until closed. */
    static final class Peer implements AutoCloseable {
        final ServerSocketChannel server;
        final Thread thread;

        Peer(Path path, Consumer<SocketChannel> behaviour) throws IOException {
            server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            server.bind(UnixDomainSocketAddress.of(path));
            thread = new Thread(() -> {
                while (server.isOpen()) {
                    try {
                        SocketChannel c = server.accept();
                        java.nio.channels.Channels.newInputStream(c).readAllBytes(); // the request, up to the client's end of output
                        behaviour.accept(c);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "peer");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws Exception {
            server.close();
            thread.join(5_000);
        }
    }

    static void send(SocketChannel c, String text) {
        try {
            c.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            // the client gave up
        }
    }

    @Test
    void aClientFacingABadSocketAnswersAloneAndSaysWhy() throws Exception {
        Path bad = Files.createDirectories(tmp.resolve("bad"));
        String[] facts = {"facts", "--root", root.toString(), "-o", "json"};
        String expected = stable(CliTest.cli(facts).out());
        // a stale socket: the file is there, nobody listens
        Path stale = bad.resolve("stale.sock");
        try (ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.bind(UnixDomainSocketAddress.of(stale));
        }
        Client c = client(CliTest.concat(facts, new String[] {"--socket", stale.toString()}));
        assertThat(c.code()).isNull();
        assertThat(c.out()).isEmpty();
        assertThat(c.err()).contains("no agent answers on " + stale).contains("answering without it");
        // the whole command line, as Main runs it after the client gave up, prints the standalone answer
        assertThat(stable(CliTest.cli(CliTest.concat(facts, new String[] {"--socket", stale.toString()})).out())).isEqualTo(expected);

        // something else listens: an HTTP server's refusal
        try (Peer p = new Peer(bad.resolve("http.sock"), ch -> {
            send(ch, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            close(ch);
        })) {
            Client h = client(CliTest.concat(facts, new String[] {"--socket", bad.resolve("http.sock").toString()}));
            assertThat(h.code()).isNull();
            assertThat(h.out()).isEmpty();
            assertThat(h.err()).contains("did not answer as a chameleon agent");
        }
        // an agent of another build
        try (Peer p = new Peer(bad.resolve("old.sock"), ch -> {
            send(ch, AgentClient.MAGIC + " 0.0.9+old ok 0 5 0\nhello");
            close(ch);
        })) {
            Client o = client(CliTest.concat(facts, new String[] {"--socket", bad.resolve("old.sock").toString()}));
            assertThat(o.code()).isNull();
            assertThat(o.out()).as("never another build's answer").isEmpty();
            assertThat(o.err()).contains("is another build (0.0.9+old; this command is " + AgentClient.build() + ")");
        }
        // an answer cut short: fewer bytes than announced, then the connection closes
        try (Peer p = new Peer(bad.resolve("short.sock"), ch -> {
            send(ch, AgentClient.MAGIC + " " + AgentClient.build() + " ok 0 100 0\n{\"platform\"");
            close(ch);
        })) {
            Client s = client(CliTest.concat(facts, new String[] {"--socket", bad.resolve("short.sock").toString()}));
            assertThat(s.code()).isNull();
            assertThat(s.out()).as("never a partial answer").isEmpty();
            assertThat(s.err()).contains("sent a broken answer (11 bytes, 100 announced)");
        }
        // an agent that hangs before answering, and one that hangs mid-answer: given up after the limit
        List<SocketChannel> held = new ArrayList<>();
        for (String prefix : List.of("", AgentClient.MAGIC + " " + AgentClient.build() + " ok 0 100 0\n{\"plat")) {
            Path hang = bad.resolve("hang" + prefix.length() + ".sock");
            try (Peer p = new Peer(hang, ch -> {
                send(ch, prefix);
                held.add(ch); // never closed while the client waits
            })) {
                long t0 = System.nanoTime();
                AgentClient.NoAnswer e = org.junit.jupiter.api.Assertions.assertThrows(AgentClient.NoAnswer.class,
                        () -> AgentClient.ask(hang, CliTest.concat(facts, new String[] {"--socket", hang.toString()}), 500));
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertThat(e.getMessage()).contains("did not answer within 500 ms");
                assertThat(ms).as("it waited for the limit").isGreaterThanOrEqualTo(500);
            }
        }
        for (SocketChannel ch : held) {
            close(ch);
        }
        // a path that is not a socket at all: nobody answers there; the standalone path answers
        Path file = Files.writeString(bad.resolve("file.sock"), "x");
        Client f = client(CliTest.concat(facts, new String[] {"--socket", file.toString()}));
        assertThat(f.code()).isNull();
        assertThat(f.out()).isEmpty();
        // no socket at all: nothing to say
        Client none = client(CliTest.concat(facts, new String[] {"--socket", bad.resolve("none.sock").toString()}));
        assertThat(none.code()).isNull();
        assertThat(none.err()).isEmpty();
    }

    private static void close(SocketChannel c) {
        try {
            c.close();
        } catch (IOException e) {
            // closed already
        }
    }
}
