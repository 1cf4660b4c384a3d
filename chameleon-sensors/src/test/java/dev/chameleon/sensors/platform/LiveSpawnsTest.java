package dev.chameleon.sensors.platform;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.Command;
import dev.chameleon.host.CommandResult;
import dev.chameleon.host.CommandRunner;
import dev.chameleon.host.Host;
import dev.chameleon.host.SysRoot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * On the live root the platform sensor leaves out commands whose answer a file already has, or
 * which cannot answer: a recording runner (running nothing) shows which commands were asked for.
 * The expectation is computed from this machine's own files, so it holds on every build machine.
 */
class LiveSpawnsTest {
    static final class Recording implements CommandRunner {
        final List<String> asked = new CopyOnWriteArrayList<>();

        @Override
        public CommandResult run(Command command, Duration timeout) {
            asked.add(command.display());
            return CommandResult.notAvailable("recording", "not run");
        }

        @Override
        public String describe() {
            return "recording";
        }
    }

    @Test
    void filesStandInForUnameAndDmidecodeIsNotStartedWithoutSmbiosTables() {
        Recording r = new Recording();
        new PlatformSensor().detect(new Host(SysRoot.live(), r));
        SysRoot live = SysRoot.live();
        boolean hasArch = live.read("/proc/sys/kernel/arch").isPresent();
        boolean hasVersion = live.read("/proc/version").isPresent();
        boolean hasTables = live.exists("/sys/firmware/dmi/tables/DMI") || live.exists("/dev/mem");
        assertThat(r.asked.contains("uname -m")).isEqualTo(!hasArch);
        assertThat(r.asked.contains("uname -svm")).isEqualTo(!hasVersion);
        assertThat(r.asked.contains("dmidecode")).isEqualTo(hasTables);
        assertThat(r.asked).contains("lscpu");
    }

    @Test
    void aFixtureRootStillAsksEveryCommandItsCannedOutputMayAnswer() throws Exception {
        Path tmp = Files.createTempDirectory("spawns");
        Files.createDirectories(tmp.resolve("proc"));
        Files.writeString(tmp.resolve("proc/version"), "Linux version 5.10.16.3-microsoft-standard-WSL2\n");
        Recording r = new Recording();
        new PlatformSensor().detect(new Host(new SysRoot(tmp), r));
        assertThat(r.asked).contains("uname -m", "uname -svm", "dmidecode", "lscpu");
    }
}
