package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chameleon tune} for real, inside throwaway network namespaces ({@code unshare --net}):
 * the knobs are per-namespace sysctls written in the running kernel, the workload is iperf3 over
 * loopback (or, where a test needs an exact, noise-free objective, the knob's own value read back
 * from {@code /proc/sys}; said at each such test). The machine's own namespace is never touched.
 */
class NetnsTuneIT {
    @TempDir
    static Path tmp;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void needsRootAndIperf3() throws Exception {
        assertThat(Proc.run(List.of("id", "-u"), 10).out().strip()).as("this test creates network namespaces and must run as root")
                .isEqualTo("0");
        assertThat(Proc.run(List.of("sh", "-c", "command -v iperf3"), 10).code())
                .as("iperf3 is missing: ./test installs it (apt-get install iperf3)").isZero();
    }

    /**
     * Runs {@code script} with bash in a new network namespace with loopback up and an iperf3
     * server on 127.0.0.1:5201 (stopped by pid at the end); {@code $CHAMELEON} is replaced by the
     * packaged agent's command line (so {@code $CHAMELEON ... &} gives the JVM's own pid in {@code $!}). Lines {@code @KEY=VALUE} become the map.
     */
    static Map<String, String> inNamespace(String script, StringBuilder log) throws Exception {
        Path f = tmp.resolve("step-" + System.nanoTime() + ".sh");
        Files.writeString(f, "set -u\n"
                + "ip link set lo up\niperf3 -s -p 5201 >/dev/null 2>&1 &\nSERVER=$!\ntrap 'kill $SERVER 2>/dev/null' EXIT\nsleep 0.5\n"
                + script.replace("$CHAMELEON", Proc.shellWords(Proc.chameleon())));
        Proc p = Proc.run(List.of("unshare", "--net", "--", "bash", f.toString()), 400);
        log.append(p.out());
        assertThat(p.code()).as("namespace script failed:\n" + p.out()).isEqualTo(0);
        Map<String, String> kv = new LinkedHashMap<>();
        for (String line : p.out().split("\n")) {
            if (line.startsWith("@")) {
                int eq = line.indexOf('=');
                kv.put(line.substring(1, eq), line.substring(eq + 1).strip().replaceAll("\\s+", " "));
            }
        }
        return kv;
    }

    static Path file(String name, String text) throws Exception {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return p;
    }

    static Path script(String name, String text) throws Exception {
        Path p = file(name, "#!/bin/sh\n" + text);
        p.toFile().setExecutable(true);
        return p;
    }

    /** One iperf3 measurement over loopback, in Gbit/s (the last bits_per_second of its JSON is the receiver's). */
    static Path iperfProbe() throws Exception {
        return script("iperf.sh", """
                set -eu
                iperf3 -c 127.0.0.1 -p 5201 -t 1 -J | sed -n 's/.*"bits_per_second":[[:space:]]*\\([0-9.e+]*\\).*/\\1/p' | tail -n 1 \
                  | awk '{ printf "%.3f\\n", $1 / 1e9 }'
                """);
    }

    static String tuning(String name, String probe, int repeats, String knobs, String budget, String guardrail) {
        return """
                apiVersion: chameleon/v1
                kind: Tuning
                metadata: {name: %s}
                spec:
                  objective: {probe: {command: [%s], timeout: 60s}, goal: maximise, repeats: %d}
                  knobs:
                %s
                  budget: %s
                  guardrail: %s
                """.formatted(name, probe, repeats, knobs.indent(4).stripTrailing(), budget, guardrail);
    }

    static JsonNode json(Path p) throws Exception {
        return JSON.readTree(Files.readString(p));
    }

