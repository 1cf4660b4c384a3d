package dev.chameleon.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.TreeMap;

/**
 * A small machine as a tree of files in a temporary folder, for the engine's tests: files at their
 * machine paths ({@code /proc/sys/vm/swappiness} is {@code ROOT/proc/sys/vm/swappiness}). The
 * kernel-file settings (sysctl, sysfs, block queue, huge pages) are written into these files by the
 * real actuators, as into /proc and /sys; {@link #snapshot} records every file's content.
 */
final class MachineTree {
    final Path root;

    MachineTree(Path root) {
        this.root = root;
    }

    MachineTree write(String path, String text) {
        try {
            Path p = root.resolve(path.substring(1));
            Files.createDirectories(p.getParent());
            Files.writeString(p, text);
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String read(String path) {
        try {
            return Files.readString(root.resolve(path.substring(1))).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A VMware-like guest (vendor as given), kernel 6.1, Debian 12, one virtio disk, THP, 2 MiB huge pages, a few sysctls. */
    static MachineTree guest(Path root, String vendor, int cpus, long memKiB) {
        MachineTree t = new MachineTree(root);
        t.write("/sys/class/dmi/id/sys_vendor", vendor + "\n");
        t.write("/sys/class/dmi/id/product_name", vendor.startsWith("VMware") ? "VMware Virtual Platform\n" : "Standard PC\n");
        t.write("/proc/self/cgroup", "0::/\n").write("/proc/1/cgroup", "0::/\n");
        t.write("/proc/sys/kernel/osrelease", "6.1.0-28-amd64\n");
        t.write("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
        StringBuilder cpu = new StringBuilder();
        for (int i = 0; i < cpus; i++) {
            cpu.append("processor\t: ").append(i).append("\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse2 hypervisor\n\n");
        }
        t.write("/proc/cpuinfo", cpu.toString());
        t.write("/proc/meminfo", "MemTotal:       " + memKiB + " kB\nMemAvailable:   " + memKiB / 2 + " kB\n");
        t.write("/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
        t.write("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n");
        t.write("/sys/block/vda/queue/scheduler", "[mq-deadline] none\n");
        t.write("/sys/block/vda/queue/read_ahead_kb", "128\n");
        t.write("/sys/block/vda/queue/nr_requests", "256\n");
        t.write("/sys/block/vda/queue/rotational", "0\n");
        t.write("/sys/block/vda/size", "16777216\n");
        return t;
    }

    /** Every file under the root, path → content. */
    Map<String, String> snapshot() {
        Map<String, String> out = new TreeMap<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    out.put("/" + root.relativize(file), Files.readString(file));
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }
}
