package dev.chameleon.sensors;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code memory}: sizes, swap, huge pages, transparent huge pages and the balloon driver.
 *
 * <ul>
 *   <li>From {@code /proc/meminfo}: {@code totalBytes} (MemTotal), {@code availableBytes}
 *       (MemAvailable), {@code swapTotalBytes}, {@code swapFreeBytes} (long bytes); absent when
 *       the line is.</li>
 *   <li>{@code hugepages}: {@code defaultSizeBytes} (meminfo Hugepagesize) and {@code sizes}, one
 *       {@code {sizeBytes, total, free, reserved, surplus}} (long) per
 *       {@code /sys/kernel/mm/hugepages/hugepages-<N>kB} folder; absent when neither exists.</li>
 *   <li>{@code thp}: {@code enabled}, {@code defrag}, {@code shmemEnabled} (the bracketed word of
 *       {@code /sys/kernel/mm/transparent_hugepage/{enabled,defrag,shmem_enabled}}); absent when
 *       the kernel has no THP.</li>
 *   <li>{@code balloon}: {@code {present: boolean, driver?}}; present when a balloon device is
 *       bound to its driver (a device link in {@code /sys/bus/virtio/drivers/virtio_balloon} or
 *       {@code /sys/bus/vmbus/drivers/hv_balloon}; a loaded module without a device does not
 *       count), when {@code /sys/devices/system/xen_memory} exists, or when {@code vmw_balloon}
 *       is loaded (its init fails off VMware). {@code present: false} when {@code /sys/bus} is
 *       there and none of these is; absent when {@code /sys/bus} is not visible or
 *       {@code /proc/modules} is unreadable.</li>
 * </ul>
 */
public final class MemorySensor implements Sensor {
    static final String HUGE = "/sys/kernel/mm/hugepages";
    static final String THP = "/sys/kernel/mm/transparent_hugepage/";
    /** Bus drivers of balloon devices: present when a device is bound (a link in the driver's folder). */
    private static final List<String[]> BALLOON_BUS_DRIVERS = List.of(
            new String[] {"/sys/bus/virtio/drivers/virtio_balloon", "virtio_balloon"},
            new String[] {"/sys/bus/vmbus/drivers/hv_balloon", "hv_balloon"});

    @Override
    public String name() {
        return "memory";
    }

