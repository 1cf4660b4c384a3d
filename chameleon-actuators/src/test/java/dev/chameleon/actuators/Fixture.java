package dev.chameleon.actuators;

import dev.chameleon.host.Host;
import dev.chameleon.host.SysRoot;
import dev.chameleon.model.DesiredSetting;
import dev.chameleon.model.Reason;
import dev.chameleon.model.SettingKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A small but complete Linux machine as a fixture tree in a temporary folder: sysctls, THP, two
 * CPUs with cpufreq, SMT control, huge pages, a virtio disk, modules, systemd units, a NIC with
 * ethtool state, GRUB, TuneD profiles and a dpkg database; the fake programs of {@link FakeMachine}
 * act on it. {@link #snapshot} captures every file's path, content, mode and owner.
 */
final class Fixture {
    final Path rootDir;
    final Path stateDir;
    final FakeMachine programs;
    final Host host;

    Fixture(Path dir) throws IOException {
        rootDir = dir.resolve("root");
        stateDir = dir.resolve("state");
        write("/proc/sys/vm/swappiness", "60\n");
        write("/proc/sys/vm/dirty_ratio", "20\n");
        write("/proc/sys/net/core/somaxconn", "4096\n");
        write("/proc/sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n");
        write("/proc/sys/kernel/osrelease", "6.1.0-test\n");
        write("/proc/cmdline", "BOOT_IMAGE=/vmlinuz-6.1.0-test root=/dev/vda1 ro quiet\n");
        write("/proc/modules", "ext4 1000 1 - Live 0x0\nvirtio_net 61440 0 - Live 0x0\nscsi_mod 270336 2 vmw_pvscsi,sd_mod, Live 0x0\n");
        write("/lib/modules/6.1.0-test/modules.dep", "kernel/drivers/scsi/vmw_pvscsi.ko.xz: kernel/drivers/scsi/scsi_mod.ko.xz\n"
                + "kernel/drivers/net/vmxnet3/vmxnet3.ko.xz:\nkernel/drivers/net/virtio_net.ko.xz:\nkernel/drivers/scsi/scsi_mod.ko.xz:\n"
                + "kernel/fs/ext4/ext4.ko.xz:\n");
        write("/lib/modules/6.1.0-test/modules.builtin", "kernel/drivers/block/virtio_blk.ko\n");
        write("/sys/kernel/mm/transparent_hugepage/enabled", "always [madvise] never\n");
        write("/sys/kernel/mm/transparent_hugepage/defrag", "always defer defer+madvise [madvise] never\n");
        for (String cpu : List.of("cpu0", "cpu1")) {
            write("/sys/devices/system/cpu/" + cpu + "/cpufreq/scaling_governor", "schedutil\n");
            write("/sys/devices/system/cpu/" + cpu + "/cpufreq/scaling_available_governors", "performance powersave schedutil\n");
            write("/sys/devices/system/cpu/" + cpu + "/cpufreq/energy_performance_preference", "balance_performance\n");
            write("/sys/devices/system/cpu/" + cpu + "/cpufreq/energy_performance_available_preferences",
                    "default performance balance_performance balance_power power\n");
        }
        write("/sys/devices/system/cpu/smt/control", "on\n");
        write("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "0\n");
        write("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0\n");
        write("/sys/block/vda/queue/scheduler", "[mq-deadline] none\n");
        write("/sys/block/vda/queue/read_ahead_kb", "128\n");
        write("/sys/block/vda/queue/nr_requests", "256\n");
        write("/sys/class/net/eth0/mtu", "1500\n");
        write("/sys/class/net/eth0/tx_queue_len", "1000\n");
        write("/fake/ethtool/eth0.channels", "rx=n/a\ntx=n/a\nother=n/a\ncombined=2\n");
        write("/fake/ethtool/eth0.channels-max", "rx=n/a\ntx=n/a\nother=n/a\ncombined=4\n");
        write("/fake/ethtool/eth0.rings", "rx=256\ntx=256\n");
        write("/fake/ethtool/eth0.rings-max", "rx=1024\ntx=1024\n");
        write("/fake/ethtool/eth0.features", "tcp-segmentation-offload=on\ngeneric-receive-offload=on\n"
                + "large-receive-offload=off [fixed]\n");
        Files.createDirectories(rootDir.resolve("run/systemd/system"));
        write("/fake/systemd/nginx.service", "ActiveState=inactive\nUnitFileState=disabled\n");
        write("/fake/systemd/chronyd.service", "ActiveState=active\nUnitFileState=enabled\n");
        write("/fake/systemd/broken.service", "ActiveState=inactive\nUnitFileState=disabled\n");
        write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n");
        write("/etc/group", "root:x:0:\nadm:x:4:\nwww-data:x:33:\n");
        write("/etc/default/grub", "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX_DEFAULT=\"quiet\"\nGRUB_CMDLINE_LINUX=\"\"\n");
        write("/etc/motd", "Welcome\n");
        write("/usr/lib/tuned/virtual-guest/tuned.conf", "[main]\ninclude=throughput-performance\n[sysctl]\nvm.dirty_ratio = 30\n");
        write("/usr/lib/tuned/throughput-performance/tuned.conf", "[cpu]\ngovernor=performance\n[sysctl]\nnet.core.somaxconn=2048\n");
        write("/usr/lib/tuned/balanced/tuned.conf", "[cpu]\ngovernor=schedutil\n");
        write("/etc/tuned/active_profile", "balanced\n");
        write("/var/lib/dpkg/status", "Package: bash\nStatus: install ok installed\nVersion: 5.2\n");
        SysRoot root = new SysRoot(rootDir);
        programs = new FakeMachine(root);
        host = new Host(root, programs);
    }

    void write(String path, String text) throws IOException {
        Path p = rootDir.resolve(path.substring(1));
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    String read(String path) throws IOException {
        return Files.readString(rootDir.resolve(path.substring(1)));
    }

    Journal journal() {
        return new Journal(stateDir);
    }

    Applier applier() {
        return new Applier(Actuators.standard(), journal());
    }

    static DesiredSetting want(String key, String value) {
        return new DesiredSetting(SettingKey.parse(key), value, new Reason("test", "test.yaml:1", 50, "true", List.of(), ""));
    }

    /**
     * Every file and every folder holding files under the root: path → mode, owner and (for files) content in
     * hex. Kernel files under {@code /proc} and {@code /sys} are compared by the value the kernel
     * would show (blanks collapsed, the bracketed choice), because a real kernel regenerates their
     * text on every read while a fixture keeps whatever was written; {@code /proc/modules} is
     * compared by the set of loaded module names (sizes, addresses and order are the kernel's). Empty folders are left out:
     * like {@code mkdir -p}, Chameleon leaves a drop-in folder it created in place after an undo.
     */
    Map<String, String> snapshot() {
        Map<String, String> out = new TreeMap<>();
        try {
            Files.walkFileTree(rootDir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    String rel = rootDir.relativize(f).toString();
                    byte[] bytes = Files.readAllBytes(f);
                    if (rel.equals("proc/modules")) {
                        bytes = new String(bytes, java.nio.charset.StandardCharsets.UTF_8).lines().map(l -> l.split(" ")[0]).sorted()
                                .reduce("", (x, y) -> x + y + " ").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    } else if (rel.startsWith("proc/") || rel.startsWith("sys/")) {
                        bytes = Values.selected(new String(bytes, java.nio.charset.StandardCharsets.UTF_8)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    }
                    out.put(rel, meta(f) + " " + HexFormat.of().formatHex(bytes));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    // Folders Chameleon creates for drop-ins may stay behind (empty), like mkdir -p.
                    try (Stream<Path> s = Files.walk(d)) {
                        if (s.anyMatch(Files::isRegularFile)) {
                            out.put(rootDir.relativize(d) + "/", meta(d));
                        }
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Asserts two snapshots are equal, reporting only the paths that differ. */
    static void assertSameMachine(Map<String, String> before, Map<String, String> after, String context) {
        Map<String, String> diff = new TreeMap<>();
        for (String k : before.keySet()) {
            if (!after.containsKey(k)) {
                diff.put(k, "missing now; was " + before.get(k));
            } else if (!after.get(k).equals(before.get(k))) {
                diff.put(k, "was " + before.get(k) + ", now " + after.get(k));
            }
        }
        for (String k : after.keySet()) {
            if (!before.containsKey(k)) {
                diff.put(k, "new: " + after.get(k));
            }
        }
        org.assertj.core.api.Assertions.assertThat(diff).as("differences from the original machine (" + context + ")").isEmpty();
    }

    private static String meta(Path p) throws IOException {
        return Integer.toOctalString((Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS)) + " "
                + Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) + ":" + Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS);
    }

    static void delete(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
