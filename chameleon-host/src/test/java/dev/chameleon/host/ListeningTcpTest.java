package dev.chameleon.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link SysRoot#listeningTcp}: real sockets opened by this test, asked of the real kernel over
 * netlink and compared with what {@code /proc/self/net/tcp} says of them.
 */
class ListeningTcpTest {
    @TempDir
    Path tmp;

    static final String SELF = String.valueOf(ProcessHandle.current().pid());

    static Map<Long, Long> socketInodes() throws IOException {
        Map<Long, Long> out = new HashMap<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String link = Files.readSymbolicLink(fd).toString();
                    if (link.startsWith("socket:[")) {
                        out.put(Long.parseLong(link.substring(8, link.length() - 1)), 0L);
                    }
                } catch (IOException e) {
                    // an fd closed meanwhile
                }
            }
        }
        return out;
    }

    @Test
    void netlinkFindsOurListenersAsProcNetTcpDoes() throws IOException {
        try (ServerSocket v4 = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"));
             ServerSocket v6 = new ServerSocket(0, 5, InetAddress.getByName("::1"))) { // this machine has IPv6 on lo
            Map<Long, Long> viaNetlink = SockDiag.listening();
            assertThat(viaNetlink).containsValues((long) v4.getLocalPort(), (long) v6.getLocalPort());
            Map<Long, Long> viaProc = new HashMap<>();
            viaProc.putAll(SysRoot.parseProcNetTcpListening(Files.readString(Path.of("/proc/self/net/tcp"))));
            viaProc.putAll(SysRoot.parseProcNetTcpListening(Files.readString(Path.of("/proc/self/net/tcp6"))));
            // both sources name the same socket inodes for our two listeners, and those inodes are ours
            Map<Long, Long> ours = socketInodes();
            for (int port : new int[] {v4.getLocalPort(), v6.getLocalPort()}) {
                long inNetlink = viaNetlink.entrySet().stream().filter(e -> e.getValue() == port).findFirst().orElseThrow().getKey();
                long inProc = viaProc.entrySet().stream().filter(e -> e.getValue() == port).findFirst().orElseThrow().getKey();
                assertThat(inNetlink).isEqualTo(inProc);
                assertThat(ours).containsKey(inNetlink);
            }
            assertThat(SysRoot.live().listeningTcp(SELF)).containsAllEntriesOf(Map.of(
                    viaNetlink.entrySet().stream().filter(e -> e.getValue() == v4.getLocalPort()).findFirst().orElseThrow().getKey(),
                    (long) v4.getLocalPort()));
            assertThat(SysRoot.sockDiagFailure()).isNull();
        }
    }

    @Test
    void connectedSocketsAreNotListeners() throws IOException {
        try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"));
             Socket client = new Socket()) {
            client.connect(new InetSocketAddress("127.0.0.1", server.getLocalPort()));
            try (Socket accepted = server.accept()) {
                Map<Long, Long> l = SockDiag.listening();
                assertThat(l.values()).doesNotContain((long) client.getLocalPort());
                assertThat(l.values().stream().filter(p -> p == server.getLocalPort())).hasSize(1);
            }
        }
    }

    @Test
    void aCapturedTreeIsReadFromItsFiles() throws IOException {
        Path net = tmp.resolve("proc/42/net");
        Files.createDirectories(net);
        Files.writeString(net.resolve("tcp"), """
                  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 20345 1 0000000000000000 100 0 0 10 0
                   1: 0100007F:A1B2 0100007F:1538 01 00000000:00000000 00:00000000 00000000   106        0 20999 1 0000000000000000 20 4 30 10 -1
                   2: garbled
                """);
        Files.writeString(net.resolve("tcp6"), """
                  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
                   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 31337 1 0000000000000000 100 0 0 10 0
                """);
        assertThat(new SysRoot(tmp).listeningTcp("42")).isEqualTo(Map.of(20345L, 5432L, 31337L, 80L));
        assertThat(new SysRoot(tmp).listeningTcp("43")).isEmpty();
    }

    @Test
    void notAPidIsRefused() {
        assertThatThrownBy(() -> SysRoot.live().listeningTcp("../1")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SysRoot.live().listeningTcp("")).isInstanceOf(IllegalArgumentException.class);
        assertThat(SysRoot.isProcessId("4242")).isTrue();
        for (String no : new String[] {"", "self", "12a", "-1", "\u0663"}) { // U+0663: a digit to Character.isDigit, not to /proc
            assertThat(SysRoot.isProcessId(no)).as(no).isFalse();
        }
    }

    @Test
    void netlinkAnswersThatAreErrorsOrTruncatedAreErrors() {
        ByteBuffer err = ByteBuffer.allocate(36).order(ByteOrder.nativeOrder());
        err.putInt(36).putShort((short) SockDiag.NLMSG_ERROR).putShort((short) 0).putInt(1).putInt(0).putInt(-22);
        assertThatThrownBy(() -> SockDiag.parse(err.array(), 36, new HashMap<>())).hasMessageContaining("errno 22");
        ByteBuffer cut = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        cut.putInt(88).putShort((short) SockDiag.SOCK_DIAG_BY_FAMILY);
        assertThatThrownBy(() -> SockDiag.parse(cut.array(), 16, new HashMap<>())).hasMessageContaining("truncated");
    }

    @Test
    void aDumpEndsAtDone() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + 72 + 16).order(ByteOrder.nativeOrder());
        b.putInt(88).putShort((short) SockDiag.SOCK_DIAG_BY_FAMILY).putShort((short) 2).putInt(1).putInt(0);
        b.put((byte) 2).put((byte) 10).put((byte) 0).put((byte) 0);
        b.put((byte) 0x15).put((byte) 0x38); // sport 5432, network order
        b.position(16 + SockDiag.MSG_INODE).putInt(777);
        b.position(88).putInt(16).putShort((short) SockDiag.NLMSG_DONE);
        Map<Long, Long> out = new HashMap<>();
        assertThat(SockDiag.parse(b.array(), b.capacity(), out)).isTrue();
        assertThat(out).isEqualTo(Map.of(777L, 5432L));
    }
}
