package dev.chameleon.agent.loop;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.function.Consumer;

/**
 * What wakes the loop between intervals, each as a {@link Trigger} put on a queue: kernel uevents
 * (a {@code NETLINK_KOBJECT_UEVENT} socket through JNA; {@code udevadm monitor --kernel} when
 * netlink is unavailable), changes in policy folders (WatchService) and SIGHUP (reload).
 */
public final class Triggers implements AutoCloseable {
    /** Why a pass runs; {@code reload} recompiles the policies first. */
    public record Trigger(String source, String detail, boolean reload) {
    }

    /** Subsystems whose hotplug changes what the agent decides. */
    static final Set<String> SUBSYSTEMS = Set.of("net", "block", "cpu", "memory", "pci", "drm", "nvme");
    static final Set<String> ACTIONS = Set.of("add", "remove", "move", "online", "offline", "change");

    private final BlockingQueue<Trigger> queue;
    private final List<AutoCloseable> open = new ArrayList<>();
    private final Consumer<String> log;

    public Triggers(BlockingQueue<Trigger> queue, Consumer<String> log) {
        this.queue = queue;
        this.log = log;
    }

    /** A uevent message, as the kernel sends it ({@code add@/devices/...\0ACTION=add\0SUBSYSTEM=net\0...}) or as udevadm prints it. */
    static java.util.Optional<Trigger> parseUevent(String msg) {
        String action = null;
        String subsystem = null;
        String devpath = null;
        for (String part : msg.split("[\u0000\n]")) {
            if (part.startsWith("ACTION=")) {
                action = part.substring(7);
            } else if (part.startsWith("SUBSYSTEM=")) {
                subsystem = part.substring(10);
            } else if (part.startsWith("DEVPATH=")) {
                devpath = part.substring(8);
            }
        }
        if (action == null || subsystem == null || !ACTIONS.contains(action) || !SUBSYSTEMS.contains(subsystem)) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of(new Trigger("uevent", action + " " + subsystem + " " + devpath, false));
    }

    /** udevadm monitor output: "KERNEL[123.4] add  /devices/... (net)" lines. */
    static java.util.Optional<Trigger> parseUdevadm(String line) {
        var m = java.util.regex.Pattern.compile("^KERNEL\\[[^]]*]\\s+(\\S+)\\s+(\\S+)\\s+\\((\\S+)\\)").matcher(line.strip());
        if (!m.find()) {
            return java.util.Optional.empty();
        }
        return parseUevent("ACTION=" + m.group(1) + "\nDEVPATH=" + m.group(2) + "\nSUBSYSTEM=" + m.group(3));
    }

    // --- netlink through JNA ---

    interface LibC extends Library {
        int socket(int domain, int type, int protocol);

        int bind(int fd, SockaddrNl addr, int len);

        int recv(int fd, byte[] buf, long len, int flags);

        int close(int fd);
    }

    @Structure.FieldOrder({"nl_family", "nl_pad", "nl_pid", "nl_groups"})
    public static class SockaddrNl extends Structure {
        public short nl_family;
        public short nl_pad;
        public int nl_pid;
        public int nl_groups;
    }

    static final int AF_NETLINK = 16;
    static final int SOCK_DGRAM = 2;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int NETLINK_KOBJECT_UEVENT = 15;

