package dev.chameleon.host;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The process groups of the commands {@link HostCommandRunner} runs: each command starts in a
 * session and process group of its own ({@code setsid}, util-linux), so that everything it starts
 * (a shell's {@code sleep}, a helper forked by {@code lspci}) can be killed with one
 * {@code kill(-pgid, SIGKILL)}, whichever way the command ends. Groups of commands still running
 * when the JVM exits (end of a one-shot command, SIGTERM or SIGINT to the agent) are killed by a
 * shutdown hook; a SIGKILLed JVM cannot do that (under systemd the unit's control group is
 * cleaned by systemd).
 *
 * <p>Signals go through JNA to libc's {@code kill}; the group of this JVM itself is never
 * signalled. Without {@code setsid} or without JNA only the command's descendants that are still
 * its descendants can be killed (the JDK's {@link ProcessHandle#descendants()}).
 */
final class ProcessGroups {
    interface LibC extends Library {
        int kill(int pid, int sig);

        int getpgrp();
    }

    static final int SIGKILL = 9;

    private static final Set<Long> RUNNING = ConcurrentHashMap.newKeySet();
    private static volatile boolean hooked;
    private static volatile Object libc; // LibC, or a String saying why there is none
    private static volatile Path setsid;
    private static volatile boolean setsidLooked;

    private ProcessGroups() {
    }

    /** util-linux {@code setsid} on PATH or in the sbin folders; null when absent. */
    static Path setsid() {
        if (!setsidLooked) {
            synchronized (ProcessGroups.class) {
                if (!setsidLooked) {
                    setsid = HostCommandRunner.find("setsid", null);
                    setsidLooked = true;
                }
            }
        }
        return setsid;
    }

    /** The argument vector that runs {@code argv} in a new session and process group, when possible. */
    static List<String> inNewGroup(List<String> argv) {
        Path s = setsid();
        if (s == null) {
            return argv;
        }
        hook();
        java.util.ArrayList<String> out = new java.util.ArrayList<>(argv.size() + 1);
        out.add(s.toString());
        out.addAll(argv);
        return out;
    }

    /** Notes a group whose leader (a child of this JVM, so not a group leader before) is {@code pgid}. */
    static void started(long pgid) {
        RUNNING.add(pgid);
        hook();
    }

    /**
     * Installs the shutdown hook once, before the first command starts ({@link #inNewGroup}), so a
     * JVM stopped between a command's start and {@link #started} still takes its group along.
     */
    static void hook() {
        if (!hooked) {
            synchronized (ProcessGroups.class) {
                if (!hooked) {
                    lib(); // JNA loaded now rather than first inside the hook
                    Thread t = new Thread(ProcessGroups::killAll, "chameleon-command-groups");
                    try {
                        Runtime.getRuntime().addShutdownHook(t);
                    } catch (IllegalStateException e) {
                        // the JVM is already shutting down: the command is killed on the run's own paths
                    }
                    hooked = true;
                }
            }
        }
    }

    /**
     * Kills every process of the group {@code pgid} (SIGKILL) and forgets it. A group with no
     * process left is not an error. Returns false when the group could not be signalled at all
     * (no JNA, or {@code pgid} is this JVM's own group).
     */
    static boolean kill(long pgid) {
        RUNNING.remove(pgid);
        return signal(pgid);
    }

    private static boolean signal(long pgid) {
        LibC c = lib();
        if (c == null || pgid <= 1 || pgid > Integer.MAX_VALUE || pgid == c.getpgrp()) {
            return false;
        }
        c.kill((int) -pgid, SIGKILL); // ESRCH (no process left in the group) is the usual answer
        return true;
    }

    /** Kills the groups of commands still running (the shutdown hook). */
    static void killAll() {
        for (Long g : List.copyOf(RUNNING)) {
            kill(g);
        }
        // a command started but not yet noted in RUNNING: each command is a child of this JVM that
        // leads its own group (setsid), so its pid is its group's id; for any other child no group
        // has that id and the kill is a no-op (ESRCH)
        ProcessHandle.current().children().forEach(c -> signal(c.pid()));
    }

    /** The groups of commands running now (tests). */
    static Set<Long> running() {
        return Set.copyOf(RUNNING);
    }

    private static LibC lib() {
        Object l = libc;
        if (l == null) {
            synchronized (ProcessGroups.class) {
                l = libc;
                if (l == null) {
                    try {
                        l = Native.load("c", LibC.class);
                    } catch (LinkageError | RuntimeException e) {
                        l = "JNA cannot call libc: " + e.getMessage();
                    }
                    libc = l;
                }
            }
        }
        return l instanceof LibC c ? c : null;
    }
}