    /**
     * New-user trial: a congestion control the kernel does not offer was taken into the trial
     * plan. The real kernel's tcp_available_congestion_control decides, in a network namespace.
     */
    @Test
    void aCongestionControlTheKernelDoesNotOfferRefusesTheRunBeforeAnyChange() throws Exception {
        Path t = file("cc.yaml", tuning("cc", "/bin/echo, '1'", 1,
                "- sysctl: {key: net.ipv4.tcp_congestion_control}\n  choices: [cubic, nosuchcc]", "{trials: 2}", "{maxRegression: 100}"));
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("""
                echo "@before=$(cat /proc/sys/net/ipv4/tcp_congestion_control)"
                echo "@offered=$(cat /proc/sys/net/ipv4/tcp_available_congestion_control)"
                $CHAMELEON tune %1$s --yes --no-default-policies --no-system-policies --state-dir %2$s 2>&1; echo "@rc=$?"
                echo "@after=$(cat /proc/sys/net/ipv4/tcp_congestion_control)"
                echo "@journal=$(ls %2$s/journal 2>/dev/null | wc -l)"
                """.formatted(t, tmp.resolve("state-cc")), log);
        String ctx = log.toString();
        assertThat(v.get("rc")).as(ctx).isEqualTo("2");
        assertThat(ctx).contains(t + ":7:7: knob sysctl:net.ipv4.tcp_congestion_control value 'nosuchcc' cannot be set here")
                .contains("'nosuchcc' is not offered by this kernel (net.ipv4.tcp_available_congestion_control: " + v.get("offered"));
        assertThat(v.get("after")).isEqualTo(v.get("before"));
        assertThat(v.get("journal")).as("no change set was started").isEqualTo("0");
    }

    @Test
    void aKnobRangeThatBreaksTheWorkloadIsStoppedAndUndoneAndAFailedHealthCheckToo() throws Exception {
        // tcp_wmem of 4 KiB / 8 KiB cuts loopback TCP throughput many times over: more than the 40% the guardrail allows
        Path breaking = file("breaking.yaml", tuning("breaking", iperfProbe().toString(), 2,
                "- sysctl: {key: net.ipv4.tcp_wmem}\n  choices: [\"4096 4096 4096\", \"4096 8192 8192\"]", "{trials: 2}",
                "{maxRegression: 40}"));
        // the health check: somaxconn must stay below 2000; the objective is somaxconn read back (exact, no workload needed)
        Path health = file("health.yaml", tuning("health", "/bin/cat, /proc/sys/net/core/somaxconn", 1,
                "- sysctl: {key: net.core.somaxconn}\n  choices: [1024, 2048]", "{trials: 2}",
                "{maxRegression: 100, health: {command: [/bin/sh, -c, 'test $(cat /proc/sys/net/core/somaxconn) -lt 2000']}}"));
        String state = tmp.resolve("state-guard").toString();
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("""
                echo "@before.wmem=$(cat /proc/sys/net/ipv4/tcp_wmem)"; echo "@before.somaxconn=$(cat /proc/sys/net/core/somaxconn)"
                $CHAMELEON tune %1$s --no-default-policies --no-system-policies --state-dir %3$s; echo "@plan.rc=$?"
                echo "@plan.wmem=$(cat /proc/sys/net/ipv4/tcp_wmem)"
                $CHAMELEON tune %1$s --yes --no-default-policies --no-system-policies --state-dir %3$s -o json > %4$s/breaking.json
                echo "@breaking.rc=$?"
                $CHAMELEON tune %2$s --yes --no-default-policies --no-system-policies --state-dir %3$s -o json > %4$s/health.json
                echo "@health.rc=$?"
                echo "@after.wmem=$(cat /proc/sys/net/ipv4/tcp_wmem)"; echo "@after.somaxconn=$(cat /proc/sys/net/core/somaxconn)"
                $CHAMELEON history --state-dir %3$s
                """.formatted(breaking, health, state, tmp), log);
        String ctx = log.toString();
        assertThat(v.get("plan.rc")).as(ctx).isEqualTo("0");
        assertThat(v.get("plan.wmem")).as("without --yes nothing changes").isEqualTo(v.get("before.wmem"));
        assertThat(v.get("breaking.rc")).as(ctx).isEqualTo("0");
        JsonNode b = json(tmp.resolve("breaking.json"));
        assertThat(b.get("trials")).as(ctx).hasSize(2);
        for (JsonNode t : b.get("trials")) {
            assertThat(t.get("status").asText()).as(ctx).startsWith("stopped: guardrail");
            assertThat(t.get("measurements")).as("stopped at the first bad measurement: " + t).hasSize(1);
            assertThat(t.has("changeSet")).as("the trial really was applied: " + t).isTrue();
        }
        assertThat(b.has("proposal")).isFalse();
        assertThat(b.get("restored").asBoolean()).isTrue();
        assertThat(v.get("after.wmem")).as(ctx).isEqualTo(v.get("before.wmem"));

        assertThat(v.get("health.rc")).as(ctx).isEqualTo("0");
        JsonNode h = json(tmp.resolve("health.json"));
        Map<String, String> statusByValue = new LinkedHashMap<>();
        h.get("trials").forEach(t -> statusByValue.put(t.get("settings").get("sysctl:net.core.somaxconn").asText(), t.get("status").asText()));
        assertThat(statusByValue.get("2048")).as(ctx).startsWith("stopped: health check failed: command /bin/sh -c");
        assertThat(statusByValue.get("1024")).as(ctx).isEqualTo("measured");
        assertThat(v.get("after.somaxconn")).as(ctx).isEqualTo(v.get("before.somaxconn"));
        assertThat(ctx).contains("rolled-back");
    }

