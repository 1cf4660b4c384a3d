package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane end to end: a server (chameleon-server on the host's loopback, embedded
 * database) and three real agents ({@code java -jar chameleon.jar}), each in its own network,
 * mount and PID namespace with the fact tree of a different captured machine (VMware, KVM,
 * Hyper-V from ../shared/fixtures) as {@code --root}, whose {@code /proc/sys} is the namespace's
 * real one (bind-mounted), so the {@code net.*} sysctls they apply are applied for real in their
 * own namespace. Enrollment with {@code chameleon enroll}; a policy rolled out to a canary, then to
 * the rest its selector picks; the simulation of the next version agreeing with what the agents
 * then did; an outage (the server stopped: the agents keep enforcing the last good bundle, put
 * back a sysctl changed behind their back, queue their reports); the server started again: the
 * outboxes drain, and the server holds exactly the reports each agent made.
 */
@Timeout(600)
class NetnsFleetIT {
    @TempDir
    static Path tmp;

    static final String FIXTURES = System.getProperty("chameleon.fixtures", "../../shared/fixtures");

    @BeforeAll
    static void needsRoot() throws Exception {
        Proc id = Proc.run(List.of("id", "-u"), 10);
        assertThat(id.out().strip()).as("this test creates network namespaces and must run as root").isEqualTo("0");
    }

