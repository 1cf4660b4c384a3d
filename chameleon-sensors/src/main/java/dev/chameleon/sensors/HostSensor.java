package dev.chameleon.sensors;

import dev.chameleon.sensors.HostHistory.CpuTimes;
import dev.chameleon.sensors.HostHistory.DiskCounters;
import dev.chameleon.sensors.HostHistory.Sample;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * {@code host}: how available the machine under this VM is right now — what the hypervisor takes
 * (CPU steal, the balloon), what the guest waits for (iowait, pressure stall information), memory
 * available and per-disk latency. Every value is read again on every collection.
 *
 * <ul>
 *   <li>{@code cpu.steal}, {@code cpu.iowait}: {@code {percent, avg1m, avg5m, avg15m}} (double %,
 *       0–100, of all CPU time of all CPUs) from the deltas of {@code /proc/stat}'s {@code cpu}
 *       line (steal: 8th number, iowait: 5th; all ten summed, less guest and guest_nice which
 *       user and nice already count). {@code percent} is since the previous sample at least
 *       {@link #MIN_INTERVAL_NANOS} old; {@code avgNm} since the newest sample at least N minutes
 *       old. Absent: no such sample (one-shot commands; the daemon's first pass; the first N
 *       minutes), a counter that went backwards, no tick in between, steal not reported (kernels
 *       before 2.6.11).</li>
 *   <li>{@code pressure.{cpu,memory,io}.{some,full}}: {@code {avg10, avg60, avg300}} (double %,
 *       the kernel's own running averages over 10 s, 60 s, 300 s) and {@code totalMicros} (long µs
 *       stalled since boot) from {@code /proc/pressure/*}; absent where the kernel has no PSI
 *       (before 4.20, {@code CONFIG_PSI=n}, {@code psi=0}). The cpu {@code full} line is there
 *       since 5.13 (zero at the system level).</li>
 *   <li>{@code memory.available}: {@code bytes} (long, MemAvailable of {@code /proc/meminfo}),
 *       {@code percent} (double, of MemTotal) and {@code avg1m/avg5m/avg15m} of the percent over the
 *       samples in the window; absent when the lines are. A percent outside 0–100 (MemAvailable above
 *       MemTotal) is a sensor problem and left out, as is a balloon larger than MemTotal's
 *       {@code percentOfTotal}.</li>
 *   <li>{@code balloon}: {@code sizeBytes} (long, memory the hypervisor has taken back through the
 *       balloon driver), {@code targetBytes} (long, where the driver says), {@code percentOfTotal}
 *       (double, sizeBytes of MemTotal) and {@code source}. Sources, first found wins:
 *       {@code /proc/meminfo Balloon} (Linux 6.15+, every balloon driver),
 *       {@code /sys/kernel/debug/vmmemctl} ({@code vmw_balloon}: {@code current}/{@code target} in
 *       4 KiB pages), {@code /sys/kernel/debug/hv-balloon} ({@code hv_balloon}, 6.3+:
 *       {@code pages_ballooned} × {@code page_size}),
 *       {@code /sys/devices/system/xen_memory/xen_memory0/info/} (Xen: {@code low_kb + high_kb},
 *       {@code target_kb}). Absent when none is readable: {@code virtio_balloon} before 6.15 shows the
 *       guest no size (its config space is the host's), and debugfs is root's.</li>
 *   <li>{@code disks}: one {@code {name, readsPerSecond, writesPerSecond, busyPercent,
 *       readLatencyMs?, writeLatencyMs?}} (double) per disk of {@code /sys/block} (not loop, ram,
 *       zram; every {@code /proc/diskstats} line but those when {@code /sys/block} is not visible)
 *       from {@code /proc/diskstats} deltas since the previous sample: completed reads and writes,
 *       ms spent reading and writing (latency: ms per completed I/O, absent when none completed),
 *       ms the device was busy. Absent without a previous sample; a disk missing from either sample,
 *       or whose counters went backwards, is left out.</li>
 *   <li>{@code sampleIntervalSeconds} (double): the time between the previous sample and this one,
 *       which {@code percent}, the latencies and the rates cover.</li>
 * </ul>
 *
 * <p>Samples are kept in the {@link FactCache}'s memory ({@link HostHistory}): the daemon takes one
 * per pass (and per client refresh), so {@code avg5m} is computed by the daemon from its own
 * samples. A one-shot command has none: only the pressure, memory and balloon facts.
 */
public final class HostSensor implements Sensor {
    /** A delta is taken against a sample at least this old (a client's refresh right after a pass would give a 1 ms delta). */
    public static final long MIN_INTERVAL_NANOS = 1_000_000_000L;
    /** The windows of {@code avgNm}, in minutes. */
    public static final List<Integer> WINDOW_MINUTES = List.of(1, 5, 15);
    static final List<String> PSI = List.of("cpu", "memory", "io");
    private static final long NANOS_PER_MINUTE = 60_000_000_000L;

    private final LongSupplier nanoTime;

    public HostSensor() {
        this(System::nanoTime);
    }

    /** A sensor whose samples are timed by {@code nanoTime} (tests: a fake clock). */
    public HostSensor(LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
    }

    @Override
    public String name() {
        return "host";
    }

    @Override
    public Object sense(SensorContext ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        long now = nanoTime.getAsLong();
        CpuTimes cpu = ctx.text("/proc/stat").map(t -> parseStat(t, ctx)).orElse(null);
        Map<String, Long> meminfo = ctx.text("/proc/meminfo").map(MemorySensor::parseMeminfo).orElse(Map.of());
        Long total = meminfo.get("MemTotal");
        Long available = meminfo.get("MemAvailable");
        double availablePercent = total != null && available != null && total > 0 ? 100.0 * available / total : Double.NaN;
        if (availablePercent > 100.0 || availablePercent < 0.0) {
            // a percent beyond 0-100 is no measure (a made-up or torn /proc/meminfo): a problem, not a fact
            ctx.problem("/proc/meminfo", "MemAvailable (" + available + " bytes) is more than MemTotal (" + total
                    + " bytes); host.memory.available.percent left out");
            availablePercent = Double.NaN;
        }
        Map<String, DiskCounters> disks = ctx.text("/proc/diskstats").map(t -> parseDiskstats(t, diskNames(ctx))).orElse(null);
        Sample sample = new Sample(now, cpu, availablePercent, disks == null ? Map.of() : disks);
        List<Sample> before = ctx.memory("history", HostHistory::new).add(sample);
        Sample previous = newestAtLeast(before, now - MIN_INTERVAL_NANOS);

        Map<String, Object> cpuOut = new LinkedHashMap<>();
        if (cpu != null) {
            if (cpu.steal() >= 0) {
                putNonEmpty(cpuOut, "steal", cpuShare(sample, previous, before, CpuTimes::steal));
            }
            putNonEmpty(cpuOut, "iowait", cpuShare(sample, previous, before, CpuTimes::iowait));
        }
        if (putNonEmpty(out, "cpu", cpuOut)) {
            ctx.provenance("host.cpu", "/proc/stat (deltas)");
        }

        Map<String, Object> pressure = new LinkedHashMap<>();
        for (String resource : PSI) {
            String path = "/proc/pressure/" + resource;
            ctx.text(path).map(t -> parsePressure(t, path, ctx)).filter(m -> !m.isEmpty()).ifPresent(m -> pressure.put(resource, m));
        }
        if (putNonEmpty(out, "pressure", pressure)) {
            ctx.provenance("host.pressure", "/proc/pressure");
        }

        Map<String, Object> memory = new LinkedHashMap<>();
        if (available != null) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("bytes", available);
            if (!Double.isNaN(availablePercent)) {
                a.put("percent", availablePercent);
                for (int m : WINDOW_MINUTES) {
                    Sample base = newestAtLeast(before, now - m * NANOS_PER_MINUTE);
                    if (base != null) {
                        double sum = 0;
                        int n = 0;
                        for (Sample s : before) {
                            if (s.nanos() >= base.nanos() && !Double.isNaN(s.memoryAvailablePercent())) {
                                sum += s.memoryAvailablePercent();
                                n++;
                            }
                        }
                        a.put("avg" + m + "m", (sum + availablePercent) / (n + 1));
                    }
                }
            }
            memory.put("available", a);
            ctx.provenance("host.memory.available", "/proc/meminfo MemAvailable, MemTotal");
        }
        putNonEmpty(out, "memory", memory);

        balloon(ctx, meminfo).ifPresent(b -> {
            out.put("balloon", b);
            ctx.provenance("host.balloon", String.valueOf(b.get("source")));
        });

        if (disks != null && previous != null) {
            double seconds = (now - previous.nanos()) / 1e9;
            List<Object> list = new ArrayList<>();
            disks.forEach((name, c) -> {
                DiskCounters p = previous.disks().get(name);
                if (p != null) {
                    diskRates(name, p, c, seconds).ifPresent(list::add);
                }
            });
            out.put("disks", list);
            ctx.provenance("host.disks", "/proc/diskstats (deltas)");
        }
        if (previous != null && (cpu != null || disks != null)) {
            out.put("sampleIntervalSeconds", (now - previous.nanos()) / 1e9);
        }
        return out;
    }

    private static boolean putNonEmpty(Map<String, Object> out, String key, Map<String, Object> value) {
        if (value.isEmpty()) {
            return false;
        }
        out.put(key, value);
        return true;
    }

    /** The newest sample taken at or before {@code atOrBefore}; null when none. */
    static Sample newestAtLeast(List<Sample> samples, long atOrBefore) {
        Sample found = null;
        for (Sample s : samples) {
            if (s.nanos() <= atOrBefore) {
                found = s;
            }
        }
        return found;
    }

    private static Map<String, Object> cpuShare(Sample now, Sample previous, List<Sample> before,
                                                java.util.function.ToLongFunction<CpuTimes> counter) {
        Map<String, Object> out = new LinkedHashMap<>();
        share(now.cpu(), previous == null ? null : previous.cpu(), counter).ifPresent(v -> out.put("percent", v));
        for (int m : WINDOW_MINUTES) {
            Sample base = newestAtLeast(before, now.nanos() - m * NANOS_PER_MINUTE);
            if (base != null) {
                share(now.cpu(), base.cpu(), counter).ifPresent(v -> out.put("avg" + m + "m", v));
            }
        }
        return out;
    }

    /** The share (%) of all CPU time {@code counter} took between two samples; empty when it cannot be told. */
    static Optional<Double> share(CpuTimes now, CpuTimes then, java.util.function.ToLongFunction<CpuTimes> counter) {
        if (now == null || then == null) {
            return Optional.empty();
        }
        long dc = counter.applyAsLong(now) - counter.applyAsLong(then);
        long dt = now.total() - then.total();
        if (counter.applyAsLong(then) < 0 || dc < 0 || dt <= 0 || dc > dt) {
            return Optional.empty(); // not reported, a counter reset, or no tick in between
        }
        return Optional.of(100.0 * dc / dt);
    }

    /**
     * The {@code cpu} line of {@code /proc/stat}: user nice system idle iowait irq softirq steal
     * guest guest_nice (USER_HZ ticks). Fewer than 5 numbers, or a non-number, is a problem (empty);
     * steal is -1 when the line has fewer than 8.
     */
    static CpuTimes parseStat(String text, SensorContext ctx) {
        // the cpu line is the first; the file goes on with per-CPU lines and an intr line of
        // thousands of numbers, so lines are cut one at a time and the search stops at it
        for (int at = 0; at < text.length(); ) {
            int nl = text.indexOf('\n', at);
            String line = text.substring(at, nl < 0 ? text.length() : nl);
            at = nl < 0 ? text.length() : nl + 1;
            if (!line.startsWith("cpu ")) {
                continue;
            }
            List<String> words = MemorySensor.words(line, 11);
            long[] v = new long[words.size() - 1];
            for (int i = 1; i < words.size(); i++) {
                Optional<Long> n = Sensors.parseLong(words.get(i));
                if (n.isEmpty() || n.get() < 0) {
                    if (ctx != null) {
                        ctx.problem("/proc/stat", "cpu line: not a count: " + SensorContext.abbreviate(words.get(i)));
                    }
                    return null;
                }
                v[i - 1] = n.get();
            }
            if (v.length < 5) {
                if (ctx != null) {
                    ctx.problem("/proc/stat", "cpu line has " + v.length + " numbers, expected at least 5");
                }
                return null;
            }
            long total = 0;
            for (int i = 0; i < Math.min(8, v.length); i++) {
                total += v[i]; // guest and guest_nice (9th, 10th) are already in user and nice
            }
            return new CpuTimes(v.length >= 8 ? v[7] : -1, v[4], total);
        }
        if (ctx != null) {
            ctx.problem("/proc/stat", "no cpu line");
        }
        return null;
    }

    /**
     * A {@code /proc/pressure/*} file: per line ({@code some}, {@code full}) {@code avg10, avg60,
     * avg300} (double %) and {@code totalMicros} (long µs). A line whose values do not parse is
     * a problem and left out.
     */
    static Map<String, Object> parsePressure(String text, String source, SensorContext ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            List<String> words = MemorySensor.words(line, 6);
            if (words.isEmpty() || !(words.get(0).equals("some") || words.get(0).equals("full"))) {
                continue;
            }
            Map<String, Object> m = new LinkedHashMap<>();
            boolean bad = false;
            for (String w : words.subList(1, words.size())) {
                int eq = w.indexOf('=');
                String k = eq < 0 ? w : w.substring(0, eq);
                String v = eq < 0 ? "" : w.substring(eq + 1);
                try {
                    switch (k) {
                        case "avg10", "avg60", "avg300" -> {
                            double d = Double.parseDouble(v);
                            if (!(d >= 0 && d <= 100)) {
                                throw new NumberFormatException();
                            }
                            m.put(k, d);
                        }
                        case "total" -> {
                            long t = Long.parseLong(v);
                            if (t < 0) {
                                throw new NumberFormatException();
                            }
                            m.put("totalMicros", t);
                        }
                        default -> { }
                    }
                } catch (NumberFormatException e) {
                    bad = true;
                    if (ctx != null) {
                        ctx.problem(source, words.get(0) + ": not a value: " + SensorContext.abbreviate(w));
                    }
                }
            }
            if (!bad && !m.isEmpty()) {
                out.put(words.get(0), m);
            }
        }
        return out;
    }

    /** Whole disks, from {@code /sys/block} (not loop, ram, zram); null when it is not visible (every line then counts). */
    private static java.util.Set<String> diskNames(SensorContext ctx) {
        if (!ctx.root().exists("/sys/block")) {
            return null;
        }
        java.util.Set<String> names = new java.util.HashSet<>();
        for (String n : ctx.root().list("/sys/block")) {
            names.add(n.replace('!', '/'));
        }
        return names;
    }

    /**
     * {@code /proc/diskstats}: per device (in {@code only} when given; never loop, ram, zram) its
     * counters. Lines with fewer than 13 fields or a non-number are skipped.
     */
    static Map<String, DiskCounters> parseDiskstats(String text, java.util.Set<String> only) {
        Map<String, DiskCounters> out = new java.util.TreeMap<>();
        for (String line : text.split("\n")) {
            List<String> w = MemorySensor.words(line, 14);
            if (w.size() < 13) {
                continue;
            }
            String name = w.get(2);
            if (name.startsWith("loop") || name.startsWith("ram") || name.startsWith("zram") || only != null && !only.contains(name)) {
                continue;
            }
            long[] v = new long[10];
            boolean ok = true;
            for (int i = 0; i < 10; i++) {
                Optional<Long> n = Sensors.parseLong(w.get(3 + i));
                if (n.isEmpty() || n.get() < 0) {
                    ok = false;
                    break;
                }
                v[i] = n.get();
            }
            if (ok) {
                // reads, merged, sectors, ms reading, writes, merged, sectors, ms writing, in flight, ms busy
                out.put(name, new DiskCounters(v[0], v[3], v[4], v[7], v[9]));
            }
        }
        return out;
    }

    /** A disk's rates and latencies between two samples {@code seconds} apart; empty when a counter went backwards. */
    static Optional<Map<String, Object>> diskRates(String name, DiskCounters then, DiskCounters now, double seconds) {
        long reads = now.reads() - then.reads();
        long writes = now.writes() - then.writes();
        long readMs = now.readMillis() - then.readMillis();
        long writeMs = now.writeMillis() - then.writeMillis();
        long busy = now.busyMillis() - then.busyMillis();
        if (reads < 0 || writes < 0 || readMs < 0 || writeMs < 0 || busy < 0 || !(seconds > 0)) {
            return Optional.empty();
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", name);
        d.put("readsPerSecond", reads / seconds);
        d.put("writesPerSecond", writes / seconds);
        d.put("busyPercent", Math.min(100.0, busy / (seconds * 10.0)));
        if (reads > 0) {
            d.put("readLatencyMs", (double) readMs / reads);
        }
        if (writes > 0) {
            d.put("writeLatencyMs", (double) writeMs / writes);
        }
        return Optional.of(d);
    }

    private static final String VMW = "/sys/kernel/debug/vmmemctl";
    private static final String HV = "/sys/kernel/debug/hv-balloon";
    private static final String XEN = "/sys/devices/system/xen_memory/xen_memory0/info/";
    private static final long PAGE_4K = 4096;

    /** The balloon's size, from the first source there (see the class comment). */
    static Optional<Map<String, Object>> balloon(SensorContext ctx, Map<String, Long> meminfo) {
        Long total = meminfo.get("MemTotal");
        Long size = null;
        Long target = null;
        String source = null;
        if (meminfo.get("Balloon") != null) {
            size = meminfo.get("Balloon");
            source = "/proc/meminfo Balloon";
        } else if (ctx.root().exists(VMW)) {
            Map<String, Long> v = ctx.text(VMW).map(HostSensor::parseColonValues).orElse(Map.of());
            if (v.get("current") != null) {
                size = v.get("current") * PAGE_4K;
                target = v.get("target") == null ? null : v.get("target") * PAGE_4K;
                source = VMW;
            }
        } else if (ctx.root().exists(HV)) {
            Map<String, Long> v = ctx.text(HV).map(HostSensor::parseColonValues).orElse(Map.of());
            if (v.get("pages_ballooned") != null) {
                size = v.get("pages_ballooned") * v.getOrDefault("page_size", PAGE_4K);
                source = HV;
            }
        } else if (ctx.root().exists(XEN + "current_kb")) {
            Optional<Long> low = ctx.longValue(XEN + "low_kb");
            Optional<Long> high = ctx.longValue(XEN + "high_kb");
            if (low.isPresent()) {
                size = (low.get() + high.orElse(0L)) * 1024;
                target = ctx.longValue(XEN + "target_kb").map(k -> k * 1024).orElse(null);
                source = XEN;
            }
        }
        if (size == null || size < 0) {
            return Optional.empty();
        }
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("sizeBytes", size);
        if (target != null) {
            b.put("targetBytes", target);
        }
        if (total != null && total > 0 && size <= total) {
            b.put("percentOfTotal", 100.0 * size / total);
        } else if (total != null && total > 0) {
            ctx.problem(source, "balloon size (" + size + " bytes) is more than MemTotal (" + total
                    + " bytes); host.balloon.percentOfTotal left out");
        }
        b.put("source", source);
        return Optional.of(b);
    }

    /**
     * {@code key: number [unit]} lines, as the balloon drivers' debugfs files print them
     * ({@code target:   1024 pages}, {@code pages_ballooned        : 0}); other lines are skipped.
     */
    static Map<String, Long> parseColonValues(String text) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int colon = line.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            List<String> rest = MemorySensor.words(line.substring(colon + 1), 1);
            if (!rest.isEmpty()) {
                Sensors.parseLong(rest.get(0)).filter(n -> n >= 0).ifPresent(n -> out.put(line.substring(0, colon).strip(), n));
            }
        }
        return out;
    }
}
