package dev.chameleon.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A small machine tree under a temporary folder, for the CLI tests: files at their machine paths. */
final class MachineTree {
    private MachineTree() {
    }

    /** Writes {@code text} at machine path {@code path} (e.g. {@code /proc/sys/vm/swappiness}) under {@code root}. */
    static void write(Path root, String path, String text) throws IOException {
        Path p = root.resolve(path.substring(1));
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    /** The trimmed text at machine path {@code path} under {@code root}. */
    static String read(Path root, String path) throws IOException {
        return Files.readString(root.resolve(path.substring(1))).strip();
    }

    /** The firmware, cgroup and kernel files every VMware-like test tree shares (no container, kernel 6.1). */
    static void vmwareGuest(Path root) throws IOException {
        write(root, "/sys/class/dmi/id/sys_vendor", "VMware, Inc.\n");
        write(root, "/sys/class/dmi/id/product_name", "VMware Virtual Platform\n");
        write(root, "/proc/self/cgroup", "0::/\n");
        write(root, "/proc/1/cgroup", "0::/\n");
        write(root, "/proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
    }
}
