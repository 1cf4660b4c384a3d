package dev.chameleon.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Set;

/**
 * The command line's fast path: {@code facts}, {@code detect}, {@code plan}, {@code explain} and
 * {@code status} ask the running agent ({@code chameleon run}) over its control socket and print
 * its answer, which the agent renders with the same command code from its own facts and compiled
 * policies, so the bytes are those the standalone path prints. Hand-written on the JDK alone
 * (no picocli, no sensors, no CEL, no Jackson): a client run loads a few hundred classes.
 *
 * <p>Which socket: {@code --socket FILE}, else {@code STATE-DIR/agent.sock} with
 * {@code --state-dir}, else {@code /var/lib/chameleon/agent.sock} under {@code --root} (or /).
 * No socket file there: the standalone path, at once and silently.
 *
 * <p>The request: {@code chameleon/1 NUL build NUL charset NUL cwd NUL} and each argument followed
 * by NUL. The answer: one header line, {@code chameleon/1 BUILD ok EXIT OUTLEN ERRLEN}, then
 * exactly OUTLEN bytes of standard output and ERRLEN of standard error; or {@code chameleon/1
 * BUILD decline REASON} (the agent cannot answer this question as the standalone path would: other
 * options, a policy file changed since it compiled them) or {@code chameleon/1 BUILD other-build}.
 *
 * <p>Nothing is printed until the whole answer is in and checked. When the socket is stale
 * (nobody listens), something else answers, the agent is another build, or no full answer comes
 * within {@link #LIMIT_MILLIS} ms, the standalone path answers and one line on standard error
 * says why; a decline, {@code --standalone}, {@code --help} and {@code --version} go to the
 * standalone path silently, as does a socket this user may not open (the agent's is root's).
 */
final class AgentClient {
    /** The commands the agent answers. */
    static final Set<String> SERVED = Set.of("facts", "detect", "plan", "explain", "status");
    /** How long the client waits for the agent's whole answer before answering without it. */
    static final long LIMIT_MILLIS = 5000;
    static final String MAGIC = "chameleon/1";

    private static volatile String build;

    private AgentClient() {
    }

    /** The answer the agent gave: exit code, standard output, standard error. */
    record Answer(int exit, byte[] out, byte[] err) {
    }

    /** Why the agent did not answer, and whether the user is told (on standard error). */
    static final class NoAnswer extends Exception {
        final boolean say;

        NoAnswer(String message, boolean say) {
            super(message, null, false, false);
            this.say = say;
        }
    }

