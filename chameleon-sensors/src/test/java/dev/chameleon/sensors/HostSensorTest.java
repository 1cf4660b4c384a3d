package dev.chameleon.sensors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chameleon.host.Host;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@SuppressWarnings("unchecked")
class HostSensorTest {
    /** Two captures of a live Linux 6.18 guest's /proc, 5 s apart (SOURCE.txt there). */
    static final Path CAPTURE = Path.of("src/test/resources/host-samples/fc-vm-6.18");
    static final long SECOND = 1_000_000_000L;

    @TempDir
    Path tmp;

    /** Collects with one {@link FactCache} across calls, the root and the clock chosen per call: what the daemon's passes do. */
    static final class Sampler {
        final FactCache cache = new FactCache();
        final AtomicLong clock = new AtomicLong(1_000 * SECOND);
        final HostSensor sensor = new HostSensor(clock::get);

        Map<String, Object> at(long nanos, Path root) throws Exception {
            clock.set(nanos);
            SensorContext ctx = SensorContext.of(Host.forOptions(root, null), cache).forSensor("host");
            return (Map<String, Object>) sensor.sense(ctx);
        }
    }

    private static long[] cpuLine(Path procStat) throws Exception {
        String line = Files.readAllLines(procStat).stream().filter(l -> l.startsWith("cpu ")).findFirst().orElseThrow();
        String[] w = line.trim().split("\\s+");
        long[] v = new long[w.length - 1];
        for (int i = 1; i < w.length; i++) {
            v[i - 1] = Long.parseLong(w[i]);
        }
        return v;
    }

    private static Map<String, Object> path(Map<String, Object> m, String... keys) {
        Map<String, Object> at = m;
        for (String k : keys) {
            at = (Map<String, Object>) at.get(k);
        }
        return at;
    }

    @Test
    void twoRealSamplesGiveStealIowaitPressureMemoryBalloonAndDiskLatency() throws Exception {
        Sampler s = new Sampler();
        Map<String, Object> first = s.at(1_000 * SECOND, CAPTURE.resolve("t0"));
        // one sample: no deltas yet, but what the kernel averages itself is there
        assertThat(first).doesNotContainKeys("cpu", "disks", "sampleIntervalSeconds").containsKeys("pressure", "memory", "balloon");
        Map<String, Object> f = s.at(1_005 * SECOND, CAPTURE.resolve("t1"));

        long[] a = cpuLine(CAPTURE.resolve("t0/proc/stat"));
        long[] b = cpuLine(CAPTURE.resolve("t1/proc/stat"));
        long total = 0;
        for (int i = 0; i < 8; i++) {
            total += b[i] - a[i];
        }
        assertThat(total).as("the capture spans CPU time").isPositive();
        assertThat((double) path(f, "cpu", "steal").get("percent")).isCloseTo(100.0 * (b[7] - a[7]) / total, within(1e-9));
        assertThat((double) path(f, "cpu", "iowait").get("percent")).isCloseTo(100.0 * (b[4] - a[4]) / total, within(1e-9));
        assertThat(path(f, "cpu", "steal")).doesNotContainKeys("avg1m", "avg5m", "avg15m"); // 5 s of samples cover no window
        assertThat(f.get("sampleIntervalSeconds")).isEqualTo(5.0);

        String cpuPressure = Files.readString(CAPTURE.resolve("t1/proc/pressure/cpu"));
        Map<String, Object> some = path(f, "pressure", "cpu", "some");
        assertThat(cpuPressure).startsWith("some avg10=" + String.format(java.util.Locale.ROOT, "%.2f", some.get("avg10")));
        assertThat(cpuPressure).contains("total=" + some.get("totalMicros") + "\n");
        assertThat(path(f, "pressure")).containsOnlyKeys("cpu", "memory", "io");
        assertThat(path(f, "pressure", "io")).containsOnlyKeys("some", "full");

        Map<String, Long> meminfo = MemorySensor.parseMeminfo(Files.readString(CAPTURE.resolve("t1/proc/meminfo")));
        assertThat(path(f, "memory", "available")).containsEntry("bytes", meminfo.get("MemAvailable"));
        assertThat((double) path(f, "memory", "available").get("percent"))
                .isCloseTo(100.0 * meminfo.get("MemAvailable") / meminfo.get("MemTotal"), within(1e-9));
        assertThat(path(f, "balloon")).containsEntry("sizeBytes", 0L).containsEntry("percentOfTotal", 0.0)
                .containsEntry("source", "/proc/meminfo Balloon");

        // vda from the raw diskstats: ms per completed read between the two captures
        String[] d0 = Files.readAllLines(CAPTURE.resolve("t0/proc/diskstats")).stream().filter(l -> l.contains(" vda ")).findFirst()
                .orElseThrow().trim().split("\\s+");
        String[] d1 = Files.readAllLines(CAPTURE.resolve("t1/proc/diskstats")).stream().filter(l -> l.contains(" vda ")).findFirst()
                .orElseThrow().trim().split("\\s+");
        List<Map<String, Object>> disks = (List<Map<String, Object>>) f.get("disks");
        assertThat(disks).extracting(m -> m.get("name")).containsExactly("vda"); // loop* and zram0 are left out
        Map<String, Object> vda = disks.get(0);
        long writes = Long.parseLong(d1[7]) - Long.parseLong(d0[7]);
        assertThat((double) vda.get("writesPerSecond")).isCloseTo(writes / 5.0, within(1e-9));
        if (writes > 0) {
            assertThat((double) vda.get("writeLatencyMs")).isCloseTo((double) (Long.parseLong(d1[10]) - Long.parseLong(d0[10])) / writes,
                    within(1e-9));
        } else {
            assertThat(vda).doesNotContainKey("writeLatencyMs");
        }
        long reads = Long.parseLong(d1[3]) - Long.parseLong(d0[3]);
        assertThat(vda.containsKey("readLatencyMs")).isEqualTo(reads > 0);
        assertThat((double) vda.get("busyPercent")).isBetween(0.0, 100.0);
    }

