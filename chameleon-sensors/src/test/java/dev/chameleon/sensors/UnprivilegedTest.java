package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.Host;
import dev.chameleon.model.FactSet;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real permission-denied files: the tests run as root, which reads anything, so the sensors run
 * in a child JVM as user 65534 ({@code setpriv --reuid=65534}) against a tree with mode-000
 * files. The class path is copied to a folder that user can read (~/.m2 is root's only).
 */
class UnprivilegedTest {
    @TempDir
    Path tmp;

    /** Child entry point: collects ROOT with the standard suite and prints chosen facts, one per line. */
    public static void main(String[] args) {
        FactSet f = SensorSuite.standard().collect(Host.fixture(Path.of(args[0])));
        for (int i = 1; i < args.length; i++) {
            System.out.println(args[i] + "=" + f.get(args[i]).map(String::valueOf).orElse("<absent>"));
        }
    }

    @Test
    void unreadableFilesAreProblemsWithPermissionDenied() throws Exception {
        Tree t = new Tree(tmp.resolve("case")).file("/proc/meminfo", "MemTotal: 1024 kB\n")
                .file("/proc/cpuinfo", "processor\t: 0\nvendor_id\t: GenuineIntel\n")
                .file("/sys/devices/system/cpu/vulnerabilities/meltdown", "Mitigation: PTI\n")
                .file("/sys/devices/system/cpu/vulnerabilities/mds", "Not affected\n");
        Files.setPosixFilePermissions(t.path("/proc/meminfo"), PosixFilePermissions.fromString("---------"));
        Files.setPosixFilePermissions(t.path("/sys/devices/system/cpu/vulnerabilities/meltdown"), PosixFilePermissions.fromString("---------"));
        try (Stream<Path> s = Files.walk(tmp)) {
            for (Path p : s.toList()) {
                if (Files.isDirectory(p)) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
                }
            }
        }
        Path cp = tmp.resolve("cp");
        Files.createDirectories(cp);
        List<String> entries = new ArrayList<>();
        int n = 0;
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path src = Path.of(e);
            Path dst = cp.resolve((n++) + "-" + src.getFileName());
            if (Files.isDirectory(src)) {
                try (Stream<Path> s = Files.walk(src)) {
                    for (Path p : s.toList()) {
                        Path q = dst.resolve(src.relativize(p).toString());
                        if (Files.isDirectory(p)) {
                            Files.createDirectories(q);
                        } else {
                            Files.copy(p, q, StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                }
            } else if (Files.isRegularFile(src)) {
                Files.copy(src, dst);
            }
            entries.add(dst.toString());
        }
        try (Stream<Path> s = Files.walk(cp)) {
            for (Path p : s.toList()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxr-xr-x" : "rw-r--r--"));
            }
        }
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", java,
                "-cp", String.join(File.pathSeparator, entries), UnprivilegedTest.class.getName(), tmp.resolve("case").toString(),
                "memory.totalBytes", "meta.sensors.memory.status", "meta.sensors.memory.problems",
                "security.vulnerabilities.mds.state", "security.vulnerabilities.meltdown",
                "meta.sensors.security.problems", "cpu.vendor")
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.out").toFile()).start();
        // output to a file (not a pipe read before waiting), so that the wait is bounded
        boolean ended = p.waitFor(120, TimeUnit.SECONDS);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        String out = Files.readString(tmp.resolve("child.out"));
        assertThat(ended).as("the unprivileged child ended within 120 s: " + out).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("memory.totalBytes=<absent>", "meta.sensors.memory.status=ok",
                "meta.sensors.memory.problems=[{source=/proc/meminfo, error=permission denied}]",
                "security.vulnerabilities.mds.state=not-affected", "security.vulnerabilities.meltdown=<absent>",
                "meta.sensors.security.problems=[{source=/sys/devices/system/cpu/vulnerabilities/meltdown, error=permission denied}]",
                "cpu.vendor=GenuineIntel");
    }
}