    static String policy(int somaxconn) {
        return """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: fleet-backlog}
                spec:
                  priority: 70
                  settings:
                    - sysctl: {key: net.core.somaxconn, value: %d}
                """.formatted(somaxconn);
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

    static NsAgent start(String name, String fixture, String token, Path relaySocket) throws Exception {
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

    static String kind(Path report) {
        try {
            return FleetServer.JSON.readTree(Files.readString(report)).path("kind").asText();
        } catch (IOException e) {
            return "?";
        }
    }

    @Test
    void enrollCanaryRolloutSimulationOutageAndExactCounts() throws Exception {
        List<NsAgent> agents = new ArrayList<>();
        try (FleetServer server = new FleetServer(tmp.resolve("server"))) {
            int port = server.port();
            String token = server.enrollToken(3);
            Map<String, String> fixtures = new LinkedHashMap<>();
            fixtures.put("vm-vmware", "glpi-agent-rhel-6.2-vmware-2vcpus");
            fixtures.put("vm-kvm", "cloud-init-LXD-kvm");
            fixtures.put("vm-hyperv", "glpi-agent-dmidecode-hyperv-gen1");
            for (Map.Entry<String, String> f : fixtures.entrySet()) {
                Path sock = tmp.resolve(f.getKey() + ".sock");
                LoopRelay.unixToTcp(sock, port);
                agents.add(start(f.getKey(), f.getValue(), token, sock));
            }
            try {
                assertThat(waitFor(() -> server.get("/api/v1/agents").json().path("total").asInt() == 3)).as(outputs(agents)).isTrue();
                Map<String, String> ids = new LinkedHashMap<>();
                Map<String, String> hv = new LinkedHashMap<>();
                for (JsonNode a : server.get("/api/v1/agents").json().path("items")) {
                    ids.put(a.path("hostname").asText(), a.path("id").asText());
                    hv.put(a.path("hostname").asText(), a.path("platform").path("hypervisor").asText());
                }
                // three different machines, as their fact trees say
                assertThat(hv).containsEntry("vm-vmware", "vmware").containsEntry("vm-kvm", "kvm").containsEntry("vm-hyperv", "hyperv");
                NsAgent vmware = agents.get(0);
                NsAgent kvm = agents.get(1);
                NsAgent hyperv = agents.get(2);
                assertThat(waitFor(() -> !hyperv.somaxconn().isEmpty())).isTrue();
                String start = hyperv.somaxconn();

                // v1, canary first: only the VMware agent, then the KVM one; the Hyper-V agent is not selected
                server.putPolicy("backlog", policy(8192));
                server.assign("backlog", "backlog", "platform.hypervisor in [\"vmware\", \"kvm\"]");
                String rollout = server.rollout("backlog", 1, List.of(ids.get("vm-vmware")), List.of(100));
                assertThat(waitFor(() -> vmware.somaxconn().equals("8192"))).as(outputs(agents)).isTrue();
                assertThat(kvm.somaxconn()).as("the canary goes first").isNotEqualTo("8192");
                assertThat(server.post("/api/v1/rollouts/" + rollout + "/advance", Map.of()).status()).isEqualTo(200);
                assertThat(waitFor(() -> kvm.somaxconn().equals("8192"))).as(outputs(agents)).isTrue();
                for (String h : List.of("vm-vmware", "vm-kvm")) {
                    assertThat(waitFor(() -> server.get("/api/v1/agents/" + ids.get(h) + "/current-values").body()
                            .contains("\"sysctl:net.core.somaxconn\":\"8192\""))).isTrue();
                }

                // v2 simulated, then rolled out: the agents do what the simulation said, the unselected one nothing
                FleetServer.Response sim = server.call("POST", "/api/v1/simulate?name=backlog", "application/yaml", policy(16384));
                assertThat(sim.status()).as(sim.body()).isEqualTo(200);
                Map<String, String> predicted = new LinkedHashMap<>();
                for (JsonNode r : sim.json().path("results")) {
                    for (JsonNode c : r.path("changes")) {
                        predicted.put(r.path("hostname").asText(), c.path("key").asText() + ":" + c.path("from").asText() + "->" + c.path("to").asText());
                    }
                }
                // the simulation runs the candidate on every agent; the Hyper-V agent never managed the key (unknown there)
                assertThat(predicted).containsEntry("vm-vmware", "sysctl:net.core.somaxconn:8192->16384")
                        .containsEntry("vm-kvm", "sysctl:net.core.somaxconn:8192->16384").doesNotContainKey("vm-hyperv");
                server.putPolicy("backlog", policy(16384));
                server.rollout("backlog", 2, List.of(), List.of(100));
                assertThat(waitFor(() -> vmware.somaxconn().equals("16384") && kvm.somaxconn().equals("16384"))).as(outputs(agents)).isTrue();
                assertThat(hyperv.somaxconn()).isEqualTo(start);

                // the outage: the last good bundle is enforced, reports wait on disk
                assertThat(waitFor(() -> agents.stream().allMatch(a -> a.outbox().isEmpty()))).isTrue();
                server.stop();
                vmware.signal("drift");
                assertThat(waitFor(() -> !Files.exists(tmp.resolve("vm-vmware.drift")))).isTrue();
                assertThat(waitFor(() -> vmware.somaxconn().equals("16384"))).as("put back without the server\n" + outputs(agents)).isTrue();
                assertThat(waitFor(() -> agents.stream().allMatch(a -> a.outbox().size() >= 3))).as("reports queue on disk").isTrue();

                server.restart(port);
                assertThat(waitFor(() -> server.get("/api/v1/agents/" + ids.get("vm-vmware") + "/events").body().contains("external-change")))
                        .as(outputs(agents)).isTrue();
            } finally {
                for (NsAgent a : agents) {
                    a.signal("stop");
                }
                for (NsAgent a : agents) {
                    if (!a.process().waitFor(120, TimeUnit.SECONDS)) {
                        a.process().destroyForcibly();
                    }
                }
            }
            // exact counts: what the server stored plus what is still in an outbox is every report the agent made
            for (NsAgent a : agents) {
                String out = Files.readString(a.output());
                Map<String, String> kv = at(out);
                assertThat(kv).as(out).containsEntry("relay", "0").containsEntry("enroll.rc", "0").doesNotContainKey("agent.died");
                String id = server.get("/api/v1/agents").json().path("items").findValues("hostname").stream()
                        .anyMatch(h -> h.asText().equals(a.name())) ? idOf(server, a.name()) : null;
                List<Path> left = a.outbox();
                long leftStatus = left.stream().filter(p -> kind(p).equals("status")).count();
                long leftChanges = left.stream().filter(p -> kind(p).equals("change-set")).count();
                assertThat(server.reports(id, "status") + leftStatus).as("status reports of " + a.name() + "\n" + out)
                        .isEqualTo(Long.parseLong(kv.get("passes")));
                assertThat(server.reports(id, "change-set") + leftChanges).as("change sets of " + a.name() + "\n" + out)
                        .isEqualTo(Long.parseLong(kv.get("changesets")));
            }
            assertThat(at(Files.readString(agents.get(0).output()))).containsEntry("somaxconn.end", "16384");
            assertThat(at(Files.readString(agents.get(2).output())).get("changesets")).isEqualTo("0");
        }
    }

    static String idOf(FleetServer server, String hostname) {
        for (JsonNode a : server.get("/api/v1/agents").json().path("items")) {
            if (a.path("hostname").asText().equals(hostname)) {
                return a.path("id").asText();
            }
        }
        throw new AssertionError("no agent " + hostname);
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
