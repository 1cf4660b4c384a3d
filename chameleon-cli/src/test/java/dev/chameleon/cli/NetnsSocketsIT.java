package dev.chameleon.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.agent.loop.Poll;
import dev.chameleon.host.SysRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The listening sockets of a process in another network namespace (a container's), asked of the
 * kernel over netlink from inside that namespace: a real {@code busybox nc -l} in a throwaway
 * namespace ({@code unshare --net}). The answer must name the same socket inode as that
 * namespace's {@code /proc/PID/net/tcp}, and the asking thread must be back in its own namespace.
 */
class NetnsSocketsIT {
    static final int PORT = 18765;

    @BeforeAll
    static void needsRoot() throws Exception {
        Proc id = Proc.run(List.of("id", "-u"), 10);
        assertThat(id.out().strip()).as("this test creates network namespaces and must run as root").isEqualTo("0");
    }

    /** The namespace's listeners as /proc/PID/net/tcp and tcp6 list them (busybox nc listens on IPv6, dual-stack). */
    static Map<Long, Long> fromFiles(String pid) {
        Map<Long, Long> out = new java.util.HashMap<>();
        for (String f : List.of("tcp", "tcp6")) {
            try {
                out.putAll(SysRoot.parseProcNetTcpListening(Files.readString(Path.of("/proc", pid, "net", f))));
            } catch (java.io.IOException e) {
                // not there (yet, or any more)
            }
        }
        return out;
    }

    @Test
    void aListenerInAnotherNamespaceIsFoundThereAndTheThreadComesBack() throws Exception {
        Process nc = new ProcessBuilder("unshare", "--net", "--", "sh", "-c", "ip link set lo up && exec busybox nc -l -p " + PORT)
                .redirectErrorStream(true).start();
        try {
            String pid = String.valueOf(nc.pid()); // unshare and sh exec: the listener has this pid
            assertThat(Poll.until(() -> fromFiles(pid).containsValue((long) PORT))).as("nc listens in its namespace").isTrue();
            assertThat(Files.readSymbolicLink(Path.of("/proc", pid, "ns", "net")))
                    .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
            long inode = fromFiles(pid).entrySet().stream()
                    .filter(e -> e.getValue() == PORT).findFirst().orElseThrow().getKey();

            Map<Long, Long> there = SysRoot.live().listeningTcp(pid);
            assertThat(there).containsEntry(inode, (long) PORT);
            assertThat(SysRoot.sockDiagFailure()).isNull();
            assertThat(Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")))
                    .as("the asking thread is back in its own namespace").isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
            // our own namespace's table does not have it
            Map<Long, Long> here = SysRoot.live().listeningTcp(String.valueOf(ProcessHandle.current().pid()));
            assertThat(here).doesNotContainKey(inode);
        } finally {
            nc.destroyForcibly();
            assertThat(nc.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).as("nc ended after SIGKILL").isTrue();
        }
        // the process is gone: an empty answer, no failure
        assertThat(SysRoot.live().listeningTcp(String.valueOf(nc.pid()))).isEmpty();
        assertThat(SysRoot.sockDiagFailure()).isNull();
    }
}