    @Override
    public Object sense(SensorContext ctx) {
        Map<String, Object> out = new LinkedHashMap<>();
        Map<String, Long> meminfo = ctx.text("/proc/meminfo").map(MemorySensor::parseMeminfo).orElse(Map.of());
        put(out, "totalBytes", meminfo.get("MemTotal"));
        put(out, "availableBytes", meminfo.get("MemAvailable"));
        put(out, "swapTotalBytes", meminfo.get("SwapTotal"));
        put(out, "swapFreeBytes", meminfo.get("SwapFree"));
        out.keySet().forEach(k -> ctx.provenance("memory." + k, "/proc/meminfo"));

        Map<String, Object> huge = new LinkedHashMap<>();
        if (meminfo.get("Hugepagesize") != null) {
            huge.put("defaultSizeBytes", meminfo.get("Hugepagesize"));
        }
        List<Object> sizes = new ArrayList<>();
        for (String dir : ctx.root().list(HUGE)) {
            Long kb = parseHugepageDir(dir);
            if (kb == null) {
                continue;
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("sizeBytes", kb * 1024);
            String base = HUGE + "/" + dir + "/";
            ctx.longValue(base + "nr_hugepages").ifPresent(v -> s.put("total", v));
            ctx.longValue(base + "free_hugepages").ifPresent(v -> s.put("free", v));
            ctx.longValue(base + "resv_hugepages").ifPresent(v -> s.put("reserved", v));
            ctx.longValue(base + "surplus_hugepages").ifPresent(v -> s.put("surplus", v));
            sizes.add(s);
        }
        if (!sizes.isEmpty()) {
            huge.put("sizes", sizes);
        }
        if (!huge.isEmpty()) {
            out.put("hugepages", huge);
            ctx.provenance("memory.hugepages", HUGE);
        }

        Map<String, Object> thp = new LinkedHashMap<>();
        ctx.value(THP + "enabled").flatMap(SecuritySensor::bracketed).ifPresent(v -> thp.put("enabled", v));
        ctx.value(THP + "defrag").flatMap(SecuritySensor::bracketed).ifPresent(v -> thp.put("defrag", v));
        ctx.value(THP + "shmem_enabled").flatMap(SecuritySensor::bracketed).ifPresent(v -> thp.put("shmemEnabled", v));
        if (!thp.isEmpty()) {
            out.put("thp", thp);
            ctx.provenance("memory.thp", THP);
        }

        Map<String, Object> balloon = balloon(ctx);
        if (!balloon.isEmpty()) {
            out.put("balloon", balloon);
        }
        return out;
    }

    private static Map<String, Object> balloon(SensorContext ctx) {
        for (String[] d : BALLOON_BUS_DRIVERS) {
            String dir = d[0];
            boolean bound = ctx.root().list(dir).stream().anyMatch(e -> !e.equals("module") && ctx.root().isLink(dir + "/" + e));
            if (bound) {
                ctx.provenance("memory.balloon", dir);
                return balloonFact(true, d[1]);
            }
        }
        if (ctx.root().exists("/sys/devices/system/xen_memory")) {
            ctx.provenance("memory.balloon", "/sys/devices/system/xen_memory");
            return balloonFact(true, "xen_balloon");
        }
        var mods = ctx.root().read("/proc/modules");
        if (mods.isPresent() && KernelSensor.parseModules(mods.text()).contains("vmw_balloon")) {
            ctx.provenance("memory.balloon", "/proc/modules");
            return balloonFact(true, "vmw_balloon");
        }
        if (ctx.root().isDirectory("/sys/bus") && (mods.isPresent() || mods.status() == dev.chameleon.host.HostFile.Status.ABSENT)) {
            ctx.provenance("memory.balloon", "/sys/bus, /proc/modules");
            return balloonFact(false, null);
        }
        return Map.of();
    }

    private static Map<String, Object> balloonFact(boolean present, String driver) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("present", present);
        if (driver != null) {
            m.put("driver", driver);
        }
        return m;
    }

    private static void put(Map<String, Object> out, String key, Long v) {
        if (v != null) {
            out.put(key, v);
        }
    }

    /** {@code hugepages-2048kB} → 2048; null for other names. */
    static Long parseHugepageDir(String name) {
        if (!name.startsWith("hugepages-") || !name.endsWith("kB")) {
            return null;
        }
        return Sensors.parseLong(name.substring("hugepages-".length(), name.length() - 2)).orElse(null);
    }

    /** {@code /proc/meminfo} lines as bytes (kB values multiplied by 1024; counts as they are). */
    public static Map<String, Long> parseMeminfo(String meminfo) {
        // read every pass by the daemon: words are cut by hand (String.split with \\s+ compiles a regex per line)
        Map<String, Long> out = new LinkedHashMap<>();
        for (String line : meminfo.split("\n")) {
            List<String> parts = words(line, 3);
            if (parts.size() < 2) {
                continue;
            }
            String key = parts.get(0).replace(":", "");
            long mult = parts.size() > 2 && parts.get(2).equalsIgnoreCase("kB") ? 1024 : 1;
            try {
                out.put(key, Math.multiplyExact(Long.parseLong(parts.get(1)), mult));
            } catch (ArithmeticException | NumberFormatException e) {
                // a garbled line is skipped; its key stays absent
            }
        }
        return out;
    }

    /** The first {@code max} words of a line, split at spaces and tabs. */
    static List<String> words(String line, int max) {
        List<String> out = new ArrayList<>(max);
        int i = 0;
        int n = line.length();
        while (i < n && out.size() < max) {
            while (i < n && Character.isWhitespace(line.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && !Character.isWhitespace(line.charAt(i))) {
                i++;
            }
            if (i > start) {
                out.add(line.substring(start, i));
            }
        }
        return out;
    }

    /** The first-cut keys {@code totalBytes} and {@code availableBytes} from meminfo text. */
    public static Map<String, Object> parse(String meminfo) {
        Map<String, Long> m = parseMeminfo(meminfo);
        Map<String, Object> out = new LinkedHashMap<>();
        put(out, "totalBytes", m.get("MemTotal"));
        put(out, "availableBytes", m.get("MemAvailable"));
        return out;
    }
}
