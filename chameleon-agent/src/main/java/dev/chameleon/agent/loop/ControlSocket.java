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
 * The running agent's control socket (a Unix domain socket, mode 0600): a client sends one line
 * ({@code status}) and reads one JSON document back, then the connection closes.
 */
public final class ControlSocket implements AutoCloseable {
    /** Another agent answers on the socket: two agents must not manage one machine from one state folder. */
    public static final class InUse extends IOException {
        public InUse(String message) {
            super(message);
        }
    }

    private final Path path;
    private final ServerSocketChannel server;
    private final Object fileKey;
    private final Thread thread;

    private ControlSocket(Path path, ServerSocketChannel server, Object fileKey, Supplier<String> status) {
        this.path = path;
        this.server = server;
        this.fileKey = fileKey;
        this.thread = new Thread(() -> serve(status), "control-socket");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Listens on {@code path}, replacing a stale socket file left by an agent that died.
     *
     * @throws InUse when an agent answers on {@code path} (its socket is left alone)
     */
    public static ControlSocket open(Path path, Supplier<String> status) throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        refuseIfAnswered(path);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(path));
        try {
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | IOException e) {
            // best effort: the state dir itself is root-only
        }
        return new ControlSocket(path, s, key(path), status);
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

    private void serve(Supplier<String> status) {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                ByteBuffer in = ByteBuffer.allocate(256);
                c.read(in);
                String cmd = new String(in.array(), 0, in.position(), StandardCharsets.UTF_8).strip();
                String reply = cmd.equals("status") ? status.get() : "{\"error\":\"unknown request: " + cmd.replace("\"", "'") + "\"}";
                c.write(ByteBuffer.wrap((reply + "\n").getBytes(StandardCharsets.UTF_8)));
            } catch (IOException | RuntimeException e) {
                if (!server.isOpen()) {
                    return;
                }
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
