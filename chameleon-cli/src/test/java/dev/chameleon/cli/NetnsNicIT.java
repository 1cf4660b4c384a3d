package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real kernel, real {@code ip}: a veth pair's MTU and txqueuelen applied, verified and rolled back
 * inside a throwaway network and mount namespace ({@code unshare --net --mount}, with sysfs
 * remounted so {@code /sys/class/net} shows the namespace's own interfaces). Also the kernel's
 * refusals — an MTU above the device maximum, an EINVAL sysctl, a read-only sysctl — and a journal
 * on a full 16 KiB tmpfs mounted inside the namespace. The machine's own namespaces are never
 * touched.
 */
class NetnsNicIT {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void needsRoot() throws Exception {
        Proc id = Proc.run(List.of("id", "-u"), 10);
        assertThat(id.out().strip()).as("this test creates network namespaces and must run as root").isEqualTo("0");
    }

    static Map<String, String> inNamespace(String script, StringBuilder log) throws Exception {
        Path f = tmp.resolve("step-" + System.nanoTime() + ".sh");
        Files.writeString(f, "set -u\nmount -t sysfs sysfs /sys\nip link add vethA type veth peer name vethB\n"
                + "CHAMELEON=\"" + Proc.shellWords(Proc.chameleon()).replace("\"", "\\\"") + "\"\n" + script);
        Proc p = Proc.run(List.of("unshare", "--net", "--mount", "--", "bash", f.toString()), 300);
        log.append(p.out());
        assertThat(p.code()).as("namespace script failed:\n" + p.out()).isEqualTo(0);
        Map<String, String> kv = new LinkedHashMap<>();
        for (String line : p.out().split("\n")) {
            if (line.startsWith("@")) {
                int eq = line.indexOf('=');
                kv.put(line.substring(1, eq), line.substring(eq + 1).strip());
            }
        }
        return kv;
    }

    static Path policies(String name, String settings) throws Exception {
        return policies(name, name, settings);
    }

    static Path policies(String folder, String name, String settings) throws Exception {
        Path dir = tmp.resolve(folder);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("p.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: %s}
                spec:
                  settings:
                %s""".formatted(name, settings.indent(4)));
        return dir;
    }

    @Test
    void vethMtuAndTxqueuelenAreAppliedVerifiedAndRolledBack() throws Exception {
        Path p = policies("veth-tuning", """
                - nic: {name: vethA, mtu: 9000, txqueuelen: {atLeast: 5000}}
                - sysctl: {key: net.core.somaxconn, value: 8192}
                """);
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("""
                echo "@mtu.before=$(cat /sys/class/net/vethA/mtu)"
                echo "@qlen.before=$(cat /sys/class/net/vethA/tx_queue_len)"
                eval "$CHAMELEON plan --no-default-policies --policies %1$s"
                eval "$CHAMELEON apply --yes --no-default-policies --policies %1$s --state-dir %2$s"; echo "@apply.rc=$?"
                echo "@mtu.applied=$(ip -o link show vethA | grep -o 'mtu [0-9]*')"
                echo "@qlen.applied=$(ip -o link show vethA | grep -o 'qlen [0-9]*')"
                eval "$CHAMELEON plan --exit-code --no-default-policies --policies %1$s" > /dev/null; echo "@plan.rc=$?"
                eval "$CHAMELEON rollback --last --dry-run --state-dir %2$s"
                eval "$CHAMELEON rollback --last --state-dir %2$s"; echo "@rollback.rc=$?"
                echo "@mtu.after=$(cat /sys/class/net/vethA/mtu)"
                echo "@qlen.after=$(cat /sys/class/net/vethA/tx_queue_len)"
                """.formatted(p, tmp.resolve("state-veth")), log);
        String ctx = log.toString();
        assertThat(v.get("apply.rc")).as(ctx).isEqualTo("0");
        assertThat(v.get("mtu.applied")).isEqualTo("mtu 9000");
        assertThat(v.get("qlen.applied")).isEqualTo("qlen 5000");
        assertThat(v.get("plan.rc")).as("nothing left to change").isEqualTo("0");
        assertThat(v.get("rollback.rc")).as(ctx).isEqualTo("0");
        assertThat(v.get("mtu.after")).isEqualTo(v.get("mtu.before"));
        assertThat(v.get("qlen.after")).isEqualTo(v.get("qlen.before"));
        assertThat(ctx).contains("~ nic:vethA/mtu: " + v.get("mtu.before") + " -> 9000")
                .contains("verified  nic:vethA/txqueuelen: " + v.get("qlen.before") + " -> 5000")
                .contains("undo by hand: ip link set dev vethA mtu " + v.get("mtu.before"))
                .contains("Would roll back change set").contains("nic:vethA/mtu: 9000 -> " + v.get("mtu.before"));
    }

    @Test
    void kernelRefusalsNameTheSettingAndUndoTheSet() throws Exception {
        StringBuilder log = new StringBuilder();
        Path tooBig = policies("too-big", """
                - nic: {name: vethA, txqueuelen: 4321}
                - nic: {name: vethA, mtu: 70000}
                """);
        Path readOnly = policies("read-only", """
                - nic: {name: vethA, mtu: 1400}
                - sysctl: {key: net.ipv4.tcp_available_congestion_control, value: reno}
                """);
        Path einval = policies("einval", """
                - sysctl: {key: net.core.somaxconn, value: 1024}
                - sysctl: {key: net.ipv4.ip_local_port_range, value: "60000 1000"}
                """);
        Map<String, String> v = inNamespace("""
                echo "@mtu.before=$(cat /sys/class/net/vethA/mtu)"
                echo "@qlen.before=$(cat /sys/class/net/vethA/tx_queue_len)"
                echo "@somaxconn.before=$(cat /proc/sys/net/core/somaxconn)"
                eval "$CHAMELEON apply --yes --no-default-policies --policies %s --state-dir %s"; echo "@big.rc=$?"
                eval "$CHAMELEON apply --yes --no-default-policies --policies %s --state-dir %s"; echo "@ro.rc=$?"
                eval "$CHAMELEON apply --yes --no-default-policies --policies %s --state-dir %s"; echo "@einval.rc=$?"
                echo "@mtu.after=$(cat /sys/class/net/vethA/mtu)"
                echo "@qlen.after=$(cat /sys/class/net/vethA/tx_queue_len)"
                echo "@somaxconn.after=$(cat /proc/sys/net/core/somaxconn)"
                eval "$CHAMELEON history --state-dir %s" | grep -c failed-rolled-back | sed 's/^/@history.failed=/'
                """.formatted(tooBig, tmp.resolve("s1"), readOnly, tmp.resolve("s1"), einval, tmp.resolve("s1"), tmp.resolve("s1")), log);
        String ctx = log.toString();
        assertThat(v.get("big.rc")).as(ctx).isEqualTo("1");
        assertThat(v.get("ro.rc")).as(ctx).isEqualTo("1");
        assertThat(v.get("einval.rc")).as(ctx).isEqualTo("1");
        assertThat(ctx).contains("nic vethA/mtu = 70000: 'ip link set dev vethA mtu 70000' failed")
                .contains("undone: nic:vethA/txqueuelen → " + v.get("qlen.before"))
                .contains("sysctl net.ipv4.tcp_available_congestion_control = reno: the kernel refused the write")
                .contains("undone: nic:vethA/mtu → " + v.get("mtu.before"))
                .contains("sysctl net.ipv4.ip_local_port_range = 60000 1000: the kernel refused the write to /proc/sys/net/ipv4/ip_local_port_range (Invalid argument)")
                .contains("undone: sysctl:net.core.somaxconn → " + v.get("somaxconn.before"));
        assertThat(v.get("mtu.after")).isEqualTo(v.get("mtu.before"));
        assertThat(v.get("qlen.after")).isEqualTo(v.get("qlen.before"));
        assertThat(v.get("somaxconn.after")).isEqualTo(v.get("somaxconn.before"));
        assertThat(v.get("history.failed")).as("the journal says so, three times").isEqualTo("3");
    }

    @Test
    void fullDiskForTheJournalChangesNothingAndLosesNothing() throws Exception {
        StringBuilder settings = new StringBuilder("- nic: {name: vethA, mtu: 4000, txqueuelen: 3000}\n");
        for (String k : List.of("net.core.somaxconn: 5000", "net.ipv4.tcp_keepalive_time: 900", "net.ipv4.tcp_fin_timeout: 20",
                "net.ipv4.tcp_keepalive_intvl: 30", "net.ipv4.tcp_keepalive_probes: 5", "net.ipv4.tcp_syn_retries: 4",
                "net.ipv4.tcp_synack_retries: 4", "net.ipv4.tcp_max_syn_backlog: 2048", "net.ipv4.tcp_rfc1337: 1")) {
            String[] kv = k.split(": ");
            settings.append("- sysctl: {key: ").append(kv[0]).append(", value: ").append(kv[1]).append("}\n");
        }
        // A long policy folder name makes every journal entry long (the reason names the file), so the
        // journal outgrows its first 4 KiB page partway through the change set.
        Path p = policies("many-" + "x".repeat(200), "many", settings.toString());
        Path state = tmp.resolve("tiny-state");
        Files.createDirectories(state);
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("""
                mount -t tmpfs -o size=16k tmpfs %2$s
                # Fill the 16 KiB tmpfs, then free two 4 KiB pages: the journal starts, and runs out of room once it grows.
                dd if=/dev/zero of=%2$s/room bs=1k count=8 2>/dev/null
                dd if=/dev/zero of=%2$s/filler bs=1k 2>/dev/null
                rm -f %2$s/room
                df -k %2$s | tail -1
                snapshot() { cat /sys/class/net/vethA/mtu /sys/class/net/vethA/tx_queue_len /proc/sys/net/core/somaxconn \\
                  /proc/sys/net/ipv4/tcp_keepalive_time /proc/sys/net/ipv4/tcp_rfc1337 | tr '\\n' ' '; }
                echo "@before=$(snapshot)"
                eval "$CHAMELEON apply --yes --no-default-policies --policies %1$s --state-dir %2$s"; echo "@apply.rc=$?"
                echo "@after=$(snapshot)"
                rm -f %2$s/filler
                eval "$CHAMELEON history --state-dir %2$s"
                eval "$CHAMELEON rollback --last --state-dir %2$s"; echo "@next.rc=$?"
                eval "$CHAMELEON history --state-dir %2$s" | head -1 | awk '{print "@status=" $2}'
                
                echo "@next=$(snapshot)"
                """.formatted(p, state), log);
        String ctx = log.toString();
        assertThat(v.get("apply.rc")).as(ctx).isEqualTo("1");
        assertThat(ctx).contains("No space left on device").contains("so no further change was made; undone: ");
        assertThat(v.get("after")).as("machine as before").isEqualTo(v.get("before"));
        assertThat(v.get("next.rc")).as(ctx).isEqualTo("0");
        assertThat(v.get("next")).isEqualTo(v.get("before"));
        // Either the undo's journal writes fit in the room the failed write left (the set says
        // failed-rolled-back), or they did not and the next start found the set unfinished and closed it.
        assertThat(v.get("status")).as(ctx).isIn("failed-rolled-back", "recovered");
        assertThat(ctx).doesNotContain("unreadable journal file");
    }
}
