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
        return inNamespace("--net", script, log);
    }

    /** As {@link #inNamespace(String, StringBuilder)}, in the namespace {@code unshare} makes with {@code flag} ({@code --ipc}). */
    static Map<String, String> inNamespace(String flag, String script, StringBuilder log) throws Exception {
        Path f = tmp.resolve("step-" + System.nanoTime() + ".sh");
        Files.writeString(f, "set -u\nCHAMELEON=\"" + Proc.shellWords(Proc.chameleon()).replace("\"", "\\\"") + "\"\n" + script);
        Proc p = Proc.run(List.of("unshare", flag, "--", "bash", f.toString()), 300);
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
                    - sysctl: {key: net.ipv4.tcp_adv_win_scale, value: 100}
                """);
        String state = tmp.resolve("state-bad").toString();
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("""
                echo "@before=$(cat /proc/sys/net/core/somaxconn)"
                eval "$CHAMELEON apply --yes --no-default-policies --policies %s --state-dir %s"; echo "@apply.rc=$?"
                echo "@after=$(cat /proc/sys/net/core/somaxconn)"
                echo "@scale=$(cat /proc/sys/net/ipv4/tcp_adv_win_scale)"
                """.formatted(policies, state), log);
        String ctx = log.toString();
        assertThat(v.get("apply.rc")).as(ctx).isEqualTo("1");
        assertThat(v.get("after")).as("somaxconn undone").isEqualTo(v.get("before"));
        assertThat(v.get("scale")).isNotEqualTo("100");
        assertThat(ctx).contains("sysctl net.ipv4.tcp_adv_win_scale = 100: the kernel refused the write")
                .contains("failed-rolled-back")
                .contains("undone: sysctl:net.core.somaxconn → " + v.get("before"));
    }

    static Path policy(String name, String settings) throws Exception {
        Path dir = tmp.resolve(name);
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

    /**
     * Regression: {@code ip_local_reserved_ports: "8080,8081,8082"} is printed by the kernel as
     * {@code 8080-8082}, so verify failed; the undo to the original empty value was a zero-length
     * write the kernel ignores, so the namespace kept the new value after a "failed and undone"
     * apply. Now the list compares in the kernel's form, apply verifies, plan then has nothing to
     * do, and rollback empties the list for real.
     */
    @Test
    void reservedPortsListVerifiesInTheKernelsRangeFormAndRollsBackToEmpty() throws Exception {
        Path policies = policy("reserved-ports", "- sysctl: {key: net.ipv4.ip_local_reserved_ports, value: \"8080,8081,8082\"}\n");
        String state = tmp.resolve("state-ports").toString();
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("""
                echo "@before=[$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)]"
                eval "$CHAMELEON apply --yes --no-default-policies --policies %s --state-dir %s"; echo "@apply.rc=$?"
                echo "@applied=[$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)]"
                eval "$CHAMELEON plan --exit-code --no-default-policies --policies %s"; echo "@plan.rc=$?"
                eval "$CHAMELEON rollback --last --state-dir %s"; echo "@rollback.rc=$?"
                echo "@after=[$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)]"
                """.formatted(policies, state, policies, state), log);
        String ctx = log.toString();
        assertThat(v.get("before")).as("a new network namespace reserves no ports").isEqualTo("[]");
        assertThat(v.get("apply.rc")).as(ctx).isEqualTo("0");
        assertThat(v.get("applied")).as(ctx).isEqualTo("[8080-8082]");
        assertThat(ctx).contains("verified  sysctl:net.ipv4.ip_local_reserved_ports: (empty) -> 8080-8082");
        assertThat(v.get("plan.rc")).as("after apply nothing is pending:\n" + ctx).isEqualTo("0");
        assertThat(v.get("rollback.rc")).as(ctx).isEqualTo("0");
        assertThat(ctx).doesNotContain("was changed").doesNotContain("after the apply");
        assertThat(v.get("after")).as("rollback to the empty list really empties it:\n" + ctx).isEqualTo("[]");
    }

    /**
     * Regression: when a later setting of the same change set failed, the undo of the reserved
     * ports to their empty value was a zero-length write the kernel ignores; the apply said
     * "undone" while the ports stayed reserved.
     */
    @Test
    void failedChangeSetUndoesAnEmptyValueForReal() throws Exception {
        Path policies = policy("ports-then-refused", """
                - sysctl: {key: net.ipv4.ip_local_reserved_ports, value: "9000-9002,9005"}
                - sysctl: {key: net.ipv4.tcp_adv_win_scale, value: 100}
                """);
        String state = tmp.resolve("state-ports-fail").toString();
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("""
                eval "$CHAMELEON apply --yes --no-default-policies --policies %s --state-dir %s"; echo "@apply.rc=$?"
                echo "@after=[$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)]"
                eval "$CHAMELEON history --state-dir %s"
                """.formatted(policies, state, state), log);
        String ctx = log.toString();
        assertThat(v.get("apply.rc")).as(ctx).isEqualTo("1");
        assertThat(v.get("after")).as("the reserved ports are empty again:\n" + ctx).isEqualTo("[]");
        assertThat(ctx).contains("failed-rolled-back").contains("undone: sysctl:net.ipv4.ip_local_reserved_ports → ")
                .doesNotContain("NOT UNDONE").doesNotContain("rollback-incomplete");
    }

    /**
     * Regression: {@code net.ipv4.route.flush} (a write-only trigger) passed {@code policy validate}
     * and {@code plan} then exited 1 with "cannot read ... permission denied"; {@code somaxconn: -5},
     * {@code "abc"} and {@code 1.5} passed validate and failed only at apply. Now each is refused
     * at validate (exit 2) with the reason and the kernel document, and apply writes nothing.
     */
    @Test
    void writeOnlyTriggersAndUndocumentedValuesRefusedAtValidate() throws Exception {
        Path flush = policy("flush", "- sysctl: {key: net.ipv4.route.flush, value: 1}\n");
        Path neg = policy("negative", "- sysctl: {key: net.core.somaxconn, value: -5}\n");
        Path word = policy("word", "- sysctl: {key: net.core.somaxconn, value: abc}\n");
        Path frac = policy("fraction", "- sysctl: {key: net.core.somaxconn, value: 1.5}\n");
        String state = tmp.resolve("state-refused").toString();
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("""
                echo "@before=$(cat /proc/sys/net/core/somaxconn)"
                for p in %s %s %s %s; do
                  eval "$CHAMELEON policy validate --no-default-policies $p"; rc=$?; echo "@validate.$(basename $p).rc=$rc"
                done
                eval "$CHAMELEON plan --no-default-policies --policies %s"; echo "@plan.flush.rc=$?"
                eval "$CHAMELEON apply --yes --no-default-policies --policies %s --state-dir %s"; echo "@apply.negative.rc=$?"
                echo "@after=$(cat /proc/sys/net/core/somaxconn)"
                """.formatted(flush, neg, word, frac, flush, neg, state), log);
        String ctx = log.toString();
        for (String p : List.of("flush", "negative", "word", "fraction")) {
            assertThat(v.get("validate." + p + ".rc")).as(p + ":\n" + ctx).isEqualTo("2");
        }
        assertThat(v.get("plan.flush.rc")).as(ctx).isEqualTo("2");
        assertThat(v.get("apply.negative.rc")).as(ctx).isEqualTo("2");
        assertThat(v.get("after")).isEqualTo(v.get("before"));
        assertThat(ctx).contains("net.ipv4.route.flush is a write-only trigger").contains("net/ipv4/route.c")
                .contains("net.core.somaxconn is a whole number from 0 to 2147483647, found '-5'")
                .contains("found 'abc'").contains("found '1.5'").contains("Documentation/networking/ip-sysctl.rst")
                .doesNotContain("permission denied");
    }

    /**
     * The IPC namespace's sysctls ({@code kernel.msgmni}): a value outside the documented range
     * ({@code -5}) was refused only by the kernel at apply; now at validate, before anything is
     * written. A value inside it is applied and rolled back for real in a throwaway IPC namespace.
     */
    @Test
    void ipcNamespaceSysctlOutOfDocumentedRangeRefusedBeforeTheKernel() throws Exception {
        Path bad = policy("msgmni-negative", "- sysctl: {key: kernel.msgmni, value: -5}\n");
        Path good = policy("msgmni-ok", "- sysctl: {key: kernel.msgmni, value: 1000}\n");
        String state = tmp.resolve("state-ipc").toString();
        StringBuilder log = new StringBuilder();
        Map<String, String> v = inNamespace("--ipc", """
                echo "@before=$(cat /proc/sys/kernel/msgmni)"
                eval "$CHAMELEON apply --yes --no-default-policies --policies %s --state-dir %s"; echo "@bad.rc=$?"
                echo "@afterbad=$(cat /proc/sys/kernel/msgmni)"
                eval "$CHAMELEON apply --yes --no-default-policies --policies %s --state-dir %s"; echo "@good.rc=$?"
                echo "@applied=$(cat /proc/sys/kernel/msgmni)"
                eval "$CHAMELEON rollback --last --state-dir %s"; echo "@rollback.rc=$?"
                echo "@after=$(cat /proc/sys/kernel/msgmni)"
                """.formatted(bad, state, good, state, state), log);
        String ctx = log.toString();
        assertThat(v.get("bad.rc")).as(ctx).isEqualTo("2");
        assertThat(ctx).contains("kernel.msgmni is a whole number from 0 to 32768, found '-5'");
        assertThat(v.get("afterbad")).isEqualTo(v.get("before"));
        assertThat(v.get("good.rc")).as(ctx).isEqualTo("0");
        assertThat(v.get("applied")).isEqualTo("1000");
        assertThat(v.get("rollback.rc")).as(ctx).isEqualTo("0");
        assertThat(v.get("after")).isEqualTo(v.get("before"));
    }
}
