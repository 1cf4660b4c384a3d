package dev.chameleon.agent.loop;

import dev.chameleon.host.SysRoot;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The agent's own cost: resident memory and CPU time of this process. Read from
 * {@code /proc/self/status} and {@link ProcessHandle}, not through JMX: the management beans
 * would load about 100 classes (and read the cgroup files) into the agent they measure.
 */
public final class Cost {
    private Cost() {
    }

    /**
     * {@code rssKiB} and {@code peakRssKiB} (KiB; from {@code /proc/self/status} VmRSS and VmHWM),
     * {@code cpuMillis} (user + system CPU of the process, from {@link ProcessHandle}, as the
     * kernel counts it in /proc/self/stat), {@code heapUsedKiB} (Java heap in use, from
     * {@link Runtime}), {@code threads} (threads of the process, JVM threads included:
     * {@code /proc/self/status} Threads). Each is null when unreadable.
     */
    public static dev.chameleon.model.status.AgentStatus.Cost report(SysRoot proc) {
        Map<String, Object> m = now(proc);
        return new dev.chameleon.model.status.AgentStatus.Cost((Long) m.get("rssKiB"), (Long) m.get("peakRssKiB"), (Long) m.get("cpuMillis"),
                (Long) m.get("heapUsedKiB"), (Long) m.get("threads"));
    }

    /** {@link #report} as a map, absent values left out. */
    public static Map<String, Object> now(SysRoot proc) {
        Map<String, Object> m = new LinkedHashMap<>();
        String status = selfStatus(proc);
        statusNumber(status, "VmRSS").ifPresent(v -> m.put("rssKiB", v));
        statusNumber(status, "VmHWM").ifPresent(v -> m.put("peakRssKiB", v));
        long cpu = cpuMillis();
        if (cpu >= 0) {
            m.put("cpuMillis", cpu);
        }
        Runtime rt = Runtime.getRuntime();
        m.put("heapUsedKiB", (rt.totalMemory() - rt.freeMemory()) / 1024);
        statusNumber(status, "Threads").ifPresent(v -> m.put("threads", v));
        return m;
    }

    /**
     * One {@code kB} field of this process's {@code /proc/self/status} under {@code proc}
     * ({@code VmRSS}: resident now, {@code VmHWM}: resident peak), in KiB; absent when unreadable.
     */
    public static Optional<Long> selfStatusKiB(SysRoot proc, String field) {
        return statusNumber(selfStatus(proc), field);
    }

    /** User + system CPU time of this process, milliseconds, from {@link ProcessHandle}; -1 when unknown. */
    public static long cpuMillis() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toMillis).orElse(-1L);
    }

    private static String selfStatus(SysRoot proc) {
        try {
            return java.nio.file.Files.readString(proc.resolve("/proc/self/status"));
        } catch (Exception e) {
            return "";
        }
    }

    /** The number that starts the value of a {@code NAME: 123 ...} line of {@code /proc/PID/status} ({@code VmRSS:  123 kB}: 123). */
    static Optional<Long> statusNumber(String status, String name) {
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
