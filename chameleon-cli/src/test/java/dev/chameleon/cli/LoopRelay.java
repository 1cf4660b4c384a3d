package dev.chameleon.cli;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Carries TCP connections between network namespaces through a Unix socket in the file system
 * (a file is visible from every network namespace; a loopback address is not). The fleet test's
 * server listens on the host's loopback, as a server must without TLS; each agent in its own
 * namespace reaches it at 127.0.0.1:PORT of that namespace: there this relay's {@code main}
 * listens and connects to the Unix socket, where the test's {@link #unixToTcp} connects to the
 * server. A stand-in for the network between VMs, which a test machine does not have.
 */
final class LoopRelay {
    private LoopRelay() {
    }

    /** In a namespace: {@code LoopRelay HOST:PORT UNIX_PATH} listens on HOST:PORT and forwards to the Unix socket. */
    public static void main(String[] args) throws IOException {
        String[] hp = args[0].split(":");
        Path unix = Path.of(args[1]);
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.bind(new InetSocketAddress(hp[0], Integer.parseInt(hp[1])));
            while (true) {
                SocketChannel in = server.accept();
                SocketChannel out = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    out.connect(UnixDomainSocketAddress.of(unix));
                } catch (IOException e) {
                    in.close();
                    out.close();
                    continue;
                }
                pipe(in, out);
            }
        }
    }

    /** In the test: accepts on the Unix socket {@code unix} and connects each to 127.0.0.1:{@code port}; a daemon thread. */
    static Thread unixToTcp(Path unix, int port) throws IOException {
        Files.deleteIfExists(unix);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(unix));
        Thread t = new Thread(() -> {
            try (server) {
                while (true) {
                    SocketChannel in = server.accept();
                    SocketChannel out = SocketChannel.open();
                    try {
                        out.connect(new InetSocketAddress("127.0.0.1", port));
                    } catch (IOException e) {
                        in.close(); // the server is down: the agent sees its connection closed
                        out.close();
                        continue;
                    }
                    pipe(in, out);
                }
            } catch (IOException e) {
                // closed
            }
        }, "relay-" + unix.getFileName());
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void pipe(SocketChannel a, SocketChannel b) {
        copy(a, b);
        copy(b, a);
    }

    private static void copy(SocketChannel from, SocketChannel to) {
        Thread t = new Thread(() -> {
            ByteBuffer buf = ByteBuffer.allocate(16 * 1024);
            try {
                while (from.read(buf) >= 0) {
                    buf.flip();
                    while (buf.hasRemaining()) {
                        to.write(buf);
                    }
                    buf.clear();
                }
            } catch (IOException e) {
                // one side closed
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException e) {
                    // closed already
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }
}