    /**
     * A knob over a per-element kind: one {@code nicSysctl} knob whose select matches both ends
     * of a veth pair; each trial gives both the same value in the namespace's kernel, and each is
     * put back. The namespace also has its own mount namespace with sysfs mounted afresh, so the
     * {@code nics} facts ({@code /sys/class/net}) are the namespace's interfaces, not the host's.
     * The objective is v0's rp_filter read back (exact); the probe logs both ends and v2 (not
     * selected) at each measurement.
     */
    @Test
    void aNicSysctlKnobSetsEveryNicItsSelectMatchesAndPutsEachBack() throws Exception {
        Path seen = tmp.resolve("nic-seen.log");
        Path probe = script("nic-probe.sh", """
                c=/proc/sys/net/ipv4/conf
                echo "$(cat $c/v0/rp_filter) $(cat $c/v1/rp_filter) $(cat $c/v2/rp_filter)" >> %s
                cat $c/v0/rp_filter
                """.formatted(seen));
        Path t = file("nic.yaml", tuning("nic", probe.toString(), 1,
                "- nicSysctl: {select: 'nic.name in [\"v0\", \"v1\"]', key: rp_filter}\n  choices: [1, 2]", "{trials: 2}",
                "{maxRegression: 100}"));
        Path none = file("nic-none.yaml", Files.readString(t).replace("[\"v0\", \"v1\"]", "[\"eth9\"]"));
        String state = tmp.resolve("state-nic").toString();
        Path f = tmp.resolve("nic-step.sh");
        Files.writeString(f, """
                set -u
                mount -t sysfs sysfs /sys
                ip link set lo up
                ip link add v0 type veth peer name v1
                ip link add v2 type veth peer name v3
                for i in v0 v1 v2 v3; do ip link set $i up; echo 0 > /proc/sys/net/ipv4/conf/$i/rp_filter; done
                echo "@nics=$(ls /sys/class/net | tr '\\n' ' ')"
                $CHAMELEON tune %1$s --no-default-policies --no-system-policies --state-dir %3$s -o json > %4$s/nic-plan.json
                echo "@plan.rc=$?"
                $CHAMELEON tune %1$s --yes --no-confirm --no-default-policies --no-system-policies --state-dir %3$s -o json > %4$s/nic.json
                echo "@run.rc=$?"
                echo "@after=$(cat /proc/sys/net/ipv4/conf/v0/rp_filter) $(cat /proc/sys/net/ipv4/conf/v1/rp_filter)"
                $CHAMELEON tune %2$s --yes --no-default-policies --no-system-policies --state-dir %3$s 2>&1; echo "@none.rc=$?"
                $CHAMELEON history --state-dir %3$s
                """.formatted(t, none, state, tmp).replace("$CHAMELEON", Proc.shellWords(Proc.chameleon())));
        Proc p = Proc.run(List.of("unshare", "--net", "--mount", "--propagation", "private", "--", "bash", f.toString()), 400);
        String ctx = p.out();
        assertThat(p.code()).as(ctx).isZero();
        Map<String, String> v = new LinkedHashMap<>();
        for (String line : ctx.split("\n")) {
            if (line.startsWith("@")) {
                v.put(line.substring(1, line.indexOf('=')), line.substring(line.indexOf('=') + 1).strip());
            }
        }
        assertThat(v.get("nics")).as("the namespace's own interfaces").isEqualTo("lo v0 v1 v2 v3");
        assertThat(v.get("plan.rc")).as(ctx).isEqualTo("0");
        JsonNode plan = json(tmp.resolve("nic-plan.json"));
        assertThat(plan.get("knobs").get(0).get("key").asText()).isEqualTo("nicSysctl:*/ipv4.rp_filter");
        assertThat(plan.get("knobs").get(0).get("current").asText()).isEqualTo("0");
        assertThat(v.get("run.rc")).as(ctx).isEqualTo("0");
        JsonNode run = json(tmp.resolve("nic.json"));
        assertThat(run.get("trials")).hasSize(2);
        assertThat(run.get("best").get("settings").get("nicSysctl:*/ipv4.rp_filter").asText()).isEqualTo("2");
        assertThat(run.get("restored").asBoolean()).isTrue();
        assertThat(run.get("proposal").asText()).contains("- nicSysctl: {select: 'nic.name in [\"v0\", \"v1\"]', key: rp_filter, value: 2}");
        // baseline, each trial with both selected ends at its value and v2 untouched, the baseline again
        assertThat(Files.readAllLines(seen)).as(ctx).containsExactlyInAnyOrder("0 0 0", "1 1 0", "2 2 0", "0 0 0");
        assertThat(v.get("after")).isEqualTo("0 0");
        assertThat(v.get("none.rc")).as(ctx).isEqualTo("2");
        assertThat(ctx).contains(none + ":7:7: knob nicSysctl:*/ipv4.rp_filter matches no NIC here");
        assertThat(Files.readAllLines(seen)).as("no baseline was measured for the select matching nothing").hasSize(4);
    }