    private static String stat(long user, long iowait, long steal) {
        return "cpu  " + user + " 0 0 0 " + iowait + " 0 0 " + steal + " 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1 2 3\n";
    }

    @Test
    void windowedAveragesComeFromTheDaemonsOwnSamplesAndAppearOnlyOnceTheWindowIsCovered() throws Exception {
        Sampler s = new Sampler();
        Tree t = new Tree(tmp);
        long start = 10_000 * SECOND;
        Map<String, Object> last = null;
        // a pass every 60 s for 16 minutes; steal grows 10 ticks of every 100 for the first 10 minutes, then 50 of 100
        long user = 0;
        long steal = 0;
        for (int minute = 0; minute <= 16; minute++) {
            t.file("/proc/stat", stat(user, 0, steal));
            last = s.at(start + minute * 60 * SECOND, t.dir.resolve("root"));
            Map<String, Object> st = last.containsKey("cpu") ? path(last, "cpu", "steal") : Map.of();
            if (minute == 0) {
                assertThat(last).doesNotContainKey("cpu");
            } else if (minute < 5) {
                assertThat(st).containsKeys("percent", "avg1m").doesNotContainKeys("avg5m", "avg15m");
            } else if (minute == 5) {
                assertThat(st).containsKeys("avg5m").doesNotContainKey("avg15m");
                assertThat((double) st.get("avg5m")).isCloseTo(10.0, within(1e-9));
            }
            long stealNow = minute < 10 ? 10 : 50;
            steal += stealNow;
            user += 100 - stealNow;
        }
        Map<String, Object> st = path(last, "cpu", "steal");
        // minute 16: the increments after minutes 10..15 were 50 of 100
        assertThat((double) st.get("percent")).isCloseTo(50.0, within(1e-9));
        assertThat((double) st.get("avg1m")).isCloseTo(50.0, within(1e-9));
        assertThat((double) st.get("avg5m")).isCloseTo(50.0, within(1e-9));
        assertThat((double) st.get("avg15m")).isCloseTo((9 * 10 + 6 * 50) / 15.0, within(1e-9)); // minutes 1..9 at 10 %, 10..15 at 50 %
        assertThat((double) path(last, "cpu", "iowait").get("avg15m")).isEqualTo(0.0);
    }

