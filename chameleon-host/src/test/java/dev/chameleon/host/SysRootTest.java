package dev.chameleon.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SysRootTest {
    @TempDir
    Path tmp;
    Path tree;
    Path outside;
    SysRoot root;

    @BeforeEach
    void setUp() throws IOException {
        tree = tmp.resolve("tree");
        outside = tmp.resolve("victim");
        Files.writeString(outside, "precious\n");
        Files.createDirectories(tree.resolve("proc/sys/vm"));
        Files.writeString(tree.resolve("proc/sys/vm/swappiness"), "60\n");
        root = new SysRoot(tree);
    }

    /** Regression: links inside a --root tree led outside it, for reads and for apply's writes. */
    @Test
    void linksNeverLeaveTheTree() throws IOException {
        Files.createSymbolicLink(tree.resolve("proc/sys/vm/dirty_ratio"), Path.of("../../../../../../../../../" + outside));
        Files.createSymbolicLink(tree.resolve("proc/sys/vm/overcommit_memory"), outside);
        assertThat(root.read("/proc/sys/vm/dirty_ratio").status()).isEqualTo(HostFile.Status.ABSENT);
        assertThat(root.read("/proc/sys/vm/overcommit_memory").status()).isEqualTo(HostFile.Status.ABSENT);
        assertThatThrownBy(() -> root.writeKernelFile("/proc/sys/vm/dirty_ratio", "30")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> root.writeKernelFile("/proc/sys/vm/overcommit_memory", "1")).isInstanceOf(IOException.class);
        assertThat(Files.readString(outside)).isEqualTo("precious\n");
        assertThat(root.resolve("/proc/sys/vm/dirty_ratio")).startsWithRaw(tree);
    }

    @Test
    void linksResolveInsideTheTreeLikeChroot() throws IOException {
        Files.createDirectories(tree.resolve("sys/devices/pci0000:00/0000:00:03.0/net/eth0"));
        Files.writeString(tree.resolve("sys/devices/pci0000:00/0000:00:03.0/net/eth0/mtu"), "1500\n");
        Files.createDirectories(tree.resolve("sys/class/net"));
        Files.createSymbolicLink(tree.resolve("sys/class/net/eth0"), Path.of("../../devices/pci0000:00/0000:00:03.0/net/eth0"));
        Files.createSymbolicLink(tree.resolve("sys/class/net/eth1"), Path.of("/sys/devices/pci0000:00/0000:00:03.0/net/eth0"));
        assertThat(root.readTrimmed("/sys/class/net/eth0/mtu")).contains("1500");
        assertThat(root.readTrimmed("/sys/class/net/eth1/mtu")).contains("1500");
        assertThat(root.isLink("/sys/class/net/eth0")).isTrue();
        assertThat(root.linkName("/sys/class/net/eth0")).contains("eth0");
        assertThat(root.list("/sys/class/net")).containsExactly("eth0", "eth1");
    }

    @Test
    void symlinkLoopIsUnreadableNotAnError() throws IOException {
        Files.createSymbolicLink(tree.resolve("proc/sys/vm/a"), Path.of("b"));
        Files.createSymbolicLink(tree.resolve("proc/sys/vm/b"), Path.of("a"));
        HostFile f = root.read("/proc/sys/vm/a/x");
        assertThat(f.status()).isEqualTo(HostFile.Status.UNREADABLE);
        assertThat(f.error()).contains("too many levels of symbolic links");
        assertThat(root.exists("/proc/sys/vm/a")).isFalse();
        assertThat(root.list("/proc/sys/vm/a")).isEmpty();
    }

    /** Regression: a FIFO where a knob should be made plan hang for ever. */
    @Test
    void fifoIsUnreadableInsteadOfBlocking() throws Exception {
        Path fifo = tree.resolve("proc/sys/vm/dirty_ratio");
        Process p = new ProcessBuilder("mkfifo", fifo.toString()).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        HostFile f = root.read("/proc/sys/vm/dirty_ratio");
        assertThat(f.status()).isEqualTo(HostFile.Status.UNREADABLE);
        assertThat(f.error()).contains("not a regular file");
        assertThatThrownBy(() -> root.writeKernelFile("/proc/sys/vm/dirty_ratio", "30")).hasMessageContaining("not a regular file");
    }

    @Test
    void dotDotAndRelativePathsAreRefused() {
        assertThatThrownBy(() -> root.resolve("/proc/../etc/passwd")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> root.resolve("proc/cpuinfo")).isInstanceOf(IllegalArgumentException.class);
        for (String bad : new String[] {"/..", "/proc/..", "/../proc", "/a/../../b", "/proc//../x"}) {
            assertThatThrownBy(() -> root.resolve(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> SysRoot.live().resolve(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        // ".." inside a name is a name (sysfs has none, but a fixture may)
        assertThat(SysRoot.hasDotDot("/sys/a..b/..c/d..")).isFalse();
        assertThat(SysRoot.live().resolve("/proc/a..b")).isEqualTo(Path.of("/proc/a..b"));
        assertThat(SysRoot.live().isLive()).isTrue();
        assertThat(root.isLive()).isFalse();
        assertThat(new SysRoot(Path.of("/tmp/..")).isLive()).isTrue();
    }

    @Test
    void aDirectoryReadsAsUnreadableAndADanglingLinkAsAbsent() throws IOException {
        assertThat(root.read("/proc/sys/vm").status()).isEqualTo(HostFile.Status.UNREADABLE);
        assertThat(root.read("/proc/sys/vm").error()).isEqualTo("is a directory");
        Files.createSymbolicLink(tree.resolve("proc/sys/vm/gone"), Path.of("nowhere"));
        assertThat(root.read("/proc/sys/vm/gone").status()).isEqualTo(HostFile.Status.ABSENT);
        assertThat(SysRoot.live().read("/proc/self").error()).isEqualTo("is a directory");
    }

    @Test
    void readsAreCappedAndDecodedTolerantly() throws IOException {
        byte[] big = new byte[SysRoot.MAX_READ_BYTES + 100];
        big[0] = (byte) 0xff;
        Files.write(tree.resolve("proc/sys/vm/big"), big);
        HostFile f = root.read("/proc/sys/vm/big");
        assertThat(f.isPresent()).isTrue();
        assertThat(f.text()).startsWith("\uFFFD").hasSize(SysRoot.MAX_READ_BYTES);
    }

    @Test
    void effectiveUidComesFromTheUidLine() {
        assertThat(Privileges.effectiveUid("Name:\tjava\nUid:\t1000\t0\t0\t0\nGid:\t0\n")).isZero();
        assertThat(Privileges.effectiveUid("Uid:\t0\t1000\t1000\t1000\n")).isEqualTo(1000);
        assertThat(Privileges.effectiveUid("garbage")).isEqualTo(-1);
    }

    @Test
    void cpuidLeavesAreReadAtTheirOffsetAndNeverOutsideTheTree() throws IOException {
        Path dev = tree.resolve("dev/cpu/0/cpuid");
        Files.createDirectories(dev.getParent());
        try (var f = new java.io.RandomAccessFile(dev.toFile(), "rw")) {   // sparse, like the device's layout
            f.seek(0x4000_0000L);
            f.write("\1\0\0\u0040KVMKVMKVM\0\0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        }
        assertThat(root.readCpuid(0, 0x4000_0000L)).hasValueSatisfying(b ->
                assertThat(new String(b, 4, 9, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("KVMKVMKVM"));
        assertThat(root.readCpuid(0, 0x4000_0008L)).isEmpty();   // past the end: a short read is no answer
        assertThat(root.readCpuid(1, 1)).isEmpty();              // no such CPU
        assertThatThrownBy(() -> root.readCpuid(0, 0x1_0000_0000L)).isInstanceOf(IllegalArgumentException.class);
        Files.createDirectories(tree.resolve("dev/cpu/2"));
        Files.createSymbolicLink(tree.resolve("dev/cpu/2/cpuid"), outside);
        assertThat(root.readCpuid(2, 0)).isEmpty();              // a link out of the tree stays inside: absent
    }
}