    @Test
    void theBudgetIsRespected() throws Exception {
        // the objective is the knob read back (exact), so only the budget decides how many trials run
        Path count = file("count.yaml", tuning("count", "/bin/cat, /proc/sys/net/core/somaxconn", 1,
                "- sysctl: {key: net.core.somaxconn}\n  range: {min: 1024, max: 8192, step: 1024}", "{trials: 3}", "{maxRegression: 100}"));
        // each measurement takes 1 s; a 2 s budget leaves room for at most 2 trials after the baseline, of 50 allowed
        Path time = file("time.yaml", tuning("time", "/bin/sh, -c, 'sleep 1; cat /proc/sys/net/core/somaxconn'", 1,
                "- sysctl: {key: net.core.somaxconn}\n  range: {min: 1024, max: 8192, step: 1024}", "{trials: 50, time: 2s}",
                "{maxRegression: 100}"));
        String state = tmp.resolve("state-budget").toString();
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("""
                echo "@before=$(cat /proc/sys/net/core/somaxconn)"
                $CHAMELEON tune %s --yes --no-confirm --no-default-policies --no-system-policies --state-dir %s -o json > %s/count.json
                echo "@count.rc=$?"
                $CHAMELEON tune %s --yes --no-confirm --no-default-policies --no-system-policies --state-dir %s -o json > %s/time.json
                echo "@time.rc=$?"
                echo "@after=$(cat /proc/sys/net/core/somaxconn)"
                """.formatted(count, state, tmp, time, state, tmp), log);
        String ctx = log.toString();
        assertThat(v.get("count.rc")).as(ctx).isEqualTo("0");
        JsonNode c = json(tmp.resolve("count.json"));
        assertThat(c.get("trials")).hasSize(3);
        assertThat(c.get("budget").get("trialsRun").asInt()).isEqualTo(3);
        assertThat(c.get("budget").get("stoppedBy").asText()).isEqualTo("trials");
        assertThat(c.get("trials").findValuesAsText("sysctl:net.core.somaxconn")).as("three different values").doesNotHaveDuplicates();
        assertThat(v.get("time.rc")).as(ctx).isEqualTo("0");
        JsonNode t = json(tmp.resolve("time.json"));
        assertThat(t.get("budget").get("stoppedBy").asText()).as(t.toString()).isEqualTo("time");
        assertThat(t.get("budget").get("trialsRun").asInt()).as(t.toString()).isLessThanOrEqualTo(2);
        assertThat(v.get("after")).isEqualTo(v.get("before"));
    }

