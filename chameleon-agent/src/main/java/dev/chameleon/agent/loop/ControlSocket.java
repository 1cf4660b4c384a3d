package dev.chameleon.agent.loop;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Supplier;

/**
 * The running agent's control socket (a Unix domain socket, mode 0600). A client sends one
 * request and closes its side; the agent answers and closes the connection. Two requests:
 * <ul>
 * <li>the line {@code status}: the agent's status, one JSON document;</li>
 * <li>a command line for the agent to answer ({@code facts}, {@code detect}, {@code plan},
 * {@code explain}, {@code status}): {@code chameleon/1 NUL build NUL charset NUL cwd NUL arg NUL ...},
 * answered by the {@code commands} handler given to {@link #open} (the command line's own code:
 * see {@code dev.chameleon.cli.AgentClient} for the reply's form).</li>
 * </ul>
 * A request larger than {@value #MAX_REQUEST} bytes, or one not finished within
 * {@link #IO_LIMIT}, is dropped without an answer; an answer the client does not read within
 * {@link #IO_LIMIT} is dropped too, so one bad client cannot hold the socket.
 */
public final class ControlSocket implements AutoCloseable {
    /** Another agent answers on the socket: two agents must not manage one machine from one state folder. */
    public static final class InUse extends IOException {
        public InUse(String message) {
            super(message);
        }
    }

    /** The largest request read, in bytes. */
    public static final int MAX_REQUEST = 1 << 20;
    /** How long reading one request, and writing one answer, may take. */
    public static final java.time.Duration IO_LIMIT = java.time.Duration.ofSeconds(2);
    /** The first bytes of a command-line request. */
    public static final String COMMAND_MAGIC = "chameleon/1\0";

    private final Path path;
    private final ServerSocketChannel server;
    private final Object fileKey;
    private final Thread thread;

