package dev.chameleon.host;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs real programs on the live machine, found on {@code PATH} plus {@code /sbin},
 * {@code /usr/sbin}; standard input is closed, the locale is {@code C} so output parses the same
 * everywhere, and {@code DEBIAN_FRONTEND=noninteractive} so debconf never waits for an answer.
 *
 * <p>Each program runs in a session and process group of its own (util-linux {@code setsid}),
 * and that whole group is killed (SIGKILL) on every way the run ends: past its timeout, when the
 * calling thread is interrupted (a sensor past its deadline), when the program exits and leaves
 * processes behind, and when the JVM exits while it runs ({@link ProcessGroups}). Nothing a
 * command started outlives the call, unless it left the group itself ({@code setsid}, a daemon):
 * those are killed too while they are still its descendants. Standard output and error are kept
 * up to {@link #MAX_OUTPUT_BYTES} each; the rest is read and dropped so the program never blocks
 * on a full pipe.
 */
public final class HostCommandRunner implements CommandRunner {
    /** Bytes of standard output (and of standard error) kept per command. */
    public static final int MAX_OUTPUT_BYTES = 8 << 20;

    /**
     * How long the output of a program that exited may take to end: a process that left its
     * group (a daemon) can hold the pipes open indefinitely; its output is cut there.
     */
    static final Duration OUTPUT_GRACE = Duration.ofSeconds(2);
    private static final long MIN_GRACE_NANOS = 100_000_000L;

    private final String searchPath;

    /** Finds programs on {@code PATH} plus the sbin folders. */
    public HostCommandRunner() {
        this(null);
    }

    /**
     * Finds programs only in {@code searchPath} (folders separated by {@code :}) instead of
     * {@code PATH} plus the sbin folders; null means the default. Programs named with a {@code /}
     * are run as named either way.
     */
    public HostCommandRunner(String searchPath) {
        this.searchPath = searchPath;
    }

    @Override
    public CommandResult run(Command command, Duration timeout) {
        String source = "command: " + command.display();
        if (Thread.currentThread().isInterrupted()) {
            return new CommandResult(CommandResult.Status.TIMED_OUT, -1, "", "not started: the caller was interrupted", source);
        }
        Path exe = find(command.program(), searchPath);
        if (exe == null) {
            return CommandResult.notAvailable(source, command.program() + ": not installed");
        }
        List<String> argv = new ArrayList<>(command.argv());
        argv.set(0, exe.toString());
        boolean grouped = ProcessGroups.setsid() != null;
        ProcessBuilder pb = new ProcessBuilder(ProcessGroups.inNewGroup(argv));
        pb.environment().put("LC_ALL", "C");
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive"); // stdin is closed: debconf must not ask (apt-get install)
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new CommandResult(CommandResult.Status.FAILED_TO_START, -1, "", String.valueOf(e.getMessage()), source);
        }
        // setsid (not a group leader: a child of this JVM) calls setsid(2) and execs: pid = pgid = sid
        long pgid = p.pid();
        if (grouped) {
            ProcessGroups.started(pgid);
        }
        Drain out = new Drain(p.getInputStream(), "stdout of " + command.program());
        Drain err = new Drain(p.getErrorStream(), "stderr of " + command.program());
        long start = System.nanoTime();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return new CommandResult(CommandResult.Status.TIMED_OUT, -1, "", "timed out after " + timeout.toMillis() + " ms", source);
            }
            int exit = p.exitValue();
            // leftovers in the group hold the pipes open: kill them so the output ends
            // (not Process.destroy: on an exited process it still closes the output pipes, and the
            // drains would lose what the program wrote before it ended)
            killGroup(p, pgid, grouped, false);
            grouped = false; // done: the finally below must not signal a group id that may be reused
            // a daemon that left the group may still hold them: wait briefly, then take what came
            long left = Math.max(0, timeout.toNanos() - (System.nanoTime() - start));
            long until = System.nanoTime() + Math.min(OUTPUT_GRACE.toNanos(), Math.max(left, MIN_GRACE_NANOS));
            String stdout = out.text(until - System.nanoTime());
            String stderr = err.text(until - System.nanoTime());
            p.destroyForcibly(); // output taken: close the pipes a departed daemon may still hold
            return new CommandResult(CommandResult.Status.RAN, exit, stdout, stderr, source);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new CommandResult(CommandResult.Status.TIMED_OUT, -1, "", "interrupted (the caller's deadline passed)", source);
        } finally {
            if (p.isAlive() || grouped) {
                killGroup(p, pgid, grouped, true);
            }
        }
    }

    /**
     * Kills the command's group (when it has one) and every process still below it; the program
     * itself last when {@code self} (which also closes its output pipes).
     */
    private static void killGroup(Process p, long pgid, boolean grouped, boolean self) {
        List<ProcessHandle> below = p.descendants().toList(); // before the group dies and they are re-parented
        if (grouped) {
            ProcessGroups.kill(pgid);
        }
        below.forEach(ProcessHandle::destroyForcibly);
        if (self) {
            p.destroyForcibly();
        }
    }

    /**
     * Reads one output stream of a command on a daemon thread, keeping up to
     * {@link #MAX_OUTPUT_BYTES} and dropping the rest.
     */
    private static final class Drain {
        private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        private final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);

        Drain(InputStream in, String what) {
            Thread t = new Thread(() -> {
                try (in) {
                    byte[] buf = new byte[8192];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        synchronized (kept) {
                            int room = MAX_OUTPUT_BYTES - kept.size();
                            if (room > 0) {
                                kept.write(buf, 0, Math.min(n, room));
                            }
                        }
                    }
                } catch (IOException e) {
                    // a closed or broken pipe ends the output
                } finally {
                    ended.countDown();
                }
            }, what);
            t.setDaemon(true);
            t.start();
        }

        /** The output once the stream ended, or what came within {@code waitNanos} if it did not end. */
        String text(long waitNanos) throws InterruptedException {
            ended.await(waitNanos, TimeUnit.NANOSECONDS);
            synchronized (kept) {
                return kept.toString(StandardCharsets.UTF_8);
            }
        }
    }

    /** The executable for a program name, searching PATH and the sbin folders; null when absent. */
    static Path find(String program) {
        return find(program, null);
    }

    /** The executable for a program name, searching {@code searchPath} (or PATH and the sbin folders); null when absent. */
    static Path find(String program, String searchPath) {
        if (program.contains("/")) {
            Path p = Path.of(program);
            return Files.isExecutable(p) ? p : null;
        }
        String path = searchPath != null ? searchPath
                : System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) {
                return p;
            }
        }
        return null;
    }

    @Override
    public String describe() {
        return "host commands";
    }
}