    @Test
    void aTuningRunKilledMidTrialIsUndoneByTheAgentsStartByApplyAndByTuneRecoverAndAStoppedOneUndoesItsTrialItself() throws Exception {
        Path marker = tmp.resolve("in-trial");
        // the workload: instant at the start values; in a trial it records its pid and hangs, so the run is killed mid-trial
        Path probe = script("hang.sh", """
                if [ "$(cut -f3 /proc/sys/net/ipv4/tcp_wmem)" != "$START_MAX" ]; then echo $$ > %s; exec sleep 120; fi
                echo 5
                """.formatted(marker));
        Path f = file("kill.yaml", tuning("kill", probe.toString(), 1,
                "- sysctl: {key: net.ipv4.tcp_wmem}\n  choices: [\"4096 16384 1000000\", \"4096 16384 2000000\"]", "{trials: 2}",
                "{maxRegression: 100}"));
        String state = tmp.resolve("state-kill").toString();
        StringBuilder log = new StringBuilder();
        // killtrial NAME: starts a tuning run, waits until its first trial is in the kernel, and kills it with SIGKILL
        Map<String, String> v = inNamespace("""
                echo "@before=$(cat /proc/sys/net/ipv4/tcp_wmem)"
                export START_MAX=$(cut -f3 /proc/sys/net/ipv4/tcp_wmem)
                killtrial() {
                  rm -f %4$s
                  $CHAMELEON tune %1$s --yes --no-default-policies --no-system-policies --state-dir %2$s > %3$s/kill-$1.out 2>&1 &
                  RUN=$!
                  for i in $(seq 600); do [ -s %4$s ] && break; sleep 0.1; done
                  echo "@$1.during=$(cat /proc/sys/net/ipv4/tcp_wmem)"
                  kill -KILL $RUN; wait $RUN; echo "@$1.killed.rc=$?"
                  kill -KILL "$(cat %4$s)" 2>/dev/null
                  echo "@$1.killed=$(cat /proc/sys/net/ipv4/tcp_wmem)"
                }
                killtrial agent
                $CHAMELEON run --mode plan --max-passes 1 --no-uevents --no-default-policies --no-system-policies --state-dir %2$s; echo "@plan.rc=$?"
                echo "@plan.after=$(cat /proc/sys/net/ipv4/tcp_wmem)"
                $CHAMELEON run --mode apply --max-passes 1 --no-uevents --no-default-policies --no-system-policies --state-dir %2$s; echo "@agent.rc=$?"
                echo "@agent.after=$(cat /proc/sys/net/ipv4/tcp_wmem)"
                killtrial apply
                $CHAMELEON apply --yes --no-default-policies --no-system-policies --state-dir %2$s; echo "@apply.rc=$?"
                echo "@apply.after=$(cat /proc/sys/net/ipv4/tcp_wmem)"
                killtrial recover
                $CHAMELEON tune --recover --state-dir %2$s; echo "@recover.rc=$?"
                echo "@recover.after=$(cat /proc/sys/net/ipv4/tcp_wmem)"
                $CHAMELEON tune --recover --state-dir %2$s; echo "@again.rc=$?"
                rm -f %4$s
                $CHAMELEON tune %1$s --yes --no-default-policies --no-system-policies --state-dir %2$s-term > %3$s/term.out 2>&1 &
                RUN=$!
                for i in $(seq 600); do [ -s %4$s ] && break; sleep 0.1; done
                echo "@term.during=$(cat /proc/sys/net/ipv4/tcp_wmem)"
                kill -TERM $RUN; wait $RUN; echo "@term.rc=$?"
                echo "@term.after=$(cat /proc/sys/net/ipv4/tcp_wmem)"
                cat %3$s/term.out
                """.formatted(f, state, tmp, marker), log);
        String ctx = log.toString();
        for (String who : List.of("agent", "apply", "recover")) {
            assertThat(v.get(who + ".killed.rc")).as(ctx).isEqualTo("137");
            assertThat(v.get(who + ".during")).as("the trial's value was in the kernel when the run was killed\n" + ctx)
                    .isNotEqualTo(v.get("before"));
            assertThat(v.get(who + ".killed")).as("SIGKILL leaves the trial applied\n" + ctx).isEqualTo(v.get(who + ".during"));
            assertThat(v.get(who + ".rc")).as(who + " recovers and succeeds\n" + ctx).isEqualTo("0");
            assertThat(v.get(who + ".after")).as(who + " put the namespace's value back\n" + ctx).isEqualTo(v.get("before"));
        }
        // the agent in plan mode only says so; in apply mode it undoes the trial before its first pass, as an event and a log line
        assertThat(v.get("plan.rc")).as(ctx).isEqualTo("0");
        assertThat(v.get("plan.after")).as("the agent in plan mode changes nothing\n" + ctx).isEqualTo(v.get("agent.during"));
        assertThat(ctx).contains("the agent in plan mode leaves it");
        // its suggested commands keep the agent's state folder and policy options: copied, they act on this trial's journal
        assertThat(ctx).contains("'chameleon apply --yes --state-dir " + state + " --no-default-policies --no-system-policies'")
                .contains("'chameleon tune --recover --state-dir " + state + "'");
        assertThat(ctx).contains("notice message=recovery: undid change set").contains("left by an interrupted tuning run (tune trial 1");
        assertThat(Files.readString(Path.of(state, "events.jsonl"))).contains("\"event\":\"notice\"")
                .contains("recovery: undid change set");
        assertThat(v.get("again.rc")).isEqualTo("0");
        assertThat(ctx).contains("Nothing to recover");
        // SIGTERM instead: the probe is killed with its group, the trial undone before the JVM exits, no --recover needed
        assertThat(v.get("term.during")).as(ctx).isNotEqualTo(v.get("before"));
        assertThat(v.get("term.after")).as(ctx).isEqualTo(v.get("before"));
        assertThat(ctx).contains("ended by stopped").contains("Everything was put back");
    }

