package dev.chameleon.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chameleon.host.SysRoot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent's own cost, from /proc/self/status (here a captured one in a tree) and ProcessHandle. */
class CostTest {
    @TempDir
    Path tmp;

    @Test
    void residentMemoryPeakAndThreadsComeFromProcSelfStatus() throws IOException {
        Path status = tmp.resolve("proc/self/status");
        Files.createDirectories(status.getParent());
        Files.writeString(status, """
                Name:\tjava
                VmPeak:\t 2345676 kB
                VmHWM:\t   63812 kB
                VmRSS:\t   61420 kB
                RssAnon:\t   41524 kB
                Threads:\t19
                """);
        Map<String, Object> c = Cost.now(new SysRoot(tmp));
        assertThat(c).containsEntry("rssKiB", 61420L).containsEntry("peakRssKiB", 63812L).containsEntry("threads", 19L);
        assertThat((Long) c.get("cpuMillis")).as("this JVM has run some code").isPositive();
        assertThat((Long) c.get("heapUsedKiB")).isPositive();
        assertThat(Cost.selfStatusKiB(new SysRoot(tmp), "VmHWM")).hasValue(63812L);
        assertThat(Cost.selfStatusKiB(new SysRoot(tmp.resolve("none")), "VmHWM")).isEmpty();
        assertThat(Cost.now(new SysRoot(tmp.resolve("none")))).doesNotContainKeys("rssKiB", "peakRssKiB", "threads");
    }

    @Test
    void theLiveProcessReportsItsOwnPeak() {
        Map<String, Object> c = Cost.now(SysRoot.live());
        assertThat((Long) c.get("peakRssKiB")).isGreaterThanOrEqualTo((Long) c.get("rssKiB")).isPositive();
        assertThat((Long) c.get("threads")).isGreaterThan(1);
    }
}
