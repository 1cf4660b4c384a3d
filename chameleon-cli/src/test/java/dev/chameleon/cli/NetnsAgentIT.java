package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code agent run --mode apply} for real, as a child JVM of the packaged jar, inside a
 * throwaway network and PID namespace ({@code unshare --net --pid --fork --kill-child --mount-proc}, sysfs remounted so {@code /sys/class/net} is the namespace's): when the
 * script ends or is killed, the namespace's processes die with it and its veth pair with the
 * namespace. The agent sees a new NIC through a kernel uevent and applies its MTU; a managed
 * sysctl changed behind its back is reported as external-change and put back (enforce); status answers;
 * SIGTERM stops it and leaves the settings and the journal as they are. With a health gate that
 * fails, the real sysctl it set is put back and stays back. Waits are bounded polls on the
 * expected state, never timing assertions.
 */
class NetnsAgentIT {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void needsRoot() throws Exception {
        Proc id = Proc.run(List.of("id", "-u"), 10);
        assertThat(id.out().strip()).as("this test creates network namespaces and must run as root").isEqualTo("0");
    }

    @Test
    void seesANewNicAppliesItsSettingPutsBackDriftAndSigtermLeavesItAll() throws Exception {
        Path policies = tmp.resolve("policies");
        Files.createDirectories(policies);
        Files.writeString(policies.resolve("net.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: veth-tuning}
                spec:
                  mode: enforce
                  settings:
                    - nic: {name: chmA, mtu: 1400}
                    - sysctl: {key: net.core.somaxconn, value: 8192}
                """);
        Path state = tmp.resolve("state");
        Path script = tmp.resolve("agent.sh");
        Files.writeString(script, head(state) + "mount -t sysfs sysfs /sys\n" + start(policies, "") + """
                until_ "grep -q '\\"event\\":\\"pass\\"' $EV 2>/dev/null" 300 || { echo "@started=no"; exit 1; }
                echo "@started=yes"
                echo "@somaxconn.first=$(cat /proc/sys/net/core/somaxconn)"
                ip link add chmA type veth peer name chmB
                until_ "[ \\"\\$(cat /sys/class/net/chmA/mtu)\\" = 1400 ]" 150; echo "@nic.applied=$?"
                echo "@nic.mtu=$(cat /sys/class/net/chmA/mtu)"
                echo "@uevent.pass=$(grep '\\"event\\":\\"pass\\"' $EV | grep -c '\\"trigger\\":\\"uevent')"
                echo 1234 > /proc/sys/net/core/somaxconn
                kill -HUP $AGENT
                until_ "grep -q external-change $EV" 150; echo "@drift.reported=$?"
                until_ "[ \\"\\$(cat /proc/sys/net/core/somaxconn)\\" = 8192 ]" 150; echo "@drift.corrected=$?"
                echo "@somaxconn.after=$(cat /proc/sys/net/core/somaxconn)"
                chameleon status --state-dir $STATE; echo "@status.rc=$?"
                # SIGTERM (systemctl stop) between passes: nothing undone, the journal as it was
                until_ "tail -n 1 $EV | grep -q '\\"event\\":\\"pass\\"'" 150
                J1=$(cat $STATE/journal/*.json | sha256sum)
                kill -TERM $AGENT; wait $AGENT; echo "@agent.rc=$?"
                [ "$J1" = "$(cat $STATE/journal/*.json | sha256sum)" ] && echo "@journal.same=yes"
                echo "@stop.events=$(grep -c '"event":"stop"' $EV)"
                echo "@stopped.somaxconn=$(cat /proc/sys/net/core/somaxconn)"
                echo "@stopped.mtu=$(cat /sys/class/net/chmA/mtu)"
                chameleon history --state-dir $STATE > $STATE.history; cat $STATE.history
                echo "@history.applied=$(grep -c '^[0-9]\\{8\\}-[0-9-]*  applied ' $STATE.history)"
                echo "@history.other=$(grep -c '^[0-9]\\{8\\}-[0-9-]*  ' $STATE.history | tr -d ' ')"
                echo "--- events"; cat $EV
                """);
        String out = inNamespace(script);
        assertThat(out).as(out).contains("@started=yes");
        assertThat(out).as(out).contains("@somaxconn.first=8192");
        assertThat(out).as(out).contains("@nic.applied=0").contains("@nic.mtu=1400");
        assertThat(out).as("a pass ran on the uevent\n" + out).doesNotContain("@uevent.pass=0");
        assertThat(out).as(out).contains("@drift.reported=0").contains("@drift.corrected=0").contains("@somaxconn.after=8192");
        assertThat(out).as(out).containsPattern("\"event\":\"external-change\",\"key\":\"sysctl:net.core.somaxconn\",\"before\":\"8192\",\"after\":\"1234\"");
        assertThat(out).as(out).contains("@status.rc=0").contains("mode apply").contains("Cost: RSS");
        assertThat(out).as("the JVM's exit on SIGTERM\n" + out).contains("@agent.rc=143");
        assertThat(out).as(out).contains("@journal.same=yes").contains("@stop.events=1");
        assertThat(out).as("nothing undone on stop\n" + out).contains("@stopped.somaxconn=8192").contains("@stopped.mtu=1400");
        assertThat(out).as(out).containsPattern("@history.applied=([1-9]\\d*)\n");
        String applied = out.replaceAll("(?s).*@history.applied=(\\d+).*", "$1");
        assertThat(out).as("every change set still applied\n" + out).contains("@history.other=" + applied + "\n");
    }

    @Test
    void aFailingHealthGatePutsTheRealSysctlBack() throws Exception {
        Path policies = tmp.resolve("gate-policies");
        Files.createDirectories(policies);
        Files.writeString(policies.resolve("net.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: backlog}
                spec:
                  settings:
                    - sysctl: {key: net.core.somaxconn, value: 8192}
                """);
        Path state = tmp.resolve("gate-state");
        Path script = tmp.resolve("gate.sh");
        Files.writeString(script, head(state) + "echo \"@somaxconn.before=$(cat /proc/sys/net/core/somaxconn)\"\n"
                // nothing listens on port 9 of this namespace's loopback: the gate fails (connection refused)
                + start(policies, "--health-url http://127.0.0.1:9/healthz --health-settle 0s") + """
                until_ "grep -q '\\"event\\":\\"pass\\"' $EV 2>/dev/null" 300; echo "@first.pass=$?"
                echo "@somaxconn.after=$(cat /proc/sys/net/core/somaxconn)"
                kill -HUP $AGENT
                until_ "[ \\"\\$(grep -c '\\"event\\":\\"pass\\"' $EV)\\" -ge 2 ]" 150; echo "@second.pass=$?"
                echo "@somaxconn.second=$(cat /proc/sys/net/core/somaxconn)"
                echo "@gate.events=$(grep -c '"event":"health-gate"' $EV)"
                chameleon history --state-dir $STATE
                chameleon status --state-dir $STATE
                echo "--- events"; cat $EV
                """);
        String out = inNamespace(script);
        assertThat(out).as(out).contains("@somaxconn.before=4096").contains("@first.pass=0");
        assertThat(out).as("the gate failed and the set was undone\n" + out).contains("@somaxconn.after=4096");
        assertThat(out).as(out).containsPattern("\"event\":\"health-gate\",\"changeSet\":\"[0-9-]+\",\"outcome\":\"failed\"")
                .contains("\"check\":\"url\",\"target\":\"http://127.0.0.1:9/healthz\",\"outcome\":\"error\"")
                .contains("\"rollback\":\"rolled-back\"");
        assertThat(out).as(out).contains("rolled-back         run --mode apply — health gate failed: url http://127.0.0.1:9/healthz: "
                + "error (connection refused); undone: sysctl:net.core.somaxconn → 4096");
        assertThat(out).as("not applied again\n" + out).contains("@second.pass=0").contains("@somaxconn.second=4096")
                .contains("@gate.events=1");
        assertThat(out).as(out).contains("Health gate: url http://127.0.0.1:9/healthz (timeout 30s, settle 0s)")
                .contains("  last: failed at ");
    }

    @Test
    void sighupReadsTheConfigAgainPlanToApplyAndABadFileKeepsThePreviousOne() throws Exception {
        Path policies = tmp.resolve("reload-policies");
        Files.createDirectories(policies);
        Files.writeString(policies.resolve("net.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: backlog}
                spec:
                  mode: enforce
                  settings:
                    - sysctl: {key: net.core.somaxconn, value: 8192}
                """);
        Path state = tmp.resolve("reload-state");
        Path script = tmp.resolve("reload.sh");
        Files.writeString(script, head(state) + """
                mkdir -p $STATE
                printf 'version: 1\\nmode: plan\\ninterval: 1h\\n' > $STATE.yaml
                agent run --config $STATE.yaml --no-default-policies --no-system-policies --policies %s --state-dir $STATE \\
                    --debounce 200ms > $STATE.log 2>&1 &
                AGENT=$!
                trap 'kill $AGENT 2>/dev/null; wait $AGENT 2>/dev/null; echo "--- agent log"; cat $STATE.log' EXIT
                until_ "grep -q '\\"event\\":\\"pass\\"' $EV 2>/dev/null" 300; echo "@first.pass=$?"
                echo "@plan.somaxconn=$(cat /proc/sys/net/core/somaxconn)"
                sed -i 's/^mode: plan/mode: apply\\nlog: {format: json}/' $STATE.yaml
                kill -HUP $AGENT
                until_ "[ \\"\\$(cat /proc/sys/net/core/somaxconn)\\" = 8192 ]" 150; echo "@reload.applied=$?"
                chameleon status --state-dir $STATE | grep -m1 '^Mode\\|mode' | sed 's/^/@status: /'
                printf 'version: 1\\nmode: sideways\\n' > $STATE.yaml
                echo 1234 > /proc/sys/net/core/somaxconn
                kill -HUP $AGENT
                until_ "grep -q 'configuration not reloaded' $EV" 150; echo "@bad.reported=$?"
                until_ "[ \\"\\$(cat /proc/sys/net/core/somaxconn)\\" = 8192 ]" 150; echo "@bad.still-applies=$?"
                echo "--- events"; cat $EV
                """.formatted(policies));
        String out = inNamespace(script);
        assertThat(out).as(out).contains("@first.pass=0").contains("@plan.somaxconn=4096");
        assertThat(out).as("mode: apply took effect on SIGHUP, no restart\n" + out).contains("@reload.applied=0")
                .containsPattern("\"event\":\"config\",\"mode\":\"apply\",\"interval\":\"PT1H\"")
                .as("a changed log format is named as taking effect at restart\n" + out)
                .contains("notice: log.format changed in " + state + ".yaml; that takes effect when the agent restarts");
        assertThat(out).as(out).contains("@bad.reported=0").contains("mode is plan or apply, found 'sideways'");
        assertThat(out).as("the previous configuration (apply) stayed whole\n" + out).contains("@bad.still-applies=0");
    }

    /**
     * The start of a script: the functions {@code chameleon} (the packaged agent), {@code agent}
     * (the same, exec'd, for the background agent) and {@code until_} (bounded poll: COND, tries
     * of 0.2 s), {@code STATE}, {@code EV} (the events file), and loopback up.
     */
    static String head(Path state) {
        return """
                set -u
                chameleon() { %s "$@"; }
                agent() { exec %s "$@"; }
                STATE=%s
                EV=$STATE/events.jsonl
                ip link set lo up
                until_() { local n=0; while ! eval "$1"; do n=$((n+1)); [ $n -ge $2 ] && return 1; sleep 0.2; done; }
                """.formatted(Proc.shellWords(Proc.chameleon()), Proc.shellWords(Proc.chameleon()), state);
    }

    /** Starts {@code run --mode apply} with only {@code policies} and {@code flags} in the background ($AGENT); on exit it is stopped and its log shown. */
    static String start(Path policies, String flags) {
        return """
                agent run --mode apply --no-default-policies --no-system-policies --policies %s --state-dir $STATE \\
                    --interval 1h --debounce 200ms %s > $STATE.log 2>&1 &
                AGENT=$!
                trap 'kill $AGENT 2>/dev/null; wait $AGENT 2>/dev/null; echo "--- agent log"; cat $STATE.log' EXIT
                """.formatted(policies, flags);
    }

    /** Runs {@code script} in a throwaway network and PID namespace; its output. */
    static String inNamespace(Path script) throws Exception {
        return Proc.run(List.of("unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--", "bash", script.toString()), 240)
                .out();
    }
}
