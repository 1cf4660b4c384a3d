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
 * The {@code file} actuator on a real tmpfs: a 1 MiB tmpfs is mounted as the machine root inside a
 * private mount namespace ({@code unshare --mount}), the packaged agent applies managed files there
 * (replacing one, creating one in a new folder, with mode and owner), and a rollback puts back the
 * exact bytes, mode and owner, checked with {@code sha256sum} and {@code stat}.
 */
class TmpfsFileIT {
    @TempDir
    static Path tmp;

    @BeforeAll
    static void needsRoot() throws Exception {
        Proc id = Proc.run(List.of("id", "-u"), 10);
        assertThat(id.out().strip()).as("this test mounts a tmpfs in a mount namespace and must run as root").isEqualTo("0");
    }

    @Test
    void filesAreReplacedAtomicallyAndRestoredByteForByte() throws Exception {
        Path root = tmp.resolve("root");
        Files.createDirectories(root);
        Path policies = tmp.resolve("policies");
        Files.createDirectories(policies);
        Files.writeString(policies.resolve("files.yaml"), """
                apiVersion: chameleon/v1
                kind: Policy
                metadata: {name: limits}
                spec:
                  settings:
                    - file: {path: /etc/security/limits.d/90-app.conf, content: "app soft nofile 65536\\n", mode: "0640", owner: "0:4"}
                    - file: {path: /etc/motd, content: "managed\\n", mode: "0600"}
                    - file: {path: /etc/old.conf, state: absent}
                """);
        Path script = tmp.resolve("run.sh");
        Files.writeString(script, """
                set -u
                CHAMELEON="%s"
                R=%s
                mount -t tmpfs -o size=1m tmpfs $R
                mount | grep -c " $R type tmpfs" | sed 's/^/@tmpfs=/'
                mkdir -p $R/etc $R/proc/sys/kernel
                printf 'Welcome\\n' > $R/etc/motd; chmod 0644 $R/etc/motd; chown 0:0 $R/etc/motd
                printf 'legacy=1\\n' > $R/etc/old.conf; chmod 0600 $R/etc/old.conf; chown 33:33 $R/etc/old.conf
                state() { (cd $R/etc && for f in motd old.conf security/limits.d/90-app.conf; do
                  if [ -e $f ]; then echo "$f $(stat -c '%%a %%u:%%g' $f) $(sha256sum < $f | cut -c1-16)"; else echo "$f absent"; fi; done) | tr '\\n' ';'; }
                echo "@before=$(state)"
                eval "$CHAMELEON apply --yes --root $R --no-default-policies --policies %s"; echo "@apply.rc=$?"
                echo "@applied=$(state)"
                ls -a $R/etc $R/etc/security/limits.d | grep -c chameleon | sed 's/^/@leftovers=/'
                eval "$CHAMELEON rollback --last --root $R"; echo "@rollback.rc=$?"
                echo "@after=$(state)"
                """.formatted(Proc.shellWords(Proc.chameleon()).replace("\"", "\\\""), root, policies));
        Proc p = Proc.run(List.of("unshare", "--mount", "--", "bash", script.toString()), 300);
        assertThat(p.code()).as(p.out()).isEqualTo(0);
        Map<String, String> v = new LinkedHashMap<>();
        p.out().lines().filter(l -> l.startsWith("@")).forEach(l -> v.put(l.substring(1, l.indexOf('=')), l.substring(l.indexOf('=') + 1)));
        assertThat(v.get("tmpfs")).as(p.out()).isEqualTo("1");
        assertThat(v.get("apply.rc")).as(p.out()).isEqualTo("0");
        assertThat(v.get("applied")).contains("motd 600 0:0").contains("old.conf absent").contains("security/limits.d/90-app.conf 640 0:4");
        assertThat(v.get("leftovers")).as("no temporary files left behind").isEqualTo("0");
        assertThat(v.get("rollback.rc")).as(p.out()).isEqualTo("0");
        assertThat(v.get("after")).isEqualTo(v.get("before"));
        assertThat(v.get("before")).contains("motd 644 0:0").contains("old.conf 600 33:33").contains("90-app.conf absent");
        assertThat(root.resolve("etc/motd")).as("the tmpfs lived only in the namespace").doesNotExist();
    }
}
