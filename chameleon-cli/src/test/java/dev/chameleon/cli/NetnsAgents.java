package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Real agents ({@code java -jar chameleon.jar}) for the control plane's end-to-end tests, each in
 * its own network, mount and PID namespace with the fact tree of a captured machine from
 * ../shared/fixtures as {@code --root}, whose {@code /proc/sys} is the namespace's real one
 * (bind-mounted), so the {@code net.*} sysctls they apply are applied for real in their own
 * namespace. Each reaches the server on the host's loopback through a {@link LoopRelay} over a
 * Unix socket (a namespace has its own loopback). Used by {@code NetnsFleetIT} and
 * {@code ConsoleFleetIT}.
 */
final class NetnsAgents {
    static final String FIXTURES = System.getProperty("chameleon.fixtures", "../../shared/fixtures");

    private NetnsAgents() {
    }

    /** Asks every agent to stop (the daemon gets SIGTERM, its script reports), waiting up to 120 s for each; a hung one is killed. */
    static void stopAll(List<NsAgent> agents) throws Exception {
        for (NsAgent a : agents) {
            a.signal("stop");
        }
        for (NsAgent a : agents) {
            if (!a.process().waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
                a.process().destroyForcibly();
            }
        }
    }

    /** Fails (never skips) a test that creates namespaces when not run as root. */
    static void requireRoot() throws Exception {
        Proc id = Proc.run(List.of("id", "-u"), 10);
        assertThat(id.out().strip()).as("this test creates network namespaces and must run as root").isEqualTo("0");
    }

    /** One agent in its namespaces: the script's process and where it writes. */
    record NsAgent(String name, Path state, Process process, Path output) {
        String somaxconn() {
            try {
                return Files.readString(state.resolveSibling(name + ".somaxconn")).strip();
            } catch (IOException e) {
                return "";
            }
        }

        void signal(String what) throws IOException {
            Files.writeString(state.resolveSibling(name + "." + what), "");
        }

        List<Path> outbox() {
            Path dir = state.resolve("server/outbox");
            if (!Files.isDirectory(dir)) {
                return List.of();
            }
            try (Stream<Path> s = Files.list(dir)) {
                return s.filter(p -> p.toString().endsWith(".json")).toList();
            } catch (IOException e) {
                return List.of();
            }
        }
    }

    /**
     * Starts an agent: enrolls it with the token, then runs the daemon in apply mode every 2 s until
     * {@code NAME.stop} appears beside its state folder; its script's output goes to {@code tmp/NAME.out}.
     */
    static NsAgent start(Path tmp, String name, String fixture, String token, Path relaySocket) throws Exception {
        Path fx = Path.of(FIXTURES, "platform", fixture);
        assertThat(fx).as("fixture case " + fx + " (set -Dchameleon.fixtures)").isDirectory();
        Path root = tmp.resolve(name + "-root");
        Files.createDirectories(root);
        if (Files.isDirectory(fx.resolve("root"))) {
            Proc cp = Proc.run(List.of("cp", "-a", fx.resolve("root") + "/.", root.toString()), 60);
            assertThat(cp.code()).as(cp.out()).isZero();
        }
        Files.createDirectories(root.resolve("proc/sys"));
        String commands = Files.isDirectory(fx.resolve("commands")) ? "--commands " + fx.resolve("commands") : "";
        Path state = tmp.resolve(name + "-state");
        String testClasses = new File(LoopRelay.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getPath();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path base = tmp.resolve(name);
        Path script = tmp.resolve(name + ".sh");
        Files.writeString(script, """
                set -u
                chameleon() { %s "$@"; }
                agent() { exec %s "$@"; }
                until_() { local n=0; while ! eval "$1"; do n=$((n+1)); [ $n -ge $2 ] && return 1; sleep 0.2; done; }
                B=%s; STATE=%s; ROOT=%s
                ip link set lo up
                mount --make-rprivate /
                mount --bind /proc/sys $ROOT/proc/sys
                %s -cp %s dev.chameleon.cli.LoopRelay 127.0.0.1:8780 %s &
                RELAY=$!
                until_ "(exec 3<>/dev/tcp/127.0.0.1/8780) 2>/dev/null" 300; echo "@relay=$?"
                echo "@somaxconn.start=$(cat /proc/sys/net/core/somaxconn)"
                chameleon enroll http://127.0.0.1:8780 --token %s --hostname %s --root $ROOT %s --state-dir $STATE; echo "@enroll.rc=$?"
                agent run --server http://127.0.0.1:8780 --root $ROOT %s --state-dir $STATE --mode apply --interval 2s --splay 0s \\
                    --no-default-policies --no-system-policies --no-uevents > $STATE.log 2>&1 &
                AGENT=$!
                while [ ! -e $B.stop ]; do
                  cat /proc/sys/net/core/somaxconn > $B.somaxconn.tmp && mv $B.somaxconn.tmp $B.somaxconn
                  if [ -e $B.drift ]; then echo 1234 > /proc/sys/net/core/somaxconn; rm -f $B.drift; echo "@drift.made"; fi
                  kill -0 $AGENT 2>/dev/null || { echo "@agent.died"; break; }
                  sleep 0.3
                done
                kill -TERM $AGENT; wait $AGENT; echo "@agent.rc=$?"
                kill $RELAY
                echo "@passes=$(grep -c '"event":"pass"' $STATE/events.jsonl)"
                echo "@changesets=$(grep -c '"event":"change-set"' $STATE/events.jsonl)"
                echo "@externalchanges=$(grep -c '"event":"external-change"' $STATE/events.jsonl)"
                echo "@somaxconn.end=$(cat /proc/sys/net/core/somaxconn)"
                echo "--- agent log"; tail -n 40 $STATE.log
                """.formatted(Proc.shellWords(Proc.chameleon()), Proc.shellWords(Proc.chameleon()), base, state, root, java, testClasses,
                relaySocket, token, name, commands, commands));
        Path output = tmp.resolve(name + ".out");
        Process p = new ProcessBuilder("unshare", "--net", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--", "bash",
                script.toString()).redirectErrorStream(true).redirectOutput(output.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        return new NsAgent(name, state, p, output);
    }

    static boolean waitFor(BooleanSupplier c) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < until) {
            if (c.getAsBoolean()) {
                return true;
            }
            Thread.sleep(200);
        }
        return c.getAsBoolean();
    }

    static Map<String, String> at(String out) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            int eq = line.indexOf('=');
            if (line.startsWith("@") && eq > 0) {
                kv.put(line.substring(1, eq), line.substring(eq + 1).strip());
            }
        }
        return kv;
    }

    static String outputs(List<NsAgent> agents) {
        StringBuilder sb = new StringBuilder();
        for (NsAgent a : agents) {
            try {
                sb.append("--- ").append(a.name()).append('\n').append(Files.readString(a.output()));
                Path log = Path.of(a.state() + ".log");
                if (Files.exists(log)) {
                    sb.append("--- log\n").append(Files.readString(log));
                }
            } catch (IOException e) {
                sb.append(e);
            }
        }
        return sb.toString();
    }
}
