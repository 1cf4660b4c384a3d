package dev.chameleon.agent;

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
 * sysctl changed behind its back is reported as external-change and put back (enforce); status answers.
 * Waits are bounded polls on the expected state, never timing assertions.
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
    void seesANewNicAppliesItsSettingAndPutsBackDrift() throws Exception {
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
        Files.writeString(script, """
                set -u
                chameleon() { %s "$@"; }
agent() { exec %s "$@"; }
mount -t sysfs sysfs /sys
                STATE=%s
                EV=$STATE/events.jsonl
                ip link set lo up
                agent run --mode apply --no-default-policies --no-system-policies --policies %s --state-dir $STATE \\
                    --interval 1h --debounce 200ms > $STATE.log 2>&1 &
                AGENT=$!
                trap 'kill $AGENT 2>/dev/null; wait $AGENT 2>/dev/null; echo "--- agent log"; cat $STATE.log' EXIT
                # bounded poll: COND, tries of 0.2 s
                until_() { local n=0; while ! eval "$1"; do n=$((n+1)); [ $n -ge $2 ] && return 1; sleep 0.2; done; }
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
                echo "--- events"; cat $EV
                """.formatted(Proc.shellWords(Proc.chameleon()), Proc.shellWords(Proc.chameleon()), state, policies));
        Proc p = Proc.run(List.of("unshare", "--net", "--pid", "--fork", "--kill-child", "--mount-proc", "--", "bash", script.toString()), 240);
        String out = p.out();
        assertThat(out).as(out).contains("@started=yes");
        assertThat(out).as(out).contains("@somaxconn.first=8192");
        assertThat(out).as(out).contains("@nic.applied=0").contains("@nic.mtu=1400");
        assertThat(out).as("a pass ran on the uevent\n" + out).doesNotContain("@uevent.pass=0");
        assertThat(out).as(out).contains("@drift.reported=0").contains("@drift.corrected=0").contains("@somaxconn.after=8192");
        assertThat(out).as(out).containsPattern("\"event\":\"external-change\",\"key\":\"sysctl:net.core.somaxconn\",\"before\":\"8192\",\"after\":\"1234\"");
        assertThat(out).as(out).contains("@status.rc=0").contains("mode apply").contains("Cost: RSS");
    }
}
