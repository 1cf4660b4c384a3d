package dev.chameleon.sensors;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Values that do not change while the machine runs (CPU model and flags, OS release, kernel
 * release and command line, DMI strings), kept between collections of a long-running agent.
 *
 * <p>A sensor asks for a constant with {@link SensorContext#constant(String, Supplier)}; the
 * first call reads, later calls within the same cache return the kept value. Volatile values
 * (available memory, link state, running applications) are never put here and are re-read on
 * every collection. Only present values are kept: an absent or failed read is tried again next
 * time. A one-shot command uses a fresh cache per run; the daemon keeps one and calls
 * {@link #invalidate()} on events that may change "constants" (CPU hotplug, a microcode reload,
 * a kernel or OS update after reboot is a new process anyway). Thread-safe.
 *
 * <p>A cache made with a store folder ({@link #FactCache(Path)}; the engine gives
 * {@code STATE/cache} on the live machine) also keeps the answers of costly commands between
 * processes ({@link #stored}, {@link #store}): the {@code updates} sensor's {@code apt-cache policy}
 * (2–3 s) is asked again only when its stamp (dpkg's status, apt's lists, {@code /etc/apt}) changed.
 * A stored answer is used only when its file is a regular file (not a link) owned by this
 * process's user, not writable by group or others, at most {@value #MAX_STORED} bytes, in this
 * format, with the same stamp and an intact SHA-256 of its body; anything else is read afresh and
 * written over. A store that cannot be written (a user without rights on the state folder) is
 * simply not used.
 */
public final class FactCache {
    private final Map<String, Object> values = new ConcurrentHashMap<>();
    /** Sensors' memory between collections (samples of counters), not constants: {@link #invalidate()} keeps it. */
    private final Map<String, Object> memory;
    /** Where answers are kept between processes; null: nowhere. */
    private final Path store;
    /** The largest stored answer read back, in bytes. */
    static final int MAX_STORED = 4 << 20;
    private static final String HEADER = "chameleon-stored 1";

    public FactCache() {
        this(new ConcurrentHashMap<>(), null);
    }

    /** A fresh cache that keeps costly answers in the folder {@code store} (made when first written). */
    public FactCache(Path store) {
        this(new ConcurrentHashMap<>(), store);
    }

    private FactCache(Map<String, Object> memory, Path store) {
        this.memory = memory;
        this.store = store;
    }

    /**
     * A cache with no constants that shares this one's memory: a collection through it reads
     * everything again (a client's {@code --refresh}, {@code facts SENSOR}) and still takes its
     * deltas against the daemon's samples (and adds its own).
     */
    public FactCache sharingMemory() {
        return new FactCache(memory, store);
    }

    /**
     * The kept value for {@code key}, else the value {@code read} gives, kept when it is neither
     * null nor an empty map/list/string.
     */
    @SuppressWarnings("unchecked")
    <T> T get(String key, Supplier<T> read, Runnable onHit) {
        Object v = values.get(key);
        if (v != null) {
            onHit.run();
            return (T) v;
        }
        T fresh = read.get();
        if (fresh != null && !isEmpty(fresh)) {
            values.put(key, fresh);
        }
        return fresh;
    }

    /**
     * The object a sensor keeps between collections under {@code key} (e.g. the {@link HostHistory}
     * of counter samples), made by {@code create} the first time. Unlike constants it is not dropped
     * by {@link #invalidate()}: a hotplug does not make earlier samples of CPU time wrong.
     */
    @SuppressWarnings("unchecked")
    <T> T memory(String key, Supplier<T> create) {
        return (T) memory.computeIfAbsent(key, k -> create.get());
    }

    /** The folder costly answers are kept in between processes; empty: none. */
    public Optional<Path> store() {
        return Optional.ofNullable(store);
    }

    /**
     * The answer stored under {@code key} (a file name: letters, digits, dots, dashes) when it was
     * stored with {@code stamp} and its file passes every check of the class comment; else empty
     * (no store, no file, another stamp, a corrupt or foreign file).
     */
    Optional<String> stored(String key, String stamp) {
        if (store == null) {
            return Optional.empty();
        }
        try {
            Path f = store.resolve(checkKey(key));
            if (!Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS) || Files.size(f) > MAX_STORED) {
                return Optional.empty();
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS);
            if (perms.contains(PosixFilePermission.GROUP_WRITE) || perms.contains(PosixFilePermission.OTHERS_WRITE)
                    || !Files.getAttribute(f, "unix:uid", LinkOption.NOFOLLOW_LINKS).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
                return Optional.empty();
            }
            String text = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
            String[] head = text.split("\n", 4);
            if (head.length < 4 || !head[0].equals(HEADER) || !head[1].equals("stamp " + oneLine(stamp))
                    || !head[2].equals("sha256 " + sha256(head[3]))) {
                return Optional.empty();
            }
            return Optional.of(head[3]);
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // unreadable or odd: read afresh
        }
    }

    /**
     * Keeps {@code answer} under {@code key} with {@code stamp}: written to a temporary file
     * (mode 0644) and moved into place, so a reader never sees half a file. Does nothing without
     * a store or when the folder cannot be made or written.
     */
    void store(String key, String stamp, String answer) {
        if (store == null) {
            return;
        }
        Path tmp = null;
        try {
            Path f = store.resolve(checkKey(key));
            Files.createDirectories(store);
            tmp = Files.createTempFile(store, key + ".", ".tmp", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
            Files.writeString(tmp, HEADER + "\nstamp " + oneLine(stamp) + "\nsha256 " + sha256(answer) + "\n" + answer);
            try {
                Files.move(tmp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, f, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException | RuntimeException e) {
            // not writable here (a user without rights on the state folder): the next run asks again
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // left behind in the cache folder: harmless, written over by name never
                }
            }
        }
    }

    private static String checkKey(String key) {
        if (!key.matches("[A-Za-z0-9][A-Za-z0-9.-]*")) {
            throw new IllegalArgumentException("store key " + key);
        }
        return key;
    }

    private static String oneLine(String s) {
        return s.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isEmpty(Object v) {
        return v instanceof Map<?, ?> m && m.isEmpty() || v instanceof java.util.Collection<?> c && c.isEmpty()
                || v instanceof String s && s.isEmpty() || v instanceof java.util.Optional<?> o && o.isEmpty();
    }

    /** Drops every kept value; the next collection reads everything again. */
    public void invalidate() {
        values.clear();
    }

    /** Drops the kept values of one sensor ({@code cpu}), e.g. after a CPU hotplug event. */
    public void invalidate(String sensor) {
        values.keySet().removeIf(k -> k.startsWith(sensor + "."));
    }

    /** How many values are kept. */
    public int size() {
        return values.size();
    }
}