    @Test
    void aSampleLessThanASecondAfterTheLastIsComparedWithAnOlderOne() throws Exception {
        Sampler s = new Sampler();
        Tree t = new Tree(tmp);
        t.file("/proc/stat", stat(0, 0, 0));
        s.at(100 * SECOND, t.dir.resolve("root"));
        t.file("/proc/stat", stat(90, 0, 10));
        s.at(110 * SECOND, t.dir.resolve("root"));
        t.file("/proc/stat", stat(90, 0, 11)); // a client's refresh 1 ms later: one tick is no measure
        Map<String, Object> f = s.at(110 * SECOND + 1_000_000, t.dir.resolve("root"));
        assertThat((double) path(f, "cpu", "steal").get("percent")).isCloseTo(100.0 * 11 / 101, within(1e-9));
        assertThat((double) f.get("sampleIntervalSeconds")).isCloseTo(10.001, within(1e-9));
    }

    @Test
    void whatTheKernelDoesNotHaveIsAbsentNotZero() throws Exception {
        // an old kernel: no /proc/pressure, no Balloon line, a cpu line without steal, no balloon driver files
        Tree t = new Tree(tmp).file("/proc/stat", "cpu  10 0 5 100 3 0 0\n")
                .file("/proc/meminfo", "MemTotal:  1000 kB\nMemFree:  100 kB\n")
                .file("/proc/diskstats", "   8       0 sda 1 0 8 1 1 0 8 1 0 1 2\n");
        Sampler s = new Sampler();
        s.at(1 * SECOND, t.dir.resolve("root"));
        t.file("/proc/stat", "cpu  20 0 5 150 8 0 0\n");
        Map<String, Object> f = s.at(61 * SECOND, t.dir.resolve("root"));
        assertThat(f).doesNotContainKeys("pressure", "balloon", "memory");
        assertThat(path(f, "cpu")).containsOnlyKeys("iowait");
        assertThat((double) path(f, "cpu", "iowait").get("percent")).isCloseTo(100.0 * 5 / 65, within(1e-9));
        // sda did no I/O in between: rates 0, latencies absent (no I/O completed, so no latency to tell)
        assertThat((List<Map<String, Object>>) f.get("disks")).singleElement().satisfies(d -> assertThat(d)
                .containsEntry("readsPerSecond", 0.0).doesNotContainKeys("readLatencyMs", "writeLatencyMs"));

        Map<String, Object> none = new Sampler().at(SECOND, new Tree(tmp.resolve("empty")).dir.resolve("root"));
        assertThat(none).isEmpty();
    }

