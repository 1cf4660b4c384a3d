package dev.chameleon.sensors.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.CannedCommandRunner;
import dev.chameleon.host.SysRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The architecture comes from the root's kernel (/proc/sys/kernel/arch), never from the JVM. */
class ArchSourceTest {
    @TempDir
    Path tmp;

    @Test
    void procSysKernelArchIsReadInsteadOfSpawningUname() throws Exception {
        Files.createDirectories(tmp.resolve("root/proc/sys/kernel"));
        Files.writeString(tmp.resolve("root/proc/sys/kernel/arch"), "aarch64\n");
        Files.createDirectories(tmp.resolve("commands"));
        Files.writeString(tmp.resolve("commands/uname-m"), "s390x\n");
        Probe p = new Probe(new SysRoot(tmp.resolve("root")), new CannedCommandRunner(tmp.resolve("commands")), Signatures.standard());
        CpuSignals.readArch(p);
        assertThat(p.clues().arch).isEqualTo("aarch64");
    }

    @Test
    void withoutItTheCannedUnameAnswers() throws Exception {
        Files.createDirectories(tmp.resolve("root/proc"));
        Files.createDirectories(tmp.resolve("commands"));
        Files.writeString(tmp.resolve("commands/uname-m"), "s390x\n");
        Probe p = new Probe(new SysRoot(tmp.resolve("root")), new CannedCommandRunner(tmp.resolve("commands")), Signatures.standard());
        CpuSignals.readArch(p);
        assertThat(p.clues().arch).isEqualTo("s390x");
    }
}
