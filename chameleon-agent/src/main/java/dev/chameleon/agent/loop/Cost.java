package dev.chameleon.agent.loop;

import dev.chameleon.host.SysRoot;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** The agent's own cost: resident memory and CPU time of this process. */
public final class Cost {
    private Cost() {
    }

    /**
     * {@code rssKiB} and {@code peakRssKiB} (KiB; from {@code /proc/self/status} VmRSS and VmHWM,
     * absent when unreadable), {@code cpuMillis} (user + system CPU of the process, from
     * the OperatingSystemMXBean, else {@link ProcessHandle}), {@code heapUsedKiB}, {@code threads}.
     */
    public static Map<String, Object> now(SysRoot proc) {
        Map<String, Object> m = new LinkedHashMap<>();
        String status = selfStatus(proc);
        statusKiB(status, "VmRSS").ifPresent(v -> m.put("rssKiB", v));
        statusKiB(status, "VmHWM").ifPresent(v -> m.put("peakRssKiB", v));
        long cpu = cpuMillis();
        if (cpu >= 0) {
            m.put("cpuMillis", cpu);
        }
        Runtime rt = Runtime.getRuntime();
        m.put("heapUsedKiB", (rt.totalMemory() - rt.freeMemory()) / 1024);
        m.put("threads", ManagementFactory.getThreadMXBean().getThreadCount());
        return m;
    }

    /**
     * One {@code kB} field of this process's {@code /proc/self/status} under {@code proc}
     * ({@code VmRSS}: resident now, {@code VmHWM}: resident peak), in KiB; absent when unreadable.
     */
    public static Optional<Long> selfStatusKiB(SysRoot proc, String field) {
        return statusKiB(selfStatus(proc), field);
    }

    /**
     * User + system CPU time of this process, milliseconds: from the OperatingSystemMXBean, else
     * {@link ProcessHandle}; -1 when neither knows.
     */
    public static long cpuMillis() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                && os.getProcessCpuTime() >= 0) {
            return os.getProcessCpuTime() / 1_000_000;
        }
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toMillis).orElse(-1L);
    }

    private static String selfStatus(SysRoot proc) {
        try {
            return java.nio.file.Files.readString(proc.resolve("/proc/self/status"));
        } catch (Exception e) {
            return "";
        }
    }

    /** A {@code NAME:   123 kB} line of {@code /proc/PID/status}, in KiB. */
    static Optional<Long> statusKiB(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                String v = line.substring(name.length() + 1).trim().split("\\s+")[0];
                try {
                    return Optional.of(Long.parseLong(v));
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }
}
