package dev.chameleon.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The one way Chameleon touches the machine's files: every absolute path ({@code /proc/cpuinfo},
 * {@code /sys/class/dmi/id/sys_vendor}) is resolved under a root directory, {@code /} on a live
 * machine or a captured fixture tree in tests.
 *
 * <p>Reads are tolerant: bytes are decoded as UTF-8 with replacement characters, reads stop at
 * {@link #MAX_READ_BYTES}, and a missing file, a permission-denied file and an I/O error are told
 * apart in the returned {@link HostFile}. Paths never escape the root: {@code ..} is refused.
 */
public final class SysRoot {
    /** Reads stop after this many bytes (1 MiB); sysfs and procfs values are far smaller. */
    public static final int MAX_READ_BYTES = 1 << 20;

    private final Path root;
    private final boolean live;

    public SysRoot(Path root) {
        this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
        this.live = this.root.getParent() == null; // "/"
    }

    /** The live machine's root, {@code /}. */
    public static SysRoot live() {
        return new SysRoot(Path.of("/"));
    }

    public Path root() {
        return root;
    }

    public boolean isLive() {
        return live;
    }

    /** How many symbolic links one resolution may follow, as Linux's MAXSYMLINKS. */
    static final int MAX_LINKS = 40;

    /**
     * Resolves an absolute machine path under the root. Under a root other than {@code /},
     * symbolic links are followed the way {@code chroot} would: an absolute target starts again
     * at the root and {@code ..} stops at the root, so no path ever leads outside the tree.
     *
     * @throws IllegalArgumentException when the path is relative or contains {@code ..}
     * @throws SymlinkLoopException     when more than 40 links are met on the way
     */
    public Path resolve(String absolutePath) {
        return resolve(absolutePath, true);
    }

    private Path resolve(String absolutePath, boolean followLast) {
        if (!absolutePath.startsWith("/")) {
            throw new IllegalArgumentException("host path must be absolute: " + absolutePath);
        }
        if (hasDotDot(absolutePath)) {
            throw new IllegalArgumentException("host path must not contain '..': " + absolutePath);
        }
        String rel = absolutePath.substring(1);
        if (live) {
            return rel.isEmpty() ? root : root.resolve(rel);
        }
        java.util.ArrayDeque<String> todo = new java.util.ArrayDeque<>();
        for (String part : rel.split("/")) {
            if (!part.isEmpty() && !part.equals(".")) {
                todo.add(part);
            }
        }
        java.util.ArrayList<String> done = new java.util.ArrayList<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.poll();
            if (part.equals("..")) {
                if (!done.isEmpty()) {
                    done.remove(done.size() - 1);
                }
                continue;
            }
            Path next = join(done).resolve(part);
            if ((followLast || !todo.isEmpty()) && Files.isSymbolicLink(next)) {
                if (++links > MAX_LINKS) {
                    throw new SymlinkLoopException(absolutePath);
                }
                String target;
                try {
                    target = Files.readSymbolicLink(next).toString();
                } catch (IOException e) {
                    done.add(part);
                    continue;
                }
                java.util.ArrayDeque<String> again = new java.util.ArrayDeque<>();
                for (String t : target.split("/")) {
                    if (!t.isEmpty() && !t.equals(".")) {
                        again.add(t);
                    }
                }
                if (target.startsWith("/")) {
                    done.clear();
                }
                again.addAll(todo);
                todo = again;
                continue;
            }
            done.add(part);
        }
        return join(done);
    }

    /** True when a path element is {@code ..} (checked without splitting: the daemon resolves thousands of paths a pass). */
    static boolean hasDotDot(String path) {
        for (int i = path.indexOf(".."); i >= 0; i = path.indexOf("..", i + 1)) {
            boolean start = i == 0 || path.charAt(i - 1) == '/';
            boolean end = i + 2 == path.length() || path.charAt(i + 2) == '/';
            if (start && end) {
                return true;
            }
        }
        return false;
    }

    private Path join(java.util.List<String> parts) {
        Path p = root;
        for (String part : parts) {
            p = p.resolve(part);
        }
        return p;
    }

    /** Thrown when resolving a path meets more than {@link #MAX_LINKS} symbolic links. */
    public static final class SymlinkLoopException extends RuntimeException {
        public SymlinkLoopException(String path) {
            super("too many levels of symbolic links: " + path);
        }
    }

    /** Reads a file as text; never throws for missing or unreadable files. */
    public HostFile read(String absolutePath) {
        Path p;
        try {
            p = resolve(absolutePath);
        } catch (SymlinkLoopException e) {
            return HostFile.unreadable(absolutePath, e.getMessage());
        }
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(p, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return HostFile.absent(absolutePath);
        } catch (IOException e) {
            attrs = null; // e.g. a loop the kernel found, or a denied folder: the open below says why
        }
        if (attrs != null && attrs.isDirectory()) {
            return HostFile.unreadable(absolutePath, "is a directory");
        }
        if (attrs != null && !attrs.isRegularFile()) {
            // a FIFO would block forever and a device would stream without end
            return HostFile.unreadable(absolutePath, "not a regular file (a FIFO, socket or device)");
        }
        try (InputStream in = Files.newInputStream(p)) {
            // new String(bytes, UTF_8) replaces malformed input with U+FFFD, as a REPLACE decoder does
            return HostFile.present(absolutePath, new String(in.readNBytes(MAX_READ_BYTES), StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return HostFile.absent(absolutePath);
        } catch (AccessDeniedException e) {
            return HostFile.unreadable(absolutePath, "permission denied");
        } catch (IOException e) {
            if (Files.isDirectory(p)) {
                return HostFile.unreadable(absolutePath, "is a directory");
            }
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            return HostFile.unreadable(absolutePath, msg);
        }
    }

    /**
     * The first {@code max} bytes of a binary file (ACPI tables, raw SMBIOS entries); empty when
     * the file is absent, not a regular file, or unreadable.
     */
    public Optional<byte[]> readBytes(String absolutePath, int max) {
        Path p = safeResolve(absolutePath, true);
        if (p == null) {
            return Optional.empty();
        }
        if (!Files.isRegularFile(p)) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(p)) {
            return Optional.of(in.readNBytes(max));
        } catch (IOException | SecurityException e) {
            return Optional.empty();
        }
    }

    /**
     * One CPUID leaf of a CPU, read from the kernel's {@code /dev/cpu/N/cpuid} device (module
     * {@code cpuid}; readable by root only), where the file offset is the leaf and 16 bytes come
     * back: EAX, EBX, ECX, EDX, little-endian. Under a fixture root the same path may be a regular
     * (sparse) file laid out alike. Empty when the device is absent, unreadable, or returns fewer
     * than 16 bytes (the kernel answers EIO for a CPU that went away).
     *
     * <p>Only {@code /dev/cpu/<number>/cpuid} is read: a positional read there never blocks,
     * unlike reads of other character devices, which {@link #read} refuses.
     */
    public Optional<byte[]> readCpuid(int cpu, long leaf) {
        if (cpu < 0 || leaf < 0 || leaf > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("cpu " + cpu + ", leaf 0x" + Long.toHexString(leaf));
        }
        Path p = safeResolve("/dev/cpu/" + cpu + "/cpuid", true);
        if (p == null || !(Files.isRegularFile(p) || isCharacterDevice(p))) {
            return Optional.empty();
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocate(16);
            while (buf.hasRemaining()) {
                int n = ch.read(buf, leaf + buf.position());
                if (n <= 0) {
                    return Optional.empty();
                }
            }
            return Optional.of(buf.array());
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    private static boolean isCharacterDevice(Path p) {
        try {
            Object mode = Files.getAttribute(p, "unix:mode");
            return mode instanceof Integer m && (m & 0xF000) == 0x2000;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | SecurityException e) {
            return false;
        }
    }

    /** The trimmed text of a present file, else empty (absent and unreadable alike). */
    public Optional<String> readTrimmed(String absolutePath) {
        HostFile f = read(absolutePath);
        return f.isPresent() ? Optional.of(f.trimmed()) : Optional.empty();
    }

    /** True when the path exists under the root (files, directories, links to existing targets). */
    public boolean exists(String absolutePath) {
        Path p = safeResolve(absolutePath, true);
        return p != null && Files.exists(p);
    }

    public boolean isDirectory(String absolutePath) {
        Path p = safeResolve(absolutePath, true);
        return p != null && Files.isDirectory(p);
    }

    /** Resolves, or null when the path runs into a symbolic-link loop. */
    private Path safeResolve(String absolutePath, boolean followLast) {
        try {
            return resolve(absolutePath, followLast);
        } catch (SymlinkLoopException e) {
            return null;
        }
    }

    /**
     * The names in a directory, sorted, without the fixture placeholder {@code .keep}; empty when
     * the directory is absent or unreadable.
     */
    public List<String> list(String absolutePath) {
        Path dir = safeResolve(absolutePath, true);
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.equals(".keep")) {
                    names.add(n);
                }
            }
        } catch (IOException e) {
            return List.of();
        }
        Collections.sort(names);
        return List.copyOf(names);
    }

    /**
     * The last path element of a symbolic link's target ({@code /sys/class/net/eth0/device/driver}
     * → {@code virtio_net}); empty when the path is not a link.
     */
    public Optional<String> linkName(String absolutePath) {
        Path p = safeResolve(absolutePath, false);
        if (p == null || !Files.isSymbolicLink(p)) {
            return Optional.empty();
        }
        try {
            Path target = Files.readSymbolicLink(p);
            Path name = target.getFileName();
            return name == null ? Optional.empty() : Optional.of(name.toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The machine path a path leads to once every symbolic link is followed
     * ({@code /sys/block/vda} → {@code /sys/devices/pci0000:00/0000:00:02.0/virtio1/block/vda});
     * empty when it does not exist, loops, or leads outside the root.
     */
    public Optional<String> realPath(String absolutePath) {
        try {
            Path real = resolve(absolutePath).toRealPath();
            Path realRoot = root.toRealPath();
            if (!real.startsWith(realRoot)) {
                return Optional.empty();
            }
            String rel = realRoot.relativize(real).toString();
            return Optional.of("/" + rel);
        } catch (IOException | SecurityException | SymlinkLoopException e) {
            return Optional.empty();
        }
    }

    /** Set once netlink failed in this process, so a broken {@code inet_diag} is not asked every pass. */
    private static volatile String sockDiagFailure;

    /**
     * The listening TCP sockets (IPv4 and IPv6) in the network namespace of process {@code pid}:
     * socket inode → local port, both long; empty when none or unreadable.
     *
     * <p>Source: on the live machine, the kernel's socket table over {@code NETLINK_SOCK_DIAG}
     * ({@link SockDiag}): directly for a process in the agent's own namespace ({@code
     * /proc/PID/ns/net} equal to {@code /proc/self/ns/net}), and as root for a process in another
     * one (a container) by opening the socket inside it ({@code setns}). Otherwise (a captured
     * tree, not root, netlink unavailable) the LISTEN rows of {@code /proc/PID/net/tcp} and
     * {@code tcp6} under the root, which the kernel produces by walking its whole connection table.
     *
     * @throws IllegalArgumentException when {@code pid} is not a number
     */
    public Map<Long, Long> listeningTcp(String pid) {
        if (!isProcessId(pid)) {
            throw new IllegalArgumentException("not a process id: " + pid);
        }
        if (live && sockDiagFailure == null) {
            Boolean same = sameNetNamespace(pid);
            try {
                if (Boolean.TRUE.equals(same)) {
                    return SockDiag.listening();
                }
                if (Boolean.FALSE.equals(same)) { // needs root (CAP_SYS_ADMIN): else EPERM, and the files below
                    return SockDiag.listeningIn("/proc/" + pid + "/ns/net");
                }
            } catch (IOException e) {
                // this process only (it ended, or its namespace cannot be entered): its files below
            } catch (RuntimeException | LinkageError e) {
                sockDiagFailure = String.valueOf(e.getMessage()); // from now on /proc/PID/net/tcp
            }
        }
        Map<Long, Long> out = new java.util.HashMap<>();
        for (String f : List.of("/net/tcp", "/net/tcp6")) {
            HostFile t = read("/proc/" + pid + f);
            if (t.isPresent()) {
                out.putAll(parseProcNetTcpListening(t.text()));
            }
        }
        return out;
    }

    /**
     * True for a {@code /proc} entry named by ASCII digits only (a process). A plain loop: the apps
     * sensor asks it for every /proc entry every pass.
     */
    public static boolean isProcessId(String name) {
        if (name.isEmpty()) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** Why netlink socket listing failed in this process (null while it works or was not tried). */
    public static String sockDiagFailure() {
        return sockDiagFailure;
    }

    /** True or false when both namespace links read; null when not (not root, the process ended). */
    private static Boolean sameNetNamespace(String pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", pid, "ns", "net"))
                    .equals(Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return null;
        }
    }

    /**
     * Listening sockets of {@code /proc/net/tcp} or {@code tcp6} text: inode → local port.
     * Rows: {@code sl local_address rem_address st ... inode}; state {@code 0A} is LISTEN; garbled
     * rows are skipped.
     */
    public static Map<Long, Long> parseProcNetTcpListening(String text) {
        Map<Long, Long> out = new java.util.HashMap<>();
        for (String line : text.split("\n")) {
            String[] f = line.strip().split("\\s+");
            if (f.length < 10 || !f[3].equals("0A")) {
                continue;
            }
            int colon = f[1].lastIndexOf(':');
            try {
                long port = Long.parseLong(f[1].substring(colon + 1), 16);
                long inode = Long.parseLong(f[9]);
                if (inode != 0) {
                    out.put(inode, port);
                }
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                // a garbled row is skipped
            }
        }
        return out;
    }

    /** True when the path is a regular file (after links) that may be executed. */
    public boolean isExecutable(String absolutePath) {
        Path p = safeResolve(absolutePath, true);
        return p != null && Files.isRegularFile(p) && Files.isExecutable(p);
    }

    /** True when the path is itself a symbolic link. */
    public boolean isLink(String absolutePath) {
        Path p = safeResolve(absolutePath, false);
        return p != null && Files.isSymbolicLink(p);
    }

    /**
     * Writes text to an existing kernel file (procfs, sysfs) in place, as {@code echo value > file} does.
     *
     * @throws IOException with the kernel's answer (for example "Invalid argument" for EINVAL)
     */
    public void writeKernelFile(String absolutePath, String value) throws IOException {
        Path p;
        try {
            p = resolve(absolutePath);
        } catch (SymlinkLoopException e) {
            throw new IOException(e.getMessage());
        }
        if (!Files.exists(p)) {
            throw new NoSuchFileException(absolutePath, null, "does not exist");
        }
        if (!Files.isRegularFile(p)) {
            throw new IOException(absolutePath + " is not a regular file");
        }
        Files.writeString(p, value, StandardCharsets.UTF_8, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
    }

    /**
     * Replaces a regular file atomically: writes a temporary file beside it, fsyncs it, renames it
     * over the target and fsyncs the directory. Creates parent directories.
     */
    public static void writeAtomically(Path target, byte[] content) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            try (var ch = java.nio.channels.FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                var buf = java.nio.ByteBuffer.wrap(content);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            try (var dch = java.nio.channels.FileChannel.open(dir, StandardOpenOption.READ)) {
                dch.force(true);
            } catch (IOException ignored) {
                // some filesystems refuse to open directories for fsync; the rename is still done
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