    @Test
    void oddValuesAreProblemsOrLeftOutNeverWrongNumbers() throws Exception {
        Tree t = new Tree(tmp).file("/proc/stat", "cpu  10 0 5 100 3 0 0 7\n")
                .file("/proc/pressure/cpu", "some avg10=1.50 avg60=x avg300=0.00 total=12\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
                .file("/proc/pressure/memory", "some avg10=101.00 avg60=0.00 avg300=0.00 total=1\n")
                .file("/proc/pressure/io", "garbage\n\n")
                .file("/proc/diskstats", "   8  0 sda 5 0 8 10 5 0 8 20 0 10 30\n 8 1 short 1 2\n 8 16 sdb 1 0 x 1 1 0 8 1 0 1 2\n");
        Sampler s = new Sampler();
        s.at(SECOND, t.dir.resolve("root"));
        // steal went backwards (a counter reset): absent, not negative; sda's reads went backwards: left out
        t.file("/proc/stat", "cpu  20 0 5 150 8 0 0 2\n")
                .file("/proc/diskstats", "   8  0 sda 3 0 8 10 9 0 8 28 0 12 30\n");
        SensorContext ctx = SensorContext.of(Host.forOptions(t.dir.resolve("root"), null), s.cache).forSensor("host");
        s.clock.set(11 * SECOND);
        Map<String, Object> f = (Map<String, Object>) s.sensor.sense(ctx);
        assertThat(path(f, "cpu")).containsOnlyKeys("iowait");
        assertThat(path(f, "pressure")).containsOnlyKeys("cpu");
        assertThat(path(f, "pressure", "cpu")).containsOnlyKeys("full");
        assertThat((List<?>) f.get("disks")).isEmpty();
        assertThat(ctx.problemsOf("host")).extracting(p -> p.get("source") + ": " + p.get("error")).containsExactlyInAnyOrder(
                "/proc/pressure/cpu: some: not a value: avg60=x",
                "/proc/pressure/memory: some: not a value: avg10=101.00");

        Tree g = new Tree(tmp.resolve("g")).file("/proc/stat", "cpu  1 2 x 4 5\n");
        SensorContext c2 = new SensorContext(g.host()).forSensor("host");
        assertThat((Map<String, Object>) new HostSensor().sense(c2)).isEmpty();
        assertThat(c2.problemsOf("host")).extracting(p -> p.get("error")).containsExactly("cpu line: not a count: x");
        assertThat(HostSensor.parseStat("cpu  1 2 3\n", null)).isNull();
        assertThat(HostSensor.parseStat("intr 1\n", null)).isNull();
    }

    /** New-user trial: MemAvailable above MemTotal in a made-up tree gave memory.available.percent > 100. */
    @Test
    void aPercentOutsideZeroToHundredIsAProblemNotAFact() throws Exception {
        Tree t = new Tree(tmp).file("/proc/meminfo", "MemTotal:        1000 kB\nMemAvailable:    1500 kB\nBalloon:        2000 kB\n");
        SensorContext ctx = new SensorContext(t.host()).forSensor("host");
        Map<String, Object> f = (Map<String, Object>) new HostSensor().sense(ctx);
        assertThat(path(f, "memory", "available")).containsExactly(Map.entry("bytes", 1_536_000L));
        assertThat(path(f, "balloon")).doesNotContainKey("percentOfTotal").containsEntry("sizeBytes", 2_048_000L);
        assertThat(ctx.problemsOf("host")).extracting(p -> p.get("source") + ": " + p.get("error")).containsExactly(
                "/proc/meminfo: MemAvailable (1536000 bytes) is more than MemTotal (1024000 bytes); host.memory.available.percent left out",
                "/proc/meminfo Balloon: balloon size (2048000 bytes) is more than MemTotal (1024000 bytes); "
                        + "host.balloon.percentOfTotal left out");
    }

    @Test
    void balloonSizesAsEachDriverShowsThem() throws Exception {
        // vmw_balloon's debugfs file (drivers/misc/vmw_balloon.c, vmballoon_debug_show): sizes in 4 KiB pages
        Tree vmw = new Tree(tmp.resolve("vmw")).file("/proc/meminfo", "MemTotal:  4194304 kB\n")
                .file("/sys/kernel/debug/vmmemctl", """
                        balloon capabilities:   0x1e
                        used capabilities:      0x1e
                        is resetting:           n
                        target:                 262144 pages
                        current:                131072 pages
                        start                 :                1 (0 failed)
                        """);
        assertThat(path(vmw.sense(new HostSensor()), "balloon")).containsEntry("sizeBytes", 131072L * 4096)
                .containsEntry("targetBytes", 262144L * 4096).containsEntry("percentOfTotal", 12.5)
                .containsEntry("source", "/sys/kernel/debug/vmmemctl");
        // hv_balloon's (drivers/hv/hv_balloon.c, hv_balloon_debug_show, Linux 6.3+)
        Tree hv = new Tree(tmp.resolve("hv")).file("/proc/meminfo", "MemTotal:  8388608 kB\n")
                .file("/sys/kernel/debug/hv-balloon", """
                        host_version          : 2.0
                        capabilities          : enabled hot_add
                        state                 : 1 (Initialized)
                        page_size             : 4096
                        pages_added           : 0
                        pages_onlined         : 0
                        pages_ballooned       : 524288
                        total_pages_committed : 400000
                        max_dynamic_page_count: 2097152
                        """);
        assertThat(path(hv.sense(new HostSensor()), "balloon")).containsEntry("sizeBytes", 524288L * 4096)
                .containsEntry("percentOfTotal", 25.0).doesNotContainKey("targetBytes");
        // Xen's balloon (drivers/xen/xen-balloon.c): info/{current,target,low,high}_kb
        Tree xen = new Tree(tmp.resolve("xen")).file("/proc/meminfo", "MemTotal:  2097152 kB\n")
                .file("/sys/devices/system/xen_memory/xen_memory0/info/current_kb", "1572864\n")
                .file("/sys/devices/system/xen_memory/xen_memory0/info/low_kb", "524288\n")
                .file("/sys/devices/system/xen_memory/xen_memory0/info/high_kb", "0\n")
                .file("/sys/devices/system/xen_memory/xen_memory0/info/target_kb", "1572864\n");
        assertThat(path(xen.sense(new HostSensor()), "balloon")).containsEntry("sizeBytes", 524288L * 1024)
                .containsEntry("targetBytes", 1572864L * 1024);
        // Linux 6.15+: the Balloon line of /proc/meminfo wins over a driver's own file
        Tree both = new Tree(tmp.resolve("both")).file("/proc/meminfo", "MemTotal:  1000 kB\nBalloon:   250 kB\n")
                .file("/sys/kernel/debug/vmmemctl", "current: 1 pages\n");
        assertThat(path(both.sense(new HostSensor()), "balloon")).containsEntry("sizeBytes", 250L * 1024)
                .containsEntry("percentOfTotal", 25.0).containsEntry("source", "/proc/meminfo Balloon");
        // a driver's file without the size: absent
        Tree odd = new Tree(tmp.resolve("odd")).file("/sys/kernel/debug/vmmemctl", "current: lots\n");
        assertThat(odd.sense(new HostSensor())).doesNotContainKey("balloon");
    }

    @Test
    void theHistoryKeepsTheBaseOfTheLongestWindowAndDropsOlderSamples() {
        HostHistory h = new HostHistory();
        for (int minute = 0; minute <= 40; minute++) {
            h.add(new HostHistory.Sample(minute * 60 * SECOND, null, Double.NaN, Map.of()));
        }
        // minutes 25..40 are kept: 25 is the newest at least 15 minutes before 40
        assertThat(h.size()).isEqualTo(16);
        List<HostHistory.Sample> before = h.add(new HostHistory.Sample(41 * 60 * SECOND, null, Double.NaN, Map.of()));
        assertThat(before.get(0).nanos()).isEqualTo(25 * 60 * SECOND);
        assertThat(h.size()).isEqualTo(16);
    }

    /**
     * The live machine's own /proc, twice, 1.2 s apart through one cache (the daemon's way): the
     * deltas come out, each within its range. Real input; the test machine is Linux, and a /proc
     * without PSI or a Balloon line only makes those facts absent, which is checked as such.
     */
    @Test
    void theLiveMachinesProcGivesDeltasWithinRange() throws Exception {
        FactCache cache = new FactCache();
        HostSensor sensor = new HostSensor();
        Host live = Host.live();
        SensorContext first = SensorContext.of(live, cache).forSensor("host");
        assertThat((Map<String, Object>) sensor.sense(first)).doesNotContainKeys("cpu", "disks");
        Thread.sleep(1200);
        SensorContext second = SensorContext.of(live, cache).forSensor("host");
        Map<String, Object> f = (Map<String, Object>) sensor.sense(second);
        assertThat(second.problemsOf("host")).isEmpty();
        assertThat((double) f.get("sampleIntervalSeconds")).isBetween(1.0, 60.0);
        for (String k : List.of("steal", "iowait")) {
            assertThat((double) path(f, "cpu", k).get("percent")).as(k).isBetween(0.0, 100.0);
        }
        assertThat((double) path(f, "memory", "available").get("percent")).isBetween(0.0, 100.0);
        assertThat(f.containsKey("pressure")).isEqualTo(Files.exists(Path.of("/proc/pressure/cpu")));
        assertThat(f.containsKey("balloon")).isEqualTo(Files.readString(Path.of("/proc/meminfo")).contains("\nBalloon:"));
        for (Map<String, Object> d : (List<Map<String, Object>>) f.get("disks")) {
            assertThat((double) d.get("busyPercent")).isBetween(0.0, 100.0);
            assertThat(d.get("name")).satisfies(n -> assertThat(Files.isDirectory(Path.of("/sys/block", (String) n))).isTrue());
        }
    }
}