    private ControlSocket(Path path, ServerSocketChannel server, Object fileKey, Supplier<String> status,
                          java.util.function.Function<byte[], byte[]> commands) {
        this.path = path;
        this.server = server;
        this.fileKey = fileKey;
        this.thread = new Thread(() -> serve(status, commands), "control-socket");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Listens on {@code path}, replacing a stale socket file left by an agent that died.
     *
     * @throws InUse when an agent answers on {@code path} (its socket is left alone)
     */
    public static ControlSocket open(Path path, Supplier<String> status) throws IOException {
        return open(path, status, null);
    }

    /**
     * Listens on {@code path} as {@link #open(Path, Supplier)} does, and answers command-line
     * requests with {@code commands} (the request's bytes in, the answer's bytes out; null: such
     * requests get an error document, which a client takes as "not an agent it can ask").
     */
    public static ControlSocket open(Path path, Supplier<String> status, java.util.function.Function<byte[], byte[]> commands)
            throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        refuseIfAnswered(path);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(path));
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | IOException e) {
            // best effort: the state dir itself is root-only
        }
        return new ControlSocket(path, s, key(path), status, commands);
    }

    /**
     * Throws {@link InUse} when an agent answers on {@code path}; removes a stale socket file
     * (nobody listening: an agent that died). Nothing there: nothing to do.
     */
    public static void refuseIfAnswered(Path path) throws IOException {
        if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (!isSocket(path)) {
                // a typo in --socket or agent.yaml must never delete the file that is there
                throw new NotASocket(path + " exists and is not a socket (" + kind(path) + "); it is left alone: "
                        + "choose another --socket, or remove it yourself");
            }
            String pid = "";
            try {
                String reply = ask(path, "status");
                var m = java.util.regex.Pattern.compile("\"pid\":(\\d+)").matcher(reply);
                pid = m.find() ? " (pid " + m.group(1) + ")" : "";
            } catch (IOException e) {
                pid = null; // nobody listens: a stale file
            }
            if (pid != null) {
                throw new InUse("another agent" + pid + " answers on " + path + "; stop it first (systemctl stop chameleon), "
                        + "or give this one its own --state-dir or --socket");
            }
            Files.deleteIfExists(path);
        }
    }

    /** The path given for the socket holds something else: a file, a folder, a link. */
    public static final class NotASocket extends IOException {
        public NotASocket(String message) {
            super(message);
        }
    }

    static boolean isSocket(Path p) {
        try {
            Object mode = Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return mode instanceof Integer m && (m & 0xF000) == 0xC000; // S_IFSOCK
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    private static String kind(Path p) {
        if (Files.isSymbolicLink(p)) {
            return "a symbolic link";
        }
        return Files.isDirectory(p) ? "a folder" : Files.isRegularFile(p) ? "a regular file" : "not a socket";
    }

    private static Object key(Path p) {
        try {
            return Files.readAttributes(p, java.nio.file.attribute.BasicFileAttributes.class,
                    java.nio.file.LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private void serve(Supplier<String> status, java.util.function.Function<byte[], byte[]> commands) {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                byte[] request = read(c);
                if (request == null) {
                    continue; // too large, or not finished in time: dropped
                }
                byte[] reply;
                if (startsWith(request, COMMAND_MAGIC) && commands != null) {
                    reply = commands.apply(request);
                } else {
                    String cmd = new String(request, 0, Math.min(request.length, 256), StandardCharsets.UTF_8).strip();
                    String text = cmd.equals("status") ? status.get()
                            : "{\"error\":\"unknown request: " + cmd.replaceAll("[^\\x20-\\x7e]", "?").replace("\"", "'") + "\"}";
                    reply = (text + "\n").getBytes(StandardCharsets.UTF_8);
                }
                write(c, reply);
            } catch (IOException | RuntimeException e) {
                if (!server.isOpen()) {
                    return;
                }
            }
        }
    }

    private static boolean startsWith(byte[] b, String prefix) {
        byte[] p = prefix.getBytes(StandardCharsets.US_ASCII);
        return b.length >= p.length && java.util.Arrays.equals(b, 0, p.length, p, 0, p.length);
    }

    /**
     * The request: everything up to the client's end of output ({@link #ask} closes its side after
     * the line). Null when larger than {@link #MAX_REQUEST} or not done within {@link #IO_LIMIT}.
     */
    private static byte[] read(SocketChannel c) throws IOException {
        c.configureBlocking(false);
        long deadline = System.nanoTime() + IO_LIMIT.toNanos();
        java.io.ByteArrayOutputStream got = new java.io.ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        try (java.nio.channels.Selector sel = java.nio.channels.Selector.open()) {
            c.register(sel, java.nio.channels.SelectionKey.OP_READ);
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return null;
                }
                sel.select(left);
                sel.selectedKeys().clear();
                int n = c.read(buf);
                if (n > 0) {
                    got.write(buf.array(), 0, buf.position());
                    buf.clear();
                    if (got.size() > MAX_REQUEST) {
                        return null;
                    }
                } else if (n < 0) {
                    return got.toByteArray();
                }
            }
        }
    }

    /** Writes {@code reply} within {@link #IO_LIMIT}; a client that does not read is left behind. */
    private static void write(SocketChannel c, byte[] reply) throws IOException {
        long deadline = System.nanoTime() + IO_LIMIT.toNanos();
        ByteBuffer out = ByteBuffer.wrap(reply);
        try (java.nio.channels.Selector sel = java.nio.channels.Selector.open()) {
            c.register(sel, java.nio.channels.SelectionKey.OP_WRITE);
            while (out.hasRemaining()) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return;
                }
                sel.select(left);
                sel.selectedKeys().clear();
                c.write(out);
            }
        }
    }

    /** Asks the agent listening on {@code path}; the reply as text. */
    public static String ask(Path path, String request) throws IOException {
        try (SocketChannel c = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
            c.write(ByteBuffer.wrap((request + "\n").getBytes(StandardCharsets.UTF_8)));
            c.shutdownOutput();
            return new String(Channels.newInputStream(c).readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Stops listening and removes the socket file, unless another agent has put its own there since. */
    @Override
    public void close() throws IOException {
        server.close();
        Object now = key(path);
        if (now != null && now.equals(fileKey)) {
            Files.deleteIfExists(path);
        }
    }
}
