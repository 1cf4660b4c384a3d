package dev.chameleon.engine;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The state folder's two locks, in one place, and why there are two.
 *
 * <ul>
 * <li>{@link #changeLock()} ({@code STATE/lock}) is held while a change set is applied, rolled
 * back or recovered — seconds — so that two processes never change the machine or write the
 * journal at once. {@code chameleon apply}, {@code rollback} and the daemon's apply take it.</li>
 * <li>{@link #agentLock()} ({@code STATE/agent.lock}, holding the agent's pid) is held for the
 * daemon's whole life, so that one state folder has one agent — even in plan mode, where it
 * never changes anything but owns the socket, the events file and the drift baseline.</li>
 * </ul>
 * A third, {@link #tuningLock()} ({@code STATE/tune.lock}, holding the pid), is held for a whole
 * tuning run ({@code chameleon tune --yes}, or the daemon running an assigned {@code Tuning}):
 * it is the marker that tells a trial under way (its change set applied, its process alive)
 * from a trial a killed run left applied, which every recovery undoes
 * ({@link Engine.Changes#recover()}).
 * <p>
 * Folding them into one would mean either a running agent refuses every {@code chameleon apply}
 * and {@code rollback} for as long as it runs (it would hold the change lock for good), or a
 * second agent could start between two of the first one's passes. So they stay two, taken
 * through here only.
 */
public final class StateFolder {
    private final Path dir;

    StateFolder(Path dir) {
        this.dir = dir;
    }

    /** The folder. */
    public Path path() {
        return dir;
    }

    /**
     * Takes the change lock; close it to release.
     *
     * @throws EngineException.Refused when another process holds it ("another chameleon process
     *                                 holds STATE/lock; nothing was changed")
     * @throws EngineException.Failed  when the folder cannot be made
     */
    public AutoCloseable changeLock() {
        Path f = dir.resolve("lock");
        FileChannel ch = open(f);
        FileLock l = tryLock(ch);
        if (l == null) {
            close(ch);
            throw new EngineException.Refused("another chameleon process holds " + f + "; nothing was changed");
        }
        return () -> {
            l.release();
            ch.close();
        };
    }

    /**
     * True when another process holds the change lock now (an apply, rollback or recovery runs).
     * Never creates the folder or the lock file; a lock file that cannot be opened counts as free.
     */
    public boolean changeRunning() {
        return held("lock");
    }

    /**
     * Takes the agent lock for the daemon's life and writes this process's pid into it; close it
     * to release.
     *
     * @throws EngineException.Refused when another agent holds it, naming its pid
     */
    public AutoCloseable agentLock() {
        return pidLock("agent.lock", pid -> "another agent" + pid + " runs with the state folder " + dir
                + "; stop it first (systemctl stop chameleon), or give this one its own --state-dir");
    }

    /**
     * Takes the tuning lock for one tuning run and writes this process's pid into it; close it to
     * release. The kernel releases it when the process dies, however it dies.
     *
     * @throws EngineException.Refused when another tuning run holds it, naming its pid
     */
    public AutoCloseable tuningLock() {
        return pidLock("tune.lock", pid -> "another tuning run" + pid + " uses the state folder " + dir
                + "; one tuning runs at a time. Nothing was changed.");
    }

    /**
     * Takes the lock file {@code name} and writes this process's pid into it; refused with
     * {@code refusal} of the holder's {@code " (pid N)"} (empty when unknown).
     */
    private AutoCloseable pidLock(String name, java.util.function.Function<String, String> refusal) {
        Path f = dir.resolve(name);
        FileChannel ch = open(f);
        FileLock l = tryLock(ch);
        if (l == null) {
            String pid;
            try {
                pid = new String(Files.readAllBytes(f), StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                pid = "";
            }
            close(ch);
            throw new EngineException.Refused(refusal.apply(pid.isEmpty() ? "" : " (pid " + pid + ")"));
        }
        try {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        } catch (IOException e) {
            close(ch); // closing the channel releases its lock
            throw new EngineException.Failed("cannot write " + f + ": " + e.getMessage());
        }
        return () -> {
            l.release();
            ch.close();
        };
    }

    /**
     * True while a tuning run holds the tuning lock — another process's, or this process's own
     * (the daemon running a tuning): its trial's change set is under way, not interrupted. Never
     * creates the folder or the lock file; a lock file that cannot be opened counts as free.
     */
    public boolean tuningRunning() {
        return held("tune.lock");
    }

    /** True when a process (this one too) holds the lock file {@code name}; never creates it; one that cannot be opened counts as free. */
    private boolean held(String name) {
        Path f = dir.resolve(name);
        if (!Files.exists(f)) {
            return false;
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) {
                return true;
            }
            l.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true; // this process holds it
        } catch (IOException e) {
            return false;
        }
    }

    private FileChannel open(Path f) {
        try {
            Files.createDirectories(dir);
            return FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new EngineException.Failed("cannot open " + f + ": " + e.getMessage() + "; nothing was changed");
        }
    }

    private static FileLock tryLock(FileChannel ch) {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        } catch (IOException e) {
            throw new EngineException.Failed("cannot lock: " + e.getMessage() + "; nothing was changed");
        }
    }

    private static void close(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // closing a channel we failed to lock: nothing held
        }
    }
}
