package dev.chameleon.host;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * The live machine's process table as {@code /proc/PID/stat} shows it, for tests that check no
 * process of a command survives, and the hanging script such tests run. Zombies (state Z or X) are dead and not counted: the processes a
 * test's commands leave behind are re-parented to PID 1, which reaps them when it reaps.
 */
public final class ProcTable {
    private ProcTable() {
    }

    /** Live processes whose process group is {@code pgid}, as {@code "pid (comm) state"} lines. */
    public static List<String> liveMembers(long pgid) {
        List<String> out = new ArrayList<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : d) {
                String stat;
                try {
                    stat = Files.readString(p.resolve("stat"));
                } catch (IOException e) {
                    continue; // gone meanwhile
                }
                int close = stat.lastIndexOf(')');
                if (close < 0) {
                    continue;
                }
                String[] f = stat.substring(close + 2).split(" ");
                // f[0] state, f[1] ppid, f[2] pgrp
                if (f.length > 2 && Long.parseLong(f[2]) == pgid && !f[0].equals("Z") && !f[0].equals("X")) {
                    out.add(stat.substring(0, close + 1) + " " + f[0]);
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list /proc: " + e.getMessage(), e);
        }
        return out;
    }

    /** True when the process {@code pid} exists and is not a zombie. */
    public static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            String state = stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
            return !state.equals("Z") && !state.equals("X");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Waits until {@code done} holds, checking every 50 ms for at most {@code seconds}: SIGKILL is
     * delivered asynchronously. A bound on a wait, not a claim about speed.
     */
    public static boolean within(int seconds, BooleanSupplier done) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            if (done.getAsBoolean()) {
                return true;
            }
            Thread.sleep(50);
        }
        return done.getAsBoolean();
    }

    /** The pid a test's script wrote first into {@code file}, waiting for the line up to {@code seconds}. */
    public static long pidIn(Path file, int seconds) throws InterruptedException, IOException {
        return pidsIn(file, seconds).get(0);
    }

    /** The pids a test's script wrote into {@code file} (one line, blank-separated), waiting for it up to {@code seconds}. */
    public static List<Long> pidsIn(Path file, int seconds) throws InterruptedException, IOException {
        if (!within(seconds, () -> {
            try {
                return Files.exists(file) && Files.readString(file).endsWith("\n");
            } catch (IOException e) {
                return false;
            }
        })) {
            throw new IllegalStateException("the script never wrote its pid to " + file);
        }
        List<Long> out = new ArrayList<>();
        for (String w : Files.readString(file).strip().split("\\s+")) {
            out.add(Long.parseLong(w));
        }
        return out;
    }

    /**
     * A script that forks sleeps (one through a subshell that exits at once, so that sleep is
     * re-parented and no longer its descendant) and hangs. It writes to PIDFILE one line: its own
     * pid (= its process group and session, run through setsid) and the pid of every process it
     * started.
     */
    public static Path hangingScript(Path dir, String name, Path pidFile) throws IOException {
        Path s = dir.resolve(name);
        Path part = dir.resolve(name + ".part");
        Files.writeString(s, "#!/bin/sh\n"
                + "/bin/sleep 300 & a=$!\n"
                + "/bin/sleep 301 & b=$!\n"
                + "( /bin/sleep 302 & echo $! > '" + part + "' )\n"
                + "echo \"$$ $a $b $(cat '" + part + "')\" > '" + pidFile + "'\n"
                + "exec /bin/sleep 303\n");
        s.toFile().setExecutable(true);
        return s;
    }
}