    /**
     * Runs {@code args} through the agent when one answers: prints its answer and returns its
     * exit code; null when the standalone path must answer (a line on {@code err} says why when
     * that is a problem with the socket or the agent).
     */
    static Integer serve(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || !SERVED.contains(args[0])) {
            return null;
        }
        Path sock = socket(args);
        if (sock == null || !Files.exists(sock, LinkOption.NOFOLLOW_LINKS)) {
            return null;
        }
        try {
            Answer a = ask(sock, args, LIMIT_MILLIS);
            out.write(a.out(), 0, a.out().length);
            out.flush();
            err.write(a.err(), 0, a.err().length);
            err.flush();
            return a.exit();
        } catch (NoAnswer e) {
            if (e.say && !args[0].equals("status")) { // status says itself that no agent answers
                err.println("chameleon: " + e.getMessage() + "; answering without it");
                err.flush();
            }
            return null;
        }
    }

    /** The control socket {@code args} name, null for options that always take the standalone path. */
    static Path socket(String[] args) {
        String socket = null;
        String state = null;
        String root = null;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--standalone", "-h", "--help", "-V", "--version", "--" -> {
                    return null;
                }
                default -> {
                }
            }
            String[] opt = {"--socket", "--state-dir", "--root"};
            for (String o : opt) {
                String v = null;
                if (a.equals(o) && i + 1 < args.length) {
                    v = args[++i];
                } else if (a.startsWith(o + "=")) {
                    v = a.substring(o.length() + 1);
                }
                if (v != null) {
                    switch (o) {
                        case "--socket" -> socket = v;
                        case "--state-dir" -> state = v;
                        default -> root = v;
                    }
                    break;
                }
            }
        }
        try {
            if (socket != null) {
                return Path.of(socket).toAbsolutePath();
            }
            if (state != null) {
                return Path.of(state).toAbsolutePath().resolve("agent.sock");
            }
            return Path.of(root != null ? root : "/").toAbsolutePath().resolve("var/lib/chameleon/agent.sock");
        } catch (RuntimeException e) {
            return null; // not a path: the standalone path says what is wrong
        }
    }

    /**
     * Sends {@code args} to the agent on {@code sock} and reads its whole answer within
     * {@code limitMillis}.
     *
     * @throws NoAnswer the standalone path must answer, and why
     */
    static Answer ask(Path sock, String[] args, long limitMillis) throws NoAnswer {
        SocketChannel c;
        try {
            c = SocketChannel.open(StandardProtocolFamily.UNIX);
        } catch (IOException e) {
            throw new NoAnswer("cannot open a socket: " + e.getMessage(), true);
        }
        // a blocking channel has no read timeout: a watchdog closes it at the limit, which ends a blocked read
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(limitMillis);
                c.close();
            } catch (InterruptedException | IOException e) {
                // answered in time, or already closed
            }
        }, "agent-client-limit");
        watchdog.setDaemon(true);
        watchdog.start();
        try (c) {
            try {
                c.connect(UnixDomainSocketAddress.of(sock));
            } catch (java.net.SocketException e) {
                String m = String.valueOf(e.getMessage());
                if (m.contains("ermission")) {
                    throw new NoAnswer("may not open " + sock, false);
                }
                throw new NoAnswer("no agent answers on " + sock + " (" + m + ": a stale socket?)", true);
            }
            c.write(ByteBuffer.wrap(request(args)));
            c.shutdownOutput();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            int n;
            while ((n = c.read(buf)) >= 0) {
                got.write(buf.array(), 0, n);
                buf.clear();
                if (got.size() > 256 << 20) {
                    throw new NoAnswer(sock + " sent more than 256 MiB", true);
                }
            }
            return parse(sock, got.toByteArray());
        } catch (java.nio.channels.ClosedChannelException e) {
            throw new NoAnswer("the agent on " + sock + " did not answer within " + limitMillis + " ms", true);
        } catch (IOException e) {
            throw new NoAnswer("the agent on " + sock + " did not answer (" + e.getMessage() + ")", true);
        } finally {
            watchdog.interrupt();
        }
    }

    /** The request's bytes: magic, build, charset, working folder, the arguments; each ends with NUL. */
    static byte[] request(String[] args) {
        StringBuilder sb = new StringBuilder();
        sb.append(MAGIC).append('\0').append(build()).append('\0').append(Charset.defaultCharset().name()).append('\0')
                .append(Path.of("").toAbsolutePath()).append('\0');
        for (String a : args) {
            sb.append(a).append('\0');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Checks an answer: the header, the build, the exact lengths. */
    static Answer parse(Path sock, byte[] b) throws NoAnswer {
        int nl = -1;
        for (int i = 0; i < Math.min(b.length, 4096); i++) {
            if (b[i] == '\n') {
                nl = i;
                break;
            }
        }
        String head = nl < 0 ? "" : new String(b, 0, nl, StandardCharsets.UTF_8);
        String[] w = head.split(" ", 4);
        if (w.length < 3 || !w[0].equals(MAGIC)) {
            throw new NoAnswer(sock + " did not answer as a chameleon agent", true);
        }
        if (!w[1].equals(build()) || w[2].equals("other-build")) {
            throw new NoAnswer("the agent on " + sock + " is another build (" + w[1] + "; this command is " + build()
                    + "); restart it (systemctl restart chameleon)", true);
        }
        if (w[2].equals("decline")) {
            throw new NoAnswer("the agent declined: " + (w.length > 3 ? w[3] : ""), false);
        }
        String[] nums = w.length > 3 ? w[3].split(" ") : new String[0];
        if (!w[2].equals("ok") || nums.length != 3) {
            throw new NoAnswer(sock + " did not answer as a chameleon agent", true);
        }
        try {
            int exit = Integer.parseInt(nums[0]);
            int outLen = Integer.parseInt(nums[1]);
            int errLen = Integer.parseInt(nums[2]);
            if (outLen < 0 || errLen < 0 || (long) nl + 1 + outLen + errLen != b.length) {
                throw new NoAnswer("the agent on " + sock + " sent a broken answer (" + (b.length - nl - 1) + " bytes, "
                        + ((long) outLen + errLen) + " announced)", true);
            }
            byte[] out = java.util.Arrays.copyOfRange(b, nl + 1, nl + 1 + outLen);
            byte[] err = java.util.Arrays.copyOfRange(b, nl + 1 + outLen, b.length);
            return new Answer(exit, out, err);
        } catch (NumberFormatException e) {
            throw new NoAnswer(sock + " did not answer as a chameleon agent", true);
        }
    }

    /**
     * This build's identity: the version, and the size and time of the jar the classes come from
     * (a package upgrade changes it; an agent started before answers "other-build"). The agent
     * takes its own when it starts ({@link #build()} is called then), before the jar can change.
     */
    static String build() {
        String b = build;
        if (b == null) {
            String id = "classes";
            try {
                var src = AgentClient.class.getProtectionDomain().getCodeSource();
                if (src != null && src.getLocation() != null && "file".equals(src.getLocation().getProtocol())) {
                    Path jar = Path.of(src.getLocation().toURI());
                    if (Files.isRegularFile(jar)) {
                        id = Long.toString(Files.size(jar), 36) + "." + Long.toString(Files.getLastModifiedTime(jar).toMillis(), 36);
                    }
                }
            } catch (IOException | java.net.URISyntaxException | RuntimeException e) {
                id = "unknown";
            }
            b = build = Cli.VERSION.replace("chameleon ", "") + "+" + id;
        }
        return b;
    }
}