    /**
     * The daemon runs a Tuning placed beside its policies: a policy in the same folder wants
     * {@code tcp_wmem}'s max at 3000000, the Tuning tries three others with iperf3 (one fails the
     * health check). The agent's passes (every second) do not put the policy's value back while a
     * trial runs: the probe logs the value it measured under, and only the baseline and its repeat
     * (2 + 2 measurements) saw 3000000.
     */
    @Test
    void theAgentRunsAnAssignedTuningWithoutFightingItsTrialsAndTheHealthCheckStopsOne() throws Exception {
        Path seen = tmp.resolve("agent-seen.log");
        Path probe = script("agent-iperf.sh", """
                set -eu
                cut -f3 /proc/sys/net/ipv4/tcp_wmem >> %s
                %s
                """.formatted(seen, iperfProbe()));
        Path health = script("agent-health.sh", "[ \"$(cut -f3 /proc/sys/net/ipv4/tcp_wmem)\" != 1000000 ]\n");
        Path policies = Files.createDirectories(tmp.resolve("agent-policies"));
        Files.writeString(policies.resolve("10-wmem.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: wmem}
                spec:
                  settings:
                    - sysctl: {key: net.ipv4.tcp_wmem, value: "4096 16384 3000000"}
                """);
        Files.writeString(policies.resolve("20-tune.yaml"), tuning("wmem-stream", probe.toString(), 2,
                "- sysctl: {key: net.ipv4.tcp_wmem}\n  choices: [\"4096 16384 1000000\", \"4096 16384 2000000\", \"4096 16384 4194304\"]",
                "{trials: 3, time: 2m}", "{maxRegression: 90, health: {command: [" + health + "]}}"));
        String state = tmp.resolve("state-agent").toString();
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("""
                $CHAMELEON run --mode apply --interval 1s --splay 0s --no-uevents --no-default-policies --no-system-policies \
                  --policies %1$s --state-dir %2$s > %3$s/agent-run.out 2>&1 &
                AGENT=$!
                for i in $(seq 1200); do [ -s %2$s/tuning/wmem-stream.json ] && break; sleep 0.1; done
                echo "@result=$([ -s %2$s/tuning/wmem-stream.json ] && echo yes || echo no)"
                sleep 2.5
                echo "@after=$(cat /proc/sys/net/ipv4/tcp_wmem)"
                kill -TERM $AGENT; wait $AGENT; echo "@agent.rc=$?"
                cat %3$s/agent-run.out
                """.formatted(policies, state, tmp), log);
        String ctx = log.toString();
        assertThat(v.get("result")).as("the agent wrote the result\n" + ctx).isEqualTo("yes");
        assertThat(v.get("agent.rc")).as("the JVM's exit on SIGTERM\n" + ctx).isEqualTo("143");
        JsonNode r = json(Path.of(state, "tuning", "wmem-stream.json"));
        assertThat(r.get("complete").asBoolean()).as(r.toString()).isTrue();
        assertThat(r.get("digest").asText()).hasSize(64);
        assertThat(r.get("budget").get("trialsRun").asInt()).as(r.toString()).isEqualTo(3);
        assertThat(r.get("restored").asBoolean()).as(r.toString()).isTrue();
        assertThat(r.get("startValues").toString()).contains("4096 16384 3000000");
        List<String> statuses = new java.util.ArrayList<>();
        r.get("trials").forEach(t -> statuses.add(t.get("status").asText()));
        assertThat(statuses).as(r.toString()).filteredOn(st -> st.startsWith("stopped: health check failed")).hasSize(1);
        assertThat(statuses).as(r.toString()).filteredOn(st -> st.equals("measured")).hasSize(2);
        // the reconcile held the knob out: no trial measurement saw the policy's value
        List<String> measuredUnder = Files.readAllLines(seen);
        assertThat(measuredUnder).as(ctx).containsOnly("3000000", "2000000", "4194304");
        assertThat(measuredUnder.stream().filter("3000000"::equals).count()).as("baseline and baseline again only\n" + measuredUnder)
                .isEqualTo(4);
        assertThat(measuredUnder.stream().filter(x -> !x.equals("3000000")).count()).as(measuredUnder.toString()).isGreaterThanOrEqualTo(4);
        assertThat(v.get("after")).as("the policy's value stands after the run\n" + ctx).isEqualTo("4096 16384 3000000");
        String events = Files.readString(Path.of(state, "events.jsonl"));
        assertThat(events).contains("\"event\":\"tuning\",\"tuning\":\"wmem-stream\",\"status\":\"started\"")
                .contains("\"event\":\"tuning\",\"tuning\":\"wmem-stream\",\"status\":\"done\"")
                .doesNotContain("\"event\":\"external-change\"");
        assertThat(ctx).contains("tuning wmem-stream: baseline:");
        // never approved without spec.approve: auto: nothing was written beside the policies
        try (var files = Files.list(policies)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("10-wmem.yaml", "20-tune.yaml");
        }
        if (r.has("proposal")) {
            assertThat(Path.of(state, "tuning", "wmem-stream.proposal.yaml")).exists();
        }
    }

    @Test
    void theProposalRoundTripsThroughPolicyValidateAndPlanAndApproveWritesItIntoTheRootsPolicyFolder() throws Exception {
        // the objective is somaxconn read back: exact, so the best (8192) and a significant gain are certain
        Path f = file("propose.yaml", tuning("backlog", "/bin/cat, /proc/sys/net/core/somaxconn", 2,
                "- sysctl: {key: net.core.somaxconn}\n  choices: [1024, 8192]", "{trials: 2}", "{maxRegression: 100}"));
        Path proposal = tmp.resolve("proposal.yaml");
        String state = tmp.resolve("state-propose").toString();
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("""
                echo "@before=$(cat /proc/sys/net/core/somaxconn)"
                $CHAMELEON tune %1$s --yes --no-default-policies --no-system-policies --state-dir %2$s --proposal %3$s; echo "@tune.rc=$?"
                echo "@after=$(cat /proc/sys/net/core/somaxconn)"
                $CHAMELEON policy validate %3$s; echo "@validate.rc=$?"
                $CHAMELEON plan --no-default-policies --no-system-policies --policies %3$s; echo "@plan.rc=$?"
                """.formatted(f, state, proposal), log);
        String ctx = log.toString();
        assertThat(v.get("tune.rc")).as(ctx).isEqualTo("0");
        assertThat(v.get("after")).as("nothing learned is applied without approval").isEqualTo(v.get("before"));
        assertThat(Files.readString(proposal)).contains("kind: Policy").contains("value: 8192");
        assertThat(v.get("validate.rc")).as(ctx).isEqualTo("0");
        assertThat(v.get("plan.rc")).as(ctx).isEqualTo("0");
        assertThat(ctx).contains("~ sysctl:net.core.somaxconn: " + v.get("before") + " -> 8192");

        // --approve writes into the machine's policy folder: here a tree's (--root), so this machine's /etc is not touched
        Path root = tmp.resolve("root");
        Files.createDirectories(root.resolve("proc/sys/net/core"));
        Files.writeString(root.resolve("proc/sys/net/core/somaxconn"), "4096\n");
        Path rooted = file("rooted.yaml", tuning("backlog", "/bin/cat, " + root.resolve("proc/sys/net/core/somaxconn"), 2,
                "- sysctl: {key: net.core.somaxconn}\n  choices: [1024, 8192]", "{trials: 2}", "{maxRegression: 100}"));
        Proc approve = Proc.run(concat(Proc.chameleon(), "tune", rooted.toString(), "--yes", "--approve", "--root", root.toString(),
                "--no-default-policies"), 200);
        assertThat(approve.code()).as(approve.out()).isZero();
        Path written = root.resolve("etc/chameleon/policies.d/tuned-backlog.yaml");
        assertThat(approve.out()).contains("Approved: written to " + written);
        assertThat(Files.readString(root.resolve("proc/sys/net/core/somaxconn")).strip()).as("the tree's value is put back").isEqualTo("4096");
        Proc validate = Proc.run(concat(Proc.chameleon(), "policy", "validate", written.toString()), 100);
        assertThat(validate.code()).as(validate.out()).isZero();
        Proc refused = Proc.run(concat(Proc.chameleon(), "tune", rooted.toString(), "--approve", "--root", root.toString()), 100);
        assertThat(refused.code()).as(refused.out()).isEqualTo(ExitCode.BAD_INPUT);
        assertThat(refused.out()).contains("--approve goes with --yes");
    }

    static List<String> concat(List<String> head, String... tail) {
        List<String> out = new java.util.ArrayList<>(head);
        out.addAll(List.of(tail));
        return out;
    }
}