    /**
     * Listens for kernel uevents: netlink first, else {@code udevadm monitor --kernel}; says which
     * in the log. Returns the source used ({@code netlink}, {@code udevadm}, or {@code none}).
     */
    public String uevents(boolean allowUdevadm) {
        try {
            LibC libc = Native.load("c", LibC.class);
            int fd = libc.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
            if (fd < 0) {
                throw new IOException("socket(AF_NETLINK, NETLINK_KOBJECT_UEVENT) failed, errno " + Native.getLastError());
            }
            SockaddrNl a = new SockaddrNl();
            a.nl_family = AF_NETLINK;
            a.nl_groups = 1; // the kernel's own broadcast group, not udev's
            a.write();
            if (libc.bind(fd, a, a.size()) != 0) {
                int errno = Native.getLastError();
                libc.close(fd);
                throw new IOException("bind netlink failed, errno " + errno);
            }
            Thread t = new Thread(() -> {
                byte[] buf = new byte[16384];
                while (true) {
                    int n = libc.recv(fd, buf, buf.length, 0);
                    if (n < 0) {
                        return;
                    }
                    parseUevent(new String(buf, 0, n, StandardCharsets.UTF_8)).ifPresent(queue::offer);
                }
            }, "uevent-netlink");
            t.setDaemon(true);
            t.start();
            open.add(() -> libc.close(fd));
            return "netlink";
        } catch (Throwable e) {
            log.accept("netlink uevents unavailable (" + e + ")" + (allowUdevadm ? "; using udevadm monitor --kernel" : ""));
        }
        if (!allowUdevadm) {
            return "none";
        }
        try {
            Process p = new ProcessBuilder("udevadm", "monitor", "--kernel").redirectErrorStream(true).start();
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        parseUdevadm(line).ifPresent(queue::offer);
                    }
                } catch (IOException e) {
                    // process ended
                }
            }, "uevent-udevadm");
            t.setDaemon(true);
            t.start();
            open.add(p::destroy);
            return "udevadm";
        } catch (IOException e) {
            log.accept("udevadm monitor unavailable (" + e.getMessage() + "); hotplug is seen at the next interval only");
            return "none";
        }
    }

    /**
     * Watches the policy folders (and the folders of policy files); any change means reload. A
     * folder that does not exist yet (a machine tree without {@code etc/chameleon/policies.d}, or
     * one deleted and made again) is waited for: its nearest existing parent is watched for
     * creations only, and when the folder appears it is watched too and a reload is triggered
     * ({@code policy-change}, "FOLDER: created"); other changes in that parent wake nothing.
     */
    public void policyFolders(List<Path> dirs) throws IOException {
        if (dirs.isEmpty()) {
            return;
        }
        WatchService ws = FileSystems.getDefault().newWatchService();
        java.util.Map<WatchKey, Path> parents = new java.util.concurrent.ConcurrentHashMap<>();
        List<Path> missing = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (Path d : dirs) {
            if (java.nio.file.Files.isDirectory(d)) {
                watch(ws, d);
            } else {
                missing.add(d);
            }
        }
        waitForMissing(ws, parents, missing);
        Thread t = new Thread(() -> {
            try {
                while (true) {
                    WatchKey k = ws.take();
                    List<String> names = k.pollEvents().stream().map(e -> String.valueOf(e.context())).distinct().toList();
                    k.reset();
                    if (parents.containsKey(k)) {
                        waitForMissing(ws, parents, missing);
                        continue;
                    }
                    queue.offer(new Trigger("policy-change", k.watchable() + ": " + String.join(",", names), true));
                }
            } catch (InterruptedException | ClosedWatchServiceException e) {
                // closed
            }
        }, "policy-watch");
        t.setDaemon(true);
        t.start();
        open.add(ws);
    }

    private static void watch(WatchService ws, Path d) throws IOException {
        d.register(ws, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
    }

    /** Each missing folder that exists now is watched and reloads; for the others, their nearest existing parent is watched. */
    private void waitForMissing(WatchService ws, java.util.Map<WatchKey, Path> parents, List<Path> missing) {
        for (Path m : missing) {
            try {
                if (java.nio.file.Files.isDirectory(m)) {
                    watch(ws, m);
                    missing.remove(m);
                    queue.offer(new Trigger("policy-change", m + ": created", true));
                    continue;
                }
                Path p = m.getParent();
                while (p != null && !java.nio.file.Files.isDirectory(p)) {
                    p = p.getParent();
                }
                if (p != null && !parents.containsValue(p)) {
                    parents.put(p.register(ws, StandardWatchEventKinds.ENTRY_CREATE), p);
                    if (java.nio.file.Files.isDirectory(m)) { // made while the parent was being registered
                        watch(ws, m);
                        missing.remove(m);
                        queue.offer(new Trigger("policy-change", m + ": created", true));
                    }
                }
            } catch (IOException | ClosedWatchServiceException e) {
                log.accept("cannot watch for " + m + " (" + e.getMessage() + "); a folder made later is read at SIGHUP or a restart");
            }
        }
    }

    /** SIGHUP reloads the policies and runs a pass. */
    @SuppressWarnings("restriction")
    public void sighup() {
        try {
            sun.misc.SignalHandler before =
                    sun.misc.Signal.handle(new sun.misc.Signal("HUP"), s -> queue.offer(new Trigger("sighup", "", true)));
            if (before == sun.misc.SignalHandler.SIG_IGN) {
                // the JVM leaves a signal its parent ignored (nohup) ignored, and says nothing
                log.accept("SIGHUP is ignored here (the agent was started with SIGHUP ignored, e.g. under nohup): "
                        + "a reload needs a restart");
            }
        } catch (IllegalArgumentException e) {
            log.accept("SIGHUP cannot be handled here: " + e.getMessage());
        }
    }

    @Override
    public void close() {
        for (AutoCloseable c : open) {
            try {
                c.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
    }
}
