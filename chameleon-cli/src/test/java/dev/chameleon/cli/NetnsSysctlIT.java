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
 * Applies and rolls back {@code net.*} sysctls for real, in the running kernel, inside a throwaway
 * network namespace ({@code unshare --net}): the machine's own namespace is never touched. Each
 * step's kernel values are read from {@code /proc/sys} inside the namespace and checked here.
 */
class NetnsSysctlIT {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void needsRoot() throws Exception {
        Proc id = Proc.run(List.of("id", "-u"), 10);
        assertThat(id.out().strip()).as("this test creates network namespaces and must run as root").isEqualTo("0");
    }

    /** Runs a shell script inside a new network namespace; lines "KEY=VALUE" become a map. */
    static Map<String, String> inNamespace(String script, StringBuilder log) throws Exception {
        Path f = tmp.resolve("step-" + System.nanoTime() + ".sh");
        Files.writeString(f, "set -u\nCHAMELEON=\"" + Proc.shellWords(Proc.chameleon()).replace("\"", "\\\"") + "\"\n" + script);
        Proc p = Proc.run(List.of("unshare", "--net", "--", "bash", f.toString()), 300);
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

    @Test
    void appliesVerifiesAndRollsBackInTheKernel() throws Exception {
        Path policies = tmp.resolve("ok");
        Files.createDirectories(policies);
        Files.writeString(policies.resolve("net.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: net-tuning, description: backlog and keepalive for a busy server}
                spec:
                  settings:
                    - sysctl: {key: net.core.somaxconn, value: 8192}
                    - sysctl: {key: net.ipv4.tcp_keepalive_time, value: 600}
                    - sysctl: {key: net.ipv4.ip_local_port_range, value: "20000 60999"}
                """);
        String state = tmp.resolve("state-ok").toString();
        String read = """
                show() { for k in core/somaxconn ipv4/tcp_keepalive_time ipv4/ip_local_port_range; do
                  echo "@$1.$k=$(cat /proc/sys/net/$k)"; done; }
                """;
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace(read + """
                show before
                eval "$CHAMELEON apply --yes --no-default-policies --policies %s --state-dir %s"; echo "@apply.rc=$?"
                show applied
                eval "$CHAMELEON plan --exit-code --no-default-policies --policies %s"; echo "@plan.rc=$?"
                eval "$CHAMELEON rollback --last --state-dir %s"; echo "@rollback.rc=$?"
                show after
                """.formatted(policies, state, policies, state), log);
        String ctx = log.toString();
        assertThat(v.get("apply.rc")).as(ctx).isEqualTo("0");
        assertThat(v.get("applied.core/somaxconn")).as(ctx).isEqualTo("8192");
        assertThat(v.get("applied.ipv4/tcp_keepalive_time")).isEqualTo("600");
        assertThat(v.get("applied.ipv4/ip_local_port_range")).isEqualTo("20000 60999");
        assertThat(v.get("plan.rc")).as("after apply nothing is pending").isEqualTo("0");
        assertThat(v.get("rollback.rc")).as(ctx).isEqualTo("0");
        for (String k : List.of("core/somaxconn", "ipv4/tcp_keepalive_time", "ipv4/ip_local_port_range")) {
            assertThat(v.get("after." + k)).as(k + " restored").isEqualTo(v.get("before." + k));
            assertThat(v.get("applied." + k)).as(k + " changed").isNotEqualTo(v.get("before." + k));
        }
        assertThat(ctx).contains("verified  sysctl:net.core.somaxconn: " + v.get("before.core/somaxconn") + " -> 8192");
    }

    @Test
    void kernelRejectionUndoesTheChangeSet() throws Exception {
        Path policies = tmp.resolve("bad");
        Files.createDirectories(policies);
        Files.writeString(policies.resolve("net.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: too-many-retries}
                spec:
                  settings:
                    - sysctl: {key: net.core.somaxconn, value: 8192}
                    - sysctl: {key: net.ipv4.tcp_syn_retries, value: 1000}
                """);
        String state = tmp.resolve("state-bad").toString();
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("""
                echo "@before=$(cat /proc/sys/net/core/somaxconn)"
                eval "$CHAMELEON apply --yes --no-default-policies --policies %s --state-dir %s"; echo "@apply.rc=$?"
                echo "@after=$(cat /proc/sys/net/core/somaxconn)"
                echo "@retries=$(cat /proc/sys/net/ipv4/tcp_syn_retries)"
                """.formatted(policies, state), log);
        String ctx = log.toString();
        assertThat(v.get("apply.rc")).as(ctx).isEqualTo("1");
        assertThat(v.get("after")).as("somaxconn undone").isEqualTo(v.get("before"));
        assertThat(v.get("retries")).isNotEqualTo("1000");
        assertThat(ctx).contains("sysctl net.ipv4.tcp_syn_retries = 1000: the kernel refused the write")
                .contains("failed-rolled-back")
                .contains("undone: sysctl:net.core.somaxconn → " + v.get("before"));
    }
}
